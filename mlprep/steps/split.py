"""``split``: time-based, random, stratified and group splits into train / valid / test.

Every function here plans a split and returns one lazy frame per output plus the report, so the
caller can write all outputs in a single streaming pass over the input. Planning reads only the
columns that decide the split:

- a **time split** reads the time column once (sorted, as physical integers) and chooses cut
  points on it; each output is then ``frame.filter(lower <= t < upper)``, which streams;
- a **random split** draws a keyed uniform number per row from (seed, row position or
  ``key_col``) with the ``splitmix64-v1`` scheme of :mod:`mlprep.keyed`, so a row's split does
  not depend on batching, thread count or (with a key column) on the other rows;
- a **stratified split** reads the class column (and key) once and turns exact per-class counts
  into per-class thresholds on the same keyed number;
- a **group split** keys the draw on the group value, so all rows of a group go together.

Missing values: nulls in the time column are an error (or dropped with ``drop_null_time``,
counted in the report); a null class (``stratify``) or null group (``group_col``) is a class or
group of its own; float NaN in a class column is a class of its own; nulls in ``key_col`` are an
error, as a row key must identify every row.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from mlprep.errors import InputError, UsageError, missing_column
from mlprep.keyed import KEYED_SCHEME, key_to_u64, keyed_uniform
from mlprep.parsing import parse_duration

Window = Literal["expanding", "rolling"]
Role = Literal["train", "valid", "test"]
Cutoff = str | dt.date | dt.datetime
Duration = str | dt.timedelta

SPLIT_NAMES: dict[int, tuple[Role, ...]] = {2: ("train", "test"), 3: ("train", "valid", "test")}
DEFAULT_RATIOS = (0.7, 0.15, 0.15)
RATIO_TOLERANCE = 1e-6
_POS = "__mlprep_split_pos"
_U = "__mlprep_split_u"
_NULL_GROUP_KEY = 0x6D6C707265706E75  # the UInt64 key of the null group ("mlprepnu")
_ISO = "%Y-%m-%dT%H:%M:%S%.f"


@dataclass
class SplitPart:
    """One output of a split: its name (``train``, ``fold-2/valid``), role, fold and rows."""

    name: str
    role: Role
    frame: pl.LazyFrame
    rows: int
    fold: int | None = None


@dataclass
class SplitResult:
    """What a split will write: one lazy frame per output, the shared report, and warnings."""

    parts: list[SplitPart]
    report: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def frames(self) -> dict[str, pl.LazyFrame]:
        """Output name → lazy frame."""
        return {part.name: part.frame for part in self.parts}


# ---------------------------------------------------------------------------------------------
# Shared validation


def check_ratios(ratios: Sequence[float], *, option: str = "--ratios") -> list[float]:
    """Check that there are 2 or 3 positive ratios summing to 1; return them as floats.

    Example
    -------
    >>> check_ratios([0.7, 0.15, 0.15])
    [0.7, 0.15, 0.15]
    """
    values = [float(r) for r in ratios]
    shown = ",".join(f"{r:g}" for r in values)
    if len(values) not in SPLIT_NAMES:
        raise UsageError(f"{option} {shown} has {len(values)} values; give 2 (train,test) or 3 (train,valid,test), e.g. 0.7,0.15,0.15")
    if any(not math.isfinite(r) or r <= 0 for r in values):
        raise UsageError(f"{option} {shown}: every ratio must be positive; give 2 ratios (train,test) to have no valid split")
    total = math.fsum(values)
    if abs(total - 1.0) > RATIO_TOLERANCE:
        raise UsageError(f"{option} {shown} sums to {total:g}, not 1; e.g. 0.7,0.15,0.15")
    return values


def _require(schema: pl.Schema, column: str, *, where: str, option: str) -> pl.DataType:
    if column not in schema:
        raise missing_column(column, schema.names(), where=where, option=option)
    return schema[column]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_empty(rows: dict[str, int], *, allow_empty: bool, why: str) -> None:
    empty = [name for name, count in rows.items() if count == 0]
    if empty and not allow_empty:
        names = ("split " + repr(empty[0])) if len(empty) == 1 else "splits " + ", ".join(repr(e) for e in empty)
        raise InputError(f"{names} would be empty ({why}); change the split options, or pass --allow-empty to write empty files")


# ---------------------------------------------------------------------------------------------
# Time: the column, its sorted values, cut points


def prepare_time_column(frame: pl.LazyFrame, time_col: str, *, parse_time: bool = False, where: str = "the input") -> tuple[pl.LazyFrame, pl.DataType]:
    """Check that ``time_col`` is a Date or Datetime (parsing ISO text if asked); return the frame and dtype.

    Example
    -------
    >>> lf, dtype = prepare_time_column(pl.LazyFrame({"t": ["2025-01-02"]}), "t", parse_time=True)
    >>> dtype
    Date
    """
    schema = frame.collect_schema()
    dtype = _require(schema, time_col, where=where, option="--time-col")
    if dtype == pl.String:
        if not parse_time:
            raise InputError(
                f"--time-col {time_col!r} of {where} is text (String), not a date or datetime; pass --parse-time to parse "
                f"ISO 8601 strings, or convert it once with `mlprep convert --parse-dates {time_col}`"
            )
        frame = frame.with_columns(_parse_iso(frame, time_col))
        dtype = frame.collect_schema()[time_col]
    elif not isinstance(dtype, (pl.Date, pl.Datetime)):
        raise InputError(
            f"--time-col {time_col!r} of {where} is {dtype}, not a date or datetime; split on a Date/Datetime column "
            "(ISO 8601 text is parsed with --parse-time)"
        )
    return frame, dtype


def _parse_iso(frame: pl.LazyFrame, name: str) -> pl.Expr:
    """Dates (``2025-01-31``) become Date; anything with a time part becomes Datetime[us]."""
    sample = frame.select(pl.col(name).drop_nulls().first()).collect().item()
    if sample is not None and len(sample.strip()) <= 10:
        return pl.col(name).str.to_date(strict=True)
    return pl.col(name).str.to_datetime(strict=True, time_unit="us")


def sorted_times(frame: pl.LazyFrame, time_col: str, *, drop_null_time: bool = False, where: str = "the input") -> tuple[np.ndarray, int]:
    """One pass over the time column only: its non-null values, sorted, as int64; and the null count.

    Values are the physical integers of the column (days for Date, epoch units for Datetime,
    UTC-based for time-zone-aware columns), so comparisons are exact at any time unit.
    """
    try:
        column = frame.select(pl.col(time_col).to_physical().sort(nulls_last=True)).collect(engine="streaming").to_series()
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"cannot read --time-col {time_col!r} of {where}: {_first_line(exc)} (with --parse-time, every value must be ISO 8601)") from exc
    nulls = column.null_count()
    if nulls and not drop_null_time:
        raise InputError(
            f"--time-col {time_col!r} of {where} has {nulls:,} null values (of {len(column):,} rows); drop them with "
            "--drop-null-time (counted in the report) or fill them first"
        )
    values = column.head(len(column) - nulls).cast(pl.Int64).to_numpy()
    if len(values) == 0:
        raise InputError(f"--time-col {time_col!r} of {where} has no non-null values; there are no rows to split")
    return values, nulls


def tie_cut(times: np.ndarray, k: int) -> int:
    """The boundary between tied runs of sorted ``times`` nearest to position ``k``.

    Rows ``[0, cut)`` are all strictly earlier than rows ``[cut, n)``, so rows sharing a timestamp
    never straddle the cut. On a tie in distance the earlier boundary wins.

    Example
    -------
    >>> tie_cut(np.array([1, 2, 2, 2, 3]), 2)
    1
    """
    n = len(times)
    if k <= 0:
        return 0
    if k >= n:
        return n
    lo = int(np.searchsorted(times, times[k], side="left"))
    if lo == k:
        return k
    hi = int(np.searchsorted(times, times[k], side="right"))
    return lo if k - lo <= hi - k else hi


def _position(share: float, n: int) -> int:
    """``share * n`` rounded half up (not to even), tolerant of float error in summed ratios."""
    return int(math.floor(share * n + 0.5 + 1e-9))


def ratio_cuts(times: np.ndarray, ratios: Sequence[float]) -> list[int]:
    """Cut positions (tie-respecting) that give row shares as close to ``ratios`` as ties allow."""
    n = len(times)
    cuts = []
    for j in range(1, len(ratios)):
        cuts.append(tie_cut(times, _position(math.fsum(ratios[:j]), n)))
    for i in range(1, len(cuts)):
        cuts[i] = max(cuts[i], cuts[i - 1])
    return cuts


def _boundary_value(times: np.ndarray, cut: int) -> int:
    """The time value at a cut: the first time of the later side (one unit past the end if none)."""
    return int(times[cut]) if cut < len(times) else int(times[-1]) + 1


def _count_before(times: np.ndarray, value: int) -> int:
    return int(np.searchsorted(times, value, side="left"))


def to_physical_time(value: Cutoff, dtype: pl.DataType, *, time_col: str, option: str = "--cutoffs") -> int:
    """Convert a cut point (ISO text, date or datetime) to the column's physical integer.

    Naive and time-zone-aware values are never mixed: a naive cut point on an aware column, or
    an aware one on a naive column, is an error with the fix. Aware values are compared as
    instants (a ``+02:00`` cut point on a UTC column means the same moment).
    """
    text = value if isinstance(value, str) else value.isoformat()
    parsed = _parse_cutoff(value, option=option)
    if isinstance(dtype, pl.Date):
        if isinstance(parsed, dt.datetime):
            if parsed.tzinfo is not None or parsed.time() != dt.time(0):
                raise UsageError(f"{option} {text!r} has a time of day or a time zone, but {time_col!r} is a Date column; give a date such as 2025-06-01")
            parsed = parsed.date()
        return (parsed - dt.date(1970, 1, 1)).days
    assert isinstance(dtype, pl.Datetime)
    if not isinstance(parsed, dt.datetime):
        parsed = dt.datetime(parsed.year, parsed.month, parsed.day)
    column_tz = dtype.time_zone
    if column_tz is not None and parsed.tzinfo is None:
        raise UsageError(
            f"{option} {text!r} has no time zone but {time_col!r} is time-zone aware ({column_tz}); "
            f"add an offset, e.g. {parsed.isoformat()}+00:00 (or Z for UTC)"
        )
    if column_tz is None and parsed.tzinfo is not None:
        raise UsageError(
            f"{option} {text!r} has a time zone offset but {time_col!r} is naive (no time zone); "
            "drop the offset to compare wall-clock times, or give the column a time zone first"
        )
    series = pl.Series([parsed]).dt.cast_time_unit(dtype.time_unit or "us")
    return int(series.to_physical().item())


def _parse_cutoff(value: Cutoff, *, option: str) -> dt.date | dt.datetime:
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    text = value.strip()
    try:
        if len(text) <= 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{option} value {value!r} is not an ISO 8601 date or datetime; write e.g. 2025-06-01 or 2025-06-01T12:00:00") from exc


def duration_physical(value: Duration | None, dtype: pl.DataType, *, time_col: str, option: str = "--gap") -> int:
    """A duration in the physical unit of the time column (0 for None)."""
    if value is None:
        return 0
    delta = parse_duration(value, option=option) if isinstance(value, str) else value
    shown = value if isinstance(value, str) else str(value)
    if delta < dt.timedelta(0):
        raise UsageError(f"{option} {shown!r} is negative; give a positive duration such as 7d")
    micros = delta // dt.timedelta(microseconds=1)
    if isinstance(dtype, pl.Date):
        days, rest = divmod(micros, 86_400_000_000)
        if rest:
            raise UsageError(f"{option} {shown!r} is not a whole number of days, but {time_col!r} is a Date column; use days, e.g. 1d or 7d")
        return int(days)
    assert isinstance(dtype, pl.Datetime)
    unit = dtype.time_unit or "us"
    if unit == "ns":
        return int(micros) * 1000
    if unit == "ms":
        return -(-int(micros) // 1000)
    return int(micros)


def format_time(value: int, dtype: pl.DataType) -> str:
    """An ISO 8601 string for a physical time value of ``dtype`` (offset included when aware)."""
    if isinstance(dtype, pl.Date):
        return (dt.date(1970, 1, 1) + dt.timedelta(days=int(value))).isoformat()
    assert isinstance(dtype, pl.Datetime)
    series = pl.Series([value], dtype=pl.Int64).cast(dtype)
    fmt = _ISO + ("%:z" if dtype.time_zone else "")
    return str(series.dt.to_string(fmt).item())


def _time_expr(time_col: str) -> pl.Expr:
    return pl.col(time_col).to_physical()


def _segment_filter(time_col: str, lower: int | None, upper: int | None) -> pl.Expr:
    t = _time_expr(time_col)
    conditions = []
    if lower is not None:
        conditions.append(t >= lower)
    if upper is not None:
        conditions.append(t < upper)
    if not conditions:
        return t.is_not_null()
    expr = conditions[0]
    for extra in conditions[1:]:
        expr = expr & extra
    return expr


def _range(times: np.ndarray, start: int, end: int, dtype: pl.DataType) -> dict[str, str] | None:
    if end <= start:
        return None
    return {"min": format_time(int(times[start]), dtype), "max": format_time(int(times[end - 1]), dtype)}


# ---------------------------------------------------------------------------------------------
# Time split


def time_split(
    frame: pl.LazyFrame,
    *,
    time_col: str,
    ratios: Sequence[float] | None = None,
    cutoffs: Sequence[Cutoff] | None = None,
    gap: Duration | None = None,
    parse_time: bool = False,
    drop_null_time: bool = False,
    allow_empty: bool = False,
    where: str = "the input",
) -> SplitResult:
    """Split by time: every train row is earlier than every valid row, earlier than every test row.

    Cut points come from ``ratios`` (the timestamps whose row shares come closest to the ratios
    as ties allow; rows sharing a timestamp never straddle a boundary) or from explicit
    ``cutoffs`` (``t < T1`` is train, ``T1 <= t < T2`` valid, ``t >= T2`` test). ``gap`` drops
    the rows within that duration after each boundary from the later split (an embargo).

    Parameters
    ----------
    frame : the input, lazily scanned; read once for the time column, then once to write.
    time_col : a Date or Datetime column (or ISO text with ``parse_time``).
    ratios : 2 (train, test) or 3 (train, valid, test) positive shares summing to 1.
    cutoffs : 1 or 2 increasing cut points (ISO text, dates or datetimes) inside the data's range.
    gap : a duration (``"30m"``, ``"7d"`` or a timedelta) dropped after each boundary.
    parse_time : parse a text time column as ISO 8601.
    drop_null_time : drop rows whose time is null (counted) instead of failing.
    allow_empty : allow a split with no rows.
    where : how messages name the input.

    Example
    -------
    >>> lf = pl.LazyFrame({"t": [dt.date(2025, 1, d) for d in range(1, 11)], "x": range(10)})
    >>> result = time_split(lf, time_col="t", ratios=[0.6, 0.2, 0.2])
    >>> result.report["rows"]
    {'train': 6, 'valid': 2, 'test': 2}
    """
    if (ratios is None) == (cutoffs is None):
        raise UsageError("give either --ratios or --cutoffs for a time split, not both")
    frame, dtype = prepare_time_column(frame, time_col, parse_time=parse_time, where=where)
    gap_p = duration_physical(gap, dtype, time_col=time_col)
    times, nulls = sorted_times(frame, time_col, drop_null_time=drop_null_time, where=where)
    n = len(times)
    if ratios is not None:
        ratios = check_ratios(ratios)
        names = SPLIT_NAMES[len(ratios)]
        cuts = ratio_cuts(times, ratios)
        bounds = [_boundary_value(times, c) for c in cuts]
    else:
        assert cutoffs is not None
        if len(cutoffs) not in (1, 2):
            raise UsageError(f"--cutoffs takes 1 (train,test) or 2 (train,valid,test) cut points, got {len(cutoffs)}")
        names = SPLIT_NAMES[len(cutoffs) + 1]
        bounds = [to_physical_time(c, dtype, time_col=time_col) for c in cutoffs]
        _check_cutoffs(cutoffs, bounds, times, dtype, time_col=time_col, where=where)
        cuts = [_count_before(times, b) for b in bounds]

    parts_rows: dict[str, int] = {}
    dropped: dict[str, int] = {}
    ranges: dict[str, Any] = {}
    parts: list[SplitPart] = []
    for j, name in enumerate(names):
        start = cuts[j - 1] if j > 0 else 0
        end = cuts[j] if j < len(cuts) else n
        lower = bounds[j - 1] + gap_p if j > 0 else None
        upper = bounds[j] if j < len(bounds) else None
        kept_start = max(start, min(end, _count_before(times, lower))) if lower is not None else start
        parts_rows[name] = end - kept_start
        if j > 0:
            dropped[name] = kept_start - start
        ranges[name] = _range(times, kept_start, end, dtype)
        parts.append(SplitPart(name, name, frame.filter(_segment_filter(time_col, lower, upper)), end - kept_start))

    cutoff_text = [format_time(b, dtype) for b in bounds]
    report: dict[str, Any] = {
        "method": "time",
        "time_col": time_col,
        "cutoffs": cutoff_text,
        "rows": parts_rows,
        "shares": {k: round(v / n, 6) for k, v in parts_rows.items()},
        "dropped_by_gap": dropped,
        "dropped_null_time": nulls,
        "ranges": ranges,
    }
    _check_empty(parts_rows, allow_empty=allow_empty, why=f"cut points {', '.join(cutoff_text)}" + (f", gap {gap}" if gap_p else ""))
    return SplitResult(parts, report)


def _check_cutoffs(cutoffs: Sequence[Cutoff], bounds: Sequence[int], times: np.ndarray, dtype: pl.DataType, *, time_col: str, where: str) -> None:
    shown = [c if isinstance(c, str) else c.isoformat() for c in cutoffs]
    for i in range(1, len(bounds)):
        if bounds[i] <= bounds[i - 1]:
            raise UsageError(f"--cutoffs must be increasing: {shown[i]!r} is not after {shown[i - 1]!r}")
    lo, hi = int(times[0]), int(times[-1])
    for text, b in zip(shown, bounds):
        if b < lo or b > hi:
            raise InputError(
                f"--cutoffs {text!r} is outside the range of {time_col!r} in {where} "
                f"({format_time(lo, dtype)} to {format_time(hi, dtype)}); choose cut points inside it"
            )


# ---------------------------------------------------------------------------------------------
# Time folds


def time_folds(
    frame: pl.LazyFrame,
    *,
    time_col: str,
    folds: int,
    window: Window = "expanding",
    train_span: Duration | None = None,
    test_ratio: float | None = None,
    gap: Duration | None = None,
    parse_time: bool = False,
    drop_null_time: bool = False,
    allow_empty: bool = False,
    where: str = "the input",
) -> SplitResult:
    """K successive time folds (scikit-learn ``TimeSeriesSplit`` semantics on time cut points).

    The rows before the test hold-out (all rows without ``test_ratio``) are cut, as
    ``TimeSeriesSplit(n_splits=folds)`` cuts row positions, into ``folds + 1`` equal blocks; fold
    ``k`` validates on block ``k + 1`` and trains on everything before it (``expanding``) or on
    the ``train_span`` before it (``rolling``). Each position is moved to the nearest boundary
    between tied timestamps, and ``gap`` drops the rows within that duration after each
    validation (and test) boundary. With ``test_ratio`` the last share of rows is held out as
    ``test`` after the last fold.

    Parameters
    ----------
    frame, time_col, gap, parse_time, drop_null_time, allow_empty, where : as in :func:`time_split`.
    folds : number of folds (at least 1).
    window : ``"expanding"`` (train from the start) or ``"rolling"`` (train over ``train_span``).
    train_span : the rolling window's length, e.g. ``"90d"`` (rolling only).
    test_ratio : share of the latest rows held out as the test split (0 < r < 1).

    Example
    -------
    >>> lf = pl.LazyFrame({"t": list(range(12))}).with_columns(pl.col("t").cast(pl.Datetime("us")))
    >>> result = time_folds(lf, time_col="t", folds=3)
    >>> result.report["rows"]
    {'fold-1/train': 3, 'fold-1/valid': 3, 'fold-2/train': 6, 'fold-2/valid': 3, 'fold-3/train': 9, 'fold-3/valid': 3}
    """
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 1:
        raise UsageError(f"--folds {folds!r} must be a whole number of at least 1")
    if window not in ("expanding", "rolling"):
        raise UsageError(f"--window {window!r} must be expanding or rolling")
    if window == "rolling" and train_span is None:
        raise UsageError("--window rolling needs --train-span (e.g. --train-span 90d), the length of each training window")
    if window == "expanding" and train_span is not None:
        raise UsageError("--train-span applies to --window rolling only; add --window rolling, or drop --train-span")
    if test_ratio is not None and not (0.0 < float(test_ratio) < 1.0):
        raise UsageError(f"--test-ratio {test_ratio:g} must be between 0 and 1 (exclusive), e.g. 0.15")
    frame, dtype = prepare_time_column(frame, time_col, parse_time=parse_time, where=where)
    gap_p = duration_physical(gap, dtype, time_col=time_col)
    span_p = duration_physical(train_span, dtype, time_col=time_col, option="--train-span") if train_span is not None else None
    if span_p == 0:
        raise UsageError("--train-span must be longer than zero, e.g. 90d")
    times, nulls = sorted_times(frame, time_col, drop_null_time=drop_null_time, where=where)
    n = len(times)

    region = tie_cut(times, _position(1.0 - float(test_ratio), n)) if test_ratio is not None else n
    size = region // (folds + 1)
    if size == 0:
        raise InputError(
            f"{folds} folds need at least {folds + 1} rows before the test split, but {where} has {region}; use fewer --folds"
        )
    starts = [region - (folds - i) * size for i in range(folds)]
    cuts = [tie_cut(times, k) for k in starts]
    for i in range(1, len(cuts)):
        cuts[i] = max(cuts[i], cuts[i - 1])
    bounds = [_boundary_value(times, c) for c in cuts]
    test_bound = _boundary_value(times, region) if test_ratio is not None else None

    rows: dict[str, int] = {}
    dropped: dict[str, int] = {}
    ranges: dict[str, Any] = {}
    fold_reports = []
    parts: list[SplitPart] = []
    for i in range(folds):
        k = i + 1
        cut, bound = cuts[i], bounds[i]
        end = cuts[i + 1] if i + 1 < folds else region
        upper = bounds[i + 1] if i + 1 < folds else test_bound
        train_lower = bound - span_p if span_p is not None else None
        train_start = _count_before(times, train_lower) if train_lower is not None else 0
        valid_lower = bound + gap_p
        valid_start = max(cut, min(end, _count_before(times, valid_lower)))
        train_name, valid_name = f"fold-{k}/train", f"fold-{k}/valid"
        rows[train_name], rows[valid_name] = cut - train_start, end - valid_start
        dropped[valid_name] = valid_start - cut
        ranges[train_name] = _range(times, train_start, cut, dtype)
        ranges[valid_name] = _range(times, valid_start, end, dtype)
        parts.append(SplitPart(train_name, "train", frame.filter(_segment_filter(time_col, train_lower, bound)), rows[train_name], fold=k))
        parts.append(SplitPart(valid_name, "valid", frame.filter(_segment_filter(time_col, valid_lower, upper)), rows[valid_name], fold=k))
        fold_reports.append({
            "fold": k,
            "train": {"from": format_time(train_lower, dtype) if train_lower is not None else None, "before": format_time(bound, dtype)},
            "valid": {"from": format_time(bound, dtype), "before": format_time(upper, dtype) if upper is not None else None},
        })
    if test_bound is not None:
        test_lower = test_bound + gap_p
        test_start = max(region, _count_before(times, test_lower))
        rows["test"] = n - test_start
        dropped["test"] = test_start - region
        ranges["test"] = _range(times, test_start, n, dtype)
        parts.append(SplitPart("test", "test", frame.filter(_segment_filter(time_col, test_lower, None)), rows["test"]))

    report: dict[str, Any] = {
        "method": "time-folds",
        "time_col": time_col,
        "window": window,
        "folds": fold_reports,
        "cutoffs": [format_time(b, dtype) for b in bounds],
        "test_cutoff": format_time(test_bound, dtype) if test_bound is not None else None,
        "rows": rows,
        "dropped_by_gap": dropped,
        "dropped_null_time": nulls,
        "ranges": ranges,
    }
    _check_empty(rows, allow_empty=allow_empty, why="too few distinct timestamps, or the gap or train span is too wide")
    return SplitResult(parts, report)


# ---------------------------------------------------------------------------------------------
# Random, stratified and group splits


def random_split(
    frame: pl.LazyFrame,
    *,
    ratios: Sequence[float] = DEFAULT_RATIOS,
    seed: int = 0,
    stratify: str | None = None,
    group_col: str | None = None,
    key_col: str | None = None,
    allow_empty: bool = False,
    where: str = "the input",
) -> SplitResult:
    """Split rows at random, keyed: a row's split depends only on (seed, its key).

    The key is the row's position, or ``key_col`` (a stable row id: with it a row keeps its
    split when rows are appended), or the group value with ``group_col``.

    - plain: the row goes to the split whose share of [0, 1) holds its keyed uniform number, so
      split sizes follow the ratios in expectation (the achieved counts are in the report);
    - ``stratify``: every class is split with exact counts (each class's share in each split is
      within one row of the ratio): within a class, rows are ranked by their keyed number;
    - ``group_col``: all rows of a group go to one split, chosen from the group's keyed number;
    - ``stratify`` with ``group_col``: groups are assigned greedily, largest class imbalance first,
      to keep class shares close to the target (as scikit-learn's ``StratifiedGroupKFold``);
      best effort, the achieved class shares are in the report.

    Parameters
    ----------
    frame : the input, lazily scanned.
    ratios : 2 (train, test) or 3 (train, valid, test) positive shares summing to 1.
    seed : the seed of the keyed draw.
    stratify : the class column whose shares every split keeps.
    group_col : rows sharing this column's value stay in one split.
    key_col : a stable row key (not with ``group_col``); default: the row position.
    allow_empty : allow a split with no rows.
    where : how messages name the input.

    Example
    -------
    >>> lf = pl.LazyFrame({"y": [0, 1] * 50, "x": range(100)})
    >>> result = random_split(lf, ratios=[0.8, 0.2], stratify="y", seed=1)
    >>> result.report["rows"]
    {'train': 80, 'test': 20}
    """
    ratios = check_ratios(ratios)
    names = SPLIT_NAMES[len(ratios)]
    if key_col is not None and group_col is not None:
        raise UsageError("--key-col and --group-col do not go together: with --group-col the group value is the key")
    schema = frame.collect_schema()
    for column, option in ((stratify, "--stratify"), (group_col, "--group-col"), (key_col, "--key-col")):
        if column is not None:
            _check_plain(column, _require(schema, column, where=where, option=option), option=option, where=where)
    if int(frame.select(pl.len()).collect(engine="streaming").item()) == 0:
        raise InputError(f"{where} has no rows; there is nothing to split")
    warnings = []
    temporal = [name for name, dtype in schema.items() if isinstance(dtype, (pl.Date, pl.Datetime))]
    if temporal:
        warnings.append(
            f"{where} has a time column {temporal[0]!r} but the split is random, so training rows can come after "
            f"test rows; if rows are events in time, use --time-col {temporal[0]}"
        )
    if group_col is not None and stratify is not None:
        result = _stratified_group_split(frame, schema, ratios, names, seed=seed, stratify=stratify, group_col=group_col, where=where)
    elif group_col is not None:
        result = _group_split(frame, schema, ratios, names, seed=seed, group_col=group_col)
    elif stratify is not None:
        result = _stratified_split(frame, schema, ratios, names, seed=seed, stratify=stratify, key_col=key_col, where=where)
    else:
        result = _plain_split(frame, schema, ratios, names, seed=seed, key_col=key_col, where=where)
    result.warnings = warnings + result.warnings
    result.report["keyed_scheme"] = KEYED_SCHEME
    _check_empty(result.report["rows"], allow_empty=allow_empty, why=f"{sum(result.report['rows'].values()):,} rows, ratios {','.join(f'{r:g}' for r in ratios)}")
    return result


def _thresholds(ratios: Sequence[float]) -> list[float]:
    acc, out = 0.0, []
    for r in ratios[:-1]:
        acc += r
        out.append(acc)
    return out


def _split_index(u: pl.Expr, thresholds: Sequence[float | pl.Expr]) -> pl.Expr:
    """0 for the first split, 1 for the second, …: how many thresholds ``u`` reaches."""
    index = pl.lit(0, dtype=pl.UInt8)
    for thr in thresholds:
        index = index + (u >= thr).cast(pl.UInt8)
    return index


def _band(u: pl.Expr, thresholds: Sequence[float | pl.Expr], j: int) -> pl.Expr:
    """Rows whose ``u`` falls in split ``j``: at or above threshold j-1 and below threshold j."""
    conditions = []
    if j > 0:
        conditions.append(u >= thresholds[j - 1])
    if j < len(thresholds):
        conditions.append(u < thresholds[j])
    expr = conditions[0]
    for extra in conditions[1:]:
        expr = expr & extra
    return expr


def _row_key(frame: pl.LazyFrame, schema: pl.Schema, key_col: str | None) -> tuple[pl.LazyFrame, pl.Expr, bool]:
    """The frame (with a position column if needed), the UInt64 key expression, and whether a position was added."""
    if key_col is not None:
        return frame, key_to_u64(pl.col(key_col), schema[key_col]), False
    return frame.with_row_index(_POS), pl.col(_POS).cast(pl.UInt64), True


def _check_key(frame: pl.LazyFrame, key_col: str, *, where: str) -> list[str]:
    stats = frame.select(
        pl.col(key_col).null_count().alias("nulls"), pl.len().alias("rows"), pl.col(key_col).n_unique().alias("unique")
    ).collect(engine="streaming").row(0, named=True)
    if stats["nulls"]:
        raise InputError(f"--key-col {key_col!r} of {where} has {stats['nulls']:,} null values; a row key must identify every row (fill them, or drop --key-col to key on row position)")
    duplicates = stats["rows"] - stats["unique"]
    if duplicates:
        return [f"--key-col {key_col!r} has {duplicates:,} repeated values; rows sharing a key always go to the same split"]
    return []


def _output_frames(frame: pl.LazyFrame, helpers: Sequence[str], masks: Sequence[pl.Expr], names: Sequence[Role], rows: dict[str, int]) -> list[SplitPart]:
    """One filtered frame per split, without the helper columns the filters used."""
    return [SplitPart(name, name, frame.filter(mask).drop(helpers), rows[name]) for name, mask in zip(names, masks)]


def _with_draw(frame: pl.LazyFrame, u: pl.Expr, has_pos: bool) -> tuple[pl.LazyFrame, list[str]]:
    """Compute the keyed number once as a column (cheaper than repeating it in every filter)."""
    return frame.with_columns(u.alias(_U)), [_POS, _U] if has_pos else [_U]


def _plain_split(frame, schema, ratios, names, *, seed, key_col, where) -> SplitResult:
    warnings = _check_key(frame, key_col, where=where) if key_col is not None else []
    thresholds = _thresholds(ratios)
    framed, key, has_pos = _row_key(frame, schema, key_col)
    u = keyed_uniform(seed, key)
    if key_col is None:
        n = int(frame.select(pl.len()).collect(engine="streaming").item())
        keys = pl.DataFrame({_POS: pl.int_range(n, dtype=pl.UInt64, eager=True)})
    else:
        keys = frame.select(pl.col(key_col)).collect(engine="streaming")
    counts = keys.select(_split_index(u, thresholds).alias("s"))["s"].value_counts()
    found = dict(zip(counts["s"].to_list(), counts["count"].to_list()))
    rows = {name: int(found.get(j, 0)) for j, name in enumerate(names)}
    total = sum(rows.values())
    report = {
        "method": "random",
        "key": key_col or "row position",
        "seed": seed,
        "rows": rows,
        "shares": {k: round(v / total, 6) if total else None for k, v in rows.items()},
    }
    drawn, helpers = _with_draw(framed, u, has_pos)
    masks = [_band(pl.col(_U), thresholds, j) for j in range(len(names))]
    return SplitResult(_output_frames(drawn, helpers, masks, names, rows), report, warnings)


def _check_plain(column: str, dtype: pl.DataType, *, option: str, where: str) -> None:
    if isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Object)):
        raise InputError(f"{option} column {column!r} of {where} is {dtype}; use a column of plain values (text, numbers, booleans, dates)")


def _class_key(column: str, dtype: pl.DataType, *, where: str) -> pl.Expr:
    """A class column as text (null stays null): one key type for any class dtype."""
    _check_plain(column, dtype, option="--stratify", where=where)
    return pl.col(column).cast(pl.String)


def _json_class(value: Any) -> Any:
    """A class value as JSON: null, numbers, text and booleans as they are; NaN/inf and dates as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def allocate(n: int, ratios: Sequence[float]) -> list[int]:
    """Split ``n`` rows into counts per ratio by largest remainder: each within one of ``n * ratio``.

    Example
    -------
    >>> allocate(10, [0.7, 0.15, 0.15])
    [7, 2, 1]
    """
    exact = [n * r for r in ratios]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(ratios)), key=lambda j: (-(exact[j] - counts[j]), j))
    for j in order[: n - sum(counts)]:
        counts[j] += 1
    return counts


