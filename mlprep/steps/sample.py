"""Sampling designs: random, stratified, weighted, reservoir, Bernoulli, systematic, cluster, importance.

Every design draws with keyed random numbers (:mod:`mlprep.keyed`): a row's draw depends only
on (seed, its position or ``key_col`` value), so the same seed gives the same rows whatever the
thread count, batch size or partitioning. Fixed-size designs keep the ``n`` rows with the
smallest keys (bottom-k), which is mergeable across partitions.

Rows are chosen from the columns that decide them only (row positions, the stratum, weight or
key column), then one streaming pass ``with_row_index().filter(is_in(chosen))`` selects them
from the whole input, so the output keeps the input's row order and memory stays near the size
of the sample. Position keys need no data at all: they are computed in numpy chunks
(:func:`mlprep.keyed.keyed_u64_positions`, the same values as the polars expressions) keeping
only the running bottom-k, so choosing ``n`` of ``N`` rows costs O(n + chunk) memory.
``reservoir`` on a Parquet file keyed by position does the same (one pass, the chosen rows
only); on stdin, with ``key_col`` or ``batch_rows`` it makes one pass over the input in batches
and keeps at most ``n`` rows plus a batch in memory.

With ``weights=True`` every design adds ``inclusion_prob`` (the row's probability of selection)
and ``design_weight`` (its Horvitz–Thompson weight), so weighted totals and means are unbiased.

Example
-------
>>> import polars as pl
>>> lf = pl.LazyFrame({"y": [0, 1] * 50, "x": range(100)})
>>> s = sample_stratified(lf, by=["y"], n=10, seed=1)
>>> s.frame.collect().height, s.report["strata"][0]["sampled"]
(10, 5)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from mlprep.errors import InputError, UsageError, missing_column
from mlprep.keyed import (KEYED_SCHEME, bottom_k_positions, key_to_u64, keyed_u64, keyed_u64_numpy, keyed_u64_positions,
                          keyed_uniform, keyed_uniform_numpy, splitmix64)

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

Allocation = Literal["proportional", "equal", "neyman"]
WeightedDesign = Literal["successive", "pps"]
Classifier = Literal["logistic", "hgb"]

INDEX = "__mlprep_row"
_KEY = "__mlprep_key"
_STRATUM = "__mlprep_stratum"
_REPEAT = "__mlprep_repeat"
_NULL_KEY = 0x5BD1E9955BD1E995  # the key of a null key value (all nulls draw together)
_U64_MAX = (1 << 64) - 1
WEIGHT_COLUMNS = ("inclusion_prob", "design_weight")
IMPORTANCE_COLUMN = "importance_weight"


@dataclass
class Sample:
    """A drawn sample: the lazy frame of chosen rows (in input order) and what to report."""

    frame: "pl.LazyFrame | pl.DataFrame"
    report: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Shared helpers


def sample_size(n: int | None, frac: float | None, rows: int, *, replace: bool = False, where: str = "the input",
                required: bool = True, unit: str = "rows", can_replace: bool = False) -> int | None:
    """Resolve ``-n``/``--frac`` into a count, validating both (one-line errors).

    ``frac`` rounds half up: ``round(frac * rows)``. With ``replace`` the size may exceed ``rows``
    (and ``frac`` may exceed 1). Returns None when neither is given and ``required`` is false.
    """
    if n is not None and frac is not None:
        raise UsageError("give the sample size with either -n or --frac, not both")
    if n is None and frac is None:
        if required:
            raise UsageError("give the sample size with -n N (a count) or --frac F (a fraction in (0, 1])")
        return None
    if rows == 0:
        raise _no_rows(where)
    if n is not None:
        if n <= 0:
            raise UsageError(f"-n must be a positive number of {unit}, got {n}")
        if n > rows and not replace:
            hint = "lower -n, or pass --replace to draw with replacement" if can_replace else "lower -n"
            raise UsageError(f"-n {n} exceeds the {rows:,} {unit} of {where}; {hint}")
        return n
    assert frac is not None
    if not (frac > 0 and (frac <= 1 or replace)) or math.isnan(frac) or math.isinf(frac):
        raise UsageError(f"--frac must be in (0, 1], got {frac}" + ("" if replace else "; use -n for a count"))
    return max(1, int(math.floor(frac * rows + 0.5)))


def _require(schema_names: Sequence[str], cols: Iterable[str], *, where: str, option: str) -> None:
    for col in cols:
        if col not in schema_names:
            raise missing_column(col, schema_names, where=where, option=option)


def _check_new_columns(schema_names: Sequence[str], new: Iterable[str], *, where: str) -> None:
    for col in new:
        if col in schema_names:
            raise InputError(f"{where} already has a column {col!r}, which this sample would add; drop or rename it first")


def _check_key_col(names: Sequence[str], key_col: str | None, *, where: str, replace: bool = False) -> None:
    """``--key-col`` must name a column, and keys rows only: draws with replacement are keyed by draw number."""
    if key_col is None:
        return
    if replace:
        raise UsageError("--key-col cannot be combined with --replace: draws with replacement are keyed by draw number")
    _require(names, [key_col], where=where, option="--key-col")


def _no_rows(where: str) -> InputError:
    """The refusal of an input with nothing to sample."""
    return InputError(f"{where} has no rows; there is nothing to sample")


def _rows(frame: "pl.LazyFrame", rows: int | None, *, where: str) -> int:
    """The input's row count (``rows`` when already known); an empty input is refused."""
    import polars as pl

    count = int(frame.select(pl.len()).collect(engine="streaming").item()) if rows is None else rows
    if count == 0:
        raise _no_rows(where)
    return count


def _idx_dtype() -> "pl.DataType":
    import polars as pl

    return pl.get_index_type()


def _key_base(key_col: str | None, schema: "pl.Schema") -> "pl.Expr":
    """The UInt64 key of each row: its position, or its ``key_col`` value (nulls share one key)."""
    import polars as pl

    if key_col is None:
        return pl.col(INDEX).cast(pl.UInt64)
    return key_to_u64(pl.col(key_col), schema[key_col]).fill_null(pl.lit(_NULL_KEY, dtype=pl.UInt64))


def _decider(frame: "pl.LazyFrame", cols: Sequence[str], rows: int) -> "pl.LazyFrame":
    """Row positions plus only the columns that decide which rows are drawn."""
    import polars as pl

    if not cols:  # nothing to read: positions come from the row count
        return pl.LazyFrame().select(pl.int_range(rows, dtype=_idx_dtype()).alias(INDEX))
    return frame.select(list(dict.fromkeys(cols))).with_row_index(INDEX)


def _order_by(key_col: str | None) -> list[str]:
    """Sort keys of a bottom-k draw: position keys are distinct (SplitMix64 is a bijection), a
    key column's duplicates tie and are broken by position."""
    return [_KEY] if key_col is None else [_KEY, INDEX]


def select_rows(frame: "pl.LazyFrame", chosen: "pl.DataFrame") -> "pl.LazyFrame":
    """Stream the rows whose positions are in ``chosen[INDEX]``, in input order.

    Other columns of ``chosen`` are attached by position; a ``__mlprep_repeat`` column repeats
    a row that many times (draws with replacement).
    """
    import polars as pl

    chosen = chosen.with_columns(pl.col(INDEX).cast(_idx_dtype())).sort(INDEX)
    idx = chosen[INDEX]
    out = frame.with_row_index(INDEX).filter(pl.col(INDEX).is_in(idx.implode()))
    extra = [c for c in chosen.columns if c != INDEX]
    if extra:
        out = out.with_columns(pl.col(INDEX).replace_strict(idx, chosen[c], return_dtype=chosen.schema[c]).alias(c) for c in extra)
    if _REPEAT in extra:
        out = out.with_columns(pl.int_ranges(pl.col(_REPEAT)).alias(_REPEAT)).explode(_REPEAT).drop(_REPEAT)
    return out.drop(INDEX)


