"""`mlprep balance` through the real executable: outputs, manifests, the leakage guard, errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import ROOT, SAMPLE, assert_one_line_error, files_in, run_mlprep
from mlprep.runner import Output, StepRun, open_input
from mlprep.steps.balance import balance

ROWS = 3000


def _prepared(tmp: Path) -> Path:
    """The sample's first rows with only numeric features, nulls imputed with medians (in polars)."""
    raw = tmp / "raw.parquet"
    numeric = ["amount", *[f"f{i}" for i in range(10)]]
    (
        pl.scan_parquet(SAMPLE).head(ROWS)
        .select("event_time", "user_id", *numeric, "is_fraud")
        .with_columns([pl.col(c).fill_null(pl.col(c).median()) for c in numeric])
        .collect().write_parquet(raw)
    )
    return raw


def _with_role(tmp: Path, role: str | None) -> Path:
    """A file whose lineage says it is a split with ``role``, as `mlprep split` would write it."""
    raw = _prepared(tmp)
    path = tmp / f"{role or 'norole'}.parquet"
    data = open_input(str(raw))
    StepRun("split", params={}).write([Output(str(path), data.frame, data_inputs=[data], role=role)])
    return path


@pytest.fixture(scope="module")
def train(tmp_path_factory) -> Path:
    return _with_role(tmp_path_factory.mktemp("train"), "train")


def test_smote_on_the_training_split(train, tmp_path):
    out = tmp_path / "balanced.parquet"
    result = run_mlprep("balance", train, "--target", "is_fraud", "--exclude", "user_id", "--seed", "3", "-o", out, check=True)
    assert "warning" not in result.stderr
    assert "smote: 0: " in result.stderr and "synthetic" in result.stderr
    got = pl.read_parquet(out)
    source = pl.read_parquet(train)
    assert_frame_equal(got.head(source.height).select(source.columns), source)  # original rows first, unchanged
    expected = balance(source.lazy(), target="is_fraud", exclude=["user_id"], seed=3).frame.collect()
    assert_frame_equal(got, expected)
    counts = got["is_fraud"].value_counts()["count"].to_list()
    assert len(set(counts)) == 1
    syn = got.filter("is_synthetic")
    assert syn["user_id"].to_list() == source["user_id"].to_numpy()[syn["synthetic_parent"].to_numpy()].tolist()

    manifest = json.loads(Path(f"{out}.lineage.json").read_text())
    assert manifest["step"] == "balance" and manifest["output"]["role"] == "train"
    assert manifest["params"]["method"] == "smote" and manifest["params"]["seed"] == 3
    assert manifest["params"]["allow_leakage"] is False and manifest["params"]["n_jobs"] == -1
    before, after = manifest["report"]["class_counts"]["before"], manifest["report"]["class_counts"]["after"]
    assert before == {str(k): v for k, v in source["is_fraud"].value_counts().sort("is_fraud").iter_rows()}
    assert after["0"] == after["1"] == before["0"]
    assert manifest["inputs"][0]["role"] == "train" and manifest["inputs"][0]["use"] == "data"
    assert "imbalanced-learn" in manifest["versions"]
    assert "warnings" not in manifest["report"]


def test_same_command_twice_gives_identical_bytes(train, tmp_path):
    out = tmp_path / "out.parquet"
    args = ("balance", train, "--target", "is_fraud", "--method", "smote-enn", "-q")  # n_jobs: see test_balance.py
    run_mlprep(*args, "-o", out, check=True)
    first = out.read_bytes()
    run_mlprep(*args, "-o", out, check=True)  # the command is in the embedded manifest: rerun it as is
    assert out.read_bytes() == first


@pytest.mark.parametrize("role", ["test", "valid"])
def test_guard_refuses_valid_and_test_splits(tmp_path, role):
    split = _with_role(tmp_path, role)
    before = files_in(tmp_path)
    result = run_mlprep("balance", split, "--target", "is_fraud", "-o", tmp_path / "out.parquet")
    assert_one_line_error(
        result, "refusing to resample classes on", f"whose role is {role!r}", "resampling come from the training split only",
        "--allow-leakage",
    )
    assert files_in(tmp_path) == before


def test_allow_leakage_is_recorded(tmp_path):
    split = _with_role(tmp_path, "test")
    out = tmp_path / "out.parquet"
    result = run_mlprep("balance", split, "--target", "is_fraud", "--method", "random-under", "--allow-leakage", "-o", out, check=True)
    assert "--allow-leakage" in result.stderr
    manifest = json.loads(Path(f"{out}.lineage.json").read_text())
    assert manifest["params"]["allow_leakage"] is True
    assert manifest["output"]["role"] == "test"
    assert any("--allow-leakage" in w for w in manifest["report"]["warnings"])


def test_no_role_warns_about_balancing_before_splitting(tmp_path):
    raw = _prepared(tmp_path)
    out = tmp_path / "out.parquet"
    result = run_mlprep("balance", raw, "--target", "is_fraud", "--method", "random-over", "-o", out, "--json", check=True)
    warning = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warning) == 1 and "balancing before splitting leaks synthetic copies of test rows into training" in warning[0]
    report = json.loads(result.out)
    assert report["report"]["warnings"] == [warning[0].removeprefix("mlprep: warning: ")]
    assert report["report"]["synthetic_rows"] > 0