def _stratified_split(frame, schema, ratios, names, *, seed, stratify, key_col, where) -> SplitResult:
    warnings = _check_key(frame, key_col, where=where) if key_col is not None else []
    cls = _class_key(stratify, schema[stratify], where=where)
    framed, key, has_pos = _row_key(frame, schema, key_col)
    u = keyed_uniform(seed, key)
    source = framed.select(pl.col(stratify).alias("o"), cls.alias("c"), u.alias("u")).collect(engine="streaming")
    by_class = source.group_by("c").agg(pl.col("o").first(), pl.len()).sort("c", nulls_last=True)
    source = source.drop("o")
    classes = by_class["c"].to_list()
    sizes = by_class["len"].to_list()
    shown_class = dict(zip(classes, (_json_class(v) for v in by_class["o"].to_list())))
    allocations = {c: allocate(size, ratios) for c, size in zip(classes, sizes)}
    too_small = [(c, size) for c, size in zip(classes, sizes) if min(allocations[c]) == 0]
    if too_small:
        listed = ", ".join(f"{shown_class[c]!r} ({size} rows)" for c, size in too_small[:10]) + (", …" if len(too_small) > 10 else "")
        raise InputError(
            f"--stratify {stratify!r}: {len(too_small)} class(es) of {where} are too small to reach every split: {listed}; "
            "merge rare classes, use fewer splits, or do not stratify"
        )
    # Per class, rank rows by u; the threshold of a boundary is the u of the first row past it.
    ranked = source.sort(["c", "u"], nulls_last=True).with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).over("c").alias("r"))
    wanted_rows = []
    for c in classes:
        acc = 0
        for j, count in enumerate(allocations[c][:-1]):
            acc += count
            wanted_rows.append({"c": c, "j": j, "r": acc})
    wanted = pl.DataFrame(wanted_rows, schema={"c": pl.String, "j": pl.Int64, "r": pl.UInt32})
    found = wanted.join(ranked, on=["c", "r"], how="left", nulls_equal=True).sort(["c", "j"], nulls_last=True)
    thresholds_by_j: list[dict[Any, float]] = [{} for _ in ratios[:-1]]
    for c, j, value in found.select("c", "j", "u").iter_rows():
        thresholds_by_j[j][c] = 1.0 if value is None else float(value)
    thr_exprs = [_class_lookup(cls, table) for table in thresholds_by_j]
    # Count with the same rule the write uses, so the report matches the files exactly.
    assigned = source.with_columns(
        _split_index(pl.col("u"), [_class_lookup(pl.col("c"), table) for table in thresholds_by_j]).alias("s")
    )
    table = assigned.group_by("c", "s").len()
    counts = {(c, s): n for c, s, n in table.iter_rows()}
    rows = {name: int(sum(counts.get((c, j), 0) for c in classes)) for j, name in enumerate(names)}
    total = sum(rows.values())
    class_counts = [
        {"class": shown_class[c], **{name: int(counts.get((c, j), 0)) for j, name in enumerate(names)}} for c in classes
    ]
    report = {
        "method": "stratified",
        "stratify": stratify,
        "key": key_col or "row position",
        "seed": seed,
        "rows": rows,
        "shares": {k: round(v / total, 6) for k, v in rows.items()},
        "class_counts": class_counts,
    }
    drawn, helpers = _with_draw(framed, u, has_pos)
    masks = [_band(pl.col(_U), thr_exprs, j) for j in range(len(names))]
    return SplitResult(_output_frames(drawn, helpers, masks, names, rows), report, warnings)


