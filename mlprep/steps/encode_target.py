"""Target encoding as scikit-learn's ``TargetEncoder``, cross-fitted on train with keyed folds.

Each category is replaced by a smoothed mean of the target over the training rows of that
category (per class for a multiclass target, one-vs-rest). The training input itself is
encoded out of fold: its rows are split into ``cv`` folds and a row of fold ``k`` gets the
encoding fitted on the other folds, so no training row is encoded with its own label. Every
other input gets the encoding fitted on all of train (the state stored in the manifest).

Folds are keyed, not drawn: ``fold = keyed_u64(seed, key) mod cv`` (scheme ``splitmix64-v1``,
:mod:`mlprep.keyed`), the key being the row's position in the training input, or the value of
``fold_key`` (e.g. a user id, so all rows of one user share a fold). The same file, seed and
options give the same folds on any machine and thread count. Fold sizes are random (binomial),
not stratified as scikit-learn's ``StratifiedKFold``; fed the same folds, scikit-learn's
``fit_transform`` agrees to 1e-9.

The encodings applied to other inputs (``transform``) are computed from the full training
columns as scikit-learn computes them, adding the target row by row in input order, so they are
the very same floats (this holds the codes and target as arrays: 8 bytes per row per column).
The out-of-fold statistics are mergeable: one group-by over (fold, category) gives per-fold
counts, sums and within-group sums of squared deviations, merged exactly (Chan et al.'s parallel
variance) into each fold's complement; that agrees with scikit-learn's ``fit_transform`` to 1e-9.

Encoding of a category with ``n`` rows, mean ``m`` and within variance ``v`` (population), given
the fit set's target mean ``M`` and variance ``V``:

- ``smooth='auto'``: ``λ m + (1 - λ) M`` with ``λ = V n / (V n + v)`` (Micci-Barreca's empirical
  Bayes), ``M`` when λ is undefined;
- ``smooth=s``: ``(n m + s M) / (n + s)``.

Unseen categories get ``M``. Null is a category of its own (unseen → ``M`` when train had none).

Example
-------
>>> import polars as pl
>>> lf = pl.LazyFrame({"c": ["a", "a", "b", "b"], "y": [1, 0, 1, 1]})
>>> state = fit_target(lf, cols=["c"], target="y", smooth=0.0)
>>> apply_target(lf, state).collect()["c__target"].to_list()
[0.5, 0.5, 1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from mlprep.errors import InputError, UsageError, missing_column
from mlprep.keyed import KEYED_SCHEME
from mlprep.steps.encode import Lookup, as_text, check_categorical, check_output_names, join_lookups, place_outputs

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

TargetType = Literal["auto", "binary", "multiclass", "continuous"]
_FOLD = "__mlprep_fold"
_POS = "__mlprep_pos"


def fold_expr(*, cv: int, seed: int, fold_key: str | None = None, key_dtype: "pl.DataType | None" = None) -> "pl.Expr":
    """The fold (UInt64 in 0…cv-1) of each row; needs ``with_row_index('__mlprep_pos')`` when keyed by position."""
    import polars as pl

    from mlprep.keyed import key_to_u64, keyed_u64, row_position

    if fold_key is None:
        key = row_position(_POS)
    else:
        assert key_dtype is not None
        key = key_to_u64(pl.col(fold_key), key_dtype).fill_null(0)
    return keyed_u64(seed, key) % cv


def target_folds(frame: "pl.LazyFrame", *, cv: int = 5, seed: int = 0, fold_key: str | None = None) -> "pl.Series":
    """The fold of each row of ``frame`` as :func:`fit_target` assigns it (for checks and tests).

    Example
    -------
    >>> import polars as pl
    >>> target_folds(pl.LazyFrame({"a": range(6)}), cv=2).len()
    6
    """
    dtype = frame.collect_schema()[fold_key] if fold_key else None
    return frame.with_row_index(_POS).select(fold_expr(cv=cv, seed=seed, fold_key=fold_key, key_dtype=dtype).alias("fold")).collect(engine="streaming")["fold"]


def _check_options(cv: int, smooth: str | float, target_type: str) -> None:
    if isinstance(cv, bool) or not isinstance(cv, int) or cv < 2:
        raise UsageError(f"--cv {cv!r} must be an integer of at least 2 (folds for cross-fitting the training split)")
    if smooth != "auto" and not (isinstance(smooth, (int, float)) and not isinstance(smooth, bool) and 0 <= smooth < float("inf")):
        raise UsageError(f"--smooth {smooth!r} must be auto or a finite number >= 0")
    if target_type not in ("auto", "binary", "multiclass", "continuous"):
        raise UsageError(f"--target-type {target_type!r} must be auto, binary, multiclass or continuous")


def _target_info(frame: "pl.LazyFrame", target: str, dtype: "pl.DataType", target_type: str) -> tuple[str, list[Any] | None]:
    """Resolve the target type as scikit-learn's ``type_of_target`` and its sorted classes."""
    import polars as pl

    y = pl.col(target)
    checks = [y.null_count().alias("nulls"), y.n_unique().alias("unique")]
    if dtype.is_float():
        checks += [y.is_nan().sum().alias("nans"), (y.is_infinite().sum()).alias("infs"), (y != y.floor()).any().alias("fractional")]
    stats = frame.select(checks).collect(engine="streaming").row(0, named=True)
    if stats["nulls"]:
        raise InputError(f"target column {target!r} has {stats['nulls']} null value(s) in the training input; drop or impute them before target encoding")
    if stats["unique"] == 0:
        raise InputError(f"the training input has no rows to fit target column {target!r} on; give a non-empty TRAIN")
    if stats.get("nans") or stats.get("infs"):
        raise InputError(f"target column {target!r} has NaN or infinite values in the training input; drop or impute them before target encoding")
    if target_type == "auto":
        if stats.get("fractional"):
            target_type = "continuous"
        else:
            target_type = "binary" if stats["unique"] <= 2 else "multiclass"
    if target_type == "continuous":
        if not (dtype.is_numeric() or dtype == pl.Boolean):
            raise InputError(f"target column {target!r} is {dtype}; a continuous target must be numeric")
        return target_type, None
    if target_type == "binary" and stats["unique"] > 2:
        raise InputError(f"target column {target!r} has {stats['unique']} distinct values, not a binary target; use --target-type multiclass or auto")
    classes = frame.select(y.unique().sort()).collect(engine="streaming")[target].to_list()
    return target_type, classes


