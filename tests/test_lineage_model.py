"""The manifest model: JSON round trip, nesting, relative paths, strict parsing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from mlprep.errors import ManifestError
from mlprep.lineage.model import Manifest, load_manifest, parse_json, sidecar_path
import mlprep.lineage.verify as verify_module
from mlprep.lineage.verify import verify, verify_all
from mlprep.runner import Output, StepRun, open_input


def _convert(src: Path, out: Path) -> Manifest:
    data = open_input(str(src))
    return StepRun("convert", params={"cols": None}).write([Output(str(out), data.frame, data_inputs=[data])])[0]


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    """raw.parquet → a/one.parquet → a/b/two.parquet, all inside tmp_path/project."""
    project = tmp_path / "project"
    project.mkdir()
    pl.DataFrame({"x": [1, 2, 3]}).write_parquet(project / "raw.parquet")
    _convert(project / "raw.parquet", project / "a" / "one.parquet")
    _convert(project / "a" / "one.parquet", project / "a" / "b" / "two.parquet")
    return project


def test_round_trip_is_identical(chain: Path) -> None:
    text = sidecar_path(chain / "a" / "b" / "two.parquet").read_text()
    manifest = Manifest.from_json(text, origin="t")
    assert manifest.to_json() == text


def test_nested_history_with_relative_posix_paths(chain: Path) -> None:
    manifest, origin = load_manifest(chain / "a" / "b" / "two.parquet")
    assert origin == "sidecar"
    assert manifest.output.path == "two.parquet"
    assert manifest.inputs[0].path == "../one.parquet"
    parent = manifest.inputs[0].lineage
    assert parent is not None and parent.inputs[0].path == "../raw.parquet"
    assert parent.inputs[0].lineage is None
    assert [m.step for _, m in manifest.walk()] == ["convert", "convert"]


def test_embedded_copy_matches_sidecar_minus_volatile_fields(chain: Path) -> None:
    path = chain / "a" / "b" / "two.parquet"
    sidecar = json.loads(sidecar_path(path).read_text())
    embedded = json.loads(pl.read_parquet_metadata(path)["mlprep.lineage"])
    assert "created_at" not in embedded and "created_at" not in embedded["inputs"][0]["lineage"]
    assert "sha256" not in embedded["output"]
    for key in ("step", "params", "command", "state", "report"):
        assert embedded[key] == sidecar[key]
    assert embedded["inputs"][0]["sha256"] == sidecar["inputs"][0]["sha256"]


def test_embedded_copy_is_used_when_the_sidecar_is_gone(chain: Path) -> None:
    path = chain / "a" / "b" / "two.parquet"
    sidecar_path(path).unlink()
    manifest, origin = load_manifest(path)
    assert origin == "embedded"
    assert manifest.inputs[0].path == "../one.parquet"


def test_moving_the_whole_folder_keeps_lineage_valid(chain: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.move(chain, moved)
    assert {c.status for c in verify(moved / "a" / "b" / "two.parquet", root=moved)} == {"ok"}


def test_verify_flags_a_changed_byte_in_an_ancestor(chain: Path) -> None:
    raw = chain / "raw.parquet"
    data = bytearray(raw.read_bytes())
    data[10] ^= 0xFF
    raw.write_bytes(bytes(data))
    statuses = {Path(c.path).name: c.status for c in verify(chain / "a" / "b" / "two.parquet", root=chain)}
    assert statuses == {"two.parquet": "ok", "one.parquet": "ok", "raw.parquet": "modified"}


def test_verify_all_hashes_each_shared_ancestor_once_and_reports_it_per_target(chain: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _convert(chain / "a" / "one.parquet", chain / "a" / "three.parquet")  # a sibling of b/two, same ancestors
    hashed: list[str] = []
    real = verify_module.path_sha256

    def counting(path: Path) -> str:
        hashed.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(verify_module, "path_sha256", counting)
    (chain / "raw.parquet").write_bytes(b"changed")
    checks = verify_all([chain / "a" / "b" / "two.parquet", chain / "a" / "three.parquet"], root=chain)
    assert sorted(hashed) == ["one.parquet", "raw.parquet", "three.parquet", "two.parquet"]
    assert [(Path(c.path).name, c.status) for c in checks] == [
        ("two.parquet", "ok"), ("one.parquet", "ok"), ("raw.parquet", "modified"),
        ("three.parquet", "ok"), ("one.parquet", "ok"), ("raw.parquet", "modified"),
    ]
    assert checks[:3] == verify(chain / "a" / "b" / "two.parquet", root=chain)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "duplicate key"),
        ('{"a": NaN}', "NaN"),
        ('{"a": Infinity}', "Infinity"),
        ("[" * 300 + "]" * 300, "deeper"),
        ("not json", "not valid JSON"),
    ],
)
def test_strict_json_parsing(text: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        parse_json(text)


def test_a_json_file_that_is_not_a_manifest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.lineage.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(ManifestError, match="not an mlprep lineage manifest"):
        load_manifest(path)
