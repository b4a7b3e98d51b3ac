"""encode onehot / ordinal / count / frequency against scikit-learn, plus the fitted-step contract."""

from __future__ import annotations

import itertools
import json
import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from mlprep.errors import ColumnNotFoundError, InputError, UsageError
from mlprep.fitting import TRANSFORMS, get_transform
from mlprep.steps.encode import (
    Lookup,
    apply_counts,
    apply_onehot,
    apply_ordinal,
    fit_counts,
    fit_onehot,
    fit_ordinal,
    join_lookups,
    report_onehot,
    report_vocabulary,
)

RNG = np.random.default_rng(7)
TRAIN = list(RNG.choice(np.array(["a", "b", "c", "d", "e", "f", "ü", None], dtype=object), size=300, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03]))
TEST = ["a", "zz", None, "f", "e", "ü", "unseen"]


def _sk(values: list) -> np.ndarray:
    return np.array(values, dtype=object).reshape(-1, 1)


def _as_matrix(frame: pl.DataFrame, rows: int) -> np.ndarray:
    return frame.to_numpy() if frame.width else np.empty((rows, 0))


@pytest.mark.parametrize(
    ("min_frequency", "max_categories", "drop"),
    list(itertools.product([None, 5, 30, 0.05, 0.2], [None, 1, 2, 4], [None, "first", "if_binary"])),
)
def test_onehot_equals_sklearn(min_frequency, max_categories, drop) -> None:
    enc = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=min_frequency, max_categories=max_categories, drop=drop, sparse_output=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about unknown categories at transform
        fit_x = enc.fit_transform(_sk(TRAIN))
        test_x = enc.transform(_sk(TEST))
    state = fit_onehot(pl.LazyFrame({"c": TRAIN}), cols=["c"], min_frequency=min_frequency, max_categories=max_categories, drop=drop)
    train_out = apply_onehot(pl.LazyFrame({"c": TRAIN}), state).collect()
    test_out = apply_onehot(pl.LazyFrame({"c": TEST}), state).collect()
    assert np.array_equal(_as_matrix(train_out, len(TRAIN)), fit_x)
    assert np.array_equal(_as_matrix(test_out, len(TEST)), test_x)
    # names: sklearn's c_<v> / c_None / c_infrequent_sklearn are ours c=<v> / c__null / c__infrequent
    names = [n.replace("c_infrequent_sklearn", "c__infrequent").replace("c_None", "c__null") for n in enc.get_feature_names_out(["c"])]
    names = [n if n.startswith("c__") else "c=" + n[2:] for n in names]
    assert train_out.columns == names


def test_onehot_unseen_goes_to_infrequent_or_zeros_and_is_reported() -> None:
    train = pl.LazyFrame({"c": ["a", "a", "a", "b", "c"]})
    test = pl.LazyFrame({"c": ["a", "new", "new", "b", None]})
    with_rare = fit_onehot(train, cols=["c"], min_frequency=2)
    out = apply_onehot(test, with_rare).collect()
    assert out.columns == ["c=a", "c__infrequent"]
    assert out.rows() == [(1, 0), (0, 1), (0, 1), (0, 1), (0, 1)]
    report = report_onehot(test, with_rare)["columns"]["c"]
    assert report == {"categories": 3, "output_columns": 2, "infrequent_categories": 2, "unseen_values": 2, "unseen_rows": 3, "unseen_to": "infrequent"}
    plain = fit_onehot(train, cols=["c"])
    assert apply_onehot(test, plain).collect().rows() == [(1, 0, 0), (0, 0, 0), (0, 0, 0), (0, 1, 0), (0, 0, 0)]
    assert report_onehot(test, plain)["columns"]["c"]["unseen_to"] == "all zeros"


@pytest.mark.parametrize("method", ["onehot", "ordinal", "count"])
def test_reports_of_a_run_count_unseen_values_per_input(method: str, tmp_path) -> None:
    from mlprep.fitting import fit_and_apply, get_transform

    pl.DataFrame({"c": ["a", "a", "b", None]}).write_parquet(tmp_path / "train.parquet")
    pl.DataFrame({"c": ["a", "new", "new", None, "other"]}).write_parquet(tmp_path / "test.parquet")
    params = {"cols": ["c"]}
    _, manifests, _ = fit_and_apply(get_transform(f"encode.{method}"), params, [str(tmp_path / "train.parquet"), str(tmp_path / "test.parquet")],
                                    out_dir=str(tmp_path / "out"), allow_leakage=True)
    train_report, test_report = (m.report["columns"]["c"] for m in manifests)
    assert (train_report["unseen_values"], train_report["unseen_rows"]) == (0, 0)  # taken from fit, not a second pass
    assert (test_report["unseen_values"], test_report["unseen_rows"]) == (2, 3)  # null was a train category (ordinal codes it)
    state = manifests[0].state
    again = report_onehot(pl.scan_parquet(tmp_path / "test.parquet"), state) if method == "onehot" else report_vocabulary(pl.scan_parquet(tmp_path / "test.parquet"), state)
    assert again["columns"]["c"] == test_report


