"""``mlprep impute``: fill missing values with statistics fitted on the training split."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlprep.cli import options

Inputs = Annotated[list[str], typer.Argument(help="The training split first, then any others (valid, test, new data) to apply it to.")]
OptionalOutput = Annotated[Optional[str], typer.Option("--output", "-o", help="Output Parquet file (one input only), or - for stdout.", metavar="PATH")]
OptionalOutDir = Annotated[Optional[str], typer.Option("--out-dir", help="Folder for the outputs, named as the inputs (created if missing).", metavar="DIR")]
DropAllNull = Annotated[bool, typer.Option("--drop-all-null", help="Drop a column that has no value in train from every output, instead of failing.")]


def impute(
    inputs: Inputs,
    output: OptionalOutput = None,
    out_dir: OptionalOutDir = None,
    strategy: Annotated[str, typer.Option("--strategy", help="mean, median, most-frequent (ties: smallest value) or constant.")] = "mean",
    fill_value: Annotated[Optional[str], typer.Option("--fill-value", help="Value for --strategy constant (default 0 for numbers, missing_value for text, false for booleans).", metavar="V")] = None,
    cols: options.Cols = None,
    strategy_for: Annotated[
        Optional[list[str]],
        typer.Option("--strategy-for", help="Per-column strategy, repeatable: --strategy-for f9=median (adds the column if not in --cols).", metavar="COL=STRATEGY"),
    ] = None,
    indicator: Annotated[bool, typer.Option("--indicator", help="Add a Boolean <col>__missing for every imputed column (same columns in every output).")] = False,
    drop_rows: Annotated[Optional[float], typer.Option("--drop-rows", help="Drop rows whose fraction of missing values in the imputed columns exceeds this (0 drops any row with a missing value).", metavar="FRACTION")] = None,
    drop_cols: Annotated[Optional[float], typer.Option("--drop-cols", help="Drop columns whose fraction of missing values in train exceeds this (e.g. 0.5).", metavar="FRACTION")] = None,
    nan_not_missing: Annotated[bool, typer.Option("--nan-not-missing", help="Treat only null as missing; float NaN is kept as a value (default: null and NaN are both missing).")] = False,
    drop_all_null: DropAllNull = False,
    state: options.State = None,
    allow_leakage: options.AllowLeakage = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Impute missing values: fit on the first input (train), apply the same values to every input.

    Null and float NaN both count as missing (--nan-not-missing: only null). Imputed numeric
    columns come out as Float64. The fill values are stored in each output's manifest and can
    be reused with --state or `mlprep lineage replay`.

    Example: mlprep impute sample_data/transactions.parquet -o out/imputed.parquet --strategy median --cols 'f*' --indicator
    """
    from mlprep.cli import console
    from mlprep.cli.report import report_run
    from mlprep.fitting import fit_and_apply, get_transform
    from mlprep.parsing import parse_pairs, split_list
    from mlprep.steps.impute import impute_plan

    console.set_quiet(quiet)
    params = {
        "cols": split_list(cols) or None,
        "strategy": strategy,
        "strategy_for": parse_pairs(strategy_for or [], option="--strategy-for") or None,
        "fill_value": fill_value,
        "indicator": indicator,
        "drop_rows": drop_rows,
        "drop_cols": drop_cols,
        "nan_missing": not nan_not_missing,
        "drop_all_null": drop_all_null,
    }

    def prepare(train, params):
        plan = impute_plan(train.schema, cols=params["cols"], strategy=params["strategy"], strategy_for=params["strategy_for"], where=repr(train.name))
        return {**params, "cols": list(plan)}

    run, manifests, paths = fit_and_apply(
        get_transform("impute"), params, inputs, output=output, out_dir=out_dir, state_file=state, allow_leakage=allow_leakage, prepare=prepare
    )
    report_run(run, manifests, paths, as_json=as_json)
    if not as_json and manifests:
        dropped = manifests[0].state.get("dropped") if manifests[0].state else None
        if dropped:
            console.info("dropped columns: " + ", ".join(f"{c} ({why})" for c, why in dropped.items()))
        for path, m in zip(paths, manifests):
            if "rows_dropped" in m.report:
                console.info(f"{path}: dropped {m.report['rows_dropped']:,} rows with too many missing values")


def register(app: typer.Typer) -> None:
    app.command("impute")(impute)
