"""A lineage history as a graph of datasets and steps, and its text renderings.

Paths in nested manifests are relative to the folder of the file each manifest describes;
here they are rebased onto the folder of the file being shown, so every node has one name.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mlprep.lineage.model import DatasetRef, Manifest


@dataclass
class StepNode:
    """One step of the history, with its output and its inputs rebased onto the shown folder."""

    manifest: Manifest
    output_path: str
    input_paths: list[str]
    depth: int
    children: list[StepNode] = field(default_factory=list)


def rebase(folder: str, path: str) -> str:
    """Join a manifest-relative path onto a folder, normalised; ``-`` stays ``-``."""
    if path == "-":
        return "-"
    return posixpath.normpath(posixpath.join(folder, path))


def build_tree(manifest: Manifest, output_path: str, depth: int = 0) -> StepNode:
    """The history of ``manifest`` (whose output is at ``output_path``) as a tree of steps."""
    folder = posixpath.dirname(output_path) if output_path != "-" else "."
    inputs = [rebase(folder, i.path) for i in manifest.inputs]
    node = StepNode(manifest, output_path, inputs, depth)
    for ref, path in zip(manifest.inputs, inputs):
        if ref.lineage is not None:
            node.children.append(build_tree(ref.lineage, path, depth + 1))
    return node


def iter_steps(node: StepNode) -> Iterator[StepNode]:
    """Every step of the tree, each distinct (output, sha256) once, ancestors after descendants."""
    seen: set[tuple[str, str | None]] = set()
    stack = [node]
    while stack:
        current = stack.pop(0)
        key = (current.output_path, current.manifest.output.sha256 or current.manifest.step)
        if key in seen:
            continue
        seen.add(key)
        yield current
        stack.extend(current.children)


def short_hash(sha: str | None) -> str:
    return sha[:12] if sha else "—"


def key_params(manifest: Manifest, limit: int = 6) -> str:
    """The step's parameters that are set, as ``k=v`` text."""
    items = [(k, v) for k, v in manifest.params.items() if v not in (None, False, [], {}) and k != "command"]
    return ", ".join(f"{k}={_compact(v)}" for k, v in items[:limit]) + (", …" if len(items) > limit else "")


def _compact(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "…"


def _node_id(path: str, sha: str | None) -> str:
    return "d" + hashlib.sha1(f"{path}|{sha}".encode()).hexdigest()[:10]


def _edges(root: StepNode) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    for step in iter_steps(root):
        m = step.manifest
        out_id = _node_id(step.output_path, m.output.sha256)
        nodes[out_id] = _dataset_label(step.output_path, m.output)
        for ref, path in zip(m.inputs, step.input_paths):
            in_id = _node_id(path, ref.sha256)
            nodes.setdefault(in_id, _dataset_label(path, ref))
            edges.append((in_id, out_id, m.step + (" (fit)" if ref.use == "fit" else "")))
    return nodes, edges


def _dataset_label(path: str, ref: DatasetRef) -> str:
    parts = [path]
    if ref.role:
        parts.append(f"role={ref.role}" + (f" fold={ref.fold}" if ref.fold is not None else ""))
    if ref.rows is not None:
        parts.append(f"{ref.rows:,} rows")
    parts.append(short_hash(ref.sha256))
    return "\\n".join(parts)


def to_dot(root: StepNode) -> str:
    """Graphviz DOT: datasets as boxes, steps as labelled edges (`dot -Tsvg`)."""
    nodes, edges = _edges(root)
    lines = ["digraph lineage {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    lines += [f'  {nid} [label="{_escape(label)}"];' for nid, label in nodes.items()]
    lines += [f'  {a} -> {b} [label="{_escape(step)}"];' for a, b, step in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace('"', '\\"')


def to_mermaid(root: StepNode) -> str:
    """A Mermaid flowchart to paste into Markdown."""
    nodes, edges = _edges(root)
    lines = ["flowchart LR"]
    lines += [f'  {nid}["{label.replace(chr(92) + "n", "<br/>").replace(chr(34), "#quot;")}"]' for nid, label in nodes.items()]
    lines += [f"  {a} -->|{step}| {b}" for a, b, step in edges]
    return "\n".join(lines) + "\n"


OPENLINEAGE_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"
_FACET_BASE = "https://openlineage.io/spec/facets/1-0-0"
PRODUCER = "https://github.com/mlprep/mlprep"


def to_openlineage(root: StepNode, *, namespace: str = "mlprep") -> list[dict[str, Any]]:
    """One COMPLETE RunEvent per step (OpenLineage 2-0-2), oldest first."""
    events = []
    for step in reversed(list(iter_steps(root))):
        m = step.manifest
        run_id = _uuid_from(m.output.sha256 or step.output_path, m.created_at or "")
        events.append({
            "eventType": "COMPLETE",
            "eventTime": m.created_at or "1970-01-01T00:00:00Z",
            "producer": PRODUCER,
            "schemaURL": OPENLINEAGE_SCHEMA,
            "run": {"runId": run_id},
            "job": {"namespace": namespace, "name": f"mlprep.{m.step}"},
            "inputs": [_ol_dataset(path, ref, output=False) for ref, path in zip(m.inputs, step.input_paths)],
            "outputs": [_ol_dataset(step.output_path, m.output, output=True)],
        })
    return events


def _ol_dataset(path: str, ref: DatasetRef, *, output: bool) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "schema": {
            "_producer": PRODUCER,
            "_schemaURL": f"{_FACET_BASE}/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
            "fields": [{"name": k, "type": v} for k, v in ref.schema.items()],
        },
    }
    if ref.sha256:
        facets["version"] = {
            "_producer": PRODUCER,
            "_schemaURL": f"{_FACET_BASE}/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
            "datasetVersion": ref.sha256,
        }
    dataset: dict[str, Any] = {"namespace": "file", "name": path, "facets": facets}
    if output and ref.rows is not None:
        dataset["outputFacets"] = {
            "outputStatistics": {
                "_producer": PRODUCER,
                "_schemaURL": f"{_FACET_BASE}/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet",
                "rowCount": ref.rows,
            }
        }
    return dataset


def _uuid_from(*parts: str) -> str:
    """A stable UUID (version 5 layout) so re-exporting the same history gives the same run ids."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, "mlprep:" + "|".join(parts)))
