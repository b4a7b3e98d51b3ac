"""Tests of `join asof`: brute-force oracle, point-in-time invariant, types, CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, SAMPLE, assert_one_line_error, run_mlprep
from mlprep.errors import InputError, UsageError
from mlprep.steps.join import AsofTable, join_asof

FEATURES = ROOT / "sample_data" / "user_features.parquet"
T0 = dt.datetime(2024, 1, 1)


def _brute_force(events: pl.DataFrame, feats: pl.DataFrame, *, exact: bool, max_age: dt.timedelta | None) -> list[int | None]:
    """For each event, the matching feature row index by a plain per-row scan."""
    out: list[int | None] = []
    frows = feats.rows(named=True)
    for ev in events.rows(named=True):
        best = None
        if ev["k"] is not None and ev["t"] is not None:
            for j, fr in enumerate(frows):
                if fr["k"] != ev["k"] or fr["k"] is None or fr["ft"] is None:
                    continue
                if fr["ft"] > ev["t"] or (fr["ft"] == ev["t"] and not exact):
                    continue
                if max_age is not None and ev["t"] - fr["ft"] > max_age:
                    continue
                # latest time wins; at equal times the later row of the table wins
                if best is None or fr["ft"] >= frows[best]["ft"]:
                    best = j
        out.append(best)
    return out


minutes = st.one_of(st.none(), st.integers(0, 12))
keys = st.one_of(st.none(), st.integers(1, 3))


@st.composite
def frames(draw):
    n_ev = draw(st.integers(0, 25))
    n_ft = draw(st.integers(0, 25))
    ev_k = draw(st.lists(keys, min_size=n_ev, max_size=n_ev))
    ev_t = draw(st.lists(minutes, min_size=n_ev, max_size=n_ev))
    ft_k = draw(st.lists(keys, min_size=n_ft, max_size=n_ft))
    ft_t = draw(st.lists(minutes, min_size=n_ft, max_size=n_ft))
    to_time = lambda m: None if m is None else T0 + dt.timedelta(minutes=m)  # noqa: E731
    events = pl.DataFrame(
        {"k": ev_k, "t": [to_time(m) for m in ev_t], "pos": list(range(n_ev))},
        schema={"k": pl.Int64, "t": pl.Datetime("us"), "pos": pl.Int64},
    )
    feats = pl.DataFrame(
        {"k": ft_k, "ft": [to_time(m) for m in ft_t], "row": list(range(n_ft))},
        schema={"k": pl.Int64, "ft": pl.Datetime("us"), "row": pl.Int64},
    )
    return events, feats


@settings(max_examples=60, deadline=None)
@given(frames(), st.booleans(), st.one_of(st.none(), st.integers(0, 5)))
def test_matches_brute_force(data, exact, age_minutes):
    events, feats = data
    max_age = None if age_minutes is None else dt.timedelta(minutes=age_minutes)
    if max_age is not None and age_minutes == 0:
        with pytest.raises(UsageError, match="--max-age must be positive"):
            join_asof(events.lazy(), [AsofTable(feats.lazy(), by=["k"], feature_time_col="ft", max_age=max_age)], time_col="t")
        return
    out, report = join_asof(
        events.lazy(), [AsofTable(feats.lazy(), by=["k"], feature_time_col="ft", max_age=max_age)],
        time_col="t", allow_exact_matches=exact,
    )
    got = out.collect(engine="streaming")
    # event rows keep their order and count, and their own columns are untouched
    assert got.select("k", "t", "pos").equals(events)
    assert got["row"].to_list() == _brute_force(events, feats, exact=exact, max_age=max_age)
    # point in time: a joined feature time is never after (strictly: never at) the event time
    joined = got.filter(pl.col("ft").is_not_null())
    if exact:
        assert (joined["ft"] <= joined["t"]).all()
    else:
        assert (joined["ft"] < joined["t"]).all()
    matched = got["row"].is_not_null().sum()
    assert report["tables"][0]["matched"] == matched
    assert report["tables"][0]["no_match"] == events.height - matched


@settings(max_examples=30, deadline=None)
@given(frames(), st.booleans())
def test_inner_keeps_exactly_the_matched_rows(data, exact):
    events, feats = data
    table = AsofTable(feats.lazy(), by=["k"], feature_time_col="ft")
    left, _ = join_asof(events.lazy(), [table], time_col="t", allow_exact_matches=exact)
    inner, report = join_asof(events.lazy(), [AsofTable(feats.lazy(), by=["k"], feature_time_col="ft")], time_col="t",
                              allow_exact_matches=exact, inner=True)
    expected = left.collect().filter(pl.col("row").is_not_null())
    got = inner.collect(engine="streaming")
    assert got.equals(expected)
    assert report["dropped_no_match"] == events.height - got.height
    assert report["rows"] == got.height


def test_max_age_edge_is_inclusive_and_exact_match_switch():
    events = pl.LazyFrame({"k": [1, 1, 1], "t": [T0 + dt.timedelta(days=d) for d in (10, 11, 20)]})
    feats = pl.LazyFrame({"k": [1, 1], "t": [T0, T0 + dt.timedelta(days=10)], "x": ["a", "b"]})
    tbl = lambda: AsofTable(feats, by=["k"], max_age=dt.timedelta(days=10), prefix="f_")  # noqa: E731
    strict, _ = join_asof(events, [tbl()], time_col="t")
    # day 10: 'b' is at the event time (not strictly before) so 'a', exactly 10 days old, matches
    assert strict.collect()["f_x"].to_list() == ["a", "b", "b"]
    exact, _ = join_asof(events, [tbl()], time_col="t", allow_exact_matches=True)
    assert exact.collect()["f_x"].to_list() == ["b", "b", "b"]
    short = AsofTable(feats, by=["k"], max_age=dt.timedelta(days=9, hours=23), prefix="f_")
    out, report = join_asof(events, [short], time_col="t")
    assert out.collect()["f_x"].to_list() == [None, "b", None]
    assert report["tables"][0]["matched_share"] == pytest.approx(1 / 3)
    assert report["tables"][0]["median_feature_age_seconds"] == 86400


def test_several_tables_with_their_own_options_and_report():
    events = pl.LazyFrame({"u": [1, 2, 1], "m": ["x", "y", "y"], "t": [T0 + dt.timedelta(hours=h) for h in (5, 6, 7)]})
    users = pl.LazyFrame({"u": [1, 2, 1], "snap": [T0, T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=6)], "score": [1.0, 2.0, 3.0]})
    merchants = pl.LazyFrame({"m": ["x", "y"], "t": [T0 + dt.timedelta(hours=4), T0 + dt.timedelta(hours=2)], "risk": [0.1, 0.9]})
    out, report = join_asof(
        events,
        [AsofTable(users, by=["u"], feature_time_col="snap", prefix="u_", name="users"),
         AsofTable(merchants, by=["m"], prefix="m_", max_age=dt.timedelta(hours=4), name="merchants")],
        time_col="t",
    )
    got = out.collect()
    assert got.columns == ["u", "m", "t", "u_score", "u_snap", "m_risk", "m_t"]
    assert got["u_score"].to_list() == [1.0, 2.0, 3.0]
    assert got["m_risk"].to_list() == [0.1, 0.9, None]  # the last event's 'y' row is 5h old
    assert [t["matched"] for t in report["tables"]] == [3, 2]
    assert report["tables"][0]["median_feature_age"] == "5h"  # ages 5h, 5h, 1h


def test_ties_pick_the_last_row_of_the_table():
    events = pl.LazyFrame({"k": [1], "t": [T0 + dt.timedelta(days=1)]})
    feats = pl.LazyFrame({"k": [1, 1, 1], "t": [T0, T0, T0 - dt.timedelta(days=1)], "x": [1, 2, 3]})
    out, _ = join_asof(events, [AsofTable(feats, by=["k"], prefix="f_")], time_col="t")
    assert out.collect()["f_x"].to_list() == [2]


def test_time_zones_compare_as_instants_and_units_align():
    utc = pl.Datetime("us", "UTC")
    events = pl.LazyFrame({"k": [1, 1], "t": [dt.datetime(2024, 1, 1, 12), dt.datetime(2024, 1, 1, 14)]}, schema={"k": pl.Int64, "t": utc})
    # 13:30 in Paris (UTC+1) is 12:30 UTC: after the first event, before the second
    feats = pl.LazyFrame({"k": [1], "t": [dt.datetime(2024, 1, 1, 12, 30)], "x": [7]}).with_columns(
        pl.col("t").cast(pl.Datetime("ns")).dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Paris")
    )
    out, _ = join_asof(events, [AsofTable(feats, by=["k"], prefix="f_")], time_col="t")
    assert out.collect()["f_x"].to_list() == [None, 7]


def test_integer_keys_of_different_widths_join():
    events = pl.LazyFrame({"k": [1, 2], "t": [T0, T0]}, schema={"k": pl.Int32, "t": pl.Datetime("us")})
    feats = pl.LazyFrame({"k": [1, 2], "t": [T0 - dt.timedelta(1)] * 2, "x": [5, 6]}, schema={"k": pl.Int64, "t": pl.Datetime("us"), "x": pl.Int64})
    out, _ = join_asof(events, [AsofTable(feats, by=["k"], prefix="f_")], time_col="t")
    got = out.collect()
    assert got["f_x"].to_list() == [5, 6]
    assert got["k"].dtype == pl.Int32


@pytest.mark.parametrize(
    ("ev_schema", "ft_schema", "match"),
    [
        ({"k": pl.String, "t": pl.Datetime("us")}, {"k": pl.Int64, "t": pl.Datetime("us")}, r"key column 'k' \(from --by\) is String in 'EVENTS' but Int64 in 'FEATURES'"),
        ({"k": pl.Int64, "t": pl.Datetime("us")}, {"k": pl.Int64, "t": pl.Datetime("us", "UTC")}, "naive"),
        ({"k": pl.Int64, "t": pl.Date}, {"k": pl.Int64, "t": pl.Datetime("us")}, "make both dates or both datetimes"),
        ({"k": pl.Int64, "t": pl.String}, {"k": pl.Int64, "t": pl.Datetime("us")}, "not a date or datetime"),
    ],
)
def test_type_mismatches_are_one_line_errors(ev_schema, ft_schema, match):
    events = pl.LazyFrame(schema=ev_schema)
    feats = pl.LazyFrame(schema={**ft_schema, "x": pl.Int64})
    with pytest.raises(InputError, match=match) as info:
        join_asof(events, [AsofTable(feats, by=["k"])], time_col="t")
    assert "\n" not in str(info.value)


def test_column_clash_and_missing_columns():
    events = pl.LazyFrame(schema={"k": pl.Int64, "t": pl.Datetime("us"), "x": pl.Int64})
    feats = pl.LazyFrame(schema={"k": pl.Int64, "t": pl.Datetime("us"), "x": pl.Int64})
    with pytest.raises(InputError, match="pass --prefix"):
        join_asof(events, [AsofTable(feats, by=["k"])], time_col="t")
    with pytest.raises(InputError, match="column 'kk' .*did you mean 'k'"):
        join_asof(events, [AsofTable(feats, by=["kk"], prefix="f_")], time_col="t")
    with pytest.raises(InputError, match="column 'snap' \\(from --feature-time-col\\)"):
        join_asof(events, [AsofTable(feats, by=["k"], prefix="f_", feature_time_col="snap")], time_col="t")


# ---- CLI ---------------------------------------------------------------------------------------


def test_cli_joins_sample_data_point_in_time(tmp_path: Path):
    out = tmp_path / "joined.parquet"
    res = run_mlprep(
        "join", "asof", SAMPLE, FEATURES, "--by", "user_id", "--time-col", "event_time",
        "--feature-time-col", "snapshot_time", "--max-age", "30d", "--prefix", "u_", "-o", out,
    )
    assert res.returncode == 0, res.stderr
    assert "matched" in res.stderr and "median feature age" in res.stderr
    events = pl.read_parquet(SAMPLE)
    got = pl.read_parquet(out)
    assert got.select(events.columns).equals(events)  # order and count kept
    assert got.columns[len(events.columns):] == ["u_txn_count_30d", "u_avg_amount_30d", "u_credit_limit", "u_snapshot_time"]
    joined = got.filter(pl.col("u_snapshot_time").is_not_null())
    assert (joined["u_snapshot_time"] < joined["event_time"]).all()
    assert (joined["event_time"] - joined["u_snapshot_time"] <= dt.timedelta(days=30)).all()
    manifest = json.loads((tmp_path / "joined.parquet.lineage.json").read_text())
    assert manifest["step"] == "join.asof"
    assert [i["use"] for i in manifest["inputs"]] == ["data", "data"]
    table = manifest["report"]["tables"][0]
    assert table["matched"] == joined.height
    assert table["matched"] + table["no_match"] == events.height
    assert manifest["params"]["tables"][0]["max_age"] == "30d"
    # same command, same bytes (the command line is embedded, so run it twice from two folders)
    outs = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        run_mlprep("join", "asof", SAMPLE, FEATURES, "--by", "user_id", "--time-col", "event_time",
                   "--feature-time-col", "snapshot_time", "--max-age", "30d", "--prefix", "u_", "-o", "j.parquet",
                   cwd=tmp_path / name, check=True)
        outs.append((tmp_path / name / "j.parquet").read_bytes())
    assert outs[0] == outs[1]


def test_cli_inner_json_and_two_tables(tmp_path: Path):
    out = tmp_path / "j.parquet"
    res = run_mlprep(
        "join", "asof", SAMPLE, FEATURES, FEATURES, "--by", "user_id", "--time-col", "event_time",
        "--feature-time-col", "snapshot_time", "--max-age", "7d", "--max-age", "90d", "--prefix", "w_", "--prefix", "q_",
        "--cols", "credit_limit", "--inner", "--allow-exact-matches", "--json", "-o", out,
    )
    assert res.returncode == 0, res.stderr
    report = json.loads(res.out)["report"]
    got = pl.read_parquet(out)
    assert got.columns[-4:] == ["w_credit_limit", "w_snapshot_time", "q_credit_limit", "q_snapshot_time"]
    assert got.height == report["rows"] == report["events"] - report["dropped_no_match"]
    assert got["w_credit_limit"].null_count() == 0 and got["q_credit_limit"].null_count() == 0
    assert report["tables"][0]["matched"] < report["tables"][1]["matched"]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--by", "user_id"], ["--time-col is required"]),
        (["--time-col", "event_time"], ["--by is required"]),
        (["--by", "user", "--time-col", "event_time", "--feature-time-col", "snapshot_time"], ["column 'user' (from --by)", "did you mean 'user_id'"]),
        (["--by", "user_id", "--time-col", "event_time"], ["column 'event_time' (from --time-col) not found in", "user_features.parquet"]),
        (["--by", "user_id", "--time-col", "event_time", "--feature-time-col", "snapshot_time", "--max-age", "soon"], ["--max-age 'soon' is not a duration"]),
        (["--by", "user_id", "--time-col", "event_time", "--prefix", "a_", "--prefix", "b_"], ["--prefix was given 2 times for one FEATURES table"]),
    ],
)
def test_cli_errors_are_one_line(tmp_path: Path, args, fragments):
    out = tmp_path / "j.parquet"
    res = run_mlprep("join", "asof", SAMPLE, FEATURES, *args, "-o", out)
    assert_one_line_error(res, *fragments)
    assert not out.exists()


def test_cli_per_table_option_count_mismatch(tmp_path: Path):
    res = run_mlprep("join", "asof", SAMPLE, FEATURES, FEATURES, FEATURES, "--by", "user_id", "--time-col", "event_time",
                     "--prefix", "a_", "--prefix", "b_", "-o", tmp_path / "j.parquet")
    assert_one_line_error(res, "--prefix was given 2 times for 3 FEATURES tables")


def test_cli_naive_vs_aware(tmp_path: Path):
    feats = tmp_path / "aware.parquet"
    pl.read_parquet(FEATURES).with_columns(pl.col("snapshot_time").dt.replace_time_zone("UTC")).write_parquet(feats)
    res = run_mlprep("join", "asof", SAMPLE, feats, "--by", "user_id", "--time-col", "event_time",
                     "--feature-time-col", "snapshot_time", "-o", tmp_path / "j.parquet")
    assert_one_line_error(res, "time zone awareness", "naive", "aware")


@pytest.mark.parametrize("command", [["join", "asof"], ["check", "leakage"]])
def test_help_has_defaults_and_a_runnable_example(command):
    res = run_mlprep(*command, "--help", env={"COLUMNS": "200"})
    assert res.returncode == 0
    assert "Example: mlprep " + " ".join(command) in res.out


def test_cli_modules_import_nothing_heavy():
    import subprocess
    import sys

    code = "import sys, mlprep.cli.main; print(sorted(m for m in ('polars', 'sklearn', 'mlprep.steps.join', 'mlprep.steps.leakage') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cli_events_from_stdin_and_cols_glob(tmp_path: Path):
    out = tmp_path / "j.parquet"
    res = run_mlprep("join", "asof", "-", FEATURES, "--by", "user_id", "--time-col", "event_time", "--feature-time-col", "snapshot_time",
                     "--cols", "*_30d", "--allow-exact-matches", "-o", out, stdin=SAMPLE.read_bytes())
    assert res.returncode == 0, res.stderr
    got = pl.read_parquet(out)
    assert got.columns[-3:] == ["txn_count_30d", "avg_amount_30d", "snapshot_time"]
    assert got.height == 50_000
    manifest = json.loads((tmp_path / "j.parquet.lineage.json").read_text())
    assert manifest["inputs"][0]["path"] == "-"
