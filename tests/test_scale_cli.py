"""`mlprep scale` through the real executable: roles, state, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.preprocessing import StandardScaler

from conftest import assert_one_line_error, run_mlprep
from test_impute_cli import manifest, write_splits


@pytest.fixture(scope="module")
def splits(tmp_path_factory) -> dict[str, Path]:
    from conftest import SAMPLE

    return write_splits(tmp_path_factory.mktemp("splits"), pl.read_parquet(SAMPLE).head(10_000))


def test_standard_over_splits_matches_sklearn_and_state_reuse(splits, tmp_path) -> None:
    out = tmp_path / "scaled"
    r = run_mlprep("scale", splits["train"], splits["valid"], splits["test"], "--out-dir", out, "--cols", "amount,user_id,f0")
    assert r.returncode == 0, r.stderr
    cols = ["amount", "user_id", "f0"]
    x = lambda p: pl.read_parquet(p).select(pl.col(cols).cast(pl.Float64).fill_null(float("nan"))).to_numpy()  # noqa: E731
    sk = StandardScaler().fit(x(splits["train"]))
    for role in ("train", "valid", "test"):
        frame = pl.read_parquet(out / f"{role}.parquet")
        assert frame.schema["user_id"] == pl.Float64  # integer input, Float64 output
        np.testing.assert_allclose(x(out / f"{role}.parquet"), sk.transform(x(splits[role])), rtol=1e-9, atol=1e-9, equal_nan=True)
        assert manifest(out / f"{role}.parquet")["output"]["role"] == role
    r = run_mlprep("scale", splits["test"], "-o", tmp_path / "again.parquet", "--state", out / "train.parquet.lineage.json")
    assert r.returncode == 0, r.stderr
    assert pl.read_parquet(tmp_path / "again.parquet").equals(pl.read_parquet(out / "test.parquet"))


def test_inf_and_non_numeric_errors(splits, tmp_path) -> None:
    frame = pl.read_parquet(splits["train"]).with_columns(pl.when(pl.int_range(pl.len()) < 3).then(float("inf")).otherwise(pl.col("f2")).alias("f2"))
    paths = write_splits(tmp_path / "inf", frame)
    r = run_mlprep("scale", paths["train"], "-o", tmp_path / "o.parquet", "--cols", "f2")
    assert_one_line_error(r, "train.parquet", "column 'f2'", "3 ±inf value(s)", "--inf-as-missing")
    r = run_mlprep("scale", paths["train"], "-o", tmp_path / "o.parquet", "--cols", "f2", "--inf-as-missing", "--json")
    assert r.returncode == 0, r.stderr
    assert pl.read_parquet(tmp_path / "o.parquet")["f2"].head(3).to_list() == [None, None, None]
    assert json.loads(r.out)["params"]["inf_as_missing"] is True
    r = run_mlprep("scale", splits["train"], "-o", tmp_path / "p.parquet", "--cols", "category")
    assert_one_line_error(r, "column 'category'", "String, not numeric")
    r = run_mlprep("scale", splits["valid"], "-o", tmp_path / "p.parquet", "--cols", "f0")
    assert_one_line_error(r, "whose role is 'valid'", "training split only")
    assert not (tmp_path / "p.parquet").exists()


def test_bin_cli_edges_labels_and_state(splits, tmp_path) -> None:
    out = tmp_path / "binned"
    r = run_mlprep("bin", splits["train"], splits["test"], "--out-dir", out, "--cols", "amount", "--bins", "4", "--edges", "f0=-1,0,1", "--labels")
    assert r.returncode == 0, r.stderr
    m = manifest(out / "test.parquet")
    assert list(m["state"]["edges"]) == ["amount", "f0"] and m["state"]["edges"]["f0"] == [-1.0, 0.0, 1.0]
    assert m["params"]["cols"] == ["amount"]
    test = pl.read_parquet(out / "test.parquet")
    assert set(test["f0"].drop_nulls()) <= {"(-inf, 0)", "[0, inf)"} and test["amount"].dtype == pl.String
    assert sum(m["report"]["rows_per_bin"]["amount"].values()) == test.height
    r = run_mlprep("bin", splits["train"], "-o", tmp_path / "x.parquet", "--edges", "f0=1,0")
    assert_one_line_error(r, "--edges for 'f0' must be at least two strictly increasing numbers")


def test_impute_option_fills_then_scales_in_one_step(splits, tmp_path) -> None:
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    out = tmp_path / "scaled"
    cols = ["f0", "f5", "f9"]
    r = run_mlprep("scale", splits["train"], splits["valid"], splits["test"], "--out-dir", out, "--cols", ",".join(cols), "--impute", "median", "--json")
    assert r.returncode == 0, r.stderr
    x = lambda p: pl.read_parquet(p).select(pl.col(cols).cast(pl.Float64).fill_null(float("nan"))).to_numpy()  # noqa: E731
    sk = make_pipeline(SimpleImputer(strategy="median"), StandardScaler()).fit(x(splits["train"]))
    for role in ("train", "valid", "test"):
        np.testing.assert_allclose(x(out / f"{role}.parquet"), sk.transform(x(splits[role])), rtol=1e-9, atol=1e-9)
    report = manifest(out / "test.parquet")["report"]
    test_missing = pl.read_parquet(splits["test"]).select(pl.col(cols).null_count()).row(0, named=True)
    assert report["impute"]["missing"] == test_missing and report["missing"] == {c: 0 for c in cols}
    # the serving path: --state and lineage replay redo both fills and scaling, bit for bit
    r = run_mlprep("scale", splits["test"], "-o", tmp_path / "again.parquet", "--state", out / "train.parquet")
    assert r.returncode == 0, r.stderr
    assert pl.read_parquet(tmp_path / "again.parquet").equals(pl.read_parquet(out / "test.parquet"))
    r = run_mlprep("lineage", "replay", splits["test"], "--like", out / "test.parquet", "-o", tmp_path / "replayed.parquet")
    assert r.returncode == 0, r.stderr
    assert pl.read_parquet(tmp_path / "replayed.parquet").equals(pl.read_parquet(out / "test.parquet"))
    r = run_mlprep("scale", splits["train"], "-o", tmp_path / "x.parquet", "--cols", "f0", "--fill-value", "3")
    assert_one_line_error(r, "--fill-value only applies with --impute constant")
    assert not (tmp_path / "x.parquet").exists()
    r = run_mlprep("scale", splits["train"], "-o", tmp_path / "x.parquet", "--cols", "f0", "--impute", "mode")
    assert_one_line_error(r, "--impute 'mode' is not one of mean, median, most-frequent, constant")
    assert not (tmp_path / "x.parquet").exists()
