"""A memory cap for benchmark processes: a child cgroup with a memory limit.

Tries, in order: cgroup v2 (``memory.max`` in a child of this process's own cgroup, which needs
the memory controller enabled for the subtree) and cgroup v1 (``memory.limit_in_bytes`` in a child
of this process's own memory cgroup). Both need write access to /sys/fs/cgroup (root, or a
delegated subtree). RLIMIT_AS is not used: allocators that reserve address space up front (jemalloc,
mimalloc, polars' own) fail under it long before they use that much memory.

The group is created as a child of the cgroup this process already runs in, so anything a caller
or the machine imposes still applies; it is removed again by :meth:`MemoryCap.close`.
"""

from __future__ import annotations

import os
from pathlib import Path

# the same cgroup root and reading of /proc/self/cgroup the package uses for its memory limit
from mlprep.memory import CGROUP_ROOT, own_cgroup


class MemoryCapError(RuntimeError):
    """No way to cap memory on this machine."""


class MemoryCap:
    """A child cgroup limited to ``limit_bytes``; pass :attr:`path` to spawn.py's ``--cgroup``."""

    def __init__(self, limit_bytes: int, *, name: str | None = None, root: Path = CGROUP_ROOT) -> None:
        self.limit_bytes = int(limit_bytes)
        name = name or f"mlprep-bench-{os.getpid()}"
        errors: list[str] = []
        for attempt in (self._v2, self._v1):
            try:
                self.path, self.version = attempt(root, name)
                return
            except OSError as exc:
                errors.append(f"{attempt.__name__[1:]}: {exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})")
            except MemoryCapError as exc:
                errors.append(f"{attempt.__name__[1:]}: {exc}")
        raise MemoryCapError("cannot create a memory-limited cgroup here (" + "; ".join(errors) + "); run as root on "
                             "Linux with the cgroup memory controller mounted, or pass --no-cap to measure without a cap")

    def _v2(self, root: Path, name: str) -> tuple[Path, str]:
        controllers = root / "cgroup.controllers"
        if not controllers.exists() or "memory" not in controllers.read_text().split():
            raise MemoryCapError(f"no cgroup v2 memory controller at {root}")
        own = own_cgroup(None)
        if own is None:
            raise MemoryCapError("this process has no cgroup v2 path")
        parent = root / own.lstrip("/")
        if "memory" not in (parent / "cgroup.subtree_control").read_text().split():
            (parent / "cgroup.subtree_control").write_text("+memory")
        path = parent / name
        path.mkdir(exist_ok=True)
        try:
            (path / "memory.max").write_text(str(self.limit_bytes))
            if (path / "memory.swap.max").exists():
                (path / "memory.swap.max").write_text("0")
        except OSError:
            path.rmdir()
            raise
        return path, "v2"

    def _v1(self, root: Path, name: str) -> tuple[Path, str]:
        mem_root = root / "memory"
        if not (mem_root / "memory.limit_in_bytes").exists():
            raise MemoryCapError(f"no cgroup v1 memory hierarchy at {mem_root}")
        own = own_cgroup("memory") or "/"
        path = mem_root / own.lstrip("/") / name
        path.mkdir(exist_ok=True)
        try:
            (path / "memory.limit_in_bytes").write_text(str(self.limit_bytes))
            memsw = path / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                try:  # also forbid swapping the excess out (fails harmlessly where swap accounting is off)
                    memsw.write_text(str(self.limit_bytes))
                except OSError:
                    pass
        except OSError:
            path.rmdir()
            raise
        return path, "v1"

    @property
    def limit_file(self) -> str:
        return "memory.max" if self.version == "v2" else "memory.limit_in_bytes"

    def reset_peak(self) -> None:
        """Start a new peak measurement (v1 only; v2's memory.peak is per group, so use a fresh group)."""
        if self.version == "v1":
            try:
                (self.path / "memory.max_usage_in_bytes").write_text("0")
            except OSError:
                pass

    def peak_bytes(self) -> int | None:
        """Highest memory charged to the group (RSS and page cache) since the last reset."""
        name = "memory.peak" if self.version == "v2" else "memory.max_usage_in_bytes"
        try:
            return int((self.path / name).read_text().split()[0])
        except (OSError, ValueError):
            return None

    def oom_kills(self) -> int | None:
        """How many processes the kernel killed in this group for lack of memory."""
        name = "memory.events" if self.version == "v2" else "memory.oom_control"
        try:
            for line in (self.path / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return None

    def describe(self) -> str:
        return f"cgroup {self.version} {self.limit_file} = {self.limit_bytes / 2**20:.0f} MiB ({self.path})"

    def close(self) -> None:
        """Remove the group (it must have no processes left)."""
        try:
            self.path.rmdir()
        except OSError:
            pass

    def __enter__(self) -> "MemoryCap":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
