"""How much memory a step may hold: ``MLPREP_MAX_MEMORY``, else 80% of what this process can use.

"What it can use" is the smaller of the machine's RAM and the memory limit of the cgroup the
process runs in (cgroup v2 ``memory.max`` or v1 ``memory.limit_in_bytes``, the tightest along the
path to the root), so a container or a CI job with a memory cap is respected without configuration.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mlprep.errors import UsageError

MEMORY_ENV = "MLPREP_MAX_MEMORY"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
CGROUP_ROOT = Path("/sys/fs/cgroup")
_UNLIMITED = 2**60  # cgroup v1 writes a huge number for "no limit"


def memory_limit() -> int:
    """Bytes a step may hold in memory: ``MLPREP_MAX_MEMORY`` (e.g. ``4G``), else 80% of the
    smaller of RAM and this process's cgroup memory limit."""
    raw = os.environ.get(MEMORY_ENV)
    if raw:
        match = _SIZE.match(raw)
        if not match:
            raise UsageError(f"{MEMORY_ENV}={raw!r} is not a size; use bytes or a number with K, M, G or T (e.g. {MEMORY_ENV}=8G)")
        power = " KMGT".index(match.group(2).upper() or " ")
        return int(float(match.group(1)) * 1024**power)
    try:
        ram = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        ram = 10 * 1024**3
    cap = cgroup_memory_limit()
    return int(min(ram, cap if cap is not None else ram) * 0.8)


def own_cgroup(controller: str | None, proc_cgroup: Path = Path("/proc/self/cgroup")) -> str | None:
    """This process's cgroup path: in the v1 hierarchy of ``controller``, or the v2 path when ``controller`` is None."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if controller is None and hierarchy == "0" and controllers == "":
            return path
        if controller is not None and controller in controllers.split(","):
            return path
    return None


def cgroup_memory_limit(proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = CGROUP_ROOT) -> int | None:
    """The tightest memory limit on this process's cgroup and its ancestors, or None (no limit / no cgroup)."""
    limits: list[int] = []
    for controller, base, name in ((None, root, "memory.max"), ("memory", root / "memory", "memory.limit_in_bytes")):
        path = own_cgroup(controller, proc_cgroup)
        if path is None:
            continue
        folder = base / path.lstrip("/")
        while True:
            limits += _read_limit(folder / name)
            if folder == base or base not in folder.parents:
                break
            folder = folder.parent
    return min(limits) if limits else None


def _read_limit(path: Path) -> list[int]:
    try:
        text = path.read_text().strip()
    except (OSError, ValueError):
        return []
    if not text.isdigit() or int(text) >= _UNLIMITED:
        return []  # "max" (v2) or the v1 sentinel: no limit here
    return [int(text)]