_CHUNK = 1 << 16  # rows per chunk of keys computed in numpy (cache-sized)


class BottomK:
    """The ``k`` smallest ``(key, position)`` pairs seen so far, fed chunk by chunk.

    Chunks must come in increasing position order; candidates are buffered and merged once
    they reach ``k``, so memory is O(k + chunk). Ties on the key go to the earlier position,
    exactly like ``bottom_k(k, by=[key, position])``.
    """

    def __init__(self, k: int) -> None:
        import numpy as np

        self.k = k
        self.keys: np.ndarray | None = None  # the merged k best, once k have been seen
        self.pos = np.empty(0, dtype=np.int64)
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.pending_size = 0
        self.threshold: Any = None  # a later key must be below this to enter (a later tie loses)

    def add(self, keys: "np.ndarray", pos: "np.ndarray") -> None:
        import numpy as np

        if self.threshold is not None:
            enter = keys < self.threshold
            keys, pos = keys[enter], pos[enter]
        if keys.size:
            self.pending.append((keys, pos.astype(np.int64, copy=False)))
            self.pending_size += keys.size
            if self.pending_size >= self.k:
                self._merge()

    def _merge(self) -> None:
        import numpy as np

        parts = ([(self.keys, self.pos)] if self.keys is not None else []) + self.pending
        self.pending, self.pending_size = [], 0
        keys = np.concatenate([p[0] for p in parts])
        pos = np.concatenate([p[1] for p in parts])
        k = self.k
        if keys.size > k:
            kth = np.partition(keys, k - 1)[k - 1]
            less = np.flatnonzero(keys < kth)
            ties = np.flatnonzero(keys == kth)
            ties = ties[np.argsort(pos[ties], kind="stable")][: k - less.size]
            keep = np.concatenate([less, ties])
            keys, pos = keys[keep], pos[keep]
        self.keys, self.pos = keys, pos
        if keys.size == k:
            self.threshold = keys.max()

    def positions(self) -> "np.ndarray":
        """The positions of the k best (all of them if fewer were seen), sorted."""
        import numpy as np

        if self.pending:
            self._merge()
        return np.sort(self.pos)


def bottom_k_by_key(chunks: Iterable[tuple["np.ndarray", "np.ndarray"]], k: int) -> "np.ndarray":
    """Positions of the ``k`` smallest ``(key, position)`` pairs over chunks of (keys, positions)
    in increasing position order (see :class:`BottomK`), sorted."""
    best = BottomK(k)
    for keys, pos in chunks:
        best.add(keys, pos)
    return best.positions()

def _u64_threshold(p: float) -> int:
    return _U64_MAX if p >= 1 else max(0, int(p * 2.0**64))


def _design_columns(pi: "pl.Expr", dw: "pl.Expr | None" = None) -> list["pl.Expr"]:
    return [pi.cast(_f64()).alias("inclusion_prob"), (dw if dw is not None else 1.0 / pi).cast(_f64()).alias("design_weight")]


def _f64() -> "pl.DataType":
    import polars as pl

    return pl.Float64


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def _base_report(method: str, rows_in: int, rows_out: int, seed: int, key_col: str | None, *, key: str | None = None) -> dict[str, Any]:
    return {"method": method, "rows_in": rows_in, "rows_out": rows_out, "seed": seed,
            "key": key or (key_col if key_col else "row position"), "keyed_scheme": KEYED_SCHEME}


def class_counts(frame: "pl.LazyFrame", sample: Sample, target: str, *, where: str = "the input") -> dict[str, Any]:
    """Per-class row counts of ``target`` in the input and in the sample (for the report).

    Reads only the target column (and what decides the sample); nulls are counted as ``"null"``.

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"y": [0, 0, 0, 1] * 5})
    >>> class_counts(lf, sample_random(lf, n=4, seed=1), "y")["sample"]
    {'0': 4}
    """
    import polars as pl

    names = frame.collect_schema().names()
    _require(names, [target], where=where, option="--target")

    def counts(lf: "pl.LazyFrame") -> dict[str, int]:
        table = lf.group_by(pl.col(target).cast(pl.String).fill_null("null").alias("__c")).agg(pl.len()).collect(engine="streaming")
        return {str(k): int(v) for k, v in sorted(table.iter_rows(), key=lambda kv: str(kv[0]))}

    return {"target": target, "input": counts(frame), "sample": counts(sample.frame.lazy())}


# ---------------------------------------------------------------------------------------------
# random


def sample_random(frame: "pl.LazyFrame", *, n: int | None = None, frac: float | None = None, replace: bool = False,
                  seed: int = 0, key_col: str | None = None, weights: bool = False, rows: int | None = None,
                  where: str = "the input", read_frame: "pl.LazyFrame | None" = None) -> Sample:
    """Simple random sample of ``n`` rows (or ``frac`` of them), without or with replacement.

    Without replacement the ``n`` rows with the smallest keyed hashes are kept (bottom-k), so
    each row has inclusion probability exactly ``n / N`` and every n-subset is equally likely.
    With replacement, draw ``j`` picks row ``floor(u_j * N)`` for a keyed uniform ``u_j``; a row
    drawn several times appears that many times (adjacent, in input order).

    Parameters
    ----------
    frame : the input.
    n, frac : the sample size, as a count or a fraction of the rows (exactly one).
    replace : draw with replacement (``n`` may exceed the rows).
    seed : the random seed.
    key_col : draw by this column's values instead of row positions (not with ``replace``).
    weights : add ``inclusion_prob`` and ``design_weight``. With replacement ``inclusion_prob``
        is ``1 - (1 - 1/N)^n`` (drawn at least once) and each copy's ``design_weight`` is the
        Hansen–Hurwitz ``N / n``, so the weights of a sample sum to ``N`` exactly.
    rows : the input's row count, if known (saves a pass).
    read_frame : a fresh lazy scan of the same input to read the chosen rows from (default
        ``frame``). A scan whose schema was already collected keeps polars' cached file state
        alive through the streaming pass, which costs memory on large files.

    Examples
    --------
    >>> import polars as pl
    >>> sample_random(pl.LazyFrame({"x": range(10)}), n=3, seed=7).frame.collect().height
    3
    """
    import polars as pl

    schema = frame.collect_schema()
    names = schema.names()
    _check_key_col(names, key_col, replace=replace, where=where)
    if weights:
        _check_new_columns(names, WEIGHT_COLUMNS, where=where)
    N = _rows(frame, rows, where=where)
    size = sample_size(n, frac, N, replace=replace, where=where, can_replace=True)
    assert size is not None
    if replace:
        draws = pl.LazyFrame().select(pl.int_range(size, dtype=pl.UInt64).alias("j"))
        picked = draws.select((keyed_uniform(seed, pl.col("j")) * N).floor().cast(pl.Int64).clip(0, N - 1).alias(INDEX)).collect()
        chosen = picked.group_by(INDEX).agg(pl.len().cast(pl.Int64).alias(_REPEAT))
        if weights:
            pi = -math.expm1(size * math.log1p(-1.0 / N)) if N > 1 else 1.0
            chosen = chosen.with_columns(pl.lit(pi).alias("inclusion_prob"), pl.lit(N / size).alias("design_weight"))
        report = _base_report("random", N, size, seed, None) | {"replace": True, "distinct_rows": chosen.height}
        return Sample(select_rows(read_frame if read_frame is not None else frame, chosen), report)
    if key_col is None:  # position keys need no data: numpy bottom-k over the row count
        chosen = pl.DataFrame({INDEX: bottom_k_positions(seed, N, size)})
    else:
        dec = _decider(frame, [key_col], N)
        chosen = (
            dec.with_columns(keyed_u64(seed, _key_base(key_col, schema)).alias(_KEY))
            .bottom_k(size, by=_order_by(key_col)).select(INDEX).collect(engine="streaming")
        )
    out = select_rows(read_frame if read_frame is not None else frame, chosen)
    if weights:
        out = out.with_columns(_design_columns(pl.lit(size / N)))
    return Sample(out, _base_report("random", N, size, seed, key_col) | {"replace": False})