def _components(target: str, target_type: str, classes: list[Any] | None) -> list["pl.Expr"]:
    """The Float64 target(s) the encoder averages: y, 1[y == classes[1]], or 1[y == class]."""
    import polars as pl

    y = pl.col(target)
    if target_type == "continuous":
        return [y.cast(pl.Float64)]
    assert classes is not None
    if target_type == "binary":
        positive = classes[-1]
        return [(y == positive).cast(pl.Float64)] if len(classes) == 2 else [pl.lit(0.0) * y.is_null().cast(pl.Float64)]
    return [(y == c).cast(pl.Float64) for c in classes]


def _fold_stats(frame: "pl.LazyFrame", cols: Sequence[str], target: str, comps: list["pl.Expr"], fold: "pl.Expr") -> dict[str, "pl.DataFrame"]:
    """Per column: one row per (fold, category) with n, and per component its sum and M2."""
    import polars as pl

    base = frame.with_row_index(_POS).select(fold.alias(_FOLD), *[as_text(c) for c in cols], *[e.alias(f"__y{t}") for t, e in enumerate(comps)])
    aggs = [pl.len().alias("n")]
    for t in range(len(comps)):
        y = pl.col(f"__y{t}")
        aggs += [y.sum().alias(f"s{t}"), ((y - y.mean()) ** 2).sum().alias(f"m{t}")]
    lazies = [base.group_by(_FOLD, pl.col(c).alias("value")).agg(aggs) for c in cols]
    return dict(zip(cols, pl.collect_all(lazies, engine="streaming")))


class _Stats:
    """Per (fold, category) arrays for one column: n, sums and M2 per component."""

    def __init__(self, table: "pl.DataFrame", cv: int, n_comp: int) -> None:
        import numpy as np

        table = table.sort("value", nulls_last=True)
        self.categories: list[Any] = table["value"].unique(maintain_order=True).to_list()
        index = {v: i for i, v in enumerate(self.categories)}
        cat = np.array([index[v] for v in table["value"].to_list()], dtype=np.int64)
        fold = table[_FOLD].to_numpy().astype(np.int64)
        shape = (cv, len(self.categories))
        self.n = np.zeros(shape)
        self.s = np.zeros((n_comp, *shape))
        self.m2 = np.zeros((n_comp, *shape))
        self.n[fold, cat] = table["n"].to_numpy()
        for t in range(n_comp):
            self.s[t, fold, cat] = table[f"s{t}"].to_numpy()
            self.m2[t, fold, cat] = table[f"m{t}"].to_numpy()

    def merged(self, folds: "np.ndarray") -> tuple["np.ndarray", "np.ndarray", "np.ndarray"]:
        """(n, mean, M2) per category over the chosen folds, merged exactly."""
        import numpy as np

        n = self.n[folds].sum(axis=0)
        s = self.s[:, folds].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s / n
            part_mean = self.s[:, folds] / self.n[folds]
            dev = np.where(self.n[folds] > 0, part_mean - mean[:, None, :], 0.0)
        m2 = (self.m2[:, folds] + self.n[folds] * dev**2).sum(axis=1)
        return n, mean, m2


