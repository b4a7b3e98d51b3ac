"""``mlprep check``: checks that exit 1 when they find problems (``leakage`` here; ``drift`` registers itself)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlprep.cli import options

app = typer.Typer(help="Check datasets for leakage and drift; exit 1 when a check finds a problem.", no_args_is_help=True)


@app.command("leakage")
def leakage(
    train: Annotated[str, typer.Argument(help="The training split (Parquet file, folder, glob, .csv/.ndjson, or - for stdin).")],
    others: Annotated[list[str], typer.Argument(help="The later splits, in time order (valid, test).")],
    time_col: Annotated[
        Optional[str],
        typer.Option("--time-col", help="The event-time column for the time-overlap check (default: the one the split recorded in lineage).", metavar="COL"),
    ] = None,
    target: Annotated[Optional[str], typer.Option("--target", help="The label column; enables the target- and missingness-leakage checks.", metavar="COL")] = None,
    key_cols: Annotated[
        Optional[list[str]],
        typer.Option("--key-cols", help="Compare rows across splits by these columns instead of all columns (comma-separated).", metavar="COLS"),
    ] = None,
    group_col: Annotated[Optional[str], typer.Option("--group-col", help="The entity column (user, patient) for the entity-overlap check.", metavar="COL")] = None,
    cols: options.Cols = None,
    auc_threshold: Annotated[float, typer.Option("--auc-threshold", help="Single-feature AUC (or missingness AUC) at or above which a feature is a leakage suspect.")] = 0.95,
    corr_threshold: Annotated[float, typer.Option("--corr-threshold", help="|Correlation| with a numeric target at or above which a feature is a suspect.")] = 0.95,
    mi_threshold: Annotated[
        float,
        typer.Option("--mi-threshold", help="For a multi-class text target: mutual information, as a share of the target's entropy, at or above which a feature is a suspect."),
    ] = 0.95,
    fail_on: Annotated[str, typer.Option("--fail-on", help="Exit 1 when a finding reaches this severity: warn or error.", metavar="warn|error")] = "error",
    as_json: options.Json = False,
    quiet: options.Quiet = False,
) -> None:
    """Look for leakage between a training split and later splits; exit 1 if a finding reaches --fail-on.

    Checks: time overlap (--time-col), identical rows across splits (a stable row hash over all
    columns, or --key-cols), entity overlap (--group-col, a warning), features or missingness
    that alone predict --target on train (AUC or |correlation| ≥ 0.95), and the recorded
    lineage (statistics fitted on a non-train split, balancing outside the training split or
    before the split, random splits of temporal data, --allow-leakage upstream). Each finding
    has a severity, evidence and a fix. --cols restricts the features scored against --target.

    Example: mlprep check leakage demo_out/splits/train.parquet demo_out/splits/valid.parquet demo_out/splits/test.parquet --target is_fraud --time-col event_time
    """
    from mlprep.cli import console
    from mlprep.errors import UsageError
    from mlprep.parsing import split_list
    from mlprep.runner import check_inputs_unmodified, open_input
    from mlprep.steps.leakage import SplitData, check_leakage, reaches

    console.set_quiet(quiet)
    if fail_on not in ("warn", "error"):
        raise UsageError(f"--fail-on {fail_on!r} is not one of warn, error")
    if sum(arg == "-" for arg in [train, *others]) > 1:
        raise UsageError("only one input can be - (stdin)")
    datasets = [open_input(arg, allow_empty=True) for arg in [train, *others]]  # an empty split can still leak nothing
    splits = [SplitData(d.name, d.frame, role=d.role, manifest=d.manifest) for d in datasets]
    result = check_leakage(
        splits, time_col=time_col, target=target, key_cols=split_list(key_cols) or None, group_col=group_col,
        cols=split_list(cols) or None, auc_threshold=auc_threshold, corr_threshold=corr_threshold,
        mi_threshold=mi_threshold,
    )
    check_inputs_unmodified(datasets)
    result["fail_on"] = fail_on
    failed = reaches(result, fail_on)  # type: ignore[arg-type]
    result["failed"] = failed
    if as_json:
        console.print_json(result)
    else:
        _render(result)
    if failed:
        raise typer.Exit(1)


_COLOURS = {"error": "red", "warn": "yellow", "info": "cyan"}


def _render(result: dict) -> None:
    from rich.markup import escape
    from rich.table import Table

    from mlprep.cli import console

    splits = ", ".join(f"{s['name']} [{s['role'] or 'no role'}] {s['rows']:,} rows" for s in result["splits"])
    table = Table(title=f"check leakage: {escape(splits)}", title_justify="left", show_lines=True)
    for header in ("severity", "check", "finding", "fix"):
        table.add_column(header, overflow="fold")
    for f in result["findings"]:
        colour = _COLOURS[f["severity"]]
        table.add_row(f"[{colour}]{f['severity']}[/]", f["check"], escape(f["message"]), escape(f["fix"]))
    if result["findings"]:
        console.render(table)
    for name, note in result["checks"].items():
        console.info(f"{name}: {note}")
    suspects = [s for s in result["scores"][:5]]
    if suspects:
        top = ", ".join(
            f"{s['column']} {max(s['score'] or 0, s['missing_score'] or 0):.3f}" for s in suspects
        )
        console.info(f"strongest single features on train: {top}")
    summary = result["summary"]
    verdict = "FAIL" if result["failed"] else "ok"
    console.info(
        f"{verdict}: {summary['error']} error(s), {summary['warn']} warning(s), {summary['info']} note(s); "
        f"--fail-on {result['fail_on']}"
    )


# `check drift` lives in its own module; it registers onto this sub-app.
from mlprep.cli import check_drift  # noqa: E402

check_drift.register(app)