# ---------------------------------------------------------------------------------------------
# stratified


def allocate(sizes: Sequence[int], n: int, *, shares: Sequence[float] | None = None, min_per_stratum: int = 0) -> tuple[list[int], list[int]]:
    """Split ``n`` over strata in proportion to ``shares`` with largest-remainder rounding.

    A stratum's allocation is at least ``min(min_per_stratum, N_h)`` and at most its size
    ``N_h``; strata pinned at either bound are fixed and the rest of ``n`` is re-split over the
    others, so the total is exactly ``n`` whenever ``n <= sum(N_h)``. Remainders are handed out
    largest first, ties to the earlier stratum.

    Returns the allocations and the indices of strata capped at their size (they give all their
    rows: fewer than their share asked for).

    Examples
    --------
    >>> allocate([50, 30, 20], 7)
    ([4, 2, 1], [])
    """
    H = len(sizes)
    shares = list(shares) if shares is not None else [float(s) for s in sizes]
    fixed: dict[int, int] = {}
    capped: list[int] = []
    for _ in range(2 * H + 2):
        free = [h for h in range(H) if h not in fixed]
        budget = n - sum(fixed.values())
        total = sum(shares[h] for h in free)
        quotas = {h: (budget * shares[h] / total if total > 0 else budget / len(free)) for h in free} if free else {}
        changed = False
        for h, q in quotas.items():
            floor_h = min(min_per_stratum, sizes[h])
            if q > sizes[h]:
                fixed[h] = sizes[h]
                capped.append(h)
                changed = True
            elif q < floor_h:
                fixed[h] = floor_h
                changed = True
        if not changed:
            break
    free = [h for h in range(H) if h not in fixed]
    budget = n - sum(fixed.values())
    alloc = [0] * H
    for h, v in fixed.items():
        alloc[h] = v
    if free and budget > 0:
        total = sum(shares[h] for h in free)
        quotas = {h: (budget * shares[h] / total if total > 0 else budget / len(free)) for h in free}
        base = {h: min(sizes[h], int(math.floor(q))) for h, q in quotas.items()}
        left = budget - sum(base.values())
        order = sorted(free, key=lambda h: (-(quotas[h] - math.floor(quotas[h])), h))
        for h in order:
            if left <= 0:
                break
            if base[h] < sizes[h]:
                base[h] += 1
                left -= 1
        for h, v in base.items():
            alloc[h] = v
    return alloc, sorted(set(capped))


def sample_stratified(frame: "pl.LazyFrame", *, by: Sequence[str], n: int | None = None, frac: float | None = None,
                      allocation: Allocation = "proportional", neyman_col: str | None = None, min_per_stratum: int = 0,
                      strict: bool = False, seed: int = 0, key_col: str | None = None, weights: bool = False,
                      rows: int | None = None, where: str = "the input") -> Sample:
    """Stratified random sample: split ``n`` over the strata of ``by``, then draw each at random.

    ``proportional`` keeps each stratum's share, ``equal`` gives each stratum the same count,
    ``neyman`` gives ``n_h ∝ N_h·S_h`` (``S_h`` the sample standard deviation of ``neyman_col``
    in the stratum; nulls ignored, a one-row stratum has ``S_h = 0``). Counts are rounded by
    largest remainder so they total exactly ``n`` (``frac`` gives ``n = round(frac·N)``).
    Null values form a stratum of their own. A stratum smaller than its allocation gives all
    its rows, with a warning (``strict`` makes it an error), and the rest is re-allocated.
    Within a stratum the ``n_h`` rows with the smallest keyed hashes are drawn, so
    ``inclusion_prob`` is exactly ``n_h / N_h``.

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"y": [0] * 90 + [1] * 10})
    >>> [s["sampled"] for s in sample_stratified(lf, by=["y"], frac=0.2).report["strata"]]
    [18, 2]
    """
    import polars as pl

    schema = frame.collect_schema()
    names = schema.names()
    if not by:
        raise UsageError("give the strata with --by COL[,COL...]")
    _require(names, by, where=where, option="--by")
    if allocation not in ("proportional", "equal", "neyman"):
        raise UsageError(f"--allocation {allocation!r} is not one of proportional, equal, neyman")
    if allocation == "neyman":
        if neyman_col is None:
            raise UsageError("--allocation neyman needs --neyman-col COL, the numeric column whose spread sets the allocation")
        _require(names, [neyman_col], where=where, option="--neyman-col")
        if not schema[neyman_col].is_numeric():
            raise InputError(f"--neyman-col {neyman_col!r} of {where} is {schema[neyman_col]}, not numeric; choose a numeric column")
    elif neyman_col is not None:
        raise UsageError("--neyman-col applies only to --allocation neyman")
    if min_per_stratum < 0:
        raise UsageError(f"--min-per-stratum must be >= 0, got {min_per_stratum}")
    _check_key_col(names, key_col, where=where)
    if weights:
        _check_new_columns(names, WEIGHT_COLUMNS, where=where)
    aggs = [pl.len().alias("__N")]
    if allocation == "neyman":
        assert neyman_col is not None
        aggs.append(pl.col(neyman_col).cast(pl.Float64).std(ddof=1).alias("__S"))
        aggs.append(pl.col(neyman_col).cast(pl.Float64).is_nan().sum().alias("__nan"))
    # Strata in the order of their values; a Categorical/Enum sorts by its string (its physical
    # or declared order would change which strata get the rounding remainder).
    order = [pl.col(c).cast(pl.String) if isinstance(schema[c], (pl.Categorical, pl.Enum)) else pl.col(c) for c in by]
    strata = (
        frame.group_by(list(by)).agg(aggs).collect(engine="streaming")
        .sort(order, nulls_last=True, maintain_order=True)
    )
    N = int(strata["__N"].sum()) if strata.height else 0
    if N == 0:
        raise _no_rows(where)
    size = sample_size(n, frac, N, where=where)
    assert size is not None
    sizes = [int(v) for v in strata["__N"]]
    if allocation == "proportional":
        shares: list[float] = [float(s) for s in sizes]
    elif allocation == "equal":
        shares = [1.0] * len(sizes)
    else:
        if int(strata["__nan"].sum()):
            raise InputError(f"--neyman-col {neyman_col!r} of {where} holds NaN values; fill or drop them first (nulls are ignored)")
        stds = [0.0 if s is None else float(s) for s in strata["__S"]]
        shares = [Nh * Sh for Nh, Sh in zip(sizes, stds)]
        if sum(shares) <= 0:
            raise InputError(f"--neyman-col {neyman_col!r} of {where} does not vary within any stratum; Neyman allocation is undefined, use proportional")
    if min_per_stratum * len(sizes) > size and sum(min(min_per_stratum, s) for s in sizes) > size:
        raise UsageError(
            f"--min-per-stratum {min_per_stratum} over {len(sizes)} strata needs more than the sample size {size}; raise -n/--frac or lower --min-per-stratum"
        )
    alloc, capped = allocate(sizes, size, shares=shares, min_per_stratum=min_per_stratum)
    labels = [{c: _jsonable(strata[c][h]) for c in by} for h in range(len(sizes))]
    warnings: list[str] = []
    if capped:
        shown = ", ".join(f"{_label(labels[h])} ({sizes[h]} rows)" for h in capped[:5]) + (", …" if len(capped) > 5 else "")
        message = f"{len(capped)} strata have fewer rows than their allocation and give all of them: {shown}"
        if strict:
            raise InputError(f"--strict: {message}; lower -n/--frac or drop --strict")
        warnings.append(message + "; the rest of the sample was re-allocated to the other strata")
    table = strata.select(list(by)).with_columns(
        pl.Series(_STRATUM, range(len(sizes)), dtype=pl.Int64),
        pl.Series("__n", alloc, dtype=pl.Int64),
        pl.Series("__t", [_threshold_for(a, s) for a, s in zip(alloc, sizes)], dtype=pl.UInt64),
    )
    chosen = _bottom_k_per_stratum(frame, schema, table, by, seed=seed, key_col=key_col, rows=N)
    if weights:
        pi = [a / s for a, s in zip(alloc, sizes)]
        chosen = chosen.with_columns(
            pl.col(_STRATUM).replace_strict(list(range(len(pi))), pi, return_dtype=pl.Float64).alias("inclusion_prob")
        ).with_columns((1.0 / pl.col("inclusion_prob")).alias("design_weight"))
    chosen = chosen.drop(_STRATUM)
    report = _base_report("stratified", N, int(sum(alloc)), seed, key_col) | {
        "by": list(by), "allocation": allocation,
        "strata": [{"stratum": labels[h], "rows": sizes[h], "sampled": alloc[h]} for h in range(len(sizes))],
    }
    return Sample(select_rows(frame, chosen), report, warnings)


