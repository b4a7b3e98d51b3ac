"""``mlprep split``: train / valid / test (or time folds) with roles in lineage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mlprep.cli import options

SPLIT_FILE_NAMES = ("train.parquet", "valid.parquet", "test.parquet")


def split(
    input: Annotated[str, typer.Argument(help="Parquet file, folder, glob, .csv/.ndjson file, or - for stdin.")],
    out_dir: options.OutDir,
    time_col: Annotated[Optional[str], typer.Option("--time-col", help="Split by this Date/Datetime column: train is earliest, test latest.", metavar="COL")] = None,
    ratios: Annotated[Optional[str], typer.Option("--ratios", help="Shares train,valid,test (or train,test), positive, summing to 1. [default: 0.7,0.15,0.15]", metavar="R,R[,R]")] = None,
    cutoffs: Annotated[Optional[str], typer.Option("--cutoffs", help="Time cut points instead of ratios: T1 (train,test) or T1,T2 (train,valid,test), ISO dates/datetimes; train is t < T1.", metavar="T1[,T2]")] = None,
    gap: Annotated[Optional[str], typer.Option("--gap", help="Drop rows within this duration after each time boundary from the later split (30m, 12h, 7d). [default: none]", metavar="DURATION")] = None,
    folds: Annotated[Optional[int], typer.Option("--folds", help="Write K successive time folds fold-k/{train,valid}.parquet instead of one split.", metavar="K", min=1)] = None,
    window: Annotated[str, typer.Option("--window", help="Fold training window: expanding (from the start) or rolling (--train-span long).", metavar="expanding|rolling")] = "expanding",
    train_span: Annotated[Optional[str], typer.Option("--train-span", help="Length of each rolling training window, e.g. 90d (with --window rolling).", metavar="DURATION")] = None,
    test_ratio: Annotated[Optional[float], typer.Option("--test-ratio", help="With --folds: hold out this share of the latest rows as test.parquet after the last fold. [default: none]", metavar="R")] = None,
    random: Annotated[bool, typer.Option("--random", help="Split at random (keyed on seed and row position or --key-col) instead of by time.")] = False,
    stratify: Annotated[Optional[str], typer.Option("--stratify", help="Random split keeping this class column's shares in every split (implies --random).", metavar="COL")] = None,
    group_col: Annotated[Optional[str], typer.Option("--group-col", help="Random split keeping all rows of each group (user, patient) in one split (implies --random).", metavar="COL")] = None,
    key_col: Annotated[Optional[str], typer.Option("--key-col", help="Stable row key for a random split: a row keeps its split when rows are appended. [default: row position]", metavar="COL")] = None,
    seed: options.Seed = 0,
    parse_time: Annotated[bool, typer.Option("--parse-time", help="Parse a text --time-col as ISO 8601 dates/datetimes.")] = False,
    drop_null_time: Annotated[bool, typer.Option("--drop-null-time", help="Drop rows with a null time (counted in the report) instead of failing.")] = False,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help="Write a split even if it has no rows (otherwise an error).")] = False,
    clean: Annotated[bool, typer.Option("--clean", help="Remove split files of an earlier run in --out-dir that this run does not write (otherwise an error).")] = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Split a dataset into train / valid / test, by time (safe for events) or at random.

    By time (--time-col): every train row is earlier than every valid row, which is earlier than
    every test row; rows sharing a timestamp never straddle a boundary. Cut points come from
    --ratios or --cutoffs; --gap drops an embargo after each boundary; --folds writes successive
    time folds (expanding, or rolling with --train-span). At random (--random, --stratify,
    --group-col): keyed on (seed, row position or --key-col), so the same seed gives the same
    split. Outputs go to DIR/train.parquet, DIR/valid.parquet, DIR/test.parquet (folds:
    DIR/fold-k/...), each with role train/valid/test in its lineage manifest, whose report holds
    the cut points and rows per split.

    Example: mlprep split sample_data/transactions.parquet --time-col event_time --ratios 0.7,0.15,0.15 --out-dir out/splits
    """
    from mlprep.cli import console
    from mlprep.cli.report import report_run
    from mlprep.parsing import parse_floats, split_list
    from mlprep.runner import Output, StepRun, open_input
    from mlprep.steps.split import DEFAULT_RATIOS
    from mlprep.steps.split import split as split_step

    console.set_quiet(quiet)
    ratio_list = parse_floats(ratios, option="--ratios") if ratios is not None else None
    cutoff_list = split_list(cutoffs) if cutoffs is not None else None
    data = open_input(input)
    result = split_step(
        data.frame, time_col=time_col, random=random, ratios=ratio_list, cutoffs=cutoff_list, gap=gap, folds=folds,
        window=window,  # type: ignore[arg-type]
        train_span=train_span, test_ratio=test_ratio, stratify=stratify, group_col=group_col, key_col=key_col,
        seed=seed, parse_time=parse_time, drop_null_time=drop_null_time, allow_empty=allow_empty, where=repr(data.name),
    )
    method = result.report["method"]
    if ratio_list is None and cutoff_list is None and folds is None:
        ratio_list = list(DEFAULT_RATIOS)
    params = {
        "method": method, "time_col": time_col, "ratios": ratio_list, "cutoffs": cutoff_list, "gap": gap,
        "folds": folds, "window": window if folds is not None else None, "train_span": train_span,
        "test_ratio": test_ratio, "stratify": stratify, "group_col": group_col, "key_col": key_col, "seed": seed,
        "parse_time": parse_time, "drop_null_time": drop_null_time, "allow_empty": allow_empty,
    }
    if "keyed_scheme" in result.report:
        params["keyed_scheme"] = result.report["keyed_scheme"]

    root = Path(out_dir)
    paths = [str(root / f"{part.name}.parquet") for part in result.parts]
    stale = stale_split_files(root, [Path(p) for p in paths])
    if stale and not clean:
        from mlprep.errors import OutputError

        shown = ", ".join(p.relative_to(root).as_posix() for p in stale[:6]) + (", …" if len(stale) > 6 else "")
        raise OutputError(
            f"--out-dir {out_dir!r} holds split files from a different run that this run would not replace ({shown}); "
            "pass --clean to remove them, or choose another --out-dir"
        )
    run = StepRun("split", params=params)
    for message in result.warnings:
        run.warn(message)
    outputs = [
        Output(path, part.frame, data_inputs=[data], role=part.role, fold=part.fold, report={**result.report, "split": part.name})
        for path, part in zip(paths, result.parts)
    ]
    manifests = run.write(outputs)
    removed = remove_files(stale, root)
    report_run(run, manifests, paths, as_json=as_json)
    if not as_json:
        _summary(result.report, removed, root)