def test_demo_rule_balances_an_encoded_training_split(tmp_path):
    """The Makefile's demo rule, run on a small training split shaped like demo_out/encoded/train."""
    rule = re.search(r"^\$\(DEMO\)/balanced/train\.parquet: \$\(DEMO\)/encoded/train\.parquet\n\t(.+)$",
                     (ROOT / "Makefile").read_text(), re.M)
    assert rule, "the demo must balance the encoded training split"
    encoded = tmp_path / "encoded.parquet"
    (
        pl.scan_parquet(SAMPLE).head(2000)
        .select("event_time", "user_id", "country", "amount", "f9", "is_fraud")
        .with_columns(pl.col("f9").is_null().alias("f9_missing"), pl.col("f9").fill_null(0.0))
        .collect().write_parquet(tmp_path / "pre.parquet")
    )
    data = open_input(str(tmp_path / "pre.parquet"))
    StepRun("encode", params={}).write([Output(str(encoded), data.frame, data_inputs=[data], role="train")])
    out = tmp_path / "balanced" / "train.parquet"
    command = rule.group(1).replace("$(MLPREP)", "mlprep").replace("$<", str(encoded)).replace("$@", str(out)).split()
    assert command[:2] == ["mlprep", "balance"]
    result = run_mlprep(*command[1:], check=True)
    assert "using SMOTENC instead of SMOTE" in result.stderr  # country and f9_missing are categories
    got, source = pl.read_parquet(out), pl.read_parquet(encoded)
    assert got.schema == pl.Schema({**source.schema, "is_synthetic": pl.Boolean, "synthetic_parent": pl.Int64, "synthetic_parent_neighbor": pl.Int64})
    assert_frame_equal(got.head(source.height).select(source.columns), source)
    assert got["is_fraud"].value_counts()["count"].n_unique() == 1
    syn = got.filter("is_synthetic")
    assert set(syn["country"].unique()) <= set(source["country"].unique())
    assert syn["event_time"].to_list() == source["event_time"].gather(syn["synthetic_parent"]).to_list()
    assert json.loads(Path(f"{out}.lineage.json").read_text())["output"]["role"] == "train"


def test_strict_refuses_to_switch(tmp_path):
    mixed = tmp_path / "mixed.parquet"
    pl.scan_parquet(SAMPLE).head(300).select("category", "amount", "is_fraud").collect().write_parquet(mixed)
    result = run_mlprep("balance", mixed, "--target", "is_fraud", "--strict", "-o", tmp_path / "strict.parquet")
    assert_one_line_error(result, "--method smote needs numeric features but 'category'", "--method smotenc")
    assert not (tmp_path / "strict.parquet").exists()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        ((), ["--target is required"]),
        (("--target", "is_frod"), ["column 'is_frod' (from --target) not found", "did you mean 'is_fraud'?"]),
        (("--target", "is_fraud", "--features", "f9"), ["have nulls or NaN: 'f9'", "mlprep impute"]),
        (("--target", "is_fraud", "--features", "user_id", "--method", "adasyn", "--sampling-strategy", "2=10"), ["names class '2'", "classes: 0, 1"]),
        (("--target", "is_fraud", "--features", "merchant", "--method", "tomek"), ["--method tomek needs numeric features but 'merchant'"]),
        (("--target", "amount", "--features", "user_id"), ["target 'amount'", "is continuous", "mlprep bin"]),
        (("--target", "is_fraud", "--sampling-strategy", "lots"), ["--sampling-strategy 'lots' is not valid"]),
        (("--target", "is_fraud", "--method", "smote3"), ["--method 'smote3' is not known"]),
        (("--target", "is_fraud", "--features", "user_id", "-k", "5000"), ["class 1 of target 'is_fraud' has 985 rows", "pass --k-neighbors 984 or less"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, fragments):
    result = run_mlprep("balance", SAMPLE, *args, "-o", tmp_path / "out.parquet")
    assert_one_line_error(result, *fragments)
    assert files_in(tmp_path) == []


def test_stdout_output_carries_the_manifest(train):
    result = run_mlprep("balance", train, "--target", "is_fraud", "--method", "random-under", "-o", "-", check=True)
    import io

    got = pl.read_parquet(io.BytesIO(result.stdout))
    assert got["is_fraud"].value_counts()["count"].n_unique() == 1
    assert not got["is_synthetic"].any()


def test_help_is_lazy_and_documented():
    code = "import sys; from mlprep.cli.main import app; print(sorted(m for m in ('imblearn', 'sklearn', 'polars') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
    result = run_mlprep("balance", "--help", env={"COLUMNS": "200"}, check=True)
    text = result.out
    for option in ("--sampling-strategy", "--k-neighbors", "--n-jobs", "--no-synthetic-flag", "--strict", "--allow-leakage", "otherwise null"):
        assert option in text
    assert "Example: mlprep balance sample_data/transactions.parquet" in text
    readme = (ROOT / "README.md").read_text()
    assert "### `mlprep balance`" in readme and "mlprep balance " in readme


def test_help_example_runs(tmp_path):
    run_mlprep("balance", SAMPLE, "--target", "is_fraud", "--method", "random-under", "--exclude", "user_id",
               "-o", tmp_path / "balanced.parquet", check=True)
    assert np.isclose(pl.read_parquet(tmp_path / "balanced.parquet")["is_fraud"].mean(), 0.5)