def _class_lookup(cls: pl.Expr, table: dict[Any, float]) -> pl.Expr:
    """Per-row threshold of the row's class (the null class looked up separately)."""
    keys = [k for k in table if k is not None]
    mapped = cls.replace_strict(keys, [table[k] for k in keys], default=None, return_dtype=pl.Float64) if keys else pl.lit(None, dtype=pl.Float64)
    if None in table:
        return pl.when(cls.is_null()).then(pl.lit(table[None], dtype=pl.Float64)).otherwise(mapped)
    return mapped


def _group_key(group_col: str, dtype: pl.DataType) -> pl.Expr:
    """A group's UInt64 key; the null group has a fixed key of its own."""
    return pl.coalesce(key_to_u64(pl.col(group_col), dtype), pl.lit(_NULL_GROUP_KEY, dtype=pl.UInt64))


def _group_split(frame, schema, ratios, names, *, seed, group_col) -> SplitResult:
    thresholds = _thresholds(ratios)
    gkey = _group_key(group_col, schema[group_col])
    u = keyed_uniform(seed, gkey)
    groups = frame.group_by(gkey.alias("g")).len().collect(engine="streaming")
    assigned = groups.with_columns(_split_index(keyed_uniform(seed, pl.col("g")), thresholds).alias("s"))
    summary = assigned.group_by("s").agg(pl.col("len").sum().alias("rows"), pl.len().alias("groups"))
    by_split = {s: (r, g) for s, r, g in summary.iter_rows()}
    rows = {name: int(by_split.get(j, (0, 0))[0]) for j, name in enumerate(names)}
    total = sum(rows.values())
    report = {
        "method": "group",
        "group_col": group_col,
        "key": group_col,
        "seed": seed,
        "rows": rows,
        "shares": {k: round(v / total, 6) for k, v in rows.items()},
        "groups": {name: int(by_split.get(j, (0, 0))[1]) for j, name in enumerate(names)},
    }
    drawn, helpers = _with_draw(frame, u, False)
    masks = [_band(pl.col(_U), thresholds, j) for j in range(len(names))]
    return SplitResult(_output_frames(drawn, helpers, masks, names, rows), report)


