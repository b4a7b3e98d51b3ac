"""Unit, oracle and property tests of mlprep.steps.split (no files, no CLI)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlprep.errors import ColumnNotFoundError, InputError, UsageError
from mlprep.steps.split import (
    allocate,
    assign_groups_stratified,
    check_ratios,
    random_split,
    split,
    tie_cut,
    time_folds,
    time_split,
)

T0 = dt.datetime(2025, 1, 1)


def collect(result):
    """Output name → collected frame (one collect_all, as the writer does)."""
    frames = pl.collect_all([p.frame for p in result.parts], engine="streaming")
    return {p.name: f for p, f in zip(result.parts, frames)}


def minutes_frame(minutes, **extra) -> pl.LazyFrame:
    """A frame whose event time is T0 + m minutes, with a row id in input order."""
    times = [T0 + dt.timedelta(minutes=int(m)) for m in minutes]
    return pl.LazyFrame({"t": times, "id": list(range(len(times))), **extra}, schema_overrides={"t": pl.Datetime("us")})


# --------------------------------------------------------------------------------------------
# Ratios, cut points, ties


def test_check_ratios_accepts_two_or_three_summing_to_one():
    assert check_ratios([0.7, 0.15, 0.15]) == [0.7, 0.15, 0.15]
    assert check_ratios([0.8, 0.2]) == [0.8, 0.2]


@pytest.mark.parametrize(
    ("ratios", "message"),
    [
        ([0.7, 0.2], "sums to 0.9, not 1"),
        ([0.5, 0.6, -0.1], "every ratio must be positive"),
        ([1.0, 0.0], "every ratio must be positive"),
        ([1.0], "give 2 (train,test) or 3"),
        ([0.25] * 4, "give 2 (train,test) or 3"),
    ],
)
def test_check_ratios_rejects(ratios, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_ratios(ratios)


def test_tie_cut_picks_the_nearest_boundary_between_ties():
    times = np.array([1, 2, 2, 2, 2, 3])
    assert tie_cut(times, 1) == 1
    assert tie_cut(times, 2) == 1  # 1 away from the start of the 2s, 3 away from their end
    assert tie_cut(times, 4) == 5
    assert tie_cut(times, 3) == 1  # equal distance: the earlier boundary
    assert tie_cut(times, 0) == 0 and tie_cut(times, 6) == 6


def test_time_split_orders_splits_and_reports_cutoffs_and_rows():
    lf = minutes_frame(np.random.default_rng(0).permutation(1000))
    result = time_split(lf, time_col="t", ratios=[0.7, 0.15, 0.15])
    out = collect(result)
    assert {k: v.height for k, v in out.items()} == {"train": 700, "valid": 150, "test": 150} == result.report["rows"]
    assert out["train"]["t"].max() < out["valid"]["t"].min() and out["valid"]["t"].max() < out["test"]["t"].min()
    assert result.report["cutoffs"] == ["2025-01-01T11:40:00", "2025-01-01T14:10:00"]  # minutes 700 and 850
    assert [p.role for p in result.parts] == ["train", "valid", "test"]
    # rows keep their input order inside each split
    assert out["train"]["id"].to_list() == sorted(out["train"]["id"].to_list())


def test_ties_never_straddle_a_boundary():
    # 10 rows at minute 0..9, but minutes 6, 7 and 8 each hold 5 tied rows
    minutes = [0, 1, 2, 3, 4, 5] + [6] * 5 + [7] * 5 + [8] * 5 + [9]
    result = time_split(minutes_frame(minutes), time_col="t", ratios=[0.5, 0.5])
    out = collect(result)
    assert set(out["train"]["t"]).isdisjoint(set(out["test"]["t"]))
    assert result.report["rows"] == {"train": 11, "test": 11}  # 11 of 22: cut between minute 6 and 7


def test_cutoffs_split_at_given_times():
    lf = minutes_frame(range(100))
    result = time_split(lf, time_col="t", cutoffs=["2025-01-01T00:30:00", "2025-01-01T01:00:00"])
    assert result.report["rows"] == {"train": 30, "valid": 30, "test": 40}
    result = time_split(lf, time_col="t", cutoffs=[dt.datetime(2025, 1, 1, 0, 45)])
    assert result.report["rows"] == {"train": 45, "test": 55}


def test_gap_drops_rows_after_each_boundary_from_the_later_split():
    lf = minutes_frame(range(100))
    result = time_split(lf, time_col="t", ratios=[0.6, 0.2, 0.2], gap="5m")
    out = collect(result)
    assert result.report["rows"] == {"train": 60, "valid": 15, "test": 15}
    assert result.report["dropped_by_gap"] == {"valid": 5, "test": 5}
    assert out["valid"]["id"].min() == 65 and out["test"]["id"].min() == 85
    assert sum(result.report["rows"].values()) + sum(result.report["dropped_by_gap"].values()) == 100


def test_gap_wider_than_a_split_empties_it_and_is_an_error():
    with pytest.raises(InputError, match="split 'valid' would be empty"):
        time_split(minutes_frame(range(100)), time_col="t", ratios=[0.6, 0.1, 0.3], gap="15m")
    result = time_split(minutes_frame(range(100)), time_col="t", ratios=[0.6, 0.1, 0.3], gap="15m", allow_empty=True)
    assert result.report["rows"] == {"train": 60, "valid": 0, "test": 15}
    assert result.report["dropped_by_gap"] == {"valid": 10, "test": 15}
    assert collect(result)["valid"].height == 0


def test_date_column_and_day_gaps():
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(30)]
    lf = pl.LazyFrame({"d": days})
    result = time_split(lf, time_col="d", cutoffs=["2025-01-11", "2025-01-21"], gap="2d")
    assert result.report["rows"] == {"train": 10, "valid": 8, "test": 8}
    assert result.report["cutoffs"] == ["2025-01-11", "2025-01-21"]
    with pytest.raises(UsageError, match="not a whole number of days"):
        time_split(lf, time_col="d", ratios=[0.5, 0.5], gap="12h")
    with pytest.raises(UsageError, match="is a Date column"):
        time_split(lf, time_col="d", cutoffs=["2025-01-11T06:00:00"])


@pytest.mark.parametrize("unit", ["ns", "us", "ms"])
def test_time_units_give_the_same_split(unit):
    lf = minutes_frame(range(60)).with_columns(pl.col("t").dt.cast_time_unit(unit))
    result = time_split(lf, time_col="t", ratios=[0.5, 0.5], gap="90s")
    assert result.report["rows"] == {"train": 30, "test": 28}
    assert result.report["cutoffs"] == ["2025-01-01T00:30:00"]


# --------------------------------------------------------------------------------------------
# Time zones


def aware_frame(tz: str = "UTC") -> pl.LazyFrame:
    return minutes_frame(range(240)).with_columns(pl.col("t").dt.replace_time_zone(tz))


def test_aware_cutoff_compares_instants():
    lf = aware_frame("UTC")
    a = time_split(lf, time_col="t", cutoffs=["2025-01-01T01:00:00+00:00"]).report
    b = time_split(lf, time_col="t", cutoffs=["2025-01-01T03:00:00+02:00"]).report
    c = time_split(lf, time_col="t", cutoffs=["2025-01-01T01:00:00Z"]).report
    assert a["rows"] == b["rows"] == c["rows"] == {"train": 60, "test": 180}
    assert a["cutoffs"] == ["2025-01-01T01:00:00+00:00"]


def test_aware_column_in_another_zone_reports_in_its_zone():
    lf = aware_frame("Europe/Paris")  # wall times 00:00..03:59 Paris = 23:00..02:59 UTC
    result = time_split(lf, time_col="t", cutoffs=["2025-01-01T00:00:00Z"])
    assert result.report["rows"] == {"train": 60, "test": 180}
    assert result.report["cutoffs"] == ["2025-01-01T01:00:00+01:00"]


def test_naive_cutoff_on_aware_column_is_an_error_with_a_fix():
    with pytest.raises(UsageError, match=r"has no time zone but 't' is time-zone aware \(UTC\); add an offset"):
        time_split(aware_frame(), time_col="t", cutoffs=["2025-01-01T01:00:00"])


def test_aware_cutoff_on_naive_column_is_an_error_with_a_fix():
    with pytest.raises(UsageError, match="has a time zone offset but 't' is naive"):
        time_split(minutes_frame(range(100)), time_col="t", cutoffs=["2025-01-01T01:00:00+00:00"])


# --------------------------------------------------------------------------------------------
# Bad input (library level; the CLI tests check the exact lines)


def test_time_column_checks():
    lf = minutes_frame(range(10))
    with pytest.raises(ColumnNotFoundError, match="did you mean 't'"):
        time_split(lf, time_col="tt", ratios=[0.5, 0.5])
    with pytest.raises(InputError, match="is Int64, not a date or datetime"):
        time_split(lf, time_col="id", ratios=[0.5, 0.5])
    text = lf.with_columns(pl.col("t").dt.to_string("%Y-%m-%dT%H:%M:%S"))
    with pytest.raises(InputError, match="is text .*pass --parse-time"):
        time_split(text, time_col="t", ratios=[0.5, 0.5])
    parsed = time_split(text, time_col="t", ratios=[0.5, 0.5], parse_time=True)
    assert parsed.report["rows"] == {"train": 5, "test": 5}
    assert collect(parsed)["train"].schema["t"] == pl.Datetime("us")


def test_null_times_are_an_error_or_dropped_and_counted():
    lf = minutes_frame(range(20)).with_columns(pl.when(pl.col("id") % 5 == 0).then(None).otherwise(pl.col("t")).alias("t"))
    with pytest.raises(InputError, match="has 4 null values .*--drop-null-time"):
        time_split(lf, time_col="t", ratios=[0.5, 0.5])
    result = time_split(lf, time_col="t", ratios=[0.5, 0.5], drop_null_time=True)
    out = collect(result)
    assert result.report["dropped_null_time"] == 4
    assert sum(f.height for f in out.values()) == 16
    assert all(f["t"].null_count() == 0 for f in out.values())


def test_cutoff_errors():
    lf = minutes_frame(range(100))
    with pytest.raises(UsageError, match="must be increasing"):
        time_split(lf, time_col="t", cutoffs=["2025-01-01T01:00:00", "2025-01-01T00:30:00"])
    with pytest.raises(InputError, match="outside the range of 't'"):
        time_split(lf, time_col="t", cutoffs=["2026-01-01"])
    with pytest.raises(UsageError, match="not an ISO 8601 date"):
        time_split(lf, time_col="t", cutoffs=["yesterday"])


def test_split_option_combinations():
    lf = minutes_frame(range(10))
    with pytest.raises(UsageError, match="choose how to split"):
        split(lf)
    with pytest.raises(UsageError, match="do not go together"):
        split(lf, time_col="t", random=True)
    with pytest.raises(UsageError, match="--gap: for time splits only; add --time-col COL, or leave out this option"):
        split(lf, random=True, gap="1d")
    with pytest.raises(UsageError, match="--folds does not go with --ratios"):
        split(lf, time_col="t", folds=2, ratios=[0.5, 0.5])
    with pytest.raises(UsageError, match="--test-ratio: for --folds only"):
        split(lf, time_col="t", test_ratio=0.2)
    with pytest.raises(UsageError, match="--window rolling needs --train-span"):
        split(lf, time_col="t", folds=2, window="rolling")
    with pytest.raises(UsageError, match="--window 'sliding' must be expanding or rolling"):
        split(lf, time_col="t", folds=2, window="sliding", train_span="1h")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="--train-span applies to --window rolling only"):
        split(lf, time_col="t", folds=2, train_span="1h")
    assert split(lf, time_col="t").report["rows"] == {"train": 7, "valid": 2, "test": 1}


# --------------------------------------------------------------------------------------------
# Folds: scikit-learn TimeSeriesSplit is the oracle


def _ids(frame: pl.DataFrame) -> list[int]:
    return sorted(frame["id"].to_list())


@pytest.mark.parametrize(("n", "k"), [(30, 2), (50, 3), (101, 5), (64, 7)])
def test_expanding_folds_match_sklearn_time_series_split(n, k):
    from sklearn.model_selection import TimeSeriesSplit

    order = np.random.default_rng(n).permutation(n)  # shuffled input: rows are matched by time
    result = time_folds(minutes_frame(order), time_col="t", folds=k)
    out = collect(result)
    for fold, (train, valid) in enumerate(TimeSeriesSplit(n_splits=k).split(np.zeros(n)), start=1):
        # the row with id i is at minute order[i]; sklearn's positions are minutes on sorted data
        assert sorted(order[_ids(out[f"fold-{fold}/train"])].tolist()) == train.tolist()
        assert sorted(order[_ids(out[f"fold-{fold}/valid"])].tolist()) == valid.tolist()
        assert result.parts[2 * fold - 2].fold == fold


def test_fold_gap_is_sklearn_folds_minus_the_embargo():
    from sklearn.model_selection import TimeSeriesSplit

    n, k, gap = 80, 3, 4
    result = time_folds(minutes_frame(range(n)), time_col="t", folds=k, gap=f"{gap}m")
    out = collect(result)
    for fold, (train, valid) in enumerate(TimeSeriesSplit(n_splits=k).split(np.zeros(n)), start=1):
        assert _ids(out[f"fold-{fold}/train"]) == train.tolist()
        assert _ids(out[f"fold-{fold}/valid"]) == valid[gap:].tolist()
        assert result.report["dropped_by_gap"][f"fold-{fold}/valid"] == gap


def test_folds_with_test_ratio_hold_out_the_latest_rows():
    from sklearn.model_selection import TimeSeriesSplit

    n, k = 100, 4
    result = time_folds(minutes_frame(range(n)), time_col="t", folds=k, test_ratio=0.2, gap="2m")
    out = collect(result)
    assert _ids(out["test"]) == list(range(82, 100))  # 80..99 minus the 2-minute embargo
    assert result.report["dropped_by_gap"]["test"] == 2
    for fold, (train, valid) in enumerate(TimeSeriesSplit(n_splits=k).split(np.zeros(80)), start=1):
        assert _ids(out[f"fold-{fold}/train"]) == train.tolist()
        assert _ids(out[f"fold-{fold}/valid"]) == valid[2:].tolist()
    assert result.report["test_cutoff"] == "2025-01-01T01:20:00"


def test_rolling_folds_train_over_the_span_before_each_cut():
    n, k = 100, 4
    result = time_folds(minutes_frame(range(n)), time_col="t", folds=k, window="rolling", train_span="15m")
    out = collect(result)
    for fold in range(1, k + 1):
        start = n - (k - fold + 1) * (n // (k + 1))
        assert _ids(out[f"fold-{fold}/train"]) == list(range(start - 15, start))
        assert out[f"fold-{fold}/valid"]["id"].min() == start
    assert result.report["window"] == "rolling"
    assert result.report["folds"][0]["train"] == {"from": "2025-01-01T00:05:00", "before": "2025-01-01T00:20:00"}


def test_too_many_folds_is_an_error():
    with pytest.raises(InputError, match="5 folds need at least 6 rows"):
        time_folds(minutes_frame(range(4)), time_col="t", folds=5)


# --------------------------------------------------------------------------------------------
# Random, stratified, group


def test_random_split_is_keyed_and_close_to_the_ratios(sample_frame):
    lf = sample_frame.lazy()
    result = random_split(lf, ratios=[0.7, 0.15, 0.15], seed=7)
    rows = result.report["rows"]
    assert sum(rows.values()) == 50_000
    # binomial sd of the train share is 0.002: 0.01 is 5 sd
    assert abs(rows["train"] / 50_000 - 0.7) < 0.01 and abs(rows["valid"] / 50_000 - 0.15) < 0.01
    out = collect(result)
    assert {k: v.height for k, v in out.items()} == rows
    assert out["train"].columns == sample_frame.columns
    assert result.report["keyed_scheme"] == "splitmix64-v1"
    assert result.warnings and "'event_time'" in result.warnings[0] and "--time-col event_time" in result.warnings[0]
    # not a function of the input order: fraud shares agree across splits (fraud ~2%, 5 sd bands)
    shares = [f["is_fraud"].mean() for f in out.values()]
    assert max(shares) - min(shares) < 0.01
    other = random_split(lf, ratios=[0.7, 0.15, 0.15], seed=8).report["rows"]
    assert other != rows


def test_stratified_counts_match_sklearn_train_test_split(sample_frame):
    from sklearn.model_selection import train_test_split

    lf = sample_frame.lazy().select("category", "is_fraud", "amount")
    y = sample_frame["category"].to_numpy()
    _, y_test = train_test_split(y, test_size=0.25, stratify=y, random_state=0)
    result = random_split(lf, ratios=[0.75, 0.25], stratify="category", seed=3)
    ours = {row["class"]: row["test"] for row in result.report["class_counts"]}
    classes, theirs = np.unique(y_test, return_counts=True)
    for cls, count in zip(classes, theirs):
        assert abs(ours[cls] - count) <= 1, (cls, ours[cls], count)
    out = collect(result)
    assert out["test"].group_by("category").len().sort("category")["len"].to_list() == [ours[c] for c in sorted(ours)]


def test_stratified_class_too_small_names_the_classes():
    lf = pl.LazyFrame({"y": ["a"] * 50 + ["b"] * 2 + ["c"] * 1, "x": range(53)})
    with pytest.raises(InputError, match=r"2 class\(es\) .*too small to reach every split: 'b' \(2 rows\), 'c' \(1 rows\)"):
        random_split(lf, ratios=[0.7, 0.15, 0.15], stratify="y")


def test_stratified_null_and_nan_are_classes_of_their_own():
    y = [1.0] * 20 + [float("nan")] * 10 + [None] * 10
    result = random_split(pl.LazyFrame({"y": y}), ratios=[0.5, 0.5], stratify="y", seed=1)
    counts = {str(row["class"]): (row["train"], row["test"]) for row in result.report["class_counts"]}
    assert counts == {"1.0": (10, 10), "nan": (5, 5), "None": (5, 5)}
    out = collect(result)
    assert out["train"]["y"].null_count() == 5 and out["train"]["y"].is_nan().sum() == 5


def test_group_split_keeps_groups_whole(sample_frame):
    result = random_split(sample_frame.lazy(), ratios=[0.7, 0.15, 0.15], group_col="user_id", seed=2)
    out = collect(result)
    users = [set(f["user_id"].to_list()) for f in out.values()]
    assert users[0].isdisjoint(users[1]) and users[0].isdisjoint(users[2]) and users[1].isdisjoint(users[2])
    assert sum(f.height for f in out.values()) == 50_000
    assert sum(result.report["groups"].values()) == sample_frame["user_id"].n_unique()


def test_group_split_with_null_group():
    lf = pl.LazyFrame({"g": [None, None, "a", "b", "c", "d"] * 10, "x": range(60)})
    out = collect(random_split(lf, ratios=[0.5, 0.5], group_col="g", seed=0, allow_empty=True))
    holders = [name for name, f in out.items() if f["g"].null_count()]
    assert len(holders) == 1 and out[holders[0]]["g"].null_count() == 20


def test_stratified_group_keeps_groups_whole_and_shares_close(sample_frame):
    result = random_split(sample_frame.lazy(), ratios=[0.7, 0.3], group_col="user_id", stratify="is_fraud", seed=0)
    out = collect(result)
    assert set(out["train"]["user_id"]).isdisjoint(set(out["test"]["user_id"]))
    for row in result.report["class_shares"]:
        assert abs(row["train"] - 0.7) < 0.03, row
    assert result.report["method"] == "stratified-group"


def test_assign_groups_stratified_matches_sklearn_on_equal_ratios():
    from sklearn.model_selection import StratifiedGroupKFold

    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(40), rng.integers(1, 8, size=40))
    y = (rng.random(len(groups)) < 0.3).astype(int)
    counts = np.zeros((40, 2), dtype=np.int64)
    np.add.at(counts, (groups, y), 1)
    order = np.argsort(-counts.std(axis=1), kind="mergesort")
    ours = assign_groups_stratified(counts, [1 / 3] * 3, order)
    theirs = np.zeros(40, dtype=int)
    for fold, (_, test) in enumerate(StratifiedGroupKFold(n_splits=3).split(np.zeros(len(y)), y, groups)):
        theirs[np.unique(groups[test])] = fold
    assert ours.tolist() == theirs.tolist()


def test_key_col_rules():
    lf = pl.LazyFrame({"k": [1, 2, None, 4], "g": [1, 1, 2, 2]})
    with pytest.raises(InputError, match="--key-col 'k' .* has 1 null values"):
        random_split(lf, ratios=[0.5, 0.5], key_col="k", allow_empty=True)
    with pytest.raises(UsageError, match="--key-col and --group-col do not go together"):
        random_split(lf, ratios=[0.5, 0.5], key_col="k", group_col="g")
    dup = random_split(pl.LazyFrame({"k": ["a", "a", "b", "c"] * 5}), ratios=[0.5, 0.5], key_col="k", allow_empty=True)
    assert any("17 repeated values" in w for w in dup.warnings)


def test_key_col_assignment_survives_appended_rows():
    base = pl.DataFrame({"uid": [f"u{i}" for i in range(3000)], "y": [i % 3 for i in range(3000)]})
    more = pl.concat([base, pl.DataFrame({"uid": [f"u{i}" for i in range(3000, 4000)], "y": [i % 3 for i in range(1000)]})])
    more = more.sample(fraction=1.0, shuffle=True, seed=1)  # appended and reordered

    def assignment(frame, **kw):
        out = collect(random_split(frame.lazy(), ratios=[0.6, 0.2, 0.2], key_col="uid", seed=4, **kw))
        return {uid: name for name, f in out.items() for uid in f["uid"]}

    before, after = assignment(base), assignment(more)
    assert all(after[uid] == split_name for uid, split_name in before.items())
    # stratified: exact per-class counts move only rows near each class's thresholds
    before, after = assignment(base, stratify="y"), assignment(more, stratify="y")
    moved = sum(after[uid] != split_name for uid, split_name in before.items())
    assert moved <= 60, moved  # 1000 appended rows; a positional key would move about half of 3000


def test_empty_input_is_an_error():
    empty = pl.LazyFrame({"y": [], "t": []}, schema={"y": pl.Int64, "t": pl.Datetime("us")})
    with pytest.raises(InputError, match="has no rows; there is nothing to split"):
        random_split(empty, ratios=[0.5, 0.5], stratify="y")
    with pytest.raises(InputError, match="has no non-null values"):
        time_split(empty, time_col="t", ratios=[0.5, 0.5])


def test_allocate_is_within_one_row():
    for n in range(1, 60):
        for ratios in ([0.7, 0.15, 0.15], [0.5, 0.5], [0.1, 0.3, 0.6]):
            counts = allocate(n, ratios)
            assert sum(counts) == n
            assert all(abs(c - n * r) < 1 for c, r in zip(counts, ratios))


# --------------------------------------------------------------------------------------------
# Properties


ratio_sets = st.sampled_from([[0.7, 0.15, 0.15], [0.5, 0.5], [0.8, 0.2], [0.34, 0.33, 0.33], [0.1, 0.8, 0.1]])


@settings(max_examples=30, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 40), min_size=3, max_size=80),
    ratios=ratio_sets,
    gap=st.integers(0, 5),
    nulls=st.integers(0, 3),
)
def test_property_time_split_order_ties_and_accounting(minutes, ratios, gap, nulls):
    lf = minutes_frame(minutes)
    if nulls:
        lf = pl.concat([lf, pl.LazyFrame({"t": [None] * nulls, "id": [-1] * nulls}, schema=lf.collect_schema())])
    result = time_split(lf, time_col="t", ratios=ratios, gap=f"{gap}m", drop_null_time=True, allow_empty=True)
    out = collect(result)
    frames = list(out.values())
    for earlier, later in zip(frames, frames[1:]):
        if earlier.height and later.height:
            assert earlier["t"].max() < later["t"].min()  # strict: ties never straddle
    report = result.report
    assert {k: v.height for k, v in out.items()} == report["rows"]
    assert sum(report["rows"].values()) + sum(report["dropped_by_gap"].values()) + report["dropped_null_time"] == len(minutes) + nulls
    assert report["dropped_null_time"] == nulls
    # no tie-respecting cut could be closer to the ratio than the one chosen (no gap changes counts)
    if gap == 0:
        times = np.sort(np.asarray(minutes))
        boundaries = np.concatenate([[0], np.flatnonzero(np.diff(times)) + 1, [len(times)]])
        first = report["rows"]["train"]
        target = int(np.floor(ratios[0] * len(times) + 0.5 + 1e-9))
        assert abs(first - target) == min(abs(b - target) for b in boundaries)


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(8, 40), min_size=1, max_size=4),
    ratios=ratio_sets,
    seed=st.integers(0, 2**31),
)
def test_property_stratified_shares_within_one_row(sizes, ratios, seed):
    y = [c for c, size in enumerate(sizes) for _ in range(size)]
    lf = pl.LazyFrame({"y": y, "x": range(len(y))})
    result = random_split(lf, ratios=ratios, stratify="y", seed=seed)
    out = collect(result)
    for cls, size in enumerate(sizes):
        for (name, frame), ratio in zip(out.items(), ratios):
            count = int((frame["y"] == cls).sum())
            assert abs(count - size * ratio) < 1, (cls, name, count, size * ratio)
    assert sorted(pl.concat(list(out.values()))["x"].to_list()) == list(range(len(y)))


@settings(max_examples=30, deadline=None)
@given(groups=st.lists(st.integers(0, 12), min_size=2, max_size=60), seed=st.integers(0, 1000), stratified=st.booleans())
def test_property_group_splits_are_disjoint_and_complete(groups, seed, stratified):
    lf = pl.LazyFrame({"g": groups, "y": [g % 2 for g in groups], "x": range(len(groups))})
    result = random_split(lf, ratios=[0.5, 0.5], group_col="g", stratify="y" if stratified else None, seed=seed, allow_empty=True)
    out = collect(result)
    assert set(out["train"]["g"]).isdisjoint(set(out["test"]["g"]))
    assert sorted(pl.concat(list(out.values()))["x"].to_list()) == list(range(len(groups)))
    assert {k: v.height for k, v in out.items()} == result.report["rows"]


@settings(max_examples=30, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 60), min_size=12, max_size=80),
    folds=st.integers(1, 4),
    gap=st.integers(0, 4),
    test_ratio=st.sampled_from([None, 0.2]),
    rolling=st.booleans(),
)
def test_property_time_folds_order_and_accounting(minutes, folds, gap, test_ratio, rolling):
    window = {"window": "rolling", "train_span": "20m"} if rolling else {}
    try:
        result = time_folds(minutes_frame(minutes), time_col="t", folds=folds, gap=f"{gap}m", test_ratio=test_ratio, allow_empty=True, **window)
    except InputError as exc:  # too few rows before the test split for this many folds
        assert "folds need at least" in str(exc)
        return
    out = collect(result)
    assert {k: v.height for k, v in out.items()} == result.report["rows"]
    test = out.get("test")
    for k in range(1, folds + 1):
        train, valid = out[f"fold-{k}/train"], out[f"fold-{k}/valid"]
        if train.height and valid.height:
            assert train["t"].max() < valid["t"].min()
        if test is not None and valid.height and test.height:
            assert valid["t"].max() < test["t"].min()
        if k < folds and valid.height and out[f"fold-{k + 1}/valid"].height:
            assert valid["t"].max() < out[f"fold-{k + 1}/valid"]["t"].min()
    # the validation blocks, the gap drops and the test split partition the rows after fold 1's cut
    after_first_cut = sum(v.height for k, v in out.items() if k.endswith("valid") or k == "test")
    after_first_cut += sum(result.report["dropped_by_gap"].values())
    first_cut = dt.datetime.fromisoformat(result.report["cutoffs"][0])
    assert after_first_cut == sum(1 for m in minutes if T0 + dt.timedelta(minutes=m) >= first_cut)
    if rolling:  # each training window covers the 20 minutes before its cut
        for k, cut in enumerate(result.report["cutoffs"], start=1):
            train = out[f"fold-{k}/train"]
            cut_time = dt.datetime.fromisoformat(cut)
            expected = sum(1 for m in minutes if cut_time - dt.timedelta(minutes=20) <= T0 + dt.timedelta(minutes=m) < cut_time)
            assert train.height == expected
