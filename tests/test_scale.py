"""scale: fitted statistics and outputs against scikit-learn's scalers, and invariants."""

from __future__ import annotations

import json
import warnings
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, PowerTransformer, QuantileTransformer, RobustScaler, StandardScaler

from mlprep.errors import InputError, UsageError
from mlprep.steps.scale import apply_scale, fit_scale, scale

COLS = ["amount", "f0", "f3", "f9"]


def _x(frame: pl.DataFrame, cols: list[str]) -> np.ndarray:
    return frame.select(pl.col(cols).cast(pl.Float64).fill_null(float("nan"))).to_numpy()


def _scaled(frame: pl.DataFrame, state: dict, cols: list[str]) -> np.ndarray:
    return _x(apply_scale(frame.lazy(), state).collect(), cols)


def _close(ours, theirs) -> None:
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9, equal_nan=True)


@pytest.fixture(scope="module")
def train(sample_frame: pl.DataFrame) -> pl.DataFrame:
    return sample_frame.head(20_000)


@pytest.fixture(scope="module")
def test_rows(sample_frame: pl.DataFrame) -> pl.DataFrame:
    return sample_frame.tail(5_000)


def test_standard(train, test_rows) -> None:
    state = fit_scale(train.lazy(), cols=COLS, method="standard")
    sk = StandardScaler().fit(_x(train, COLS))
    np.testing.assert_allclose([state["stats"][c]["mean"] for c in COLS], sk.mean_, rtol=1e-9)
    np.testing.assert_allclose([state["stats"][c]["scale"] for c in COLS], sk.scale_, rtol=1e-9)
    _close(_scaled(test_rows, state, COLS), sk.transform(_x(test_rows, COLS)))


def test_standard_constant_column_scales_by_one() -> None:
    frame = pl.DataFrame({"c": [0.1] * 7, "i": [3] * 7})
    state = fit_scale(frame.lazy(), method="standard")
    sk = StandardScaler().fit(_x(frame, ["c", "i"]))
    assert [state["stats"][c]["scale"] for c in ("c", "i")] == list(sk.scale_) == [1.0, 1.0]


@pytest.mark.parametrize("method, cls", [("minmax", MinMaxScaler), ("robust", RobustScaler), ("maxabs", MaxAbsScaler)])
def test_minmax_robust_maxabs(train, test_rows, method, cls) -> None:
    state = fit_scale(train.lazy(), cols=COLS, method=method)
    sk = cls().fit(_x(train, COLS))
    if method == "minmax":
        np.testing.assert_allclose([state["stats"][c]["scale"] for c in COLS], sk.scale_, rtol=1e-9)
        np.testing.assert_allclose([state["stats"][c]["min"] for c in COLS], sk.min_, rtol=1e-9)
    elif method == "robust":
        np.testing.assert_allclose([state["stats"][c]["center"] for c in COLS], sk.center_, rtol=1e-9)
        np.testing.assert_allclose([state["stats"][c]["scale"] for c in COLS], sk.scale_, rtol=1e-9)
    else:
        np.testing.assert_allclose([state["stats"][c]["scale"] for c in COLS], sk.scale_, rtol=1e-9)
    _close(_scaled(test_rows, state, COLS), sk.transform(_x(test_rows, COLS)))


def test_minmax_clip_on_unseen_range() -> None:
    state = fit_scale(pl.LazyFrame({"x": [0.0, 10.0]}), method="minmax", clip=True)
    assert apply_scale(pl.LazyFrame({"x": [-5.0, 5.0, 20.0]}), state).collect()["x"].to_list() == [0.0, 0.5, 1.0]
    sk = MinMaxScaler(clip=True).fit([[0.0], [10.0]])
    assert sk.transform([[-5.0], [5.0], [20.0]]).ravel().tolist() == [0.0, 0.5, 1.0]


def test_yeo_johnson(train, test_rows) -> None:
    cols = ["amount", "f1"]
    state = fit_scale(train.lazy(), cols=cols, method="yeo-johnson")
    sk = PowerTransformer(method="yeo-johnson", standardize=True).fit(_x(train, cols))
    np.testing.assert_allclose([state["stats"][c]["lambda"] for c in cols], sk.lambdas_, rtol=1e-9)
    _close(_scaled(test_rows, state, cols), sk.transform(_x(test_rows, cols)))


@pytest.mark.parametrize("output", ["uniform", "normal"])
def test_quantile_exact_with_full_sample(train, test_rows, output) -> None:
    """scikit-learn subsamples 10,000 rows by default; with subsample=None both use every row."""
    cols = ["amount", "f2"]
    state = fit_scale(train.lazy(), cols=cols, method="quantile", quantile_output=output)
    sk = QuantileTransformer(n_quantiles=1000, output_distribution=output, subsample=None).fit(_x(train, cols))
    for i, c in enumerate(cols):
        np.testing.assert_allclose(state["stats"][c]["quantiles"], sk.quantiles_[:, i], rtol=1e-12)
    _close(_scaled(test_rows, state, cols), sk.transform(_x(test_rows, cols)))


def test_log_is_log1p_and_refuses_values_below_minus_one() -> None:
    state = fit_scale(pl.LazyFrame({"x": [0, 9]}), method="log")
    assert apply_scale(pl.LazyFrame({"x": [0, 9]}), state).collect()["x"].to_list() == [0.0, float(np.log1p(9))]
    with pytest.raises(InputError, match="values <= -1"):
        fit_scale(pl.LazyFrame({"x": [-2.0, 1.0]}), method="log")


def test_inf_is_refused_or_treated_as_missing() -> None:
    frame = pl.LazyFrame({"x": [1.0, float("inf"), -float("inf"), 3.0]})
    with pytest.raises(InputError, match=r"column 'x' .* 2 ±inf value\(s\).*--inf-as-missing"):
        fit_scale(frame)
    state = fit_scale(frame, inf_as_missing=True)
    assert state["stats"]["x"]["mean"] == 2.0
    assert apply_scale(frame, state).collect()["x"].to_list() == [-1.0, None, None, 1.0]


def test_missing_values_pass_through_and_integers_become_float64() -> None:
    frame = pl.LazyFrame({"i": [1, None, 3], "f": [1.0, float("nan"), 3.0]})
    out = scale(frame).collect()
    assert out.schema == pl.Schema({"i": pl.Float64, "f": pl.Float64})
    assert out["i"].to_list() == [-1.0, None, 1.0]
    assert math.isnan(out["f"][1])


def test_errors() -> None:
    with pytest.raises(InputError, match="column 's' .* not numeric"):
        fit_scale(pl.LazyFrame({"s": ["a"]}), cols=["s"])
    with pytest.raises(InputError, match="column 'e' .* no non-missing value"):
        fit_scale(pl.LazyFrame({"e": pl.Series([None], dtype=pl.Float64)}))
    with pytest.raises(UsageError, match="--method 'zscore' is not one of"):
        fit_scale(pl.LazyFrame({"x": [1.0]}), method="zscore")


@pytest.mark.parametrize("method", ["standard", "minmax", "robust", "maxabs", "log", "yeo-johnson", "quantile"])
def test_state_survives_json_round_trip(method: str) -> None:
    frame = pl.LazyFrame({"x": [0.5, 1.5, 7.0, None, 3.25]})
    state = fit_scale(frame, method=method)
    again = json.loads(json.dumps(state, allow_nan=False))
    assert apply_scale(frame, again).collect().equals(apply_scale(frame, state).collect())


finite = st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False), st.just(float("nan")))


