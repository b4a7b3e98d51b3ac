"""``mlprep convert``: any input to Parquet with a lineage manifest."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlprep.cli import options
from mlprep.cli.report import report_run


def convert(
    input: Annotated[str, typer.Argument(help="Parquet file, folder, glob, .csv/.ndjson file, or - for stdin.")],
    output: options.Output,
    cols: options.Cols = None,
    parse_dates: Annotated[
        Optional[list[str]],
        typer.Option("--parse-dates", help="Text columns to parse as dates/datetimes (ISO 8601), comma-separated.", metavar="COLS"),
    ] = None,
    quiet: options.Quiet = False,
) -> None:
    """Convert any input (CSV, NDJSON, Parquet folder or glob, stdin) to one Parquet file.

    The first step of a pipeline: its manifest records the raw source and its sha256, so
    lineage has something to point back to.

    Example: mlprep convert sample_data/transactions.parquet -o out/raw.parquet --parse-dates event_time
    """
    from mlprep.cli import console
    from mlprep.parsing import split_list
    from mlprep.runner import Output, StepRun, open_input
    from mlprep.steps.convert import convert as convert_step

    console.set_quiet(quiet)
    data = open_input(input, try_parse_dates=False)
    col_list, date_list = split_list(cols) or None, split_list(parse_dates) or None
    frame = convert_step(data.frame, cols=col_list, parse_dates=date_list, where=repr(data.name))
    run = StepRun("convert", params={"cols": col_list, "parse_dates": date_list})
    manifests = run.write([Output(output, frame, data_inputs=[data], report={"rows": data.rows})])
    report_run(run, manifests, [output])


def register(app: typer.Typer) -> None:
    app.command("convert")(convert)
