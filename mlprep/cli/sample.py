"""``mlprep sample METHOD``: random, stratified, weighted, reservoir, bernoulli, systematic, cluster, importance."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from mlprep.cli import options

if TYPE_CHECKING:
    from mlprep.runner import Dataset
    from mlprep.steps.sample import Sample

app = typer.Typer(
    help="Draw a sample: random, stratified, weighted, reservoir, bernoulli, systematic, cluster or importance. "
    "Deterministic (keyed by seed and row position or --key-col); the output keeps the input's row order.\n\n"
    "Example: mlprep sample stratified sample_data/transactions.parquet --by is_fraud --frac 0.1 -o out/strat.parquet",
    no_args_is_help=True,
)

Input = Annotated[str, typer.Argument(help="Parquet file, folder, glob, .csv/.ndjson file, or - for stdin.")]
N = Annotated[Optional[int], typer.Option("-n", "--n", help="Sample size as a number of rows. Default: none (give -n or --frac).", metavar="N")]
Frac = Annotated[Optional[float], typer.Option("--frac", help="Sample size as a fraction of the rows, in (0, 1]; rounds half up. Default: none.", metavar="F")]
KeyCol = Annotated[
    Optional[str],
    typer.Option("--key-col", help="Key each row's draw by this column's value instead of its position (stable under re-ordering). Default: row position.", metavar="COL"),
]
Weights = Annotated[bool, typer.Option("--weights", help="Add inclusion_prob (the row's probability of selection) and design_weight (1/inclusion_prob). Default: off.")]
Replace = Annotated[bool, typer.Option("--replace", help="Draw with replacement (-n may exceed the rows; repeated rows appear repeatedly). Default: off.")]
By = Annotated[Optional[list[str]], typer.Option("--by", help="Column(s) defining the groups, comma-separated (nulls form a group of their own).", metavar="COLS")]


def _run(
    method: str,
    input: str,
    output: str,
    params: dict[str, Any],
    compute: Callable[["Dataset"], "Sample"],
    *,
    quiet: bool,
    as_json: bool,
    extra_inputs: Callable[[], list["Dataset"]] | None = None,
    libraries: tuple[str, ...] = (),
) -> None:
    """Open the input, draw the sample, write it with its manifest, and report."""
    from mlprep.cli import console
    from mlprep.cli.report import report_run
    from mlprep.keyed import KEYED_SCHEME
    from mlprep.runner import Output, StepRun, open_input

    if as_json and output == "-":
        from mlprep.errors import UsageError

        raise UsageError("--json and -o - would both write to stdout; write the sample to a file or drop --json")
    console.set_quiet(quiet or as_json)
    data = open_input(input)
    fit_inputs = extra_inputs() if extra_inputs else []
    drawn = compute(data)
    target = params.get("target")
    if target:
        from mlprep.steps.sample import class_counts

        drawn.report["class_counts"] = class_counts(data.frame, drawn, target, where=_where(data))
    run = StepRun(f"sample.{method}", params={**params, "keyed_scheme": KEYED_SCHEME}, libraries=libraries)
    for message in drawn.warnings:
        run.warn(message)
    manifests = run.write([Output(output, drawn.frame, data_inputs=[data], fit_inputs=fit_inputs, report=drawn.report)])
    report_run(run, manifests, [output], as_json=as_json)
    r = drawn.report
    console.info(f"sampled {r['rows_out']:,} of {r['rows_in']:,} rows ({method}, seed {r['seed']}, keyed by {r['key']})")


def _where(data: "Dataset") -> str:
    return repr(data.name)


def _fresh(data: "Dataset") -> "Any":
    """A new lazy scan of the input to stream the chosen rows from: the opened frame has had its
    schema collected, and polars then keeps cached file state alive through the pass (about
    140 MiB more peak memory on a 10M-row file)."""
    from mlprep import io as mio

    return mio.scan(data.source)


def _parquet_rows(data: "Dataset") -> int | None:
    """The row count when it is free (Parquet footers), else None."""
    return data.rows if data.source.fmt == "parquet" else None


@app.command("random")
def random(
    input: Input,
    output: options.Output,
    n: N = None,
    frac: Frac = None,
    replace: Replace = False,
    target: options.Target = None,
    seed: options.Seed = 0,
    key_col: KeyCol = None,
    weights: Weights = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Simple random sample of -n rows or --frac of them, without (default) or with --replace.

    Every row has inclusion probability exactly n/N: the n rows with the smallest keyed hashes of
    (seed, position) are kept.

    Example: mlprep sample random sample_data/transactions.parquet -n 1000 -o out/random.parquet
    """
    from mlprep.steps.sample import sample_random

    params = {"n": n, "frac": frac, "replace": replace, "target": target, "seed": seed, "key_col": key_col, "weights": weights}
    _run("random", input, output, params, lambda d: sample_random(
        d.frame, n=n, frac=frac, replace=replace, seed=seed, key_col=key_col, weights=weights,
        rows=d.rows, where=_where(d), read_frame=_fresh(d)), quiet=quiet, as_json=as_json)


