"""``mlprep scale``: scale numeric columns with statistics fitted on the training split."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlprep.cli import options
from mlprep.cli.impute import DropAllNull, Inputs, OptionalOutDir, OptionalOutput


def scale(
    inputs: Inputs,
    output: OptionalOutput = None,
    out_dir: OptionalOutDir = None,
    method: Annotated[str, typer.Option("--method", help="standard, minmax, robust, maxabs, log (log1p), yeo-johnson or quantile.")] = "standard",
    cols: options.Cols = None,
    quantile_output: Annotated[str, typer.Option("--quantile-output", help="uniform or normal output distribution for --method quantile.")] = "uniform",
    n_quantiles: Annotated[int, typer.Option("--n-quantiles", help="Number of quantiles for --method quantile (at most the train row count).")] = 1000,
    clip: Annotated[bool, typer.Option("--clip", help="Clip minmax output to [0, 1] for values outside the train range (quantile output is always bounded).")] = False,
    inf_as_missing: Annotated[bool, typer.Option("--inf-as-missing", help="Treat ±inf as missing (ignored in fit, null in the output) instead of failing.")] = False,
    impute: Annotated[
        Optional[str],
        typer.Option(
            "--impute",
            help="Fill missing values first with this train statistic (mean, median, most-frequent, constant), then scale the filled "
            "columns: SimpleImputer + scaler in one pass per file, one output, one state. Default: off (missing values stay missing).",
            metavar="STRATEGY",
        ),
    ] = None,
    fill_value: Annotated[Optional[str], typer.Option("--fill-value", help="Value for --impute constant (default 0).", metavar="V")] = None,
    drop_all_null: DropAllNull = False,
    state: options.State = None,
    allow_leakage: options.AllowLeakage = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Scale numeric columns: fit on the first input (train), apply the same numbers to every input.

    Matches scikit-learn's StandardScaler, MinMaxScaler, RobustScaler, MaxAbsScaler,
    PowerTransformer (yeo-johnson) and QuantileTransformer. Outputs are Float64; null and NaN
    are ignored in fit and stay missing, unless --impute fills them first (the scaling is then
    fitted on the filled train columns, as in a scikit-learn pipeline). Default columns: every
    numeric column.

    Example: mlprep scale sample_data/transactions.parquet -o out/scaled.parquet --method standard --cols 'amount,f*'
    Example: mlprep scale train.parquet valid.parquet test.parquet --out-dir out/scaled --impute median --cols 'f*'
    """
    from mlprep.cli import console
    from mlprep.cli.report import report_run
    from mlprep.fitting import fit_and_apply, get_transform
    from mlprep.parsing import split_list
    from mlprep.runner import check_memory
    from mlprep.steps._columns import numeric_columns

    console.set_quiet(quiet)
    params = {
        "cols": split_list(cols) or None,
        "method": method,
        "quantile_output": quantile_output,
        "n_quantiles": n_quantiles,
        "clip": clip,
        "inf_as_missing": inf_as_missing,
        "drop_all_null": drop_all_null,
        "impute": impute,
        "fill_value": fill_value,
    }

    def prepare(train, params):
        chosen = numeric_columns(train.schema, params["cols"], where=repr(train.name), purpose=f"scaling ({params['method']})")
        if params["method"] in ("yeo-johnson", "quantile"):  # these fit on the collected columns
            check_memory(train, chosen, what=f"--method {params['method']}")
        return {**params, "cols": chosen}

    run, manifests, paths = fit_and_apply(
        get_transform("scale"), params, inputs, output=output, out_dir=out_dir, state_file=state, allow_leakage=allow_leakage, prepare=prepare
    )
    report_run(run, manifests, paths, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command("scale")(scale)
