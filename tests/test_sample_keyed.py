"""The numpy keyed hashes equal the polars expressions bit for bit (samples depend on it)."""

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlprep.keyed import (bottom_k_positions, keyed_u64, keyed_u64_numpy, keyed_u64_positions, keyed_uniform,
                          keyed_uniform_numpy)
from mlprep.steps.sample import bottom_k_by_key

SEEDS = [0, 1, 7, -3, 42, 2**31 - 1, 2**63 + 5, -(2**40), 123456789]


@pytest.mark.parametrize("seed", SEEDS)
def test_numpy_keys_equal_the_polars_expression(seed):
    start = 2**33 - 1000 if seed % 2 else 0  # positions past 2**32 too
    ref = (
        pl.LazyFrame().select(pl.int_range(start, start + 20_000, dtype=pl.Int64).cast(pl.UInt64).alias("p"))
        .select(keyed_u64(seed, pl.col("p")).alias("k"), keyed_uniform(seed, pl.col("p")).alias("u")).collect()
    )
    got = keyed_u64_positions(seed, start, start + 20_000)
    assert got.dtype == np.uint64
    np.testing.assert_array_equal(got, ref["k"].to_numpy())
    np.testing.assert_array_equal(keyed_uniform_numpy(got), ref["u"].to_numpy())
    np.testing.assert_array_equal(keyed_u64_numpy(seed, np.arange(start, start + 20_000, dtype=np.uint64)), got)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=50), st.integers(-(2**63), 2**64 - 1))
def test_numpy_keys_equal_polars_on_arbitrary_keys(keys, seed):
    ref = pl.DataFrame({"k": pl.Series(keys, dtype=pl.UInt64)}).lazy().select(keyed_u64(seed, pl.col("k"))).collect().to_series()
    np.testing.assert_array_equal(keyed_u64_numpy(seed, np.array(keys, dtype=np.uint64)), ref.to_numpy())


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3000), st.integers(1, 3000), st.integers(1, 700), st.integers(0, 2**32))
def test_chunked_bottom_k_equals_a_polars_bottom_k(rows, k, chunk, seed):
    k = min(k, rows)
    keys = pl.LazyFrame().select(pl.int_range(rows, dtype=pl.UInt64).alias("p")).with_columns(keyed_u64(seed, pl.col("p")).alias("k"))
    expected = keys.bottom_k(k, by="k").collect()["p"].sort().to_numpy()
    np.testing.assert_array_equal(bottom_k_positions(seed, rows, k, chunk=chunk), expected)
    # a threshold far too low forces the exact fallback over every key
    np.testing.assert_array_equal(bottom_k_positions(seed, rows, k, chunk=chunk, margin=-1e9), expected)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=200), st.integers(1, 200), st.integers(1, 50))
def test_bottom_k_by_key_breaks_ties_by_position(keys, k, chunk):
    """Many equal keys: the result must be exactly bottom_k(by=[key, position])."""
    k = min(k, len(keys))
    values = np.array(keys, dtype=np.float64)
    expected = pl.DataFrame({"k": values, "p": np.arange(len(keys))}).bottom_k(k, by=["k", "p"])["p"].sort().to_numpy()
    chunks = ((values[s : s + chunk], np.arange(s, min(len(keys), s + chunk))) for s in range(0, len(keys), chunk))
    np.testing.assert_array_equal(bottom_k_by_key(chunks, k), expected)


def _reference_weighted(lf, w, n, seed, design, key_col=None):
    """The polars-expression formulation of weighted bottom-k (keys as in the scheme)."""
    from mlprep.keyed import key_to_u64
    from mlprep.steps.sample import pps_probabilities

    data = lf.with_row_index("i").collect()
    base = pl.col("i").cast(pl.UInt64) if key_col is None else key_to_u64(pl.col(key_col), data.schema[key_col])
    u = keyed_uniform(seed, base)
    if design == "successive":
        key = -(1.0 - u).log() / pl.col(w)
    else:
        data = data.with_columns(pps_probabilities(data[w], n).alias("pi"))
        pi = pl.col("pi")
        key = pl.when(pi >= 1).then(pl.lit(0.0)).otherwise((u / (1.0 - u)) / (pi / (1.0 - pi)))
    return data.lazy().filter(pl.col(w) > 0).with_columns(key.alias("k")).bottom_k(n, by=["k", "i"]).collect()["i"].sort().to_list()


@pytest.mark.parametrize("design", ["successive", "pps"])
@pytest.mark.parametrize("key_col", [None, "g"])
def test_chunked_weighted_and_random_equal_the_polars_formulation(monkeypatch, design, key_col):
    """Tiny chunks, many zero and tied weights: the numpy paths pick exactly the expression's rows."""
    import mlprep.steps.sample as sample

    monkeypatch.setattr(sample, "_CHUNK", 97)
    rng = np.random.default_rng(3)
    rows = 3000
    lf = pl.LazyFrame({"id": np.arange(rows), "w": rng.choice([0.0, 0.5, 1.0, 3.0, 1e-300], rows), "g": rng.integers(0, 400, rows)})
    for seed, n in [(0, 1), (1, 50), (7, 900)]:
        got = sample.sample_weighted(lf, weight_col="w", n=n, seed=seed, design=design, key_col=key_col).frame.collect()["id"].to_list()
        assert got == _reference_weighted(lf, "w", n, seed, design, key_col)
        expected = lf.with_row_index("i").with_columns(keyed_u64(seed, pl.col("i").cast(pl.UInt64)).alias("k")).bottom_k(n, by="k").collect()
        assert sample.sample_random(lf, n=n, seed=seed).frame.collect()["id"].to_list() == sorted(expected["id"].to_list())
