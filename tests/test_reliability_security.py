"""Manifests are data, outputs never write through links or over inputs, temps stay private.

Reads are observed with a Python audit hook (``open`` events), so "never read" is checked, not
assumed: hashing in ``lineage verify`` and manifest loading go through Python's ``open``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import sys
from pathlib import Path

import polars as pl
import pytest

from mlprep import io as mio
from tests.conftest import ROOT, SAMPLE, files_in

OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if OPENED is not None and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


def mlprep(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run a command in-process (as the executable does) and record every file Python opens."""
    global OPENED
    from mlprep.cli.main import _run

    capsys.readouterr()
    OPENED = []
    try:
        code = _run([str(a) for a in args])
    finally:
        opened, OPENED = OPENED, None
    captured = capsys.readouterr()
    mlprep.opened = opened  # type: ignore[attr-defined]
    return code, captured.out, captured.err


def _opened_under(folder: Path) -> list[str]:
    return [p for p in mlprep.opened if Path(p).resolve().is_relative_to(folder.resolve())]  # type: ignore[attr-defined]


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """proj/raw.parquet → proj/splits/{train,valid,test}.parquet (paths '../raw.parquet'), and a secret outside."""
    proj = tmp_path / "proj"
    proj.mkdir()
    pl.read_parquet(SAMPLE).head(3000).write_parquet(proj / "raw.parquet")
    secret = tmp_path / "secret"
    secret.mkdir()
    pl.DataFrame({"k": [1]}).write_parquet(secret / "key.parquet")
    monkeypatch.chdir(proj)
    code, _, err = mlprep(capsys, "split", "raw.parquet", "--time-col", "event_time", "--out-dir", "splits", "-q")
    assert code == 0, err
    code, _, err = mlprep(capsys, "scale", "splits/train.parquet", "splits/test.parquet", "--cols", "amount", "--out-dir", "scaled", "-q")
    assert code == 0, err
    return proj


def _tamper(sidecar: Path, path: str) -> None:
    manifest = json.loads(sidecar.read_text())
    manifest["inputs"][0]["path"] = path
    sidecar.write_text(json.dumps(manifest))


