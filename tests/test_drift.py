"""Unit, oracle (scipy), statistical and property tests of mlprep.steps.drift."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlprep.errors import ColumnNotFoundError, InputError, UsageError
from mlprep.steps.drift import EPSILON, Thresholds, drift, ks_wasserstein, plan_columns, psi


SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "transactions.parquet"


def _by_column(result: dict) -> dict[str, dict]:
    return {c["column"]: c for c in result["columns"]}


def _hand_psi(ref: np.ndarray, cur: np.ndarray, bins: int = 10) -> float:
    """PSI as documented: numpy quantiles (linear), unique cut points, right-closed bins, epsilon."""
    breaks = np.unique(np.quantile(ref, [i / bins for i in range(1, bins)]))
    r = np.bincount(np.searchsorted(breaks, ref, side="left"), minlength=len(breaks) + 1) / len(ref)
    c = np.bincount(np.searchsorted(breaks, cur, side="left"), minlength=len(breaks) + 1) / len(cur)
    r, c = np.maximum(r, EPSILON), np.maximum(c, EPSILON)
    return float(np.sum((c - r) * np.log(c / r)))


@pytest.fixture(scope="module")
def halves() -> tuple[pl.DataFrame, pl.DataFrame]:
    df = pl.read_parquet(SAMPLE)
    mask = np.random.default_rng(2026).random(df.height) < 0.5
    return df.filter(pl.Series(mask)), df.filter(pl.Series(~mask))


# ---- oracles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_ref,n_cur,ties",
    [(40, 55, False), (3000, 2500, False), (12_000, 15_000, False), (20_000, 11_000, True)],
)  # scipy's exact KS p-value up to 10k values per side, its asymptotic one above; ties too
def test_numeric_statistics_match_scipy_and_hand_psi(n_ref: int, n_cur: int, ties: bool) -> None:
    rng = np.random.default_rng(n_ref)
    ref = rng.normal(0, 1, n_ref)
    cur = rng.normal(0.04, 1.1, n_cur)
    if ties:
        ref, cur = np.round(ref * 3), np.round(cur * 3)
    ref_col = [None, float("nan")] + ref.tolist()  # null and NaN are both missing
    cur_col = [float("nan")] * 3 + cur.tolist()
    out = _by_column(drift(pl.LazyFrame({"x": ref_col}), pl.LazyFrame({"x": cur_col})))["x"]
    ks = stats.ks_2samp(ref, cur)
    assert out["ks_statistic"] == pytest.approx(ks.statistic, abs=1e-12)
    assert out["ks_p_value"] == pytest.approx(ks.pvalue, rel=1e-9, abs=1e-300)
    w = stats.wasserstein_distance(ref, cur)
    assert out["wasserstein"] == pytest.approx(w, rel=1e-12)
    assert out["wasserstein_normed"] == pytest.approx(w / math.sqrt((ref.var() + cur.var()) / 2), rel=1e-12)
    assert out["psi"] == pytest.approx(_hand_psi(ref, cur), rel=1e-9)
    assert out["missing_rate_reference"] == pytest.approx(2 / (n_ref + 2))
    assert out["missing_rate_current"] == pytest.approx(3 / (n_cur + 3))
    table = [[2, n_ref], [3, n_cur]]
    assert out["missing_p_value"] == pytest.approx(stats.chi2_contingency(table).pvalue, rel=1e-12)


def test_psi_with_empty_bins_uses_documented_epsilon() -> None:
    ref = np.arange(100, dtype=float)
    cur = np.full(50, 1000.0)  # every current value lands in the last bin
    out = _by_column(drift(pl.LazyFrame({"x": ref}), pl.LazyFrame({"x": cur})))["x"]
    r = np.full(10, 0.1)
    c = np.array([EPSILON] * 9 + [1.0])
    assert out["psi"] == pytest.approx(float(np.sum((c - r) * np.log(c / r))), rel=1e-12)
    assert out["bins"]["current"] == [0] * 9 + [50]
    assert psi([1, 1], [0, 0]) is None


def test_integer_ties_deduplicate_cut_points() -> None:
    ref = pl.LazyFrame({"x": [0] * 95 + [1] * 5})
    cur = pl.LazyFrame({"x": [0] * 80 + [1] * 20})
    out = _by_column(drift(ref, cur))["x"]
    assert out["bins"]["breaks"] == [0.0]
    assert out["bins"]["reference"] == [95, 5] and out["bins"]["current"] == [80, 20]


def test_categorical_statistics_match_scipy() -> None:
    ref = ["a"] * 50 + ["b"] * 30 + ["c"] * 20 + [None] * 5
    cur = ["a"] * 30 + ["b"] * 30 + ["d"] * 15 + [None] * 10
    out = _by_column(drift(pl.LazyFrame({"k": ref}), pl.LazyFrame({"k": cur})))["k"]
    labels = out["categories"]["labels"]
    assert labels == ["a", "b", "c", "d"]  # by combined count, then value
    r = np.array([50, 30, 20, 0])
    c = np.array([30, 30, 0, 15])
    chi = stats.chi2_contingency(np.array([r, c]))
    assert out["chi2_statistic"] == pytest.approx(chi.statistic, rel=1e-12)
    assert out["chi2_p_value"] == pytest.approx(chi.pvalue, rel=1e-9)
    rs, cs = np.maximum(r / r.sum(), EPSILON), np.maximum(c / c.sum(), EPSILON)
    assert out["psi"] == pytest.approx(float(np.sum((cs - rs) * np.log(cs / rs))), rel=1e-12)
    assert [v["value"] for v in out["unseen"]["values"]] == ["d"]
    assert out["unseen"]["rows_share"] == pytest.approx(15 / 75)
    assert [v["value"] for v in out["vanished"]["values"]] == ["c"]
    assert out["missing_rate_change"] == pytest.approx(10 / 85 - 5 / 105)


def test_many_categories_are_pooled_into_other() -> None:
    ref = pl.LazyFrame({"k": [f"v{i % 50}" for i in range(1000)]})
    cur = pl.LazyFrame({"k": [f"v{i % 60}" for i in range(1000)]})
    out = _by_column(drift(ref, cur, max_categories=5))["k"]
    assert out["categories"]["labels"][-1] == "(other)" and len(out["categories"]["labels"]) == 6
    assert sum(out["categories"]["reference"]) == 1000
    assert out["unseen"]["count"] == 10


def test_boolean_and_categorical_dtypes_are_categorical() -> None:
    ref = pl.LazyFrame({"b": [True, False] * 50, "c": pl.Series(["x", "y"] * 50, dtype=pl.Categorical)})
    cur = pl.LazyFrame({"b": [True] * 90 + [False] * 10, "c": pl.Series(["x"] * 100, dtype=pl.Categorical)})
    out = _by_column(drift(ref, cur))
    assert out["b"]["kind"] == out["c"]["kind"] == "categorical"
    assert out["b"]["severity"] == "alert" and out["c"]["severity"] == "alert"


# ---- grading ------------------------------------------------------------------------------


def test_p_value_alone_never_alerts() -> None:
    rng = np.random.default_rng(1)
    ref = rng.normal(0, 1, 200_000)
    cur = rng.normal(0.03, 1, 200_000)  # significant on this much data, but a negligible effect
    out = _by_column(drift(pl.LazyFrame({"x": ref}), pl.LazyFrame({"x": cur})))["x"]
    assert out["ks_p_value"] < 1e-6
    assert out["severity"] == "ok" and out["reasons"] == []


def test_effect_size_without_significance_does_not_alert() -> None:
    ref = pl.LazyFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    cur = pl.LazyFrame({"x": [1.5, 2.5, 3.5, 4.5]})  # large PSI on 4 rows, KS p-value ~0.69
    out = _by_column(drift(ref, cur))["x"]
    assert out["psi"] > 0.25 and out["ks_p_value"] > 0.05
    assert out["severity"] == "ok"


def test_thresholds_change_the_grade() -> None:
    rng = np.random.default_rng(3)
    ref = pl.LazyFrame({"x": rng.normal(0, 1, 5000)})
    cur = pl.LazyFrame({"x": rng.normal(0.35, 1, 5000)})
    default = _by_column(drift(ref, cur))["x"]
    strict = _by_column(drift(ref, cur, thresholds=Thresholds(psi_warn=0.01, psi_alert=0.02, ks_warn=0.02, ks_alert=0.05, wasserstein_warn=0.02, wasserstein_alert=0.05)))["x"]
    assert default["severity"] == "warn", default["reasons"]
    assert strict["severity"] == "alert"
    with pytest.raises(UsageError, match="--psi-warn 0.3 and --psi-alert 0.2"):
        drift(ref, cur, thresholds=Thresholds(psi_warn=0.3, psi_alert=0.2))


def test_no_alert_on_two_random_halves_of_sample_data(halves) -> None:
    a, b = halves
    result = drift(a.lazy(), b.lazy(), target="is_fraud", time_col="event_time")
    assert result["alerts"] == 0 and result["warnings"] == 0, [(c["column"], c["reasons"]) for c in result["columns"] if c["reasons"]]
    assert {c["column"] for c in result["columns"]} == set(a.columns) - {"event_time"}
    assert max(c["psi"] for c in result["columns"]) < 0.02


def test_alert_on_shifted_copy_names_the_shifted_columns(halves) -> None:
    a, b = halves
    shifted = b.with_columns(
        pl.col("amount") * 2,
        pl.when(pl.col("category") == "travel").then(pl.lit("crypto")).otherwise(pl.col("category")).alias("category"),
        pl.col("f7").fill_null(0.0),
    )
    result = drift(a.lazy(), shifted.lazy(), time_col="event_time")
    by = _by_column(result)
    assert result["severity"] == "alert"
    assert by["amount"]["severity"] == "alert" and by["category"]["severity"] == "alert"
    assert by["category"]["unseen"]["values"][0]["value"] == "crypto"
    assert by["category"]["vanished"]["values"][0]["value"] == "travel"
    assert by["f7"]["severity"] in ("warn", "alert") and by["f7"]["missing_rate_change"] < 0
    assert {c["column"] for c in result["columns"] if c["severity"] != "ok"} == {"amount", "category", "f7"}
    assert [c["column"] for c in result["columns"]][:2] in (["category", "amount"], ["amount", "category"])  # most severe first


def test_label_shift_on_target(halves) -> None:
    a, b = halves
    fraud = b.filter(pl.col("is_fraud") == 1)
    boosted = pl.concat([b] + [fraud] * 15)  # fraud share from ~2% to ~25%
    by = _by_column(drift(a.lazy(), boosted.lazy(), cols=["amount"], target="is_fraud"))
    assert by["is_fraud"]["role"] == "target" and by["is_fraud"]["kind"] == "categorical"
    assert by["is_fraud"]["severity"] == "alert"


# ---- symmetry -----------------------------------------------------------------------------

SYMMETRIC_NUMERIC = ("ks_statistic", "ks_p_value", "wasserstein", "wasserstein_normed")
SYMMETRIC_CATEGORICAL = ("psi", "chi2_statistic", "chi2_p_value")


def _assert_symmetric(a: pl.DataFrame, b: pl.DataFrame) -> None:
    forward_result = drift(a.lazy(), b.lazy())
    json.dumps(forward_result, allow_nan=False)  # the --json report never holds NaN or inf
    forward = _by_column(forward_result)
    backward = _by_column(drift(b.lazy(), a.lazy()))
    for name, f in forward.items():
        g = backward[name]
        keys = SYMMETRIC_NUMERIC if f["kind"] == "numeric" else SYMMETRIC_CATEGORICAL
        for key in (*keys, "missing_p_value"):
            if f[key] is None:
                assert g[key] is None, (name, key)
            else:
                assert g[key] == pytest.approx(f[key], rel=1e-12, abs=1e-15), (name, key)
        if f["missing_rate_change"] is not None:
            assert g["missing_rate_change"] == pytest.approx(-f["missing_rate_change"], abs=1e-15)
        if f["kind"] == "categorical":
            assert f["unseen"]["count"] == g["vanished"]["count"]


def test_symmetric_metrics_on_sample_halves(halves) -> None:
    a, b = halves
    cols = ["amount", "f0", "f9", "category", "country", "merchant", "is_fraud"]
    _assert_symmetric(a.select(cols), b.select(cols).with_columns(pl.col("amount") * 1.2))


@settings(max_examples=30, deadline=None)
@given(
    x=st.lists(st.one_of(st.none(), st.floats(-50, 50, allow_nan=False)), min_size=1, max_size=40),
    y=st.lists(st.one_of(st.none(), st.floats(-50, 50, allow_nan=False)), min_size=1, max_size=40),
    k1=st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=40),
    k2=st.lists(st.sampled_from(["a", "b", "d", None]), min_size=1, max_size=40),
)
def test_symmetry_property(x, y, k1, k2) -> None:
    a = pl.DataFrame({"x": pl.Series(x, dtype=pl.Float64)})
    b = pl.DataFrame({"x": pl.Series(y, dtype=pl.Float64)})
    _assert_symmetric(a, b)
    _assert_symmetric(pl.DataFrame({"k": pl.Series(k1, dtype=pl.String)}), pl.DataFrame({"k": pl.Series(k2, dtype=pl.String)}))


# ---- windows ------------------------------------------------------------------------------


def test_windows_show_when_the_shift_began() -> None:
    rng = np.random.default_rng(11)
    start = dt.datetime(2025, 1, 1)
    n = 7000
    times = [start + dt.timedelta(hours=i) for i in range(n)]  # ~41.7 weeks
    values = rng.normal(0, 1, n)
    shift_from = start + dt.timedelta(weeks=20)
    values = np.where(np.array(times) >= np.datetime64(shift_from), values + 1.0, values)
    current = pl.LazyFrame({"t": times, "x": values}).with_columns(pl.col("t").cast(pl.Datetime("us")))
    reference = pl.LazyFrame({"x": rng.normal(0, 1, 5000)})
    result = drift(reference, current, cols=["x"], time_col="t", window=dt.timedelta(weeks=4))
    windows = result["windows"]
    assert [w["start"] for w in windows[:2]] == ["2025-01-01T00:00:00", "2025-01-29T00:00:00"]
    assert sum(w["rows"] for w in windows) == n
    assert [w["severity"] for w in windows[:5]] == ["ok"] * 5  # weeks 0-19
    assert all(w["severity"] == "alert" for w in windows[5:])  # weeks 20-
    assert result["severity"] == "alert"
    assert result["params"]["window"] == "4w"
    # each window equals a direct comparison with that window's rows
    w5 = windows[5]
    lo, hi = dt.datetime.fromisoformat(w5["start"]), dt.datetime.fromisoformat(w5["end"])
    direct = drift(reference, current.filter((pl.col("t") >= lo) & (pl.col("t") < hi)), cols=["x"], time_col="t")
    assert w5["columns"][0]["psi"] == pytest.approx(direct["columns"][0]["psi"], rel=1e-12)
    assert w5["columns"][0]["ks_p_value"] == pytest.approx(direct["columns"][0]["ks_p_value"], rel=1e-12)


def test_windows_for_categorical_columns_and_null_times() -> None:
    current = pl.LazyFrame({
        "t": [dt.date(2025, 1, 1), dt.date(2025, 1, 2), None, dt.date(2025, 1, 9), dt.date(2025, 1, 10)] * 40,
        "k": ["a", "a", "a", "b", "b"] * 40,
    })
    reference = pl.LazyFrame({"k": ["a"] * 100 + ["b"] * 5})
    result = drift(reference, current, time_col="t", window=dt.timedelta(days=7))
    assert [w["rows"] for w in result["windows"]] == [80, 80]  # null times are in no window
    assert result["windows"][0]["columns"][0]["severity"] == "ok"
    assert result["windows"][1]["columns"][0]["severity"] == "alert"


# ---- bad input ----------------------------------------------------------------------------


def test_window_needs_time_col() -> None:
    with pytest.raises(UsageError, match="--window needs --time-col"):
        drift(pl.LazyFrame({"x": [1.0]}), pl.LazyFrame({"x": [1.0]}), window=dt.timedelta(days=7))


def test_columns_absent_in_one_input_are_named() -> None:
    ref = pl.LazyFrame({"a": [1.0], "b": [1.0], "c": ["x"]})
    cur = pl.LazyFrame({"a": [1.0], "d": [2.0], "c": ["y"]})
    with pytest.raises(InputError, match=r"column 'b' only in REFERENCE 'r'; column 'd' only in CURRENT 'c'; pass --cols"):
        drift(ref, cur, reference_name="r", current_name="c")
    assert {c["column"] for c in drift(ref, cur, cols=["a", "c"])["columns"]} == {"a", "c"}
    with pytest.raises(ColumnNotFoundError, match=r"column 'b' \(from --cols\) not found in CURRENT"):
        drift(ref, cur, cols=["a", "b"])


def test_kind_mismatch_and_skipped_columns() -> None:
    with pytest.raises(InputError, match=r"column 'a' is Float64 in REFERENCE .* but String in CURRENT"):
        plan_columns(pl.Schema({"a": pl.Float64}), pl.Schema({"a": pl.String}))
    planned, skipped = plan_columns(pl.Schema({"a": pl.Float64, "t": pl.Datetime("us")}), pl.Schema({"a": pl.Int32, "t": pl.Datetime("us")}))
    assert planned == [("a", "numeric")] and skipped[0]["column"] == "t"


def test_constant_columns() -> None:
    same = _by_column(drift(pl.LazyFrame({"x": [1.0] * 100}), pl.LazyFrame({"x": [1.0] * 100})))["x"]
    assert same["severity"] == "ok" and same["wasserstein_normed"] == 0.0 and same["psi"] == 0.0
    moved = _by_column(drift(pl.LazyFrame({"x": [1.0] * 100}), pl.LazyFrame({"x": [2.0] * 100})))["x"]
    assert moved["severity"] == "alert" and moved["wasserstein"] == 1.0
    assert moved["wasserstein_normed"] is None  # infinite (zero spread on both sides): reported as null
    assert moved["ks_statistic"] == 1.0


@settings(max_examples=150, deadline=None)
@given(
    ref=st.lists(st.integers(-5, 5).map(float), min_size=1, max_size=300),
    cur=st.lists(st.integers(-6, 6).map(lambda x: x / 2), min_size=1, max_size=300),
)
def test_ks_wasserstein_from_a_presorted_reference_is_the_same_to_the_bit(ref: list[float], cur: list[float]) -> None:
    # the windows of --window reuse one sorted reference; ties across the two sides included
    reference, current = pl.Series(ref), pl.Series(cur)
    assert ks_wasserstein(reference, current, reference_sorted=reference.sort()) == ks_wasserstein(reference, current)


def test_windowed_drift_matches_each_window_compared_alone() -> None:
    rng = np.random.default_rng(3)
    start = dt.datetime(2025, 1, 1)
    ref = pl.DataFrame({"x": rng.normal(size=3000)})
    cur = pl.DataFrame({
        "x": np.concatenate([rng.normal(size=2000), rng.normal(0.5, size=2000)]),
        "t": [start + dt.timedelta(hours=i) for i in range(4000)],
    })
    report = drift(ref.lazy(), cur.lazy(), cols=["x"], time_col="t", window=dt.timedelta(days=30))
    assert len(report["windows"]) >= 2
    for window in report["windows"]:
        lo, hi = (dt.datetime.fromisoformat(window[k]) for k in ("start", "end"))
        alone = drift(ref.lazy(), cur.lazy().filter((pl.col("t") >= lo) & (pl.col("t") < hi)), cols=["x"])
        got, want = window["columns"][0], alone["columns"][0]
        for key in ("ks_statistic", "ks_p_value", "wasserstein", "psi"):
            assert got[key] == want[key], key


def test_ks_wasserstein_is_the_same_to_the_bit_whatever_the_threads() -> None:
    # a float sum over the sorted stack followed the sort's chunking, which varies run to run
    script = (
        "import numpy as np, polars as pl\n"
        "from mlprep.steps.drift import ks_wasserstein\n"
        "rng = np.random.default_rng(0)\n"
        "print(repr(ks_wasserstein(pl.Series(rng.normal(size=1_000_000)), pl.Series(rng.normal(0.01, size=1_000_000)))))\n"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script], env={**os.environ, "POLARS_MAX_THREADS": threads},
                       capture_output=True, text=True, check=True).stdout
        for threads in ("1", "2", "2", "2")
    }
    assert len(outputs) == 1, outputs


def test_ks_wasserstein_with_infinite_values_is_infinite_or_nan_not_an_error() -> None:
    inf = math.inf
    assert ks_wasserstein(pl.Series([1.0, inf]), pl.Series([1.0, 2.0]))[2] == inf
    assert ks_wasserstein(pl.Series([-inf, 1.0]), pl.Series([1.0, 2.0]))[2] == inf
    assert math.isnan(ks_wasserstein(pl.Series([1.0, inf]), pl.Series([1.0, inf]))[2])  # inf - inf
    assert ks_wasserstein(pl.Series([1.0, 3.0]), pl.Series([1.0, 2.0]))[2] == 0.5
