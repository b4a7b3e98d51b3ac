"""Shared test helpers: the real `mlprep` executable, sample data, small frames."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "transactions.parquet"
MLPREP = str(Path(sys.executable).with_name("mlprep"))


@dataclass
class Result:
    returncode: int
    stdout: bytes
    stderr: str

    @property
    def out(self) -> str:
        return self.stdout.decode()


def run_mlprep(*args: str, stdin: bytes | None = None, cwd: Path | None = None, env: dict | None = None, check: bool = False) -> Result:
    """Run the installed `mlprep` executable in a subprocess."""
    proc = subprocess.run(
        [MLPREP, *map(str, args)], input=stdin, capture_output=True, cwd=cwd,
        env={**os.environ, **(env or {})}, timeout=300,
    )
    result = Result(proc.returncode, proc.stdout, proc.stderr.decode())
    if check and result.returncode != 0:
        raise AssertionError(f"mlprep {' '.join(map(str, args))} exited {result.returncode}: {result.stderr}")
    return result


def assert_one_line_error(result: Result, *fragments: str) -> None:
    """Exit 2, exactly one line on stderr containing every fragment, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def files_in(folder: Path) -> list[str]:
    """Every file below ``folder`` (hidden ones included), relative, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def sample() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_frame() -> pl.DataFrame:
    return pl.read_parquet(SAMPLE)
