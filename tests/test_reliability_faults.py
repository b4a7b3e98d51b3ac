"""Faults during writes, over many commands: kills, failing steps, full and read-only disks, panics.

The invariant checked after every fault is the same (see :func:`check_output_folder`): each
visible ``*.parquet`` is complete and readable, and is either the previous output or the new
one, never a mix; every sidecar manifest describes the bytes beside it; anything left behind
is hidden, does not end in ``.parquet``, is never read as data, and the next run removes it.

Kill points are real SIGKILLs, either at a chosen file-system event of the write (the n-th
private-folder creation, manifest staging, unlink or rename: a wrapper counts them) or after a
random delay. The points are drawn from a random seed printed on failure; set
``MLPREP_FAULT_SEED`` to replay a run.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from mlprep import io as mio
from tests.conftest import ROOT, SAMPLE

SEED = int(os.environ.get("MLPREP_FAULT_SEED") or random.SystemRandom().randrange(2**32))
FEATURES = ROOT / "sample_data" / "user_features.parquet"

# Runs mlprep in a child that kills itself with SIGKILL at the KILL_AT-th file-system event of
# the write, or (KILL_AT=0) counts the events into COUNT_FILE.
KILL_WRAPPER = r'''
import atexit, os, signal, sys
import mlprep.io as mio
kill_at = int(os.environ["KILL_AT"])
seen = [0]
def event():
    seen[0] += 1
    if seen[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
def hook(fn):
    def wrapped(*args, **kwargs):
        event()
        return fn(*args, **kwargs)
    return wrapped
os.replace = hook(os.replace)
os.unlink = hook(os.unlink)
mio.temp_data_path = hook(mio.temp_data_path)
mio.write_sidecar_temp = hook(mio.write_sidecar_temp)
if kill_at == 0:
    atexit.register(lambda: open(os.environ["COUNT_FILE"], "w").write(str(seen[0])))
from mlprep.cli.main import main
main(sys.argv[1:])
'''


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (hidden ones included) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def check_output_folder(folder: Path, allowed: dict[str, set[str]] | None = None) -> list[Path]:
    """Assert the write invariants over ``folder``; return the hidden leftovers.

    ``allowed`` maps an output name to the sha256s it may have (the previous and the new one).
    """
    leftovers: list[Path] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            if path.is_file():
                assert not path.name.endswith(".parquet"), f"a leftover looks like data: {rel}"
            if len(rel.parts) == 1:
                leftovers.append(path)
            continue
        if path.is_dir():
            continue
        assert path.name.endswith((".parquet", ".parquet.lineage.json")), f"unexpected file {rel}"
        if path.name.endswith(".lineage.json"):
            assert (path.parent / path.name[: -len(".lineage.json")]).exists(), f"a manifest without its output: {rel}"
            continue
        digest = sha(path)
        pl.read_parquet(path)  # complete: the footer and every page read
        if allowed is not None and rel.as_posix() in allowed:
            assert digest in allowed[rel.as_posix()], f"{rel} is neither the previous output nor the new one"
        sidecar = Path(f"{path}.lineage.json")
        if sidecar.exists():
            manifest = json.loads(sidecar.read_text())
            assert manifest["output"]["sha256"] == digest, f"the manifest of {rel} describes other bytes"
            assert manifest["output"]["rows"] == pl.scan_parquet(path).select(pl.len()).collect().item()
    # A folder read never takes a leftover for data.
    if any(p.suffix == ".parquet" for p in folder.iterdir()):
        source = mio.resolve_input(str(folder))
        assert all(not p.name.startswith(".") and p.suffix == ".parquet" for p in source.paths)
    return leftovers


def _run(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", KILL_WRAPPER, *args], capture_output=True, text=True, cwd=cwd,
        env={**os.environ, "KILL_AT": "-1", **(env or {})}, timeout=300,
    )


def _outputs(folder: Path) -> dict[str, str]:
    return {p.name: sha(p) for p in folder.glob("*.parquet")}


@pytest.fixture(scope="module")
def splits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train/valid/test splits of the sample, with roles, shared by the fitted-step cases."""
    folder = tmp_path_factory.mktemp("splits")
    done = _run(["split", str(SAMPLE), "--time-col", "event_time", "--ratios", "0.7,0.15,0.15", "--out-dir", str(folder), "-q"])
    assert done.returncode == 0, done.stderr
    return folder


