"""`mlprep split` through the installed executable: outputs, roles, manifests, errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from conftest import MLPREP, assert_one_line_error, files_in, run_mlprep


def manifest(path: Path) -> dict:
    return json.loads(Path(f"{path}.lineage.json").read_text())


def embedded(path: Path) -> dict:
    return json.loads(pl.read_parquet_metadata(path)["mlprep.lineage"])


@pytest.fixture
def events(tmp_path: Path) -> Path:
    """400 events, one a minute, in shuffled order, with a user, a class and a time-zone-aware copy."""
    n = 400
    order = pl.Series(range(n)).shuffle(seed=3)
    frame = pl.DataFrame({
        "event_time": [dt.datetime(2025, 3, 1) + dt.timedelta(minutes=int(m)) for m in order],
        "user": [f"u{int(m) % 37}" for m in order],
        "label": [int(m) % 4 == 0 for m in order],
        "uid": [f"r{int(m)}" for m in order],
        "x": [float(m) for m in order],
    })
    path = tmp_path / "events.parquet"
    frame.write_parquet(path)
    return path


def test_time_split_writes_three_files_with_roles_and_report(sample, tmp_path):
    out = tmp_path / "splits"
    result = run_mlprep("split", sample, "--time-col", "event_time", "--ratios", "0.7,0.15,0.15", "--out-dir", out)
    assert result.returncode == 0, result.stderr
    assert files_in(out) == [f"{s}.parquet{x}" for s in ("test", "train", "valid") for x in ("", ".lineage.json")]
    frames = {s: pl.read_parquet(out / f"{s}.parquet") for s in ("train", "valid", "test")}
    assert frames["train"]["event_time"].max() < frames["valid"]["event_time"].min()
    assert frames["valid"]["event_time"].max() < frames["test"]["event_time"].min()
    for name, frame in frames.items():
        m = manifest(out / f"{name}.parquet")
        assert m["step"] == "split" and m["output"]["role"] == name and "fold" not in m["output"]
        assert m["output"]["rows"] == frame.height == m["report"]["rows"][name]
        assert m["report"]["split"] == name
        assert m["params"]["ratios"] == [0.7, 0.15, 0.15] and m["params"]["seed"] == 0 and m["params"]["gap"] is None
        assert m["inputs"][0]["use"] == "data" and m["inputs"][0]["rows"] == 50_000
        assert embedded(out / f"{name}.parquet")["output"]["role"] == name
    report = manifest(out / "train.parquet")["report"]
    assert sum(report["rows"].values()) == 50_000
    assert len(report["cutoffs"]) == 2
    assert frames["valid"]["event_time"].min() >= dt.datetime.fromisoformat(report["cutoffs"][0])
    assert frames["train"]["event_time"].max() < dt.datetime.fromisoformat(report["cutoffs"][0])
    assert "cut points (event_time):" in result.stderr and "wrote" in result.stderr
    assert run_mlprep("lineage", "verify", out / "test.parquet").returncode == 0


def test_folds_write_fold_folders_with_fold_numbers(events, tmp_path):
    out = tmp_path / "folds"
    result = run_mlprep("split", events, "--time-col", "event_time", "--folds", "3", "--test-ratio", "0.2", "--gap", "5m", "--out-dir", out)
    assert result.returncode == 0, result.stderr
    parquet = [f for f in files_in(out) if f.endswith(".parquet")]
    assert parquet == ["fold-1/train.parquet", "fold-1/valid.parquet", "fold-2/train.parquet", "fold-2/valid.parquet",
                       "fold-3/train.parquet", "fold-3/valid.parquet", "test.parquet"]
    for k in (1, 2, 3):
        for role in ("train", "valid"):
            m = manifest(out / f"fold-{k}" / f"{role}.parquet")
            assert (m["output"]["role"], m["output"]["fold"]) == (role, k)
            assert m["inputs"][0]["path"] == "../../events.parquet"
    test = manifest(out / "test.parquet")
    assert test["output"]["role"] == "test" and "fold" not in test["output"]
    assert test["report"]["rows"] == {"fold-1/train": 80, "fold-1/valid": 75, "fold-2/train": 160, "fold-2/valid": 75,
                                      "fold-3/train": 240, "fold-3/valid": 75, "test": 75}
    assert test["report"]["dropped_by_gap"] == {"fold-1/valid": 5, "fold-2/valid": 5, "fold-3/valid": 5, "test": 5}
    assert test["params"]["folds"] == 3 and test["params"]["window"] == "expanding"
    assert pl.read_parquet(out / "fold-2" / "train.parquet").height == 160


def test_random_split_warns_about_the_time_column_and_records_it(events, tmp_path):
    out = tmp_path / "r"
    result = run_mlprep("split", events, "--random", "--ratios", "0.8,0.2", "--seed", "5", "--out-dir", out, "-q")
    assert result.returncode == 0
    warnings = [line for line in result.stderr.splitlines() if line]
    assert len(warnings) == 1 and warnings[0].startswith("mlprep: warning:")
    assert "'event_time'" in warnings[0] and "--time-col event_time" in warnings[0]
    m = manifest(out / "test.parquet")
    assert m["report"]["warnings"] == [warnings[0].removeprefix("mlprep: warning: ")]
    assert m["params"]["keyed_scheme"] == "splitmix64-v1" and m["params"]["seed"] == 5 and m["params"]["method"] == "random"
    assert sorted(files_in(out)) == ["test.parquet", "test.parquet.lineage.json", "train.parquet", "train.parquet.lineage.json"]


def _outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in files_in(folder) if name.endswith(".parquet")}


def test_outputs_are_byte_identical_across_threads_and_batch_sizes(sample, tmp_path):
    runs = [
        ("one-thread", {"POLARS_MAX_THREADS": "1"}),
        ("small-batches", {"POLARS_MAX_THREADS": "2", "POLARS_IDEAL_MORSEL_SIZE": "1000"}),
    ]
    results = []
    for label, env in runs:
        (tmp_path / label).mkdir()  # same command line and relative paths, so the manifests agree too
        run_mlprep("split", sample, "--time-col", "event_time", "--gap", "1h", "--out-dir", "o", "-q", env=env, cwd=tmp_path / label, check=True)
        results.append(_outputs(tmp_path / label / "o"))
    assert results[0] == results[1]


RANDOM_PLANS = """
import hashlib, sys
import polars as pl
from mlprep.steps.split import random_split
lf = pl.scan_parquet(sys.argv[1])
for kw in ({"stratify": "is_fraud", "seed": 9}, {"group_col": "user_id", "stratify": "is_fraud"}, {"key_col": "merchant"}):
    result = random_split(lf, ratios=[0.6, 0.2, 0.2], **kw)
    for part, frame in zip(result.parts, pl.collect_all([p.frame for p in result.parts], engine="streaming")):
        print(part.name, frame.height, hashlib.sha256(frame.rechunk().write_ipc(None).getvalue()).hexdigest())
