"""``mlprep encode hash|onehot|ordinal|count|frequency|target``: categorical columns to numbers.

Every subcommand takes TRAIN first and any other inputs after it, fits on TRAIN only (hash is
stateless), applies to every input, and writes one output per input (``-o`` for one,
``--out-dir`` for several) with the fitted state in its manifest; ``--state`` reuses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from mlprep.cli import options

if TYPE_CHECKING:
    from mlprep.fitting import Transform
    from mlprep.runner import Dataset

app = typer.Typer(help="Encode categorical columns: hashing trick, one-hot, ordinal, count, frequency, target.", no_args_is_help=True)

Inputs = Annotated[list[str], typer.Argument(help="TRAIN first (fitted on), then other inputs to apply the fit to (e.g. valid, test).", metavar="TRAIN [OTHER]...")]
OutputOpt = Annotated[Optional[str], typer.Option("--output", "-o", help="Output Parquet file for a single input, or - for stdout.", metavar="PATH")]
OutDirOpt = Annotated[Optional[str], typer.Option("--out-dir", help="Folder for the outputs, which keep their input file names (created if missing).", metavar="DIR")]
HashInputs = Annotated[list[str], typer.Argument(help="Inputs to hash, all the same way (e.g. train valid test).", metavar="INPUT...")]
HashState = Annotated[
    Optional[str],
    typer.Option("--state", help="Reuse the columns and options recorded by an earlier `encode hash` output (Parquet or its .lineage.json).", metavar="FILE"),
]
Keep = Annotated[bool, typer.Option("--keep", help="Keep the original columns next to their encodings (default: drop them).")]


def _resolve_cols(train: "Dataset", params: dict[str, Any], *, keys: tuple[str, ...] = ("cols",)) -> dict[str, Any]:
    """Expand --cols names and globs against TRAIN and check they can be encoded."""
    from mlprep.parsing import select_columns
    from mlprep.steps.encode import check_categorical

    names = train.schema.names()
    cols = select_columns(params["cols"], names, where=repr(train.name)) if params["cols"] else []
    sources = list(dict.fromkeys([*cols, *(c for group in params.get("cross") or [] for c in group)]))
    if sources or "cross" not in params:
        check_categorical(train.schema, sources, where=repr(train.name), option="--cols/--cross" if "cross" in params else "--cols")
    return {**params, "cols": cols}


def _check_state_columns(state_file: str | None, step: str, inputs: list[str], cols: list[str], *, key: str = "cols") -> None:
    """With --state, --cols may be omitted; if given it must name the stored columns."""
    if state_file is None or not cols:
        return
    from mlprep.errors import StateError
    from mlprep.fitting import load_state
    from mlprep.parsing import select_columns
    from mlprep.runner import open_input

    params, _ = load_state(state_file, step)
    first = open_input(inputs[0])
    wanted = select_columns(cols, first.schema.names(), where=repr(first.name))
    if list(wanted) != list(params.get(key) or []):
        raise StateError(
            f"--state {state_file!r} encodes columns {params.get(key)}, but --cols names {wanted}; "
            "drop --cols to reuse the stored columns, or refit without --state"
        )


def _run(
    transform: "Transform",
    params: dict[str, Any],
    inputs: list[str],
    *,
    output: str | None,
    out_dir: str | None,
    state: str | None,
    allow_leakage: bool,
    quiet: bool,
    as_json: bool,
    prepare: Any = _resolve_cols,
) -> tuple[list[str], list[Any]]:
    from mlprep.cli import console
    from mlprep.cli.report import report_run
    from mlprep.fitting import fit_and_apply

    console.set_quiet(quiet)
    run, manifests, paths = fit_and_apply(
        transform, params, inputs, output=output, out_dir=out_dir, state_file=state, allow_leakage=allow_leakage, prepare=prepare,
    )
    report_run(run, manifests, paths, as_json=as_json)
    if as_json:
        return paths, manifests
    for path, manifest in zip(paths, manifests):
        for col, facts in (manifest.report.get("columns") or {}).items():
            if facts.get("unseen_values"):
                console.info(f"{path}: {col!r} has {facts['unseen_values']:,} value(s) unseen in train ({facts['unseen_rows']:,} rows)")
    return paths, manifests


@app.command("hash")
def hash_(
    inputs: HashInputs,
    cols: options.Cols = None,
    n_features: Annotated[int, typer.Option("--n-features", help="Number of hash buckets N (FeatureHasher's n_features); powers of two recommended.", metavar="N")] = 2**20,
    cross: Annotated[
        Optional[list[str]],
        typer.Option("--cross", help="Columns hashed together as one feature, token a=va^b=vb (repeatable, e.g. --cross merchant,country).", metavar="COLS"),
    ] = None,
    alternate_sign: Annotated[bool, typer.Option("--alternate-sign/--no-alternate-sign", help="Sign -1 for negative hashes, as FeatureHasher (else all +1).")] = True,
    form: Annotated[str, typer.Option("--form", help="index (per feature <name>__hash UInt32 and <name>__sign Int8), dense (Float64 hash_0..hash_{N-1}) or sparse (one list column 'hash' of {index, value}).", metavar="FORM")] = "index",
    max_dense: Annotated[int, typer.Option("--max-dense", help="Refuse --form dense above this many columns.", metavar="N")] = 4096,
    report: Annotated[bool, typer.Option("--report", help="Report collisions per feature (distinct values, buckets used, colliding share vs expected); also stored in the manifest.")] = False,
    keep: Keep = False,
    output: OutputOpt = None,
    out_dir: OutDirOpt = None,
    state: HashState = None,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Hash categories into N buckets, bit-compatible with scikit-learn's FeatureHasher.

    The token of column c with value v is "c=v" (values as text: 1 → "1", 1.0 → "1.0", true,
    2025-01-02), hashed with 32-bit MurmurHash3 (seed 0): bucket |h| mod N, sign of h. A null
    contributes nothing. Stateless: every input is hashed the same way (no fitting, no leakage).

    Example: mlprep encode hash sample_data/transactions.parquet --cols merchant,category --cross merchant,country --n-features 1024 --report -o out/hashed.parquet
    """
    from mlprep.parsing import split_list
    from mlprep.steps.encode_hash import HASH

    cross_groups = [split_list(group) for group in (cross or [])]
    _check_state_columns(state, "encode.hash", inputs, split_list(cols))
    params = {
        "cols": split_list(cols), "cross": cross_groups, "n_features": n_features, "alternate_sign": alternate_sign,
        "form": form, "max_dense": max_dense, "report": report, "keep": keep,
    }
    paths, manifests = _run(HASH, params, inputs, output=output, out_dir=out_dir, state=state, allow_leakage=False, quiet=quiet, as_json=as_json)
    if report and not as_json:
        _print_hash_report(paths, manifests)


