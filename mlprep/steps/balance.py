"""``balance``: change class balance with imbalanced-learn, keeping every column and its dtype.

Every method is computed by imbalanced-learn (``fit_resample`` on one float64 feature matrix
converted from polars once); this module chooses the features, encodes categorical columns
as codes, validates the data with one-line errors, and turns the result back into a frame with
the input's schema: the original rows unchanged and in order, then the synthetic rows, with an
``is_synthetic`` flag and, where the method lets us know it, the row positions each synthetic
row was made from. Under-sampling and cleaning methods keep a subset of the original rows in
their original order.

Example
-------
>>> import polars as pl
>>> lf = pl.LazyFrame({"x": [float(i) for i in range(12)], "y": [0] * 9 + [1] * 3})
>>> out = balance(lf, target="y", method="random-over")
>>> out.frame.collect()["y"].value_counts(sort=True)["count"].to_list()
[9, 9]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from mlprep.errors import InputError, UsageError, missing_column
from mlprep.parsing import select_columns

if TYPE_CHECKING:
    from imblearn.base import BaseSampler

Method = Literal[
    "smote", "smotenc", "smoten", "borderline-smote", "svm-smote", "kmeans-smote", "adasyn",
    "random-over", "random-under", "near-miss", "tomek", "enn", "smote-tomek", "smote-enn",
]
METHODS: tuple[str, ...] = (
    "smote", "smotenc", "smoten", "borderline-smote", "svm-smote", "kmeans-smote", "adasyn",
    "random-over", "random-under", "near-miss", "tomek", "enn", "smote-tomek", "smote-enn",
)
#: Methods that add synthetic rows (the others keep a subset of the original rows).
OVERSAMPLERS = frozenset({"smote", "smotenc", "smoten", "borderline-smote", "svm-smote", "kmeans-smote", "adasyn", "random-over"})
UNDERSAMPLERS = frozenset({"random-under", "near-miss", "tomek", "enn"})
COMBINED = frozenset({"smote-tomek", "smote-enn"})
#: Methods whose neighbour searches need every feature to be a number.
NUMERIC_ONLY = frozenset({"borderline-smote", "svm-smote", "kmeans-smote", "adasyn", "near-miss", "tomek", "enn", "smote-tomek", "smote-enn"})
#: imbalanced-learn's ``sampling_type`` for each method (how ``sampling_strategy`` is read).
SAMPLING_TYPE = {
    **{m: "over-sampling" for m in OVERSAMPLERS | COMBINED},
    "random-under": "under-sampling", "near-miss": "under-sampling",
    "tomek": "clean-sampling", "enn": "clean-sampling",
}
#: The method's own default for --k-neighbors (None: the method has no such parameter).
DEFAULT_K = {
    "smote": 5, "smotenc": 5, "smoten": 5, "borderline-smote": 5, "svm-smote": 5, "kmeans-smote": 2,
    "adasyn": 5, "near-miss": 3, "enn": 3, "smote-tomek": 5, "smote-enn": 5,
    "random-over": None, "random-under": None, "tomek": None,
}
#: Methods that use k neighbours *within* a class to be over-sampled (needs k + 1 rows of it).
_WITHIN_CLASS_K = frozenset({"smote", "smotenc", "smoten", "borderline-smote", "svm-smote", "smote-tomek", "smote-enn"})
#: Methods whose synthetic rows imbalanced-learn lets us trace back to their source rows.
PROVENANCE = {
    "random-over": "sample_indices_ (the copied row)",
    "smote": "base sample and the neighbour it was interpolated towards",
    "smotenc": "base sample and the neighbour it was interpolated towards",
    "borderline-smote": "base sample (in danger) and the neighbour it was interpolated towards",
    "svm-smote": "base sample (a support vector) and the neighbour it was interpolated or extrapolated from",
    "kmeans-smote": "base sample and the neighbour it was interpolated towards (within its k-means cluster)",
    "smote-tomek": "base sample and the neighbour it was interpolated towards",
    "smote-enn": "base sample and the neighbour it was interpolated towards",
}

FLAG_COLUMN = "is_synthetic"
PARENT_COLUMN = "synthetic_parent"
NEIGHBOR_COLUMN = "synthetic_parent_neighbor"

_CATEGORICAL_KINDS = (pl.String, pl.Categorical, pl.Enum, pl.Boolean)


@dataclass
class BalanceResult:
    """What :func:`balance` produced: the output frame, facts for the report, and warnings."""

    frame: pl.LazyFrame
    report: dict[str, Any]
    params: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def parse_sampling_strategy(text: str, *, option: str = "--sampling-strategy") -> str | float | dict[str, int]:
    """Parse ``auto|minority|not-majority|not-minority|all|FLOAT|class=count,…``.

    Class names stay text here; :func:`balance` matches them to the target's labels.

    Example
    -------
    >>> parse_sampling_strategy("0=900,1=300")
    {'0': 900, '1': 300}
    >>> parse_sampling_strategy("not-majority")
    'not majority'
    """
    value = text.strip()
    named = {"auto": "auto", "minority": "minority", "not-majority": "not majority", "not-minority": "not minority", "all": "all"}
    if value.lower() in named:
        return named[value.lower()]
    if "=" in value:
        counts: dict[str, int] = {}
        for item in (part.strip() for part in value.split(",") if part.strip()):
            key, _, count = item.rpartition("=")
            try:
                number = int(count)
            except ValueError:
                number = -1
            if not key.strip() or number < 0:
                raise UsageError(f"{option} {item!r} must look like class=count with a whole count >= 0, e.g. {option} 0=9000,1=3000")
            counts[key.strip()] = number
        return counts
    try:
        ratio = float(value)
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not valid; use auto, minority, not-majority, not-minority, all, a ratio such as 0.5, "
            "or class=count pairs such as 0=9000,1=3000"
        ) from None
    if not 0 < ratio <= 1:
        raise UsageError(f"{option} {text!r}: a ratio must be in (0, 1] (minority count / majority count after resampling)")
    return ratio


def balance(
    frame: pl.LazyFrame,
    *,
    target: str,
    method: Method = "smote",
    features: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    sampling_strategy: str | float | Mapping[Any, int] = "auto",
    k_neighbors: int | None = None,
    m_neighbors: int | None = None,
    kind: Literal["borderline-1", "borderline-2"] = "borderline-1",
    out_step: float = 0.5,
    shrinkage: float | None = None,
    version: Literal[1, 2, 3] = 1,
    kind_sel: Literal["all", "mode"] = "all",
    cluster_balance_threshold: float | None = None,
    n_clusters: int | None = None,
    seed: int = 0,
    n_jobs: int | None = -1,
    strict: bool = False,
    synthetic_flag: bool = True,
    provenance: bool = True,
    where: str = "the input",
) -> BalanceResult:
    """Resample ``frame`` so its ``target`` classes are balanced, with imbalanced-learn.

    Parameters
    ----------
    frame : the training data, lazily scanned (only the target and feature columns are collected).
    target : the class label column (integers, strings, categoricals, booleans, or floats
        holding whole numbers; a continuous target is refused).
    method : the imbalanced-learn sampler (see ``METHODS``); ``smote`` switches to SMOTENC when
        some features are text/categorical/boolean, or to SMOTEN when none is numeric (with a
        warning, or an error when ``strict``).
    features : columns (names or globs) the sampler sees; default every column except the
        target and temporal columns. ``exclude`` removes columns from that set.
    sampling_strategy : imbalanced-learn's ``sampling_strategy``: a name, a ratio (binary
        targets), or ``{class: count}`` (classes given as labels or as their text).
    k_neighbors : neighbours for the method's own search (SMOTE family ``k_neighbors``, ADASYN,
        NearMiss and ENN ``n_neighbors``); default the method's default.
    m_neighbors, kind, out_step : BorderlineSMOTE / SVMSMOTE options.
    shrinkage : RandomOverSampler's smoothed bootstrap (numeric features only).
    version : NearMiss version. kind_sel : ENN ``kind_sel``.
    cluster_balance_threshold, n_clusters : KMeansSMOTE options (``n_clusters`` sets the
        MiniBatchKMeans estimator, seeded with ``seed``).
    seed : ``random_state`` of the sampler (and its estimators).
    n_jobs : cores for the nearest-neighbour searches, passed through a ``NearestNeighbors``
        estimator (or the method's ``n_jobs``); results do not depend on it.
    strict : refuse to switch ``smote`` to SMOTENC/SMOTEN.
    synthetic_flag : add the boolean ``is_synthetic`` column.
    provenance : add ``synthetic_parent`` (and ``synthetic_parent_neighbor`` for SMOTE),
        the 0-based input row positions a synthetic row was made from, where known.
    where : how error messages name the input.

    Returns
    -------
    BalanceResult with the output LazyFrame and report (class counts before and after).

    Example
    -------
    >>> lf = pl.LazyFrame({"x": [float(i) for i in range(20)], "y": [0] * 14 + [1] * 6})
    >>> res = balance(lf, target="y", method="smote", k_neighbors=3)
    >>> res.report["class_counts"]["after"]
    {'0': 14, '1': 14}
    """
    if method not in METHODS:
        raise UsageError(f"--method {method!r} is not known; choose one of {', '.join(METHODS)}")
    if not 0 <= seed < 2**32:
        raise UsageError(f"--seed {seed} is out of range; imbalanced-learn needs 0 <= seed < 2**32")
    schema = frame.collect_schema()
    names = schema.names()
    if target not in names:
        raise missing_column(target, names, where=where, option="--target")
    added = ([FLAG_COLUMN] if synthetic_flag else []) + ([PARENT_COLUMN, NEIGHBOR_COLUMN] if provenance else [])
    for name in added:
        if name in names:
            raise InputError(
                f"{where} already has a column {name!r} (was it balanced before?); drop or rename it, "
                "or pass --no-synthetic-flag / --no-provenance"
            )
    k = _check_k(method, k_neighbors)
    feature_cols = _choose_features(schema, target=target, features=features, exclude=exclude, where=where)
    numeric = [c for c in feature_cols if _is_numeric(schema[c])]
    categorical = [c for c in feature_cols if c not in numeric]
    run_warnings: list[str] = []
    used = _resolve_method(method, numeric, categorical, schema, strict=strict, shrinkage=shrinkage, where=where, warn=run_warnings.append)

    # Rows the sampler sees: the target and (when the method reads them) the features, once.
    needs_features = not (used in ("random-over", "random-under") and shrinkage is None)
    data = frame.select([target, *(feature_cols if needs_features else [])]).collect(engine="streaming")
    n = data.height
    y = _target_array(data[target], where=where)
    if needs_features:
        _check_missing(data, feature_cols, where=where)
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise InputError(f"target {target!r} of {where} has one class ({_label(classes[0]) if classes.size else 'no rows'}); balancing needs at least two classes")
    strategy = _match_strategy(sampling_strategy, classes, target=target, where=where)
    planned = _planned(strategy, y, used)
    _check_class_sizes(used, k, planned, classes, counts, target=target)

    if needs_features:
        X, decoders = _encode_features(data, numeric, categorical, schema)
    else:
        X, decoders = np.arange(n, dtype=np.float64).reshape(-1, 1), {}
    cat_idx = [feature_cols.index(c) for c in categorical] if needs_features else []
    sampler = _make_sampler(
        used, strategy=strategy, k=k, m_neighbors=m_neighbors, kind=kind, out_step=out_step, shrinkage=shrinkage,
        version=version, kind_sel=kind_sel, cluster_balance_threshold=cluster_balance_threshold,
        n_clusters=n_clusters, seed=seed, n_jobs=n_jobs, categorical=cat_idx,
    )
    X_res, y_res = _fit_resample(sampler, X, y, method=used, where=where, warn=run_warnings.append)

    # Which original rows survive, and the synthetic rows with their sources.
    kept, X_syn, y_syn, parents, neighbors = _split_result(sampler, used, X, X_res, y_res, n)
    out = _assemble(
        frame, schema, target=target, feature_cols=feature_cols if needs_features else [], decoders=decoders,
        kept=kept, X_syn=X_syn, y_syn=y_syn, parents=parents, neighbors=neighbors, n=n,
        synthetic_flag=synthetic_flag, provenance=provenance and (used in OVERSAMPLERS or used in COMBINED),
        copy_all=used == "random-over" and shrinkage is None,
    )
    after_labels = np.concatenate([y[kept] if kept is not None else y, y_syn])
    a_classes, a_counts = np.unique(after_labels, return_counts=True)
    passthrough = [c for c in names if c != target and c not in (feature_cols if needs_features else [])]
    report = {
        "method": method,
        "method_used": used,
        "rows_in": n,
        "rows_out": (int(kept.size) if kept is not None else n) + int(y_syn.size),
        "synthetic_rows": int(y_syn.size),
        "removed_rows": n - (int(kept.size) if kept is not None else n),
        "class_counts": {
            "before": {_label(c): int(v) for c, v in zip(classes, counts)},
            "after": {_label(c): int(v) for c, v in zip(a_classes, a_counts)},
        },
        "features": feature_cols if needs_features else [],
        "categorical_features": categorical if needs_features else [],
        "other_columns": passthrough,
        "other_columns_in_synthetic_rows": (
            "copied from the source row" if parents is not None else ("none (no synthetic rows)" if y_syn.size == 0 else "null")
        ),
        "provenance": PROVENANCE.get(used) if y_syn.size and parents is not None else None,
    }
    params = {
        "target": target, "method": method, "method_used": used, "features": feature_cols if needs_features else [],
        "exclude": list(exclude or []), "sampling_strategy": _json_strategy(sampling_strategy), "k_neighbors": k,
        **_method_params(used, m_neighbors=m_neighbors, kind=kind, out_step=out_step, shrinkage=shrinkage,
                         version=version, kind_sel=kind_sel,
                         cluster_balance_threshold=cluster_balance_threshold, n_clusters=n_clusters),
        "seed": seed, "n_jobs": n_jobs, "strict": strict, "synthetic_flag": synthetic_flag, "provenance": provenance,
    }
    return BalanceResult(frame=out, report=report, params=params, warnings=run_warnings)


# ---- choosing and checking ------------------------------------------------------------------

def _is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() or dtype.is_temporal()


def _check_k(method: str, k: int | None) -> int | None:
    default = DEFAULT_K[method]
    if k is None:
        return default
    if default is None:
        raise UsageError(f"--k-neighbors does not apply to --method {method}; leave it out")
    if k < 1:
        raise UsageError(f"--k-neighbors {k} must be at least 1")
    return k


def _choose_features(schema: pl.Schema, *, target: str, features: Sequence[str] | None,
                     exclude: Sequence[str] | None, where: str) -> list[str]:
    names = schema.names()
    if features:
        chosen = select_columns(features, names, where=where, option="--features")
        if target in chosen:
            raise UsageError(f"--features includes the target {target!r}; the target is never a feature, leave it out")
    else:
        chosen = [c for c in names if c != target and not schema[c].is_temporal() and _supported(schema[c])]
    if exclude:
        dropped = set(select_columns(exclude, names, where=where, option="--exclude"))
        chosen = [c for c in chosen if c not in dropped]
    if not chosen:
        raise UsageError(f"no feature columns are left in {where}; check --features/--exclude")
    for col in chosen:
        if not _supported(schema[col]):
            raise InputError(
                f"feature column {col!r} of {where} is {schema[col]}, which no sampler can use; "
                "pass --exclude it (it is then copied from the source row)"
            )
    return chosen


def _supported(dtype: pl.DataType) -> bool:
    return _is_numeric(dtype) or isinstance(dtype, _CATEGORICAL_KINDS) or dtype == pl.Boolean


def _resolve_method(method: str, numeric: list[str], categorical: list[str], schema: pl.Schema, *,
                    strict: bool, shrinkage: float | None, where: str, warn) -> str:
    shown = ", ".join(repr(c) for c in categorical[:5]) + (", …" if len(categorical) > 5 else "")
    if method == "smote" and categorical:
        switched = "smotenc" if numeric else "smoten"
        if strict:
            raise InputError(
                f"--method smote needs numeric features but {shown} of {where} are text/categorical/boolean; "
                f"use --method {switched}, --exclude them, or drop --strict to switch automatically"
            )
        warn(f"features {shown} are text/categorical/boolean: using {switched.upper()} instead of SMOTE (--strict refuses)")
        return switched
    if method == "smotenc":
        if not categorical:
            raise InputError(f"--method smotenc needs at least one text/categorical/boolean feature and {where} has none; use --method smote")
        if not numeric:
            raise InputError(f"--method smotenc needs at least one numeric feature and every feature of {where} is categorical; use --method smoten")
    if method == "smoten":
        floats = [c for c in numeric if schema[c].is_float()]
        if floats:
            raise InputError(
                f"--method smoten treats every feature as a category but {floats[0]!r} of {where} is {schema[floats[0]]}; "
                "use --method smotenc, --exclude it, or bin it first (mlprep bin)"
            )
    needs_numbers = method in NUMERIC_ONLY or (method == "random-over" and shrinkage is not None)
    if needs_numbers and categorical:
        raise InputError(
            f"--method {method} needs numeric features but {shown} of {where} are text/categorical/boolean; "
            "encode them first (mlprep encode), --exclude them, or use --method smotenc"
        )
    return method


def _target_array(series: pl.Series, *, where: str) -> np.ndarray:
    name = series.name
    if series.null_count():
        raise InputError(f"target {name!r} of {where} has {series.null_count():,} null values; drop or fill those rows first")
    dtype = series.dtype
    if dtype.is_float():
        if series.is_nan().any():
            raise InputError(f"target {name!r} of {where} has NaN values; drop or fill those rows first")
        if (series != series.round()).any():
            raise InputError(
                f"target {name!r} of {where} is continuous ({dtype} with fractional values); balancing needs classes: "
                "bin it first (mlprep bin) or choose a class column"
            )
        return series.to_numpy()
    if dtype.is_integer() or dtype == pl.Boolean:
        return series.to_numpy()
    if isinstance(dtype, (pl.String, pl.Categorical, pl.Enum)):
        return series.cast(pl.String).to_numpy().astype(object)
    raise InputError(f"target {name!r} of {where} is {dtype}; a class label must be integer, text, categorical or boolean")


def _check_missing(data: pl.DataFrame, cols: list[str], *, where: str) -> None:
    exprs = [pl.col(c).null_count().alias(c) for c in cols]
    nulls = data.select(exprs).row(0, named=True)
    nans = data.select([pl.col(c).is_nan().sum().alias(c) for c in cols if data.schema[c].is_float()])
    nan_counts = nans.row(0, named=True) if nans.width else {}
    bad = [c for c in cols if nulls[c] or nan_counts.get(c)]
    if bad:
        shown = ", ".join(f"{c!r} ({nulls[c] + (nan_counts.get(c) or 0):,})" for c in bad[:8]) + (", …" if len(bad) > 8 else "")
        raise InputError(
            f"feature columns of {where} have nulls or NaN: {shown}; impute them first (mlprep impute) or --exclude them"
        )
    floats = [c for c in cols if data.schema[c].is_float()]
    infinite = data.select(pl.col(c).is_infinite().sum().alias(c) for c in floats).row(0, named=True) if floats else {}
    bad = [c for c in floats if infinite[c]]
    if bad:
        shown = ", ".join(f"{c!r} ({infinite[c]:,})" for c in bad[:8]) + (", …" if len(bad) > 8 else "")
        raise InputError(f"feature columns of {where} hold ±inf: {shown}; no sampler can interpolate them: replace them (e.g. with null, then mlprep impute) or --exclude them")


def _label(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if isinstance(value, np.generic) else value)


def _match_strategy(strategy: str | float | Mapping[Any, int], classes: np.ndarray, *, target: str, where: str):
    if not isinstance(strategy, Mapping):
        return strategy
    by_text = {_label(c).lower(): c for c in classes}
    by_value = {c: c for c in classes}
    matched: dict[Any, int] = {}
    for key, count in strategy.items():
        label = by_value.get(key) if not isinstance(key, str) else None
        if label is None:
            label = by_text.get(str(key).lower()) if not isinstance(key, bool) else by_text.get(_label(key))
        if label is None:
            present = ", ".join(_label(c) for c in classes[:20])
            raise UsageError(
                f"--sampling-strategy names class {str(key)!r}, which target {target!r} of {where} does not have; classes: {present}"
            )
        matched[label] = int(count)
    return matched


def _planned(strategy, y: np.ndarray, method: str) -> dict[Any, int]:
    """imbalanced-learn's own reading of ``sampling_strategy``: class → rows to add/keep."""
    from imblearn.utils import check_sampling_strategy

    try:
        return dict(check_sampling_strategy(strategy, y, SAMPLING_TYPE[method]))
    except ValueError as exc:
        text = str(exc).strip().splitlines()[0]
        raise UsageError(f"--sampling-strategy does not fit --method {method}: {text}") from exc


def _check_class_sizes(method: str, k: int | None, planned: dict[Any, int], classes, counts, *, target: str) -> None:
    if method not in _WITHIN_CLASS_K or k is None:
        return
    sizes = dict(zip(classes.tolist(), counts.tolist()))
    for label, n_new in planned.items():
        size = sizes[label.item() if isinstance(label, np.generic) else label]
        if n_new > 0 and size < 2:
            raise InputError(
                f"class {_label(label)} of target {target!r} has 1 row, and {method} needs at least 2 rows of a class "
                "to make new ones; use --method random-over, or leave the class out of --sampling-strategy"
            )
        if n_new > 0 and size < k + 1:
            raise InputError(
                f"class {_label(label)} of target {target!r} has {size} rows, fewer than --k-neighbors + 1 = {k + 1}; "
                f"pass --k-neighbors {size - 1} or less"
            )


def _json_strategy(strategy) -> Any:
    if isinstance(strategy, Mapping):
        return {_label(k): int(v) for k, v in strategy.items()}
    return strategy


def _method_params(method: str, **opts: Any) -> dict[str, Any]:
    keys = {
        "borderline-smote": ("m_neighbors", "kind"), "svm-smote": ("m_neighbors", "out_step"),
        "kmeans-smote": ("cluster_balance_threshold", "n_clusters"), "random-over": ("shrinkage",),
        "near-miss": ("version",), "enn": ("kind_sel",), "smote-enn": ("kind_sel",),
    }.get(method, ())
    out = {key: opts[key] for key in keys}
    if "m_neighbors" in out and out["m_neighbors"] is None:
        out["m_neighbors"] = 10
    return out


# ---- numpy in and out -------------------------------------------------------------------------

@dataclass
class _Decoder:
    """How a feature column's float64 values become its original dtype again."""

    kind: Literal["float", "int", "temporal", "codes"]
    dtype: pl.DataType
    categories: pl.Series | None = None


def _encode_features(data: pl.DataFrame, numeric: list[str], categorical: list[str], schema: pl.Schema):
    """One float64 matrix of the features in order: numbers as they are, categories as codes.

    Codes of text and categorical columns follow sorted (lexical) order, the order
    imbalanced-learn's own encoders would give the raw strings; enums keep their declared order;
    booleans are 0/1.
    """
    exprs, decoders = [], {}
    for col in data.columns[1:]:
        dtype = schema[col]
        if col in numeric:
            if dtype.is_temporal():
                exprs.append(pl.col(col).to_physical().cast(pl.Float64))
                decoders[col] = _Decoder("temporal", dtype)
            else:
                exprs.append(pl.col(col).cast(pl.Float64))
                decoders[col] = _Decoder("float" if dtype.is_float() or dtype.is_decimal() else "int", dtype)
        elif dtype == pl.Boolean:
            exprs.append(pl.col(col).cast(pl.Float64))
            decoders[col] = _Decoder("codes", dtype, pl.Series(col, [False, True]))
        elif isinstance(dtype, pl.Enum):
            exprs.append(pl.col(col).to_physical().cast(pl.Float64))
            decoders[col] = _Decoder("codes", dtype, dtype.categories)
        else:
            text = pl.col(col).cast(pl.String)
            cats = data.select(text.unique().sort()).to_series()
            exprs.append((text.rank("dense") - 1).cast(pl.Float64))
            decoders[col] = _Decoder("codes", dtype, cats)
    X = data.select(exprs).to_numpy(order="c")
    return np.ascontiguousarray(X, dtype=np.float64), decoders


def _decode(values: np.ndarray, name: str, dec: _Decoder) -> pl.Series:
    """Float64 values from the sampler back to the column's dtype (integers rounded, ties to even)."""
    if dec.kind == "float":
        return pl.Series(name, values, dtype=pl.Float64).cast(dec.dtype)
    if dec.kind in ("int", "temporal"):
        physical = pl.Series([], dtype=dec.dtype).to_physical().dtype if dec.kind == "temporal" else dec.dtype
        info = np.iinfo(_numpy_int(physical))
        rounded = np.clip(np.rint(values), info.min, info.max)
        series = pl.Series(name, rounded).cast(physical)
        return series.cast(dec.dtype) if dec.kind == "temporal" else series
    assert dec.categories is not None
    codes = np.rint(values).astype(np.int64)
    return dec.categories.gather(pl.Series(codes)).rename(name).cast(dec.dtype)


def _numpy_int(dtype: pl.DataType) -> type:
    return {
        pl.Int8: np.int8, pl.Int16: np.int16, pl.Int32: np.int32, pl.Int64: np.int64, pl.Int128: np.int64,
        pl.UInt8: np.uint8, pl.UInt16: np.uint16, pl.UInt32: np.uint32, pl.UInt64: np.uint64, pl.UInt128: np.uint64,
    }[dtype.base_type() if not isinstance(dtype, type) else dtype]


# ---- the sampler --------------------------------------------------------------------------

def _neighbors(k: int, n_jobs: int | None):
    from sklearn.neighbors import NearestNeighbors

    # Same as imbalanced-learn's check_neighbors_object(k, additional_neighbor=1), with n_jobs.
    return NearestNeighbors(n_neighbors=k + 1, n_jobs=n_jobs)


def _recording(cls: type) -> type:
    """A SMOTE class that also records each synthetic row's base sample and neighbour.

    It overrides only the hook imbalanced-learn calls with those indices (``_generate_samples``)
    and passes everything through unchanged, so the samples are exactly the parent class's.
    Base rows index the class (SMOTE, SMOTE-NC) or its samples in danger, which
    BorderlineSMOTE exposes as ``in_danger_indices``; neighbours index the class or the
    whole input (borderline-2). Anything else is recorded as unknown.
    """

    class Recording(cls):  # type: ignore[misc, valid-type]
        def _fit_resample(self, X, y):
            self._mlprep_X, self._mlprep_y = X, y
            self.provenance_ = []
            try:
                return super()._fit_resample(X, y)
            finally:
                for name in ("_mlprep_X", "_mlprep_y", "_mlprep_support", "_mlprep_subsets"):
                    self.__dict__.pop(name, None)

        def _generate_samples(self, X, nn_data, nn_num, rows, cols, steps, y_type=None, y=None):
            self.provenance_.append(self._sources(X, nn_data, nn_num[rows, cols], rows, y_type))
            return super()._generate_samples(X, nn_data, nn_num, rows, cols, steps, y_type, y)

        def _in_danger_noise(self, nn_estimator, samples, target_class, y, kind="danger"):
            found = super()._in_danger_noise(nn_estimator, samples, target_class, y, kind=kind)
            svm = getattr(self, "svm_estimator_", None)
            if svm is not None and kind == "noise":  # SVMSMOTE: the class's support vectors, noise dropped
                support = svm.support_[y[svm.support_] == target_class]
                self._mlprep_support = support[~found] if support.size == found.size else None
            elif svm is not None and getattr(self, "_mlprep_support", None) is not None and self._mlprep_support.size == found.size:
                self._mlprep_subsets = [self._mlprep_support[found], self._mlprep_support[~found]]  # danger, safe
            return found

        def _svm_sources(self, X, nn_data, neighbours, rows, y_type):
            """SVMSMOTE: base rows index the support vectors in danger, or the safe ones."""
            positions = np.flatnonzero(self._mlprep_y == y_type)
            if nn_data.shape[0] != positions.size:
                return None
            for subset in getattr(self, "_mlprep_subsets", []):
                if subset.size == X.shape[0] and np.array_equal(self._mlprep_X[subset], X):
                    return subset[rows], positions[neighbours]
            return None

        def _sources(self, X, nn_data, neighbours, rows, y_type):
            if hasattr(self, "kmeans_estimator"):
                return self._cluster_sources(X, nn_data, neighbours, rows, y_type)
            if hasattr(self, "svm_estimator"):
                return self._svm_sources(X, nn_data, neighbours, rows, y_type)
            positions = np.flatnonzero(self._mlprep_y == y_type)
            if nn_data is self._mlprep_X:
                neighbour_pos = neighbours
            elif nn_data.shape[0] == positions.size:
                neighbour_pos = positions[neighbours]
            else:
                return None
            danger = getattr(self, "in_danger_indices", None)
            if X is nn_data and X.shape[0] == positions.size:  # SMOTE, SMOTE-NC: the class itself
                return positions[rows], neighbour_pos
            if isinstance(danger, dict) and y_type in danger and len(danger[y_type]) == X.shape[0]:
                return np.asarray(danger[y_type])[rows], neighbour_pos  # BorderlineSMOTE
            return None

        def _cluster_sources(self, X, nn_data, neighbours, rows, y_type):
            """KMeansSMOTE: base and neighbours index the class's rows in one cluster (``labels_``)."""
            labels = getattr(getattr(self, "kmeans_estimator_", None), "labels_", None)
            if X is not nn_data or labels is None:
                return None
            in_class = self._mlprep_y == y_type
            for cluster in np.unique(labels):
                positions = np.flatnonzero((labels == cluster) & in_class)
                if positions.size == X.shape[0] and np.array_equal(self._mlprep_X[positions], X):
                    return positions[rows], positions[neighbours]
            return None

    Recording.__name__ = Recording.__qualname__ = cls.__name__
    return Recording


def _make_sampler(method: str, *, strategy, k, m_neighbors, kind, out_step, shrinkage, version,
                  kind_sel, cluster_balance_threshold, n_clusters, seed, n_jobs, categorical) -> "BaseSampler":
    from imblearn import combine, over_sampling, under_sampling

    nn = (lambda size: _neighbors(size, n_jobs))  # noqa: E731
    m = 10 if m_neighbors is None else m_neighbors
    common = {"sampling_strategy": strategy, "random_state": seed}
    if method == "smote":
        return _recording(over_sampling.SMOTE)(**common, k_neighbors=nn(k))
    if method == "smotenc":
        return _recording(over_sampling.SMOTENC)(categorical_features=categorical, **common, k_neighbors=nn(k))
    if method == "smoten":
        return over_sampling.SMOTEN(**common, k_neighbors=nn(k))
    if method == "borderline-smote":
        return _recording(over_sampling.BorderlineSMOTE)(**common, k_neighbors=nn(k), m_neighbors=nn(m), kind=kind)
    if method == "svm-smote":
        return _recording(over_sampling.SVMSMOTE)(**common, k_neighbors=nn(k), m_neighbors=nn(m), out_step=out_step)
    if method == "kmeans-smote":
        return _recording(over_sampling.KMeansSMOTE)(
            **common, k_neighbors=nn(k), kmeans_estimator=n_clusters, n_jobs=n_jobs,
            cluster_balance_threshold="auto" if cluster_balance_threshold is None else cluster_balance_threshold,
        )
    if method == "adasyn":
        return over_sampling.ADASYN(**common, n_neighbors=nn(k))
    if method == "random-over":
        return over_sampling.RandomOverSampler(**common, shrinkage=shrinkage)
    if method == "random-under":
        return under_sampling.RandomUnderSampler(**common)
    if method == "near-miss":
        return under_sampling.NearMiss(sampling_strategy=strategy, version=version, n_neighbors=k, n_jobs=n_jobs)
    if method == "tomek":
        return under_sampling.TomekLinks(sampling_strategy=strategy, n_jobs=n_jobs)
    if method == "enn":
        return under_sampling.EditedNearestNeighbours(sampling_strategy=strategy, n_neighbors=k, kind_sel=kind_sel, n_jobs=n_jobs)
    smote = _recording(over_sampling.SMOTE)(**common, k_neighbors=nn(k))
    if method == "smote-tomek":
        tomek = under_sampling.TomekLinks(sampling_strategy="all", n_jobs=n_jobs)
        return combine.SMOTETomek(**common, smote=smote, tomek=tomek)
    enn = under_sampling.EditedNearestNeighbours(sampling_strategy="all", kind_sel=kind_sel, n_jobs=n_jobs)
    return combine.SMOTEENN(**common, smote=smote, enn=enn)


def _fit_resample(sampler, X, y, *, method: str, where: str, warn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            X_res, y_res = sampler.fit_resample(X, y)
        except (ValueError, RuntimeError) as exc:
            text = (str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__).rstrip(".")
            hint = {
                "kmeans-smote": " (options --cluster-balance-threshold, --n-clusters; or use --method smote)",
                "adasyn": "; the classes may already be balanced or separable, try --method smote",
            }.get(method, "")
            raise InputError(f"imbalanced-learn's {method} cannot resample {where}: {text}{hint}") from exc
    for item in caught:
        first = str(item.message).strip().splitlines()[0] if str(item.message).strip() else item.category.__name__
        warn(f"imbalanced-learn ({method}): {first}")
    return np.asarray(X_res), np.asarray(y_res)


def _split_result(sampler, method: str, X, X_res, y_res, n: int):
    """(kept original positions or None for all, synthetic X, synthetic y, parents, neighbours)."""
    empty_y = y_res[:0]
    if method in UNDERSAMPLERS:
        return np.sort(sampler.sample_indices_), X_res[:0], empty_y, None, None
    if method in OVERSAMPLERS:
        X_syn, y_syn = X_res[n:], y_res[n:]
        parents = neighbors = None
        if method == "random-over":
            parents = np.asarray(sampler.sample_indices_)[n:]
        elif (known := _recorded(getattr(sampler, "provenance_", None), y_syn.size)) is not None:
            parents, neighbors = known
        elif y_syn.size == 0:
            parents, neighbors = np.empty(0, dtype=np.int64), None
        return None, X_syn, y_syn, parents, neighbors
    # SMOTE then a cleaner: the cleaner's sample_indices_ index SMOTE's output (originals first).
    cleaner = sampler.tomek_ if method == "smote-tomek" else sampler.enn_
    picked = np.asarray(cleaner.sample_indices_)
    order = np.argsort(picked, kind="stable")
    picked, X_sorted, y_sorted = picked[order], X_res[order], y_res[order]
    syn = picked >= n
    parents = neighbors = None
    known = _recorded(sampler.smote_.provenance_, int(sum(sampler.smote_.sampling_strategy_.values())))
    if known is not None:
        parents, neighbors = known[0][picked[syn] - n], known[1][picked[syn] - n]
    return picked[~syn], X_sorted[syn], y_sorted[syn], parents, neighbors


def _recorded(provenance: list | None, size: int | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Concatenate what a recording sampler saw, or None when any part is unknown or off in length."""
    if provenance is None or any(p is None for p in provenance):
        return None
    if not provenance:
        parents = neighbors = np.empty(0, dtype=np.int64)
    else:
        parents, neighbors = np.concatenate([p[0] for p in provenance]), np.concatenate([p[1] for p in provenance])
    return (parents, neighbors) if size is None or parents.size == size else None


def _assemble(frame: pl.LazyFrame, schema: pl.Schema, *, target: str, feature_cols: list[str], decoders: dict,
              kept, X_syn, y_syn, parents, neighbors, n: int, synthetic_flag: bool, provenance: bool,
              copy_all: bool) -> pl.LazyFrame:
    """Original rows (all, or the kept ones in order) followed by the synthetic rows."""
    original = frame
    if kept is not None and kept.size < n:
        original = frame.with_row_index("__mlprep_row").filter(_row_in(kept)).drop("__mlprep_row")
    extra_orig: list[pl.Expr] = []
    if synthetic_flag:
        extra_orig.append(pl.lit(False).alias(FLAG_COLUMN))
    if provenance:
        extra_orig += [pl.lit(None, pl.Int64).alias(PARENT_COLUMN), pl.lit(None, pl.Int64).alias(NEIGHBOR_COLUMN)]
    original = original.with_columns(extra_orig)
    m = int(y_syn.size)
    if m == 0:
        return original

    names = schema.names()
    columns: dict[str, pl.Series] = {}
    if parents is not None:
        others = names if copy_all else [c for c in names if c != target and c not in feature_cols]
        if others:
            source = (
                frame.with_row_index("__mlprep_row").filter(_row_in(np.unique(parents)))
                .select([pl.col("__mlprep_row").cast(pl.UInt64), *others]).collect(engine="streaming")
            )
            rows = pl.DataFrame({"__mlprep_row": pl.Series(parents, dtype=pl.UInt64)})
            copied = rows.join(source, on="__mlprep_row", how="left", maintain_order="left")
            columns.update({c: copied[c] for c in others})
    for name in names:
        if name in columns:
            continue
        if name == target:
            columns[name] = _labels_series(y_syn, name, schema[name])
        elif name in feature_cols:
            columns[name] = _decode(X_syn[:, feature_cols.index(name)], name, decoders[name])
        else:
            columns[name] = pl.Series(name, [None] * m, dtype=schema[name])
    synthetic = pl.DataFrame([columns[c].cast(schema[c]) for c in names])
    extra: list[pl.Series] = []
    if synthetic_flag:
        extra.append(pl.Series(FLAG_COLUMN, [True] * m, dtype=pl.Boolean))
    if provenance:
        extra.append(pl.Series(PARENT_COLUMN, parents, dtype=pl.Int64) if parents is not None else pl.Series(PARENT_COLUMN, [None] * m, dtype=pl.Int64))
        extra.append(pl.Series(NEIGHBOR_COLUMN, neighbors, dtype=pl.Int64) if neighbors is not None else pl.Series(NEIGHBOR_COLUMN, [None] * m, dtype=pl.Int64))
    synthetic = synthetic.with_columns(extra)
    return pl.concat([original, synthetic.lazy()], how="vertical")


def _row_in(positions: np.ndarray) -> pl.Expr:
    """Rows whose 0-based position is in ``positions`` (a streaming filter, no gather)."""
    return pl.col("__mlprep_row").cast(pl.UInt64).is_in(pl.Series(positions, dtype=pl.UInt64).implode())


def _labels_series(values: np.ndarray, name: str, dtype: pl.DataType) -> pl.Series:
    if isinstance(dtype, (pl.String, pl.Categorical, pl.Enum)):
        return pl.Series(name, values.astype(str).tolist(), dtype=pl.String).cast(dtype)
    return pl.Series(name, values).cast(dtype)


__all__ = ["METHODS", "BalanceResult", "Method", "balance", "parse_sampling_strategy"]
