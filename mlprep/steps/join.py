"""``join asof``: point-in-time correct feature joins (the feature-store "as of" rule).

For each event row, the latest feature row of the same key whose feature time is strictly
before the event time (at or before with ``allow_exact_matches``), and no older than
``max_age`` (Feast's TTL). No match gives nulls, never a later row. Inputs need not be sorted:
the join runs on a narrow (row index, key, time) copy of each side sorted by time, the matched
feature row of every event is then gathered, so event rows keep their order and count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import polars as pl

from mlprep.errors import InputError, UsageError, missing_column
from mlprep.parsing import select_columns

_EV = "__mlprep_event_row"
_FR = "__mlprep_feature_row"
_FT = "__mlprep_feature_time"


@dataclass
class AsofTable:
    """One feature table of an as-of join and its per-table options.

    Parameters
    ----------
    frame : the feature rows (any order).
    by : key columns, named the same in the events and in this table.
    feature_time_col : the time at which each feature row became known (default: the events'
        time column name).
    max_age : a matched feature row is at most this old (inclusive); None for no limit.
    prefix : prepended to every column brought from this table (the feature time included).
    cols : feature columns to bring (names or globs; default: every column except the keys and
        the feature time).
    name : how messages name this table.
    """

    frame: pl.LazyFrame
    by: list[str]
    feature_time_col: str | None = None
    max_age: dt.timedelta | None = None
    prefix: str = ""
    cols: list[str] | None = None
    name: str = "FEATURES"


class _Resolved(NamedTuple):
    """A table's options checked against both schemas: what to cast and which columns to bring."""

    feature_time_col: str
    time_expr: pl.Expr
    key_casts: dict[str, pl.DataType]
    bring: list[str]


def join_asof(
    events: pl.LazyFrame,
    tables: Sequence[AsofTable],
    *,
    time_col: str,
    allow_exact_matches: bool = False,
    inner: bool = False,
    events_name: str = "EVENTS",
) -> tuple[pl.LazyFrame, dict[str, Any]]:
    """Join every feature table onto the events as of each event's time.

    Events whose key or time is null match nothing; feature rows whose key or time is null are
    ignored (both counted in the report). When several feature rows of a key share the same
    feature time, the last one in the table's order wins. Time columns must be dates or
    datetimes of the same kind on both sides (naive vs time-zone-aware is an error; two time
    zones are compared as instants; time units are aligned to the events'). Key columns must
    have the same dtype on both sides (integers of different widths are compared as Int64,
    String and Categorical as String).

    Parameters
    ----------
    events : the event (label) rows; their order and count are kept.
    tables : the feature tables with their options.
    time_col : the event-time column of ``events``.
    allow_exact_matches : also match a feature row whose time equals the event time.
    inner : drop events that found no match in some table (counted in the report).
    events_name : how messages name the events input.

    Returns
    -------
    (frame, report) : the joined rows (lazy: the events are streamed from their source, the
    matched feature values are held in memory) and the per-table report (matched share,
    median feature age, rows with no match).

    Example
    -------
    >>> ev = pl.LazyFrame({"u": [1, 1], "t": [dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 5)]})
    >>> ft = pl.LazyFrame({"u": [1, 1], "t": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 5)], "x": [10, 20]})
    >>> out, report = join_asof(ev, [AsofTable(ft, by=["u"], prefix="f_")], time_col="t")
    >>> out.collect()["f_x"].to_list()
    [10, 10]
    """
    if not tables:
        raise UsageError("give at least one FEATURES table to join")
    ev_schema = events.collect_schema()
    if time_col not in ev_schema:
        raise missing_column(time_col, ev_schema.names(), where=repr(events_name), option="--time-col")
    ev_time_dtype = ev_schema[time_col]
    _check_temporal(ev_time_dtype, time_col, events_name, "--time-col")
    out_names = set(ev_schema.names())
    resolved = [_resolve(table, ev_schema, time_col, ev_time_dtype, events_name, out_names) for table in tables]

    keys = list(dict.fromkeys(k for t in tables for k in t.by))
    ev_narrow = events.with_row_index(_EV).select(_EV, *keys, time_col).collect(engine="streaming")
    n_events = ev_narrow.height

    gathered: list[pl.DataFrame] = []
    report_tables = []
    matched_all = pl.repeat(True, n_events, dtype=pl.Boolean, eager=True).alias(_EV)
    for table, res in zip(tables, resolved):
        index, table_report = _match(ev_narrow, table, res, time_col, allow_exact_matches, n_events)
        report_tables.append(table_report)
        matched_all = matched_all & index.is_not_null()
        values = table.frame.select(res.bring).collect(engine="streaming")
        values = values.select(pl.all().gather(index))
        gathered.append(values.rename({c: table.prefix + c for c in values.columns}))

    extra = pl.concat(gathered, how="horizontal") if len(gathered) > 1 else gathered[0]
    dropped = int(n_events - matched_all.sum()) if inner else 0
    if inner:
        extra = extra.with_columns(matched_all.alias(_EV))
    out = pl.concat([events, extra.lazy()], how="horizontal")
    if inner:
        out = out.filter(pl.col(_EV)).drop(_EV)
    report = {
        "events": n_events,
        "rows": n_events - dropped,
        "dropped_no_match": dropped if inner else None,
        "tables": report_tables,
    }
    return out, report


