"""The operations benchmarked and, for each, its variants' command lines and targets.

Command arguments are templates filled from a context: ``{py}`` (this Python), ``{mlprep}`` (the
mlprep executable), ``{v}`` (benchmarks/variants), ``{out}`` (an empty folder for this variant's
outputs), data files (``{raw}``, ``{train}``, ``{valid}``, ``{test}``, ``{features}``,
``{smote}``, ``{tiny}``) and, for lineage, ``*verify_outputs`` / ``*verify_files`` (an argument
spelled ``*name`` expands into the list ``name``).

Variants marked ``extra`` are comparisons no target depends on, and operations marked ``extra``
are supplementary rows beyond the headline list (the I/O floor, profile, the hash encoder's index
form): the runner skips both unless given ``--extras``, so that ``make bench`` stays within its
15-minute budget on 2 cores.

Targets come from issue 9 item 6 and the step issues; ratios read as: ``mlprep/polars`` is
mlprep's wall time over the hand-written polars script's (lower is better; 1.0 is the floor),
``pandas/mlprep`` how many times faster mlprep is than pandas + scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

from harness import VariantResult, ratio

N_SAMPLE = "100000"
FEATURES = ",".join(f"f{j}" for j in range(10))
# every column of the schema but event_time (which splits the halves): 16, the most the schema has
DRIFT_COLS = ",".join(["amount", *[f"f{j}" for j in range(10)], "category", "country", "merchant", "user_id", "is_fraud"])


@dataclass
class Variant:
    """One way of doing an operation: a short sequence of commands run as separate processes."""

    name: str
    kind: Literal["mlprep", "polars", "pandas", "duckdb", "baseline"]
    label: str
    commands: list[list[str]]
    ok_codes: tuple[int, ...] = (0,)
    extra: bool = False  # a comparison no target depends on: run only with --extras (keeps make bench short)


@dataclass
class Target:
    """A performance target for mlprep in one operation."""

    kind: Literal["floor_wall", "floor_rss", "faster_than", "at_most", "abs_wall", "overhead_over", "throughput_vs"]
    value: float
    other: str | None = None

    def describe(self) -> str:
        o, v = self.other, self.value
        return {
            "floor_wall": f"wall ≤ {v:g}× polars",
            "floor_rss": f"peak RSS ≤ {v:g}× polars",
            "faster_than": f"≥ {v:g}× faster than {o}",
            "at_most": f"wall ≤ {v:g}× {o}",
            "abs_wall": f"wall ≤ {v:g} s",
            "overhead_over": f"≤ {v:g} s over {o}",
            "throughput_vs": f"throughput ≥ {v:g}× {o}",
        }[self.kind]

    def evaluate(self, results: dict[str, VariantResult]) -> tuple[float | None, bool | None]:
        """(measured figure, met?) — (None, None) when a variant needed is missing or failed."""
        mine = results.get("mlprep")
        other = results.get(self.other or "polars")
        t_mine = mine.wall_s if mine else None
        t_other = other.wall_s if other else None
        if self.kind == "floor_wall":
            got = ratio(t_mine, t_other)
            return got, None if got is None else got <= self.value
        if self.kind == "floor_rss":
            got = ratio(mine.peak_rss_mib if mine else None, other.peak_rss_mib if other else None)
            return got, None if got is None else got <= self.value
        if self.kind == "faster_than":
            got = ratio(t_other, t_mine)
            return got, None if got is None else got >= self.value
        if self.kind == "at_most":
            got = ratio(t_mine, t_other)
            return got, None if got is None else got <= self.value
        if self.kind == "abs_wall":
            return t_mine, None if t_mine is None else t_mine <= self.value
        if self.kind == "overhead_over":
            got = None if t_mine is None or t_other is None else t_mine - t_other
            return got, None if got is None else got <= self.value
        if self.kind == "throughput_vs":  # same bytes hashed: throughput ratio = inverse time ratio
            got = ratio(t_other, t_mine)
            return got, None if got is None else got >= self.value
        raise ValueError(self.kind)


@dataclass
class Op:
    """An operation: what it does, the data it needs, its variants and targets."""

    name: str
    title: str
    needs: set[str]
    variants: list[Variant]
    targets: list[Target] = field(default_factory=list)
    repeat: int = 1  # runs multiplier (cheap start-up ops are run more often)
    extra: bool = False  # a supplementary operation: run only with --extras (keeps make bench short)
    table: Literal["data", "baseline"] = "data"
    note: str = ""


def _py(script: str, *args: str) -> list[str]:
    return ["{py}", "{v}/" + script, *args]


def _floor(kind: str = "floor") -> list[Target]:
    return [Target("floor_wall", 1.3), Target("floor_rss", 1.5)]


def catalogue() -> list[Op]:
    """Every operation, in report order."""
    m = "{mlprep}"
    return [
        Op("io", "read + write whole file (I/O floor)", {"raw"}, [
            Variant("mlprep", "mlprep", "mlprep convert", [[m, "convert", "{raw}", "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "scan_parquet → sink_parquet", [_py("polars/io.py", "{raw}", "{out}/out.parquet")]),
            Variant("pandas", "pandas", "read_parquet → to_parquet", [_py("pandas/io.py", "{raw}", "{out}/out.parquet")], extra=True),
            Variant("duckdb", "duckdb", "COPY … TO", [_py("duckdb/io.py", "{raw}", "{out}/out.parquet")], extra=True),
        ], _floor(), extra=True),
        Op("profile", "profile every column", {"raw"}, [
            Variant("mlprep", "mlprep", "mlprep profile --json", [[m, "profile", "{raw}", "--json"]]),
            Variant("polars", "polars", "one select of aggregates + top values", [_py("polars/profile.py", "{raw}")]),
            Variant("duckdb", "duckdb", "one aggregate query + top values", [_py("duckdb/profile.py", "{raw}")], extra=True),
        ], _floor(), extra=True),
        Op("split", "time split 70/15/15 (3 files)", {"raw"}, [
            Variant("mlprep", "mlprep", "mlprep split --time-col --ratios",
                    [[m, "split", "{raw}", "--time-col", "event_time", "--ratios", "0.7,0.15,0.15", "--out-dir", "{out}", "-q"]]),
            Variant("polars", "polars", "sorted time column + collect_all of 3 sinks", [_py("polars/split.py", "{raw}", "{out}")]),
            Variant("pandas", "pandas", "quantile cut points + masks", [_py("pandas/split.py", "{raw}", "{out}")]),
            Variant("duckdb", "duckdb", "quantile_disc + 3 COPY", [_py("duckdb/split.py", "{raw}", "{out}")], extra=True),
        ], [*_floor(), Target("faster_than", 2.5, "pandas")]),
        Op("sample_stratified", "stratified 10% by is_fraud, exact per-stratum counts", {"raw"}, [
            Variant("mlprep", "mlprep", "mlprep sample stratified",
                    [[m, "sample", "stratified", "{raw}", "--by", "is_fraud", "--frac", "0.1", "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "indices from is_fraud + streaming is_in filter", [_py("polars/sample_stratified.py", "{raw}", "{out}/out.parquet")]),
            Variant("pandas", "pandas", "train_test_split(stratify=)", [_py("pandas/sample_stratified.py", "{raw}", "{out}/out.parquet")]),
            Variant("duckdb", "duckdb", "row_number() over (partition by) ≤ 10%", [_py("duckdb/sample_stratified.py", "{raw}", "{out}/out.parquet")], extra=True),
        ], [*_floor(), Target("faster_than", 4, "pandas")]),
        Op("sample_reservoir", "reservoir sample 100k", {"raw"}, [
            Variant("mlprep", "mlprep", "mlprep sample reservoir -n",
                    [[m, "sample", "reservoir", "{raw}", "-n", N_SAMPLE, "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "indices from row count + streaming is_in filter", [_py("polars/sample_uniform.py", "{raw}", "{out}/out.parquet", N_SAMPLE)]),
            Variant("pandas", "pandas", "DataFrame.sample(n)", [_py("pandas/sample_uniform.py", "{raw}", "{out}/out.parquet", N_SAMPLE)]),
            Variant("duckdb", "duckdb", "USING SAMPLE reservoir", [_py("duckdb/sample_reservoir.py", "{raw}", "{out}/out.parquet", N_SAMPLE)]),
        ], [*_floor(), Target("faster_than", 4, "pandas"), Target("at_most", 1.0, "duckdb")]),
        Op("sample_random", "uniform random sample 100k", {"raw"}, [
            Variant("mlprep", "mlprep", "mlprep sample random -n",
                    [[m, "sample", "random", "{raw}", "-n", N_SAMPLE, "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "indices from row count + streaming is_in filter", [_py("polars/sample_uniform.py", "{raw}", "{out}/out.parquet", N_SAMPLE)]),
        ], _floor(), note="pandas: same script as the reservoir row"),
        Op("sample_weighted", "weighted sample 100k by amount, no replacement", {"raw"}, [
            Variant("mlprep", "mlprep", "mlprep sample weighted --weight-col",
                    [[m, "sample", "weighted", "{raw}", "--weight-col", "amount", "-n", N_SAMPLE, "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "Efraimidis–Spirakis keys on amount + is_in filter", [_py("polars/sample_weighted.py", "{raw}", "{out}/out.parquet", N_SAMPLE)]),
            Variant("pandas", "pandas", "numpy choice(p=) (pandas refuses skewed weights)", [_py("pandas/sample_weighted.py", "{raw}", "{out}/out.parquet", N_SAMPLE)]),
            Variant("duckdb", "duckdb", "ORDER BY ln(random())/amount LIMIT n", [_py("duckdb/sample_weighted.py", "{raw}", "{out}/out.parquet", N_SAMPLE)], extra=True),
        ], [*_floor(), Target("faster_than", 4, "pandas")]),
        Op("impute_scale", "median impute + standard scale f0..f9, fit train, apply 3 splits", {"splits"}, [
            Variant("mlprep", "mlprep", "mlprep scale --impute median", [
                [m, "scale", "{train}", "{valid}", "{test}", "--impute", "median", "--method", "standard", "--cols", FEATURES,
                 "--out-dir", "{out}/scaled", "-q"],
            ]),
            Variant("polars", "polars", "medians + moments, one collect_all of 3 sinks", [_py("polars/impute_scale.py", "{train}", "{valid}", "{test}", "{out}")]),
            Variant("pandas", "pandas", "SimpleImputer(median) + StandardScaler", [_py("pandas/impute_scale.py", "{train}", "{valid}", "{test}", "{out}")]),
            Variant("duckdb", "duckdb", "median/avg/stddev_pop + COPY … REPLACE", [_py("duckdb/impute_scale.py", "{train}", "{valid}", "{test}", "{out}")], extra=True),
        ], [*_floor(), Target("faster_than", 4, "pandas")],
            note="one command: `mlprep scale --impute median` fills and scales in one pass per split; "
                 "`mlprep impute` then `mlprep scale` writes every split twice and takes about twice as long"),
        Op("encode_hash", "hash merchant + category, index form (bucket + sign)", {"raw"}, [
            Variant("mlprep", "mlprep", "mlprep encode hash",
                    [[m, "encode", "hash", "{raw}", "--cols", "merchant,category", "--n-features", "1048576", "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "polars-hash murmur32", [_py("polars/hash_encode.py", "{raw}", "{out}/out.parquet", "index")]),
        ], _floor(), extra=True),
        Op("encode_hash_sparse", "hash merchant + category, sparse rows (FeatureHasher CSR)", {"raw"}, [
            Variant("mlprep", "mlprep", "mlprep encode hash --form sparse",
                    [[m, "encode", "hash", "{raw}", "--cols", "merchant,category", "--n-features", "1048576", "--form", "sparse",
                      "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "polars-hash murmur32 → list of {index, value}", [_py("polars/hash_encode.py", "{raw}", "{out}/out.parquet", "sparse")]),
            Variant("pandas", "pandas", "FeatureHasher(input_type='dict') CSR", [_py("pandas/hash_encode.py", "{raw}", "{out}/out.parquet")]),
        ], [*_floor(), Target("faster_than", 8, "pandas")]),
        Op("encode_onehot", "one-hot country (20 categories)", {"raw"}, [
            Variant("mlprep", "mlprep", "mlprep encode onehot", [[m, "encode", "onehot", "{raw}", "--cols", "country", "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "vocabulary pass + 20 comparisons", [_py("polars/onehot.py", "{raw}", "{out}/out.parquet")]),
            Variant("pandas", "pandas", "OneHotEncoder (dense)", [_py("pandas/onehot.py", "{raw}", "{out}/out.parquet")], extra=True),
        ], _floor()),
        Op("smote", "SMOTE, f0..f9 + is_fraud (SMOTE rows)", {"smote"}, [
            Variant("mlprep", "mlprep", "mlprep balance --method smote",
                    [[m, "balance", "{smote}", "--target", "is_fraud", "--method", "smote", "--features", FEATURES, "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "polars I/O + SMOTE on numpy", [_py("polars/smote.py", "{smote}", "{out}/out.parquet")]),
            Variant("pandas", "pandas", "pandas I/O + SMOTE on DataFrames", [_py("pandas/smote.py", "{smote}", "{out}/out.parquet")], extra=True),
        ], [Target("floor_wall", 1.2), Target("floor_rss", 1.2)]),
        Op("asof_join", "as-of join: events × feature rows (rows/10) by user_id", {"raw", "features"}, [
            Variant("mlprep", "mlprep", "mlprep join asof",
                    [[m, "join", "asof", "{raw}", "{features}", "--by", "user_id", "--time-col", "event_time", "--prefix", "f_", "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "join_asof(by=) on (key, time), features beside events", [_py("polars/asof_join.py", "{raw}", "{features}", "{out}/out.parquet")]),
            Variant("pandas", "pandas", "merge_asof(by=)", [_py("pandas/asof_join.py", "{raw}", "{features}", "{out}/out.parquet")], extra=True),
            Variant("duckdb", "duckdb", "ASOF LEFT JOIN", [_py("duckdb/asof_join.py", "{raw}", "{features}", "{out}/out.parquet")], extra=True),
        ], [Target("floor_wall", 1.3)]),
        Op("drift", "drift of 16 columns, first vs second half (5M + 5M rows at 10M)", {"halves"}, [
            Variant("mlprep", "mlprep", "mlprep check drift --cols", [[m, "check", "drift", "{first}", "{second}", "--cols", DRIFT_COLS, "--json"]],
                    ok_codes=(0, 1)),
            Variant("polars", "polars", "PSI + KS + chi-square statistic in polars/numpy", [_py("polars/drift.py", "{first}", "{second}", DRIFT_COLS)]),
            Variant("pandas", "pandas", "pandas + scipy ks_2samp / chi2_contingency", [_py("pandas/drift.py", "{first}", "{second}", DRIFT_COLS)], extra=True),
        ], [Target("floor_wall", 1.3)], note="the schema has 16 columns besides event_time, not 20"),
        Op("lineage_verify", "lineage verify of a pipeline's outputs", {"raw", "pipeline"}, [
            Variant("mlprep", "mlprep", "mlprep lineage verify", [[m, "lineage", "verify", "*verify_outputs"]]),
            Variant("sha256sum", "baseline", "sha256sum of the same files", [["sha256sum", "*verify_files"]]),
        ], [Target("throughput_vs", 0.8, "sha256sum")], table="baseline"),
        Op("startup_help", "start-up: mlprep --help", {"tiny"}, [
            Variant("mlprep", "mlprep", "mlprep --help", [[m, "--help"]]),
            Variant("python_pass", "baseline", "python -c pass", [["{py}", "-c", "pass"]]),
            Variant("import_polars", "baseline", "python -c 'import polars'", [["{py}", "-c", "import polars"]]),
        ], [Target("abs_wall", 0.25)], repeat=3, table="baseline"),
        Op("startup_noop", "start-up: mlprep --version (no-op)", {"tiny"}, [
            Variant("mlprep", "mlprep", "mlprep --version", [[m, "--version"]]),
            Variant("python_pass", "baseline", "python -c pass", [["{py}", "-c", "pass"]]),
        ], [Target("abs_wall", 0.25)], repeat=3, table="baseline"),
        Op("startup_command", "start-up: polars-only command on 1,000 rows", {"tiny"}, [
            Variant("mlprep", "mlprep", "mlprep convert (1k rows)", [[m, "convert", "{tiny}", "-o", "{out}/out.parquet", "-q"]]),
            Variant("polars", "polars", "polars script (1k rows)", [_py("polars/io.py", "{tiny}", "{out}/out.parquet")]),
            Variant("import_polars", "baseline", "python -c 'import polars'", [["{py}", "-c", "import polars"]]),
        ], [Target("overhead_over", 0.5, "import_polars")], repeat=3, table="baseline"),
    ]


def expand(args: Sequence[str], context: dict) -> list[str]:
    """Fill an argument template from the context (``*name`` expands to a list)."""
    out: list[str] = []
    for arg in args:
        if arg.startswith("*"):
            out.extend(str(x) for x in context[arg[1:]])
        else:
            out.append(arg.format(**{k: v for k, v in context.items() if not isinstance(v, list)}))
    return out
