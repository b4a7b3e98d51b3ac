"""`mlprep lineage replay`: the fitted steps of a pipeline re-applied to new rows, bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from conftest import SAMPLE, assert_one_line_error, run_mlprep
from test_impute_cli import write_splits


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Path:
    """split → impute (median, indicator) → scale (yeo-johnson) → bin (quantile), on 12k rows."""
    root = tmp_path_factory.mktemp("pipeline")
    write_splits(root / "splits", pl.read_parquet(SAMPLE).head(12_000))
    sets = [root / "splits" / f"{r}.parquet" for r in ("train", "valid", "test")]
    run_mlprep("impute", *sets, "--out-dir", root / "imputed", "--strategy", "median", "--indicator", "--cols", "amount,f*", "--strategy-for", "category=most-frequent", check=True)
    sets = [root / "imputed" / f"{r}.parquet" for r in ("train", "valid", "test")]
    run_mlprep("scale", *sets, "--out-dir", root / "scaled", "--method", "yeo-johnson", "--cols", "amount,f?", check=True)
    sets = [root / "scaled" / f"{r}.parquet" for r in ("train", "valid", "test")]
    run_mlprep("bin", *sets, "--out-dir", root / "binned", "--cols", "f1,f2", "--bins", "5", check=True)
    return root


def test_replay_on_held_out_rows_is_bit_identical(pipeline: Path, tmp_path: Path) -> None:
    # the raw rows of the test split, as they would arrive at serving time, without any manifest
    held_out = tmp_path / "new.parquet"
    pl.read_parquet(pipeline / "splits" / "test.parquet").write_parquet(held_out)
    r = run_mlprep("lineage", "replay", held_out, "--like", pipeline / "binned" / "train.parquet", "-o", tmp_path / "served.parquet")
    assert r.returncode == 0, r.stderr
    assert "replayed: impute → scale → bin; skipped: split" in r.stderr
    served = pl.read_parquet(tmp_path / "served.parquet")
    expected = pl.read_parquet(pipeline / "binned" / "test.parquet")
    assert served.schema == expected.schema
    assert served.equals(expected)  # bit for bit, nulls and floats included
    m = json.loads(Path(f"{tmp_path / 'served.parquet'}.lineage.json").read_text())
    assert m["step"] == "lineage.replay" and m["params"]["applied"] == ["impute", "scale", "bin"] and m["params"]["skipped"] == ["split"]
    assert [i["use"] for i in m["inputs"]] == ["data", "fit"]


def test_replay_all_raw_rows_from_a_manifest(pipeline: Path, tmp_path: Path) -> None:
    """Every row of every split comes out as the pipeline made it, whatever split it was in."""
    raw = pipeline / "splits" / "raw.parquet"
    like = pipeline / "scaled" / "valid.parquet.lineage.json"
    r = run_mlprep("lineage", "replay", raw, "--like", like, "-o", tmp_path / "all.parquet", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.out)["report"]["applied"] == ["impute", "scale"]
    served = pl.read_parquet(tmp_path / "all.parquet")
    pipeline_rows = pl.concat([pl.read_parquet(pipeline / "scaled" / f"{s}.parquet") for s in ("train", "valid", "test")])
    assert served.equals(pipeline_rows)


def test_replay_errors(pipeline: Path, tmp_path: Path) -> None:
    pl.read_parquet(pipeline / "splits" / "test.parquet").drop("f4").write_parquet(tmp_path / "lacking.parquet")
    r = run_mlprep("lineage", "replay", tmp_path / "lacking.parquet", "--like", pipeline / "binned" / "test.parquet", "-o", tmp_path / "o.parquet")
    assert_one_line_error(r, "column 'f4'", "lacking.parquet", "before replaying impute")
    r = run_mlprep("lineage", "replay", tmp_path / "lacking.parquet", "--like", SAMPLE, "-o", tmp_path / "o.parquet")
    assert_one_line_error(r, "has no lineage manifest")
    r = run_mlprep("lineage", "replay", tmp_path / "lacking.parquet", "--like", pipeline / "splits" / "test.parquet", "-o", tmp_path / "o.parquet")
    assert_one_line_error(r, "no fitted step in its history", "split")
    assert not (tmp_path / "o.parquet").exists()


CONTRACT = [
    ("impute", {"cols": ["a", "i", "s"], "strategy": "median", "strategy_for": {"s": "most-frequent"}, "indicator": True}),
    ("impute", {"cols": ["a"], "strategy": "mean", "drop_rows": 0.0}),
    ("scale", {"cols": ["a", "i"], "method": "standard"}),
    ("scale", {"cols": ["a"], "method": "quantile", "n_quantiles": 4, "quantile_output": "normal"}),
    ("scale", {"cols": ["a", "i"], "method": "yeo-johnson"}),
    ("bin", {"cols": ["a"], "bins": 3, "strategy": "uniform", "labels": True}),
    ("bin", {"cols": ["a", "i"], "bins": 2, "strategy": "kmeans"}),
]


@pytest.mark.parametrize("step, params", CONTRACT)
def test_transform_contract(step: str, params: dict) -> None:
    """Every registered transform: JSON state, apply(fit) = one-call result, input untouched, row-wise."""
    from mlprep.fitting import TRANSFORMS, get_transform

    assert step in TRANSFORMS
    transform = get_transform(step)
    frame = pl.DataFrame({"a": [0.5, None, 2.0, float("nan"), 8.0, -1.0], "i": [1, 2, None, 4, 4, 9], "s": ["x", None, "y", "x", "y", "x"]})
    before = frame.clone()
    state = transform.fit(frame.lazy(), params)
    again = json.loads(json.dumps(state, allow_nan=False))
    assert again == state
    whole = transform.apply(frame.lazy(), again, params).collect()
    assert frame.equals(before)
    # a row-wise map: applying to each half gives the rows of the whole, bit for bit
    halves = pl.concat([transform.apply(part.lazy(), again, params).collect() for part in (frame.head(3), frame.tail(3))])
    assert halves.equals(whole)


def test_every_command_help_ends_with_an_example() -> None:
    from mlprep.cli.binning import bin_command
    from mlprep.cli.impute import impute
    from mlprep.cli.lineage import replay
    from mlprep.cli.scale import scale

    for fn, name in ((impute, "impute"), (scale, "scale"), (bin_command, "bin"), (replay, "lineage replay")):
        assert fn.__doc__.strip().splitlines()[-1].strip().startswith(f"Example: mlprep {name} "), name
        assert f"mlprep {name} " in Path(__file__).resolve().parent.parent.joinpath("README.md").read_text()
