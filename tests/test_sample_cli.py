"""`mlprep sample ...` through the real executable: outputs, manifests, errors, pipes, memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from conftest import MLPREP, SAMPLE, Result, assert_one_line_error, files_in, run_mlprep

from mlprep.cli.main import _run

METHODS = ["random", "stratified", "weighted", "reservoir", "bernoulli", "systematic", "cluster", "importance"]


def manifest(path: Path) -> dict:
    return json.loads(Path(f"{path}.lineage.json").read_text())


@pytest.fixture(scope="module")
def ids_file(tmp_path_factory) -> Path:
    """The sample data with a row id, so tests can see which rows were drawn."""
    path = tmp_path_factory.mktemp("ids") / "tx.parquet"
    pl.read_parquet(SAMPLE).with_row_index("row_id").write_parquet(path)
    return path


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("random", ["-n", "500"]),
        ("stratified", ["--by", "is_fraud", "--frac", "0.1"]),
        ("weighted", ["--weight-col", "amount", "-n", "500"]),
        ("reservoir", ["-n", "500"]),
        ("bernoulli", ["--p", "0.01"]),
        ("systematic", ["-n", "500"]),
        ("cluster", ["--by", "user_id", "-n", "20"]),
        ("importance", ["--target-dist", "is_fraud=0:0.5,1:0.5", "-n", "500"]),
    ],
)
def test_each_method_writes_sample_in_input_order_with_manifest(tmp_path, ids_file, method, args):
    out = tmp_path / "s.parquet"
    run_mlprep("sample", method, ids_file, *args, "--weights", "--target", "is_fraud", "-o", out, check=True)
    df = pl.read_parquet(out)
    assert df.height > 0 and df["row_id"].to_list() == sorted(df["row_id"].to_list())
    assert {"inclusion_prob", "design_weight"} <= set(df.columns)
    m = manifest(out)
    assert m["step"] == f"sample.{method}"
    assert m["params"]["keyed_scheme"] == "splitmix64-v1" and m["params"]["seed"] == 0
    assert m["report"]["rows_in"] == 50_000 and m["report"]["rows_out"] == df.height == m["output"]["rows"]
    assert m["inputs"][0]["use"] == "data"
    counts = m["report"]["class_counts"]
    assert counts["input"] == {"0": 49015, "1": 985} and sum(counts["sample"].values()) == df.height
    embedded = json.loads(pl.read_parquet_metadata(out)["mlprep.lineage"])
    assert embedded["report"] == m["report"]


def test_stratified_report_counts_and_exact_shares(tmp_path):
    out = tmp_path / "s.parquet"
    run_mlprep("sample", "stratified", SAMPLE, "--by", "is_fraud", "--frac", "0.1", "-o", out, check=True)
    strata = manifest(out)["report"]["strata"]
    assert strata == [{"stratum": {"is_fraud": 0}, "rows": 49015, "sampled": 4902}, {"stratum": {"is_fraud": 1}, "rows": 985, "sampled": 98}]
    counts = dict(pl.read_parquet(out).group_by("is_fraud").len().iter_rows())
    assert counts == {0: 4902, 1: 98}


def test_same_seed_same_bytes_whatever_the_thread_count(tmp_path):
    outs = []
    for threads in ("1", "2"):
        folder = tmp_path / f"threads{threads}"
        folder.mkdir()
        run_mlprep("sample", "stratified", SAMPLE, "--by", "category", "--frac", "0.05", "-o", "s.parquet",
                   cwd=folder, env={"POLARS_MAX_THREADS": threads}, check=True)
        outs.append((folder / "s.parquet").read_bytes())
    assert outs[0] == outs[1]


def test_reservoir_and_random_draw_the_same_rows_and_partitioning_does_not_matter(tmp_path, ids_file):
    df = pl.read_parquet(ids_file)
    parts = tmp_path / "parts"
    parts.mkdir()
    df.slice(0, 20_000).write_parquet(parts / "a.parquet")
    df.slice(20_000).write_parquet(parts / "b.parquet")
    a, b, c = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    run_mlprep("sample", "reservoir", ids_file, "-n", "300", "--seed", "5", "--batch-rows", "1000", "-o", a, check=True)
    run_mlprep("sample", "random", ids_file, "-n", "300", "--seed", "5", "-o", b, check=True)
    run_mlprep("sample", "reservoir", parts, "-n", "300", "--seed", "5", "-o", c, check=True)
    rows = [pl.read_parquet(p)["row_id"].to_list() for p in (a, b, c)]
    assert rows[0] == rows[1] == rows[2]


def test_pipe_reservoir_into_profile(tmp_path):
    big = tmp_path / "big.parquet"
    pl.concat([pl.read_parquet(SAMPLE)] * 4).write_parquet(big)
    proc = subprocess.run(
        f"'{MLPREP}' sample reservoir - -n 100 -o - < '{big}' | '{MLPREP}' profile - --json",
        shell=True, capture_output=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    profile = json.loads(proc.stdout)
    assert profile["rows"] == 100
    assert files_in(tmp_path) == ["big.parquet"]


def test_reservoir_memory_is_bounded_by_the_sample_not_the_file(tmp_path):
    """Peak RSS of a reservoir over a file 16x the sample data barely exceeds that over the sample
    data, while loading the big file costs far more."""
    big = tmp_path / "big.parquet"
    pl.concat([pl.read_parquet(SAMPLE)] * 16).write_parquet(big)  # 800k rows, 8000x the sample

    def peak_mb(*cmd: str) -> float:
        probe = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); " \
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
        return float(subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=True).stdout)

    small_run = peak_mb(MLPREP, "sample", "reservoir", str(SAMPLE), "-n", "100", "--batch-rows", "8192", "-o", str(tmp_path / "s.parquet"))
    big_run = peak_mb(MLPREP, "sample", "reservoir", str(big), "-n", "100", "--batch-rows", "8192", "-o", str(tmp_path / "b.parquet"))
    base = peak_mb(sys.executable, "-c", "import polars")
    load = peak_mb(sys.executable, "-c", f"import polars as pl; pl.read_parquet({str(big)!r})")
    assert pl.read_parquet(tmp_path / "b.parquet").height == 100
    print(f"reservoir peak RSS: {small_run:.0f} MB (50k rows), {big_run:.0f} MB (800k rows); load: {load:.0f} MB, import: {base:.0f} MB")
    assert big_run - small_run < 0.25 * (load - base), (small_run, big_run, base, load)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["random", "-n", "50001"], ["-n 50001 exceeds the 50,000 rows", "--replace"]),
        (["random", "-n", "0"], ["-n must be a positive number of rows, got 0"]),
        (["random", "-n", "-3"], ["-n must be a positive number of rows, got -3"]),
        (["random", "--frac", "0"], ["--frac must be in (0, 1], got 0.0"]),
        (["random", "--frac", "1.5"], ["--frac must be in (0, 1], got 1.5"]),
        (["random", "-n", "5", "--frac", "0.1"], ["either -n or --frac, not both"]),
        (["random"], ["give the sample size with -n N"]),
        (["systematic"], ["give the sample size with -n N"]),
        (["stratified", "--by", "is_frad", "-n", "10"], ["column 'is_frad' (from --by) not found", "did you mean 'is_fraud'?"]),
        (["stratified", "-n", "10"], ["--by"]),
        (["weighted", "--weight-col", "amout", "-n", "10"], ["column 'amout' (from --weight-col) not found", "did you mean 'amount'?"]),
        (["weighted", "-n", "10"], ["needs --weight-col"]),
        (["weighted", "--weight-col", "f9", "-n", "10"], ["invalid weights", "first at row"]),
        (["reservoir"], ["needs -n N"]),
        (["random", "-n", "5", "--target", "is_frd"], ["column 'is_frd' (from --target) not found", "did you mean 'is_fraud'?"]),
        (["random", "-n", "5", "--key-col", "usr_id"], ["column 'usr_id' (from --key-col) not found"]),
        (["bernoulli", "--p", "1.5"], ["--p must be a probability in (0, 1]"]),
        (["cluster", "--by", "category", "-n", "100"], ["-n 100 exceeds the", "groups"]),
        (["importance", "--target-dist", "is_fraud=0:0.5,2:0.5"], ["value '2' does not occur in column 'is_fraud'"]),
        (["importance", "--target-dist", "is_fraud=0:0.5,1:0.6"], ["sum to 1.1, not 1"]),
        (["importance", "--target-dist", "is_fraud"], ["COL=value:prob"]),
        (["importance"], ["exactly one of --target-dist"]),
        (["stratified", "--by", "is_fraud", "-n", "100", "--allocation", "equal", "--min-per-stratum", "60"], ["--min-per-stratum 60"]),
        (["stratified", "--by", "is_fraud", "-n", "2000", "--allocation", "equal", "--strict"], ["--strict", "fewer rows than their allocation"]),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, args, fragments):
    """Run in-process through the CLI's entry point (the same code the executable runs)."""
    out = tmp_path / "out" / "s.parquet"
    code = _run(["sample", args[0], str(SAMPLE), *args[1:], "-o", str(out)])
    captured = capsys.readouterr()
    assert_one_line_error(Result(code, captured.out.encode(), captured.err), *fragments)
    assert not (tmp_path / "out").exists() or files_in(tmp_path / "out") == []