"""


def test_random_splits_are_identical_across_threads_and_batch_sizes(sample):
    outputs = []
    for env in ({"POLARS_MAX_THREADS": "1"}, {"POLARS_MAX_THREADS": "2", "POLARS_IDEAL_MORSEL_SIZE": "700"}):
        proc = subprocess.run([sys.executable, "-c", RANDOM_PLANS, str(sample)], capture_output=True, text=True, env={**os.environ, **env}, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == 9


def test_partitioned_input_splits_like_the_single_file(events, tmp_path):
    frame = pl.read_parquet(events)
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(4):
        frame.slice(i * 100, 100).write_parquet(folder / f"part-{i}.parquet")
    for source, out in ((events, tmp_path / "a"), (folder, tmp_path / "b")):
        run_mlprep("split", source, "--random", "--seed", "1", "--out-dir", out, "-q", check=True)
    for name in ("train", "valid", "test"):
        assert pl.read_parquet(tmp_path / "a" / f"{name}.parquet").equals(pl.read_parquet(tmp_path / "b" / f"{name}.parquet"))


def test_key_col_keeps_rows_in_their_split_when_rows_are_appended(events, tmp_path):
    frame = pl.read_parquet(events)
    first = tmp_path / "first.parquet"
    frame.head(250).write_parquet(first)
    for source, out in ((first, tmp_path / "a"), (events, tmp_path / "b")):
        run_mlprep("split", source, "--random", "--key-col", "uid", "--seed", "2", "--out-dir", out, "-q", check=True)
    before = {uid: s for s in ("train", "valid", "test") for uid in pl.read_parquet(tmp_path / "a" / f"{s}.parquet")["uid"]}
    after = {uid: s for s in ("train", "valid", "test") for uid in pl.read_parquet(tmp_path / "b" / f"{s}.parquet")["uid"]}
    assert all(after[uid] == s for uid, s in before.items())


def test_stdin_and_csv_with_parse_time(events, tmp_path):
    out = tmp_path / "stdin"
    result = run_mlprep("split", "-", "--time-col", "event_time", "--ratios", "0.5,0.5", "--out-dir", out, "-q", stdin=events.read_bytes())
    assert result.returncode == 0, result.stderr
    assert manifest(out / "train.parquet")["inputs"][0]["path"] == "-"
    csv = tmp_path / "events.csv"
    pl.read_parquet(events).write_csv(csv)
    bad = run_mlprep("split", csv, "--time-col", "event_time", "--out-dir", tmp_path / "c")
    assert_one_line_error(bad, "--time-col 'event_time'", "is text (String)", "pass --parse-time")
    good = run_mlprep("split", csv, "--time-col", "event_time", "--parse-time", "--ratios", "0.5,0.5", "--out-dir", tmp_path / "c", "-q")
    assert good.returncode == 0, good.stderr
    assert pl.read_parquet(tmp_path / "c" / "train.parquet").equals(pl.read_parquet(out / "train.parquet"))


def test_null_times_error_or_are_dropped_and_counted(events, tmp_path):
    with_nulls = tmp_path / "nulls.parquet"
    pl.read_parquet(events).with_columns(
        pl.when(pl.col("x") < 7).then(None).otherwise(pl.col("event_time")).alias("event_time")
    ).write_parquet(with_nulls)
    out = tmp_path / "o"
    result = run_mlprep("split", with_nulls, "--time-col", "event_time", "--out-dir", out)
    assert_one_line_error(result, "has 7 null values (of 400 rows)", "--drop-null-time")
    assert not out.exists()
    result = run_mlprep("split", with_nulls, "--time-col", "event_time", "--drop-null-time", "--out-dir", out)
    assert result.returncode == 0 and "dropped for a null time: 7" in result.stderr
    m = manifest(out / "valid.parquet")
    assert m["report"]["dropped_null_time"] == 7 and sum(m["report"]["rows"].values()) == 393


def test_stale_split_files_are_an_error_unless_clean(events, tmp_path):
    out = tmp_path / "o"
    run_mlprep("split", events, "--time-col", "event_time", "--folds", "4", "--out-dir", out, "-q", check=True)
    (out / "notes.txt").write_text("mine")
    before = {name: (out / name).read_bytes() for name in files_in(out)}
    result = run_mlprep("split", events, "--time-col", "event_time", "--folds", "2", "--out-dir", out)
    assert_one_line_error(result, "holds split files from a different run", "fold-3/train.parquet", "--clean")
    assert {name: (out / name).read_bytes() for name in files_in(out)} == before  # nothing written
    # the same run again just overwrites
    run_mlprep("split", events, "--time-col", "event_time", "--folds", "4", "--out-dir", out, "-q", check=True)
    result = run_mlprep("split", events, "--time-col", "event_time", "--folds", "2", "--out-dir", out, "--clean")
    assert result.returncode == 0, result.stderr
    assert "removed stale split files" in result.stderr
    assert files_in(out) == sorted([f"fold-{k}/{r}.parquet{x}" for k in (1, 2) for r in ("train", "valid") for x in ("", ".lineage.json")] + ["notes.txt"])


def test_allow_empty_writes_an_empty_split(events, tmp_path):
    out = tmp_path / "o"
    args = ("split", events, "--time-col", "event_time", "--cutoffs", "2025-03-01T00:00:00", "--out-dir", out)
    assert_one_line_error(run_mlprep(*args), "split 'train' would be empty", "--allow-empty")
    assert not out.exists()
    run_mlprep(*args, "--allow-empty", "-q", check=True)
    assert pl.read_parquet(out / "train.parquet").height == 0
    assert pl.read_parquet(out / "train.parquet").schema == pl.read_parquet(events).schema


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--time-col", "event_tim"), ("column 'event_tim' (from --time-col) not found", "did you mean 'event_time'?")),
        (("--time-col", "x"), ("--time-col 'x'", "is Float64, not a date or datetime")),
        (("--time-col", "event_time", "--ratios", "0.7,0.2,0.2"), ("--ratios 0.7,0.2,0.2 sums to 1.1, not 1",)),
        (("--time-col", "event_time", "--ratios", "0.7,0,0.3"), ("every ratio must be positive",)),
        (("--time-col", "event_time", "--ratios", "a,b"), ("--ratios 'a,b' must be comma-separated numbers",)),
        (("--time-col", "event_time", "--cutoffs", "2025-03-01T05:00,2025-03-01T02:00"), ("--cutoffs must be increasing",)),
        (("--time-col", "event_time", "--cutoffs", "2024-01-01"), ("--cutoffs '2024-01-01' is outside the range of 'event_time'", "2025-03-01T00:00:00 to 2025-03-01T06:39:00")),
        (("--time-col", "event_time", "--cutoffs", "2025-03-01T02:00:00+01:00"), ("has a time zone offset but 'event_time' is naive",)),
        (("--time-col", "event_time", "--gap", "soon"), ("--gap 'soon' is not a duration",)),
        (("--time-col", "event_time", "--folds", "500"), ("500 folds need at least 501 rows",)),
        (("--time-col", "event_time", "--random"), ("--time-col and --random do not go together",)),
        (("--ratios", "0.5,0.5"), ("choose how to split",)),
        (("--stratify", "uid"), ("--stratify 'uid'", "too small to reach every split", "'r0' (1 rows)")),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(events, tmp_path, args, fragments):
    out = tmp_path / "o"
    result = run_mlprep("split", events, *args, "--out-dir", out)
    assert_one_line_error(result, *fragments)
    assert not out.exists()


def test_time_zone_rules_through_the_cli(events, tmp_path):
    aware = tmp_path / "aware.parquet"
    pl.read_parquet(events).with_columns(pl.col("event_time").dt.replace_time_zone("UTC")).write_parquet(aware)
    result = run_mlprep("split", aware, "--time-col", "event_time", "--cutoffs", "2025-03-01T03:00:00", "--out-dir", tmp_path / "o")
    assert_one_line_error(result, "has no time zone but 'event_time' is time-zone aware (UTC)", "add an offset")
    result = run_mlprep("split", aware, "--time-col", "event_time", "--cutoffs", "2025-03-01T05:00:00+02:00", "--out-dir", tmp_path / "o", "-q")
    assert result.returncode == 0, result.stderr
    report = manifest(tmp_path / "o" / "train.parquet")["report"]
    assert report["rows"] == {"train": 180, "test": 220} and report["cutoffs"] == ["2025-03-01T03:00:00+00:00"]


def test_json_report_and_help(events, tmp_path):
    result = run_mlprep("split", events, "--stratify", "label", "--ratios", "0.75,0.25", "--out-dir", tmp_path / "o", "--json")
    assert result.returncode == 0
    manifests = json.loads(result.out)
    assert [m["output"]["role"] for m in manifests] == ["train", "test"]
    assert manifests[0]["report"]["class_counts"] == [{"class": False, "train": 225, "test": 75}, {"class": True, "train": 75, "test": 25}]
    help_text = run_mlprep("split", "--help").out
    assert "Example: mlprep split sample_data/transactions.parquet" in help_text
    for option in ("--ratios", "--cutoffs", "--gap", "--folds", "--window", "--train-span", "--test-ratio", "--random",
                   "--stratify", "--group-col", "--key-col", "--seed", "--parse-time", "--drop-null-time", "--allow-empty", "--clean"):
        assert option in help_text


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_split_in_a_makefile(events, tmp_path):
    (tmp_path / "Makefile").write_text(
        f"splits/train.parquet: events.parquet\n\t{MLPREP} split $< --time-col event_time --out-dir splits -q\n"
    )
    first = subprocess.run(["make", "-s"], cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(["make", "-s", "-q"], cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0  # up to date: the target was written last
