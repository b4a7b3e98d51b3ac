"""The hashing trick, bit-compatible with scikit-learn's ``FeatureHasher`` (dict input).

Hash scheme ``sklearn-murmur3-32-v1`` (recorded in every manifest as ``hash_scheme``):

- the token of column ``c`` with value ``v`` is the text ``c=v`` (FeatureHasher's dict input
  ``{c: v}`` with a string ``v``); ``v`` is the value's text as described in
  :mod:`mlprep.steps.encode` (``1`` → ``"1"``, ``1.0`` → ``"1.0"``, ``True`` → ``"true"``,
  a date → ``"2025-01-02"``), so scikit-learn agrees when it is fed the same strings;
- a cross of columns ``a, b`` has the token ``a=va^b=vb`` and the feature name ``a^b``;
- ``h`` = 32-bit MurmurHash3 (x86, seed 0) of the token's UTF-8 bytes, read as a signed
  int32 (polars-hash's ``murmur32`` returns it as UInt32: reinterpreted);
- bucket = ``|h| mod N`` (``|-2**31| = 2**31``, as scikit-learn), sign = ``+1`` if ``h >= 0``
  else ``-1`` (all ``+1`` without ``alternate_sign``);
- a null value (or a null in any column of a cross) contributes nothing, exactly as a key
  absent from FeatureHasher's dict; its index form is a null bucket and a null sign.

Neither Python's ``hash()`` nor polars' ``Expr.hash`` is used: their values may change between
releases. Every form streams (elementwise expressions only).

Example
-------
>>> import polars as pl
>>> lf = pl.LazyFrame({"merchant": ["m1", None]})
>>> encode_hash(lf, cols=["merchant"], n_features=16).collect().columns
['merchant__hash', 'merchant__sign']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from mlprep.errors import StateError, UsageError
from mlprep.steps.encode import as_text, check_categorical, check_output_names, place_outputs

if TYPE_CHECKING:
    import polars as pl

HASH_SCHEME = "sklearn-murmur3-32-v1"
Form = Literal["index", "dense", "sparse"]
MAX_N_FEATURES = 2**31 - 1
DEFAULT_MAX_DENSE = 4096
SPARSE_COLUMN = "hash"


def _features(cols: Sequence[str], cross: Sequence[Sequence[str]]) -> list[tuple[str, list[str]]]:
    """(feature name, source columns): one per column, then one per cross (``a^b``)."""
    return [(c, [c]) for c in cols] + [("^".join(group), list(group)) for group in cross]


def hash_token(columns: Sequence[str]) -> "pl.Expr":
    """The token ``c=v`` (or ``a=va^b=vb`` for a cross); null when any value is null."""
    import polars as pl

    parts: list[pl.Expr] = []
    for i, col in enumerate(columns):
        parts.append(pl.lit(("^" if i else "") + f"{col}="))
        parts.append(as_text(col))
    return pl.concat_str(parts)


def murmur32_signed(token: "pl.Expr") -> "pl.Expr":
    """MurmurHash3 x86 32-bit, seed 0, as a signed value (Int64 holding an int32)."""
    import polars as pl
    import polars_hash  # noqa: F401  (registers the .nchash namespace)

    return token.nchash.murmur32(seed=0).reinterpret(signed=True).cast(pl.Int64)  # type: ignore[attr-defined]


def bucket_and_sign(token: "pl.Expr", n_features: int, *, alternate_sign: bool = True) -> tuple["pl.Expr", "pl.Expr"]:
    """FeatureHasher's column index (UInt32) and sign (Int8) of a token; null for a null token."""
    import polars as pl

    h = murmur32_signed(token)
    bucket = (h.abs() % n_features).cast(pl.UInt32)
    if alternate_sign:
        sign = pl.when(h >= 0).then(pl.lit(1, pl.Int8)).when(h < 0).then(pl.lit(-1, pl.Int8))
    else:
        sign = pl.when(h.is_not_null()).then(pl.lit(1, pl.Int8))
    return bucket, sign


def check_hash_options(n_features: int, form: str, max_dense: int) -> None:
    """Refuse an ``n_features`` that FeatureHasher refuses, an unknown form, or a dense output too wide."""
    if isinstance(n_features, bool) or not isinstance(n_features, int) or not 1 <= n_features <= MAX_N_FEATURES:
        raise UsageError(f"--n-features {n_features!r} must be a positive integer up to {MAX_N_FEATURES} (powers of two are recommended, e.g. 1048576)")
    if form not in ("index", "dense", "sparse"):
        raise UsageError(f"--form {form!r} must be index, dense or sparse")
    if form == "dense" and n_features > max_dense:
        raise UsageError(
            f"--form dense would write {n_features} columns, above --max-dense {max_dense}; use --form sparse or index, "
            "fewer --n-features, or raise --max-dense"
        )