@app.command("stratified")
def stratified(
    input: Input,
    output: options.Output,
    by: By = None,
    n: N = None,
    frac: Frac = None,
    allocation: Annotated[str, typer.Option("--allocation", help="proportional (each stratum keeps its share), equal (the same count per stratum) or neyman (n_h ∝ N_h·S_h of --neyman-col).")] = "proportional",
    neyman_col: Annotated[Optional[str], typer.Option("--neyman-col", help="Numeric column whose within-stratum standard deviation sets a neyman allocation.", metavar="COL")] = None,
    min_per_stratum: Annotated[int, typer.Option("--min-per-stratum", help="At least this many rows from every stratum (or all its rows if fewer).", metavar="K")] = 0,
    strict: Annotated[bool, typer.Option("--strict", help="Make a stratum smaller than its allocation an error instead of a warning.")] = False,
    target: options.Target = None,
    seed: options.Seed = 0,
    key_col: KeyCol = None,
    weights: Weights = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Stratified sample by --by: counts per stratum by allocation, rounded by largest remainder to total exactly n.

    A stratum smaller than its allocation gives all its rows (warning; --strict: error) and the
    rest is re-allocated. The manifest reports every stratum's rows and sampled count.

    Example: mlprep sample stratified sample_data/transactions.parquet --by is_fraud --frac 0.1 -o out/strat.parquet
    """
    from mlprep.parsing import split_list
    from mlprep.steps.sample import sample_stratified

    by_cols = split_list(by)
    params = {"by": by_cols, "n": n, "frac": frac, "allocation": allocation, "neyman_col": neyman_col,
              "min_per_stratum": min_per_stratum, "strict": strict, "target": target, "seed": seed, "key_col": key_col, "weights": weights}
    _run("stratified", input, output, params, lambda d: sample_stratified(
        d.frame, by=by_cols, n=n, frac=frac, allocation=allocation, neyman_col=neyman_col,  # type: ignore[arg-type]
        min_per_stratum=min_per_stratum, strict=strict, seed=seed, key_col=key_col, weights=weights,
        rows=d.rows, where=_where(d)), quiet=quiet, as_json=as_json)


@app.command("weighted")
def weighted(
    input: Input,
    output: options.Output,
    weight_col: Annotated[Optional[str], typer.Option("--weight-col", help="Column of non-negative weights: a row's chance grows with its weight; zero is never drawn.", metavar="COL")] = None,
    n: N = None,
    frac: Frac = None,
    replace: Replace = False,
    design: Annotated[str, typer.Option("--design", help="successive (Efraimidis–Spirakis draws ∝ weight without replacement) or pps (Pareto πps: inclusion probability min(1, c·w) summing to n).")] = "successive",
    target: options.Target = None,
    seed: options.Seed = 0,
    key_col: KeyCol = None,
    weights: Weights = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Weighted sample: probability in proportion to --weight-col, without replacement (default) or with --replace.

    Negative, null, NaN or infinite weights are an error naming their count and first row.

    Example: mlprep sample weighted sample_data/transactions.parquet --weight-col amount -n 1000 -o out/weighted.parquet
    """
    from mlprep.errors import UsageError
    from mlprep.steps.sample import sample_weighted

    if weight_col is None:
        raise UsageError("sample weighted needs --weight-col COL, the column of non-negative weights")
    params = {"weight_col": weight_col, "n": n, "frac": frac, "replace": replace, "design": design, "target": target, "seed": seed,
              "key_col": key_col, "weights": weights}
    _run("weighted", input, output, params, lambda d: sample_weighted(
        d.frame, weight_col=weight_col, n=n, frac=frac, replace=replace, design=design,  # type: ignore[arg-type]
        seed=seed, key_col=key_col, weights=weights, rows=d.rows, where=_where(d), read_frame=_fresh(d)), quiet=quiet, as_json=as_json)


@app.command("reservoir")
def reservoir(
    input: Input,
    output: options.Output,
    n: N = None,
    batch_rows: Annotated[Optional[int], typer.Option("--batch-rows", help="Read in batches of this many rows, holding at most n + batch rows (the sample does not depend on it). Default: a Parquet file keyed by position is read in one streaming pass keeping only the chosen rows; other inputs in batches of 65,536.", metavar="ROWS")] = None,
    target: options.Target = None,
    seed: options.Seed = 0,
    key_col: KeyCol = None,
    weights: Weights = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Uniform sample of -n rows in one pass over the input, holding about n rows: for files larger than memory and stdin.

    Keeps the n rows with the smallest keyed hashes, so it draws the same rows as `sample random -n`.
    A Parquet input keyed by position is read once with the streaming engine, keeping only the
    chosen rows (found from the row count in the footer); stdin, --key-col or --batch-rows read
    batches and keep the n smallest keys seen so far.

    Example: mlprep sample reservoir sample_data/transactions.parquet -n 100 -o out/reservoir.parquet
    """
    from mlprep.errors import UsageError
    from mlprep.steps.sample import sample_reservoir

    if n is None:
        raise UsageError("sample reservoir needs -n N, the number of rows to keep")
    params = {"n": n, "target": target, "seed": seed, "key_col": key_col, "weights": weights, "batch_rows": batch_rows}
    _run("reservoir", input, output, params, lambda d: sample_reservoir(
        d.frame, n=n, seed=seed, key_col=key_col, weights=weights, rows=_parquet_rows(d), batch_rows=batch_rows,
        where=_where(d), read_frame=_fresh(d)), quiet=quiet, as_json=as_json)


@app.command("bernoulli")
def bernoulli(
    input: Input,
    output: options.Output,
    p: Annotated[Optional[float], typer.Option("--p", help="Probability of keeping each row, in (0, 1]; the sample size is random.", metavar="P")] = None,
    target: options.Target = None,
    seed: options.Seed = 0,
    key_col: KeyCol = None,
    weights: Weights = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Keep each row independently with probability --p: one streaming pass, constant memory.

    Example: mlprep sample bernoulli sample_data/transactions.parquet --p 0.05 -o out/bernoulli.parquet
    """
    from mlprep.errors import UsageError
    from mlprep.steps.sample import sample_bernoulli

    if p is None:
        raise UsageError("sample bernoulli needs --p P, the probability of keeping each row")
    params = {"p": p, "target": target, "seed": seed, "key_col": key_col, "weights": weights}
    _run("bernoulli", input, output, params, lambda d: sample_bernoulli(
        d.frame, p=p, seed=seed, key_col=key_col, weights=weights, rows=d.rows, where=_where(d)),
        quiet=quiet, as_json=as_json)


@app.command("systematic")
def systematic(
    input: Input,
    output: options.Output,
    n: N = None,
    frac: Frac = None,
    target: options.Target = None,
    seed: options.Seed = 0,
    weights: Weights = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Every k-th row (k = rows/n) from a random start: exactly n rows spread evenly over the input's order.

    Example: mlprep sample systematic sample_data/transactions.parquet -n 500 -o out/systematic.parquet
    """
    from mlprep.steps.sample import sample_systematic

    params = {"n": n, "frac": frac, "target": target, "seed": seed, "weights": weights}
    _run("systematic", input, output, params, lambda d: sample_systematic(
        d.frame, n=n, frac=frac, seed=seed, weights=weights, rows=d.rows, where=_where(d)),
        quiet=quiet, as_json=as_json)


@app.command("cluster")
def cluster(
    input: Input,
    output: options.Output,
    by: By = None,
    n: Annotated[Optional[int], typer.Option("-n", "--n", help="Number of groups to draw. Default: none (give -n or --frac).", metavar="GROUPS")] = None,
    frac: Annotated[Optional[float], typer.Option("--frac", help="Fraction of the groups to draw, in (0, 1]. Default: none.", metavar="F")] = None,
    target: options.Target = None,
    seed: options.Seed = 0,
    weights: Weights = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Draw -n whole groups of --by at random and keep all their rows (e.g. every transaction of 10% of users).

    Example: mlprep sample cluster sample_data/transactions.parquet --by user_id --frac 0.1 -o out/cluster.parquet
    """
    from mlprep.parsing import split_list
    from mlprep.steps.sample import sample_cluster

    by_cols = split_list(by)
    params = {"by": by_cols, "n": n, "frac": frac, "target": target, "seed": seed, "weights": weights}
    _run("cluster", input, output, params, lambda d: sample_cluster(
        d.frame, by=by_cols, n=n, frac=frac, seed=seed, weights=weights, where=_where(d)),
        quiet=quiet, as_json=as_json)


@app.command("importance")
def importance(
    input: Input,
    output: options.Output,
    n: Annotated[Optional[int], typer.Option("-n", "--n", help="Rows to draw from the input. Default: every row (weights only).", metavar="N")] = None,
    frac: Frac = None,
    target_dist: Annotated[Optional[str], typer.Option("--target-dist", help="Target distribution of a categorical column, COL=v1:p1,v2:p2 (probabilities sum to 1).", metavar="SPEC")] = None,
    reference: Annotated[Optional[str], typer.Option("--reference", help="Data whose distribution is the target (e.g. recent production rows); needs --features.", metavar="REF")] = None,
    features: Annotated[Optional[list[str]], typer.Option("--features", help="Numeric columns the classifier compares between input and --reference (comma-separated, globs allowed).", metavar="COLS")] = None,
    classifier: Annotated[str, typer.Option("--classifier", help="Density-ratio classifier: logistic (regression on standardised, median-imputed features) or hgb (histogram gradient boosting).")] = "logistic",
    fit_rows: Annotated[int, typer.Option("--fit-rows", help="At most this many keyed-random rows of each side train the classifier.", metavar="ROWS")] = 100_000,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds for the reported AUC.", metavar="K")] = 5,
    target: options.Target = None,
    seed: options.Seed = 0,
    key_col: KeyCol = None,
    weights: Weights = False,
    quiet: options.Quiet = False,
    as_json: options.Json = False,
) -> None:
    """Importance sample: draw from the input and add importance_weight ∝ p/q (mean 1) so the sample represents p.

    p is --target-dist (a column's target distribution) or --reference data (density ratio from
    a classifier, with its cross-validated AUC and the effective sample size reported).

    Example: mlprep sample importance sample_data/transactions.parquet --target-dist is_fraud=0:0.5,1:0.5 -n 2000 -o out/importance.parquet
    """
    from mlprep.errors import UsageError
    from mlprep.parsing import select_columns, split_list
    from mlprep.runner import check_memory, open_input
    from mlprep.steps.sample import parse_target_dist, sample_importance

    if (target_dist is None) == (reference is None):
        raise UsageError("sample importance needs exactly one of --target-dist COL=v:p,... or --reference REF --features a,b")
    if reference is None and features:
        raise UsageError("--features applies only with --reference")
    target_spec = parse_target_dist(target_dist) if target_dist is not None else None
    refs: list[Dataset] = []
    feature_list: list[str] = []

    def open_reference() -> list["Dataset"]:
        if reference is not None:
            refs.append(open_input(reference))
        return refs

    def compute(d: "Dataset") -> "Sample":
        ref = refs[0] if refs else None
        if ref is not None:
            if not features:
                raise UsageError("--reference needs --features a,b,c: the columns whose distribution should match")
            feature_list.extend(select_columns(split_list(features), d.schema.names(), where=_where(d), option="--features"))
            for side in (d, ref):  # the classifier is fitted on the collected feature columns
                check_memory(side, [c for c in feature_list if c in side.schema.names()], what="sample importance --reference")
            params["features"] = feature_list
        return sample_importance(
            d.frame, n=n, frac=frac, target_dist=target_spec, reference=ref.frame if ref else None, features=feature_list,
            classifier=classifier, fit_rows=fit_rows, folds=folds, seed=seed, key_col=key_col,  # type: ignore[arg-type]
            weights=weights, rows=d.rows, where=_where(d), reference_name=ref.name if ref else "the reference")

    params: dict[str, Any] = {"n": n, "frac": frac, "target_dist": target_dist, "reference": reference, "features": None,
                              "classifier": classifier if reference else None, "fit_rows": fit_rows if reference else None,
                              "folds": folds if reference else None, "target": target, "seed": seed, "key_col": key_col, "weights": weights}
    _run("importance", input, output, params, compute, quiet=quiet, as_json=as_json, extra_inputs=open_reference,
         libraries=("scikit-learn",) if reference else ())