def assign_groups_stratified(counts: np.ndarray, ratios: Sequence[float], order: np.ndarray) -> np.ndarray:
    """Greedy group → split assignment keeping class shares (``StratifiedGroupKFold``'s rule).

    ``counts`` is groups × classes. Groups are taken in ``order``; each goes to the split that
    minimises the mean over classes of the spread (std) of the splits' fill, where a split's fill
    of a class is its count over ratio × class total. Ties go to the split with the least fill.
    With equal ratios this is scikit-learn's ``StratifiedGroupKFold`` criterion.

    Example
    -------
    >>> assign_groups_stratified(np.array([[2, 0], [2, 0], [0, 2], [0, 2]]), [0.5, 0.5], np.arange(4)).tolist()
    [0, 1, 0, 1]
    """
    n_splits = len(ratios)
    weight = np.asarray(ratios, dtype=float)[:, None] * np.maximum(counts.sum(axis=0), 1)[None, :]
    fill = np.zeros((n_splits, counts.shape[1]))
    rows_fill = np.zeros(n_splits)
    ratio_arr = np.asarray(ratios, dtype=float)
    out = np.zeros(len(counts), dtype=np.int64)
    eye = np.eye(n_splits)
    for g in order:
        add = counts[g] / weight  # (splits, classes): this group's fill if it went to each split
        trial = fill[None, :, :] + eye[:, :, None] * add[None, :, :]
        cost = trial.std(axis=1).mean(axis=1)
        best = float(cost.min())
        candidates = np.flatnonzero(np.isclose(cost, best))
        choice = int(candidates[np.argmin(rows_fill[candidates])])
        out[g] = choice
        fill[choice] += add[choice]
        rows_fill[choice] += counts[g].sum() / ratio_arr[choice]
    return out


