"""``profile``: per-column statistics in one streaming pass (plus a group-by per text column)."""

from __future__ import annotations

from typing import Any

import polars as pl

#: Above this many rows distinct counts are approximate (HyperLogLog) unless exact is asked for.
EXACT_DISTINCT_MAX_ROWS = 1_000_000
TOP_VALUES = 5


def profile(frame: pl.LazyFrame, *, exact: bool | None = None, top: int = TOP_VALUES, rows: int | None = None) -> dict[str, Any]:
    """Describe every column: dtype, rows, nulls, NaNs, distinct values, numeric moments, top values.

    Null and float NaN are counted apart (polars keeps them apart). Numeric statistics skip
    nulls and NaNs; ``std`` is the sample standard deviation (ddof=1) and ``skewness`` the
    biased (population) estimator, as ``scipy.stats.skew``'s default. Distinct counts are
    exact up to 1M rows (or with ``exact=True``), HyperLogLog estimates above.

    Example
    -------
    >>> profile(pl.LazyFrame({"x": [1.0, None, float("nan")]}))["columns"][0]["nulls"]
    1
    """
    schema = frame.collect_schema()
    if rows is None:
        rows = int(frame.select(pl.len()).collect(engine="streaming").item())
    use_exact = exact if exact is not None else rows <= EXACT_DISTINCT_MAX_ROWS
    exprs: list[pl.Expr] = []
    for i, (name, dtype) in enumerate(schema.items()):
        exprs.extend(_column_aggregates(i, name, dtype, use_exact))
    stats = frame.select(exprs).collect(engine="streaming").row(0, named=True) if exprs else {}
    columns = []
    for i, (name, dtype) in enumerate(schema.items()):
        entry: dict[str, Any] = {"name": name, "dtype": str(dtype), "rows": rows}
        for key in ("nulls", "nans", "distinct", "min", "max", "mean", "std", "skewness"):
            if f"{i}:{key}" in stats:
                entry[key] = _jsonable(stats[f"{i}:{key}"])
        entry["distinct_exact"] = use_exact
        if _is_categorical_like(dtype):
            entry["top"] = _top_values(frame, name, top)
        columns.append(entry)
    return {"rows": rows, "columns": columns}


def _is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() and not isinstance(dtype, pl.Decimal)


def _is_categorical_like(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Boolean) or isinstance(dtype, (pl.Categorical, pl.Enum))


def _column_aggregates(i: int, name: str, dtype: pl.DataType, exact: bool) -> list[pl.Expr]:
    col = pl.col(name)
    out = [col.null_count().alias(f"{i}:nulls")]
    nested = isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Object))
    if not nested and dtype != pl.Null:
        out.append((col.n_unique() if exact else col.approx_n_unique()).alias(f"{i}:distinct"))
    if dtype.is_float():
        out.append(col.is_nan().sum().alias(f"{i}:nans"))
        clean = col.filter(col.is_not_nan())
    else:
        clean = col
    if _is_numeric(dtype):
        as_float = clean.cast(pl.Float64)
        out += [
            clean.min().alias(f"{i}:min"),
            clean.max().alias(f"{i}:max"),
            as_float.mean().alias(f"{i}:mean"),
            as_float.std().alias(f"{i}:std"),
            as_float.skew().alias(f"{i}:skewness"),
        ]
    elif dtype.is_temporal() or dtype == pl.String:
        out += [col.min().alias(f"{i}:min"), col.max().alias(f"{i}:max")]
    return out


def _top_values(frame: pl.LazyFrame, name: str, top: int) -> list[dict[str, Any]]:
    counts = (
        frame.group_by(pl.col(name).cast(pl.String).alias("value"))
        .agg(pl.len().alias("count"))
        .sort(["count", "value"], descending=[True, False], nulls_last=True)
        .head(top)
        .collect(engine="streaming")
    )
    return counts.to_dicts()


def _jsonable(value: Any) -> Any:
    """Keep JSON strict: NaN/inf become None, temporals ISO text."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
