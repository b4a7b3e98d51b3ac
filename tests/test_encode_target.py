"""encode target against scikit-learn's TargetEncoder: transform, and fit_transform on the same folds."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import TargetEncoder

from mlprep.errors import ColumnNotFoundError, InputError, UsageError
from mlprep.steps.encode_target import apply_target, cross_fit_target, fit_target, target_folds

RNG = np.random.default_rng(11)
N = 500
CATS = list(RNG.choice(np.array(["a", "b", "c", "d", "é", "rare", None], dtype=object), size=N, p=[0.3, 0.25, 0.2, 0.1, 0.1, 0.01, 0.04]))
TEST = ["a", "never", None, "é", "rare"]
TARGETS = {
    "binary": RNG.integers(0, 2, N),
    "continuous": RNG.normal(3.0, 2.0, N),
    "multiclass": RNG.integers(0, 3, N),
}


def _sk(values: list) -> np.ndarray:
    return np.array(values, dtype=object).reshape(-1, 1)


def _splits(folds: np.ndarray, cv: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in range(cv)]


@pytest.mark.parametrize("smooth", ["auto", 0.0, 7.5])
@pytest.mark.parametrize("kind", ["binary", "continuous", "multiclass"])
def test_equals_sklearn_transform_and_fit_transform(kind: str, smooth) -> None:
    y = TARGETS[kind]
    train = pl.LazyFrame({"c": CATS, "y": y})
    cv, seed = 4, 3
    state = fit_target(train, cols=["c"], target="y", smooth=smooth, cv=cv, seed=seed)
    assert state["target_type"] == kind
    folds = target_folds(train, cv=cv, seed=seed).to_numpy()
    enc = TargetEncoder(smooth=smooth, cv=_splits(folds, cv))
    fit_x = enc.fit_transform(_sk(CATS), y)
    test_x = enc.transform(_sk(TEST))
    # transform: the full-train encodings, unseen → target mean
    ours_test = apply_target(pl.LazyFrame({"c": TEST}), state).collect().to_numpy()
    assert np.array_equal(ours_test, test_x)  # the very same floats, not merely close
    # fit_transform on the same folds: to 1e-9
    ours_train = cross_fit_target(train, state).collect()
    assert ours_train.columns[-1] == "y"
    np.testing.assert_allclose(ours_train.drop("y").to_numpy(), fit_x, rtol=0, atol=1e-9)
    if kind == "multiclass":
        assert ours_train.columns[:3] == ["c__target_0", "c__target_1", "c__target_2"]


def test_string_classes_and_continuous_type_detection() -> None:
    frame = pl.LazyFrame({"c": ["a", "b", "a", "b"], "y": ["cat", "dog", "emu", "cat"]})
    state = fit_target(frame, cols=["c"], target="y", cv=2)
    assert state["target_type"] == "multiclass" and state["classes"] == ["cat", "dog", "emu"]
    assert apply_target(frame, state).collect().columns == ["c__target_cat", "c__target_dog", "c__target_emu", "y"]
    assert fit_target(pl.LazyFrame({"c": ["a", "b"], "y": [1.0, 0.0]}), cols=["c"], target="y")["target_type"] == "binary"
    assert fit_target(pl.LazyFrame({"c": ["a", "b"], "y": [1.5, 0.0]}), cols=["c"], target="y")["target_type"] == "continuous"


def test_folds_are_keyed_and_deterministic() -> None:
    frame = pl.LazyFrame({"k": [5, 5, 7, 9, 7, 5] * 20, "x": range(120)})
    a = target_folds(frame, cv=5, seed=1).to_list()
    assert a == target_folds(frame, cv=5, seed=1).to_list()
    assert a != target_folds(frame, cv=5, seed=2).to_list()
    assert set(a) == set(range(5))
    keyed = pl.DataFrame({"k": frame.collect()["k"], "fold": target_folds(frame, cv=5, seed=1, fold_key="k")})
    assert keyed.group_by("k").agg(pl.col("fold").n_unique())["fold"].to_list() == [1, 1, 1]


def test_cross_fitting_prevents_label_leakage() -> None:
    """Labels independent of a high-cardinality key: the full fit leaks, the cross-fit does not."""
    rng = np.random.default_rng(0)
    n = 4000
    frame = pl.LazyFrame({"id": rng.integers(0, 1500, n).astype(str), "y": rng.integers(0, 2, n)})
    state = fit_target(frame, cols=["id"], target="y", smooth=1.0, cv=5, seed=0)
    y = frame.collect()["y"].to_numpy()
    leaky = apply_target(frame, state).collect()["id__target"].to_numpy()
    honest = cross_fit_target(frame, state).collect()["id__target"].to_numpy()
    assert np.corrcoef(leaky, y)[0, 1] > 0.4
    assert np.corrcoef(honest, y)[0, 1] < 0.1


def test_unseen_and_null_categories() -> None:
    train = pl.LazyFrame({"c": ["a", "a", "b", "b"], "y": [1.0, 3.0, 5.0, 7.0]})
    # integral floats are multiclass for scikit-learn's type_of_target: say continuous
    assert fit_target(train, cols=["c"], target="y", cv=2)["target_type"] == "multiclass"
    state = fit_target(train, cols=["c"], target="y", smooth=0.0, cv=2, target_type="continuous")
    out = apply_target(pl.LazyFrame({"c": ["a", "zzz", None]}), state, keep=True).collect()
    assert out.columns == ["c", "c__target"]
    assert out["c__target"].to_list() == [2.0, 4.0, 4.0]


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "match"),
    [
        (pl.LazyFrame({"c": ["a"], "y": [1]}), {"target": "label"}, ColumnNotFoundError, "column 'label' \\(from --target\\) not found"),
        (pl.LazyFrame({"c": ["a", "b"], "y": [1, None]}), {}, InputError, "target column 'y' has 1 null value"),
        (pl.LazyFrame({"c": ["a", "b"], "y": [1.0, float("nan")]}), {}, InputError, "NaN or infinite"),
        (pl.LazyFrame({"c": ["a"], "y": [1]}), {"cv": 1}, UsageError, "--cv 1 must be an integer of at least 2"),
        (pl.LazyFrame({"c": ["a"], "y": [1]}), {"smooth": -1.0}, UsageError, "--smooth -1.0 must be auto or a finite number >= 0"),
        (pl.LazyFrame({"c": ["a"], "y": [1]}), {"smooth": float("inf")}, UsageError, "--smooth inf must be"),
        (pl.LazyFrame({"c": [], "y": []}, schema={"c": pl.String, "y": pl.Int8}), {}, InputError, "has no rows"),
        (pl.LazyFrame({"c": ["a"], "y": [1]}), {"cols": ["y"]}, UsageError, "also in --cols"),
        (pl.LazyFrame({"c": ["a", "b", "c"], "y": [1, 2, 3]}), {"target_type": "binary"}, InputError, "not a binary target"),
    ],
)
def test_bad_input(frame: pl.LazyFrame, kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        fit_target(frame, **{"cols": ["c"], "target": "y", **kwargs})


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.floats(-1e6, 1e6, allow_nan=False)), min_size=2, max_size=60),
    smooth=st.sampled_from(["auto", 0.0, 0.3, 25.0]),
)
def test_property_transform_is_bit_identical_to_sklearn(rows, smooth) -> None:
    cats, y = [r[0] for r in rows], np.array([r[1] for r in rows], dtype=np.float64)
    assume(len(set(y)) > 2 and np.any(y != np.round(y)))  # a continuous target for both
    state = fit_target(pl.LazyFrame({"c": cats, "y": y}), cols=["c"], target="y", smooth=smooth)
    enc = TargetEncoder(smooth=smooth, target_type="continuous").fit(_sk(cats), y)
    probe = ["a", "b", "c", None, "unseen"]
    assert np.array_equal(apply_target(pl.LazyFrame({"c": probe}), state).collect().to_numpy(), enc.transform(_sk(probe)))
