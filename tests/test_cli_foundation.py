"""The CLI contract through the real `mlprep` executable: pipes, Makefiles, errors, start-up."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import MLPREP, ROOT, assert_one_line_error, files_in, run_mlprep


def test_version_and_help() -> None:
    assert run_mlprep("--version").out.strip() == "mlprep 0.1.0"
    result = run_mlprep("--help")
    assert result.returncode == 0 and "convert" in result.out and "lineage" in result.out


def test_python_dash_m_works() -> None:
    proc = subprocess.run([sys.executable, "-m", "mlprep", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "mlprep 0.1.0"


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from mlprep.cli.main import main\n"
        "for argv in (['--help'], ['--version']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'polars', 'sklearn', 'imblearn', 'numpy', 'pandas', 'scipy'})\n"
        "sys.stderr.write(repr(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stderr.strip().endswith("[]"), proc.stderr


def test_convert_then_profile_with_manifest(tmp_path: Path, sample: Path) -> None:
    out = tmp_path / "raw.parquet"
    result = run_mlprep("convert", sample, "-o", out, "--cols", "event_time,amount,f*,is_fraud")
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr
    manifest = json.loads((tmp_path / "raw.parquet.lineage.json").read_text())
    assert manifest["step"] == "convert"
    assert manifest["output"]["rows"] == 50_000
    assert manifest["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["inputs"][0]["sha256"] == hashlib.sha256(sample.read_bytes()).hexdigest()
    assert manifest["command"][:2] == ["mlprep", "convert"]
    assert list(manifest["output"]["schema"])[:2] == ["event_time", "amount"]
    prof = json.loads(run_mlprep("profile", out, "--json", check=True).out)
    f9 = next(c for c in prof["columns"] if c["name"] == "f9")
    expected = pl.read_parquet(sample)["f9"]
    assert f9["nulls"] == expected.null_count()
    assert f9["mean"] == pytest.approx(expected.mean(), rel=1e-12)


def test_profile_matches_polars_and_counts_nan_apart_from_null(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pl.DataFrame({"x": [1.0, None, float("nan"), 3.0], "s": ["a", "b", "a", None]}).write_parquet(path)
    prof = json.loads(run_mlprep("profile", path, "--json", check=True).out)
    x, s = prof["columns"]
    assert (x["nulls"], x["nans"], x["min"], x["max"], x["mean"]) == (1, 1, 1.0, 3.0, 2.0)
    assert s["top"][0] == {"value": "a", "count": 2}


def test_shell_pipeline_through_stdin_and_stdout(tmp_path: Path, sample: Path) -> None:
    out = tmp_path / "piped.parquet"
    cmd = f"'{MLPREP}' convert '{sample}' -o - --cols amount,is_fraud | '{MLPREP}' convert - -o '{out}'"
    proc = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "piped.parquet.lineage.json").read_text())
    assert manifest["inputs"][0]["path"] == "-"
    assert manifest["inputs"][0]["lineage"]["step"] == "convert"  # history travelled through the pipe
    assert pl.read_parquet(out).columns == ["amount", "is_fraud"]
    checks = json.loads(run_mlprep("lineage", "verify", out, "--json").out)
    assert {c["status"] for c in checks} == {"ok", "stdin"}


def test_stdout_output_is_refused_on_a_terminal(sample: Path) -> None:
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    proc = subprocess.run([MLPREP, "convert", str(sample), "-o", "-"], stdout=slave, stderr=subprocess.PIPE, text=True)
    os.close(slave)
    os.close(master)
    assert proc.returncode == 2 and "terminal" in proc.stderr


def test_makefile_chains_two_commands(tmp_path: Path, sample: Path) -> None:
    makefile = tmp_path / "Makefile"
    makefile.write_text(
        f"all: b.parquet\n"
        f"a.parquet: {sample}\n\t'{MLPREP}' convert $< -o $@ -q\n"
        f"b.parquet: a.parquet\n\t'{MLPREP}' convert $< -o $@ --cols amount -q\n"
    )
    proc = subprocess.run(["make", "-s", "-C", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    show = run_mlprep("lineage", "show", tmp_path / "b.parquet", "--format", "json", check=True)
    manifest = json.loads(show.out)
    assert manifest["inputs"][0]["path"] == "a.parquet"
    assert manifest["inputs"][0]["lineage"]["inputs"][0]["sha256"] == hashlib.sha256(sample.read_bytes()).hexdigest()
    again = subprocess.run(["make", "-C", str(tmp_path)], capture_output=True, text=True)
    assert "Nothing to be done" in again.stdout or "up to date" in again.stdout


def test_lineage_verify_exits_1_after_one_byte_of_an_ancestor_changes(tmp_path: Path, sample: Path) -> None:
    raw = tmp_path / "raw.parquet"
    shutil.copy(sample, raw)
    run_mlprep("convert", raw, "-o", tmp_path / "a.parquet", check=True)
    run_mlprep("convert", tmp_path / "a.parquet", "-o", tmp_path / "b.parquet", check=True)
    assert run_mlprep("lineage", "verify", tmp_path / "b.parquet", cwd=tmp_path).returncode == 0
    data = bytearray(raw.read_bytes())
    data[len(data) // 2] ^= 0x01
    raw.write_bytes(bytes(data))
    result = run_mlprep("lineage", "verify", tmp_path / "b.parquet", "--json", cwd=tmp_path)
    assert result.returncode == 1
    statuses = {Path(c["path"]).name: c["status"] for c in json.loads(result.out)}
    assert statuses["raw.parquet"] == "modified" and statuses["a.parquet"] == "ok"
    (tmp_path / "a.parquet").unlink()
    statuses = {Path(c["path"]).name: c["status"] for c in json.loads(run_mlprep("lineage", "verify", tmp_path / "b.parquet", "--json", cwd=tmp_path).out)}
    assert statuses["a.parquet"] == "missing"


@pytest.mark.parametrize("fmt", ["tree", "json", "dot", "mermaid", "openlineage"])
def test_lineage_show_formats(tmp_path: Path, sample: Path, fmt: str) -> None:
    run_mlprep("convert", sample, "-o", tmp_path / "a.parquet", check=True)
    run_mlprep("convert", tmp_path / "a.parquet", "-o", tmp_path / "b.parquet", "--cols", "amount", check=True)
    result = run_mlprep("lineage", "show", tmp_path / "b.parquet", "--format", fmt)
    assert result.returncode == 0, result.stderr
    text = result.out
    if fmt == "tree":
        assert "convert" in text and "b.parquet" in text and "a.parquet" in text
    elif fmt == "dot":
        assert text.startswith("digraph lineage {") and text.count("->") == 2
    elif fmt == "mermaid":
        assert text.startswith("flowchart LR") and text.count("-->|convert|") == 2
    elif fmt == "openlineage":
        events = [json.loads(line) for line in text.splitlines()]
        assert len(events) == 2 and all(e["eventType"] == "COMPLETE" for e in events)
        last = events[-1]
        assert last["schemaURL"].endswith("2-0-2/OpenLineage.json#/definitions/RunEvent")
        out = last["outputs"][0]
        assert out["namespace"] == "file" and out["name"].endswith("b.parquet")
        assert out["outputFacets"]["outputStatistics"]["rowCount"] == 50_000
        assert out["facets"]["version"]["datasetVersion"] == hashlib.sha256((tmp_path / "b.parquet").read_bytes()).hexdigest()
        assert last["inputs"][0]["name"].endswith("a.parquet")
    else:
        assert json.loads(text)["step"] == "convert"


def test_lineage_show_says_when_it_reads_the_embedded_copy(tmp_path: Path, sample: Path) -> None:
    run_mlprep("convert", sample, "-o", tmp_path / "a.parquet", check=True)
    (tmp_path / "a.parquet.lineage.json").unlink()
    result = run_mlprep("lineage", "show", tmp_path / "a.parquet")
    assert result.returncode == 0 and "embedded" in result.stderr and "convert" in result.out


def _bad_inputs(tmp: Path, sample: Path) -> dict[str, tuple[list[str], str]]:
    (tmp / "zero.parquet").write_bytes(b"")
    (tmp / "cut.parquet").write_bytes(sample.read_bytes()[:5000])
    (tmp / "text.parquet").write_text("a,b\n1,2\n")
    pl.DataFrame({"a": [1]}).clear().write_parquet(tmp / "empty.parquet")
    return {
        "zero-byte": (["convert", str(tmp / "zero.parquet"), "-o", str(tmp / "out.parquet")], "is empty (0 bytes)"),
        "truncated": (["convert", str(tmp / "cut.parquet"), "-o", str(tmp / "out.parquet")], "truncated"),
        "text named parquet": (["convert", str(tmp / "text.parquet"), "-o", str(tmp / "out.parquet")], "not a Parquet file"),
        "empty table": (["convert", str(tmp / "empty.parquet"), "-o", str(tmp / "out.parquet")], "has no rows"),
        "missing column": (["convert", str(sample), "-o", str(tmp / "out.parquet"), "--cols", "amout"], "did you mean 'amount'"),
        "output is input": (["convert", str(sample), "-o", str(sample)], "is the input"),
        "unwritable folder": (["convert", str(sample), "-o", str(tmp / "zero.parquet" / "x.parquet")], "cannot create output folder"),
        "missing input": (["convert", str(tmp / "nope.parquet"), "-o", str(tmp / "out.parquet")], "does not exist"),
        "unknown option": (["convert", str(sample), "-o", str(tmp / "out.parquet"), "--colz", "a"], "No such option"),
        "profile missing column": (["profile", str(sample), "--cols", "merchnt"], "did you mean 'merchant'"),
    }


@pytest.mark.parametrize("case", ["zero-byte", "truncated", "text named parquet", "empty table", "missing column", "output is input", "unwritable folder", "missing input", "unknown option", "profile missing column"])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path: Path, sample: Path, case: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    args, message = _bad_inputs(work, sample)[case]
    before = files_in(work)
    sample_bytes = sample.read_bytes()
    result = run_mlprep(*args)
    assert_one_line_error(result, message)
    assert files_in(work) == before
    assert sample.read_bytes() == sample_bytes


def test_read_only_folder_is_refused(tmp_path: Path, sample: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can write into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    assert_one_line_error(run_mlprep("convert", sample, "-o", folder / "o.parquet"), "not writable")


def test_sigkill_mid_write_keeps_previous_target_and_leftover_is_never_read(tmp_path: Path) -> None:
    big = tmp_path / "big.parquet"
    pl.select(
        x=pl.int_range(0, 6_000_000), s=pl.int_range(0, 6_000_000).cast(pl.String)
    ).write_parquet(big, compression="uncompressed")
    out_dir = tmp_path / "out"
    out = out_dir / "o.parquet"
    run_mlprep("convert", big, "-o", out, "--cols", "x", check=True)
    previous = out.read_bytes()
    proc = subprocess.Popen([MLPREP, "convert", str(big), "-o", str(out)], stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list(out_dir.glob(".o.parquet.*.tmp")):
        time.sleep(0.005)
    assert list(out_dir.glob(".o.parquet.*.tmp")), "the writer never created its temporary file"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert out.read_bytes() == previous  # the previous good target is intact
    leftovers = list(out_dir.glob(".o.parquet.*.tmp"))
    assert leftovers and not leftovers[0].name.endswith(".parquet")
    # A folder read never sees the leftover as data.
    assert pl.scan_parquet(f"{out_dir}/*.parquet", hidden_file_prefix=[".", "_"]).select(pl.len()).collect().item() == 6_000_000
    prof = json.loads(run_mlprep("profile", out_dir, "--json", check=True).out)
    assert prof["rows"] == 6_000_000
    # The next run to the same target removes the dead process's leftover.
    run_mlprep("convert", big, "-o", out, "--cols", "x", check=True)
    assert not list(out_dir.glob(".o.parquet.*.tmp"))
    assert out.read_bytes() == previous


def test_every_command_has_help_with_an_example_and_a_readme_example() -> None:
    from mlprep.cli.main import app
    from typer.main import get_command

    readme = (ROOT / "README.md").read_text()
    group = get_command(app)
    paths: list[list[str]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        if sub:
            paths += [[name, s] for s in sub]
        else:
            paths.append([name])
    assert ["convert"] in paths and ["lineage", "verify"] in paths
    for path in paths:
        result = run_mlprep(*path, "--help")
        assert result.returncode == 0, path
        assert "Example: mlprep " + " ".join(path) in " ".join(result.out.split()), f"{path}: --help lacks an example"
        assert f"mlprep {' '.join(path)} " in readme, f"README has no example of mlprep {' '.join(path)}"


def test_an_input_modified_after_mlprep_wrote_it_is_refused(tmp_path: Path, sample: Path) -> None:
    a = tmp_path / "a.parquet"
    run_mlprep("convert", sample, "-o", a, check=True)
    pl.read_parquet(a).head(10).write_parquet(a)  # rewritten behind mlprep's back; the sidecar is stale
    result = run_mlprep("convert", a, "-o", tmp_path / "b.parquet")
    assert_one_line_error(result, "was modified after mlprep wrote it")
    assert not (tmp_path / "b.parquet").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_closed_stdout_gives_no_traceback_and_leaves_nothing(tmp_path: Path, sample: Path) -> None:
    proc = subprocess.run(f"'{MLPREP}' convert '{sample}' -o - | head -c 100 > /dev/null", shell=True, capture_output=True, text=True, cwd=tmp_path)
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert files_in(tmp_path) == []


def test_two_processes_writing_one_target_end_consistent(tmp_path: Path, sample: Path) -> None:
    out = tmp_path / "o.parquet"
    procs = [subprocess.Popen([MLPREP, "convert", str(sample), "-o", str(out), "--cols", cols, "-q"]) for cols in ("amount", "f0,f1")] * 1
    procs += [subprocess.Popen([MLPREP, "convert", str(sample), "-o", str(out), "--cols", "f2", "-q"])]
    assert all(p.wait() == 0 for p in procs)
    manifest = json.loads((tmp_path / "o.parquet.lineage.json").read_text())
    assert manifest["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert pl.read_parquet(out).columns == list(manifest["output"]["schema"])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