def _label(values: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in values.items())


def _threshold_for(n_h: int, N_h: int) -> int:
    """A key threshold that keeps ~n_h + 8·sqrt(n_h) + 16 of N_h rows (checked, with a fallback)."""
    if n_h <= 0:
        return 0
    if n_h >= N_h:
        return _U64_MAX
    return _u64_threshold((n_h + 8 * math.sqrt(n_h) + 16) / N_h)


def _bottom_k_per_stratum(frame: "pl.LazyFrame", schema: "pl.Schema", table: "pl.DataFrame", by: Sequence[str], *,
                          seed: int, key_col: str | None, rows: int) -> "pl.DataFrame":
    """Positions of the ``__n`` smallest keys of every stratum, without a window over the frame.

    One streaming pass keeps only candidate rows whose key is under a per-stratum threshold a
    little above the expected n_h-th smallest; a stratum that ends up short (probability below
    1e-12) is redone with every row as a candidate, so the result is always exact.
    """
    import polars as pl

    if key_col is None:
        cand = _position_candidates(frame, table, by, seed=seed, rows=rows)
        return (
            cand.sort([_KEY, INDEX])
            .filter(pl.int_range(pl.len()).over(_STRATUM) < pl.col("__n"))
            .select(INDEX, _STRATUM)
        )
    cols = [*by, *([key_col] if key_col else [])]
    dec = _decider(frame, cols, rows).with_columns(keyed_u64(seed, _key_base(key_col, schema)).alias(_KEY))

    def candidates(tab: "pl.DataFrame") -> "pl.DataFrame":
        return (
            dec.join(tab.lazy(), on=list(by), how="inner", nulls_equal=True)
            .filter(pl.col(_KEY) <= pl.col("__t"))
            .select(INDEX, _KEY, _STRATUM, "__n")
            .collect(engine="streaming")
        )

    cand = candidates(table.filter(pl.col("__n") > 0))
    got = cand.group_by(_STRATUM).len()
    short = table.join(got, on=_STRATUM, how="left").filter(pl.col("__n") > pl.col("len").fill_null(0))
    if short.height:
        redo = short.select(table.columns).with_columns(pl.lit(_U64_MAX, dtype=pl.UInt64).alias("__t"))
        cand = pl.concat([cand.filter(~pl.col(_STRATUM).is_in(redo[_STRATUM].implode())), candidates(redo)])
    return (
        cand.sort([_KEY, INDEX])
        .filter(pl.int_range(pl.len()).over(_STRATUM) < pl.col("__n"))
        .select(INDEX, _STRATUM)
    )


def _position_candidates(frame: "pl.LazyFrame", table: "pl.DataFrame", by: Sequence[str], *, seed: int, rows: int) -> "pl.DataFrame":
    """:func:`_bottom_k_per_stratum`'s candidates for position keys, computed in numpy chunks.

    Reads only the ``by`` columns (each row's stratum number); the position keys need no data.
    Candidates are the rows whose key is at most their stratum's threshold ``__t``; a stratum
    left short is redone with every one of its rows as a candidate, as in the polars path.
    """
    import numpy as np
    import polars as pl

    ids = (
        frame.select(list(by)).join(table.lazy().select(*by, _STRATUM), on=list(by), how="left", nulls_equal=True,
                                    maintain_order="left")
        .select(_STRATUM).collect(engine="streaming").to_series().to_numpy()
    )
    if len(ids) != rows:  # cannot happen for a stable input; refuse rather than mis-draw
        raise InputError(f"the input changed while it was read ({len(ids):,} rows, expected {rows:,}); retry")
    wanted = table["__n"].to_numpy()

    def candidates(thresholds: "np.ndarray") -> "pl.DataFrame":
        pos, keys, strata = [], [], []
        for start in range(0, rows, _CHUNK):
            stop = min(rows, start + _CHUNK)
            k = keyed_u64_positions(seed, start, stop)
            h = ids[start:stop]
            hit = np.flatnonzero((k <= thresholds[h]) & (wanted[h] > 0))
            pos.append(hit + start)
            keys.append(k[hit])
            strata.append(h[hit])
        h_all = np.concatenate(strata)
        return pl.DataFrame({INDEX: np.concatenate(pos), _KEY: np.concatenate(keys), _STRATUM: h_all.astype(np.int64),
                             "__n": wanted[h_all].astype(np.int64)})

    cand = candidates(table["__t"].to_numpy().astype(np.uint64))
    got = np.bincount(cand[_STRATUM].to_numpy(), minlength=len(wanted))
    short = np.flatnonzero(wanted > got)
    if short.size:
        redo = np.zeros(len(wanted), dtype=np.uint64)
        redo[short] = np.uint64(_U64_MAX)
        cand = pl.concat([cand.filter(~pl.col(_STRATUM).is_in(pl.Series(short).implode())),
                          candidates(redo).filter(pl.col(_STRATUM).is_in(pl.Series(short).implode()))])
    return cand


# ---------------------------------------------------------------------------------------------
# weighted


def _validated_weights(frame: "pl.LazyFrame", schema: "pl.Schema", weight_col: str, *, key_col: str | None,
                       rows: int, where: str) -> "pl.DataFrame":
    """Positions, weights (Float64) and keys, after refusing negative/null/NaN/infinite weights."""
    import polars as pl

    dtype = schema[weight_col]
    if not (dtype.is_numeric() or dtype == pl.Boolean):
        raise InputError(f"--weight-col {weight_col!r} of {where} is {dtype}, not numeric; weights must be numbers >= 0")
    import numpy as np

    keys = [pl.col(key_col)] if key_col else []
    data = (
        frame.select(pl.col(weight_col).cast(pl.Float64).alias("__w"), *keys).collect(engine="streaming")
        .with_row_index(INDEX)
    )
    values = data["__w"]
    if values.null_count() == 0:  # fast check in numpy; the slow path below only to name the first bad row
        a = values.to_numpy()
        if np.isfinite(a).all() and not (a < 0).any():
            return data
    w = pl.col("__w")
    bad = data.filter(w.is_null() | w.is_nan() | w.is_infinite() | (w < 0))
    if bad.height:
        first = int(bad[INDEX][0])
        raise InputError(
            f"--weight-col {weight_col!r} of {where} has {bad.height:,} invalid weights (negative, null, NaN or infinite), "
            f"the first at row {first} (0-based) with value {bad['__w'][0]}; weights must be finite and >= 0 (fill or filter them first)"
        )
    return data


