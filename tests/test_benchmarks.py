"""The benchmark harness: data generator, measurement, summary and report (no timing assertions)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import harness  # noqa: E402
import memcap  # noqa: E402
import ops  # noqa: E402
import run  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "transactions.parquet"


def test_chunks_equal_the_sample_generator_and_its_schema():
    rows, chunk = 25_000, 10_000
    streamed = pl.concat(list(generate.iter_chunks(rows, chunk=chunk)))
    whole = generate._sample_module().generate(rows, generate.SEED, chunk=chunk)
    assert streamed.equals(whole)
    assert streamed.schema == pl.read_parquet_schema(SAMPLE)


def test_prepare_is_deterministic_cached_and_consistent(tmp_path):
    a = generate.prepare(6_000, smote_rows=2_000, data_dir=tmp_path / "a")
    b = generate.prepare(6_000, smote_rows=2_000, data_dir=tmp_path / "b")
    for key in ("raw", "split_train", "features", "smote"):
        assert pl.read_parquet(a[key]).equals(pl.read_parquet(b[key])), key
    mtime = a["raw"].stat().st_mtime_ns
    generate.prepare(6_000, smote_rows=2_000, data_dir=tmp_path / "a")
    assert a["raw"].stat().st_mtime_ns == mtime  # written once, then reused

    splits = [pl.read_parquet(a[f"split_{s}"]) for s in ("train", "valid", "test")]
    assert sum(len(s) for s in splits) == 6_000
    assert splits[0]["event_time"].max() < splits[1]["event_time"].min()
    assert splits[1]["event_time"].max() < splits[2]["event_time"].min()
    halves = [pl.read_parquet(a[f"half_{h}"]) for h in ("first", "second")]
    assert pl.concat(halves).equals(pl.read_parquet(a["raw"])) and len(halves[0]) == 3_000
    assert pl.read_parquet(a["features"]).columns == ["user_id", "event_time", "feat_amount", "feat_score"]
    smote = pl.read_parquet(a["smote"])
    assert smote.shape == (2_000, 11) and smote.null_count().sum_horizontal().item() == 0
    assert not list(tmp_path.rglob(".*.tmp"))


def test_median_ratio_and_error_line():
    assert harness.median([3.0, 1.0, 2.0]) == 2.0
    assert harness.median([]) is None
    assert harness.ratio(3.0, 1.5) == 2.0
    assert harness.ratio(None, 1.0) is None and harness.ratio(1.0, 0.0) is None
    traceback = ('Traceback (most recent call last):\n  File "x.py", line 1\n    f()\n    ^^^\n'
                 "_duckdb.BinderException: Binder Error: bad\n\nLINE 3: SELECT\n       ^^^^\n")
    assert harness.last_line(traceback) == "_duckdb.BinderException: Binder Error: bad"
    assert harness.last_line("mlprep: error: No such command 'split'.\n") == "mlprep: error: No such command 'split'."


def test_measure_reports_rss_exit_codes_and_timeouts():
    ok = harness.measure([[sys.executable, "-c", "x = bytearray(64 * 2**20)"]])
    assert ok.error is None and ok.peak_rss_mib > 64
    failed = harness.measure([[sys.executable, "-c", "raise ValueError('boom')"]])
    assert failed.exit_code == 1 and failed.error == "ValueError: boom"
    allowed = harness.measure([[sys.executable, "-c", "raise SystemExit(1)"]], ok_codes=(0, 1))
    assert allowed.error is None
    missing = harness.measure([["no-such-command-xyz"]])
    assert missing.exit_code == 127 and "no-such-command-xyz" in missing.error
    slow = harness.measure([[sys.executable, "-c", "import time; time.sleep(30)"]], timeout=0.5)
    assert slow.error == "timed out after 0 s" or slow.error.startswith("timed out")


def _result(name, kind, walls, rss=100.0, error=None):
    r = harness.VariantResult(name, kind, f"{name} label")
    r.runs = [harness.Run(w, rss, 0) for w in walls]
    r.error = error
    return r


def test_summary_ratios_targets_and_table():
    op = ops.Op("split", "time split", {"raw"}, [], [ops.Target("floor_wall", 1.3), ops.Target("faster_than", 2.5, "pandas"),
                                                     ops.Target("at_most", 1.0, "duckdb")])
    results = {
        "mlprep": _result("mlprep", "mlprep", [2.0, 1.0, 9.0], rss=300),
        "polars": _result("polars", "polars", [1.0, 1.0, 1.5], rss=200),
        "pandas": _result("pandas", "pandas", [10.0, 12.0, 11.0]),
        "duckdb": _result("duckdb", "duckdb", [], error="No module named 'duckdb'"),
    }
    s = run.summarise(op, results)
    assert s["ratios"]["mlprep/polars"] == pytest.approx(2.0)  # medians 2.0 / 1.0
    assert s["ratios"]["mlprep/polars peak RSS"] == pytest.approx(1.5)
    assert s["ratios"]["pandas/mlprep"] == pytest.approx(5.5)
    assert s["ratios"]["duckdb/mlprep"] is None
    assert [t["met"] for t in s["targets"]] == [False, True, None]

    meta = {"command": "python benchmarks/run.py", "date": "2026-12-04", "rows": 1000, "smote_rows": 1000, "runs": 3,
            "warmup": 1, "raw_mib": 1.0, "elapsed_s": 5.0,
            "machine": {"cores": 2, "cpu": "cpu", "memory_gib": 4.0, "os": "Linux", "versions": {"polars": "2.1.0"}}}
    text = run.render_markdown(meta, [s])
    row = next(line for line in text.splitlines() if line.startswith("| time split"))
    assert "2.00 / 300" in row and "1.00 / 200" in row and "11.00 / 100" in row
    assert "error [1]" in row and "2.00× (1.50×)" in row and "5.50×" in row
    assert "1. split / duckdb label: No module named 'duckdb'" in text
    assert "| split | wall ≤ 1.3× polars | 2.00× | **missed** |" in text
    assert "| split | wall ≤ 1× duckdb | — | not measured |" in text


def test_failing_variant_is_recorded_not_fatal(tmp_path):
    op = ops.Op("demo", "demo", set(), [
        ops.Variant("mlprep", "mlprep", "missing command", [["{mlprep}", "no-such-subcommand"]]),
        ops.Variant("polars", "polars", "python", [["{py}", "-c", "open('{out}/x.txt', 'w').write('1')"]]),
        ops.Variant("pandas", "pandas", "extra", [["{py}", "-c", "pass"]], extra=True),
    ])
    args = argparse.Namespace(kinds="", no_warmup_kinds="", warmup=1, runs=2, timeout=60, keep_outputs=False, extras=False)
    context = {"py": sys.executable, "mlprep": str(tmp_path / "absent-mlprep"), "scratch": str(tmp_path / "out")}
    logged = []
    results = run.run_op(op, context, args, log=logged.append)
    assert results["mlprep"].error and not results["mlprep"].runs
    assert results["polars"].ok and len(results["polars"].runs) == 2 and results["polars"].warmup is not None
    assert "pandas" not in results  # extras run only with --extras
    assert not (tmp_path / "out" / "demo").exists()


def test_op_selection_and_argument_expansion():
    catalogue = ops.catalogue()
    chosen = run.select_ops(catalogue, "split,io", "")
    assert [op.name for op in chosen] == ["split", "io"]
    assert "io" not in [op.name for op in run.select_ops(catalogue, "", "io")]
    # supplementary operations run with --extras or when named; make bench leaves them out
    default = [op.name for op in run.select_ops(catalogue, "", "", extras=False)]
    assert "io" not in default and "encode_hash" not in default and "encode_hash_sparse" in default
    assert [op.name for op in run.select_ops(catalogue, "io", "", extras=False)] == ["io"]
    assert len(run.select_ops(catalogue, "", "", extras=True)) == len(catalogue)
    with pytest.raises(SystemExit, match="unknown operation"):
        run.select_ops(catalogue, "nope", "")
    assert ops.expand(["{mlprep}", "verify", "*files", "{out}/a"], {"mlprep": "m", "files": ["x", "y"], "out": "o"}) == \
        ["m", "verify", "x", "y", "o/a"]
    # every variant's template only uses placeholders the runner provides
    known = {"py": "", "mlprep": "", "v": "", "out": "", "raw": "", "features": "", "smote": "", "tiny": "",
             "train": "", "valid": "", "test": "", "first": "", "second": "", "verify_outputs": [], "verify_files": []}
    for op in catalogue:
        for variant in op.variants:
            for command in variant.commands:
                ops.expand(command, known)
                for arg in command:
                    if arg.startswith("{v}/"):
                        assert (BENCH / "variants" / arg[4:]).is_file(), arg


def test_memory_cap_sizes_and_clear_failure(tmp_path):
    from large import parse_size

    assert parse_size("2G") == 2 * 2**30 and parse_size("1500M") == 1500 * 2**20 and parse_size("2.5GiB") == int(2.5 * 2**30)
    with pytest.raises(memcap.MemoryCapError, match="--no-cap"):
        memcap.MemoryCap(2**30, root=tmp_path)


def test_warm_page_cache_reads_every_input_file_once(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    a.write_bytes(b"x" * 10_000_000)
    b.write_bytes(b"y" * 3)
    assert run.warm_page_cache([a, b, tmp_path / "absent.parquet", tmp_path]) == 10_000_003
