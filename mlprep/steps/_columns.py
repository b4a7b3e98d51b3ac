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


def _times_pow2(expr: pl.Expr, k: int) -> pl.Expr:
    """``expr · 2**k`` in two exact steps, so that neither constant overflows: ``k`` passes 1023
    for columns of tiny values (a spread of 1e-150 needs about 2**560 for the mean and, before
    squaring, the same again)."""
    first = k // 2
    return expr * (2.0**first) * (2.0 ** (k - first))


#: Rows of the head sample that guesses the range of a column for one-pass moments.
SAMPLE_ROWS = 65_536
#: The guessed window is the sample's half-range widened by 2**WINDOW_MARGIN on each side.
WINDOW_MARGIN = 8
#: A guess is kept only if the data's own half-range is at least 2**-WINDOW_SLACK of the window's
#: (so the fixed-point resolution stays below 2**-(62 - WINDOW_SLACK) of the data's spread).
WINDOW_SLACK = 16


def _moment_plan(lo: float, hi: float) -> tuple[float, float, int, int]:
    """(center, half, k1, k2) for values in [lo, hi]: a deviation ``d`` from the center has
    ``|d·2**k1| < 2**62`` and ``d²·2**k2 < 2**62``, so a sum of 2**64 of either fits Int128.
    ``k2`` is even: ``d²·2**k2`` is computed as ``(d·2**(k2/2))²``, which neither underflows
    nor overflows whatever the magnitude of the data."""
    lo, hi = float(lo), float(hi)
    center = lo / 2 + hi / 2
    half = max(hi - center, center - lo)
    if not half > 0:
        return center, 0.0, 0, 0
    _, exponent = math.frexp(half)  # half < 2**exponent
    return center, half, 62 - exponent, 62 - 2 * exponent


