"""``convert``: any input form to Parquet, optionally selecting columns and parsing dates."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from mlprep.errors import InputError
from mlprep.parsing import select_columns


def convert(
    frame: pl.LazyFrame,
    *,
    cols: Sequence[str] | None = None,
    parse_dates: Sequence[str] | None = None,
    where: str = "the input",
) -> pl.LazyFrame:
    """Select columns and parse date/datetime text columns; the rows are unchanged.

    Parameters
    ----------
    frame : the input, lazily scanned.
    cols : names or globs to keep, in input order (default: all).
    parse_dates : string columns to parse as dates (``2024-01-31``) or datetimes
        (ISO 8601, with or without a time zone offset); a value that does not parse is an error.
    where : how error messages name the input.

    Example
    -------
    >>> convert(pl.LazyFrame({"t": ["2024-01-02"], "x": [1]}), parse_dates=["t"]).collect()["t"].dtype
    Date
    """
    schema = frame.collect_schema()
    if cols:
        frame = frame.select(select_columns(cols, schema.names(), where=where))
        schema = frame.collect_schema()
    for name in select_columns(parse_dates or [], schema.names(), where=where, option="--parse-dates"):
        dtype = schema[name]
        if dtype.is_temporal():
            continue
        if dtype != pl.String:
            raise InputError(f"--parse-dates column {name!r} of {where} is {dtype}, not text; only string columns can be parsed")
        frame = frame.with_columns(_parse_temporal(name, frame))
    return frame


def _parse_temporal(name: str, frame: pl.LazyFrame) -> pl.Expr:
    """Dates stay dates; anything with a time part becomes a datetime (time zone kept if given)."""
    sample = frame.select(pl.col(name).drop_nulls().first()).collect().item()
    if sample is not None and len(sample.strip()) <= 10:
        return pl.col(name).str.to_date(strict=True)
    return pl.col(name).str.to_datetime(strict=True, time_unit="us")