def pps_probabilities(w: "pl.Series", n: int) -> "pl.Series":
    """Inclusion probabilities ``min(1, c·w)`` summing to ``n`` (the πps target of a PPS design).

    Examples
    --------
    >>> import polars as pl
    >>> pps_probabilities(pl.Series([10.0, 1.0, 1.0, 1.0, 1.0]), 2).to_list()
    [1.0, 0.25, 0.25, 0.25, 0.25]
    """
    import numpy as np
    import polars as pl

    values = w.cast(pl.Float64).to_numpy()
    order = np.sort(values)[::-1]
    suffix = np.cumsum(order[::-1])[::-1]  # suffix[k] = sum of all but the k largest
    ks = np.arange(min(n, len(order)))
    with np.errstate(divide="ignore", invalid="ignore"):
        # k rows are certain (π = 1) for the first k where the rest, scaled to n - k, stay below 1
        fits = (n - ks) / suffix[ks] * order[ks] < 1
    if not fits.any():  # every one of the n slots goes to a certain row: the n largest weights
        pi = np.zeros(len(values))
        pi[np.argsort(-values, kind="stable")[:n]] = 1.0
        return pl.Series(w.name, pi)
    k = int(np.argmax(fits))
    c = (n - k) / suffix[k]
    return pl.Series(w.name, np.minimum(1.0, c * values))


def successive_probabilities(w: "pl.Series", n: int) -> "pl.Series":
    """Rosén's approximation of the inclusion probabilities of successive (Efraimidis–Spirakis) sampling.

    ``π_i = 1 - exp(-w_i·t)`` with ``t`` solving ``Σ π_i = n`` (Newton's method): the row is
    drawn when its exponential key ``E_i / w_i`` falls under the n-th smallest key, which
    concentrates near ``t``. Asymptotically exact; for small ``n`` or very skewed weights the
    true probabilities differ by O(1/n).

    Examples
    --------
    >>> import polars as pl
    >>> round(float(successive_probabilities(pl.Series([1.0] * 10), 5).sum()), 6)
    5.0
    """
    import numpy as np
    import polars as pl

    values = w.cast(pl.Float64).to_numpy()
    positive = values[values > 0]
    if n >= len(positive):
        return pl.Series(w.name, (values > 0).astype(np.float64))
    t = n / positive.sum()
    for _ in range(100):
        e = np.exp(-positive * t)
        f = (1 - e).sum() - n
        step = f / (positive * e).sum()
        t -= step
        if abs(step) <= 1e-14 * t:
            break
    return pl.Series(w.name, -np.expm1(-values * t))


def sample_weighted(frame: "pl.LazyFrame", *, weight_col: str, n: int | None = None, frac: float | None = None,
                    replace: bool = False, design: WeightedDesign = "successive", seed: int = 0, key_col: str | None = None,
                    weights: bool = False, rows: int | None = None, where: str = "the input",
                    read_frame: "pl.LazyFrame | None" = None) -> Sample:
    """Sample rows with probability in proportion to ``weight_col``.

    ``successive`` (default): without replacement, each successive draw in proportion to the
    weights of the rows not yet drawn, by Efraimidis–Spirakis keys ``E_i / w_i`` (``E_i`` a keyed
    exponential) keeping the ``n`` smallest. ``pps``: a Pareto order sample (Rosén) with target
    inclusion probabilities ``π_i = min(1, c·w_i)`` summing to ``n``, keys
    ``[u/(1-u)] / [π/(1-π)]``. ``replace``: ``n`` independent draws, row ``i`` with probability
    ``w_i / Σw``. Zero weights are never drawn; negative, null, NaN or infinite weights are an
    error naming their count and the first offending row.

    With ``weights=True``: ``pps`` records ``π_i`` (its Pareto inclusion probabilities match π
    to O(1/n)); ``successive`` records Rosén's approximation (see
    :func:`successive_probabilities`); ``replace`` records ``1-(1-p_i)^n`` as ``inclusion_prob``
    and the Hansen–Hurwitz ``1 / (n·p_i)`` per copy as ``design_weight`` (unbiased exactly).

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"id": [0, 1, 2, 3], "w": [0.0, 1.0, 5.0, 1.0]})
    >>> 0 in sample_weighted(lf, weight_col="w", n=3).frame.collect()["id"].to_list()
    False
    """
    import polars as pl

    schema = frame.collect_schema()
    names = schema.names()
    _require(names, [weight_col], where=where, option="--weight-col")
    if design not in ("successive", "pps"):
        raise UsageError(f"--design {design!r} is not one of successive, pps")
    if replace and design == "pps":
        raise UsageError("--design pps draws without replacement; drop --replace or --design")
    _check_key_col(names, key_col, replace=replace, where=where)
    if weights:
        _check_new_columns(names, WEIGHT_COLUMNS, where=where)
    N = _rows(frame, rows, where=where)
    data = _validated_weights(frame, schema, weight_col, key_col=key_col, rows=N, where=where)
    positive = int((data["__w"] > 0).sum())
    if positive == 0:
        raise InputError(f"--weight-col {weight_col!r} of {where} is zero in every row; nothing can be drawn")
    if not replace and n is not None and 0 < n <= N and n > positive:
        raise UsageError(f"-n {n} exceeds the {positive:,} rows of {where} with a positive {weight_col!r}; zero weights are never drawn, lower -n")
    size = sample_size(n, frac, N, replace=replace, where=where, can_replace=True)
    assert size is not None
    if not replace and size > positive:
        raise UsageError(f"--frac {frac} asks for {size:,} rows but only {positive:,} rows of {where} have a positive {weight_col!r}; lower --frac")
    total = float(data["__w"].sum())
    report = _base_report("weighted", N, size, seed, key_col) | {
        "weight_col": weight_col, "design": "replace" if replace else design, "positive_weight_rows": positive,
    }
    if replace:
        cum = data["__w"].cum_sum()
        u = pl.LazyFrame().select(keyed_uniform(seed, pl.int_range(size, dtype=pl.UInt64)) * total).collect().to_series()
        picked = cum.search_sorted(u, side="right").clip(0, N - 1)
        chosen = pl.DataFrame({INDEX: picked}).group_by(INDEX).agg(pl.len().cast(pl.Int64).alias(_REPEAT))
        if weights:
            p = data.select(INDEX, (pl.col("__w") / total).alias("__p"))
            chosen = chosen.join(p, on=INDEX, how="left").with_columns(
                (1.0 - ((-pl.col("__p")).log1p() * size).exp()).alias("inclusion_prob"),
                (1.0 / (size * pl.col("__p"))).alias("design_weight"),
            ).drop("__p")
        report["distinct_rows"] = chosen.height
        return Sample(select_rows(read_frame if read_frame is not None else frame, chosen), report)
    # Keys in numpy chunks (the float maths in polars, so keys are bit-identical to the
    # expressions), keeping the running bottom-k by (key, position): memory O(n + chunk).
    import numpy as np

    w = data["__w"].to_numpy()
    base = None if key_col is None else data.select(_key_base(key_col, schema)).to_series().to_numpy()
    pi = pps_probabilities(data["__w"], size).to_numpy() if design == "pps" else None
    u_col, w_col, pi_col = pl.col("__u"), pl.col("__w"), pl.col("__pi")
    if design == "successive":
        expr = -(1.0 - u_col).log() / w_col
    else:
        expr = pl.when(pi_col >= 1).then(pl.lit(0.0)).otherwise((u_col / (1.0 - u_col)) / (pi_col / (1.0 - pi_col)))

    best = BottomK(size)
    for start in range(0, N, _CHUNK):
        stop = min(N, start + _CHUNK)
        u64 = keyed_u64_positions(seed, start, stop) if base is None else keyed_u64_numpy(seed, base[start:stop])
        u, wc = keyed_uniform_numpy(u64), w[start:stop]
        live = wc > 0  # zero weights are never drawn
        t = best.threshold
        if t is not None and design == "successive":
            # E = -ln(1-u) >= u, so a row with u >= t·w has key E/w >= t and cannot enter: the
            # logarithm is taken only for the few that might. The margins cover rounding (1 - u
            # is off by up to 2^-54 absolute, the products by a few ulps relative).
            live &= u < (t * wc + 2.0**-52) * (1 + 1e-9)
        hit = np.flatnonzero(live)
        cols = {"__u": u[hit], "__w": wc[hit]}
        if pi is not None:
            cols["__pi"] = pi[start:stop][hit]
        best.add(pl.DataFrame(cols).select(expr).to_series().to_numpy(), hit + start)
    picked = best.positions()
    chosen = pl.DataFrame({INDEX: picked})
    if design == "pps":
        assert pi is not None
        report["pps_certainty_rows"] = int((pi >= 1).sum())
    if weights:
        probs = successive_probabilities(data["__w"], size).to_numpy() if pi is None else pi
        chosen = chosen.with_columns(pl.Series("inclusion_prob", probs[picked], dtype=pl.Float64))
        chosen = chosen.with_columns((1.0 / pl.col("inclusion_prob")).alias("design_weight"))
    return Sample(select_rows(read_frame if read_frame is not None else frame, chosen), report)


