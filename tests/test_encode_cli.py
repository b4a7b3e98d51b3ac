"""`mlprep encode …` through the installed executable: outputs, manifests, roles, --state, errors."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.feature_extraction import FeatureHasher

from conftest import ROOT, SAMPLE, assert_one_line_error, files_in, run_mlprep
from mlprep.fitting import get_transform
from mlprep.lineage.model import load_manifest


@pytest.fixture(scope="module")
def splits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train/valid/test files with roles, made through the runner as a split would."""
    from mlprep.runner import Output, StepRun, open_input

    folder = tmp_path_factory.mktemp("splits")
    data = open_input(str(SAMPLE))
    frame = pl.scan_parquet(SAMPLE).with_row_index("_i")
    parts = {"train": pl.col("_i") < 35000, "valid": pl.col("_i").is_between(35000, 42499), "test": pl.col("_i") >= 42500}
    outputs = [Output(str(folder / f"{name}.parquet"), frame.filter(cond).drop("_i"), data_inputs=[data], role=name) for name, cond in parts.items()]
    StepRun("split", params={"test": True}).write(outputs)
    return folder


def _manifest(path: Path) -> dict:
    return json.loads(Path(f"{path}.lineage.json").read_text())


def test_hash_cli_equals_feature_hasher_and_records_scheme(tmp_path: Path) -> None:
    out = tmp_path / "h.parquet"
    run_mlprep("encode", "hash", SAMPLE, "--cols", "merchant,category", "--n-features", "64", "--form", "dense", "-o", out, check=True)
    raw = pl.read_parquet(SAMPLE, columns=["merchant", "category"])
    expected = FeatureHasher(n_features=64, input_type="dict").transform(
        [{k: v for k, v in r.items() if v is not None} for r in raw.head(2000).to_dicts()]
    )
    got = pl.read_parquet(out).head(2000).select(pl.col("^hash_.*$")).to_numpy()
    assert np.array_equal(got, expected.toarray())
    m = _manifest(out)
    assert m["step"] == "encode.hash"
    assert m["state"]["hash_scheme"] == "sklearn-murmur3-32-v1"
    assert m["report"]["hash_scheme"] == "sklearn-murmur3-32-v1"
    assert [i["use"] for i in m["inputs"]] == ["data"]  # stateless: no fit input


def test_hash_report_is_printed_and_stored(tmp_path: Path, splits: Path) -> None:
    result = run_mlprep(
        "encode", "hash", splits / "train.parquet", splits / "test.parquet", "--cols", "merchant", "--cross", "merchant,country",
        "--n-features", "256", "--report", "--out-dir", tmp_path, check=True,
    )
    flat = " ".join(result.out.split())  # rich wraps long titles
    assert "collisions in 256 buckets" in flat and "merchant^country" in flat
    report = _manifest(tmp_path / "test.parquet")["report"]
    assert report["features"]["merchant"]["buckets_used"] <= 256
    assert 0.9 < report["features"]["merchant"]["colliding_share"] <= 1.0
    # stateless: test first is fine, no leakage error, the role is inherited
    assert _manifest(tmp_path / "test.parquet")["output"]["role"] == "test"


def test_onehot_fits_on_train_and_applies_to_others(tmp_path: Path, splits: Path) -> None:
    result = run_mlprep(
        "encode", "onehot", splits / "train.parquet", splits / "valid.parquet", splits / "test.parquet",
        "--cols", "category,country", "--max-categories", "5", "--out-dir", tmp_path, check=True,
    )
    assert result.stderr.count("wrote ") == 3
    assert files_in(tmp_path) == sorted(f"{n}.parquet{s}" for n in ("train", "valid", "test") for s in ("", ".lineage.json"))
    test_out = pl.read_parquet(tmp_path / "test.parquet")
    train_counts = pl.read_parquet(splits / "train.parquet")["category"].value_counts(sort=True)
    top4 = sorted(train_counts["category"].head(4).to_list())
    assert [c for c in test_out.columns if c.startswith("category")] == [*(f"category={v}" for v in top4), "category__infrequent"]
    m = _manifest(tmp_path / "test.parquet")
    assert m["output"]["role"] == "test"
    assert [(i["use"], i["role"]) for i in m["inputs"]] == [("data", "test"), ("fit", "train")]
    assert m["state"] == _manifest(tmp_path / "train.parquet")["state"]
    # replay: the registered transform re-applies the recorded state to the same bytes
    t = get_transform(m["step"])
    replayed = t.apply(pl.scan_parquet(splits / "test.parquet"), m["state"], m["params"]).collect()
    assert replayed.equals(test_out)


