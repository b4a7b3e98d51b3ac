"""Unit, oracle, statistical and property tests of mlprep.steps.sample."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlprep.errors import ColumnNotFoundError, InputError, UsageError
from mlprep.keyed import KEYED_SCHEME
from mlprep.steps.sample import (
    allocate,
    parse_target_dist,
    pps_probabilities,
    sample_bernoulli,
    sample_cluster,
    sample_importance,
    sample_random,
    sample_reservoir,
    sample_size,
    sample_stratified,
    sample_systematic,
    sample_weighted,
    successive_probabilities,
)


def ids(sample) -> list[int]:
    frame = sample.frame.lazy().collect()
    return frame["id"].to_list()


def frame(n: int = 1000, seed: int = 0) -> pl.LazyFrame:
    rng = np.random.default_rng(seed)
    return pl.LazyFrame({
        "id": np.arange(n),
        "y": (rng.random(n) < 0.1).astype(np.int8),
        "g": rng.integers(0, 50, n),
        "x": rng.normal(size=n),
        "w": rng.exponential(size=n),
    })


# ---------------------------------------------------------------------------------------------
# sizes and allocation


def test_sample_size_rounds_half_up_and_validates():
    assert sample_size(None, 0.1, 55) == 6
    assert sample_size(5, None, 10) == 5
    assert sample_size(15, None, 10, replace=True) == 15
    with pytest.raises(UsageError, match="either -n or --frac, not both"):
        sample_size(5, 0.1, 10)
    with pytest.raises(UsageError, match="give the sample size"):
        sample_size(None, None, 10)
    with pytest.raises(UsageError, match="-n must be a positive"):
        sample_size(0, None, 10)
    with pytest.raises(UsageError, match=r"-n 11 exceeds the 10 rows of the input; lower -n, or pass --replace"):
        sample_size(11, None, 10, can_replace=True)
    with pytest.raises(UsageError, match=r"-n 11 exceeds the 10 rows of the input; lower -n$"):
        sample_size(11, None, 10)
    for bad in (0.0, -0.5, 1.5, float("nan")):
        with pytest.raises(UsageError, match=r"--frac must be in \(0, 1\]"):
            sample_size(None, bad, 10)


def test_allocate_largest_remainder_matches_sklearn_stratified_split():
    """scikit-learn's stratified split rounds class counts by largest remainder too."""
    from sklearn.model_selection import train_test_split

    sizes = [523, 311, 166]
    y = np.repeat([0, 1, 2], sizes)
    for n in (100, 37, 251):
        _, test = train_test_split(y, test_size=n, stratify=y, random_state=0)
        expected = np.bincount(test, minlength=3).tolist()
        alloc, capped = allocate(sizes, n)
        assert alloc == expected and sum(alloc) == n and capped == []


def test_allocate_min_per_stratum_and_capping():
    alloc, capped = allocate([980, 15, 5], 100, min_per_stratum=10)
    assert alloc == [80, 10, 5] or alloc == [85, 10, 5]
    assert sum(alloc) == 100 and alloc[2] == 5
    # equal: 20 each, but stratum 2 has 5 rows; re-split 55 over two, and stratum 1 has 15
    alloc, capped = allocate([980, 15, 5], 60, shares=[1, 1, 1])
    assert alloc == [40, 15, 5] and capped == [1, 2]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=8), st.floats(0.01, 1.0), st.sampled_from(["prop", "equal"]))
def test_allocate_totals_exactly_n_and_respects_sizes(sizes, frac, kind):
    total = sum(sizes)
    if total == 0:
        return
    n = max(1, round(frac * total))
    shares = None if kind == "prop" else [1.0] * len(sizes)
    alloc, _ = allocate(sizes, n, shares=shares)
    assert sum(alloc) == n
    assert all(0 <= a <= s for a, s in zip(alloc, sizes))
    if kind == "prop":  # each share off by less than one row (rounding only)
        assert all(abs(a - n * s / total) < 1 for a, s in zip(alloc, sizes))


