"""Lineage: the manifest model, and showing, verifying and replaying histories."""

from mlprep.lineage.model import LINEAGE_VERSION, DatasetRef, Manifest, load_manifest, sidecar_path

__all__ = ["LINEAGE_VERSION", "DatasetRef", "Manifest", "load_manifest", "sidecar_path"]
