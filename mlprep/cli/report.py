"""Shared reporting after a step ran: warnings, and where each output went."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mlprep.cli import console

if TYPE_CHECKING:
    from mlprep.lineage.model import Manifest
    from mlprep.runner import StepRun


def report_run(run: "StepRun", manifests: Sequence["Manifest"], paths: Sequence[str], *, as_json: bool = False) -> None:
    """Print the run's warnings, then one line per output (or the manifests as JSON)."""
    for message in run.warnings:
        console.warn(message)
    if as_json:
        console.print_json([m.to_dict() for m in manifests] if len(manifests) != 1 else manifests[0].to_dict())
        return
    for path, manifest in zip(paths, manifests):
        if path == "-":
            continue
        rows = manifest.output.rows
        role = f" [{manifest.role}]" if manifest.role else ""
        console.info(f"wrote {path}{role}: {rows:,} rows (lineage: {path}.lineage.json)")
