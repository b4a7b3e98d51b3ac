"""`mlprep impute` through the real executable: splits, roles, leakage guard, --state, errors."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from conftest import SAMPLE, assert_one_line_error, files_in, run_mlprep


def write_splits(folder: Path, frame: pl.DataFrame | None = None) -> dict[str, Path]:
    """Write train/valid/test Parquet files with roles in their manifests, as `mlprep split` does."""
    from mlprep.runner import Output, StepRun, open_input

    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / "raw.parquet"
    (frame if frame is not None else pl.read_parquet(SAMPLE)).write_parquet(raw)
    data = open_input(str(raw))
    n = data.rows
    bounds = {"train": (0, int(n * 0.7)), "valid": (int(n * 0.7), int(n * 0.85)), "test": (int(n * 0.85), n)}
    run = StepRun("split", params={"ratios": [0.7, 0.15, 0.15]})
    paths = {role: folder / f"{role}.parquet" for role in bounds}
    run.write([Output(str(paths[r]), data.frame.slice(a, b - a), data_inputs=[data], role=r) for r, (a, b) in bounds.items()])
    return {"raw": raw, **paths}


def manifest(path: Path) -> dict:
    return json.loads(Path(f"{path}.lineage.json").read_text())


@pytest.fixture(scope="module")
def splits(tmp_path_factory) -> dict[str, Path]:
    return write_splits(tmp_path_factory.mktemp("splits"))


def test_median_indicator_fits_on_train_applies_everywhere(splits, tmp_path) -> None:
    out = tmp_path / "imputed"
    r = run_mlprep("impute", splits["train"], splits["valid"], splits["test"], "--out-dir", out, "--strategy", "median", "--indicator", "--cols", "amount,f*")
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stderr and "[train]" in r.stderr
    train = pl.read_parquet(splits["train"])
    medians = train.select(pl.col("amount", *[f"f{i}" for i in range(10)]).fill_nan(None).median()).row(0, named=True)
    states = []
    for role in ("train", "valid", "test"):
        m = manifest(out / f"{role}.parquet")
        assert m["output"]["role"] == role and m["step"] == "impute"
        assert [i["use"] for i in m["inputs"]] == ["data", "fit"] and m["inputs"][1]["role"] == "train"
        assert m["params"]["cols"] == ["amount", *[f"f{i}" for i in range(10)]] and m["params"]["allow_leakage"] is False
        states.append(m["state"])
        frame = pl.read_parquet(out / f"{role}.parquet")
        assert frame.columns[-11:] == [f"{c}__missing" for c in medians]  # same columns everywhere
        assert sum(frame.select(pl.col(list(medians)).null_count()).row(0)) == 0
        source = pl.read_parquet(splits[role])
        for c, med in medians.items():
            filled = frame.filter(source[c].is_null())[c]
            assert (filled == med).all()
            assert (frame[f"{c}__missing"] == source[c].is_null()).all()
    assert states[0] == states[1] == states[2]
    assert states[0]["fill"] == medians


def test_leakage_guard(splits, tmp_path) -> None:
    out = tmp_path / "x"
    r = run_mlprep("impute", splits["valid"], splits["train"], "--out-dir", out)
    assert_one_line_error(r, "whose role is 'valid'", "statistics and resampling come from the training split only", "--allow-leakage")
    assert not out.exists()
    r = run_mlprep("impute", splits["test"], "-o", out / "t.parquet", "--allow-leakage")
    assert r.returncode == 0, r.stderr
    m = manifest(out / "t.parquet")
    assert m["params"]["allow_leakage"] is True and any("--allow-leakage" in w for w in m["report"]["warnings"])


def test_no_role_warns(splits, tmp_path) -> None:
    r = run_mlprep("impute", splits["raw"], "-o", tmp_path / "o.parquet", "--cols", "f1")
    assert r.returncode == 0
    assert "has no role" in r.stderr
    assert any("has no role" in w for w in manifest(tmp_path / "o.parquet")["report"]["warnings"])


def test_state_reuse_matches_fitted_output(splits, tmp_path) -> None:
    run_mlprep("impute", splits["train"], splits["test"], "--out-dir", tmp_path / "fit", "--strategy", "mean", "--cols", "f*", "--indicator", check=True)
    for state in (tmp_path / "fit" / "train.parquet", tmp_path / "fit" / "train.parquet.lineage.json"):
        r = run_mlprep("impute", splits["test"], "-o", tmp_path / "again.parquet", "--state", state)
        assert r.returncode == 0, r.stderr
        assert "has no role" not in r.stderr
        assert pl.read_parquet(tmp_path / "again.parquet").equals(pl.read_parquet(tmp_path / "fit" / "test.parquet"))
        m = manifest(tmp_path / "again.parquet")
        assert m["state"] == manifest(tmp_path / "fit" / "test.parquet")["state"] and [i["use"] for i in m["inputs"]] == ["data"]


def test_state_errors(splits, tmp_path) -> None:
    run_mlprep("impute", splits["train"], "-o", tmp_path / "fit.parquet", "--cols", "f0,f1", check=True)
    bad = pl.read_parquet(splits["test"]).with_columns(pl.col("f0").cast(pl.String))
    bad.write_parquet(tmp_path / "bad.parquet")
    r = run_mlprep("impute", tmp_path / "bad.parquet", "-o", tmp_path / "o.parquet", "--state", tmp_path / "fit.parquet")
    assert_one_line_error(r, "column 'f0' of", "bad.parquet", "is String, but impute was fitted on Float64")
    (tmp_path / "junk.json").write_text('{"hello": 1}')
    r = run_mlprep("impute", splits["test"], "-o", tmp_path / "o.parquet", "--state", tmp_path / "junk.json")
    assert_one_line_error(r, "junk.json", "is not an mlprep manifest")
    r = run_mlprep("impute", splits["test"], "-o", tmp_path / "o.parquet", "--state", SAMPLE)
    assert_one_line_error(r, "is not an mlprep output")
    assert not (tmp_path / "o.parquet").exists()


def test_column_missing_from_other_input_writes_nothing(splits, tmp_path) -> None:
    pl.read_parquet(splits["valid"]).drop("f3").write_parquet(tmp_path / "valid.parquet")
    out = tmp_path / "out"
    r = run_mlprep("impute", splits["train"], tmp_path / "valid.parquet", "--out-dir", out, "--cols", "f3")
    assert_one_line_error(r, "column 'f3'", "valid.parquet", "fitted on by impute")
    assert not out.exists() or files_in(out) == []


def test_all_null_column(tmp_path) -> None:
    frame = pl.DataFrame({"x": [1.0, None, 3.0], "empty": pl.Series([None, None, None], dtype=pl.Float64)})
    paths = write_splits(tmp_path / "s", frame)
    r = run_mlprep("impute", paths["train"], "-o", tmp_path / "o.parquet")
    assert_one_line_error(r, "column 'empty'", "train.parquet", "--drop-all-null")
    r = run_mlprep("impute", paths["train"], "-o", tmp_path / "o.parquet", "--drop-all-null")
    assert r.returncode == 0 and pl.read_parquet(tmp_path / "o.parquet").columns == ["x"]
    assert "empty" in r.stderr


def test_drop_rows_and_cols_are_reported(splits, tmp_path) -> None:
    out = tmp_path / "d"
    r = run_mlprep("impute", splits["train"], splits["test"], "--out-dir", out, "--cols", "f*", "--drop-rows", "0", "--drop-cols", "0.5", "--json")
    assert r.returncode == 0, r.stderr
    reports = json.loads(r.out)
    test_rows = pl.read_parquet(splits["test"]).select(pl.any_horizontal(pl.col("^f.$").is_null()).sum()).item()
    assert reports[1]["report"]["rows_dropped"] == test_rows > 0
    assert pl.read_parquet(out / "test.parquet").height == pl.read_parquet(splits["test"]).height - test_rows


def test_usage_errors(splits, tmp_path) -> None:
    r = run_mlprep("impute", splits["train"], splits["test"], "-o", tmp_path / "o.parquet")
    assert_one_line_error(r, "-o/--output takes one input but 2 were given")
    r = run_mlprep("impute", splits["train"], "-o", tmp_path / "o.parquet", "--cols", "merchant", "--strategy", "median")
    assert_one_line_error(r, "column 'merchant'", "not numeric")
    r = run_mlprep("impute", splits["train"], "-o", tmp_path / "o.parquet", "--strategy-for", "amout=median")
    assert_one_line_error(r, "column 'amout'", "did you mean 'amount'")
    assert not (tmp_path / "o.parquet").exists()


def test_deterministic_bytes(splits, tmp_path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        run_mlprep("impute", splits["train"], "-o", "o.parquet", "--strategy", "most-frequent", cwd=tmp_path / name, check=True)
    assert (tmp_path / "a" / "o.parquet").read_bytes() == (tmp_path / "b" / "o.parquet").read_bytes()