def check_crosses(cross: Sequence[Sequence[str]]) -> None:
    for group in cross:
        if len(group) < 2:
            raise UsageError(f"--cross {','.join(group)!r} needs at least two columns, e.g. --cross merchant,country")
        if len(set(group)) != len(group):
            raise UsageError(f"--cross {','.join(group)!r} names a column twice")


def encode_hash(
    frame: "pl.LazyFrame",
    *,
    cols: Sequence[str],
    n_features: int = 2**20,
    cross: Sequence[Sequence[str]] = (),
    alternate_sign: bool = True,
    form: Form = "index",
    max_dense: int = DEFAULT_MAX_DENSE,
    keep: bool = False,
) -> "pl.LazyFrame":
    """Hash categorical columns (and crosses) into ``n_features`` buckets, as FeatureHasher does.

    Parameters
    ----------
    frame : the data (any role: hashing is stateless).
    cols : columns to hash; each is replaced by its outputs (kept too with ``keep``).
    n_features : number of buckets N (FeatureHasher's ``n_features``).
    cross : groups of columns hashed together as one feature (token ``a=va^b=vb``); their
        columns are not dropped unless also in ``cols``.
    alternate_sign : FeatureHasher's ``alternate_sign``.
    form : ``'index'`` — per feature ``<name>__hash`` (UInt32 bucket) and ``<name>__sign``
        (Int8); ``'dense'`` — Float64 columns ``hash_0`` … ``hash_{N-1}``, the rows of
        ``FeatureHasher(...).transform(...).toarray()``; ``'sparse'`` — one column ``hash``,
        a list of ``{index: UInt32, value: Float64}`` structs: the CSR row (indices sorted,
        duplicates summed, explicit zeros kept as scikit-learn keeps them).
    max_dense : refuse ``form='dense'`` above this many columns.

    Example
    -------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"a": ["x", "y"], "b": ["u", None]})
    >>> encode_hash(lf, cols=["a", "b"], n_features=8, form="sparse").collect()["hash"].to_list()[1]
    [{'index': 1, 'value': 1.0}]
    """
    import polars as pl

    check_hash_options(n_features, form, max_dense)
    check_crosses(cross)
    schema = frame.collect_schema()
    names = schema.names()
    sources = list(dict.fromkeys([*cols, *(c for g in cross for c in g)]))
    if not sources:
        raise UsageError("give the columns to hash with --cols and/or --cross (e.g. --cols merchant,country)")
    check_categorical(schema, sources, option="--cols/--cross")
    features = _features(cols, cross)
    dropped = [] if keep else list(cols)
    if form == "index":
        per_col: dict[str, list[pl.Expr]] = {}
        tail: list[pl.Expr] = []
        new = []
        for name, sources in features:
            bucket, sign = bucket_and_sign(hash_token(sources), n_features, alternate_sign=alternate_sign)
            exprs = [bucket.alias(f"{name}__hash"), sign.alias(f"{name}__sign")]
            new += [f"{name}__hash", f"{name}__sign"]
            if len(sources) == 1:
                per_col[name] = exprs
            else:
                tail.extend(exprs)
        check_output_names(names, new, dropped=dropped, step="encode hash")
        return frame.select(place_outputs(names, per_col, keep=keep, tail=tail))

    temps = []
    for k, (_, sources) in enumerate(features):
        bucket, sign = bucket_and_sign(hash_token(sources), n_features, alternate_sign=alternate_sign)
        temps += [bucket.alias(f"__mlprep_b{k}"), sign.cast(pl.Float64).alias(f"__mlprep_s{k}")]
    kept = [pl.col(c) for c in names if c not in dropped]
    b = [pl.col(f"__mlprep_b{k}") for k in range(len(features))]
    s = [pl.col(f"__mlprep_s{k}") for k in range(len(features))]
    if form == "dense":
        new = [f"hash_{j}" for j in range(n_features)]
        check_output_names(names, new, dropped=dropped, step="encode hash")
        dense = [
            pl.sum_horizontal([pl.when(bk == j).then(sk).otherwise(0.0) for bk, sk in zip(b, s)]).alias(f"hash_{j}")
            for j in range(n_features)
        ]
        return frame.with_columns(temps).select([*kept, *dense])
    # sparse: FeatureHasher's CSR row. Features that share a bucket are summed into the first of
    # them; the surviving entries are ranked by bucket (horizontal comparisons, no per-row sort)
    # and laid out in order in a fixed-width array, then cut to each row's entry count.
    check_output_names(names, [SPARSE_COLUMN], dropped=dropped, step="encode hash")
    k_all = range(len(features))
    first = []
    for k in k_all:
        alive = b[k].is_not_null()
        for j in range(k):
            alive = alive & ~(b[j] == b[k]).fill_null(False)
        first.append(alive)
    totals = [pl.sum_horizontal([pl.when(b[j] == b[k]).then(s[j]).otherwise(0.0) for j in k_all]) for k in k_all]
    ranks = [pl.sum_horizontal([(first[j] & (b[j] < b[k])).fill_null(False).cast(pl.UInt32) for j in k_all if j != k]) if len(features) > 1 else pl.lit(0, pl.UInt32) for k in k_all]
    entry = [pl.struct(b[k].alias("index"), totals[k].alias("value")) for k in k_all]
    slots = [pl.coalesce([pl.when(first[k] & (ranks[k] == p)).then(entry[k]) for k in k_all]) for p in k_all]
    count = pl.sum_horizontal([f.cast(pl.UInt32) for f in first])
    sparse = pl.concat_arr(slots).arr.to_list().list.head(count).alias(SPARSE_COLUMN)
    return frame.with_columns(temps).select([*kept, sparse])