# ---------------------------------------------------------------------------------------------
# reservoir


def iter_batches(frame: "pl.LazyFrame", *, rows: int | None, batch_rows: int) -> Iterator["pl.DataFrame"]:
    """Batches of ``batch_rows`` rows: slices of a seekable input (Parquet: memory stays at one
    batch), else the streaming engine's batches."""
    if rows is not None:
        for start in range(0, rows, batch_rows):
            yield frame.slice(start, batch_rows).collect(engine="streaming")
    else:
        yield from frame.collect_batches(chunk_size=batch_rows, engine="streaming")


def sample_reservoir(frame: "pl.LazyFrame", *, n: int, seed: int = 0, key_col: str | None = None, weights: bool = False,
                     rows: int | None = None, batch_rows: int | None = None, where: str = "the input",
                     read_frame: "pl.LazyFrame | None" = None) -> Sample:
    """Uniform sample of ``n`` rows in one pass over the input, holding at most about ``n`` rows.

    Each row gets a keyed 64-bit key from (seed, position or ``key_col``) and the ``n`` rows with
    the smallest keys are kept (a bottom-k sketch: mergeable, and the same rows as
    :func:`sample_random` with the same seed). Every row has probability ``n / N`` of being kept,
    whatever the batch size. Two paths draw the same rows:

    * ``rows`` given (a seekable input such as Parquet, whose footer holds the count), no
      ``key_col`` and no ``batch_rows``: position keys need no data, so the ``n`` smallest are
      found from the count in numpy chunks (memory O(n + chunk)) and the returned lazy frame
      reads the input once with the streaming engine, keeping only the chosen rows; memory is
      the ``n`` rows plus the engine's read buffers (a few row groups), whatever the file size
      (``report["path"] == "positions"``).
    * otherwise (stdin, ``key_col``, or ``batch_rows`` given): one pass over batches of
      ``batch_rows`` rows (default 65,536; slices of a seekable input, else the streaming
      engine's batches), keeping the ``n`` smallest keys seen so far: at most ``n`` rows plus one
      batch in memory (``"batches"``).

    Examples
    --------
    >>> import polars as pl
    >>> sample_reservoir(pl.LazyFrame({"x": range(1000)}), n=5, batch_rows=64).frame.height
    5
    """
    import polars as pl

    if n is None or n <= 0:
        raise UsageError(f"-n must be a positive number of rows, got {n}")
    if batch_rows is not None and batch_rows <= 0:
        raise UsageError(f"batch size must be positive, got {batch_rows}")
    schema = frame.collect_schema()
    names = schema.names()
    _check_key_col(names, key_col, where=where)
    if weights:
        _check_new_columns(names, WEIGHT_COLUMNS, where=where)
    if rows is not None and key_col is None and batch_rows is None:
        # Seekable input keyed by position: the keys need no data, so the bottom-k is computed
        # from the row count alone (numpy, O(n + chunk) memory) and one streaming pass reads the
        # chosen rows, holding only them.
        if rows == 0:
            raise _no_rows(where)
        if n > rows:
            raise UsageError(f"-n {n} exceeds the {rows:,} rows of {where}; lower -n (a reservoir draws without replacement)")
        out_lazy = select_rows(read_frame if read_frame is not None else frame, pl.DataFrame({INDEX: bottom_k_positions(seed, rows, n)}))
        if weights:
            out_lazy = out_lazy.with_columns(_design_columns(pl.lit(n / rows)))
        return Sample(out_lazy, _base_report("reservoir", rows, n, seed, None) | {"batch_rows": None, "path": "positions"})
    batch_rows = batch_rows or 65_536
    key = keyed_u64(seed, _key_base(key_col, schema)).alias(_KEY)
    reservoir: pl.DataFrame | None = None
    seen = 0
    for batch in iter_batches(frame, rows=rows, batch_rows=batch_rows):
        if batch.height == 0:
            continue
        if key_col is None:  # position keys in numpy (the same values as the expression, faster)
            batch = batch.with_row_index(INDEX, offset=seen).with_columns(
                pl.Series(_KEY, keyed_u64_positions(seed, seen, seen + batch.height), dtype=pl.UInt64))
        else:  # lazily, so the hash's repeated sub-expressions are computed once (eager would not)
            batch = batch.lazy().with_row_index(INDEX, offset=seen).with_columns(key).collect()
        seen += batch.height
        if reservoir is not None and reservoir.height == n:  # full: only smaller keys can enter
            batch = batch.filter(pl.col(_KEY) < reservoir[_KEY].max())
        merged = batch if reservoir is None else pl.concat([reservoir, batch], how="vertical")
        reservoir = merged.bottom_k(n, by=_order_by(key_col)) if merged.height > n else merged
    if seen == 0 or reservoir is None:
        raise _no_rows(where)
    if n > seen:
        raise UsageError(f"-n {n} exceeds the {seen:,} rows of {where}; lower -n (a reservoir draws without replacement)")
    out = reservoir.sort(INDEX).drop(INDEX, _KEY)
    if weights:
        out = out.with_columns(_design_columns(pl.lit(n / seen)))
    return Sample(out, _base_report("reservoir", seen, n, seed, key_col) | {"batch_rows": batch_rows, "path": "batches"})


# ---------------------------------------------------------------------------------------------
# bernoulli, systematic, cluster


def sample_bernoulli(frame: "pl.LazyFrame", *, p: float, seed: int = 0, key_col: str | None = None, weights: bool = False,
                     rows: int | None = None, where: str = "the input") -> Sample:
    """Keep each row independently with probability ``p``: one streaming pass, constant memory.

    The sample size is random (Binomial(N, p)); ``inclusion_prob`` is exactly ``p``.

    Examples
    --------
    >>> import polars as pl
    >>> sample_bernoulli(pl.LazyFrame({"x": range(1000)}), p=0.1).report["rows_out"]
    97
    """
    import polars as pl

    if p is None or not (0 < p <= 1):
        raise UsageError(f"--p must be a probability in (0, 1], got {p}")
    schema = frame.collect_schema()
    names = schema.names()
    _check_key_col(names, key_col, where=where)
    if weights:
        _check_new_columns(names, WEIGHT_COLUMNS, where=where)
    N = _rows(frame, rows, where=where)
    keep = keyed_uniform(seed, _key_base(key_col, schema)) < p
    # Count first from the deciding column only: the report is embedded in the output's footer.
    if key_col is None:  # position keys need no data: count in numpy chunks (the same values)
        kept = sum(int((keyed_uniform_numpy(keyed_u64_positions(seed, start, min(N, start + _CHUNK))) < p).sum())
                   for start in range(0, N, _CHUNK))
    else:
        kept = int(_decider(frame, [key_col], N).select(keep.sum()).collect(engine="streaming").item())
    out = frame.with_row_index(INDEX).filter(keep).drop(INDEX)
    if weights:
        out = out.with_columns(_design_columns(pl.lit(float(p))))
    return Sample(out, _base_report("bernoulli", N, kept, seed, key_col) | {"p": p})