def _stratified_group_split(frame, schema, ratios, names, *, seed, stratify, group_col, where) -> SplitResult:
    cls = _class_key(stratify, schema[stratify], where=where)
    gkey = _group_key(group_col, schema[group_col])
    table = frame.group_by(gkey.alias("g"), cls.alias("c")).agg(pl.col(stratify).first().alias("o"), pl.len()).collect(engine="streaming")
    class_table = table.group_by("c").agg(pl.col("o").first()).sort("c", nulls_last=True)
    classes = class_table["c"].to_list()
    shown_class = dict(zip(classes, (_json_class(v) for v in class_table["o"].to_list())))
    groups = table.select("g").unique().sort("g").with_row_index("gi")  # sorted: independent of scan order
    class_index = pl.DataFrame({"c": classes}, schema={"c": pl.String}).with_row_index("ci")
    located = table.join(groups, on="g").join(class_index, on="c", nulls_equal=True)
    counts = np.zeros((len(groups), len(classes)), dtype=np.int64)
    np.add.at(counts, (located["gi"].to_numpy(), located["ci"].to_numpy()), located["len"].to_numpy())
    gkeys = groups["g"]
    draw = groups.select(keyed_uniform(seed, pl.col("g")).alias("u"))["u"].to_numpy()
    shuffled = np.argsort(draw, kind="stable")
    order = shuffled[np.argsort(-counts[shuffled].std(axis=1), kind="stable")]
    assignment = assign_groups_stratified(counts, ratios, order)
    per_split = np.zeros((len(ratios), len(classes)), dtype=np.int64)
    np.add.at(per_split, assignment, counts)
    rows = {name: int(per_split[j].sum()) for j, name in enumerate(names)}
    total = sum(rows.values())
    class_totals = per_split.sum(axis=0)
    report = {
        "method": "stratified-group",
        "stratify": stratify,
        "group_col": group_col,
        "key": group_col,
        "seed": seed,
        "rows": rows,
        "shares": {k: round(v / total, 6) for k, v in rows.items()},
        "groups": {name: int((assignment == j).sum()) for j, name in enumerate(names)},
        "class_counts": [
            {"class": shown_class[c], **{name: int(per_split[j, i]) for j, name in enumerate(names)}} for i, c in enumerate(classes)
        ],
        "class_shares": [
            {"class": shown_class[c], **{name: round(float(per_split[j, i] / class_totals[i]), 6) for j, name in enumerate(names)}}
            for i, c in enumerate(classes)
        ],
    }
    warnings = []
    missing = [(shown_class[c], names[j]) for i, c in enumerate(classes) for j in range(len(names)) if per_split[j, i] == 0]
    if missing:
        shown = ", ".join(f"{c!r} in {s}" for c, s in missing[:5]) + (", …" if len(missing) > 5 else "")
        warnings.append(f"--stratify with --group-col: some classes are absent from a split ({shown}); too few groups hold them")
    key_values = gkeys.to_list()
    members = [[key_values[g] for g in np.flatnonzero(assignment == j)] for j in range(len(names))]
    drawn = frame.with_columns(gkey.alias(_U))
    masks = [pl.col(_U).is_in(pl.Series(m, dtype=pl.UInt64).implode()) for m in members]
    return SplitResult(_output_frames(drawn, [_U], masks, names, rows), report, warnings)


