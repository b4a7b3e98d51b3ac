"""bin: edges and bin indices against scikit-learn's KBinsDiscretizer, and invariants."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import KBinsDiscretizer

from mlprep.errors import InputError, UsageError
from mlprep.steps.binning import apply_bin, bin_labels, fit_bin


def _kbd(x: np.ndarray, bins: int, strategy: str) -> KBinsDiscretizer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KBinsDiscretizer(n_bins=bins, encode="ordinal", strategy=strategy, subsample=None, quantile_method="averaged_inverted_cdf").fit(x)


@pytest.mark.parametrize("strategy", ["quantile", "uniform", "kmeans"])
def test_matches_kbins_on_sample(sample_frame: pl.DataFrame, strategy: str) -> None:
    train = sample_frame.head(5_000).select("amount", "f0").drop_nulls()
    test = sample_frame.tail(3000).select("amount", "f0").drop_nulls()
    state = fit_bin(train.lazy(), bins=6, strategy=strategy)
    sk = _kbd(train.to_numpy(), 6, strategy)
    for i, c in enumerate(["amount", "f0"]):
        np.testing.assert_allclose(state["edges"][c], sk.bin_edges_[i], rtol=1e-9)
    ours = apply_bin(test.lazy(), state).collect()
    assert ours.schema == pl.Schema({"amount": pl.Int32, "f0": pl.Int32})
    np.testing.assert_array_equal(ours.to_numpy(), sk.transform(test.to_numpy()).astype(int))


def test_quantile_removes_narrow_bins_with_a_warning() -> None:
    frame = pl.LazyFrame({"x": [0.0] * 8 + [1.0, 2.0]})
    state = fit_bin(frame, bins=4)
    sk = _kbd(np.array([[0.0] * 8 + [1.0, 2.0]]).T, 4, "quantile")
    assert state["edges"]["x"] == list(sk.bin_edges_[0])
    assert "narrower than 1e-8" in state["warnings"][0]


def test_constant_column_gets_one_bin() -> None:
    state = fit_bin(pl.LazyFrame({"x": [2.0, 2.0]}), bins=3)
    assert apply_bin(pl.LazyFrame({"x": [1.0, 2.0, 5.0]}), state).collect()["x"].to_list() == [0, 0, 0]


def test_fixed_edges_labels_out_of_range_and_missing() -> None:
    state = fit_bin(pl.LazyFrame({"a": [1, 2]}), edges={"a": [0, 10, 100]}, labels=True)
    assert state["edges"] == {"a": [0.0, 10.0, 100.0]}
    out = apply_bin(pl.LazyFrame({"a": [-5, 0, 10, 99, 500, None]}), state).collect()["a"].to_list()
    assert out == ["(-inf, 10)", "(-inf, 10)", "[10, inf)", "[10, inf)", "[10, inf)", None]
    assert bin_labels([0, 1.5, 3, 4]) == ["(-inf, 1.5)", "[1.5, 3)", "[3, inf)"]


def test_nan_and_null_stay_missing_integers_allowed() -> None:
    state = fit_bin(pl.LazyFrame({"x": [0.0, 1.0, 2.0, 3.0, float("nan"), None]}), bins=2, strategy="uniform")
    assert state["edges"]["x"] == [0.0, 1.5, 3.0]
    assert apply_bin(pl.LazyFrame({"x": [float("nan"), None, 1.5]}), state).collect()["x"].to_list() == [None, None, 1]


def test_errors() -> None:
    with pytest.raises(UsageError, match="--edges for 'a' must be at least two strictly increasing"):
        fit_bin(pl.LazyFrame({"a": [1.0]}), edges={"a": [3, 1]})
    with pytest.raises(InputError, match="column 's' .* not numeric"):
        fit_bin(pl.LazyFrame({"s": ["x"]}), cols=["s"])
    with pytest.raises(UsageError, match="--bins 1 must be at least 2"):
        fit_bin(pl.LazyFrame({"a": [1.0]}), bins=1)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=40), st.integers(2, 6), st.sampled_from(["quantile", "uniform"]))
def test_property_matches_kbins(xs: list[float], bins: int, strategy: str) -> None:
    assume(max(xs) - min(xs) > 1e-3)
    x = np.array(xs).reshape(-1, 1)
    state = fit_bin(pl.LazyFrame({"x": xs}), bins=bins, strategy=strategy)
    sk = _kbd(x, bins, strategy)
    np.testing.assert_allclose(state["edges"]["x"], sk.bin_edges_[0], rtol=1e-9, atol=1e-12)
    out = apply_bin(pl.LazyFrame({"x": xs}), state).collect()["x"].to_numpy()
    np.testing.assert_array_equal(out, sk.transform(x).ravel().astype(int))
    assert out.min() >= 0 and out.max() <= len(state["edges"]["x"]) - 2
