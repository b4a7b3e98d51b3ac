"""Measuring commands and summarising the measurements; no knowledge of particular operations.

Each run of a variant is a fresh process (or a short sequence of processes, e.g. ``mlprep impute``
then ``mlprep scale``), started through the small launcher ``spawn.py``, which times it and takes
its peak RSS from the kernel with ``os.wait4`` (the child's ``struct rusage``: the figure
``getrusage(RUSAGE_CHILDREN)`` and ``/usr/bin/time -v`` report, but for that one child, so runs
cannot contaminate each other). A sequence's time is the sum and its peak the maximum."""

from __future__ import annotations

import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

KIND_ORDER = ["mlprep", "polars", "pandas", "duckdb", "baseline"]
KIND_TITLE = {"mlprep": "mlprep", "polars": "polars (floor)", "pandas": "pandas + sklearn", "duckdb": "DuckDB"}


@dataclass
class Run:
    """One measured execution of a variant."""

    wall_s: float
    peak_rss_mib: float
    exit_code: int
    error: str | None = None


@dataclass
class VariantResult:
    """Every run of one variant of one operation, and its summary."""

    name: str
    kind: str
    label: str
    runs: list[Run] = field(default_factory=list)
    warmup: Run | None = None
    error: str | None = None
    outputs: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.runs)

    @property
    def wall_s(self) -> float | None:
        return median([r.wall_s for r in self.runs]) if self.ok else None

    @property
    def peak_rss_mib(self) -> float | None:
        return median([r.peak_rss_mib for r in self.runs]) if self.ok else None

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(median_wall_s=self.wall_s, median_peak_rss_mib=self.peak_rss_mib)
        return data


def median(values: Sequence[float]) -> float | None:
    """Median of the values, or None when there are none."""
    return statistics.median(values) if values else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is not positive."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


SPAWN = Path(__file__).resolve().with_name("spawn.py")


def measure_one(argv: Sequence[str], *, timeout: float, cwd: Path | None = None, env: dict | None = None,
                cgroup: str | None = None, stdout: str | None = None, python: str = sys.executable) -> Run:
    """Run one process through spawn.py; return its wall time, peak RSS (from wait4) and exit code."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result"
        launcher = [python, "-I", "-S", str(SPAWN), str(result), *(["--cgroup", cgroup] if cgroup else []),
                    *(["--stdout", stdout] if stdout else []), "--", *argv]
        with open(Path(tmp) / "stderr", "w+b") as err:
            proc = subprocess.Popen(launcher, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                    cwd=cwd, env=env, start_new_session=True)
            timed_out = threading.Event()

            def kill() -> None:
                timed_out.set()
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                proc.wait()
            finally:
                timer.cancel()
            err.seek(0)
            stderr = err.read().decode(errors="replace")
        if timed_out.is_set():
            return Run(timeout, 0.0, -signal.SIGKILL, f"timed out after {timeout:.0f} s")
        try:
            wall, maxrss_kib, code = result.read_text().split()
        except (OSError, ValueError):
            return Run(0.0, 0.0, proc.returncode or 1, last_line(stderr) or "the launcher failed")
        code = int(code)
        error = None
        if code < 0:
            error = f"killed by signal {-code}" + (" (out of memory?)" if -code == signal.SIGKILL else "")
        elif code != 0:
            error = last_line(stderr) or f"exit code {code}"
        return Run(float(wall), int(maxrss_kib) / 1024, code, error)


def measure(commands: Sequence[Sequence[str]], *, ok_codes: Sequence[int] = (0,), timeout: float = 900.0,
            cwd: Path | None = None, env: dict | None = None, cgroup: str | None = None) -> Run:
    """Run commands one after another (stopping at the first failure): summed time, maximum peak RSS."""
    total, peak = 0.0, 0.0
    for argv in commands:
        run = measure_one(argv, timeout=timeout, cwd=cwd, env=env, cgroup=cgroup)
        total, peak = total + run.wall_s, max(peak, run.peak_rss_mib)
        if run.exit_code not in ok_codes:
            return Run(total, peak, run.exit_code, run.error or f"exit code {run.exit_code}")
    return Run(total, peak, 0, None)


def last_line(text: str) -> str:
    """The line of a process's stderr that says what went wrong, shortened.

    A Python traceback's exception line (``SomeError: …``) if there is one, else the last line
    that is not a caret marker.
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    lines = [line for line in lines if line.strip("^~ ")]
    if not lines:
        return ""
    exceptions = [line for line in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b:?", line)]
    line = exceptions[-1] if exceptions and "Traceback" in text else lines[-1]
    return line if len(line) <= 200 else line[:197] + "..."


def fmt_s(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"


def fmt_mib(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def machine_description(packages: Sequence[str]) -> dict:
    """Cores, CPU model, memory, OS and package versions, for the report."""
    from importlib import metadata

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cores": cores, "cpu": cpu, "memory_gib": mem_gib, "os": f"{platform.system()} {platform.release()}",
            "versions": versions}