def sample_systematic(frame: "pl.LazyFrame", *, n: int | None = None, frac: float | None = None, seed: int = 0,
                      weights: bool = False, rows: int | None = None, where: str = "the input") -> Sample:
    """Every k-th row (k = N/n, fractional) from a random start: exactly ``n`` rows.

    Row ``floor((s + j·N) / n)`` is drawn for ``j = 0..n-1`` with ``s`` a keyed uniform integer in
    ``[0, N)``, so every row has inclusion probability exactly ``n / N`` (pairs of rows do not:
    neighbours are never drawn together, which spreads the sample over the file's order).

    Examples
    --------
    >>> import polars as pl
    >>> sample_systematic(pl.LazyFrame({"x": range(10)}), n=2, seed=3).frame.collect()["x"].to_list()
    [3, 8]
    """
    import polars as pl

    if weights:
        _check_new_columns(frame.collect_schema().names(), WEIGHT_COLUMNS, where=where)
    N = _rows(frame, rows, where=where)
    size = sample_size(n, frac, N, where=where)
    assert size is not None
    u = float(pl.LazyFrame().select(keyed_uniform(seed, pl.lit(0, dtype=pl.UInt64))).collect().item())
    start = min(N - 1, int(u * N))
    chosen = pl.select(((pl.lit(start, dtype=pl.Int64) + pl.int_range(size, dtype=pl.Int64) * N) // size).alias(INDEX))
    out = select_rows(frame, chosen)
    if weights:
        out = out.with_columns(_design_columns(pl.lit(size / N)))
    return Sample(out, _base_report("systematic", N, size, seed, None, key="seed (random start)") | {"interval": N / size, "start": start})


def _group_hash(by: Sequence[str], schema: "pl.Schema") -> "pl.Expr":
    """A stable 64-bit hash of a row's group (the values of ``by``; nulls included)."""
    import polars as pl

    h: pl.Expr | None = None
    for col in by:
        part = key_to_u64(pl.col(col), schema[col]).fill_null(pl.lit(_NULL_KEY, dtype=pl.UInt64))
        h = splitmix64(part) if h is None else splitmix64(h ^ splitmix64(part))
    assert h is not None
    return h


def sample_cluster(frame: "pl.LazyFrame", *, by: Sequence[str], n: int | None = None, frac: float | None = None, seed: int = 0,
                   weights: bool = False, where: str = "the input") -> Sample:
    """Draw ``n`` whole groups (clusters) of ``by`` at random and keep all their rows.

    Groups are keyed by a stable hash of their values (nulls form a group), and the ``n`` groups
    with the smallest keyed hashes are drawn: every row's inclusion probability is exactly
    ``n / G`` for ``G`` groups. ``frac`` is a fraction of the groups.

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"user": [1, 1, 2, 2, 3], "x": range(5)})
    >>> sample_cluster(lf, by=["user"], n=1, seed=0).report["groups_sampled"]
    1
    """
    import polars as pl

    schema = frame.collect_schema()
    names = schema.names()
    if not by:
        raise UsageError("give the cluster column with --by COL")
    _require(names, by, where=where, option="--by")
    if weights:
        _check_new_columns(names, WEIGHT_COLUMNS, where=where)
    groups = (
        frame.group_by(list(by)).agg(pl.len().alias("__N")).with_columns(_group_hash(by, schema).alias("__g"))
        .collect(engine="streaming")
    )
    G = groups.height
    if G == 0:
        raise _no_rows(where)
    N = int(groups["__N"].sum())
    size = sample_size(n, frac, G, where=where, unit="groups")
    assert size is not None
    picked = groups.with_columns(keyed_u64(seed, pl.col("__g")).alias(_KEY)).sort(
        [_KEY, *by], nulls_last=True).head(size)
    out = frame.filter(_group_hash(by, schema).is_in(picked["__g"].implode()))
    if weights:
        out = out.with_columns(_design_columns(pl.lit(size / G)))
    report = _base_report("cluster", N, int(picked["__N"].sum()), seed, None, key="group values of " + ",".join(by)) | {
        "by": list(by), "groups": G, "groups_sampled": size,
    }
    return Sample(out, report)


# ---------------------------------------------------------------------------------------------
# importance


def parse_target_dist(text: str) -> tuple[str, dict[str, float]]:
    """Parse ``COL=v1:0.5,v2:0.5`` into the column and its target probabilities.

    Examples
    --------
    >>> parse_target_dist("is_fraud=0:0.5,1:0.5")
    ('is_fraud', {'0': 0.5, '1': 0.5})
    """
    col, sep, spec = text.partition("=")
    if not sep or not col.strip() or not spec.strip():
        raise UsageError(f"--target-dist {text!r} must look like COL=value:prob,value:prob (e.g. is_fraud=0:0.5,1:0.5)")
    probs: dict[str, float] = {}
    for part in spec.split(","):
        value, colon, prob = part.strip().rpartition(":")
        if not colon:
            raise UsageError(f"--target-dist entry {part.strip()!r} must look like value:prob (e.g. 1:0.5)")
        try:
            p = float(prob)
        except ValueError as exc:
            raise UsageError(f"--target-dist probability {prob!r} of value {value!r} is not a number") from exc
        if not (p >= 0 and math.isfinite(p)):
            raise UsageError(f"--target-dist probability of value {value!r} must be >= 0, got {prob}")
        if value in probs:
            raise UsageError(f"--target-dist names value {value!r} twice")
        probs[value] = p
    return col.strip(), probs


def effective_sample_size(w: "pl.Series") -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` of importance weights."""
    s, s2 = float(w.sum()), float((w * w).sum())
    return s * s / s2 if s2 > 0 else 0.0


def sample_importance(frame: "pl.LazyFrame", *, n: int | None = None, frac: float | None = None,
                      target_dist: tuple[str, Mapping[str, float]] | None = None,
                      reference: "pl.LazyFrame | None" = None, features: Sequence[str] = (),
                      classifier: Classifier = "logistic", fit_rows: int = 100_000, folds: int = 5,
                      seed: int = 0, key_col: str | None = None, weights: bool = False, rows: int | None = None,
                      where: str = "the input", reference_name: str = "the reference") -> Sample:
    """Draw from the input (the proposal q) and weight rows by ``p/q`` so the sample represents ``p``.

    The rows are a simple random sample of the input (all rows when neither ``n`` nor ``frac``
    is given) and ``importance_weight`` is proportional to ``p(x)/q(x)``, normalised to mean 1
    over the sample; the report holds Kish's effective sample size. ``p`` comes from either

    * ``target_dist=(col, {value: prob})``: a categorical column's target distribution, with
      ``q`` the column's exact distribution in the input (``p/q`` is exact); values absent from
      the input or probabilities not summing to 1 are errors, input values not listed get
      weight 0; or
    * ``reference`` + ``features``: ``p`` is the reference data's distribution. A probabilistic
      classifier (scikit-learn logistic regression on standardised, median-imputed features, or
      histogram gradient boosting) learns to tell reference rows from input rows on up to
      ``fit_rows`` keyed-random rows of each; ``p/q = P(ref|x) / P(input|x) · n_input / n_ref``.
      Its ``folds``-fold cross-validated ROC AUC is reported: near 0.5 the two already match.

    Examples
    --------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"y": [0] * 8 + [1] * 2})
    >>> s = sample_importance(lf, target_dist=("y", {"0": 0.5, "1": 0.5}))
    >>> s.frame.collect()["importance_weight"].to_list()[-2:]
    [2.5, 2.5]
    """
    import polars as pl

    schema = frame.collect_schema()
    names = schema.names()
    if (target_dist is None) == (reference is None):
        raise UsageError("give the target distribution with either --target-dist COL=v:p,... or --reference REF --features a,b")
    _check_key_col(names, key_col, where=where)
    _check_new_columns(names, [IMPORTANCE_COLUMN, *(WEIGHT_COLUMNS if weights else ())], where=where)
    N = _rows(frame, rows, where=where)
    size = sample_size(n, frac, N, where=where, required=False)
    warnings: list[str] = []
    report: dict[str, Any]
    if target_dist is not None:
        col, probs = target_dist
        _require(names, [col], where=where, option="--target-dist")
        total = sum(probs.values())
        if abs(total - 1.0) > 1e-6:
            raise UsageError(f"--target-dist probabilities for {col!r} sum to {total:g}, not 1; fix them so they sum to 1")
        text = pl.col(col).cast(pl.String)
        counts = frame.group_by(text.alias("__v")).agg(pl.len().alias("__N")).collect(engine="streaming")
        present = {v: int(c) for v, c in zip(counts["__v"], counts["__N"])}
        absent = [v for v in probs if v not in present]
        if absent:
            shown = ", ".join(repr(v) for v in sorted(k for k in present if k is not None)[:10])
            raise InputError(f"--target-dist value {absent[0]!r} does not occur in column {col!r} of {where}; values present: {shown}")
        unlisted = sorted("null" if v is None else str(v) for v in present if v not in probs)
        if unlisted:
            warnings.append(f"values of {col!r} not in --target-dist get importance weight 0: {', '.join(unlisted[:10])}")
        ratio = {v: probs.get(v, 0.0) / (c / N) for v, c in present.items() if v is not None}
        dec = _decider(frame, [col, *([key_col] if key_col else [])], N)
        dec = dec.with_columns(text.replace_strict(list(ratio), list(ratio.values()), default=0.0, return_dtype=pl.Float64).fill_null(0.0).alias("__r"))
        if size is not None:
            dec = dec.with_columns(keyed_u64(seed, _key_base(key_col, schema)).alias(_KEY)).bottom_k(size, by=_order_by(key_col))
        chosen = dec.select(INDEX, "__r", text.alias("__v")).collect(engine="streaming")
        report = {"target_col": col, "target_dist": dict(probs),
                  "input_dist": {str(v): c / N for v, c in sorted(present.items(), key=lambda kv: str(kv[0]))},
                  "sample_counts": {str(v): int(c) for v, c in chosen.group_by("__v").len().sort("__v").iter_rows()}}
        chosen = chosen.drop("__v")
    else:
        assert reference is not None
        chosen, report = _classifier_ratio(frame, reference, features=features, classifier=classifier, fit_rows=fit_rows,
                                           folds=folds, size=size, seed=seed, key_col=key_col, rows=N, where=where,
                                           reference_name=reference_name)
        if report["cv_auc"] > 0.9:
            warnings.append(f"the classifier tells {where} from {reference_name} apart easily (cross-validated AUC {report['cv_auc']:.3f}); "
                            "the weights will be extreme and the effective sample size small")
    mean = float(chosen["__r"].mean())  # type: ignore[arg-type]
    if not mean > 0:
        raise InputError(f"every drawn row of {where} has importance weight 0; the target distribution does not overlap the sample")
    chosen = chosen.with_columns((pl.col("__r") / mean).alias(IMPORTANCE_COLUMN)).drop("__r")
    ess = effective_sample_size(chosen[IMPORTANCE_COLUMN])
    m = chosen.height
    if weights:
        pi = m / N
        chosen = chosen.with_columns(pl.lit(pi).alias("inclusion_prob"), pl.lit(1.0 / pi).alias("design_weight"))
    report = _base_report("importance", N, m, seed, key_col) | report | {"effective_sample_size": ess}
    return Sample(select_rows(frame, chosen), report, warnings)


def _classifier_ratio(frame: "pl.LazyFrame", reference: "pl.LazyFrame", *, features: Sequence[str], classifier: Classifier,
                      fit_rows: int, folds: int, size: int | None, seed: int, key_col: str | None, rows: int, where: str,
                      reference_name: str) -> tuple["pl.DataFrame", dict[str, Any]]:
    """Density ratio p/q for the drawn rows from a classifier telling reference from input rows."""
    import numpy as np
    import polars as pl

    if not features:
        raise UsageError("--reference needs --features a,b,c: the columns whose distribution should match")
    if classifier not in ("logistic", "hgb"):
        raise UsageError(f"--classifier {classifier!r} is not one of logistic, hgb")
    if fit_rows < 10:
        raise UsageError(f"--fit-rows must be at least 10, got {fit_rows}")
    if folds < 2:
        raise UsageError(f"--folds must be at least 2, got {folds}")
    schema = frame.collect_schema()
    ref_schema = reference.collect_schema()
    _require(schema.names(), features, where=where, option="--features")
    _require(ref_schema.names(), features, where=reference_name, option="--features")
    for col in features:
        if not (schema[col].is_numeric() or schema[col] == pl.Boolean):
            raise InputError(f"--features column {col!r} of {where} is {schema[col]}, not numeric or boolean; encode it first (e.g. one-hot) or leave it out")
    ref_rows = int(reference.select(pl.len()).collect(engine="streaming").item())
    if ref_rows == 0:  # its own message: the reference is not what is sampled
        raise InputError(f"{reference_name} has no rows; it cannot define a target distribution")
    for lf, name in ((frame, where), (reference, reference_name)):  # one cheap pass over the features
        infinite = lf.select(pl.col(c).cast(pl.Float64).is_infinite().any().alias(c) for c in features).collect(engine="streaming").row(0)
        for col, bad in zip(features, infinite):
            if bad:
                raise InputError(f"--features column {col!r} of {name} holds ±inf, which the classifier cannot use; replace it with null (the classifier imputes medians) or leave the column out")

    def features_of(lf: "pl.LazyFrame", total: int, k: int, salt: int) -> "pl.DataFrame":
        dec = lf.select(list(features)).with_row_index(INDEX)
        if k < total:
            dec = dec.filter(pl.col(INDEX).is_in(
                pl.LazyFrame().select(pl.int_range(total, dtype=_idx_dtype()).alias(INDEX))
                .with_columns(keyed_u64(seed ^ salt, pl.col(INDEX).cast(pl.UInt64)).alias(_KEY))
                .bottom_k(k, by=_KEY).collect(engine="streaming")[INDEX].implode()))
        return dec.with_columns(pl.col(c).cast(pl.Float64) for c in features).collect(engine="streaming")

    fit_in = features_of(frame, rows, min(fit_rows, rows), 0x1F)
    fit_ref = features_of(reference, ref_rows, min(fit_rows, ref_rows), 0x2F)
    X = np.vstack([fit_in.select(features).to_numpy(), fit_ref.select(features).to_numpy()])
    y = np.concatenate([np.zeros(fit_in.height), np.ones(fit_ref.height)])
    if min(fit_in.height, fit_ref.height) < folds:
        raise InputError(f"too few rows to cross-validate the classifier with {folds} folds; give more rows or lower --folds")
    from sklearn.base import clone
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    model = _make_classifier(classifier, seed)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed % (2**32))
    oof = cross_val_predict(clone(model), X, y, cv=cv, method="predict_proba")[:, 1]
    auc = float(roc_auc_score(y, oof))
    model.fit(X, y)
    # Rows of the sample: keyed uniform draw from the input (or all rows).
    dec = _decider(frame, [*features, *([key_col] if key_col else [])], rows)
    if size is not None:
        dec = dec.with_columns(keyed_u64(seed, _key_base(key_col, schema)).alias(_KEY)).bottom_k(size, by=_order_by(key_col))
    drawn = dec.select(INDEX, *[pl.col(c).cast(pl.Float64) for c in features]).collect(engine="streaming").sort(INDEX)
    prob = np.clip(model.predict_proba(drawn.select(features).to_numpy())[:, 1], 1e-6, 1 - 1e-6)
    ratio = prob / (1 - prob) * (fit_in.height / fit_ref.height)
    chosen = drawn.select(INDEX).with_columns(pl.Series("__r", ratio))
    report = {"reference": reference_name, "features": list(features), "classifier": classifier, "cv_auc": auc,
              "cv_folds": folds, "fit_rows": {"input": fit_in.height, "reference": fit_ref.height}}
    return chosen, report


def _make_classifier(kind: Classifier, seed: int) -> Any:
    from sklearn.pipeline import make_pipeline

    if kind == "logistic":
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1000))
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=seed % (2**32))
