"""``lineage verify``: recompute hashes of an output and of every recorded ancestor on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlprep.errors import InputError
from mlprep.io import path_sha256
from mlprep.lineage.graph import build_tree, iter_steps
from mlprep.lineage.model import load_manifest

Status = Literal["ok", "modified", "missing", "stdin", "unrecorded"]
FAILING: tuple[Status, ...] = ("modified", "missing")


@dataclass
class Check:
    """One file's verdict."""

    path: str
    kind: Literal["output", "ancestor"]
    step: str
    expected: str | None
    actual: str | None
    status: Status


def verify(target: str | Path) -> list[Check]:
    """Check ``target`` (an output Parquet or its manifest) and each ancestor still on disk.

    A file whose manifest is only embedded has no recorded hash of itself (``unrecorded``);
    an ancestor read from stdin cannot be checked (``stdin``); neither counts as a failure.
    """
    target = Path(target)
    loaded = load_manifest(target)
    if loaded is None:
        raise InputError(f"{str(target)!r} has no lineage manifest (no sidecar, nothing embedded); it was not written by mlprep")
    manifest, origin = loaded
    data_path = str(target)[: -len(".lineage.json")] if origin == "manifest" and str(target).endswith(".lineage.json") else str(target)
    root = build_tree(manifest, Path(data_path).as_posix())
    checks: list[Check] = []
    seen: set[str] = set()
    for node in iter_steps(root):
        m = node.manifest
        if node.depth == 0:
            checks.append(_check(node.output_path, "output", m.step, m.output.sha256 if origin != "embedded" else None))
            seen.add(node.output_path)
        for ref, path in zip(m.inputs, node.input_paths):
            if path in seen:
                continue
            seen.add(path)
            if path == "-":
                checks.append(Check("-", "ancestor", m.step, ref.sha256, None, "stdin"))
            else:
                checks.append(_check(path, "ancestor", m.step, ref.sha256))
    return checks


def _check(path: str, kind: Literal["output", "ancestor"], step: str, expected: str | None) -> Check:
    p = Path(path)
    if not p.exists():
        return Check(path, kind, step, expected, None, "missing")
    actual = path_sha256(p) if (p.is_file() or p.is_dir()) else None
    if expected is None:
        return Check(path, kind, step, None, actual, "unrecorded")
    return Check(path, kind, step, expected, actual, "ok" if actual == expected else "modified")