# ---------------------------------------------------------------------------------------------
# One entry point, mirroring the CLI


def split(
    frame: pl.LazyFrame,
    *,
    time_col: str | None = None,
    random: bool = False,
    ratios: Sequence[float] | None = None,
    cutoffs: Sequence[Cutoff] | None = None,
    gap: Duration | None = None,
    folds: int | None = None,
    window: Window = "expanding",
    train_span: Duration | None = None,
    test_ratio: float | None = None,
    stratify: str | None = None,
    group_col: str | None = None,
    key_col: str | None = None,
    seed: int = 0,
    parse_time: bool = False,
    drop_null_time: bool = False,
    allow_empty: bool = False,
    where: str = "the input",
) -> SplitResult:
    """Plan a split as ``mlprep split`` does: by time with ``time_col``, else at random.

    Chooses :func:`time_split` (``ratios`` or ``cutoffs``), :func:`time_folds` (``folds``), or
    :func:`random_split` (``random``, ``stratify`` or ``group_col``), after checking which
    options go together. ``ratios`` defaults to 0.7, 0.15, 0.15.

    Example
    -------
    >>> lf = pl.scan_parquet("sample_data/transactions.parquet")  # doctest: +SKIP
    >>> split(lf, time_col="event_time", ratios=[0.7, 0.15, 0.15]).report["rows"]  # doctest: +SKIP
    {'train': 35000, 'valid': 7500, 'test': 7500}
    """
    randomish = random or stratify is not None or group_col is not None
    if time_col is not None and randomish:
        flags = [f for f, on in (("--random", random), ("--stratify", stratify), ("--group-col", group_col)) if on]
        raise UsageError(f"--time-col and {'/'.join(flags)} do not go together: a split is either by time or at random")
    if time_col is None and not randomish:
        raise UsageError("choose how to split: --time-col COL for a time split (safe for events), or --random (with --stratify/--group-col) for rows that are not time-ordered")
    if time_col is None:
        time_only = [f for f, on in (("--cutoffs", cutoffs), ("--gap", gap), ("--folds", folds), ("--train-span", train_span),
                                     ("--test-ratio", test_ratio), ("--parse-time", parse_time), ("--drop-null-time", drop_null_time)) if on]
        if window != "expanding":
            time_only.append("--window")
        if time_only:
            raise UsageError(f"{', '.join(time_only)}: for time splits only; add --time-col COL, or leave out {'these options' if len(time_only) > 1 else 'this option'}")
        return random_split(frame, ratios=ratios or DEFAULT_RATIOS, seed=seed, stratify=stratify, group_col=group_col,
                            key_col=key_col, allow_empty=allow_empty, where=where)
    if key_col is not None:
        raise UsageError("--key-col applies to random splits only; a time split is decided by --time-col")
    if folds is not None:
        if ratios is not None or cutoffs is not None:
            raise UsageError("--folds does not go with --ratios or --cutoffs; hold out a test split with --test-ratio")
        return time_folds(frame, time_col=time_col, folds=folds, window=window, train_span=train_span, test_ratio=test_ratio,
                          gap=gap, parse_time=parse_time, drop_null_time=drop_null_time, allow_empty=allow_empty, where=where)
    extra = [f for f, on in (("--test-ratio", test_ratio is not None), ("--train-span", train_span is not None),
                             ("--window", window != "expanding")) if on]
    if extra:
        raise UsageError(f"{', '.join(extra)}: for --folds only; add --folds K, or leave out {'these options' if len(extra) > 1 else 'this option'}")
    if ratios is not None and cutoffs is not None:
        raise UsageError("give either --ratios or --cutoffs, not both")
    if cutoffs is None:
        ratios = ratios or DEFAULT_RATIOS
    return time_split(frame, time_col=time_col, ratios=ratios, cutoffs=cutoffs, gap=gap, parse_time=parse_time,
                      drop_null_time=drop_null_time, allow_empty=allow_empty, where=where)