def _encodings(n: "np.ndarray", mean: "np.ndarray", m2: "np.ndarray", smooth: str | float) -> tuple[list[list[float]], list[float]]:
    """Encodings per component and category, and the fit set's target mean per component."""
    import numpy as np

    total = n.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        sums = np.where(n > 0, mean * n, 0.0)
        y_mean = sums.sum(axis=1) / total
        dev = np.where(n > 0, mean - y_mean[:, None], 0.0)
        y_var = (m2.sum(axis=1) + (n * dev**2).sum(axis=1)) / total
        out = []
        for t in range(mean.shape[0]):
            if smooth == "auto":
                lam = y_var[t] * n / (y_var[t] * n + m2[t] / n)
                enc = lam * mean[t] + (1 - lam) * y_mean[t]
                enc = np.where(np.isnan(lam), y_mean[t], enc)
            else:
                denom = n + float(smooth)
                enc = np.where(denom == 0, y_mean[t], (sums[t] + float(smooth) * y_mean[t]) / denom)
            out.append([float(x) for x in enc])
    return out, [float(x) for x in y_mean]


def _full_train_encodings(
    frame: "pl.LazyFrame", categories: dict[str, list[Any]], comps: list["pl.Expr"], smooth: str | float
) -> tuple[dict[str, list[list[float]]], list[float]]:
    """The encodings ``transform`` applies, computed operation for operation as scikit-learn does.

    ``TargetEncoder`` adds the target row by row in input order; ``np.bincount`` and
    ``np.add.at`` do the same, so the encodings (and the target mean and variance, from
    ``np.mean``/``np.var``) are the very same floats, not merely close. This needs the codes and
    the target as arrays: 8 bytes per row per encoded column and per target component.
    """
    import numpy as np
    import polars as pl

    cols = list(categories)
    joined, mapped = join_lookups(frame, [(as_text(c), categories[c], [Lookup(range(len(categories[c])), -1, pl.Int64)]) for c in cols])
    codes = [code.alias(f"__code{i}") for i, [code] in enumerate(mapped)]
    data = joined.select(*codes, *[e.alias(f"__y{t}") for t, e in enumerate(comps)]).collect(engine="streaming")
    ys = [data[f"__y{t}"].to_numpy() for t in range(len(comps))]
    target_mean = [float(np.mean(y)) for y in ys]
    out = {}
    for i, c in enumerate(cols):
        x = data[f"__code{i}"].to_numpy()
        out[c] = [_sklearn_encoding(x, y, len(categories[c]), smooth, m) for y, m in zip(ys, target_mean)]
    return out, target_mean


def _sklearn_encoding(codes: "np.ndarray", y: "np.ndarray", k: int, smooth: str | float, y_mean: float) -> list[float]:
    """scikit-learn's ``_fit_encoding_fast`` / ``_fit_encoding_fast_auto_smooth`` for one column, vectorised."""
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore"):
        if smooth == "auto":
            y_variance = np.var(y)
            counts = np.bincount(codes, minlength=k)
            means = np.bincount(codes, weights=y, minlength=k) / counts
            diff = y - means[codes]
            squared = np.bincount(codes, weights=diff * diff, minlength=k)
            lam = y_variance * counts / (y_variance * counts + squared / counts)
            enc = np.where(np.isnan(lam), y_mean, lam * means + (1 - lam) * y_mean)
        else:
            sums = np.full(k, float(smooth) * y_mean)
            np.add.at(sums, codes, y)
            weights = np.full(k, float(smooth))
            np.add.at(weights, codes, 1.0)
            enc = np.where(weights == 0, y_mean, sums / weights)
    return [float(v) for v in enc]