def stale_split_files(root: Path, planned: list[Path]) -> list[Path]:
    """Split outputs in ``root`` (train/valid/test.parquet, fold-k/…) that this run will not write."""
    if not root.is_dir():
        return []
    keep = {p.resolve() for p in planned}
    found = [root / name for name in SPLIT_FILE_NAMES]
    for fold_dir in sorted(root.glob("fold-*")):
        if fold_dir.is_dir() and fold_dir.name[5:].isdigit():
            found.extend(fold_dir / name for name in SPLIT_FILE_NAMES)
    return [p for p in found if p.is_file() and p.resolve() not in keep]


def remove_files(stale: list[Path], root: Path) -> list[str]:
    """Delete stale split files with their manifests (and fold folders left empty)."""
    from mlprep.lineage.model import sidecar_path

    removed = []
    for path in stale:
        path.unlink(missing_ok=True)
        sidecar_path(path).unlink(missing_ok=True)
        removed.append(path.relative_to(root).as_posix())
        folder = path.parent
        if folder != root and not any(folder.iterdir()):
            folder.rmdir()
    return removed


def _summary(report: dict, removed: list[str], root: Path) -> None:
    from mlprep.cli import console

    if report.get("cutoffs"):
        console.info(f"cut points ({report['time_col']}): {', '.join(report['cutoffs'])}")
    if report.get("test_cutoff"):
        console.info(f"test from: {report['test_cutoff']}")
    dropped = {k: v for k, v in (report.get("dropped_by_gap") or {}).items() if v}
    if dropped:
        console.info("dropped by --gap: " + ", ".join(f"{k} {v:,}" for k, v in dropped.items()))
    if report.get("dropped_null_time"):
        console.info(f"dropped for a null time: {report['dropped_null_time']:,}")
    if removed:
        console.info(f"removed stale split files from {root.as_posix()}: {', '.join(removed)}")


def register(app: typer.Typer) -> None:
    app.command("split")(split)