def test_json_report_and_stdout_data_are_exclusive(capsys):
    code = _run(["sample", "reservoir", str(SAMPLE), "-n", "5", "--json", "-o", "-"])
    captured = capsys.readouterr()
    assert_one_line_error(Result(code, captured.out.encode(), captured.err), "--json and -o - would both write to stdout")
    assert captured.out == ""


def test_bad_input_through_the_executable(tmp_path):
    out = tmp_path / "s.parquet"
    result = run_mlprep("sample", "random", SAMPLE, "-n", "50001", "-o", out)
    assert_one_line_error(result, "mlprep: error: -n 50001 exceeds the 50,000 rows of", "--replace")
    result = run_mlprep("sample", "stratified", SAMPLE, "--by", "is_frad", "--frac", "0.1", "-o", out)
    assert_one_line_error(result, "column 'is_frad' (from --by) not found", "did you mean 'is_fraud'?")
    assert files_in(tmp_path) == []


def test_empty_input_is_an_error(tmp_path, capsys):
    empty = tmp_path / "empty.parquet"
    pl.read_parquet(SAMPLE).head(0).write_parquet(empty)
    result = run_mlprep("sample", "reservoir", empty, "-n", "5", "-o", tmp_path / "s.parquet")
    assert_one_line_error(result, "has no rows")
    for args in (["random", "-n", "5"], ["stratified", "--by", "is_fraud", "-n", "5"], ["systematic", "--frac", "0.5"],
                 ["weighted", "--weight-col", "amount", "-n", "5"], ["bernoulli", "--p", "0.5"], ["cluster", "--by", "user_id", "-n", "1"]):
        code = _run(["sample", args[0], str(empty), *args[1:], "-o", str(tmp_path / "s.parquet")])
        captured = capsys.readouterr()
        assert_one_line_error(Result(code, b"", captured.err), "has no rows")
    assert files_in(tmp_path) == ["empty.parquet"]