def test_unseen_null_counts_as_a_value_when_train_had_none() -> None:
    report = report_onehot(pl.LazyFrame({"c": ["a", None, None, "z"]}), fit_onehot(pl.LazyFrame({"c": ["a"]}), cols=["c"]))["columns"]["c"]
    assert (report["unseen_values"], report["unseen_rows"]) == (2, 3)


def test_onehot_numeric_column_is_cast_to_text() -> None:
    out = apply_onehot(pl.LazyFrame({"n": [1, 2, 1]}), fit_onehot(pl.LazyFrame({"n": [1, 2, 1]}), cols=["n"])).collect()
    assert out.columns == ["n=1", "n=2"] and out.schema["n=1"] == pl.UInt8


def test_onehot_refuses_colliding_output_names() -> None:
    frame = pl.LazyFrame({"c": ["a", "b"], "c=a": [1, 2]})
    state = fit_onehot(frame, cols=["c"])
    with pytest.raises(InputError, match="would add column 'c=a', but the input already has a column of that name"):
        apply_onehot(frame, state).collect()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_frequency": 0}, "--min-frequency 0 must be a count >= 1"),
        ({"min_frequency": 1.5}, "--min-frequency 1.5 must be"),
        ({"max_categories": 0}, "--max-categories 0 must be at least 1"),
        ({"drop": "last"}, "--drop 'last' must be first or if-binary"),
    ],
)
def test_onehot_bad_options(kwargs: dict, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        fit_onehot(pl.LazyFrame({"c": ["a"]}), cols=["c"], **kwargs)


def test_ordinal_lexical_equals_sklearn() -> None:
    train = [np.nan if v is None else v for v in TRAIN]
    test = [np.nan if v is None else v for v in TEST]
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2)
    fit_x, test_x = enc.fit_transform(_sk(train)), enc.transform(_sk(test))
    state = fit_ordinal(pl.LazyFrame({"c": TRAIN}), cols=["c"])
    assert np.array_equal(apply_ordinal(pl.LazyFrame({"c": TRAIN}), state).collect().to_numpy(), fit_x)
    assert np.array_equal(apply_ordinal(pl.LazyFrame({"c": TEST}), state).collect().to_numpy(), test_x)
    kept = fit_ordinal(pl.LazyFrame({"c": TRAIN}), cols=["c"], nulls="keep")
    out = apply_ordinal(pl.LazyFrame({"c": TEST}), kept).collect()["c__ordinal"]
    assert out.dtype == pl.Int32 and out.to_list()[2] is None


def test_ordinal_by_frequency_breaks_ties_lexically() -> None:
    state = fit_ordinal(pl.LazyFrame({"c": ["b", "c", "c", "a", "b", "d", None, None, None]}), cols=["c"], order="frequency")
    assert state["encoders"]["c"]["categories"] == ["b", "c", "a", "d"]
    out = apply_ordinal(pl.LazyFrame({"c": ["c", "x", None]}), state).collect()["c__ordinal"].to_list()
    assert out == [1, -1, -2]


def test_count_and_frequency() -> None:
    train = pl.LazyFrame({"c": ["a", "a", "b", None, "a"], "x": [1, 2, 3, 4, 5]})
    state = fit_counts(train, cols=["c"])
    test = pl.LazyFrame({"c": ["a", "b", None, "new"], "x": [0, 0, 0, 0]})
    counts = apply_counts(test, state).collect()
    assert counts.columns == ["c__count", "x"] and counts.schema["c__count"] == pl.Int64
    assert counts["c__count"].to_list() == [3, 1, 1, 0]
    freq = apply_counts(test, state, normalize=True, keep=True).collect()
    assert freq.columns == ["c", "c__frequency", "x"]
    assert freq["c__frequency"].to_list() == [0.6, 0.2, 0.2, 0.0]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "é", ""])), min_size=1, max_size=40))