def _check_temporal(dtype: pl.DataType, col: str, where: str, option: str) -> None:
    if not isinstance(dtype, (pl.Datetime, pl.Date)):
        raise InputError(
            f"time column {col!r} (from {option}) of {where!r} is {dtype}, not a date or datetime; "
            "parse it first (mlprep convert --parse-dates)"
        )


def _resolve(table: AsofTable, ev_schema: pl.Schema, time_col: str, ev_time_dtype: pl.DataType, events_name: str, out_names: set[str]) -> _Resolved:
    """Validate one table's options against both schemas and decide the casts and columns."""
    schema = table.frame.collect_schema()
    names = schema.names()
    if not table.by:
        raise UsageError("--by is required: the key column(s) that events and features share, e.g. --by user_id")
    ftc = table.feature_time_col or time_col
    if ftc not in names:
        raise missing_column(ftc, names, where=repr(table.name), option="--feature-time-col" if table.feature_time_col else "--time-col")
    for key in table.by:
        if key not in ev_schema:
            raise missing_column(key, ev_schema.names(), where=repr(events_name), option="--by")
        if key not in names:
            raise missing_column(key, names, where=repr(table.name), option="--by")
    if table.max_age is not None and table.max_age <= dt.timedelta(0):
        raise UsageError(f"--max-age must be positive, got {table.max_age}")

    # Keys: same dtype on both sides, with two lenient cases.
    key_casts: dict[str, pl.DataType] = {}
    for key in table.by:
        left, right = ev_schema[key], schema[key]
        if left == right:
            continue
        if left.is_integer() and right.is_integer():
            key_casts[key] = pl.Int64
        elif _is_text(left) and _is_text(right):
            key_casts[key] = pl.String
        else:
            raise InputError(
                f"key column {key!r} (from --by) is {left} in {events_name!r} but {right} in {table.name!r}; "
                "cast one side so both have the same type"
            )

    # Times: same kind; naive vs aware refused; zones compared as instants; units aligned.
    right_time = schema[ftc]
    _check_temporal(right_time, ftc, table.name, "--feature-time-col" if table.feature_time_col else "--time-col")
    time_expr = pl.col(ftc)
    if isinstance(ev_time_dtype, pl.Datetime) != isinstance(right_time, pl.Datetime):
        raise InputError(
            f"time column {time_col!r} of {events_name!r} is {ev_time_dtype} but {ftc!r} of {table.name!r} is {right_time}; "
            "make both dates or both datetimes"
        )
    if isinstance(ev_time_dtype, pl.Datetime) and isinstance(right_time, pl.Datetime):
        if (ev_time_dtype.time_zone is None) != (right_time.time_zone is None):
            naive, aware = (events_name, table.name) if ev_time_dtype.time_zone is None else (table.name, events_name)
            raise InputError(
                f"time columns differ in time zone awareness: {time_col!r} of {events_name!r} is {ev_time_dtype} but "
                f"{ftc!r} of {table.name!r} is {right_time}; {naive!r} is naive and {aware!r} is time-zone aware: "
                "attach the right zone to the naive one (or strip it from the aware one) so instants compare correctly"
            )
        if right_time.time_zone != ev_time_dtype.time_zone:
            time_expr = time_expr.dt.convert_time_zone(ev_time_dtype.time_zone)  # type: ignore[arg-type]
        if right_time.time_unit != ev_time_dtype.time_unit:
            time_expr = time_expr.cast(pl.Datetime(ev_time_dtype.time_unit, ev_time_dtype.time_zone))

    if table.cols:
        bring = select_columns(table.cols, names, where=repr(table.name))
        bring = [c for c in bring if c not in table.by]
    else:
        bring = [c for c in names if c not in table.by and c != ftc]
    bring = [*(c for c in bring if c != ftc), ftc]  # the feature time is always brought, last
    for col in bring:
        target = table.prefix + col
        if target in out_names:
            raise InputError(
                f"column {col!r} of {table.name!r} would be written as {target!r}, which {events_name!r} "
                "(or an earlier FEATURES table) already has; pass --prefix (e.g. --prefix feat_) or restrict --cols"
            )
        out_names.add(target)
    return _Resolved(ftc, time_expr, key_casts, bring)


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, pl.Categorical)


