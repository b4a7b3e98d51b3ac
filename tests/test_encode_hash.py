"""encode hash: bit-compatibility with scikit-learn's FeatureHasher, golden vectors, collisions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction import FeatureHasher
from sklearn.utils import murmurhash3_32

from mlprep.errors import ColumnNotFoundError, InputError, StateError, UsageError
from mlprep.steps.encode_hash import HASH, HASH_SCHEME, bucket_and_sign, encode_hash, hash_report, murmur32_signed

GOLDEN = Path(__file__).parent / "data" / "encode_hash_golden.json"

FRAME = pl.DataFrame(
    {
        "merchant": ["m1", "m2", None, "héllo", "日本", "m1", None, "🙂 x"],
        "country": ["FR", None, None, "DE", "Ünï", "FR", "FR", ""],
        "other": list(range(8)),
    }
)


def _dicts(frame: pl.DataFrame, cols: list[str]) -> list[dict[str, str]]:
    """FeatureHasher's dict input: a null is an absent key."""
    return [{c: row[c] for c in cols if row[c] is not None} for row in frame.select(cols).to_dicts()]


def _tokens(frame: pl.DataFrame, cols: list[str], cross: list[list[str]]) -> list[list[str]]:
    """FeatureHasher's string input with the documented cross token a=va^b=vb."""
    out = []
    for row in frame.to_dicts():
        toks = [f"{c}={row[c]}" for c in cols if row[c] is not None]
        for group in cross:
            if all(row[c] is not None for c in group):
                toks.append("^".join(f"{c}={row[c]}" for c in group))
        out.append(toks)
    return out


def test_golden_vectors_pin_the_scheme() -> None:
    doc = json.loads(GOLDEN.read_text())
    assert doc["scheme"] == HASH_SCHEME
    tokens = pl.DataFrame({"t": [v["token"] for v in doc["vectors"]]})
    h = tokens.select(murmur32_signed(pl.col("t")))["t"].to_list()
    assert h == [v["murmur3_32"] for v in doc["vectors"]]
    for n in (16, 1024, 2**20):
        bucket, sign = bucket_and_sign(pl.col("t"), n)
        got = tokens.select(bucket.alias("b"), sign.alias("s"))
        assert got["b"].to_list() == [v[f"bucket_{n}"] for v in doc["vectors"]]
        assert got["s"].to_list() == [v[f"sign_{n}"] for v in doc["vectors"]]


@pytest.mark.parametrize("alternate_sign", [True, False])
@pytest.mark.parametrize("n_features", [1, 7, 16, 1024])
def test_dense_and_sparse_equal_feature_hasher(n_features: int, alternate_sign: bool) -> None:
    cols = ["merchant", "country"]
    expected = FeatureHasher(n_features=n_features, input_type="dict", alternate_sign=alternate_sign).transform(_dicts(FRAME, cols))
    dense = encode_hash(FRAME.lazy(), cols=cols, n_features=n_features, alternate_sign=alternate_sign, form="dense").collect()
    assert dense.columns == ["other", *[f"hash_{j}" for j in range(n_features)]]
    assert dense.drop("other").schema == pl.Schema({f"hash_{j}": pl.Float64 for j in range(n_features)})
    assert np.array_equal(dense.drop("other").to_numpy(), expected.toarray())
    sparse = encode_hash(FRAME.lazy(), cols=cols, n_features=n_features, alternate_sign=alternate_sign, form="sparse").collect()
    assert sparse.schema["hash"] == pl.List(pl.Struct({"index": pl.UInt32, "value": pl.Float64}))
    for i, row in enumerate(sparse["hash"].to_list()):
        span = slice(expected.indptr[i], expected.indptr[i + 1])
        assert [e["index"] for e in row] == expected.indices[span].tolist()
        assert [e["value"] for e in row] == expected.data[span].tolist()


