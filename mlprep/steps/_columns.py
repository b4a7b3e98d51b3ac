"""Column helpers shared by the fitted numeric steps (impute, scale, bin).

What "missing" means lives here, once: null always; float NaN too unless ``nan_missing=False``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from mlprep.errors import InputError, UsageError
from mlprep.parsing import select_columns


def is_numeric(dtype: pl.DataType) -> bool:
    """Integer or float (booleans are not numbers here)."""
    return dtype.is_numeric() and dtype != pl.Boolean


def missing(name: str, dtype: pl.DataType, *, nan_missing: bool = True) -> pl.Expr:
    """True where ``name`` is missing: null, or NaN for a float column when ``nan_missing``."""
    expr = pl.col(name).is_null()
    if nan_missing and dtype.is_float():
        expr = expr | pl.col(name).is_nan()
    return expr


def values(name: str, dtype: pl.DataType, *, inf_as_missing: bool = False) -> pl.Expr:
    """The column as Float64 with NaN (and ±inf when ``inf_as_missing``) turned into null."""
    expr = pl.col(name).cast(pl.Float64)
    if dtype.is_float():
        expr = expr.fill_nan(None)
        if inf_as_missing:
            expr = pl.when(expr.is_infinite()).then(None).otherwise(expr)
    return expr


def numeric_columns(
    schema: pl.Schema, cols: Sequence[str] | None, *, where: str, purpose: str, exclude_suffix: str | None = None
) -> list[str]:
    """Resolve ``--cols`` (default: every numeric column) and refuse a non-numeric one."""
    names = schema.names()
    if not cols:
        return [c for c in names if is_numeric(schema[c]) and not (exclude_suffix and c.endswith(exclude_suffix))]
    chosen = select_columns(cols, names, where=where)
    for name in chosen:
        if not is_numeric(schema[name]):
            raise InputError(
                f"column {name!r} of {where} is {schema[name]}, not numeric; {purpose} needs numbers (drop it from --cols or encode it first)"
            )
    return chosen


def check_fraction(value: float | None, *, option: str) -> None:
    """A threshold option must be a fraction in [0, 1]."""
    if value is not None and not (0.0 <= value <= 1.0):
        raise UsageError(f"{option} {value!r} must be a fraction of missing values between 0 and 1 (e.g. {option} 0.5)")


def finite(value: Any, *, column: str, what: str, where: str) -> float:
    """A fitted number that must be finite to be stored as JSON state."""
    number = float(value)
    if not math.isfinite(number):
        raise InputError(
            f"the {what} of column {column!r} in {where} is {number}: the column holds ±inf or NaN values; "
            "clean them first (or use --inf-as-missing where offered)"
        )
    return number


def all_null_error(column: str, where: str) -> InputError:
    """A column with no value to fit statistics on."""
    return InputError(
        f"column {column!r} of {where} has no non-missing value, so nothing can be fitted on it; "
        "drop it from --cols or pass --drop-all-null to drop it from every output"
    )


def dtype_map(schema: pl.Schema, cols: Sequence[str]) -> dict[str, str]:
    """``{column: dtype}`` of the columns a transform reads, as recorded in its state."""
    return {c: str(schema[c]) for c in cols}


def _scale_exponent(bound: float) -> int:
    """k such that ``bound * 2**k`` is below 2**62 (so a sum of 2**64 such integers fits Int128)."""
    _, exponent = math.frexp(bound)  # bound < 2**exponent
    return max(-1000, min(1000, 62 - exponent))


def exact_moments(
    frame: pl.LazyFrame, columns: Mapping[str, tuple[pl.Expr, float, float]], *, variance: bool = True
) -> dict[str, tuple[float, float]]:
    """Mean and population variance of each column, independent of thread count and batch order.

    ``columns`` maps a name to (Float64 expression with missing as null, min, max) from an
    earlier pass. Each value is centred on the midrange ``c``, scaled by a power of two so the
    largest deviation fills 62 bits, rounded to an integer and summed as Int128: integer sums do
    not depend on the order rows arrive in, so the result is the same whatever the threads, and
    the per-value rounding (a relative 2**-62 of the largest deviation) is far below 1e-9.
    mean = c + Σd/n and var = Σd²/n - (Σd/n)² are then evaluated in exact rational arithmetic.
    One streaming pass of aggregates.
    """
    from fractions import Fraction

    exprs: list[pl.Expr] = []
    plans: dict[str, tuple[float, int, int]] = {}
    for name, (expr, lo, hi) in columns.items():
        lo, hi = float(lo), float(hi)
        center = lo / 2 + hi / 2
        half = max(hi - center, center - lo)
        if not half > 0:
            plans[name] = (center, 0, 0)
            exprs.append(expr.count().alias(f"n:{name}"))
            continue
        k1 = _scale_exponent(half)
        k2 = _scale_exponent(half * half) if half * half > 0 else 0
        d = expr - center
        plans[name] = (center, k1, k2)
        exprs += [expr.count().alias(f"n:{name}"), (d * (2.0**k1)).round().cast(pl.Int128).sum().alias(f"s1:{name}")]
        if variance:
            exprs.append((d * d * (2.0**k2)).round().cast(pl.Int128).sum().alias(f"s2:{name}"))
    row = frame.select(exprs).collect(engine="streaming").row(0, named=True) if exprs else {}
    out: dict[str, tuple[float, float]] = {}
    for name, (center, k1, k2) in plans.items():
        n = row[f"n:{name}"]
        if not n:
            continue  # no value (e.g. every row dropped): the caller reports it
        if f"s1:{name}" not in row:
            out[name] = (center, 0.0)
            continue
        mean_d = Fraction(int(row[f"s1:{name}"])) / (Fraction(2) ** k1) / n
        mean = float(Fraction(center) + mean_d)
        var = 0.0
        if variance:
            mean_sq = Fraction(int(row[f"s2:{name}"])) / (Fraction(2) ** k2) / n
            var = float(max(mean_sq - mean_d * mean_d, Fraction(0)))
        out[name] = (mean, var)
    return out
