"""``mlprep balance``: over/under-sampling with imbalanced-learn, on the training split only."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlprep.cli import options

_METHODS_HELP = (
    "smote, smotenc (numeric + categorical), smoten (all categorical), borderline-smote, svm-smote, kmeans-smote, "
    "adasyn, random-over, random-under, near-miss, tomek, enn, smote-tomek, smote-enn."
)


def balance(
    input: Annotated[str, typer.Argument(help="The training split: Parquet file, folder, glob, .csv/.ndjson, or - for stdin.")],
    output: options.Output,
    target: options.Target = None,
    method: Annotated[str, typer.Option("--method", "-m", help=f"Sampler (imbalanced-learn): {_METHODS_HELP}", metavar="METHOD")] = "smote",
    sampling_strategy: Annotated[
        str,
        typer.Option(
            "--sampling-strategy",
            help="Which classes to resample and to what size: auto, minority, not-majority, not-minority, all, a ratio "
            "minority/majority such as 0.5 (two classes), or class=count pairs such as 0=9000,1=3000.",
            metavar="STRATEGY",
        ),
    ] = "auto",
    features: Annotated[
        Optional[list[str]],
        typer.Option("--features", help="Feature columns the sampler sees (comma-separated, repeatable, globs). Default: every column except the target and date/time columns.", metavar="COLS"),
    ] = None,
    exclude: Annotated[
        Optional[list[str]],
        typer.Option("--exclude", help="Columns to leave out of the features (e.g. IDs); they are copied from the source row.", metavar="COLS"),
    ] = None,
    k_neighbors: Annotated[
        Optional[int],
        typer.Option("--k-neighbors", "-k", help="Neighbours of the method's search (SMOTE family k_neighbors; ADASYN, near-miss, enn n_neighbors). Default: the method's default (5; kmeans-smote 2; near-miss and enn 3).", metavar="K"),
    ] = None,
    m_neighbors: Annotated[Optional[int], typer.Option("--m-neighbors", help="borderline-smote/svm-smote: neighbours deciding which samples are in danger. Default 10.", metavar="M")] = None,
    kind: Annotated[str, typer.Option("--kind", help="borderline-smote: borderline-1 or borderline-2.")] = "borderline-1",
    out_step: Annotated[float, typer.Option("--out-step", help="svm-smote: step size when extrapolating.")] = 0.5,
    shrinkage: Annotated[Optional[float], typer.Option("--shrinkage", help="random-over: smoothed bootstrap width (numeric features only). Default: plain copies.")] = None,
    near_miss_version: Annotated[int, typer.Option("--near-miss-version", help="near-miss: version 1, 2 or 3.", min=1, max=3)] = 1,
    kind_sel: Annotated[str, typer.Option("--kind-sel", help="enn/smote-enn: remove a sample when 'all' or the 'mode' of its neighbours disagree with it.")] = "all",
    cluster_balance_threshold: Annotated[Optional[float], typer.Option("--cluster-balance-threshold", help="kmeans-smote: minority share a cluster needs to be over-sampled. Default: auto.")] = None,
    n_clusters: Annotated[Optional[int], typer.Option("--n-clusters", help="kmeans-smote: clusters of the MiniBatchKMeans estimator. Default: imbalanced-learn's (8).", min=1)] = None,
    seed: options.Seed = 0,
    n_jobs: Annotated[int, typer.Option("--n-jobs", help="Cores for the nearest-neighbour searches (-1: all). Results do not depend on it.")] = -1,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse to switch smote to SMOTENC/SMOTEN when features are text, categorical or boolean.")] = False,
    synthetic_flag: Annotated[bool, typer.Option("--synthetic-flag/--no-synthetic-flag", help="Add the boolean column is_synthetic.")] = True,
    provenance: Annotated[
        bool,
        typer.Option("--provenance/--no-provenance", help="Add synthetic_parent and synthetic_parent_neighbor: input row positions (0-based) a synthetic row was made from, where the method lets us know (every method that adds rows except smoten and adasyn); null otherwise."),
    ] = True,
    allow_leakage: options.AllowLeakage = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Balance classes of the training split with imbalanced-learn (SMOTE family, over/under-sampling).

    Output: the original rows unchanged and in order, then the synthetic rows (under-sampling
    methods keep a subset of the original rows, in order). Integer features come back rounded
    to integers (ties to even), text/categorical/boolean features as their own dtypes. Columns
    that are not features (IDs, timestamps) are copied into a synthetic row from the row it was
    made from when imbalanced-learn exposes it (every method that adds rows except smoten and
    adasyn), otherwise null. Refuses a valid/test split: resample only the training split,
    after splitting. The manifest report holds class counts before and after.

    Example: mlprep balance sample_data/transactions.parquet --target is_fraud --method random-under --exclude user_id -o out/balanced.parquet
    """
    from mlprep.cli import console
    from mlprep.errors import UsageError
    from mlprep.parsing import split_list
    from mlprep.runner import Output, StepRun, check_fit_role, check_memory, open_input
    from mlprep.steps.balance import balance as balance_step
    from mlprep.steps.balance import parse_sampling_strategy

    console.set_quiet(quiet)
    if not target:
        raise UsageError("--target is required: name the class column to balance (e.g. --target is_fraud)")
    if kind not in ("borderline-1", "borderline-2"):
        raise UsageError(f"--kind {kind!r} must be borderline-1 or borderline-2")
    if kind_sel not in ("all", "mode"):
        raise UsageError(f"--kind-sel {kind_sel!r} must be all or mode")
    if n_jobs == 0:
        raise UsageError("--n-jobs 0 is not a number of cores; use -1 for all cores or a positive count")
    strategy = parse_sampling_strategy(sampling_strategy)
    data = open_input(input)
    warning = check_fit_role(data, allow_leakage=allow_leakage, action="resample classes")
    check_memory(data, what="balance")  # the samplers hold every row and column in memory
    if data.role is None:
        warning = (
            f"{data.name!r} has no role (it was not made by `mlprep split`): balancing before splitting leaks "
            "synthetic copies of test rows into training; balance only the training split"
        )
    elif warning:  # --allow-leakage on a valid/test split
        warning = f"--allow-leakage: resampling {data.name!r}, whose role is {data.role!r}; scores measured on it will not be honest"
    result = balance_step(
        data.frame, target=target, method=method, features=split_list(features) or None, exclude=split_list(exclude) or None,  # type: ignore[arg-type]
        sampling_strategy=strategy, k_neighbors=k_neighbors, m_neighbors=m_neighbors, kind=kind, out_step=out_step,  # type: ignore[arg-type]
        shrinkage=shrinkage, version=near_miss_version, kind_sel=kind_sel,  # type: ignore[arg-type]
        cluster_balance_threshold=cluster_balance_threshold, n_clusters=n_clusters, seed=seed, n_jobs=n_jobs,
        strict=strict, synthetic_flag=synthetic_flag, provenance=provenance, where=repr(data.name),
    )
    run = StepRun("balance", params={**result.params, "allow_leakage": allow_leakage}, libraries=("imbalanced-learn", "scikit-learn", "numpy"))
    run.warn(warning)
    for message in result.warnings:
        run.warn(message)
    manifests = run.write([Output(output, result.frame, data_inputs=[data], report=result.report)])
    from mlprep.cli.report import report_run

    report_run(run, manifests, [output], as_json=as_json)
    if not as_json:
        counts = result.report["class_counts"]
        console.info(
            f"{result.report['method_used']}: " + ", ".join(
                f"{label}: {counts['before'].get(label, 0):,} → {counts['after'].get(label, 0):,}"
                for label in dict.fromkeys([*counts["before"], *counts["after"]])
            ) + f" ({result.report['synthetic_rows']:,} synthetic, {result.report['removed_rows']:,} removed)"
        )


def register(app: typer.Typer) -> None:
    app.command("balance")(balance)
