"""Tests of `check leakage`: each check caught on a purpose-built leaky dataset, silent on clean data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from conftest import SAMPLE, assert_one_line_error, run_mlprep
from mlprep.errors import InputError, UsageError
from mlprep.runner import Output, StepRun, open_input
from mlprep.steps.leakage import SplitData, check_leakage, reaches


def _checks(result) -> list[tuple[str, str]]:
    return [(f["check"], f["severity"]) for f in result["findings"]]


def _write(frame: pl.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    return path


def _time_split(src: Path, out: Path, *, step: str = "split", params: dict | None = None, order: str | None = "event_time") -> list[Path]:
    """Split ``src`` 70/15/15 by time (or by row position when ``order`` is None) with role-bearing manifests."""
    data = open_input(str(src))
    frame = (data.frame.sort(order) if order else data.frame).with_row_index("__i")
    n = data.rows
    cuts = [0, int(n * 0.7), int(n * 0.85), n]
    run = StepRun(step, params=params if params is not None else {"time_col": "event_time", "ratios": [0.7, 0.15, 0.15]})
    paths = [out / f"{role}.parquet" for role in ("train", "valid", "test")]
    run.write([
        Output(str(p), frame.filter((pl.col("__i") >= lo) & (pl.col("__i") < hi)).drop("__i"), data_inputs=[data], role=role)
        for p, role, lo, hi in zip(paths, ("train", "valid", "test"), cuts, cuts[1:])
    ])
    return paths


def _splits(paths) -> list[SplitData]:
    out = []
    for p in paths:
        d = open_input(str(p), allow_empty=True)
        out.append(SplitData(d.name, d.frame, role=d.role, manifest=d.manifest))
    return out


@pytest.fixture(scope="module")
def clean_splits(tmp_path_factory) -> list[Path]:
    return _time_split(SAMPLE, tmp_path_factory.mktemp("clean"))


# ---- single-feature AUC against scikit-learn ---------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(-3, 3)), st.booleans()), min_size=2, max_size=60))
def test_auc_scores_match_sklearn(rows):
    x = [r[0] for r in rows]
    y = [int(r[1]) for r in rows]
    train = pl.LazyFrame({"x": x, "y": y}, schema={"x": pl.Float64, "y": pl.Int64})
    other = pl.LazyFrame(schema={"x": pl.Float64, "y": pl.Int64})
    result = check_leakage([SplitData("train", train), SplitData("test", other)], target="y")
    if len(set(y)) < 2:
        assert result["scores"] == [] and "skipped" in result["checks"]["target_leakage"]
        return
    score = result["scores"][0]
    known = [(xi, yi) for xi, yi in zip(x, y) if xi is not None]
    if len({yi for _, yi in known}) == 2:
        assert score["auc"] == pytest.approx(roc_auc_score([yi for _, yi in known], [xi for xi, _ in known]), abs=1e-12)
    else:
        assert score["auc"] is None
    nulls = sum(xi is None for xi in x)
    if 0 < nulls < len(x):
        assert score["missing_auc"] == pytest.approx(roc_auc_score(y, [xi is None for xi in x]), abs=1e-12)
    else:
        assert score["missing_auc"] is None


# ---- clean data: no false alarm ------------------------------------------------------------------


def test_clean_time_split_of_sample_data_is_silent(clean_splits):
    result = check_leakage(_splits(clean_splits), target="is_fraud")
    assert result["time_col"] == "event_time"  # found in lineage
    assert result["findings"] == [], result["findings"]
    assert result["checks"]["time_overlap"] == "ran"
    assert [s["role"] for s in result["splits"]] == ["train", "valid", "test"]
    assert max(max(s["score"] or 0, s["missing_score"] or 0) for s in result["scores"]) < 0.8
    assert not reaches(result, "warn")


def test_cli_clean_exits_zero(clean_splits):
    res = run_mlprep("check", "leakage", *clean_splits, "--target", "is_fraud", "--time-col", "event_time", "--fail-on", "warn")
    assert res.returncode == 0, res.stderr
    assert "ok: 0 error(s), 0 warning(s)" in res.stderr


# ---- each leak caught --------------------------------------------------------------------------


def test_time_overlap_of_a_random_split(tmp_path, sample_frame):
    shuffled = sample_frame.sample(fraction=1.0, shuffle=True, seed=1)
    src = _write(shuffled, tmp_path / "raw.parquet")
    paths = _time_split(src, tmp_path / "s", params={"ratios": [0.7, 0.15, 0.15], "random": True}, order=None)
    result = check_leakage(_splits(paths), time_col="event_time")
    found = _checks(result)
    assert ("time_overlap", "error") in found
    assert ("lineage.random_split_of_temporal_data", "warn") in found
    overlap = next(f for f in result["findings"] if f["check"] == "time_overlap" and f["evidence"]["later"].endswith("test.parquet"))
    assert overlap["evidence"]["later_rows_not_after"] > 7000
    assert "mlprep split --time-col event_time" in overlap["fix"]


def test_duplicates_across_splits(tmp_path, clean_splits):
    train = pl.read_parquet(clean_splits[0])
    test = pl.concat([pl.read_parquet(clean_splits[2]), train.head(40), train.head(5)])
    t = _write(test, tmp_path / "test.parquet")
    result = check_leakage(_splits([clean_splits[0], t]))
    dup = [f for f in result["findings"] if f["check"] == "duplicates"]
    assert len(dup) == 1 and dup[0]["severity"] == "error"
    assert dup[0]["evidence"]["rows"] == 45 and dup[0]["evidence"]["distinct"] == 40
    assert len(dup[0]["evidence"]["examples"]) == 3
    # one changed value makes a row distinct; nulls compare equal to nulls
    changed = train.head(10).with_columns(pl.col("amount") + 0.01)
    t2 = _write(pl.concat([pl.read_parquet(clean_splits[2]), changed]), tmp_path / "test2.parquet")
    assert "duplicates" not in {f["check"] for f in check_leakage(_splits([clean_splits[0], t2]))["findings"]}


def test_duplicates_by_key_cols(tmp_path):
    train = _write(pl.DataFrame({"id": [1, 2, 3], "x": [1.0, 2.0, 3.0]}), tmp_path / "train.parquet")
    test = _write(pl.DataFrame({"id": [3, 4], "x": [9.0, 4.0]}), tmp_path / "test.parquet")
    assert check_leakage(_splits([train, test]))["findings"] == []
    result = check_leakage(_splits([train, test]), key_cols=["id"])
    assert _checks(result) == [("duplicates", "error")]
    assert result["findings"][0]["evidence"]["examples"] == [{"id": 3}]


def test_entity_overlap_is_a_warning(clean_splits):
    result = check_leakage(_splits(clean_splits), group_col="user_id")
    found = [f for f in result["findings"] if f["check"] == "entity_overlap"]
    assert [f["severity"] for f in found] == ["warn", "warn"]
    assert 0.9 < found[0]["evidence"]["share"] <= 1.0
    assert not reaches(result, "error") and reaches(result, "warn")


def test_entity_overlap_silent_on_disjoint_groups(tmp_path):
    train = _write(pl.DataFrame({"g": ["a", "b"], "x": [1, 2]}), tmp_path / "train.parquet")
    test = _write(pl.DataFrame({"g": ["c", None], "x": [1, 2]}), tmp_path / "test.parquet")
    assert check_leakage(_splits([train, test]), group_col="g")["findings"] == []


def test_target_and_missingness_leakage(tmp_path, clean_splits):
    train = pl.read_parquet(clean_splits[0])
    rng = np.random.default_rng(0)
    leaky = train.with_columns(
        # recorded after the outcome: chargeback amount is only known for fraud
        (pl.col("is_fraud") * 100 + pl.Series(rng.normal(0, 1, train.height))).alias("chargeback"),
        # the hospital-font case: the column is filled in only for non-fraud rows
        pl.when(pl.col("is_fraud") == 0).then(pl.col("f1")).otherwise(None).alias("review_note"),
        pl.when(pl.col("is_fraud") == 1).then(pl.lit("flagged")).otherwise(pl.lit("ok")).alias("status"),
    )
    t = _write(leaky, tmp_path / "train.parquet")
    result = check_leakage(_splits([t, clean_splits[1]]), target="is_fraud")
    found = {(f["check"], f["evidence"]["column"]) for f in result["findings"]}
    assert found == {("target_leakage", "chargeback"), ("missingness_leakage", "review_note"), ("target_leakage", "status")}
    scores = {s["column"]: s for s in result["scores"]}
    assert scores["chargeback"]["score"] == pytest.approx(1.0, abs=1e-3)
    assert scores["review_note"]["missing_score"] > 0.95
    assert scores["f9"]["missing_score"] < 0.8  # missing not at random, but no give-away
    assert all(f["severity"] == "error" for f in result["findings"])
    # --cols restricts what is scored
    only = check_leakage(_splits([t, clean_splits[1]]), target="is_fraud", cols=["amount", "f*"])
    assert only["findings"] == []


def test_numeric_target_uses_correlation(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, 500)
    frame = pl.DataFrame({"y": y, "copy": y * 3 + rng.normal(0, 0.01, 500), "noise": rng.normal(0, 1, 500)})
    train = _write(frame, tmp_path / "train.parquet")
    test = _write(frame.head(0), tmp_path / "test.parquet")
    result = check_leakage(_splits([train, test]), target="y")
    assert [(f["check"], f["evidence"]["column"]) for f in result["findings"]] == [("target_leakage", "copy")]
    scores = {s["column"]: s for s in result["scores"]}
    assert scores["copy"]["corr"] == pytest.approx(np.corrcoef(frame["copy"], y)[0, 1], abs=1e-12)


# ---- lineage findings ----------------------------------------------------------------------------


def _fitted(inputs: list[Path], outputs: list[Path], *, fit_on: int, step: str = "impute", allow: bool = False) -> list[Path]:
    data = [open_input(str(p)) for p in inputs]
    run = StepRun(step, params={"strategy": "median", "allow_leakage": allow})
    run.write([Output(str(o), d.frame, data_inputs=[d], fit_inputs=[data[fit_on]], state={"columns": {}})
               for d, o in zip(data, outputs)])
    return outputs


def test_fit_on_test_role_and_allow_leakage(tmp_path, clean_splits):
    outs = _fitted(clean_splits, [tmp_path / f"{r}.parquet" for r in ("train", "valid", "test")], fit_on=2, allow=True)
    result = check_leakage(_splits(outs))
    found = _checks(result)
    assert ("lineage.fit_on_non_train", "error") in found
    assert ("lineage.allow_leakage", "warn") in found
    assert sum(c == "lineage.fit_on_non_train" for c, _ in found) == 1  # the same ancestor is reported once
    clean = _fitted(clean_splits, [tmp_path / f"ok-{r}.parquet" for r in ("train", "valid", "test")], fit_on=0)
    assert check_leakage(_splits(clean))["findings"] == []


def test_balancing_a_test_split(tmp_path, clean_splits):
    data = open_input(str(clean_splits[2]))
    out = tmp_path / "test.parquet"
    StepRun("balance", params={"method": "random-over"}).write([Output(str(out), data.frame, data_inputs=[data])])
    result = check_leakage(_splits([clean_splits[0], out]))
    assert _checks(result) == [("lineage.balance_on_non_train", "error")]


def test_balancing_or_fitting_before_the_split(tmp_path):
    raw = open_input(str(SAMPLE))
    balanced = tmp_path / "balanced.parquet"
    StepRun("balance", params={"method": "smote"}).write([Output(str(balanced), raw.frame, data_inputs=[raw])])
    result = check_leakage(_splits(_time_split(balanced, tmp_path / "a")))
    assert ("lineage.balance_before_split", "error") in _checks(result)
    imputed = tmp_path / "imputed.parquet"
    StepRun("impute", params={}).write([Output(str(imputed), raw.frame, data_inputs=[raw], fit_inputs=[raw], state={"columns": {}})])
    result = check_leakage(_splits(_time_split(imputed, tmp_path / "b")))
    assert _checks(result) == [("lineage.fit_before_split", "warn")]


def test_errors():
    frame = pl.LazyFrame({"t": [1], "y": [0]})
    with pytest.raises(UsageError, match="at least one other split"):
        check_leakage([SplitData("train", frame)])
    with pytest.raises(InputError, match=r"column 'tt' \(from --time-col\) not found in 'test'"):
        check_leakage([SplitData("train", frame.rename({"t": "tt"})), SplitData("test", frame)], time_col="tt")
    with pytest.raises(InputError, match="--time-col 't' of 'test' is String, not a date"):
        check_leakage([SplitData("train", frame), SplitData("test", frame.with_columns(pl.col("t").cast(pl.String)))], time_col="t")
    naive = frame.with_columns(pl.col("t").cast(pl.Datetime("us")))
    aware = naive.with_columns(pl.col("t").dt.replace_time_zone("UTC"))
    with pytest.raises(InputError, match="naive vs time-zone-aware cannot be compared"):
        check_leakage([SplitData("train", naive), SplitData("test", aware)], time_col="t")


# ---- CLI -------------------------------------------------------------------------------------------


def test_cli_json_fail_on_and_exit_codes(clean_splits):
    res = run_mlprep("check", "leakage", *clean_splits, "--group-col", "user_id", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.out)
    assert report["summary"] == {"error": 0, "warn": 2, "info": 0} and report["failed"] is False
    res = run_mlprep("check", "leakage", *clean_splits, "--group-col", "user_id", "--fail-on", "warn")
    assert res.returncode == 1
    assert "entity_overlap" in res.out and "FAIL" in res.stderr


def test_cli_leaky_split_exits_one(tmp_path, clean_splits):
    test = pl.concat([pl.read_parquet(clean_splits[2]), pl.read_parquet(clean_splits[0]).head(3)])
    t = _write(test, tmp_path / "test.parquet")
    res = run_mlprep("check", "leakage", clean_splits[0], t, "--time-col", "event_time", "--json")
    assert res.returncode == 1
    checks = {f["check"] for f in json.loads(res.out)["findings"]}
    assert checks == {"time_overlap", "duplicates"}


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--target", "fraud"], ["column 'fraud' (from --target) not found in", "did you mean 'is_fraud'"]),
        (["--fail-on", "never"], ["--fail-on 'never' is not one of warn, error"]),
        (["--time-col", "amount", "--group-col", "usr"], ["column 'usr' (from --group-col)"]),
        (["--auc-threshold", "0.3"], ["--auc-threshold must be in (0.5, 1]"]),
    ],
)
def test_cli_errors_are_one_line(clean_splits, args, fragments):
    res = run_mlprep("check", "leakage", *clean_splits, *args)
    assert_one_line_error(res, *fragments)


def test_cli_needs_two_splits(clean_splits):
    res = run_mlprep("check", "leakage", clean_splits[0])
    assert res.returncode == 2


def test_multiclass_target_uses_mutual_information(tmp_path):
    from sklearn.metrics import mutual_info_score

    from mlprep.steps.leakage import mutual_information

    rng = np.random.default_rng(2)
    y = rng.choice(["a", "b", "c", "d"], 2000)
    x = rng.choice(["p", "q", "r"], 2000)
    mi, h = mutual_information(pl.DataFrame({"x": x, "y": y}))
    assert mi == pytest.approx(mutual_info_score(y, x), abs=1e-12)
    assert h == pytest.approx(mutual_info_score(y, y), abs=1e-12)
    code = pl.Series(y).replace_strict({"a": 0.0, "b": 5.0, "c": 10.0, "d": 15.0}).to_numpy()
    frame = pl.DataFrame({
        "y": y, "label_copy": np.char.upper(y), "amount": code + rng.normal(0, 0.1, 2000),
        "x": x, "noise": rng.normal(0, 1, 2000),
        "note": pl.Series(np.where(y == "a", np.nan, 1.0)).fill_nan(None),
    })
    train = _write(frame, tmp_path / "train.parquet")
    test = _write(frame.head(0), tmp_path / "test.parquet")
    result = check_leakage(_splits([train, test]), target="y")
    found = {(f["check"], f["evidence"]["column"]) for f in result["findings"]}
    assert found == {("target_leakage", "label_copy"), ("target_leakage", "amount")}
    scores = {s["column"]: s for s in result["scores"]}
    assert scores["noise"]["score"] < 0.05 and scores["x"]["score"] < 0.05
    # missing only for class 'a' of four: informative, but far from giving the label away
    assert 0.3 < scores["note"]["missing_score"] < 0.95


def test_row_hash_covers_awkward_types_and_nested_columns_are_skipped(tmp_path):
    import datetime as dt

    frame = pl.DataFrame({
        "d": [dt.timedelta(seconds=1), dt.timedelta(seconds=2)], "b": [b"\x00\xff", b"x"], "f": [float("nan"), 1.0],
        "n": [None, 1], "l": [[1], [2]],
    })
    train = _write(frame, tmp_path / "train.parquet")
    test = _write(frame.slice(0, 1).with_columns(pl.lit([9]).alias("l")), tmp_path / "test.parquet")
    result = check_leakage(_splits([train, test]))
    dup = result["findings"][0]
    assert dup["check"] == "duplicates" and dup["evidence"]["rows"] == 1 and dup["evidence"]["columns_compared"] == 4
