"""The lineage manifest (CONVENTIONS §3) as a small typed model.

Every step builds its manifest through these classes; nobody writes manifest dicts by hand.
A manifest is plain JSON: parsing rejects duplicate keys, NaN/Infinity, oversized or overly
deep documents, so a manifest is data and never code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlprep.errors import ManifestError

LINEAGE_VERSION = 1
SIDECAR_SUFFIX = ".lineage.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 200

Use = Literal["data", "fit"]


def sidecar_path(output: str | Path) -> Path:
    """The sidecar manifest path of an output file: ``X.parquet`` → ``X.parquet.lineage.json``."""
    return Path(f"{output}{SIDECAR_SUFFIX}")


def relative_to_folder(path: str | Path, folder: str | Path) -> str:
    """``path`` relative to ``folder`` as POSIX; stdin/stdout stay ``-``."""
    if str(path) == "-":
        return "-"
    return Path(os.path.relpath(Path(path).absolute(), Path(folder).absolute())).as_posix()


@dataclass
class DatasetRef:
    """An input or output file as a manifest records it."""

    path: str
    sha256: str | None
    rows: int | None
    schema: dict[str, str]
    role: str | None = None
    fold: int | None = None
    use: Use | None = None  # inputs only
    lineage: Manifest | None = None  # inputs only: that input's own manifest

    def to_dict(self, *, as_input: bool, embedded: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "sha256": self.sha256, "rows": self.rows, "schema": self.schema, "role": self.role}
        if self.fold is not None:
            out["fold"] = self.fold
        if as_input:
            out["use"] = self.use
            out["lineage"] = self.lineage.to_dict(embedded=embedded) if self.lineage else None
        elif embedded:
            # The embedded copy cannot know the file's own hash, nor (for a streamed write) its rows.
            out.pop("sha256")
            out.pop("rows")
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, as_input: bool) -> DatasetRef:
        _require(data, ("path", "schema"), "input" if as_input else "output")
        lineage = data.get("lineage") if as_input else None
        return cls(
            path=str(data["path"]),
            sha256=data.get("sha256"),
            rows=data.get("rows"),
            schema=dict(data.get("schema") or {}),
            role=data.get("role"),
            fold=data.get("fold"),
            use=data.get("use") if as_input else None,
            lineage=Manifest.from_dict(lineage) if lineage else None,
        )


@dataclass
class Manifest:
    """One step's record: what ran, on which inputs, producing which output."""

    step: str
    params: dict[str, Any]
    command: list[str]
    versions: dict[str, str]
    inputs: list[DatasetRef]
    output: DatasetRef
    state: dict[str, Any] | None = None
    report: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None

    @property
    def role(self) -> str | None:
        """The output's role (train, valid, test or None)."""
        return self.output.role

    def data_inputs(self) -> list[DatasetRef]:
        return [i for i in self.inputs if i.use == "data"]

    def fit_inputs(self) -> list[DatasetRef]:
        return [i for i in self.inputs if i.use == "fit"]

    def to_dict(self, *, embedded: bool = False) -> dict[str, Any]:
        """The JSON object; ``embedded`` drops what cannot be in the Parquet itself."""
        out: dict[str, Any] = {
            "mlprep_lineage": LINEAGE_VERSION,
            "step": self.step,
            "params": self.params,
            "command": self.command,
            "versions": self.versions,
        }
        if not embedded:
            out["created_at"] = self.created_at
        out["inputs"] = [i.to_dict(as_input=True, embedded=embedded) for i in self.inputs]
        out["output"] = self.output.to_dict(as_input=False, embedded=embedded)
        out["state"] = self.state
        out["report"] = self.report
        return out

    def to_json(self, *, embedded: bool = False) -> str:
        if embedded:
            return json.dumps(self.to_dict(embedded=True), separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        if not isinstance(data, dict) or data.get("mlprep_lineage") != LINEAGE_VERSION:
            raise ManifestError(f"not an mlprep lineage manifest (expected \"mlprep_lineage\": {LINEAGE_VERSION})")
        _require(data, ("step", "params", "inputs", "output"), "manifest")
        return cls(
            step=str(data["step"]),
            params=dict(data["params"] or {}),
            command=list(data.get("command") or []),
            versions=dict(data.get("versions") or {}),
            inputs=[DatasetRef.from_dict(i, as_input=True) for i in data["inputs"]],
            output=DatasetRef.from_dict(data["output"], as_input=False),
            state=data.get("state"),
            report=dict(data.get("report") or {}),
            created_at=data.get("created_at"),
        )

    @classmethod
    def from_json(cls, text: str | bytes, *, origin: str) -> Manifest:
        try:
            return cls.from_dict(parse_json(text))
        except ManifestError as exc:
            raise ManifestError(f"{origin}: {exc}") from exc

    def walk(self, depth: int = 0):
        """Yield (depth, manifest) for this step and, depth first, every recorded ancestor step."""
        yield depth, self
        for inp in self.inputs:
            if inp.lineage is not None:
                yield from inp.lineage.walk(depth + 1)


def _require(data: dict[str, Any], keys: tuple[str, ...], what: str) -> None:
    if not isinstance(data, dict):
        raise ManifestError(f"malformed {what}: expected a JSON object")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ManifestError(f"malformed {what}: missing {', '.join(missing)}")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ManifestError(f"duplicate key {key!r} in manifest JSON")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ManifestError(f"manifest JSON holds {name}, which is not valid JSON")


def parse_json(text: str | bytes) -> Any:
    """Parse manifest JSON strictly (no duplicate keys, no NaN/Infinity, size and depth caps)."""
    if len(text) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"manifest is larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MiB")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, ManifestError):
            raise
        raise ManifestError(f"manifest is not valid JSON: {exc}") from exc
    if _depth(data) > MAX_DEPTH:
        raise ManifestError(f"manifest nests deeper than {MAX_DEPTH} levels")
    return data


def _depth(value: Any) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


ManifestOrigin = Literal["sidecar", "embedded", "manifest"]


def load_manifest(path: str | Path) -> tuple[Manifest, ManifestOrigin] | None:
    """Load a file's manifest: a manifest file itself, else its sidecar, else its embedded copy.

    Returns None for a file that has neither (a raw source).
    """
    path = Path(path)
    if path.name.endswith(SIDECAR_SUFFIX) or path.suffix == ".json":
        return Manifest.from_json(_read_capped(path), origin=str(path)), "manifest"
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        return Manifest.from_json(_read_capped(sidecar), origin=str(sidecar)), "sidecar"
    if path.is_file() and path.suffix == ".parquet":
        embedded = embedded_manifest(path)
        if embedded is not None:
            return embedded, "embedded"
    return None


def embedded_manifest(source: Any) -> Manifest | None:
    """The manifest embedded in a Parquet file's metadata (path or bytes), or None."""
    import io

    import polars as pl

    from mlprep.io import LINEAGE_KEY

    target = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        meta = pl.read_parquet_metadata(target)
    except (pl.exceptions.PolarsError, OSError):
        return None
    text = meta.get(LINEAGE_KEY)
    if text is None:
        return None
    return Manifest.from_json(text, origin=f"{source if not isinstance(source, bytes) else 'stdin'} (embedded)")


def _read_capped(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{path}: manifest is larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {str(path)!r}: {exc.strerror}") from exc
