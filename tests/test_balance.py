"""`balance` step: oracle tests against imbalanced-learn, dtype restoration, provenance, bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn import combine, over_sampling, under_sampling
from polars.testing import assert_frame_equal
from sklearn.datasets import make_classification

from mlprep.errors import ColumnNotFoundError, InputError, UsageError
from mlprep.steps.balance import METHODS, balance, parse_sampling_strategy

SEED = 7
FEATURES = ["f0", "f1", "f2", "f3"]


def _numeric(n: int = 300, *, classes: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
    weights = [0.8, 0.2] if classes == 2 else [0.7, 0.2, 0.1]
    X, y = make_classification(
        n_samples=n, n_features=4, n_informative=3, n_redundant=0, n_classes=classes, n_clusters_per_class=1,
        weights=weights, class_sep=1.0, random_state=seed,
    )
    frame = pl.DataFrame({**{f: X[:, i] for i, f in enumerate(FEATURES)}, "y": y.astype(np.int64)})
    return X, y.astype(np.int64), frame


ORACLES = {
    "smote": lambda: over_sampling.SMOTE(random_state=SEED),
    "borderline-smote": lambda: over_sampling.BorderlineSMOTE(random_state=SEED),
    "svm-smote": lambda: over_sampling.SVMSMOTE(random_state=SEED),
    "kmeans-smote": lambda: over_sampling.KMeansSMOTE(random_state=SEED),
    "adasyn": lambda: over_sampling.ADASYN(random_state=SEED),
    "random-over": lambda: over_sampling.RandomOverSampler(random_state=SEED),
    "random-under": lambda: under_sampling.RandomUnderSampler(random_state=SEED),
    "near-miss": lambda: under_sampling.NearMiss(),
    "tomek": lambda: under_sampling.TomekLinks(),
    "enn": lambda: under_sampling.EditedNearestNeighbours(),
    "smote-tomek": lambda: combine.SMOTETomek(random_state=SEED),
    "smote-enn": lambda: combine.SMOTEENN(random_state=SEED),
}


def _expected(method: str, X: np.ndarray, y: np.ndarray):
    """imbalanced-learn's own result, in mlprep's row order (originals kept in order, then synthetic)."""
    sampler = ORACLES[method]()
    X_res, y_res = sampler.fit_resample(X, y)
    if method in ("random-under", "near-miss", "tomek", "enn"):
        keep = np.sort(sampler.sample_indices_)
        # same rows as imbalanced-learn's output, only in the input's order
        assert sorted(map(tuple, X[keep])) == sorted(map(tuple, X_res))
        return X[keep], y[keep], 0
    if method in ("smote-tomek", "smote-enn"):
        picked = (sampler.tomek_ if method == "smote-tomek" else sampler.enn_).sample_indices_
        order = np.argsort(picked, kind="stable")
        return X_res[order], y_res[order], int((picked >= len(y)).sum())
    return X_res, y_res, len(y_res) - len(y)


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("method", sorted(ORACLES))
def test_equals_imbalanced_learn_fit_resample(method, classes):
    if classes == 3 and method in ("svm-smote", "kmeans-smote", "borderline-smote"):
        pytest.skip("binary data is enough for these (kept fast)")
    X, y, frame = _numeric(classes=classes)
    X_exp, y_exp, n_syn = _expected(method, X, y)
    result = balance(frame.lazy(), target="y", method=method, seed=SEED)
    out = result.frame.collect()
    assert np.array_equal(out.select(FEATURES).to_numpy(), X_exp)
    assert np.array_equal(out["y"].to_numpy(), y_exp)
    assert out["is_synthetic"].sum() == n_syn == result.report["synthetic_rows"]
    # synthetic rows come last
    assert not out["is_synthetic"].head(out.height - n_syn).any()
    counts_after = dict(zip(*np.unique(y_exp, return_counts=True)))
    assert result.report["class_counts"]["after"] == {str(k): int(v) for k, v in counts_after.items()}
    assert result.report["class_counts"]["before"] == {str(k): int(v) for k, v in zip(*np.unique(y, return_counts=True))}


@pytest.mark.parametrize("method", ["smote", "adasyn", "borderline-smote", "near-miss", "enn", "tomek", "smote-enn"])
def test_n_jobs_does_not_change_results(method):
    _, _, frame = _numeric()
    outs = [balance(frame.lazy(), target="y", method=method, seed=3, n_jobs=j).frame.collect() for j in (1, 2, -1)]
    assert_frame_equal(outs[0], outs[1])
    assert_frame_equal(outs[0], outs[2])


def test_method_options_are_passed_through():
    X, y, frame = _numeric()
    cases = [
        ("borderline-smote", {"kind": "borderline-2", "m_neighbors": 6, "k_neighbors": 3},
         over_sampling.BorderlineSMOTE(kind="borderline-2", m_neighbors=6, k_neighbors=3, random_state=SEED)),
        ("svm-smote", {"out_step": 0.2}, over_sampling.SVMSMOTE(out_step=0.2, random_state=SEED)),
        ("adasyn", {"k_neighbors": 3}, over_sampling.ADASYN(n_neighbors=3, random_state=SEED)),
        ("near-miss", {"version": 3, "k_neighbors": 2}, under_sampling.NearMiss(version=3, n_neighbors=2)),
        ("enn", {"kind_sel": "mode", "k_neighbors": 5}, under_sampling.EditedNearestNeighbours(kind_sel="mode", n_neighbors=5)),
        ("random-over", {"shrinkage": 0.5}, over_sampling.RandomOverSampler(shrinkage=0.5, random_state=SEED)),
        ("kmeans-smote", {"n_clusters": 4, "cluster_balance_threshold": 0.1},
         over_sampling.KMeansSMOTE(kmeans_estimator=4, cluster_balance_threshold=0.1, random_state=SEED)),
    ]
    for method, opts, oracle in cases:
        X_res, y_res = oracle.fit_resample(X, y)
        out = balance(frame.lazy(), target="y", method=method, seed=SEED, **opts).frame.collect()
        if method == "near-miss" or method == "enn":
            keep = np.sort(oracle.sample_indices_)
            X_res, y_res = X[keep], y[keep]
        assert np.array_equal(out.select(FEATURES).to_numpy(), X_res), method
        assert np.array_equal(out["y"].to_numpy(), y_res), method


@pytest.mark.parametrize(
    ("text", "strategy"),
    [("minority", "minority"), ("not-majority", "not majority"), ("all", "all"), ("0.5", 0.5), ("1=200", {1: 200})],
)
def test_sampling_strategy_forms(text, strategy):
    X, y, frame = _numeric()
    X_res, y_res = over_sampling.SMOTE(sampling_strategy=strategy, random_state=SEED).fit_resample(X, y)
    out = balance(frame.lazy(), target="y", method="smote", seed=SEED, sampling_strategy=parse_sampling_strategy(text)).frame.collect()
    assert np.array_equal(out.select(FEATURES).to_numpy(), X_res)


def test_under_sampling_strategy_dict():
    X, y, frame = _numeric()
    sampler = under_sampling.RandomUnderSampler(sampling_strategy={0: 100}, random_state=SEED)
    sampler.fit_resample(X, y)
    out = balance(frame.lazy(), target="y", method="random-under", seed=SEED,
                  sampling_strategy=parse_sampling_strategy("0=100")).frame.collect()
    assert np.array_equal(out.select(FEATURES).to_numpy(), X[np.sort(sampler.sample_indices_)])
    assert out["y"].value_counts().sort("y")["count"].to_list() == [100, 62]


def _mixed(n: int = 240, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.2, "fraud", "ok")
    shift = (y == "fraud") * 2.0
    return pl.DataFrame({
        "id": np.arange(1000, 1000 + n, dtype=np.int64),
        "when": [dt.datetime(2025, 1, 1) + dt.timedelta(hours=int(h)) for h in rng.integers(0, 5000, n)],
        "amount": (rng.lognormal(size=n) + shift).astype(np.float32),
        "count": (rng.integers(0, 50, n) + shift * 10).astype(np.int16),
        "x": rng.normal(size=n) + shift,
        "city": rng.choice(["paris", "berlin", "rome"], n),
        "kind": pl.Series(rng.choice(["web", "pos"], n)).cast(pl.Categorical),
        "tier": pl.Series(rng.choice(["lo", "mid", "hi"], n)).cast(pl.Enum(["lo", "mid", "hi"])),
        "vip": rng.random(n) < 0.3,
        "label": y,
    })


def _encode_like_docs(df: pl.DataFrame, cols: list[str]) -> np.ndarray:
    """Features as documented: numbers as float64, text/categorical by sorted value, enum by its order, bool 0/1."""
    out = []
    for c in cols:
        s = df[c]
        if isinstance(s.dtype, pl.Enum):
            out.append(s.to_physical().to_numpy().astype(float))
        elif s.dtype in (pl.String, pl.Categorical):
            cats = sorted(s.cast(pl.String).unique().to_list())
            out.append(np.array([cats.index(v) for v in s.cast(pl.String).to_list()], dtype=float))
        else:
            out.append(s.cast(pl.Float64).to_numpy())
    return np.column_stack(out)


def test_mixed_dtypes_switch_to_smotenc_and_restore_dtypes():
    df = _mixed()
    result = balance(df.lazy(), target="label", method="smote", seed=SEED, exclude=["id"])
    assert result.report["method_used"] == "smotenc"
    assert any("SMOTENC" in w for w in result.warnings)
    out = result.frame.collect()
    n = df.height
    # schema: the input's, then the flag and provenance columns
    assert out.schema == pl.Schema({**df.schema, "is_synthetic": pl.Boolean, "synthetic_parent": pl.Int64, "synthetic_parent_neighbor": pl.Int64})
    assert_frame_equal(out.head(n).select(df.columns), df)  # originals unchanged, in order

    features = ["amount", "count", "x", "city", "kind", "tier", "vip"]
    assert result.report["features"] == features and result.report["other_columns"] == ["id", "when"]
    X = _encode_like_docs(df, features)
    cat_idx = [3, 4, 5, 6]
    oracle = over_sampling.SMOTENC(categorical_features=cat_idx, random_state=SEED)
    X_res, y_res = oracle.fit_resample(X, df["label"].to_numpy().astype(object))
    syn = out.tail(out.height - n)
    X_syn = X_res[n:]
    assert syn["label"].to_list() == list(y_res[n:])
    assert np.allclose(syn["amount"].to_numpy(), X_syn[:, 0].astype(np.float32))
    assert syn["count"].to_list() == np.rint(X_syn[:, 1]).astype(int).tolist()  # integers rounded
    assert np.array_equal(syn["x"].to_numpy(), X_syn[:, 2])
    assert syn["city"].to_list() == [["berlin", "paris", "rome"][int(c)] for c in X_syn[:, 3]]
    assert syn["kind"].cast(pl.String).to_list() == [["pos", "web"][int(c)] for c in X_syn[:, 4]]
    assert syn["tier"].cast(pl.String).to_list() == [["lo", "mid", "hi"][int(c)] for c in X_syn[:, 5]]
    assert syn["vip"].to_list() == [bool(c) for c in X_syn[:, 6]]
    # non-features copied from the base sample, whose class is the synthetic row's
    parents = syn["synthetic_parent"].to_numpy()
    assert syn["id"].to_list() == df["id"].to_numpy()[parents].tolist()
    assert syn["when"].to_list() == [df["when"][int(p)] for p in parents]
    assert (df["label"].to_numpy()[parents] == "fraud").all()
    assert result.report["other_columns_in_synthetic_rows"] == "copied from the source row"


def test_smoten_when_nothing_is_numeric():
    df = _mixed().select("city", "kind", "vip", "label")
    result = balance(df.lazy(), target="label", method="smote", seed=SEED)
    assert result.report["method_used"] == "smoten"
    out = result.frame.collect()
    X = _encode_like_docs(df, ["city", "kind", "vip"])
    X_res, y_res = over_sampling.SMOTEN(random_state=SEED).fit_resample(X, df["label"].to_numpy().astype(object))
    syn = out.filter("is_synthetic")
    assert syn["city"].to_list() == [["berlin", "paris", "rome"][int(c)] for c in X_res[df.height:, 0]]
    assert syn["vip"].to_list() == [bool(c) for c in X_res[df.height:, 2]]
    assert syn["synthetic_parent"].null_count() == syn.height  # SMOTEN does not expose its base samples


def test_strict_refuses_the_switch():
    with pytest.raises(InputError, match=r"--method smote needs numeric features but 'city'.*--method smotenc"):
        balance(_mixed().lazy(), target="label", features=["x", "city"], strict=True)


def test_smote_provenance_is_exact():
    X, y, frame = _numeric()
    frame = frame.with_columns(pl.Series("row_id", np.arange(frame.height) * 10))
    out = balance(frame.lazy(), target="y", features=FEATURES, seed=SEED).frame.collect()
    syn = out.filter("is_synthetic")
    parent, neighbor = syn["synthetic_parent"].to_numpy(), syn["synthetic_parent_neighbor"].to_numpy()
    base, towards, new = X[parent], X[neighbor], syn.select(FEATURES).to_numpy()
    step = (new - base)[:, 0] / (towards - base)[:, 0]
    assert np.allclose(new, base + step[:, None] * (towards - base))  # on the segment base → neighbour
    assert ((step >= 0) & (step < 1)).all()
    assert (y[parent] == syn["y"].to_numpy()).all() and (y[neighbor] == syn["y"].to_numpy()).all()
    assert (syn["row_id"].to_numpy() == parent * 10).all()


def test_random_over_copies_whole_rows():
    df = _mixed()
    out = balance(df.lazy(), target="label", method="random-over", seed=SEED).frame.collect()
    syn = out.filter("is_synthetic")
    parents = syn["synthetic_parent"].to_list()
    assert_frame_equal(syn.select(df.columns), df[parents])


def test_non_features_are_null_when_the_source_is_unknown():
    X, y, frame = _numeric()
    frame = frame.with_columns(pl.Series("row_id", np.arange(frame.height)))
    result = balance(frame.lazy(), target="y", method="adasyn", features=FEATURES, seed=SEED)
    syn = result.frame.collect().filter("is_synthetic")
    assert syn["row_id"].null_count() == syn.height and syn["synthetic_parent"].null_count() == syn.height
    assert result.report["other_columns_in_synthetic_rows"] == "null"


def test_flags_can_be_dropped_and_undersampling_keeps_order():
    _, _, frame = _numeric()
    frame = frame.with_columns(pl.Series("row_id", np.arange(frame.height)))
    out = balance(frame.lazy(), target="y", method="near-miss", exclude=["row_id"], synthetic_flag=False, provenance=False).frame.collect()
    assert out.columns == frame.columns
    assert out["row_id"].is_sorted() and out["row_id"].n_unique() == out.height


def test_string_and_bool_targets_and_float_labels():
    X, y, frame = _numeric()
    text = frame.with_columns(pl.col("y").replace_strict({0: "no", 1: "yes"}, return_dtype=pl.String))
    out = balance(text.lazy(), target="y", method="smote", seed=SEED).frame.collect()
    X_res, y_res = over_sampling.SMOTE(random_state=SEED).fit_resample(X, np.where(y == 1, "yes", "no").astype(object))
    assert out["y"].to_list() == list(y_res) and np.array_equal(out.select(FEATURES).to_numpy(), X_res)
    flag = frame.with_columns(pl.col("y").cast(pl.Boolean))
    res = balance(flag.lazy(), target="y", method="random-over", sampling_strategy={"true": 200}, seed=SEED)
    assert res.report["class_counts"]["after"] == {"false": 238, "true": 200}
    assert res.frame.collect_schema()["y"] == pl.Boolean
    floats = frame.with_columns(pl.col("y").cast(pl.Float32))
    assert balance(floats.lazy(), target="y", method="random-under").frame.collect_schema()["y"] == pl.Float32


@settings(max_examples=30, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=1, max_value=25), min_size=2, max_size=4),
    method=st.sampled_from(["random-over", "random-under"]),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_row_accounting(counts, method, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    order = np.random.default_rng(0).permutation(y.size)
    frame = pl.DataFrame({"pos": np.arange(y.size), "y": y[order]})
    result = balance(frame.lazy(), target="y", method=method, seed=seed)
    out = result.frame.collect()
    after = result.report["class_counts"]["after"]
    target = max(counts) if method == "random-over" else min(counts)
    assert set(after.values()) == {target}
    assert out.height == result.report["rows_out"] == sum(after.values())
    original = out.filter(~pl.col("is_synthetic"))
    assert original["pos"].is_sorted()  # originals keep their order
    assert result.report["synthetic_rows"] + original.height == out.height


def test_same_seed_same_output_other_seed_differs():
    _, _, frame = _numeric()
    a = balance(frame.lazy(), target="y", seed=1).frame.collect()
    b = balance(frame.lazy(), target="y", seed=1).frame.collect()
    c = balance(frame.lazy(), target="y", seed=2).frame.collect()
    assert_frame_equal(a, b)
    assert not a.equals(c)


# ---- bad input: one-line messages -----------------------------------------------------------

def test_bad_inputs():
    _, _, frame = _numeric()
    lf = frame.lazy()
    with pytest.raises(ColumnNotFoundError, match=r"column 'yy' \(from --target\) not found in the input; did you mean 'y'"):
        balance(lf, target="yy")
    with pytest.raises(InputError, match=r"target 'y' of the input has one class \(0\); balancing needs at least two"):
        balance(frame.filter(pl.col("y") == 0).lazy(), target="y")
    with_nulls = frame.with_columns(pl.when(pl.col("f1") > 1).then(None).otherwise(pl.col("f1")).alias("f1"),
                                    pl.when(pl.col("f2") > 1).then(float("nan")).otherwise(pl.col("f2")).alias("f2"))
    with pytest.raises(InputError, match=r"have nulls or NaN: 'f1' \(\d+\), 'f2' \(\d+\); impute them first \(mlprep impute\)"):
        balance(with_nulls.lazy(), target="y")
    small = pl.concat([frame.filter(pl.col("y") == 0), frame.filter(pl.col("y") == 1).head(4)])
    with pytest.raises(InputError, match=r"class 1 of target 'y' has 4 rows, fewer than --k-neighbors \+ 1 = 6; pass --k-neighbors 3 or less"):
        balance(small.lazy(), target="y")
    with pytest.raises(UsageError, match=r"names class '2', which target 'y' of the input does not have; classes: 0, 1"):
        balance(lf, target="y", sampling_strategy={"2": 100})
    with pytest.raises(InputError, match=r"--method adasyn needs numeric features but 'city'.*encode them first"):
        balance(_mixed().lazy(), target="label", method="adasyn")
    with pytest.raises(InputError, match=r"target 'f0' of the input is continuous.*mlprep bin"):
        balance(lf, target="f0", features=["f1"])
    with pytest.raises(UsageError, match=r"--sampling-strategy does not fit --method smote: .*float only when the type of target is binary"):
        balance(_numeric(classes=3)[2].lazy(), target="y", sampling_strategy=0.5)
    with pytest.raises(UsageError, match=r"--k-neighbors does not apply to --method tomek"):
        balance(lf, target="y", method="tomek", k_neighbors=3)
    with pytest.raises(UsageError, match=r"--method 'smote2' is not known"):
        balance(lf, target="y", method="smote2")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"already has a column 'is_synthetic'"):
        balance(frame.with_columns(is_synthetic=False).lazy(), target="y")
    with pytest.raises(InputError, match=r"target 'y' of the input has 3 null values"):
        balance(frame.with_columns(pl.when(pl.int_range(pl.len()) < 3).then(None).otherwise(pl.col("y")).alias("y")).lazy(), target="y")


def test_random_methods_accept_nulls_they_only_copy_rows():
    _, _, frame = _numeric()
    with_nulls = frame.with_columns(pl.when(pl.col("f1") > 1).then(None).otherwise(pl.col("f1")).alias("f1"))
    out = balance(with_nulls.lazy(), target="y", method="random-over", seed=SEED).frame.collect()
    assert out.height == 2 * frame["y"].value_counts()["count"].max()


@pytest.mark.parametrize("text", ["sometimes", "0=-1", "=3", "1.5", "0"])
def test_parse_sampling_strategy_rejects(text):
    with pytest.raises(UsageError, match="--sampling-strategy"):
        parse_sampling_strategy(text)


def test_every_method_is_covered():
    assert set(METHODS) == set(ORACLES) | {"smotenc", "smoten"}


def test_temporal_and_unsigned_features_when_named():
    df = _mixed().with_columns(pl.col("count").cast(pl.UInt8).alias("small"))
    result = balance(df.lazy(), target="label", features=["when", "x", "small"], seed=SEED)
    assert result.report["method_used"] == "smote"
    out = result.frame.collect()
    assert out.schema["when"] == df.schema["when"] and out.schema["small"] == pl.UInt8
    syn = out.filter("is_synthetic")
    X = _encode_like_docs(df, ["x", "small"])
    when = df["when"].to_physical().cast(pl.Float64).to_numpy()
    X_res, _ = over_sampling.SMOTE(random_state=SEED).fit_resample(np.column_stack([when, X]), df["label"].to_numpy().astype(object))
    assert syn["when"].to_physical().to_list() == np.rint(X_res[df.height:, 0]).astype(np.int64).tolist()
    assert syn["small"].to_list() == np.rint(X_res[df.height:, 2]).astype(int).tolist()


def test_n_jobs_does_not_change_smotenc():
    df = _mixed()
    one, many = (balance(df.lazy(), target="label", method="smotenc", seed=SEED, n_jobs=j).frame.collect() for j in (1, -1))
    assert_frame_equal(one, many)


@pytest.mark.parametrize("kind", ["borderline-1", "borderline-2"])
def test_borderline_provenance_uses_the_samples_in_danger(kind):
    X, y, frame = _numeric()
    oracle = over_sampling.BorderlineSMOTE(kind=kind, random_state=SEED)
    oracle.fit_resample(X, y)
    out = balance(frame.lazy(), target="y", method="borderline-smote", kind=kind, seed=SEED).frame.collect()
    syn = out.filter("is_synthetic")
    parent, neighbor = syn["synthetic_parent"].to_numpy(), syn["synthetic_parent_neighbor"].to_numpy()
    assert np.isin(parent, oracle.in_danger_indices[1]).all() and (y[parent] == 1).all()
    base, towards, new = X[parent], X[neighbor], syn.select(FEATURES).to_numpy()
    step = (new - base)[:, 0] / (towards - base)[:, 0]
    assert np.allclose(new, base + step[:, None] * (towards - base))
    assert ((step >= 0) & (step < 1)).all()
    if kind == "borderline-2":
        assert (y[neighbor] == 0).any()  # borderline-2 also interpolates towards the other class


def test_kmeans_smote_provenance_stays_within_a_cluster():
    X, y, frame = _numeric()
    oracle = over_sampling.KMeansSMOTE(random_state=SEED)
    oracle.fit_resample(X, y)
    labels = oracle.kmeans_estimator_.labels_
    syn = balance(frame.lazy(), target="y", method="kmeans-smote", seed=SEED).frame.collect().filter("is_synthetic")
    parent, neighbor = syn["synthetic_parent"].to_numpy(), syn["synthetic_parent_neighbor"].to_numpy()
    assert syn.height > 0 and (labels[parent] == labels[neighbor]).all() and (y[parent] == 1).all() and (y[neighbor] == 1).all()
    base, towards, new = X[parent], X[neighbor], syn.select(FEATURES).to_numpy()
    step = (new - base)[:, 0] / (towards - base)[:, 0]
    assert np.allclose(new, base + step[:, None] * (towards - base)) and ((step >= 0) & (step < 1)).all()


def test_svm_smote_provenance_starts_at_support_vectors():
    X, y, frame = _numeric()
    oracle = over_sampling.SVMSMOTE(random_state=SEED)
    oracle.fit_resample(X, y)
    syn = balance(frame.lazy(), target="y", method="svm-smote", seed=SEED).frame.collect().filter("is_synthetic")
    parent, neighbor = syn["synthetic_parent"].to_numpy(), syn["synthetic_parent_neighbor"].to_numpy()
    assert syn.height > 0 and np.isin(parent, oracle.svm_estimator_.support_).all() and (y[neighbor] == 1).all()
    base, towards, new = X[parent], X[neighbor], syn.select(FEATURES).to_numpy()
    step = (new - base)[:, 0] / (towards - base)[:, 0]
    assert np.allclose(new, base + step[:, None] * (towards - base))
    assert ((step > -0.5) & (step < 1)).all()  # interpolated (danger) or extrapolated by out_step (safe)


def test_a_class_of_one_row_cannot_be_interpolated():
    _, _, frame = _numeric()
    tiny = pl.concat([frame.filter(pl.col("y") == 0), frame.filter(pl.col("y") == 1).head(1)])
    with pytest.raises(InputError, match=r"class 1 of target 'y' has 1 row, and smote needs at least 2 rows.*--method random-over"):
        balance(tiny.lazy(), target="y")