def _print_hash_report(paths: list[str], manifests: list[Any]) -> None:
    from rich.table import Table

    from mlprep.cli import console

    for path, manifest in zip(paths, manifests):
        rep = manifest.report
        if "features" not in rep:
            continue
        table = Table(title=f"{path}: collisions in {rep['n_features']:,} buckets ({rep['hash_scheme']})")
        rows = [*rep["features"].items(), ("(all features)", rep["all_features"])]
        table.add_column("feature", no_wrap=True, min_width=max(len(name) for name, _ in rows))
        for head in ("distinct values", "buckets used", "colliding share", "expected share"):
            table.add_column(head, justify="right")
        for name, f in rows:
            table.add_row(name, f"{f['distinct_values']:,}", f"{f['buckets_used']:,}", f"{f['colliding_share']:.2%}", f"{f['expected_colliding_share']:.2%}")
        console.render(table, to_stdout="-" not in paths)


def _parse_min_frequency(text: str | None) -> int | float | None:
    from mlprep.errors import UsageError

    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"--min-frequency {text!r} must be a count (e.g. 10) or a share of train rows (e.g. 0.01)") from None


@app.command("onehot")
def onehot(
    inputs: Inputs,
    cols: options.Cols = None,
    min_frequency: Annotated[Optional[str], typer.Option("--min-frequency", help="Categories seen fewer times (a count, e.g. 10) or in a smaller share of train rows (e.g. 0.01) go to <col>__infrequent. Default: none.", metavar="N|F")] = None,
    max_categories: Annotated[Optional[int], typer.Option("--max-categories", help="At most K output columns per column, the infrequent one included (the most frequent categories are kept). Default: no cap, but a column with more than 1,000 categories is refused without one.", metavar="K")] = None,
    drop: Annotated[Optional[str], typer.Option("--drop", help="Drop each column's first output (first) or only when it has two (if-binary). Default: drop none.", metavar="first|if-binary")] = None,
    keep: Keep = False,
    output: OutputOpt = None,
    out_dir: OutDirOpt = None,
    state: options.State = None,
    allow_leakage: options.AllowLeakage = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """One column per train category (<col>=<value>, <col>__null), rare ones grouped in <col>__infrequent.

    Matches scikit-learn's OneHotEncoder(handle_unknown='infrequent_if_exist', min_frequency,
    max_categories, drop). Categories unseen in train go to <col>__infrequent when it exists,
    else all zeros; never an error, and counted in the report. Outputs are UInt8 0/1.

    Example: mlprep encode onehot sample_data/transactions.parquet --cols category,country --min-frequency 0.01 -o out/onehot.parquet
    """
    from mlprep.errors import UsageError
    from mlprep.parsing import split_list
    from mlprep.steps.encode import ONEHOT

    if drop not in (None, "first", "if-binary", "if_binary"):
        raise UsageError(f"--drop {drop!r} must be first or if-binary")
    _check_state_columns(state, "encode.onehot", inputs, split_list(cols))
    params = {
        "cols": split_list(cols), "min_frequency": _parse_min_frequency(min_frequency), "max_categories": max_categories,
        "drop": drop.replace("-", "_") if drop else None, "keep": keep,
    }
    _run(ONEHOT, params, inputs, output=output, out_dir=out_dir, state=state, allow_leakage=allow_leakage, quiet=quiet, as_json=as_json)


@app.command("ordinal")
def ordinal(
    inputs: Inputs,
    cols: options.Cols = None,
    order: Annotated[str, typer.Option("--order", help="Codes by lexical order of categories (as OrdinalEncoder) or by descending train frequency.", metavar="lexical|frequency")] = "lexical",
    nulls: Annotated[str, typer.Option("--nulls", help="Null becomes -2 (code) or stays null (keep).", metavar="code|keep")] = "code",
    keep: Keep = False,
    output: OutputOpt = None,
    out_dir: OutDirOpt = None,
    state: options.State = None,
    allow_leakage: options.AllowLeakage = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Integer codes 0..k-1 learnt from train in <col>__ordinal (Int32); unseen → -1, null → -2 or null.

    Example: mlprep encode ordinal sample_data/transactions.parquet --cols category --order frequency -o out/ordinal.parquet
    """
    from mlprep.parsing import split_list
    from mlprep.steps.encode import ORDINAL

    _check_state_columns(state, "encode.ordinal", inputs, split_list(cols))
    params = {"cols": split_list(cols), "order": order, "nulls": nulls, "keep": keep}
    _run(ORDINAL, params, inputs, output=output, out_dir=out_dir, state=state, allow_leakage=allow_leakage, quiet=quiet, as_json=as_json)


@app.command("count")
def count(
    inputs: Inputs,
    cols: options.Cols = None,
    keep: Keep = False,
    output: OutputOpt = None,
    out_dir: OutDirOpt = None,
    state: options.State = None,
    allow_leakage: options.AllowLeakage = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Each category's train count in <col>__count (Int64); null counts as a category; unseen → 0.

    Example: mlprep encode count sample_data/transactions.parquet --cols merchant -o out/count.parquet
    """
    from mlprep.parsing import split_list
    from mlprep.steps.encode import COUNT

    _check_state_columns(state, "encode.count", inputs, split_list(cols))
    params = {"cols": split_list(cols), "keep": keep}
    _run(COUNT, params, inputs, output=output, out_dir=out_dir, state=state, allow_leakage=allow_leakage, quiet=quiet, as_json=as_json)


@app.command("frequency")
def frequency(
    inputs: Inputs,
    cols: options.Cols = None,
    keep: Keep = False,
    output: OutputOpt = None,
    out_dir: OutDirOpt = None,
    state: options.State = None,
    allow_leakage: options.AllowLeakage = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Each category's share of train rows in <col>__frequency (Float64); null counts as a category; unseen → 0.

    Example: mlprep encode frequency sample_data/transactions.parquet --cols merchant -o out/frequency.parquet
    """
    from mlprep.parsing import split_list
    from mlprep.steps.encode import FREQUENCY

    _check_state_columns(state, "encode.frequency", inputs, split_list(cols))
    params = {"cols": split_list(cols), "keep": keep}
    _run(FREQUENCY, params, inputs, output=output, out_dir=out_dir, state=state, allow_leakage=allow_leakage, quiet=quiet, as_json=as_json)


def _parse_smooth(text: str) -> str | float:
    from mlprep.errors import UsageError

    if text == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"--smooth {text!r} must be auto or a number >= 0 (e.g. 10)") from None


@app.command("target")
def target(
    inputs: Inputs,
    cols: options.Cols = None,
    target_col: options.Target = None,
    target_type: Annotated[str, typer.Option("--target-type", help="auto (as scikit-learn's type_of_target), binary, multiclass or continuous.", metavar="TYPE")] = "auto",
    smooth: Annotated[str, typer.Option("--smooth", help="auto (empirical Bayes, as TargetEncoder) or a number >= 0 of prior pseudo-rows.", metavar="auto|M")] = "auto",
    cv: Annotated[int, typer.Option("--cv", help="Folds for cross-fitting the TRAIN output (no row is encoded with its own label).", metavar="K")] = 5,
    fold_key: Annotated[Optional[str], typer.Option("--fold-key", help="Assign folds by this column's value (e.g. user_id: a user's rows share a fold) instead of by row position.", metavar="COL")] = None,
    seed: options.Seed = 0,
    keep: Keep = False,
    output: OutputOpt = None,
    out_dir: OutDirOpt = None,
    state: options.State = None,
    allow_leakage: options.AllowLeakage = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Smoothed per-category target mean in <col>__target (<col>__target_<class> for multiclass).

    Matches scikit-learn's TargetEncoder: TRAIN is cross-fitted with --cv keyed folds (its
    fit_transform, to 1e-9 on the same folds); other inputs get the full-train fit (its
    transform); unseen categories get the train target mean.

    Example: mlprep encode target sample_data/transactions.parquet --cols merchant,category --target is_fraud -o out/target.parquet
    """
    from mlprep.errors import UsageError
    from mlprep.parsing import split_list
    from mlprep.steps.encode_target import TARGET

    if target_col is None and state is None:
        raise UsageError("encode target needs --target COL (the label column of TRAIN), or --state from an earlier run")
    _check_state_columns(state, "encode.target", inputs, split_list(cols))

    def prepare(train: "Dataset", params: dict[str, Any]) -> dict[str, Any]:
        from mlprep.errors import missing_column

        if params["target"] not in train.schema.names():
            raise missing_column(params["target"], train.schema.names(), where=f"TRAIN {train.name!r}", option="--target")
        if fold_key is not None:
            train.require_columns([fold_key], option="--fold-key")
        return _resolve_cols(train, params)

    params = {
        "cols": split_list(cols), "target": target_col, "target_type": target_type, "smooth": _parse_smooth(smooth),
        "cv": cv, "seed": seed, "fold_key": fold_key, "keep": keep,
    }
    _run(TARGET, params, inputs, output=output, out_dir=out_dir, state=state, allow_leakage=allow_leakage, quiet=quiet, as_json=as_json, prepare=prepare)
