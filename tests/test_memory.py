"""The memory limit (env, RAM, cgroup) and the column batching of sorting statistics under it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from mlprep.memory import cgroup_memory_limit, memory_limit
from mlprep.steps._columns import sort_batches
from mlprep.steps.impute import fit_impute
from mlprep.steps.scale import fit_scale


def _tree(tmp_path: Path, proc: str, files: dict[str, str]) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (tmp_path / "proc").write_text(proc)
    return tmp_path / "proc", root


def test_cgroup_v2_limit_is_the_tightest_along_the_path(tmp_path) -> None:
    proc, root = _tree(tmp_path, "0::/jobs/one\n", {"jobs/memory.max": "3000000000\n", "jobs/one/memory.max": "max\n"})
    assert cgroup_memory_limit(proc, root) == 3_000_000_000


def test_cgroup_v1_limit_and_its_no_limit_sentinel(tmp_path) -> None:
    files = {"memory/a/memory.limit_in_bytes": "9223372036854771712\n", "memory/a/b/memory.limit_in_bytes": "2438987776\n"}
    proc, root = _tree(tmp_path, "4:cpu,cpuacct:/a/b\n7:memory:/a/b\n", files)
    assert cgroup_memory_limit(proc, root) == 2_438_987_776
    proc, root = _tree(tmp_path / "none", "7:memory:/a\n", {"memory/a/memory.limit_in_bytes": "9223372036854771712\n"})
    assert cgroup_memory_limit(proc, root) is None
    assert cgroup_memory_limit(tmp_path / "absent", root) is None


def test_env_overrides_and_batches_follow_the_limit(monkeypatch) -> None:
    frame = pl.LazyFrame({f"c{i}": np.arange(1000, dtype=np.float64) for i in range(5)})
    monkeypatch.setenv("MLPREP_MAX_MEMORY", "1G")
    assert memory_limit() == 2**30
    assert sort_batches(frame.collect_schema().names(), 1000) == [["c0", "c1", "c2", "c3", "c4"]]
    monkeypatch.setenv("MLPREP_MAX_MEMORY", str(2 * 1000 * 16 * 2))  # room for two columns' sorts
    assert sort_batches(frame.collect_schema().names(), 1000) == [["c0", "c1"], ["c2", "c3"], ["c4"]]


@pytest.mark.parametrize("limit", [None, "40000"])
def test_medians_and_quartiles_are_the_same_in_batches(monkeypatch, limit) -> None:
    rng = np.random.default_rng(3)
    data = {f"x{i}": np.where(rng.random(1000) < 0.1, np.nan, rng.normal(i, 1 + i, 1000)) for i in range(4)}
    frame = pl.LazyFrame(data).with_columns(pl.col("x0").fill_nan(None))
    if limit is not None:
        monkeypatch.setenv("MLPREP_MAX_MEMORY", limit)  # one column per batch
        assert len(sort_batches(list(data), 1000)) == 4
    medians = fit_impute(frame, strategy="median")["fill"]
    robust = fit_scale(frame, method="robust")["stats"]
    for name, x in data.items():
        assert medians[name] == np.nanmedian(x)
        q25, q50, q75 = np.nanpercentile(x, [25, 50, 75])
        assert robust[name]["center"] == pytest.approx(q50, rel=1e-12) and robust[name]["scale"] == pytest.approx(q75 - q25, rel=1e-12)
