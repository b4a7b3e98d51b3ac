"""``mlprep profile``: per-column statistics as a table or JSON."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlprep.cli import options


def profile(
    input: Annotated[str, typer.Argument(help="Parquet file, folder, glob, .csv/.ndjson file, or - for stdin.")],
    cols: options.Cols = None,
    exact: Annotated[Optional[bool], typer.Option("--exact/--approx", help="Exact or approximate (HyperLogLog) distinct counts; default: exact up to 1M rows.")] = None,
    top: Annotated[int, typer.Option("--top", help="How many most frequent values to list for text and categorical columns.", min=0)] = 5,
    as_json: options.Json = False,
) -> None:
    """Profile every column: dtype, nulls, NaNs, distinct values, min/max/mean/std/skewness, top values.

    Streams: a file larger than memory profiles with bounded memory.

    Example: mlprep profile sample_data/transactions.parquet --cols amount,merchant
    """
    from mlprep.cli import console
    from mlprep.parsing import select_columns, split_list
    from mlprep.runner import check_inputs_unmodified, open_input
    from mlprep.steps.profile import profile as profile_step

    data = open_input(input)
    frame = data.frame
    if cols:
        frame = frame.select(select_columns(split_list(cols), data.schema.names(), where=repr(data.name)))
    result = profile_step(frame, exact=exact, top=top, rows=data.rows)
    result["input"] = data.name
    check_inputs_unmodified([data])
    if as_json:
        console.print_json(result)
    else:
        console.render(_table(result))


def _table(result: dict):
    from rich.table import Table

    table = Table(title=f"{result['input']}: {result['rows']:,} rows", title_justify="left")
    for header in ("column", "dtype", "nulls", "NaN", "distinct", "min", "max", "mean", "std", "skew", "top values"):
        table.add_column(header, overflow="fold", justify="right" if header in ("nulls", "NaN", "distinct", "mean", "std", "skew") else "left")
    for col in result["columns"]:
        distinct = col.get("distinct")
        table.add_row(
            col["name"], col["dtype"], _fmt(col.get("nulls")), _fmt(col.get("nans")),
            ("" if col.get("distinct_exact") or distinct is None else "≈") + _fmt(distinct),
            _fmt(col.get("min")), _fmt(col.get("max")), _fmt(col.get("mean")), _fmt(col.get("std")), _fmt(col.get("skewness")),
            ", ".join(f"{t['value']} ({t['count']:,})" for t in col.get("top", [])),
        )
    return table


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def register(app: typer.Typer) -> None:
    app.command("profile")(profile)