def _match(
    ev_narrow: pl.DataFrame, table: AsofTable, res: _Resolved, time_col: str, allow_exact_matches: bool, n_events: int,
) -> tuple[pl.Series, dict[str, Any]]:
    """The matched feature row index of every event (null for no match) and the table's report."""
    casts = res.key_casts
    keys = [pl.col(k).cast(casts[k]) if k in casts else pl.col(k) for k in table.by]
    left = (
        ev_narrow.lazy()
        .select(_EV, *keys, pl.col(time_col).alias(_FT + "_ev"))
        .drop_nulls()
        .sort(_FT + "_ev", _EV)
    )
    right_all = table.frame.with_row_index(_FR).select(_FR, *keys, res.time_expr.alias(_FT))
    feature_stats = right_all.select(pl.len().alias("rows"), pl.any_horizontal(pl.all().is_null()).sum().alias("ignored"))
    # Several rows of one key at one time: the last in the table's order wins.
    right = right_all.drop_nulls().sort(_FT, _FR).unique(subset=[*table.by, _FT], keep="last", maintain_order=True)
    joined = left.join_asof(
        right, left_on=_FT + "_ev", right_on=_FT, by=table.by, strategy="backward",
        allow_exact_matches=allow_exact_matches, tolerance=table.max_age, check_sortedness=False,
    ).select(_EV, _FR, (pl.col(_FT + "_ev") - pl.col(_FT)).alias("age"))
    matches, stats = pl.collect_all([joined, feature_stats], engine="in-memory")
    index = pl.repeat(None, n_events, dtype=matches.schema[_FR], eager=True).alias(_FR).scatter(matches[_EV], matches[_FR])
    matched = int(matches[_FR].is_not_null().sum())
    ages = matches.filter(pl.col(_FR).is_not_null())["age"]
    median_age = ages.median() if matched else None
    median_td = median_age if isinstance(median_age, dt.timedelta) else None
    report = {
        "table": table.name,
        "by": list(table.by),
        "feature_time_col": res.feature_time_col,
        "max_age": _fmt_td(table.max_age) if table.max_age is not None else None,
        "prefix": table.prefix,
        "columns": [table.prefix + c for c in res.bring],
        "matched": matched,
        "no_match": n_events - matched,
        "matched_share": matched / n_events if n_events else None,
        "median_feature_age": _fmt_td(median_td) if median_td is not None else None,
        "median_feature_age_seconds": median_td.total_seconds() if median_td is not None else None,
        "events_with_null_key_or_time": n_events - matches.height,
        "feature_rows": int(stats["rows"][0]),
        "feature_rows_ignored_null_key_or_time": int(stats["ignored"][0]),
    }
    return index, report


def _fmt_td(value: dt.timedelta) -> str:
    """A short duration: ``3d 4h 5m 6s`` (sub-second parts as fractional seconds)."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{int(days)}d")
    if hours:
        parts.append(f"{int(hours)}h")
    if minutes:
        parts.append(f"{int(minutes)}m")
    if seconds or not parts:
        parts.append(f"{seconds:g}s")
    return sign + " ".join(parts)