# ---------------------------------------------------------------------------------------------
# random and reservoir


def test_random_exact_size_sorted_and_deterministic():
    lf = frame()
    a = ids(sample_random(lf, n=100, seed=3))
    assert len(a) == 100 == len(set(a)) and a == sorted(a)
    assert a == ids(sample_random(lf, n=100, seed=3))
    assert a != ids(sample_random(lf, n=100, seed=4))


def test_reservoir_equals_random_and_is_batch_size_invariant():
    lf = frame(2000)
    expected = ids(sample_random(lf, n=50, seed=11))
    for batch in (7, 64, 500, 5000):
        assert ids(sample_reservoir(lf, n=50, seed=11, batch_rows=batch, rows=2000)) == expected
    assert ids(sample_reservoir(lf, n=50, seed=11, batch_rows=300)) == expected  # streaming batches, no row count
    positions = sample_reservoir(lf, n=50, seed=11, rows=2000)  # bottom-k from the row count, one streaming pass
    assert positions.report["path"] == "positions" and ids(positions) == expected


@pytest.mark.parametrize("method", ["random", "reservoir"])
def test_uniform_inclusion_no_early_or_late_bias(method):
    """Counts of chosen positions per decile over 100 seeds: chi-square against uniform.

    A reservoir that favours early or late rows (e.g. replacing with probability n/i off by one
    batch) moves mass between deciles and fails this at p < 0.001.
    """
    n_rows, n, seeds = 1000, 100, 100
    lf = pl.LazyFrame({"id": np.arange(n_rows)})
    counts = np.zeros(10)
    for seed in range(seeds):
        s = sample_random(lf, n=n, seed=seed) if method == "random" else sample_reservoir(lf, n=n, seed=seed, batch_rows=300, rows=n_rows)
        chosen = np.asarray(ids(s))
        counts += np.bincount(chosen // 100, minlength=10)
    assert counts.sum() == seeds * n
    assert stats.chisquare(counts).pvalue > 0.001
    assert abs(counts[:5].sum() / counts.sum() - 0.5) < 0.03


def test_random_with_replacement_counts_and_hansen_hurwitz_weights():
    lf = frame(100)
    s = sample_random(lf, n=500, replace=True, seed=1, weights=True).frame.collect()
    assert s.height == 500
    assert s["id"].to_list() == sorted(s["id"].to_list())
    assert s["design_weight"].sum() == pytest.approx(100)
    assert s["inclusion_prob"][0] == pytest.approx(1 - (1 - 1 / 100) ** 500)
    # each row drawn ~Binomial(500, 1/100): chi-square on draw counts per row
    counts = s["id"].value_counts()["count"].to_numpy()
    assert counts.max() < 20 and s["id"].n_unique() > 95


def test_key_col_makes_the_draw_independent_of_row_order():
    lf = frame(500)
    shuffled = lf.collect().sample(fraction=1.0, shuffle=True, seed=5).lazy()
    for fn in (lambda f: sample_random(f, n=40, key_col="id", seed=2),
               lambda f: sample_reservoir(f, n=40, key_col="id", seed=2, batch_rows=50),
               lambda f: sample_bernoulli(f, p=0.1, key_col="id", seed=2),
               lambda f: sample_stratified(f, by=["y"], n=40, key_col="id", seed=2)):
        assert sorted(ids(fn(lf))) == sorted(ids(fn(shuffled)))


# ---------------------------------------------------------------------------------------------
# stratified


def test_stratified_exact_counts_proportional_equal_and_nulls():
    y = [0] * 700 + [1] * 250 + [None] * 50
    lf = pl.LazyFrame({"id": range(1000), "y": y})
    s = sample_stratified(lf, by=["y"], frac=0.1, seed=0)
    out = s.frame.collect()
    counts = dict(out.group_by("y").len().iter_rows())
    assert counts == {0: 70, 1: 25, None: 5}
    assert [st["sampled"] for st in s.report["strata"]] == [70, 25, 5]
    assert s.report["strata"][2]["stratum"] == {"y": None}
    assert out["id"].to_list() == sorted(out["id"].to_list())
    e = sample_stratified(lf, by=["y"], n=90, allocation="equal", seed=0).frame.collect()
    assert dict(e.group_by("y").len().iter_rows()) == {0: 30, 1: 30, None: 30}


def test_stratified_small_stratum_warns_reallocates_or_strict_errors():
    lf = pl.LazyFrame({"y": [0] * 990 + [1] * 10})
    s = sample_stratified(lf, by=["y"], n=100, allocation="equal")
    assert [st["sampled"] for st in s.report["strata"]] == [90, 10]
    assert s.warnings and "fewer rows than their allocation" in s.warnings[0]
    with pytest.raises(InputError, match="--strict"):
        sample_stratified(lf, by=["y"], n=100, allocation="equal", strict=True)


def test_stratified_neyman_allocation_follows_spread():
    rng = np.random.default_rng(0)
    lf = pl.LazyFrame({"s": [0] * 500 + [1] * 500, "v": np.r_[rng.normal(0, 1, 500), rng.normal(0, 3, 500)]})
    std = lf.collect().group_by("s").agg(pl.col("v").std()).sort("s")["v"].to_list()
    s = sample_stratified(lf, by=["s"], n=200, allocation="neyman", neyman_col="v")
    got = [st["sampled"] for st in s.report["strata"]]
    assert sum(got) == 200
    assert got[0] == pytest.approx(200 * std[0] / sum(std), abs=1)


def test_stratified_within_stratum_uniform_over_seeds():
    """Chosen rows of the minority stratum spread uniformly over its positions (no head bias)."""
    lf = pl.LazyFrame({"id": range(2000), "y": [0, 1] * 1000})
    counts = np.zeros(10)
    for seed in range(60):
        out = sample_stratified(lf, by=["y"], n=100, seed=seed).frame.collect()
        counts += np.bincount(out.filter(pl.col("y") == 1)["id"].to_numpy() // 200, minlength=10)
    assert counts.sum() == 60 * 50
    assert stats.chisquare(counts).pvalue > 0.001


def test_stratified_design_weights_recover_population_size_and_total():
    lf = frame(5000)
    out = sample_stratified(lf, by=["g"], frac=0.2, seed=1, weights=True).frame.collect()
    assert out["design_weight"].sum() == pytest.approx(5000)
    truth = lf.collect()["x"].sum()
    est = (out["x"] * out["design_weight"]).sum()
    assert abs(est - truth) < 0.05 * 5000  # SE of the HT total is about 0.02·N here


def test_stratified_multiple_columns_and_errors():
    lf = frame(300)
    s = sample_stratified(lf, by=["y", "g"], frac=0.5)
    assert s.report["rows_out"] == 150
    with pytest.raises(ColumnNotFoundError, match=r"column 'gg' \(from --by\).*did you mean 'g'"):
        sample_stratified(lf, by=["gg"], n=5, where="'t.parquet'")
    with pytest.raises(UsageError, match="--neyman-col"):
        sample_stratified(lf, by=["g"], n=5, allocation="neyman")


# ---------------------------------------------------------------------------------------------
# weighted


def test_weighted_follows_weights_and_never_draws_zero():
    n_rows = 40_000
    w = np.where(np.arange(n_rows) % 2 == 0, 1.0, 3.0)
    w[:1000] = 0.0
    lf = pl.LazyFrame({"id": np.arange(n_rows), "w": w})
    for design in ("successive", "pps"):
        out = sample_weighted(lf, weight_col="w", n=1000, seed=4, design=design).frame.collect()
        assert out.height == 1000 and out["id"].min() >= 1000
        heavy = (out["w"] == 3.0).mean()
        assert 0.71 < heavy < 0.79, (design, heavy)  # ignoring weights gives 0.5
    out = sample_weighted(lf, weight_col="w", n=4000, seed=4, replace=True).frame.collect()
    assert out.height == 4000 and out["id"].min() >= 1000
    assert 0.72 < (out["w"] == 3.0).mean() < 0.78


def test_weighted_first_draw_probability_proportional_to_weight():
    """With n=1 Efraimidis–Spirakis picks row i with probability w_i/Σw: chi-square over seeds."""
    w = np.array([1.0, 2.0, 3.0, 4.0])
    lf = pl.LazyFrame({"id": range(4), "w": w})
    hits = np.zeros(4)
    for seed in range(400):
        hits[ids(sample_weighted(lf, weight_col="w", n=1, seed=seed))[0]] += 1
    assert stats.chisquare(hits, 400 * w / w.sum()).pvalue > 0.001
    assert hits[3] > 2 * hits[0]  # ignoring the weights gives equal counts


def test_pps_and_successive_probabilities():
    w = pl.Series([10.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    assert pps_probabilities(w, 2).to_list() == [1.0, 0.25, 0.25, 0.25, 0.25, 0.0]
    assert pps_probabilities(pl.Series([100.0, 50.0, 1.0, 1.0]), 3).to_list() == [1.0, 1.0, 0.5, 0.5]
    assert pps_probabilities(pl.Series([1.0, 1.0, 2.0]), 3).to_list() == [1.0, 1.0, 1.0]
    rng = np.random.default_rng(0)
    pi = pps_probabilities(pl.Series(rng.lognormal(0, 2, 1000)), 100)
    assert float(pi.sum()) == pytest.approx(100) and float(pi.max()) == 1.0
    pi = successive_probabilities(pl.Series(np.linspace(0.1, 2, 50)), 10)
    assert float(pi.sum()) == pytest.approx(10)
    assert (pi.diff().drop_nulls() > 0).all()


def test_weighted_design_weights_recover_known_totals():
    rng = np.random.default_rng(7)
    n_rows = 20_000
    size = rng.lognormal(0, 0.7, n_rows)
    y = 3 * size + rng.normal(0, 0.3, n_rows)
    lf = pl.LazyFrame({"size": size, "y": y})
    truth = y.sum()
    for design, tol in (("pps", 0.01), ("successive", 0.02)):
        out = sample_weighted(lf, weight_col="size", n=1000, seed=2, design=design, weights=True).frame.collect()
        est = (out["y"] * out["design_weight"]).sum()
        assert abs(est / truth - 1) < tol, design
        assert out["design_weight"].sum() == pytest.approx(n_rows, rel=0.1)
    out = sample_weighted(lf, weight_col="size", n=1000, seed=2, replace=True, weights=True).frame.collect()
    assert abs((out["y"] * out["design_weight"]).sum() / truth - 1) < 0.01


def test_weighted_bad_weights_name_count_and_first_row():
    for bad, shown in ((-1.0, "-1.0"), (None, "None"), (float("nan"), "nan"), (float("inf"), "inf")):
        lf = pl.LazyFrame({"w": [1.0, 2.0, 1.0, bad, bad, 1.0]})
        with pytest.raises(InputError, match=rf"has 2 invalid weights .* first at row 3 \(0-based\) with value {shown}"):
            sample_weighted(lf, weight_col="w", n=2)
    lf = pl.LazyFrame({"w": [0.0, 0.0, 1.0, 2.0]})
    with pytest.raises(UsageError, match="-n 3 exceeds the 2 rows .* positive 'w'"):
        sample_weighted(lf, weight_col="w", n=3)


# ---------------------------------------------------------------------------------------------
# bernoulli, systematic, cluster


def test_bernoulli_rate_and_weights():
    lf = frame(20_000)
    s = sample_bernoulli(lf, p=0.1, seed=9, weights=True)
    out = s.frame.collect()
    assert out.height == s.report["rows_out"]
    assert abs(out.height - 2000) < 4 * math.sqrt(20_000 * 0.1 * 0.9)
    assert (out["design_weight"] == 10.0).all()
    with pytest.raises(UsageError, match=r"--p must be a probability in \(0, 1\]"):
        sample_bernoulli(lf, p=0.0)


def test_systematic_every_kth_row_and_exact_inclusion():
    lf = pl.LazyFrame({"id": range(103)})
    out = ids(sample_systematic(lf, n=10, seed=1))
    assert len(out) == 10
    gaps = np.diff(out)
    assert set(gaps.tolist()) <= {10, 11}
    hits = np.zeros(103)
    for seed in range(300):
        hits[ids(sample_systematic(lf, n=10, seed=seed))] += 1
    assert stats.chisquare(hits).pvalue > 0.001


def test_cluster_keeps_whole_groups():
    lf = frame(3000)
    s = sample_cluster(lf, by=["g"], n=5, seed=3, weights=True)
    out = s.frame.collect()
    chosen = out["g"].unique()
    assert chosen.len() == 5 == s.report["groups_sampled"] and s.report["groups"] == 50
    full = lf.collect()
    assert out.height == full.filter(pl.col("g").is_in(chosen.implode())).height
    assert (out["design_weight"] == 10.0).all()
    with pytest.raises(UsageError, match="-n 51 exceeds the 50 groups"):
        sample_cluster(lf, by=["g"], n=51)


# ---------------------------------------------------------------------------------------------
# importance


def test_importance_target_dist_recovers_target_mean():
    rng = np.random.default_rng(3)
    n_rows = 50_000
    y = (rng.random(n_rows) < 0.1).astype(np.int64)
    x = rng.normal(10 * y, 1.0)
    lf = pl.LazyFrame({"y": y, "x": x})
    s = sample_importance(lf, n=5000, target_dist=("y", {"0": 0.5, "1": 0.5}), seed=1)
    out = s.frame.collect()
    assert out["importance_weight"].mean() == pytest.approx(1.0)
    weighted_mean = (out["x"] * out["importance_weight"]).sum() / out["importance_weight"].sum()
    # SE ≈ 0.2 (the sample's class mix is binomial); 3 SE, while the unweighted mean is ≈ 1.0
    assert abs(weighted_mean - 5.0) < 0.6
    assert 0 < s.report["effective_sample_size"] < 5000
    assert s.report["keyed_scheme"] == KEYED_SCHEME


def test_importance_target_dist_errors():
    lf = pl.LazyFrame({"y": [0, 0, 1]})
    with pytest.raises(InputError, match="value '2' does not occur in column 'y'"):
        sample_importance(lf, target_dist=("y", {"0": 0.5, "2": 0.5}))
    with pytest.raises(UsageError, match="sum to 0.9, not 1"):
        sample_importance(lf, target_dist=("y", {"0": 0.5, "1": 0.4}))
    with pytest.raises(UsageError, match="COL=value:prob"):
        parse_target_dist("y")


def test_importance_reference_density_ratio_recovers_reference_mean():
    rng = np.random.default_rng(5)
    src = pl.LazyFrame({"x": rng.normal(0, 1, 20_000), "z": rng.normal(0, 1, 20_000)})
    ref = pl.LazyFrame({"x": rng.normal(1, 1, 20_000), "z": rng.normal(0, 1, 20_000)})
    s = sample_importance(src, n=5000, reference=ref, features=["x", "z"], seed=0, fit_rows=10_000, folds=3)
    out = s.frame.collect()
    wmean = (out["x"] * out["importance_weight"]).sum() / out["importance_weight"].sum()
    assert abs(wmean - 1.0) < 0.15  # unweighted ≈ 0
    assert 0.72 < s.report["cv_auc"] < 0.80  # theory: Φ(1/√2) ≈ 0.76
    same = sample_importance(src, n=500, reference=src, features=["x"], seed=0, fit_rows=5000, folds=3)
    assert abs(same.report["cv_auc"] - 0.5) < 0.05
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # OpenMP on a shared, busy machine is slow to synchronise
        hgb = sample_importance(src, n=500, reference=ref, features=["x", "z"], classifier="hgb", seed=0, fit_rows=1500, folds=3)
    assert 0.68 < hgb.report["cv_auc"] < 0.82


# ---------------------------------------------------------------------------------------------
# properties


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 300), st.integers(0, 2**32), st.data())
def test_every_fixed_size_design_returns_n_distinct_rows_in_order(n_rows, seed, data):
    n = data.draw(st.integers(1, n_rows))
    lf = pl.LazyFrame({"id": range(n_rows), "y": [i % 3 for i in range(n_rows)], "w": [1.0 + i % 5 for i in range(n_rows)]})
    for s in (sample_random(lf, n=n, seed=seed), sample_reservoir(lf, n=n, seed=seed, batch_rows=17, rows=n_rows),
              sample_stratified(lf, by=["y"], n=n, seed=seed), sample_weighted(lf, weight_col="w", n=n, seed=seed),
              sample_systematic(lf, n=n, seed=seed)):
        got = ids(s)
        assert len(got) == n == len(set(got)) and got == sorted(got) and s.report["rows_out"] == n


@pytest.mark.parametrize(
    "draw",
    [
        lambda lf: sample_random(lf, n=2000, seed=1, weights=True),
        lambda lf: sample_systematic(lf, n=2000, seed=1, weights=True),
        lambda lf: sample_bernoulli(lf, p=0.2, seed=1, weights=True),
        lambda lf: sample_cluster(lf, by=["g"], n=25, seed=1, weights=True),
        lambda lf: sample_reservoir(lf, n=2000, seed=1, weights=True, batch_rows=999),
    ],
    ids=["random", "systematic", "bernoulli", "cluster", "reservoir"],
)
def test_design_weights_recover_known_totals(draw):
    """Horvitz–Thompson: Σ design_weight·y estimates the population total of y (here 10,000·E[y])."""
    rng = np.random.default_rng(11)
    n_rows = 10_000
    g = rng.integers(0, 50, n_rows)
    y = 5.0 + rng.normal(0, 1, n_rows) + 0.02 * g
    lf = pl.LazyFrame({"g": g, "y": y})
    out = draw(lf).frame.lazy().collect()
    est = (out["y"] * out["design_weight"]).sum()
    assert abs(est / y.sum() - 1) < 0.02
    assert abs(out["design_weight"].sum() / n_rows - 1) < 0.1
    assert ((out["inclusion_prob"] > 0) & (out["inclusion_prob"] <= 1)).all()


def test_frac_above_one_only_with_replace():
    lf = frame(100)
    assert sample_random(lf, frac=2.0, replace=True).frame.collect().height == 200
    with pytest.raises(UsageError, match=r"--frac must be in \(0, 1\], got 2.0"):
        sample_random(lf, frac=2.0)


def test_new_columns_must_not_exist_already():
    lf = pl.LazyFrame({"design_weight": [1.0, 2.0]})
    with pytest.raises(InputError, match="already has a column 'design_weight'"):
        sample_random(lf, n=1, weights=True)
    assert sample_random(lf, n=1).frame.collect().height == 1


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 400), st.integers(1, 500), st.integers(0, 2**31), st.booleans())
def test_reservoir_same_rows_whatever_the_batch_size(n_rows, batch, seed, by_key):
    lf = pl.LazyFrame({"id": range(n_rows), "k": [i * 7 % 13 for i in range(n_rows)]})
    n = max(1, n_rows // 3)
    key = "k" if by_key else None
    expected = ids(sample_random(lf, n=n, seed=seed, key_col=key))
    assert ids(sample_reservoir(lf, n=n, seed=seed, key_col=key, batch_rows=batch, rows=n_rows)) == expected