def test_state_reuse_gives_the_same_output(tmp_path: Path, splits: Path) -> None:
    run_mlprep("encode", "target", splits / "train.parquet", splits / "test.parquet", "--cols", "merchant", "--target", "is_fraud", "--out-dir", tmp_path / "a", check=True)
    run_mlprep("encode", "target", splits / "test.parquet", "--state", tmp_path / "a" / "train.parquet", "-o", tmp_path / "b.parquet", check=True)
    assert pl.read_parquet(tmp_path / "b.parquet").equals(pl.read_parquet(tmp_path / "a" / "test.parquet"))
    # the train output is cross-fitted, so it differs from the full fit applied to train
    full = get_transform("encode.target").apply(pl.scan_parquet(splits / "train.parquet"), _manifest(tmp_path / "a" / "train.parquet")["state"], {}).collect()
    cross = pl.read_parquet(tmp_path / "a" / "train.parquet")
    assert full.columns == cross.columns and not full["merchant__target"].equals(cross["merchant__target"])
    # and it is a pure function of (train, state): fit_output reproduces it
    m = _manifest(tmp_path / "a" / "train.parquet")
    again = get_transform("encode.target").fit_output(pl.scan_parquet(splits / "train.parquet"), m["state"], m["params"]).collect()
    assert again.equals(cross)