# name -> (arguments writing the NEW outputs into OUT, arguments writing different PREVIOUS ones).
# One command per write shape: single output, multi-output split, fitted --out-dir, two inputs;
# encode, sample and balance write through the same path and are covered by the families below.
KILL_CASES: dict[str, tuple[list[str], list[str]]] = {
    "convert": (["convert", "{S}", "-o", "{OUT}/o.parquet"], ["convert", "{S}", "-o", "{OUT}/o.parquet", "--cols", "amount,f0"]),
    "split --out-dir": (
        ["split", "{S}", "--time-col", "event_time", "--ratios", "0.7,0.15,0.15", "--out-dir", "{OUT}"],
        ["split", "{S}", "--time-col", "event_time", "--ratios", "0.5,0.25,0.25", "--out-dir", "{OUT}"],
    ),
    "impute --out-dir (fitted)": (
        ["impute", "{SPLITS}/train.parquet", "{SPLITS}/valid.parquet", "{SPLITS}/test.parquet", "--out-dir", "{OUT}", "--strategy", "median", "--cols", "amount,f*"],
        ["impute", "{SPLITS}/train.parquet", "{SPLITS}/valid.parquet", "{SPLITS}/test.parquet", "--out-dir", "{OUT}", "--strategy", "mean", "--cols", "amount"],
    ),
    "join asof": (
        ["join", "asof", "{S}", str(FEATURES), "--by", "user_id", "--time-col", "event_time", "--feature-time-col", "snapshot_time", "-o", "{OUT}/j.parquet"],
        ["join", "asof", "{S}", str(FEATURES), "--by", "user_id", "--time-col", "event_time", "--feature-time-col", "snapshot_time", "--max-age", "1d", "-o", "{OUT}/j.parquet"],
    ),
}


@pytest.mark.parametrize("case", list(KILL_CASES))
def test_sigkill_at_random_points_keeps_each_output_old_or_new_and_manifests_matching(tmp_path: Path, splits: Path, case: str) -> None:
    rng = random.Random(f"{SEED}-{case}")
    out = tmp_path / "out"

    def fill(args: list[str]) -> list[str]:
        return [a.replace("{S}", str(SAMPLE)).replace("{OUT}", str(out)).replace("{SPLITS}", str(splits)) for a in [*args, "-q"]]

    new_args, old_args = map(fill, KILL_CASES[case])
    count_file = tmp_path / "count"
    started = time.monotonic()
    done = _run(new_args, {"KILL_AT": "0", "COUNT_FILE": str(count_file)})
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    events = int(count_file.read_text())
    new = _outputs(out)
    shutil.rmtree(out)
    assert _run(old_args).returncode == 0
    old = _outputs(out)
    assert set(old) == set(new) and all(old[k] != new[k] for k in old)
    previous = snapshot(out)
    allowed = {name: {old[name], new[name]} for name in new}

    points = rng.sample(range(1, events + 1), k=min(2, events))
    for point in [*points, "timed"]:
        why = f"seed {SEED} (MLPREP_FAULT_SEED), {case}, kill at event {point} of {events}"
        if point == "timed":
            proc = subprocess.Popen([sys.executable, "-c", KILL_WRAPPER, *new_args], env={**os.environ, "KILL_AT": "-1"}, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.2, 1.0) * duration)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        else:
            killed = _run(new_args, {"KILL_AT": str(point)})
            assert killed.returncode == -signal.SIGKILL, (why, killed.returncode, killed.stderr)
        try:
            check_output_folder(out, allowed)
        except AssertionError as exc:
            raise AssertionError(f"{why}: {exc}") from exc
        # Back to the previous state for the next kill, but keep what the kill left behind.
        for rel, data in previous.items():
            (out / rel).write_bytes(data)

    # The next complete run writes the new outputs and removes every leftover of the killed runs.
    assert _run(new_args).returncode == 0
    assert check_output_folder(out, {name: {new[name]} for name in new}) == [], f"seed {SEED}: leftovers survived a later run"
    assert _outputs(out) == new


# ---------------------------------------------------------------------------------------------
# In-process faults: the command runs through mlprep.cli.main._run, as the executable does.


def mlprep_inproc(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str]:
    from mlprep.cli.main import _run as run_cli

    capsys.readouterr()
    code = run_cli([str(a) for a in args])
    return code, capsys.readouterr().err