def hash_report(frame: "pl.LazyFrame", *, cols: Sequence[str], n_features: int, cross: Sequence[Sequence[str]] = ()) -> dict[str, Any]:
    """Collisions: per feature and over all features (they share one space of N buckets).

    For each feature: distinct non-null values, buckets they use, the share of distinct values
    whose bucket also holds another distinct value, and the share expected for N buckets if the
    hash were uniform: ``1 - (1 - 1/N) ** (D - 1)``. One pass: distinct tokens only.

    Example
    -------
    >>> import polars as pl
    >>> hash_report(pl.LazyFrame({"a": ["x", "y", "z"]}), cols=["a"], n_features=1)["features"]["a"]["colliding_share"]
    1.0
    """
    import polars as pl

    features = _features(cols, cross)
    lazies = [frame.select(hash_token(src).alias("token")).unique().drop_nulls() for _, src in features]
    tables = pl.collect_all(lazies, engine="streaming") if lazies else []
    out: dict[str, Any] = {}
    all_buckets = []
    for (name, _), table in zip(features, tables):
        buckets = table.select(bucket_and_sign(pl.col("token"), n_features)[0].alias("b"))["b"]
        out[name] = _collisions(buckets, n_features)
        all_buckets.append(buckets)
    overall = _collisions(pl.concat(all_buckets) if all_buckets else pl.Series("b", [], pl.UInt32), n_features)
    return {"n_features": n_features, "hash_scheme": HASH_SCHEME, "features": out, "all_features": overall}


def _collisions(buckets: "pl.Series", n_features: int) -> dict[str, Any]:
    import polars as pl

    distinct = buckets.len()
    counts = buckets.to_frame("b").group_by("b").len()
    used = counts.height
    colliding = int(counts.filter(pl.col("len") > 1)["len"].sum()) if used else 0
    expected = 1.0 - (1.0 - 1.0 / n_features) ** (distinct - 1) if distinct > 1 else 0.0
    expected_used = n_features * (1.0 - (1.0 - 1.0 / n_features) ** distinct)
    return {
        "distinct_values": distinct,
        "buckets_used": used,
        "expected_buckets_used": round(expected_used, 3),
        "colliding_values": colliding,
        "colliding_share": colliding / distinct if distinct else 0.0,
        "expected_colliding_share": expected,
    }


# ---- Transform adapter: stateless, but replayable from its recorded columns and scheme ----------


def _fit(frame: "pl.LazyFrame", params: dict[str, Any]) -> dict[str, Any]:
    cols, cross = list(params["cols"]), [list(g) for g in params.get("cross") or []]
    check_hash_options(params["n_features"], params.get("form", "index"), params.get("max_dense", DEFAULT_MAX_DENSE))
    check_crosses(cross)
    sources = list(dict.fromkeys([*cols, *(c for g in cross for c in g)]))
    if not sources:
        raise UsageError("give the columns to hash with --cols and/or --cross (e.g. --cols merchant,country)")
    columns = check_categorical(frame.collect_schema(), sources, option="--cols/--cross")
    return {"columns": columns, "hash_scheme": HASH_SCHEME, "features": [name for name, _ in _features(cols, cross)]}


def _apply(frame: "pl.LazyFrame", state: dict[str, Any], params: dict[str, Any]) -> "pl.LazyFrame":
    if state.get("hash_scheme") != HASH_SCHEME:
        raise StateError(f"the stored state was hashed with scheme {state.get('hash_scheme')!r}, but this mlprep implements {HASH_SCHEME!r}; re-run encode hash")
    return encode_hash(
        frame, cols=params["cols"], n_features=params["n_features"], cross=params.get("cross") or [],
        alternate_sign=params.get("alternate_sign", True), form=params.get("form", "index"),
        max_dense=params.get("max_dense", DEFAULT_MAX_DENSE), keep=params.get("keep", False),
    )


def _report(frame: "pl.LazyFrame", state: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("report"):
        return {"hash_scheme": HASH_SCHEME}
    return hash_report(frame, cols=params["cols"], n_features=params["n_features"], cross=params.get("cross") or [])


def _make_transform() -> Any:
    from mlprep.fitting import Transform

    return Transform("encode.hash", _fit, _apply, report=_report, stateless=True)


HASH = _make_transform()