@settings(max_examples=30, deadline=None)
@given(st.lists(finite, min_size=1, max_size=30), st.sampled_from(["standard", "minmax", "maxabs", "robust"]))
def test_property_matches_sklearn(xs: list, method: str) -> None:
    frame = pl.DataFrame({"x": xs}, schema={"x": pl.Float64})
    assume(frame["x"].fill_nan(None).count() > 0)
    cls = {"standard": StandardScaler, "minmax": MinMaxScaler, "maxabs": MaxAbsScaler, "robust": RobustScaler}[method]
    sk = cls().fit(_x(frame, ["x"]))
    state = fit_scale(frame.lazy(), method=method)
    np.testing.assert_allclose(_scaled(frame, state, ["x"]), sk.transform(_x(frame, ["x"])), rtol=1e-9, atol=1e-9, equal_nan=True)
    # missing stays missing, nothing else becomes missing
    out = apply_scale(frame.lazy(), state).collect()["x"]
    assert out.is_null().to_list() == frame["x"].is_null().to_list()


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.just(float("nan")), st.floats(-50, 50, allow_nan=False), st.sampled_from([1.0, 2.0])), min_size=1, max_size=30),
    st.sampled_from(["yeo-johnson", "quantile-uniform", "quantile-normal"]),
)
def test_property_power_and_quantile_match_sklearn(xs: list, method: str) -> None:
    import warnings

    frame = pl.DataFrame({"x": xs}, schema={"x": pl.Float64})
    present = frame["x"].fill_nan(None).drop_nulls()
    assume(present.len() > 0)
    if method == "yeo-johnson" and present.n_unique() == 1:
        # A constant column has no lambda to fit: scikit-learn's optimiser returns an arbitrary
        # value there (e.g. 4.0 for [1, 1, 1]); mlprep documents and returns 0 (to rounding), like StandardScaler.
        state = fit_scale(frame.lazy(), method="yeo-johnson")
        scaled = _scaled(frame, state, ["x"])
        assert np.all(np.abs(scaled[~np.isnan(scaled)]) < 1e-9)
        return
    x = _x(frame, ["x"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "yeo-johnson":
            sk = PowerTransformer(method="yeo-johnson").fit(x)
            state = fit_scale(frame.lazy(), method="yeo-johnson")
        else:
            output = method.split("-")[1]
            sk = QuantileTransformer(n_quantiles=10, output_distribution=output, subsample=None).fit(x)
            state = fit_scale(frame.lazy(), method="quantile", n_quantiles=10, quantile_output=output)
        expected = sk.transform(x)
    np.testing.assert_allclose(_scaled(frame, state, ["x"]), expected, rtol=1e-9, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize(
    "kind", ["shuffled", "sorted", "narrow_late", "wide_late", "heavy_tail", "constant_head"]
)
def test_one_pass_moments_match_exact_two_pass(kind: str, monkeypatch) -> None:
    """The guessed window (from the first rows) keeps the exact-sum result, or falls back to a second pass."""
    from mlprep.steps import _columns

    monkeypatch.setattr(_columns, "SAMPLE_ROWS", 100)
    second_passes = []
    exact = _columns.exact_moments
    monkeypatch.setattr(_columns, "exact_moments", lambda f, cols, **kw: (second_passes.extend(cols), exact(f, cols, **kw))[1])
    rng = np.random.default_rng(7)
    x = {
        "shuffled": rng.normal(5.0, 3.0, 5_000),
        "sorted": np.sort(rng.normal(1e6, 1e-3, 5_000)),  # the head sees a sliver of the range
        "narrow_late": np.concatenate([rng.normal(0, 1e6, 100), rng.normal(0, 1e-3, 4_900)]),
        "wide_late": np.concatenate([rng.normal(0, 1e-3, 100), rng.normal(0, 1e6, 4_900)]),  # outside the window
        "heavy_tail": rng.standard_cauchy(5_000),
        "constant_head": np.concatenate([np.full(100, 2.5), rng.normal(2.5, 1.0, 4_900)]),
    }[kind]
    frame = pl.LazyFrame({"x": x})
    one = _columns.OnePassMoments(frame, {"x": pl.col("x")})
    row = frame.select(one.exprs()).collect().row(0, named=True) if one.exprs() else {}
    mean, var = one.result(row, {"x": (float(x.min()), float(x.max()))})["x"]
    if kind != "heavy_tail":  # a Cauchy tail may or may not leave the window: either way the result is exact
        assert second_passes == (["x"] if kind == "wide_late" else [])
    exact_mean, exact_var = exact(frame, {"x": (pl.col("x"), float(x.min()), float(x.max()))})["x"]
    np.testing.assert_allclose([mean, var], [exact_mean, exact_var], rtol=1e-12, atol=1e-12 * max(1.0, abs(exact_mean)))
    np.testing.assert_allclose([mean, var], [np.mean(x), np.var(x)], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("strategy", ["mean", "median", "most-frequent", "constant"])
@pytest.mark.parametrize("method, cls", [("standard", StandardScaler), ("minmax", MinMaxScaler), ("robust", RobustScaler)])
def test_impute_then_scale_matches_sklearn_pipeline(train, test_rows, strategy, method, cls) -> None:
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    from mlprep.steps.scale import fit_impute_and_scale

    cols = ["amount", "f0", "f3", "f9"]  # f* have missing values
    state = fit_impute_and_scale(train.lazy(), impute=strategy, cols=cols, method=method)
    imputer = SimpleImputer(strategy=strategy.replace("-", "_"), fill_value=0.0 if strategy == "constant" else None)
    sk = make_pipeline(imputer, cls()).fit(_x(train, cols))
    scaled = _scaled(test_rows, state, cols)
    assert not np.isnan(scaled).any()
    _close(scaled, sk.transform(_x(test_rows, cols)))


def test_impute_then_scale_equals_the_two_steps() -> None:
    from mlprep.steps.impute import apply_impute, fit_impute
    from mlprep.steps.scale import fit_impute_and_scale

    frame = pl.DataFrame({"x": [1.5, None, 3.0, float("nan"), 10.0], "n": [4, None, None, 1, 2], "s": ["a", None, "b", "c", "d"]})
    fused = apply_scale(frame.lazy(), fit_impute_and_scale(frame.lazy(), impute="median")).collect()
    imputed = apply_impute(frame.lazy(), fit_impute(frame.lazy(), cols=["x", "n"], strategy="median")).collect()
    assert fused.equals(apply_scale(imputed.lazy(), fit_scale(imputed.lazy())).collect())
    for method in ("minmax", "robust"):
        fused = apply_scale(frame.lazy(), fit_impute_and_scale(frame.lazy(), impute="median", method=method)).collect()
        assert fused.equals(apply_scale(imputed.lazy(), fit_scale(imputed.lazy(), method=method)).collect())
    assert fused["s"].to_list() == frame["s"].to_list()  # non-numeric columns are left alone


def test_impute_then_scale_state_checks_input_dtypes_and_drops_all_null() -> None:
    from mlprep.steps.scale import fit_impute_and_scale

    frame = pl.DataFrame({"n": [1, None, 3], "empty": pl.Series([None, None, None], dtype=pl.Float64)})
    with pytest.raises(InputError, match="'empty'"):
        fit_impute_and_scale(frame.lazy(), impute="mean")
    state = fit_impute_and_scale(frame.lazy(), impute="mean", drop_all_null=True)
    assert state["columns"] == {"n": "Int64"}  # what later inputs must have, before imputing casts it
    assert apply_scale(frame.lazy(), state).collect().columns == ["n"]
    with pytest.raises(UsageError, match="--impute 'mode'"):
        fit_impute_and_scale(frame.lazy(), impute="mode")


@settings(max_examples=60, deadline=None)
@given(
    xs=st.lists(st.one_of(st.none(), st.just(float("nan")), st.floats(-1e6, 1e6, allow_nan=False)), min_size=1, max_size=40),
    strategy=st.sampled_from(["mean", "median", "most-frequent", "constant"]),
)
def test_property_fill_and_standardise_matches_sklearn_pipeline(xs: list, strategy: str) -> None:
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    from mlprep.steps.scale import fit_impute_and_scale

    frame = pl.DataFrame({"x": xs}, schema={"x": pl.Float64})
    assume(frame["x"].fill_nan(None).drop_nulls().len() > 0)
    state = fit_impute_and_scale(frame.lazy(), impute=strategy, method="standard")
    imputer = SimpleImputer(strategy=strategy.replace("-", "_"), fill_value=0.0 if strategy == "constant" else None)
    sk = make_pipeline(imputer, StandardScaler()).fit(_x(frame, ["x"]))
    _close(_scaled(frame, state, ["x"]), sk.transform(_x(frame, ["x"])))


@pytest.mark.parametrize("xs", [
    [0.0, 8.06776662826527e-150],  # found by the property above: the fixed-point scale passed 2**1000
    [1e-310, 3e-310, 2e-310],  # subnormal
    [5e-324, 0.0, 1e-323],
    [1e-200, 2e-200],
    [1e155, 3e155, -2e155],  # the squares pass the float limit
    [1e300, -1e300, 5e299],  # so does the variance: inf, a "constant" column for scikit-learn too
])
def test_standard_matches_sklearn_at_extreme_magnitudes(xs: list[float]) -> None:
    frame = pl.DataFrame({"x": xs})
    state = fit_scale(frame.lazy(), method="standard")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scikit-learn's own overflow warnings
        want = StandardScaler().fit_transform(_x(frame, ["x"]))
    np.testing.assert_allclose(_scaled(frame, state, ["x"]), want, rtol=1e-9, atol=0)


@pytest.mark.parametrize("drop_rows", [None, 0.5])
def test_impute_and_scale_report_equals_the_two_reports(drop_rows: float | None) -> None:
    from mlprep.steps.impute import apply_impute, impute_report
    from mlprep.steps.scale import fit_impute_and_scale, scale_report, scale_report_query

    train = pl.LazyFrame({"a": [1.0, None, 3.0, 4.0], "b": [None, 2, 2, 5], "k": ["x", "y", "z", "w"]})
    other = pl.LazyFrame({"a": [None, None, float("nan"), 8.0], "b": [1, None, None, None], "k": ["x", "y", "z", "w"]})
    state = fit_impute_and_scale(train, impute="median", cols=["a", "b"], method="standard")
    if drop_rows is not None:
        state["impute"]["drop_rows"] = drop_rows
    query, finish = scale_report_query(other, state)
    got = finish(query.collect().row(0, named=True))
    scaling = {k: v for k, v in state.items() if k != "impute"}
    assert got == {**scale_report(apply_impute(other, state["impute"]), scaling), "impute": impute_report(other, state["impute"])}
    assert got["impute"]["missing"] == {"a": 3, "b": 3}