def assert_one_line(code: int, err: str, expected_code: int, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == expected_code and len(lines) == 1, (code, err)
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# command family -> (good arguments, failing arguments) writing into OUT
FAMILIES: dict[str, tuple[list[str], list[str]]] = {
    "convert": (["convert", "{S}", "-o", "{OUT}/o.parquet"], ["convert", "{S}", "-o", "{OUT}/o.parquet", "--cols", "amuont"]),
    "split": (
        ["split", "{S}", "--time-col", "event_time", "--out-dir", "{OUT}"],
        ["split", "{S}", "--time-col", "event_tim", "--out-dir", "{OUT}"],
    ),
    "sample": (["sample", "random", "{S}", "-n", "100", "-o", "{OUT}/o.parquet"], ["sample", "stratified", "{S}", "--by", "nope", "-n", "100", "-o", "{OUT}/o.parquet"]),
    "impute/scale/bin (fitted)": (
        ["scale", "{SPLITS}/train.parquet", "{SPLITS}/test.parquet", "--cols", "amount", "--out-dir", "{OUT}"],
        ["scale", "{SPLITS}/test.parquet", "{SPLITS}/train.parquet", "--cols", "amount", "--out-dir", "{OUT}"],  # fit on test: refused
    ),
    "encode": (
        ["encode", "onehot", "{SPLITS}/train.parquet", "--cols", "category", "-o", "{OUT}/o.parquet"],
        ["encode", "onehot", "{SPLITS}/train.parquet", "--cols", "categroy", "-o", "{OUT}/o.parquet"],
    ),
    "balance": (
        ["balance", "{SPLITS}/train.parquet", "--target", "is_fraud", "--method", "random-under", "-o", "{OUT}/o.parquet"],
        ["balance", "{SPLITS}/train.parquet", "--target", "is_frau", "--method", "random-under", "-o", "{OUT}/o.parquet"],
    ),
    "join": (
        ["join", "asof", "{S}", str(FEATURES), "--by", "user_id", "--time-col", "event_time", "--feature-time-col", "snapshot_time", "-o", "{OUT}/o.parquet"],
        ["join", "asof", "{S}", str(FEATURES), "--by", "user", "--time-col", "event_time", "--feature-time-col", "snapshot_time", "-o", "{OUT}/o.parquet"],
    ),
    "lineage replay": (
        ["lineage", "replay", "{S}", "--like", "{SPLITS}/../scaled/test.parquet", "-o", "{OUT}/o.parquet"],
        ["lineage", "replay", "{FEATURES}", "--like", "{SPLITS}/../scaled/test.parquet", "-o", "{OUT}/o.parquet"],  # columns differ
    ),
}


@pytest.fixture(scope="module")
def scaled(splits: Path) -> Path:
    folder = splits.parent / "scaled"
    done = _run(["scale", f"{splits}/train.parquet", f"{splits}/test.parquet", "--cols", "amount", "--out-dir", str(folder), "-q"])
    assert done.returncode == 0, done.stderr
    return folder


def _fill(args: list[str], out: Path, splits: Path) -> list[str]:
    return [a.replace("{S}", str(SAMPLE)).replace("{OUT}", str(out)).replace("{SPLITS}", str(splits)).replace("{FEATURES}", str(FEATURES)) for a in [*args, "-q"]]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_failing_step_leaves_an_existing_good_output_and_manifest_untouched(
    tmp_path: Path, splits: Path, scaled: Path, family: str, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = (_fill(a, tmp_path / "out", splits) for a in FAMILIES[family])
    code, err = mlprep_inproc(capsys, *good)
    assert code == 0, err
    before = snapshot(tmp_path / "out")
    code, err = mlprep_inproc(capsys, *bad)
    assert_one_line(code, err, 2)
    assert snapshot(tmp_path / "out") == before
    check_output_folder(tmp_path / "out")


@pytest.mark.parametrize("fail_at", ["collect", "second manifest"])
def test_a_late_failure_in_a_multi_output_write_changes_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fail_at: str) -> None:
    out = tmp_path / "out"
    code, err = mlprep_inproc(capsys, "split", SAMPLE, "--time-col", "event_time", "--ratios", "0.5,0.25,0.25", "--out-dir", out, "-q")
    assert code == 0, err
    before = snapshot(out)
    if fail_at == "collect":
        def full(*_a: object, **_k: object) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(pl, "collect_all", full)
    else:
        calls = []
        original = mio._apply_umask_mode

        def fifth_fails(path: Path) -> None:  # 3 Parquet temps, then the manifests: the 2nd fails
            calls.append(path)
            if len(calls) == 5:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            original(path)

        monkeypatch.setattr(mio, "_apply_umask_mode", fifth_fails)
    code, err = mlprep_inproc(capsys, "split", SAMPLE, "--time-col", "event_time", "--out-dir", out, "-q")
    assert_one_line(code, err, 2, repr(str(out)), "no space left on device")
    assert snapshot(out) == before  # no output, no manifest, no temp changed or left


def test_polars_panic_is_an_internal_error_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def panic(*_a: object, **_k: object) -> None:
        raise pl.exceptions.PanicException("index out of bounds")

    monkeypatch.setattr(pl, "collect_all", panic)
    code, err = mlprep_inproc(capsys, "split", SAMPLE, "--time-col", "event_time", "--out-dir", tmp_path / "out", "-q")
    assert_one_line(code, err, 70, "internal error", "PanicException", "bug")
    assert [p for p in (tmp_path / "out").rglob("*")] == []


# ---------------------------------------------------------------------------------------------
# Full and read-only disks: small tmpfs mounts inside the test's folder where the machine allows
# mounting, else the same OS errors injected into the write path.


def _mount(folder: Path, options: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


def _umount(folder: Path) -> None:
    subprocess.run(["umount", str(folder)], capture_output=True)


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "full"
    mounted = _mount(folder, "size=1m")
    if not mounted:  # the streaming sink is Rust: its failure arrives as a polars error with the OS code
        def enospc(*_a: object, **_k: object) -> None:
            raise pl.exceptions.ComputeError("parquet: underlying IO error: No space left on device (os error 28)")

        monkeypatch.setattr(pl, "collect_all", enospc)
    yield folder
    if mounted:
        _umount(folder)


@pytest.fixture
def read_only_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "ro"
    mounted = _mount(folder, "size=1m,ro")
    if not mounted:
        monkeypatch.setattr(os, "access", lambda *_a, **_k: False)
        monkeypatch.setattr(os, "statvfs", lambda _p: type("S", (), {"f_flag": os.ST_RDONLY})())
    yield folder
    if mounted:
        _umount(folder)


CASES_ON_DISK: dict[str, Callable[[Path, Path], list[object]]] = {
    "convert": lambda out, _s: ["convert", SAMPLE, "-o", out / "sub" / "o.parquet"],
    "split --out-dir": lambda out, _s: ["split", SAMPLE, "--time-col", "event_time", "--out-dir", out],
    "impute --out-dir": lambda out, s: ["impute", s / "train.parquet", s / "test.parquet", "--cols", "amount", "--out-dir", out],
}


@pytest.mark.parametrize("case", list(CASES_ON_DISK))
def test_full_disk_is_one_clear_line_and_leaves_nothing(full_disk: Path, splits: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = CASES_ON_DISK[case](full_disk, splits)
    code, err = mlprep_inproc(capsys, *args, "-q")
    folder = full_disk / "sub" if case == "convert" else full_disk
    assert_one_line(code, err, 2, "cannot write to output folder", repr(str(folder)), "no space left on device")
    assert list(full_disk.rglob("*")) == []  # no temp, and not even the folder the run created


@pytest.mark.parametrize("case", list(CASES_ON_DISK))
def test_read_only_output_folder_is_one_clear_line_and_leaves_nothing(read_only_disk: Path, splits: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    if case == "convert":
        args: list[object] = ["convert", SAMPLE, "-o", read_only_disk / "o.parquet"]
    else:
        args = CASES_ON_DISK[case](read_only_disk, splits)
    code, err = mlprep_inproc(capsys, *args, "-q")
    assert_one_line(code, err, 2, repr(str(read_only_disk)), "read-only file system")
    assert list(read_only_disk.rglob("*")) == []


def test_an_output_folder_named_like_a_temporary_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Regression: committing a manifest used to delete any parent folder whose name ended in .tmp.
    out = tmp_path / "run.tmp" / "o.parquet"
    code, err = mlprep_inproc(capsys, "convert", SAMPLE, "-o", out, "-q")
    assert code == 0, err
    assert sorted(p.name for p in out.parent.iterdir()) == ["o.parquet", "o.parquet.lineage.json"]
    check_output_folder(out.parent)