def fit_target(
    frame: "pl.LazyFrame",
    *,
    cols: Sequence[str],
    target: str,
    target_type: TargetType = "auto",
    smooth: str | float = "auto",
    cv: int = 5,
    seed: int = 0,
    fold_key: str | None = None,
) -> dict[str, Any]:
    """Fit per-category target statistics on train (scikit-learn's ``TargetEncoder.fit``).

    Parameters
    ----------
    frame : the training data, with the target column (no nulls or NaN in it).
    cols : categorical columns to encode.
    target : the label column.
    target_type : ``'auto'`` decides as scikit-learn's ``type_of_target``: a float target with a
        fractional value is continuous, else two distinct values are binary (positive class =
        the larger one) and more are multiclass (one encoding per class, in sorted order).
    smooth : ``'auto'`` (empirical Bayes) or a number ``>= 0``.
    cv, seed, fold_key : folds for the cross-fitted training output (see the module docstring);
        recorded so the training output can be reproduced.

    Example
    -------
    >>> import polars as pl
    >>> fit_target(pl.LazyFrame({"c": ["a", "b"], "y": [0, 1]}), cols=["c"], target="y")["target_type"]
    'binary'
    """
    _check_options(cv, smooth, target_type)
    schema = frame.collect_schema()
    if target not in schema.names():
        raise missing_column(target, schema.names(), where="the training input", option="--target")
    if target in cols:
        raise UsageError(f"--target {target!r} is also in --cols; a column cannot encode itself")
    columns = check_categorical(schema, cols)
    if fold_key is not None and fold_key not in schema.names():
        raise missing_column(fold_key, schema.names(), where="the training input", option="--fold-key")
    dtype = schema[target]
    if dtype.is_nested() or str(dtype) in ("Binary", "Object"):
        raise InputError(f"target column {target!r} is {dtype}; give a numeric, boolean or text label")
    resolved, classes = _target_info(frame, target, dtype, target_type)
    comps = _components(target, resolved, classes)
    fold = fold_expr(cv=cv, seed=seed, fold_key=fold_key, key_dtype=schema[fold_key] if fold_key else None)
    tables = _fold_stats(frame, list(columns), target, comps, fold)
    categories = {col: _Stats(tables[col], cv, len(comps)).categories for col in columns}
    encodings, target_mean = _full_train_encodings(frame, categories, comps, smooth)
    encoders = {col: {"categories": categories[col], "encodings": encodings[col]} for col in columns}
    return {
        "columns": columns,
        "target": target,
        "target_type": resolved,
        "classes": classes,
        "smooth": smooth,
        "cv": cv,
        "seed": seed,
        "fold_key": fold_key,
        "keyed_scheme": KEYED_SCHEME,
        "target_mean": target_mean,
        "encoders": encoders,
    }


def target_output_names(state: dict[str, Any]) -> dict[str, list[str]]:
    """``<col>__target``, or ``<col>__target_<class>`` per class for a multiclass target."""
    if state["target_type"] == "multiclass":
        return {c: [f"{c}__target_{k}" for k in state["classes"]] for c in state["encoders"]}
    return {c: [f"{c}__target"] for c in state["encoders"]}


def _place(frame: "pl.LazyFrame", state: dict[str, Any], exprs: dict[str, list["pl.Expr"]], keep: bool, names: list[str]) -> "pl.LazyFrame":
    out_names = target_output_names(state)
    check_output_names(names, [n for c in out_names for n in out_names[c]], dropped=[] if keep else list(out_names), step="encode target")
    return frame.select(place_outputs(names, exprs, keep=keep))


def apply_target(frame: "pl.LazyFrame", state: dict[str, Any], *, keep: bool = False) -> "pl.LazyFrame":
    """Encode with the full-train fit (scikit-learn's ``transform``); unseen categories get the train mean.

    Streams: one lookup join per column (every class's encoding in one table). Outputs are Float64.

    Example
    -------
    >>> import polars as pl
    >>> state = fit_target(pl.LazyFrame({"c": ["a", "b"], "y": [0.5, 1.5]}), cols=["c"], target="y", smooth=0.0)
    >>> apply_target(pl.LazyFrame({"c": ["b", "z"]}), state).collect()["c__target"].to_list()
    [1.5, 1.0]
    """
    import polars as pl

    names = frame.collect_schema().names()
    out_names = target_output_names(state)
    cols = list(state["encoders"])
    tables = []
    for col in cols:
        enc = state["encoders"][col]
        tables.append((as_text(col), enc["categories"], [Lookup(v, m, pl.Float64) for v, m in zip(enc["encodings"], state["target_mean"])]))
    joined, mapped = join_lookups(frame, tables)
    exprs = {col: [e.alias(name) for e, name in zip(col_mapped, out_names[col])] for col, col_mapped in zip(cols, mapped)}
    return _place(joined, state, exprs, keep, names)


