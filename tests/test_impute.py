"""impute: fitted fill values against scikit-learn's SimpleImputer, and invariants."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.impute import SimpleImputer

from mlprep.errors import InputError, UsageError
from mlprep.steps.impute import apply_impute, fit_impute, impute, impute_plan

COLS = ["amount", "f0", "f5", "f9"]


def _oracle(frame: pl.DataFrame, cols: list[str], strategy: str, **kw) -> tuple[np.ndarray, np.ndarray]:
    x = frame.select(pl.col(cols).cast(pl.Float64).fill_null(float("nan"))).to_numpy()
    imp = SimpleImputer(strategy=strategy, **kw).fit(x)
    return imp.statistics_, imp.transform(x)


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent"])
def test_matches_simple_imputer_on_sample(sample_frame: pl.DataFrame, strategy: str) -> None:
    frame = sample_frame.head(20_000)
    if strategy == "most_frequent":  # make ties and repeats likely
        frame = frame.with_columns(pl.col(COLS).round(1))
    state = fit_impute(frame.lazy(), cols=COLS, strategy=strategy.replace("_", "-"))
    stats, expected = _oracle(frame, COLS, strategy)
    np.testing.assert_allclose([state["fill"][c] for c in COLS], stats, rtol=1e-9, atol=0)
    out = apply_impute(frame.lazy(), state).collect()
    np.testing.assert_allclose(out.select(COLS).to_numpy(), expected, rtol=1e-9, atol=0)


def test_constant_matches_simple_imputer(sample_frame: pl.DataFrame) -> None:
    frame = sample_frame.head(5000)
    state = fit_impute(frame.lazy(), cols=COLS, strategy="constant", fill_value="-1.5")
    _, expected = _oracle(frame, COLS, "constant", fill_value=-1.5)
    np.testing.assert_array_equal(apply_impute(frame.lazy(), state).collect().select(COLS).to_numpy(), expected)


def test_most_frequent_tie_goes_to_smallest_value() -> None:
    frame = pl.DataFrame({"x": [3.0, 3.0, 1.0, 1.0, None, 2.0], "s": ["b", "b", "a", "a", None, "c"]})
    state = fit_impute(frame.lazy(), strategy="most-frequent")
    assert state["fill"] == {"x": 1.0, "s": "a"}
    x = np.array([[3.0], [3.0], [1.0], [1.0], [np.nan], [2.0]])
    assert SimpleImputer(strategy="most_frequent").fit(x).statistics_[0] == 1.0
    s = np.array([["b"], ["b"], ["a"], ["a"], [None], ["c"]], dtype=object)
    assert SimpleImputer(strategy="most_frequent", missing_values=None).fit(s).statistics_[0] == "a"


def test_null_and_nan_are_both_missing_by_default() -> None:
    frame = pl.LazyFrame({"x": [1.0, None, float("nan"), 3.0]})
    state = fit_impute(frame, strategy="mean", indicator=True)
    assert state["fill"] == {"x": 2.0}
    out = apply_impute(frame, state).collect()
    assert out["x"].to_list() == [1.0, 2.0, 2.0, 3.0]
    assert out["x__missing"].to_list() == [False, True, True, False]


def test_nan_not_missing_keeps_nan() -> None:
    frame = pl.LazyFrame({"x": [1.0, None, float("nan"), 4.0]})
    state = fit_impute(frame, strategy="median", nan_missing=False)
    out = apply_impute(frame, state).collect()["x"].to_list()
    assert out[1] == state["fill"]["x"] and math.isnan(out[2])


def test_integers_become_float64_strings_keep_their_type() -> None:
    frame = pl.LazyFrame({"i": [1, None, 4], "s": ["a", None, "a"], "b": [True, None, True]})
    out = impute(frame, strategy="most-frequent").collect()
    assert out.schema == pl.Schema({"i": pl.Float64, "s": pl.String, "b": pl.Boolean})
    assert out.rows() == [(1.0, "a", True), (1.0, "a", True), (4.0, "a", True)]


def test_indicator_for_every_imputed_column_even_without_missing_values() -> None:
    train = pl.LazyFrame({"x": [1.0, 2.0], "y": [None, 5.0]})
    state = fit_impute(train, indicator=True)
    out = apply_impute(pl.LazyFrame({"x": [None, 2.0], "y": [1.0, 2.0]}), state).collect()
    assert out.columns == ["x", "y", "x__missing", "y__missing"]
    assert out["x"].to_list() == [1.5, 2.0]


def test_strategy_for_overrides_and_adds_columns() -> None:
    schema = pl.Schema({"a": pl.Float64, "b": pl.Float64, "s": pl.String})
    assert impute_plan(schema, strategy="median", strategy_for={"b": "mean", "s": "constant"}) == {"a": "median", "b": "mean", "s": "constant"}


def test_drop_cols_and_drop_rows_are_fitted_then_reported() -> None:
    train = pl.LazyFrame({"a": [1.0, None, None, None], "b": [1.0, None, 3.0, 4.0], "c": [1.0, 2.0, None, 4.0]})
    state = fit_impute(train, drop_cols=0.5, drop_rows=0.0, strategy="mean")
    assert list(state["dropped"]) == ["a"]
    out = apply_impute(train, state).collect()
    assert out.columns == ["b", "c"] and out.rows() == [(1.0, 1.0), (4.0, 4.0)]
    assert state["fill"] == {"b": 2.5, "c": 2.5}  # fitted on the rows that were kept


def test_all_null_column_fails_or_is_dropped() -> None:
    train = pl.LazyFrame({"x": [1.0, 2.0], "empty": pl.Series([None, None], dtype=pl.Float64)})
    with pytest.raises(InputError, match="column 'empty' .* no non-missing value.*--drop-all-null"):
        fit_impute(train)
    state = fit_impute(train, drop_all_null=True)
    assert apply_impute(train, state).collect().columns == ["x"]


def test_mean_of_non_numeric_column_is_refused() -> None:
    with pytest.raises(InputError, match="column 's' .* String, not numeric"):
        fit_impute(pl.LazyFrame({"s": ["a", None]}), cols=["s"], strategy="median")


def test_bad_fill_value_and_threshold() -> None:
    with pytest.raises(UsageError, match="--fill-value 'abc' is not a number"):
        fit_impute(pl.LazyFrame({"x": [1.0, None]}), strategy="constant", fill_value="abc")
    with pytest.raises(UsageError, match="--drop-rows 1.5 must be a fraction"):
        fit_impute(pl.LazyFrame({"x": [1.0, None]}), drop_rows=1.5)


values = st.one_of(st.none(), st.just(float("nan")), st.integers(-4, 4).map(float), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=1, max_size=25), st.sampled_from(["mean", "median", "most_frequent"]))
def test_property_oracle_and_no_missing_left(rows: list[tuple], strategy: str) -> None:
    frame = pl.DataFrame({"a": [r[0] for r in rows], "b": [r[1] for r in rows]}, schema={"a": pl.Float64, "b": pl.Float64})
    present = frame.select(pl.all().fill_nan(None).count()).row(0)
    assume(all(present))
    state = fit_impute(frame.lazy(), strategy=strategy.replace("_", "-"))
    stats, expected = _oracle(frame, ["a", "b"], strategy)
    np.testing.assert_allclose([state["fill"]["a"], state["fill"]["b"]], stats, rtol=1e-9, atol=1e-300)
    out = apply_impute(frame.lazy(), state).collect()
    assert out.height == frame.height
    assert out.select(pl.all().is_null().sum() + pl.all().is_nan().sum()).row(0) == (0, 0)
    np.testing.assert_allclose(out.to_numpy(), expected, rtol=1e-9, atol=1e-300)


def test_fitted_mean_is_independent_of_thread_count(tmp_path) -> None:
    """Float sums depend on the order batches arrive in; the fitted mean and std must not."""
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    path = tmp_path / "big.parquet"
    pl.DataFrame({"x": rng.normal(3.0, 2.0, 400_000), "y": rng.lognormal(0, 1, 400_000)}).write_parquet(path, row_group_size=20_000)
    code = (
        "import json, polars as pl; from mlprep.steps.impute import fit_impute; from mlprep.steps.scale import fit_scale;"
        f"lf = pl.scan_parquet({str(path)!r});"
        "print(json.dumps([fit_impute(lf)['fill'], fit_scale(lf)['stats']]))"
    )
    outs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"POLARS_MAX_THREADS": str(t), "PATH": ""}).stdout
        for t in (1, 3)
    }
    assert len(outs) == 1


@pytest.mark.parametrize("step", ["impute", "scale"])
def test_batched_reports_equal_separate_reports(step: str) -> None:
    """fit_and_apply's batched reports (train's from the fit pass) equal a separate report per input."""
    from mlprep.fitting import _reports, get_transform

    transform = get_transform(step)
    train = pl.LazyFrame({"a": [0.5, None, 2.0, float("nan"), 8.0], "b": [1, None, 3, 4, 4]})
    other = pl.LazyFrame({"a": [None, None, 1.0], "b": [None, 2, 2]})
    params = {"cols": ["a", "b"], "strategy": "median"} if step == "impute" else {"cols": ["a", "b"], "method": "standard"}
    state = dict(transform.fit(train, params))
    known = state.pop("_report_row")
    assert known, "the fit pass should hand its aggregates to the report"

    class Data:
        def __init__(self, frame):
            self.frame, self.name = frame, "x"

    batched = _reports(transform, [Data(train), Data(other)], state, params, known)
    assert batched == [transform.report(f, state, params) for f in (train, other)]