@pytest.mark.parametrize("alternate_sign", [True, False])
def test_index_form_equals_feature_hasher_per_column(alternate_sign: bool) -> None:
    n = 2**20
    out = encode_hash(FRAME.lazy(), cols=["merchant", "country"], n_features=n, alternate_sign=alternate_sign).collect()
    assert out.columns == ["merchant__hash", "merchant__sign", "country__hash", "country__sign", "other"]
    assert out.schema["merchant__hash"] == pl.UInt32 and out.schema["merchant__sign"] == pl.Int8
    for col in ("merchant", "country"):
        for value, bucket, sign in zip(FRAME[col], out[f"{col}__hash"], out[f"{col}__sign"]):
            if value is None:
                assert bucket is None and sign is None  # a null contributes nothing
                continue
            x = FeatureHasher(n_features=n, input_type="dict", alternate_sign=alternate_sign).transform([{col: value}])
            assert (bucket, sign) == (int(x.indices[0]), int(x.data[0]))


@pytest.mark.parametrize("form", ["index", "dense", "sparse"])
def test_crosses_equal_feature_hasher_on_documented_tokens(form: str) -> None:
    n = 32
    cross = [["merchant", "country"]]
    expected = FeatureHasher(n_features=n, input_type="string").transform(_tokens(FRAME, ["merchant"], cross))
    out = encode_hash(FRAME.lazy(), cols=["merchant"], cross=cross, n_features=n, form=form).collect()
    if form == "index":
        assert out.columns[-2:] == ["merchant^country__hash", "merchant^country__sign"]
        assert "country" in out.columns  # a column used only in a cross is kept
        both = FRAME["merchant"].is_not_null() & FRAME["country"].is_not_null()
        assert out["merchant^country__hash"].is_null().to_list() == (~both).to_list()
        row = 0
        x = FeatureHasher(n_features=n, input_type="string").transform([["merchant=m1^country=FR"]])
        assert (out["merchant^country__hash"][row], out["merchant^country__sign"][row]) == (x.indices[0], x.data[0])
    elif form == "dense":
        assert np.array_equal(out.select(pl.col("^hash_.*$")).to_numpy(), expected.toarray())
    else:
        for i, row in enumerate(out["hash"].to_list()):
            span = slice(expected.indptr[i], expected.indptr[i + 1])
            assert [(e["index"], e["value"]) for e in row] == list(zip(expected.indices[span].tolist(), expected.data[span].tolist()))


def test_numbers_booleans_and_dates_hash_as_their_documented_text() -> None:
    import datetime as dt

    frame = pl.DataFrame({"i": [1, -20], "f": [1.0, 2.5], "b": [True, False], "d": [dt.date(2025, 1, 2), dt.date(1999, 12, 31)]})
    texts = {"i": ["1", "-20"], "f": ["1.0", "2.5"], "b": ["true", "false"], "d": ["2025-01-02", "1999-12-31"]}
    rows = [{c: texts[c][r] for c in texts} for r in range(2)]
    expected = FeatureHasher(n_features=64, input_type="dict").transform(rows).toarray()
    got = encode_hash(frame.lazy(), cols=list(texts), n_features=64, form="dense").collect().to_numpy()
    assert np.array_equal(got, expected)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=20), st.integers(1, 2**31 - 1))
def test_property_any_text_matches_feature_hasher(values: list[str | None], n_features: int) -> None:
    frame = pl.DataFrame({"c": values}, schema={"c": pl.String})
    out = encode_hash(frame.lazy(), cols=["c"], n_features=n_features).collect()
    for value, bucket, sign in zip(values, out["c__hash"], out["c__sign"]):
        if value is None:
            assert bucket is None and sign is None
            continue
        h = murmurhash3_32(f"c={value}", seed=0)
        assert bucket == abs(h) % n_features
        assert sign == (1 if h >= 0 else -1)


def test_all_null_row_gives_empty_sparse_row_and_zero_dense_row() -> None:
    frame = pl.DataFrame({"a": [None, "x"], "b": [None, "y"]}, schema={"a": pl.String, "b": pl.String})
    sparse = encode_hash(frame.lazy(), cols=["a", "b"], n_features=4, form="sparse").collect()["hash"].to_list()
    assert sparse[0] == []
    dense = encode_hash(frame.lazy(), cols=["a", "b"], n_features=4, form="dense").collect().row(0)
    assert dense == (0.0, 0.0, 0.0, 0.0)