def test_property_counts_sum_to_rows_and_onehot_rows_sum_to_one(values: list) -> None:
    frame = pl.LazyFrame({"c": values}, schema={"c": pl.String})
    counts = apply_counts(frame, fit_counts(frame, cols=["c"])).collect()["c__count"]
    assert counts.min() >= 1
    distinct = pl.DataFrame({"c": values, "n": counts}, schema={"c": pl.String, "n": pl.Int64}).unique()
    assert distinct["n"].sum() == len(values)
    onehot = apply_onehot(frame, fit_onehot(frame, cols=["c"])).collect()
    assert onehot.sum_horizontal().to_list() == [1] * len(values)


def test_missing_and_nested_columns_are_refused() -> None:
    frame = pl.LazyFrame({"category": ["a"], "tags": [["x"]]})
    with pytest.raises(ColumnNotFoundError, match="column 'categroy' .* did you mean 'category'"):
        fit_counts(frame, cols=["categroy"])
    with pytest.raises(InputError, match="column 'tags' of the input is List"):
        fit_ordinal(frame, cols=["tags"])


ENCODE_STEPS = sorted(s for s in TRANSFORMS if s.startswith("encode."))
PARAMS = {
    "encode.hash": {"cols": ["c"], "cross": [["c", "d"]], "n_features": 16, "form": "sparse"},
    "encode.onehot": {"cols": ["c", "d"], "min_frequency": 2},
    "encode.ordinal": {"cols": ["c", "d"], "order": "frequency"},
    "encode.count": {"cols": ["c", "d"]},
    "encode.frequency": {"cols": ["c", "d"]},
    "encode.target": {"cols": ["c", "d"], "target": "y", "cv": 3},
}


@pytest.mark.parametrize("step", ENCODE_STEPS)
def test_contract_every_registered_encoder(step: str) -> None:
    """State survives JSON; apply with the round-tripped state gives the same; input unchanged."""
    transform = get_transform(step)
    assert transform.step == step
    train = pl.DataFrame({"c": ["a", "b", "a", None, "c", "a"], "d": [1, 2, 2, 1, 1, 3], "y": [0, 1, 0, 1, 1, 0]})
    test = pl.DataFrame({"c": ["a", "zz", None], "d": [2, 9, 1], "y": [0, 0, 1]})
    before = train.clone()
    params = PARAMS[step]
    state = transform.fit(train.lazy(), params)
    restored = json.loads(json.dumps(state, allow_nan=False))
    assert set(restored["columns"]) >= set(params["cols"])
    first = transform.apply(test.lazy(), state, params).collect()
    assert first.equals(transform.apply(test.lazy(), restored, params).collect())
    assert first.height == test.height
    if transform.fit_output is not None:
        own = transform.fit_output(train.lazy(), restored, params).collect()
        assert own.height == train.height and own.columns == transform.apply(train.lazy(), state, params).collect().columns
    assert train.equals(before)
    assert "c" not in first.columns  # originals are dropped by default


def test_lookup_join_keeps_row_order_maps_null_and_defaults_the_rest(tmp_path) -> None:
    # several row groups, read by the streaming engine: the join must give back input order
    keys = RNG.choice(np.array(["a", "b", "c", None], dtype=object), size=200_000)
    path = tmp_path / "keys.parquet"
    pl.DataFrame({"k": pl.Series(keys, dtype=pl.String), "pos": np.arange(keys.size)}).write_parquet(path, row_group_size=10_000)
    frame, [[code, name]] = join_lookups(
        pl.scan_parquet(path), [(pl.col("k"), ["b", None, "a"], [Lookup([1, 2, 0], -1, pl.Int32), Lookup(["B", None, "A"], "?", pl.String)])]
    )
    out = frame.select("pos", code.alias("code"), name.alias("name")).collect(engine="streaming")
    assert out["pos"].to_list() == list(range(keys.size))
    expected_code = {"a": 0, "b": 1, None: 2, "c": -1}
    assert out["code"].to_list() == [expected_code[k] for k in keys]
    # a category mapped to null stays null; text in no category gets the default
    assert out["name"].to_list() == [{"a": "A", "b": "B", None: None, "c": "?"}[k] for k in keys]


def test_lookup_join_refuses_repeated_categories() -> None:
    with pytest.raises(ValueError, match="distinct"):
        join_lookups(pl.LazyFrame({"k": ["a"]}), [(pl.col("k"), ["a", "a"], [Lookup([1, 2], 0, pl.Int64)])])