def test_sibling_folder_paths_verify_inside_the_default_root(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = mlprep(capsys, "lineage", "verify", "scaled/test.parquet", "--json")
    assert code == 0, err
    paths = {c["path"]: c["status"] for c in json.loads(out)}
    assert paths == {"scaled/test.parquet": "ok", "splits/test.parquet": "ok", "splits/train.parquet": "ok", "raw.parquet": "ok"}
    manifest = json.loads((project / "splits" / "test.parquet.lineage.json").read_text())
    assert manifest["inputs"][0]["path"] == "../raw.parquet"


@pytest.mark.parametrize("kind", ["absolute", "dot-dot escape", "symlink escape", "folder with a symlink out"])
def test_manifest_paths_outside_the_root_are_reported_and_never_read(project: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    secret = project.parent / "secret"
    sidecar = project / "splits" / "test.parquet.lineage.json"
    if kind == "absolute":
        _tamper(sidecar, str(secret / "key.parquet"))
    elif kind == "dot-dot escape":
        _tamper(sidecar, "../../secret/key.parquet")
    elif kind == "symlink escape":
        (project / "link.parquet").symlink_to(secret / "key.parquet")
        _tamper(sidecar, "../link.parquet")
    else:
        (project / "folder").mkdir()
        (project / "folder" / "x.parquet").symlink_to(secret / "key.parquet")
        _tamper(sidecar, "../folder")
    code, out, err = mlprep(capsys, "lineage", "verify", "splits/test.parquet", "--json")
    assert code == 1
    statuses = [c["status"] for c in json.loads(out)]
    assert statuses.count("outside") == 1 and "modified" not in statuses
    assert "outside" in err and "--root" in err and len(err.strip().splitlines()) == 1
    assert _opened_under(secret) == []
    # Naming a wider root is the way to follow relative paths on purpose; an absolute path is
    # never followed (mlprep records only relative ones).
    code, out, _ = mlprep(capsys, "lineage", "verify", "splits/test.parquet", "--json", "--root", project.parent)
    assert ("outside" in [c["status"] for c in json.loads(out)]) == (kind == "absolute")


def test_replay_reads_no_path_recorded_in_a_manifest(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = project.parent / "secret"
    for sidecar in (project / "scaled" / "test.parquet.lineage.json", project / "splits" / "test.parquet.lineage.json"):
        _tamper(sidecar, str(secret / "key.parquet"))
    code, _, err = mlprep(capsys, "lineage", "replay", "raw.parquet", "--like", "scaled/test.parquet", "-o", "served.parquet", "-q")
    assert code == 0, err
    assert _opened_under(secret) == []
    assert pl.read_parquet("served.parquet").height == 3000


# ---------------------------------------------------------------------------------------------
# Outputs


def test_an_output_that_is_a_symlink_is_replaced_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "elsewhere" / "victim.parquet"
    victim.parent.mkdir()
    pl.DataFrame({"v": [1, 2]}).write_parquet(victim)
    victim_manifest = tmp_path / "elsewhere" / "notes.json"
    victim_manifest.write_text("keep me")
    before = victim.read_bytes()
    out = tmp_path / "out" / "o.parquet"
    out.parent.mkdir()
    out.symlink_to(victim)
    Path(f"{out}.lineage.json").symlink_to(victim_manifest)
    code, _, err = mlprep(capsys, "convert", SAMPLE, "-o", out, "-q")
    assert code == 0, err
    assert victim.read_bytes() == before and victim_manifest.read_text() == "keep me"
    assert not out.is_symlink() and not Path(f"{out}.lineage.json").is_symlink()
    assert pl.read_parquet(out).height == 50_000


def _alias(kind: str, target: Path, alias: Path) -> None:
    alias.parent.mkdir(parents=True, exist_ok=True)
    if kind == "hard link":
        os.link(target, alias)
    else:
        alias.symlink_to(target)


# command -> (arguments; IN is the input whose alias is the output path ALIAS, or OUTDIR/train.parquet)
SAME_FILE_CASES = {
    "convert": ["convert", "{IN}", "-o", "{ALIAS}"],
    "sample random": ["sample", "random", "{IN}", "-n", "10", "-o", "{ALIAS}"],
    "encode onehot": ["encode", "onehot", "{IN}", "--cols", "category", "-o", "{ALIAS}"],
    "join asof (features input)": ["join", "asof", str(SAMPLE), "{IN}", "--by", "user_id", "--time-col", "event_time", "--feature-time-col", "snapshot_time", "-o", "{ALIAS}"],
    "impute --out-dir (fitted)": ["impute", "{IN}", "--cols", "amount", "--out-dir", "{OUTDIR}"],
    "split --out-dir": ["split", "{IN}", "--time-col", "event_time", "--out-dir", "{OUTDIR}"],
}


@pytest.mark.parametrize("kind", ["hard link", "symlink"])
@pytest.mark.parametrize("case", list(SAME_FILE_CASES))
def test_an_output_that_is_an_input_by_device_and_inode_is_refused_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, kind: str
) -> None:
    source = ROOT / "sample_data" / ("user_features.parquet" if case.startswith("join") else "transactions.parquet")
    inp = tmp_path / "in" / "train.parquet"
    inp.parent.mkdir()
    shutil.copy(source, inp)
    alias = tmp_path / "out" / ("train.parquet" if "--out-dir" in case else "alias.parquet")
    _alias(kind, inp, alias)
    before = inp.read_bytes()
    listing = files_in(tmp_path)
    args = [a.replace("{IN}", str(inp)).replace("{ALIAS}", str(alias)).replace("{OUTDIR}", str(alias.parent)) for a in SAME_FILE_CASES[case]]
    code, _, err = mlprep(capsys, *args, "-q")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "is the input" in err
    assert inp.read_bytes() == before and files_in(tmp_path) == listing


def test_temporaries_are_hidden_not_parquet_and_follow_the_umask(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, int]] = []
    original = mio.commit_temp

    def record(tmp: Path, target: Path) -> None:
        seen.append((Path(tmp).name if Path(tmp).name != "data.tmp" else Path(tmp).parent.name, stat.S_IMODE(os.stat(tmp).st_mode)))
        original(tmp, target)

    monkeypatch.setattr(mio, "commit_temp", record)
    old = os.umask(0o027)
    try:
        code, _, err = mlprep(capsys, "split", SAMPLE, "--time-col", "event_time", "--out-dir", tmp_path / "out", "-q")
    finally:
        os.umask(old)
    assert code == 0, err
    assert len(seen) == 6  # three outputs and their manifests
    for name, mode in seen:
        assert name.startswith(".") and not name.endswith(".parquet") and name.endswith(mio.TEMP_SUFFIX), name
        assert mode == 0o640, (name, oct(mode))
    for path in (tmp_path / "out").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path


def test_no_pickle_joblib_or_other_code_loading_serialiser_in_the_package() -> None:
    pattern = re.compile(r"\b(pickle|cPickle|joblib|dill|cloudpickle|shelve|marshal)\b|allow_pickle\s*=\s*True|torch\.load|yaml\.load\(")
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((ROOT / "mlprep").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []
