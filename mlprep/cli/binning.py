"""``mlprep bin``: discretise numeric columns with bin edges fitted on the training split."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlprep.cli import options
from mlprep.cli.impute import DropAllNull, Inputs, OptionalOutDir, OptionalOutput


def bin_command(
    inputs: Inputs,
    output: OptionalOutput = None,
    out_dir: OptionalOutDir = None,
    bins: Annotated[int, typer.Option("--bins", help="Number of bins per column (at least 2).", metavar="K")] = 5,
    strategy: Annotated[str, typer.Option("--strategy", help="quantile (equal counts), uniform (equal widths) or kmeans (1-D k-means).")] = "quantile",
    edges: Annotated[
        Optional[list[str]],
        typer.Option("--edges", help="Fixed edges for a column, repeatable: --edges amount=0,10,100 (not fitted).", metavar="COL=E1,E2,..."),
    ] = None,
    cols: options.Cols = None,
    labels: Annotated[bool, typer.Option("--labels", help="Output interval labels such as '[10, 100)' instead of bin indices.")] = False,
    drop_all_null: DropAllNull = False,
    state: options.State = None,
    allow_leakage: options.AllowLeakage = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Bin numeric columns: edges fitted on the first input (train), applied to every input.

    Matches scikit-learn's KBinsDiscretizer(encode="ordinal"); outputs the bin index (Int32)
    or, with --labels, the interval as text. Values outside the train range fall in the first
    or last bin; null and NaN stay missing (null). Default columns: every numeric column (or
    only the --edges columns).

    Example: mlprep bin sample_data/transactions.parquet -o out/binned.parquet --bins 4 --cols amount --edges f0=-1,0,1
    """
    from mlprep.cli import console
    from mlprep.cli.report import report_run
    from mlprep.errors import UsageError
    from mlprep.fitting import fit_and_apply, get_transform
    from mlprep.parsing import parse_floats, parse_pairs, split_list
    from mlprep.runner import check_memory
    from mlprep.steps._columns import numeric_columns

    console.set_quiet(quiet)
    fixed = {}
    for name, text in parse_pairs(edges or [], option="--edges").items():
        fixed[name] = parse_floats(text, option="--edges")
    if bins < 2:
        raise UsageError(f"--bins {bins} must be at least 2")
    params = {
        "cols": split_list(cols) or None,
        "bins": bins,
        "strategy": strategy,
        "edges": fixed or None,
        "labels": labels,
        "drop_all_null": drop_all_null,
    }
    def prepare(train, params):
        if params["cols"] or not params["edges"]:
            chosen = numeric_columns(train.schema, params["cols"], where=repr(train.name), purpose="binning")
            if params["strategy"] == "kmeans":  # 1-D k-means fits on the collected columns
                check_memory(train, chosen, what="--strategy kmeans")
            return {**params, "cols": [c for c in chosen if c not in (params["edges"] or {})]}
        return {**params, "cols": []}

    run, manifests, paths = fit_and_apply(
        get_transform("bin"), params, inputs, output=output, out_dir=out_dir, state_file=state, allow_leakage=allow_leakage, prepare=prepare
    )
    report_run(run, manifests, paths, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command("bin")(bin_command)
