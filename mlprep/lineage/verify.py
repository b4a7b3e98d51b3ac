"""``lineage verify``: recompute hashes of an output and of every recorded ancestor on disk.

A manifest is data from wherever the file came from, so the paths it names are followed only
inside an allowed root (``--root``, by default the current folder): a path that is absolute,
escapes the root with ``..``, or resolves outside it through a symlink is reported as
``outside`` and never opened. Relative paths between sibling folders (``../raw.parquet``)
keep working as long as both folders are under the root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlprep.errors import InputError
from mlprep.io import hash_all, path_sha256
from mlprep.lineage.graph import build_tree, iter_steps
from mlprep.lineage.model import DatasetRef, load_manifest

Status = Literal["ok", "modified", "missing", "stdin", "unrecorded", "outside"]
FAILING: tuple[Status, ...] = ("modified", "missing", "outside")


@dataclass
class Check:
    """One file's verdict."""

    path: str
    kind: Literal["output", "ancestor"]
    step: str
    expected: str | None
    actual: str | None
    status: Status
    method: Literal["sha256", "data"] = "sha256"


def verify(target: str | Path, *, root: str | Path | None = None) -> list[Check]:
    """Check ``target`` (an output Parquet or its manifest) and each ancestor still on disk.

    A file whose manifest is only embedded has no recorded hash of itself: it is checked by its
    data instead (:func:`check_embedded`); an ancestor read from stdin cannot be checked
    (``stdin``) and an ancestor without a recorded hash is ``unrecorded``; neither fails.
    An ancestor path outside ``root`` (default: the current folder) is ``outside``, a failure,
    and is never read. ``target`` itself is the caller's choice and may lie anywhere.

    Example
    -------
    >>> [c.status for c in verify("demo_out/splits/train.parquet")]  # doctest: +SKIP
    ['ok', 'ok', 'ok']
    """
    return verify_all([target], root=root)


def verify_all(targets: Sequence[str | Path], *, root: str | Path | None = None) -> list[Check]:
    """:func:`verify` of each target in turn, every file hashed once.

    The targets' histories usually share ancestors (three splits of one raw file): each
    distinct file is read once, and the files are hashed in parallel.
    """
    plans = [check for target in targets for check in _plan(Path(target), root)]
    pending = {c.path: Path(c.path) for c in plans if isinstance(c, _Pending)}
    readable = [p for p in pending.values() if p.is_file() or p.is_dir()]
    actual = dict(zip(map(str, readable), hash_all(path_sha256, readable)))
    return [c.result(actual) if isinstance(c, _Pending) else c for c in plans]


def _plan(target: Path, root: str | Path | None) -> list[Check | _Pending]:
    """The checks of one target: final where no file must be read, else pending their hash."""
    allowed = Path(root if root is not None else Path.cwd()).resolve()
    loaded = load_manifest(target)
    if loaded is None:
        raise InputError(f"{str(target)!r} has no lineage manifest (no sidecar, nothing embedded); it was not written by mlprep")
    manifest, origin = loaded
    data_path = str(target)[: -len(".lineage.json")] if origin == "manifest" and str(target).endswith(".lineage.json") else str(target)
    tree = build_tree(manifest, Path(data_path).as_posix())
    checks: list[Check | _Pending] = []
    seen: set[str] = set()
    for node in iter_steps(tree):
        m = node.manifest
        if node.depth == 0:
            if origin == "embedded":
                checks.append(check_embedded(node.output_path, m.step, m.output))
            else:
                checks.append(_Pending(node.output_path, "output", m.step, m.output.sha256))
            seen.add(node.output_path)
        for ref, path in zip(m.inputs, node.input_paths):
            if path in seen:
                continue
            seen.add(path)
            if path == "-":
                checks.append(Check("-", "ancestor", m.step, ref.sha256, None, "stdin"))
            elif not is_inside(ref.path, path, allowed):
                checks.append(Check(path, "ancestor", m.step, ref.sha256, None, "outside"))
            else:
                checks.append(_Pending(path, "ancestor", m.step, ref.sha256))
    return checks


@dataclass
class _Pending:
    """A file check waiting for its hash (computed with the others by :func:`verify_all`)."""

    path: str
    kind: Literal["output", "ancestor"]
    step: str
    expected: str | None

    def result(self, hashes: dict[str, str]) -> Check:
        if not Path(self.path).exists():
            return Check(self.path, self.kind, self.step, self.expected, None, "missing")
        actual = hashes.get(str(Path(self.path)))  # the key verify_all used
        if self.expected is None:
            return Check(self.path, self.kind, self.step, None, actual, "unrecorded")
        return Check(self.path, self.kind, self.step, self.expected, actual, "ok" if actual == self.expected else "modified")


def is_inside(recorded: str, path: str, root: Path) -> bool:
    """Whether a manifest path may be followed: relative, and inside ``root`` once resolved.

    ``recorded`` is the path as the manifest wrote it (an absolute one is refused outright:
    mlprep only records relative paths), ``path`` the same rebased onto the shown file's folder.
    Symlinks are resolved, so a link that points out of the root is outside; for a folder,
    every data file in it must resolve inside too.
    """
    if Path(recorded).is_absolute() or Path(recorded).drive:
        return False
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(root):
        return False
    if resolved.is_dir():
        return all(p.resolve().is_relative_to(root) for p in resolved.rglob("*") if p.is_symlink())
    return True


def check_embedded(path: str, step: str, recorded: DatasetRef) -> Check:
    """Check a Parquet whose manifest is only embedded, by its data: it has no hash of itself.

    Compares the file's schema (column names, order and dtypes) and, where recorded, its row
    count with the embedded manifest, and decodes every page (a truncated file or a corrupted
    compressed page fails to decode). It cannot see values edited in a file that still decodes
    with the same schema and row count, nor a file rewritten by a tool that copied the
    metadata: only a sidecar's sha256 detects those.
    """
    import polars as pl

    expected = _data_summary(recorded.schema, recorded.rows)
    try:
        schema = {k: str(v) for k, v in pl.read_parquet_schema(path).items()}
        frame = pl.scan_parquet(path, glob=False)
        rows = int(frame.select(pl.len()).collect().item())
        frame.select(pl.all().is_null().sum()).collect(engine="streaming")  # decode every page
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Check(path, "output", step, expected, f"unreadable: {first}", "modified", "data")
    actual = _data_summary(schema, rows if recorded.rows is not None else None)
    same = schema == dict(recorded.schema or {}) and list(schema) == list(recorded.schema or {})
    if recorded.rows is not None:
        same = same and rows == recorded.rows
    return Check(path, "output", step, expected, actual, "ok" if same else "modified", "data")


def _data_summary(schema: dict[str, str] | None, rows: int | None) -> str:
    import hashlib
    import json

    digest = hashlib.sha256(json.dumps(list((schema or {}).items())).encode()).hexdigest()[:8]
    return f"schema:{digest}" + (f" rows:{rows}" if rows is not None else "")
