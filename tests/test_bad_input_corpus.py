"""Every command over every bad-input case that applies (issue: bad-input corpus).

The corpus (tests/badinput.py) is generated once per session. Each (command, case) pair runs
in-process through ``mlprep.cli.main._run`` (the same code the executable runs after argv
parsing, so the cross product stays fast); a representative subset runs through the real
``mlprep`` executable. Every run must end with exit 0 (documented result, checked), 1 (a check
command's finding) or 2 with exactly one stderr line naming the file/column/option, no
traceback, and no output or temporary file left behind.

Runtime: about 90 s for ~760 runs on 2 busy shared cores (about 55 s of CPU); the cross
product runs in-process because 760 interpreter start-ups would take several minutes.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import polars as pl
import pytest
import typer.main

from badinput import Case, base_frame, build_corpus, features_frame
from conftest import files_in, run_mlprep
from mlprep.cli.main import _run, app

IN, IN2, OUT, OUTDIR, FEAT, LIKE = "{in}", "{in2}", "{out}", "{outdir}", "{feat}", "{like}"

# Minimal valid arguments per command. Every leaf command of the Typer app must appear here
# (test_every_command_is_covered), so a new command cannot be forgotten.
COMMANDS: dict[str, list[str]] = {
    "convert": [IN, "-o", OUT],
    "profile": [IN],
    "split": [IN, "--time-col", "event_time", "--ratios", "0.6,0.2,0.2", "--out-dir", OUTDIR],
    "impute": [IN, IN2, "--strategy", "median", "--cols", "amount,f0", "--out-dir", OUTDIR],
    "scale": [IN, IN2, "--method", "standard", "--cols", "amount,f0", "--out-dir", OUTDIR],
    "bin": [IN, IN2, "--bins", "3", "--cols", "amount,f0", "--out-dir", OUTDIR],
    "balance": [IN, "--target", "is_fraud", "--features", "amount,f0,category", "-o", OUT],
    "sample random": [IN, "-n", "10", "-o", OUT],
    "sample stratified": [IN, "--by", "category", "--frac", "0.5", "-o", OUT],
    "sample weighted": [IN, "--weight-col", "amount", "-n", "10", "-o", OUT],
    "sample reservoir": [IN, "-n", "10", "-o", OUT],
    "sample bernoulli": [IN, "--p", "0.5", "-o", OUT],
    "sample systematic": [IN, "-n", "10", "-o", OUT],
    "sample cluster": [IN, "--by", "user_id", "--frac", "0.5", "-o", OUT],
    "sample importance": [IN, "--target-dist", "is_fraud=0:0.5,1:0.5", "-n", "20", "-o", OUT],
    "encode hash": [IN, IN2, "--cols", "category", "--n-features", "8", "--out-dir", OUTDIR],
    "encode onehot": [IN, IN2, "--cols", "category", "--out-dir", OUTDIR],
    "encode ordinal": [IN, IN2, "--cols", "category", "--out-dir", OUTDIR],
    "encode count": [IN, IN2, "--cols", "category", "--out-dir", OUTDIR],
    "encode frequency": [IN, IN2, "--cols", "category", "--out-dir", OUTDIR],
    "encode target": [IN, IN2, "--cols", "category", "--target", "is_fraud", "--out-dir", OUTDIR],
    "join asof": [IN, FEAT, "--by", "user_id", "--time-col", "event_time", "--feature-time-col", "snapshot_time", "-o", OUT],
    "check leakage": [IN, IN2, "--time-col", "event_time", "--target", "is_fraud"],
    "check drift": [IN, IN2, "--cols", "amount,category"],
    "lineage show": [IN],
    "lineage verify": [IN],
    "lineage replay": [IN, "--like", LIKE, "-o", OUT],
}
# Variants giving a second input to commands whose second input is optional or is the first.
VARIANTS: dict[str, tuple[str, list[str]]] = {
    "sample importance --reference": ("sample importance", [IN, "--reference", IN2, "--features", "amount,f0", "-o", OUT]),
    "join asof (events second)": ("join asof", [IN2, FEAT, "--by", "user_id", "--time-col", "event_time", "--feature-time-col", "snapshot_time", "-o", OUT]),
    "lineage replay (new data second)": ("lineage replay", [IN2, "--like", LIKE, "-o", OUT]),
    "scale --impute": ("scale", [IN, IN2, "--impute", "median", "--cols", "amount,f0", "--out-dir", OUTDIR]),
}
CHECKS = {"check leakage", "check drift", "lineage verify"}  # exit 1 is a finding, not an error
ENCODERS = {k for k in COMMANDS if k.startswith("encode ")}
SCALE_INVARIANT = {"scale", "bin"}  # affine-invariant outputs: a shifted input gives the same result

# (case, command) pairs whose documented result is not exit 2.
EXPECTED: dict[tuple[str, str], int] = {
    ("bitflip", "lineage show"): 0,  # show reads the manifest, not the data
    ("bitflip", "lineage verify"): 1,  # verify reports the file as modified
    ("zero_rows", "check leakage"): 0,  # documented: an empty split can still be checked (it leaks nothing)
}

# Refusals that must name a specific column or option (each was once a vaguer message or a bug).
MUST_NAME: dict[tuple[str, str], tuple[str, ...]] = {
    ("inf", "balance"): ("amount", "±inf"),
    ("inf", "sample importance --reference"): ("amount", "±inf"),
    ("distinct_200k", "encode onehot"): ("category", "--max-categories"),
}


def leaf_commands() -> list[str]:
    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path)

    return sorted(walk(typer.main.get_command(app), []))


def test_every_command_is_covered() -> None:
    assert sorted(COMMANDS) == leaf_commands()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("corpus")

    def make_output(src: Path, dst: Path) -> None:
        assert _run(["convert", str(src), "-o", str(dst), "--quiet"]) == 0

    cases = build_corpus(root / "cases", make_mlprep_output=make_output)
    base = root / "clean" / "base.parquet"
    base.parent.mkdir()
    base_frame().write_parquet(base)
    base2 = root / "clean" / "base2.parquet"
    shutil.copy(base, base2)
    feat = root / "clean" / "features.parquet"
    features_frame().write_parquet(feat)
    like = root / "fitted" / "scaled.parquet"
    assert _run(["scale", str(base), "--cols", "amount,f0", "-o", str(like), "--quiet"]) == 0
    snapshot = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    return {"root": root, "cases": cases, "base": base, "base2": base2, "feat": feat, "like": like, "snapshot": snapshot}


def applies(case: Case, command: str, template: list[str], variant: str | None = None) -> bool:
    if case.slot == "secondary":
        return IN2 in template
    if variant in ("join asof (events second)", "lineage replay (new data second)"):
        return False  # the same as the plain command for a primary case
    if case.name == "distinct_200k":  # the 200k-distinct column is for the encoders (fitting ones)
        return command in ("encode onehot", "encode ordinal", "encode target")
    return IN in template


def all_runs() -> list[tuple[str, str]]:
    from badinput import base_frame as _  # noqa: F401  (corpus names are static)

    names = [
        "zero_byte", "truncated", "csv_named_parquet", "bitflip", "zero_rows", "missing_column", "duplicate_columns",
        "null_dtype", "nan_with_null", "inf", "datetime_nulls", "decimal", "categorical", "enum", "nested_extra",
        "nested_used", "int_near_2_62", "constant_column", "distinct_200k", "non_utf8_csv", "tz_mixed_folder",
        "hive_key_collision", "hive_stray_files", "parquet_bomb", "drift_missing", "drift_extra", "drift_reordered",
        "drift_dtype", "tz_aware_secondary",
    ]
    return [(name, cmd) for name in names for cmd in [*COMMANDS, *VARIANTS]]


def template_of(command: str) -> tuple[str, list[str]]:
    if command in VARIANTS:
        return VARIANTS[command]
    return command, COMMANDS[command]


def build_args(command: str, template: list[str], corpus: dict, primary: Path, secondary: Path, out: Path) -> list[str]:
    subst = {IN: str(primary), IN2: str(secondary), OUT: str(out / "out.parquet"), OUTDIR: str(out / "dir"),
             FEAT: str(corpus["feat"]), LIKE: str(corpus["like"])}
    return [*command.split(), *[subst.get(a, a) for a in template], *(["--quiet"] if command not in ("profile",) and not command.startswith("lineage") else [])]


def temps_below(folder: Path) -> list[str]:
    return [p.as_posix() for p in folder.rglob(".*") if p.name.endswith(".tmp") or ".tmp" in p.name]


def run_in_process(args: list[str], capfd) -> tuple[int, str]:
    from mlprep.cli import console
    from mlprep.runner import current_command

    current_command.set(["mlprep", *args])
    code = _run(args)
    console.set_quiet(False)
    captured = capfd.readouterr()
    return code, captured.err


def error_names(case: Case, args: list[str]) -> list[str]:
    """What a one-line error may name: a file or folder given, a column, an option, or the limit."""
    names = [Path(a).name for a in args if "/" in a]
    names += list(base_frame().columns) + ["tags", "info", "extra", "MLPREP_MAX_MEMORY", "--"]
    return names


@pytest.mark.parametrize(("case_name", "command"), all_runs())
def test_bad_input(case_name: str, command: str, corpus: dict, tmp_path: Path, capfd) -> None:
    case: Case = corpus["cases"][case_name]
    leaf, template = template_of(command)
    if not applies(case, leaf, template, command if command in VARIANTS else None):
        pytest.skip("case does not apply to this command")
    primary = case.path if case.slot == "primary" else corpus["base"]
    secondary = case.path if case.slot == "secondary" else corpus["base2"]
    out = tmp_path / "out"
    args = build_args(leaf, template, corpus, primary, secondary, out)
    code, err = run_in_process(args, capfd)
    check_outcome(case, leaf, args, code, err, out, corpus)
    for fragment in MUST_NAME.get((case_name, command), ()):
        assert code == 2 and fragment in err, (fragment, err)


def check_outcome(case: Case, leaf: str, args: list[str], code: int, err: str, out: Path, corpus: dict) -> None:
    context = f"mlprep {' '.join(args)} -> {code}: {err}"
    assert "Traceback" not in err, context
    assert code != 70, context  # an internal error is a bug
    assert not temps_below(corpus["root"]) and (not out.exists() or not temps_below(out)), context
    for p, mtime in corpus["snapshot"].items():  # inputs untouched, nothing added beside them
        assert p.exists() and p.stat().st_mtime_ns == mtime, (p, context)
    assert set(corpus["root"].rglob("*")) == set(corpus["snapshot"]), context
    expected = EXPECTED.get((case.name, leaf))
    if expected is not None:
        assert code == expected, context
    elif case.expect == "error":
        assert code == 2, context
    elif case.expect == "ok" and not leaf.startswith("lineage"):  # lineage commands need an mlprep output
        assert code in (0, 1), context
    allowed = {0, 1, 2} if leaf in CHECKS else {0, 2}
    assert code in allowed, context
    lines = [line for line in err.splitlines() if line.strip()]
    if code == 2:
        assert len(lines) == 1, context
        assert not out.exists() or files_in(out) == [], context
        if case.expect == "error" and case.names and expected is None:
            # lineage show/verify read the manifest, not the data: they name the file only
            required = [case.path.name] if leaf in ("lineage show", "lineage verify") else case.names
            assert all(n in lines[0] for n in required), context
        else:
            assert any(n in lines[0] for n in error_names(case, args)), context
        return
    if code == 0:
        check_documented_result(case, leaf, args, out)


def outputs(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.parquet")) if out.exists() else []


def check_documented_result(case: Case, leaf: str, args: list[str], out: Path) -> None:
    """Valid-but-awkward inputs: the result must be right, not merely produced."""
    written = outputs(out)
    for path in written:
        assert Path(f"{path}.lineage.json").is_file(), path
    source = pl.read_parquet(case.path) if case.path.is_file() and case.path.suffix == ".parquet" else None
    for path in written:
        df = pl.read_parquet(path)
        for name, dtype in df.schema.items():
            if dtype.is_float() and source is not None:
                nan_before = source.schema.get(name) is not None and source.schema[name].is_float() and source[name].is_nan().any()
                assert nan_before or not df[name].is_nan().any(), (f"NaN introduced in {name!r}", path, args)
                inf_before = source.schema.get(name) is not None and source.schema[name].is_float() and source[name].is_infinite().any()
                assert inf_before or not df[name].is_infinite().any(), (f"inf introduced in {name!r}", path, args)
        if case.name == "int_near_2_62" and leaf not in SCALE_INVARIANT and not leaf.startswith("encode"):
            for name in ("amount", "f0"):
                if name in df.columns and df.schema[name].is_numeric():
                    assert df[name].drop_nulls().min() >= 2**61, (f"{name!r} wrapped around", path, args)
        if case.name == "distinct_200k" and leaf == "encode onehot":
            assert len(df.columns) <= 1100, ("one-hot without a cap", len(df.columns))
        if case.name == "nan_with_null" and leaf == "impute" and "amount" in df.columns:
            assert df["amount"].null_count() == 0 and not df["amount"].is_nan().any(), "impute: NaN and null are both missing"


# Same result as on the clean base: a Categorical/Enum column must encode as its string values
# (never its physical codes), and an Int64 near 2^62 standardises like the small values it encodes.
SAME_AS_BASE = [
    *[("categorical", c) for c in sorted(ENCODERS)], *[("enum", c) for c in sorted(ENCODERS)],
    ("categorical", "sample stratified"), ("enum", "sample stratified"),
    ("int_near_2_62", "scale"), ("int_near_2_62", "bin"),
]


@pytest.mark.parametrize(("case_name", "command"), SAME_AS_BASE)
def test_same_result_as_clean_base(case_name: str, command: str, corpus: dict, tmp_path: Path, capfd) -> None:
    case: Case = corpus["cases"][case_name]
    results = []
    # one input (fit and apply on the same file): a Categorical fit refuses a String input to apply to
    template = [a for a in COMMANDS[command] if a != IN2]
    template = [OUT if a == OUTDIR else ("-o" if a == "--out-dir" else a) for a in template]
    for label, primary in (("case", case.path), ("base", corpus["base"])):
        out = tmp_path / label
        args = build_args(command, template, corpus, primary, corpus["base2"], out)
        code, err = run_in_process(args, capfd)
        assert code in (0, 1), (args, err)
        results.append(out)
    case_out, base_out = results
    for a, b in zip(outputs(case_out), outputs(base_out)):
        da, db = pl.read_parquet(a), pl.read_parquet(b)
        da = da.with_columns(pl.col(pl.Categorical, pl.Enum).cast(pl.String))
        if case_name == "int_near_2_62":
            for name in ("amount", "f0"):
                assert da[name].cast(pl.Float64).to_list() == pytest.approx(db[name].cast(pl.Float64).to_list(), rel=1e-6, abs=1e-6), name
        else:
            assert da.equals(db), (a, b)


# The same contract through the real executable, on a representative subset.
EXECUTABLE = [
    ("zero_byte", "convert"), ("truncated", "profile"), ("csv_named_parquet", "split"), ("bitflip", "impute"),
    ("zero_rows", "sample random"), ("missing_column", "scale"), ("duplicate_columns", "encode onehot"),
    ("null_dtype", "impute"), ("inf", "scale"), ("decimal", "bin"), ("enum", "encode ordinal"),
    ("nested_used", "balance"), ("int_near_2_62", "scale"), ("distinct_200k", "encode onehot"),
    ("non_utf8_csv", "convert"), ("tz_mixed_folder", "check leakage"), ("hive_key_collision", "profile"),
    ("hive_stray_files", "sample stratified"), ("parquet_bomb", "balance"), ("drift_dtype", "encode target"),
    ("tz_aware_secondary", "join asof (events second)"),
]


@pytest.mark.parametrize(("case_name", "command"), EXECUTABLE)
def test_bad_input_executable(case_name: str, command: str, corpus: dict, tmp_path: Path) -> None:
    case: Case = corpus["cases"][case_name]
    leaf, template = template_of(command)
    primary = case.path if case.slot == "primary" else corpus["base"]
    secondary = case.path if case.slot == "secondary" else corpus["base2"]
    out = tmp_path / "out"
    args = build_args(leaf, template, corpus, primary, secondary, out)
    result = run_mlprep(*args)
    check_outcome(case, leaf, args, result.returncode, result.stderr, out, corpus)


def test_corpus_is_what_it_says(corpus: dict) -> None:
    cases = corpus["cases"]
    assert pl.read_parquet_schema(cases["null_dtype"].path)["amount"] == pl.Null
    assert math.isnan(pl.read_parquet(cases["nan_with_null"].path)["amount"][1])
    bomb = cases["parquet_bomb"].path
    assert bomb.stat().st_size < 2_000_000
    assert pl.scan_parquet(bomb).select(pl.len()).collect().item() * 10_000 > 50 * 2**30
