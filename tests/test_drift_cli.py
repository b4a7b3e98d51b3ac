"""`mlprep check drift` through the installed executable: exit codes, errors, JSON, HTML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import SAMPLE, assert_one_line_error, files_in, run_mlprep


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("drift")
    df = pl.read_parquet(SAMPLE)
    mask = pl.Series(np.random.default_rng(2026).random(df.height) < 0.5)
    paths = {name: folder / f"{name}.parquet" for name in ("a", "b", "shifted", "fewer")}
    df.filter(mask).write_parquet(paths["a"])
    b = df.filter(~mask)
    b.write_parquet(paths["b"])
    b.with_columns(
        pl.col("amount") * 2,
        pl.when(pl.col("category") == "travel").then(pl.lit("crypto")).otherwise(pl.col("category")).alias("category"),
    ).write_parquet(paths["shifted"])
    b.drop("f3", "country").with_columns(pl.lit(1.0).alias("extra")).write_parquet(paths["fewer"])
    return paths


def test_no_alert_on_random_halves_exits_0(data) -> None:
    result = run_mlprep("check", "drift", data["a"], data["b"], "--target", "is_fraud", "--time-col", "event_time", "--window", "90d",
                        env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "amount" in result.out and "severity" in result.out and "is_fraud (target)" in result.out
    assert "windows of" in result.out and "2025-01-01 00:11" in result.out
    assert "check drift: ok: 0 alert(s), 0 warning(s) in 16 column(s); 0 alert(s) across 5 window(s)" in result.stderr


def test_alert_on_shifted_copy_exits_1_and_json(data) -> None:
    result = run_mlprep("check", "drift", data["a"], data["shifted"], "--cols", "amount,category,f*", "--target", "is_fraud", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.out)
    assert report["severity"] == "alert" and report["alerts"] == 2
    assert [c["column"] for c in report["columns"][:2]] == ["category", "amount"]
    assert report["columns"][0]["unseen"]["values"] == [{"value": "crypto", "rows": report["columns"][0]["unseen"]["values"][0]["rows"]}]
    assert report["reference"]["path"] == str(data["a"]) and report["current"]["path"] == str(data["shifted"])
    assert report["thresholds"]["psi_alert"] == 0.25 and report["params"]["epsilon"] == 1e-4
    assert all("plot" not in c for c in report["columns"])


def test_thresholds_from_the_command_line(data) -> None:
    loose = run_mlprep("check", "drift", data["a"], data["shifted"], "--cols", "amount,event_time", "--json",
                       "--psi-alert", "5", "--psi-warn", "4", "--ks-alert", "0.9", "--wasserstein-alert", "9", "--wasserstein-warn", "8")
    assert loose.returncode == 0, loose.stderr
    assert json.loads(loose.out)["columns"][0]["severity"] in ("ok", "warn")
    assert "mlprep: warning: column 'event_time' (Datetime(time_unit='us', time_zone=None)) not compared" in loose.stderr
    bad = run_mlprep("check", "drift", data["a"], data["b"], "--psi-warn", "0.5", "--psi-alert", "0.2")
    assert_one_line_error(bad, "--psi-warn 0.5 and --psi-alert 0.2 must satisfy 0 <= warn <= alert")
    bad_p = run_mlprep("check", "drift", data["a"], data["b"], "--p-value", "0")
    assert_one_line_error(bad_p, "--p-value 0 must be in (0, 1]")


def test_windows_table(data, tmp_path) -> None:
    df = pl.read_parquet(data["b"])
    late = df.with_columns(pl.when(pl.col("event_time") >= pl.datetime(2025, 7, 1)).then(pl.col("amount") * 3).otherwise(pl.col("amount")).alias("amount"))
    path = tmp_path / "late.parquet"
    late.write_parquet(path)
    result = run_mlprep("check", "drift", data["a"], path, "--cols", "amount", "--time-col", "event_time", "--window", "30d", "--json")
    assert result.returncode == 1
    report = json.loads(result.out)
    severities = [(w["start"] < "2025-06-25", w["severity"]) for w in report["windows"]]
    assert all(sev == "ok" for early, sev in severities if early)
    assert all(sev == "alert" for w, (early, sev) in zip(report["windows"], severities) if w["start"] >= "2025-07-01")


def test_html_report_is_self_contained_with_svg(data, tmp_path) -> None:
    html = tmp_path / "reports" / "drift.html"
    result = run_mlprep("check", "drift", data["a"], data["shifted"], "--target", "is_fraud", "--html", html, "-q")
    assert result.returncode == 1, result.stderr
    assert files_in(tmp_path) == ["reports/drift.html"]  # no temporary left behind
    text = html.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text
    svgs = [text[i : text.index("</svg>", i) + 6] for i in range(len(text)) if text.startswith("<svg", i)]
    assert len(svgs) == 2  # one overlay per drifted column (amount, category)
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert "id='col-amount'" in text and "id='col-category'" in text and "crypto" in text
    assert "<polygon" in svgs[0] or "<polygon" in svgs[1]
    assert "check drift:" not in result.stderr  # --quiet


def test_html_not_written_on_bad_input(data, tmp_path) -> None:
    html = tmp_path / "drift.html"
    html.write_text("previous")
    result = run_mlprep("check", "drift", data["a"], data["b"], "--cols", "amount,nope", "--html", html)
    assert_one_line_error(result, "column 'nope' (from --cols) not found in REFERENCE")
    assert html.read_text() == "previous" and files_in(tmp_path) == ["drift.html"]
    same = run_mlprep("check", "drift", data["a"], data["b"], "--html", data["a"])
    assert_one_line_error(same, "is the input")


def test_columns_absent_in_one_input(data) -> None:
    result = run_mlprep("check", "drift", data["a"], data["fewer"])
    assert_one_line_error(
        result, "the inputs have different columns: columns 'country', 'f3' only in REFERENCE", "column 'extra' only in CURRENT", "pass --cols",
    )
    restricted = run_mlprep("check", "drift", data["a"], data["fewer"], "--cols", "amount,f0", "--json")
    assert restricted.returncode == 0, restricted.stderr
    assert {c["column"] for c in json.loads(restricted.out)["columns"]} == {"amount", "f0"}
    missing = run_mlprep("check", "drift", data["a"], data["fewer"], "--cols", "f3")
    assert_one_line_error(missing, "column 'f3' (from --cols) not found in CURRENT")


@pytest.mark.parametrize(
    "args,fragments",
    [
        (["--window", "7d"], ["--window needs --time-col"]),
        (["--time-col", "event_time", "--window", "soon"], ["--window 'soon' is not a duration"]),
        (["--time-col", "amount", "--window", "7d"], ["--time-col 'amount'", "not a date or datetime"]),
        (["--target", "fraud"], ["column 'fraud' (from --target) not found", "did you mean 'is_fraud'?"]),
        (["--bins", "1"], ["--bins 1 must be at least 2"]),
    ],
)
def test_bad_options_one_line_exit_2(data, args, fragments) -> None:
    assert_one_line_error(run_mlprep("check", "drift", data["a"], data["b"], *args), *fragments)


def test_stdin_and_csv_inputs(data, tmp_path) -> None:
    csv = tmp_path / "b.csv"
    pl.read_parquet(data["b"]).select("amount", "category").write_csv(csv)
    result = run_mlprep("check", "drift", "-", csv, "--cols", "amount,category", "--json", stdin=data["a"].read_bytes())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.out)["reference"]["path"] == "stdin"


def test_help_lists_options_and_example() -> None:
    result = run_mlprep("check", "drift", "--help")
    assert result.returncode == 0
    for flag in ("--psi-warn", "--psi-alert", "--p-value", "--window", "--time-col", "--html", "--json", "--cols", "--target"):
        assert flag in result.out
    assert "Example: mlprep check drift" in result.out