def test_collision_report_on_known_collisions() -> None:
    values = [f"v{i}" for i in range(40)]
    frame = pl.DataFrame({"c": values + values[:5] + [None]})
    n = 16
    buckets = [abs(murmurhash3_32(f"c={v}", seed=0)) % n for v in values]
    colliding = sum(1 for b in buckets if buckets.count(b) > 1)
    report = hash_report(frame.lazy(), cols=["c"], n_features=n)
    facts = report["features"]["c"]
    assert facts["distinct_values"] == 40
    assert facts["buckets_used"] == len(set(buckets))
    assert facts["colliding_values"] == colliding
    assert facts["colliding_share"] == colliding / 40
    assert facts["expected_colliding_share"] == pytest.approx(1 - (15 / 16) ** 39)
    assert report["hash_scheme"] == HASH_SCHEME
    # a single bucket: everything collides; a huge space: nothing does
    assert hash_report(frame.lazy(), cols=["c"], n_features=1)["features"]["c"]["colliding_share"] == 1.0
    assert hash_report(frame.lazy(), cols=["c"], n_features=2**31 - 1)["features"]["c"]["colliding_values"] == 0


def test_output_is_deterministic_and_input_unchanged() -> None:
    before = FRAME.clone()
    a = encode_hash(FRAME.lazy(), cols=["merchant"], n_features=8, form="sparse").collect()
    b = encode_hash(FRAME.lazy(), cols=["merchant"], n_features=8, form="sparse").collect()
    assert a.equals(b)
    assert FRAME.equals(before)


def test_keep_keeps_originals() -> None:
    out = encode_hash(FRAME.lazy(), cols=["merchant"], n_features=8, keep=True).collect()
    assert out.columns[:3] == ["merchant", "merchant__hash", "merchant__sign"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_features": 0}, UsageError, "--n-features 0 must be a positive integer"),
        ({"n_features": -3}, UsageError, "must be a positive integer"),
        ({"n_features": 2**31}, UsageError, "must be a positive integer"),
        ({"n_features": 8192, "form": "dense"}, UsageError, "above --max-dense 4096"),
        ({"form": "csr"}, UsageError, "--form 'csr' must be index, dense or sparse"),
        ({"cols": ["merchnt"]}, ColumnNotFoundError, "did you mean 'merchant'"),
        ({"cols": [], "cross": [["merchant"]]}, UsageError, "needs at least two columns"),
        ({"cols": []}, UsageError, "give the columns to hash"),
    ],
)
def test_bad_options(kwargs: dict, error: type, match: str) -> None:
    params = {"cols": ["merchant"], "n_features": 16, **kwargs}
    with pytest.raises(error, match=match):
        encode_hash(FRAME.lazy(), **params)


def test_nested_and_binary_columns_are_refused() -> None:
    frame = pl.DataFrame({"l": [[1], [2]], "b": [b"x", b"y"], "s": [{"a": 1}, {"a": 2}]})
    for col in ("l", "b", "s"):
        with pytest.raises(InputError, match=f"column {col!r} of the input is .* cannot be encoded as categories"):
            encode_hash(frame.lazy(), cols=[col], n_features=8)


def test_transform_is_replayable_and_checks_scheme() -> None:
    params = {"cols": ["merchant"], "cross": [["merchant", "country"]], "n_features": 64, "form": "index"}
    state = HASH.fit(FRAME.lazy(), params)
    assert state == json.loads(json.dumps(state))
    assert state["hash_scheme"] == HASH_SCHEME and set(state["columns"]) == {"merchant", "country"}
    assert HASH.apply(FRAME.lazy(), state, params).collect().equals(
        encode_hash(FRAME.lazy(), cols=["merchant"], cross=[["merchant", "country"]], n_features=64).collect()
    )
    with pytest.raises(StateError, match="scheme 'v0'"):
        HASH.apply(FRAME.lazy(), {**state, "hash_scheme": "v0"}, params)


@pytest.mark.parametrize("n_features", [1, 3, 2**20])
def test_single_feature_sparse_equals_feature_hasher(n_features: int) -> None:
    expected = FeatureHasher(n_features=n_features, input_type="dict").transform(_dicts(FRAME, ["merchant"]))
    rows = encode_hash(FRAME.lazy(), cols=["merchant"], n_features=n_features, form="sparse").collect()["hash"].to_list()
    for i, row in enumerate(rows):
        span = slice(expected.indptr[i], expected.indptr[i + 1])
        assert [(e["index"], e["value"]) for e in row] == list(zip(expected.indices[span].tolist(), expected.data[span].tolist()))
