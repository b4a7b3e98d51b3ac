"""Integrity on read: sidecar sha256 checks, `mlprep --no-verify`, `lineage verify` of embedded-only files,
and the memory limit (MLPREP_MAX_MEMORY)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from badinput import base_frame
from conftest import assert_one_line_error, files_in, run_mlprep
from mlprep.cli.main import _run


@pytest.fixture
def made(tmp_path: Path) -> Path:
    src = tmp_path / "src.parquet"
    base_frame().write_parquet(src)
    out = tmp_path / "made" / "raw.parquet"
    assert _run(["convert", str(src), "-o", str(out), "--quiet"]) == 0
    return out


def _flip_data_byte(path: Path) -> None:
    """Change a byte of the embedded manifest text: the file still reads, its sha256 differs."""
    data = bytearray(path.read_bytes())
    at = data.rfind(b"mlprep.lineage") + len("mlprep.lineage") + 40
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["profile", "{in}"], ["check", "drift", "{in}", "{in}"], ["convert", "{in}", "-o", "{out}"]])
def test_modified_input_is_refused_by_every_kind_of_command(made: Path, tmp_path: Path, command: list[str], capfd) -> None:
    _flip_data_byte(made)
    out = tmp_path / "out" / "x.parquet"
    args = [a.replace("{in}", str(made)).replace("{out}", str(out)) for a in command]
    assert _run(args) == 2
    err = capfd.readouterr().err
    assert "was modified after mlprep wrote it" in err and "raw.parquet" in err and len(err.strip().splitlines()) == 1
    assert not out.parent.exists() or files_in(out.parent) == []


def test_no_verify_skips_the_check_and_is_recorded(made: Path, tmp_path: Path) -> None:
    _flip_data_byte(made)
    out = tmp_path / "out.parquet"
    refused = run_mlprep("convert", made, "-o", out)
    assert_one_line_error(refused, "raw.parquet", "modified")
    result = run_mlprep("--no-verify", "convert", made, "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    manifest = json.loads(Path(f"{out}.lineage.json").read_text())
    assert manifest["params"]["verify_inputs"] is False
    assert manifest["command"][:3] == ["mlprep", "--no-verify", "convert"]
    again = tmp_path / "again.parquet"
    assert run_mlprep("convert", out, "-o", again).returncode == 0
    assert json.loads(Path(f"{again}.lineage.json").read_text())["params"]["verify_inputs"] is True


def test_verify_checks_an_embedded_only_file_by_its_data(made: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "raw.parquet"
    copy.parent.mkdir()
    shutil.copy(made, copy)  # no sidecar: only the embedded manifest travels
    ok = run_mlprep("lineage", "verify", copy, "--json", "--root", tmp_path)
    assert ok.returncode == 0, ok.stderr
    checks = json.loads(ok.stdout)
    assert checks[0]["status"] == "ok" and checks[0]["method"] == "data"

    # same embedded manifest, a column dropped: the schema no longer matches
    meta = pl.read_parquet_metadata(copy)
    changed = tmp_path / "changed" / "raw.parquet"
    changed.parent.mkdir()
    pl.read_parquet(copy).drop("f0").write_parquet(changed, metadata=meta)
    bad = run_mlprep("lineage", "verify", changed, "--json", "--root", tmp_path)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)[0]["status"] == "modified"

    # a truncated copy with its footer put back would be caught by decoding; a cut file is unreadable
    cut = tmp_path / "cut" / "raw.parquet"
    cut.parent.mkdir()
    raw = copy.read_bytes()
    cut.write_bytes(raw[:100] + raw[-(len(raw) // 2):])
    result = run_mlprep("lineage", "verify", cut, "--json", "--root", tmp_path)
    assert result.returncode in (1, 2)
    if result.returncode == 1:
        assert json.loads(result.stdout)[0]["status"] == "modified"
    else:
        assert_one_line_error(result, "raw.parquet")


def test_memory_limit_refuses_collecting_steps(tmp_path: Path) -> None:
    src = tmp_path / "data.parquet"
    base_frame().write_parquet(src)
    out = tmp_path / "out.parquet"
    result = run_mlprep("balance", src, "--target", "is_fraud", "--features", "amount,f0", "-o", out, env={"MLPREP_MAX_MEMORY": "1K"})
    assert_one_line_error(result, "balance", "MLPREP_MAX_MEMORY", "data.parquet")
    assert not out.exists()
    result = run_mlprep("scale", src, "--method", "quantile", "--cols", "amount", "-o", out, env={"MLPREP_MAX_MEMORY": "100"})
    assert_one_line_error(result, "--method quantile", "MLPREP_MAX_MEMORY")
    result = run_mlprep("convert", src, "-o", out, env={"MLPREP_MAX_MEMORY": "lots"})
    assert_one_line_error(result, "MLPREP_MAX_MEMORY='lots'")
    # a streaming step is not limited by memory: only a likely bomb (huge and 50x its size on disk) is refused
    assert run_mlprep("convert", src, "-o", out, env={"MLPREP_MAX_MEMORY": "1K"}).returncode == 0