def test_outputs_are_byte_identical_across_runs(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        run_mlprep("encode", "target", SAMPLE, "--cols", "merchant,category", "--target", "is_fraud", "--cv", "3", "--seed", "4",
                   "-o", "out.parquet", "-q", cwd=tmp_path / name, check=True)
    assert (tmp_path / "a" / "out.parquet").read_bytes() == (tmp_path / "b" / "out.parquet").read_bytes()


def test_leakage_guard_refuses_fitting_on_test(tmp_path: Path, splits: Path) -> None:
    result = run_mlprep("encode", "count", splits / "test.parquet", "--cols", "merchant", "-o", tmp_path / "x.parquet")
    assert_one_line_error(result, "refusing to fit statistics on", "'test'", "--allow-leakage")
    assert files_in(tmp_path) == []
    ok = run_mlprep("encode", "count", splits / "test.parquet", "--cols", "merchant", "-o", tmp_path / "x.parquet", "--allow-leakage")
    assert ok.returncode == 0 and _manifest(tmp_path / "x.parquet")["params"]["allow_leakage"] is True


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["hash", "--cols", "merchant", "--n-features", "0"], ["--n-features 0 must be a positive integer"]),
        (["hash", "--cols", "merchant", "--n-features", "abc"], ["--n-features", "valid integer"]),
        (["hash", "--cols", "merchant", "--n-features", "65536", "--form", "dense"], ["above --max-dense 4096"]),
        (["onehot", "--cols", "merchnt"], ["column 'merchnt' (from --cols) not found", "did you mean 'merchant'"]),
        (["onehot", "--cols", "category", "--min-frequency", "lots"], ["--min-frequency 'lots' must be a count"]),
        (["onehot", "--cols", "category", "--drop", "last"], ["--drop 'last' must be first or if-binary"]),
        (["target", "--cols", "merchant", "--target", "fraud"], ["column 'fraud' (from --target) not found", "did you mean 'is_fraud'"]),
        (["target", "--cols", "merchant"], ["needs --target COL"]),
        (["ordinal", "--cols", "category", "--order", "size"], ["--order 'size' must be lexical or frequency"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, args: list[str], fragments: list[str]) -> None:
    result = run_mlprep("encode", args[0], SAMPLE, *args[1:], "-o", tmp_path / "out.parquet")
    assert_one_line_error(result, *fragments)
    assert files_in(tmp_path) == []


def test_nested_column_is_refused_numeric_is_allowed(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pl.DataFrame({"tags": [["a"], ["b"]], "n": [1, 2]}).write_parquet(src)
    result = run_mlprep("encode", "onehot", src, "--cols", "tags", "-o", tmp_path / "out.parquet")
    assert_one_line_error(result, "column 'tags' of", "is List(String), which cannot be encoded as categories")
    run_mlprep("encode", "onehot", src, "--cols", "n", "-o", tmp_path / "out.parquet", check=True)
    assert pl.read_parquet(tmp_path / "out.parquet").columns == ["tags", "n=1", "n=2"]


def test_state_from_another_encoder_or_other_columns_is_refused(tmp_path: Path) -> None:
    fitted = tmp_path / "fit.parquet"
    run_mlprep("encode", "count", SAMPLE, "--cols", "merchant", "-o", fitted, check=True)
    result = run_mlprep("encode", "frequency", SAMPLE, "--state", fitted, "-o", tmp_path / "x.parquet")
    assert_one_line_error(result, "was made by `encode.count`, not `encode.frequency`")
    result = run_mlprep("encode", "count", SAMPLE, "--state", fitted, "--cols", "category", "-o", tmp_path / "x.parquet")
    assert_one_line_error(result, "encodes columns ['merchant'], but --cols names ['category']")
    renamed = tmp_path / "renamed.parquet"
    pl.read_parquet(SAMPLE).rename({"merchant": "shop"}).write_parquet(renamed)
    result = run_mlprep("encode", "count", renamed, "--state", fitted, "-o", tmp_path / "x.parquet")
    assert_one_line_error(result, "column 'merchant'", "not found")
    assert not (tmp_path / "x.parquet").exists()


def test_pipe_through_stdout(tmp_path: Path) -> None:
    result = run_mlprep("encode", "ordinal", SAMPLE, "--cols", "category", "-o", "-")
    assert result.returncode == 0
    out = tmp_path / "o.parquet"
    out.write_bytes(result.stdout)
    frame = pl.read_parquet(out)
    assert frame["category__ordinal"].min() >= 0 and "category" not in frame.columns


@pytest.mark.parametrize("command", ["hash", "onehot", "ordinal", "count", "frequency", "target"])
def test_help_example_runs(tmp_path: Path, command: str) -> None:
    from mlprep.cli import encode

    doc = getattr(encode, "hash_" if command == "hash" else command).__doc__
    example = re.search(r"Example: (mlprep .*)", doc).group(1)
    args = shlex.split(example)[1:]
    args = [str(tmp_path / Path(a).name) if a.startswith("out/") else a for a in args]
    assert run_mlprep(*args, cwd=ROOT).returncode == 0
    assert "--help" not in args and load_manifest(Path(args[args.index("-o") + 1])) is not None


def test_continuous_target_is_byte_identical_whatever_the_thread_count(tmp_path: Path) -> None:
    for threads in ("1", "2"):
        (tmp_path / threads).mkdir()
        run_mlprep("encode", "target", SAMPLE, "--cols", "merchant", "--target", "amount", "-o", "out.parquet", "-q",
                   cwd=tmp_path / threads, env={"POLARS_MAX_THREADS": threads}, check=True)
    assert (tmp_path / "1" / "out.parquet").read_bytes() == (tmp_path / "2" / "out.parquet").read_bytes()
    assert _manifest(tmp_path / "1" / "out.parquet")["state"]["target_type"] == "continuous"