def test_stratified_warning_is_printed_and_recorded(tmp_path):
    out = tmp_path / "s.parquet"
    result = run_mlprep("sample", "stratified", SAMPLE, "--by", "is_fraud", "-n", "2000", "--allocation", "equal", "-o", out, check=True)
    assert "warning: 1 strata have fewer rows than their allocation" in result.stderr
    m = manifest(out)
    assert m["report"]["warnings"] and [s["sampled"] for s in m["report"]["strata"]] == [1015, 985]


def test_importance_reference_records_fit_input_and_auc(tmp_path, ids_file):
    ref = tmp_path / "recent.parquet"
    pl.read_parquet(SAMPLE).filter(pl.col("amount") > 20).write_parquet(ref)
    out = tmp_path / "w.parquet"
    run_mlprep("sample", "importance", ids_file, "--reference", ref, "--features", "amount,f0", "-n", "2000",
               "--fit-rows", "5000", "--folds", "3", "-o", out, check=True)
    m = manifest(out)
    assert [i["use"] for i in m["inputs"]] == ["data", "fit"]
    assert m["report"]["cv_auc"] > 0.6 and 0 < m["report"]["effective_sample_size"] < 2000
    assert m["params"]["features"] == ["amount", "f0"] and "scikit-learn" in m["versions"]
    df = pl.read_parquet(out)
    assert df["importance_weight"].mean() == pytest.approx(1.0)


def test_help_of_every_method_has_defaults_and_a_runnable_example(tmp_path):
    from typer.testing import CliRunner

    from mlprep.cli.main import app

    assert "Example: mlprep sample random" in " ".join(run_mlprep("sample", "random", "--help", check=True).out.split())
    for method in METHODS:
        result = CliRunner().invoke(app, ["sample", method, "--help"], env={"COLUMNS": "200"})
        text = " ".join(result.output.split())
        assert result.exit_code == 0 and "Example: mlprep sample " + method in text
        assert "--seed" in text and "--output" in text and "[default: 0]" in text


def test_json_report(tmp_path):
    out = tmp_path / "s.parquet"
    result = run_mlprep("sample", "random", SAMPLE, "-n", "10", "--json", "-o", out, check=True)
    assert json.loads(result.out)["report"]["rows_out"] == 10