def _moment_exprs(name: str, expr: pl.Expr, plan: tuple[float, float, int, int], *, variance: bool, prefix: str = "") -> list[pl.Expr]:
    center, half, k1, k2 = plan
    out = [expr.count().alias(f"{prefix}n:{name}")]
    if not half > 0:
        return out
    d = expr - center
    out.append(_times_pow2(d, k1).round().cast(pl.Int128, strict=False).sum().alias(f"{prefix}s1:{name}"))
    if variance:
        out.append((_times_pow2(d, k2 // 2) ** 2).round().cast(pl.Int128, strict=False).sum().alias(f"{prefix}s2:{name}"))
    return out


def _moments_from(row: Mapping[str, Any], name: str, plan: tuple[float, float, int, int], *, variance: bool, prefix: str = "") -> tuple[float, float] | None:
    from fractions import Fraction

    center, half, k1, k2 = plan
    n = row[f"{prefix}n:{name}"]
    if not n:
        return None
    if not half > 0:
        return (center, 0.0)
    mean_d = Fraction(int(row[f"{prefix}s1:{name}"])) / (Fraction(2) ** k1) / n
    mean = float(Fraction(center) + mean_d)
    var = 0.0
    if variance:
        mean_sq = Fraction(int(row[f"{prefix}s2:{name}"])) / (Fraction(2) ** k2) / n
        try:
            var = float(max(mean_sq - mean_d * mean_d, Fraction(0)))
        except OverflowError:  # values near the float limit: the variance exceeds it, inf as numpy gives
            var = math.inf
    return (mean, var)


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
    plans = {name: _moment_plan(lo, hi) for name, (_, lo, hi) in columns.items()}
    exprs = [e for name, (expr, _, _) in columns.items() for e in _moment_exprs(name, expr, plans[name], variance=variance)]
    row = frame.select(exprs).collect(engine="streaming").row(0, named=True) if exprs else {}
    out: dict[str, tuple[float, float]] = {}
    for name, plan in plans.items():
        result = _moments_from(row, name, plan, variance=variance)
        if result is not None:  # None: no value (e.g. every row dropped), the caller reports it
            out[name] = result
    return out


class OnePassMoments:
    """Exact moments folded into another single pass, with the fixed-point window guessed up front.

    :func:`exact_moments` needs each column's min and max, i.e. a pass before its own. Here the
    window is guessed from the min and max of the first :data:`SAMPLE_ROWS` rows (a cheap,
    deterministic read), widened by 2**WINDOW_MARGIN, and the Int128 sums run in the caller's
    pass next to its min/max aggregates. :meth:`result` keeps a column's sums only if its true
    min and max lie inside the window and its spread is not tiny next to it (so the resolution
    is as good as :func:`exact_moments`'s to within 2**WINDOW_SLACK); any other column gets a
    second pass with :func:`exact_moments`. Every decision depends on the data only, never on
    thread count or batch order, so results stay byte-identical across threads.
    """

    PREFIX = "\0m"

    def __init__(self, frame: pl.LazyFrame, columns: Mapping[str, pl.Expr], *, variance: bool = True) -> None:
        self.frame, self.columns, self.variance = frame, dict(columns), variance
        sample = (
            frame.head(SAMPLE_ROWS).select([e for name, expr in self.columns.items() for e in (expr.min().alias(f"lo:{name}"), expr.max().alias(f"hi:{name}"))])
            .collect(engine="streaming").row(0, named=True)
            if self.columns else {}
        )
        self.plans: dict[str, tuple[float, float, int, int]] = {}
        for name in self.columns:
            lo, hi = sample[f"lo:{name}"], sample[f"hi:{name}"]
            if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
                continue
            center, half, _, _ = _moment_plan(lo, hi)
            window = half * 2.0**WINDOW_MARGIN if half > 0 else max(abs(center), 1.0) * 2.0**WINDOW_MARGIN
            if not math.isfinite(center - window) or not math.isfinite(center + window):
                continue
            self.plans[name] = _moment_plan(center - window, center + window)

    def exprs(self) -> list[pl.Expr]:
        """Aggregates to add to the caller's single pass."""
        return [e for name, plan in self.plans.items() for e in _moment_exprs(name, self.columns[name], plan, variance=self.variance, prefix=self.PREFIX)]

    def result(
        self, row: Mapping[str, Any], bounds: Mapping[str, tuple[Any, Any]], *, names: Sequence[str] | None = None
    ) -> dict[str, tuple[float, float]]:
        """Mean and variance per column (of ``names``, default all) from the pass's ``row`` and each column's true (min, max)."""
        out: dict[str, tuple[float, float]] = {}
        redo: dict[str, tuple[pl.Expr, float, float]] = {}
        for name in self.columns if names is None else names:
            expr = self.columns[name]
            lo, hi = bounds[name]
            if lo is None or hi is None:
                continue  # no value: the caller reports it
            if float(lo) == float(hi):
                out[name] = (float(lo), 0.0)  # a constant column (exact_moments gives the same)
                continue
            plan = self.plans.get(name)
            if plan is not None:
                center, window, _, _ = plan
                spread = float(hi) / 2 - float(lo) / 2
                inside = center - window <= lo and hi <= center + window
                if inside and spread >= window * 2.0**-WINDOW_SLACK:
                    result = _moments_from(row, name, plan, variance=self.variance, prefix=self.PREFIX)
                    if result is not None:
                        out[name] = result
                        continue
            redo[name] = (expr, lo, hi)
        out.update(exact_moments(self.frame, redo, variance=self.variance))
        return out


#: Bytes an exact median or quantile may take per value: the column collected (8) and a sorted copy (8).
SORT_BYTES_PER_VALUE = 16


def row_count(frame: pl.LazyFrame) -> int:
    """Rows of a lazy frame (a plain Parquet scan answers from the footer)."""
    return int(frame.select(pl.len()).collect().item())


def sort_batches(cols: Sequence[str], rows: int) -> list[list[str]]:
    """``cols`` in groups whose exact medians/quantiles over ``rows`` rows can be computed together in memory.

    polars computes a median by collecting and sorting the column, so one query over many columns
    holds all of them at once. Each group's columns fit in half of :func:`mlprep.memory.memory_limit`
    (the cgroup's limit in a container); with ordinary data that is one group (one pass), while a
    file larger than memory is sorted a column or a few at a time (CONVENTIONS: only what an
    algorithm truly needs is collected).
    """
    from mlprep.memory import memory_limit

    cols = list(cols)
    per_column = max(rows, 1) * SORT_BYTES_PER_VALUE
    size = max(1, int(memory_limit() // 2 // per_column))
    return [cols[i : i + size] for i in range(0, len(cols), size)]