def cross_fit_target(frame: "pl.LazyFrame", state: dict[str, Any], *, keep: bool = False) -> "pl.LazyFrame":
    """The training output: each row encoded by the fit on the other folds (``fit_transform``).

    Re-derives the per-fold statistics from ``frame`` (the training input the state was fitted
    on) with the recorded folds, so it is a pure function of (train, state).

    Example
    -------
    >>> import polars as pl
    >>> lf = pl.LazyFrame({"c": ["a"] * 6, "y": [0, 1] * 3})
    >>> state = fit_target(lf, cols=["c"], target="y", cv=2)
    >>> cross_fit_target(lf, state).collect().height
    6
    """
    import numpy as np
    import polars as pl

    schema = frame.collect_schema()
    names = schema.names()
    if state["target"] not in names:
        raise missing_column(state["target"], names, where="the training input", option="--target")
    cv, fold_key = state["cv"], state["fold_key"]
    comps = _components(state["target"], state["target_type"], state["classes"])
    fold = fold_expr(cv=cv, seed=state["seed"], fold_key=fold_key, key_dtype=schema[fold_key] if fold_key else None)
    tables = _fold_stats(frame, list(state["encoders"]), state["target"], comps, fold)
    out_names = target_output_names(state)
    lookups = []
    for col in state["encoders"]:
        stats = _Stats(tables[col], cv, len(comps))
        per_fold = []
        for k in range(cv):
            others = np.array([j for j in range(cv) if j != k], dtype=np.int64)
            if stats.n[k].sum() > 0 and stats.n[others].sum() == 0:
                # The rows of fold k would have nothing to be encoded from (NaN everywhere).
                raise InputError(
                    f"cannot cross-fit the target encoding: all {int(stats.n[k].sum())} training rows fall in fold {k} "
                    f"of --cv {cv}, so no other fold is left to fit them on; lower --cv or encode a larger training set"
                )
            per_fold.append(_encodings(*stats.merged(others), state["smooth"]))
        # one table per column: an encoding per (fold, class), fold-major
        fold_lookups = [Lookup(enc[t], means[t], pl.Float64) for enc, means in per_fold for t in range(len(comps))]
        lookups.append((as_text(col), stats.categories, fold_lookups))
    with_fold = frame.with_row_index(_POS).with_columns(fold.alias(_FOLD)).drop(_POS)
    joined, mapped = join_lookups(with_fold, lookups)
    exprs = {}
    for col, col_mapped in zip(state["encoders"], mapped):
        col_exprs = []
        for t, name in enumerate(out_names[col]):
            expr = None
            for k in range(cv):
                value = col_mapped[k * len(comps) + t]
                expr = (pl.when(pl.col(_FOLD) == k) if expr is None else expr.when(pl.col(_FOLD) == k)).then(value)
            col_exprs.append(expr.alias(name))
        exprs[col] = col_exprs
    return _place(joined, state, exprs, keep, names)


def report_target(frame: "pl.LazyFrame", state: dict[str, Any]) -> dict[str, Any]:
    """Target type, classes, train mean, and per column the categories and unseen values/rows."""
    from mlprep.steps.encode import unseen_report

    unseen = unseen_report(frame, {c: e["categories"] for c, e in state["encoders"].items()})
    return {
        "target_type": state["target_type"],
        "classes": state["classes"],
        "target_mean": state["target_mean"],
        "columns": {c: {"categories": len(e["categories"]), **unseen[c]} for c, e in state["encoders"].items()},
    }


# ---- Transform adapter --------------------------------------------------------------------------


def _fit(frame: "pl.LazyFrame", params: dict[str, Any]) -> dict[str, Any]:
    return fit_target(
        frame, cols=params["cols"], target=params["target"], target_type=params.get("target_type", "auto"),
        smooth=params.get("smooth", "auto"), cv=params.get("cv", 5), seed=params.get("seed", 0), fold_key=params.get("fold_key"),
    )


def _make_transform() -> Any:
    from mlprep.fitting import Transform

    return Transform(
        "encode.target", _fit,
        lambda f, s, p: apply_target(f, s, keep=p.get("keep", False)),
        report=lambda f, s, p: report_target(f, s),
        fit_output=lambda f, s, p: cross_fit_target(f, s, keep=p.get("keep", False)),
    )


TARGET = _make_transform()
