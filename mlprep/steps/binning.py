"""Discretisation of continuous columns into bins whose edges come from the training split.

Reproduces scikit-learn's ``KBinsDiscretizer(encode="ordinal")``: ``uniform`` edges span the
train min..max (one streaming pass of min/max); ``quantile`` edges are exact percentiles with
scikit-learn's default ``quantile_method="averaged_inverted_cdf"`` over all train rows (the
column is collected and sorted; scikit-learn subsamples 200,000 rows by default); ``kmeans``
edges are midpoints of 1-D k-means centres (scikit-learn's KMeans on the collected column, the
same uniform initialisation). Bins narrower than 1e-8 are removed with a warning, and a
constant column gets one bin, as scikit-learn does. Applying is ``searchsorted(inner edges,
side="right")``: values below the first edge fall in bin 0, above the last in the last bin.
The output is the bin index (Int32), or with ``labels`` a string like ``[10, 100)``; null and
NaN stay missing (null).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from mlprep.errors import InputError, UsageError
from mlprep.steps._columns import all_null_error, dtype_map, finite, numeric_columns, values

BinStrategy = Literal["quantile", "uniform", "kmeans"]
STRATEGIES: tuple[str, ...] = ("quantile", "uniform", "kmeans")


def fit_bin(
    frame: pl.LazyFrame,
    *,
    cols: Sequence[str] | None = None,
    bins: int = 5,
    strategy: BinStrategy = "quantile",
    edges: Mapping[str, Sequence[float]] | None = None,
    labels: bool = False,
    drop_all_null: bool = False,
    where: str = "the input",
) -> dict[str, Any]:
    """Fit bin edges on the training frame; return the JSON state :func:`apply_bin` uses.

    Parameters
    ----------
    frame : the training split, lazily scanned.
    cols : numeric columns to bin (default: every numeric column, or only the ``edges`` columns).
    bins : number of bins per fitted column (at least 2).
    strategy : ``quantile``, ``uniform`` or ``kmeans``.
    edges : fixed, increasing edges for some columns, ``{"amount": [0, 10, 100]}`` (not fitted).
    labels : output interval labels (``[10, 100)``) instead of bin indices.
    drop_all_null : drop a column with no value in train instead of failing.
    where : how messages name the training input.

    Example
    -------
    >>> fit_bin(pl.LazyFrame({"x": [0.0, 1.0, 2.0, 4.0]}), bins=2, strategy="uniform")["edges"]
    {'x': [0.0, 2.0, 4.0]}
    """
    if strategy not in STRATEGIES:
        raise UsageError(f"--strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
    if bins < 2:
        raise UsageError(f"--bins {bins} must be at least 2")
    schema = frame.collect_schema()
    fixed = {k: [float(v) for v in vs] for k, vs in (edges or {}).items()}
    for name, vs in fixed.items():
        if len(vs) < 2 or any(b <= a for a, b in zip(vs, vs[1:])):
            raise UsageError(f"--edges for {name!r} must be at least two strictly increasing numbers, e.g. {name}=0,10,100")
    fixed_cols = numeric_columns(schema, list(fixed), where=where, purpose="binning") if fixed else []
    if cols or not fixed:
        fitted = [c for c in numeric_columns(schema, cols, where=where, purpose="binning") if c not in fixed]
    else:
        fitted = []
    if not fitted and not fixed_cols:
        raise UsageError(f"{where} has no numeric column to bin; name them with --cols or give --edges")
    notes: list[str] = []
    dropped: dict[str, str] = {}
    result: dict[str, list[float]] = {}
    if fitted:
        checks = frame.select(
            *[values(c, schema[c]).count().alias(f"n:{c}") for c in fitted],
            *[values(c, schema[c]).min().alias(f"min:{c}") for c in fitted],
            *[values(c, schema[c]).max().alias(f"max:{c}") for c in fitted],
        ).collect(engine="streaming").row(0, named=True)
        for c in fitted:
            if checks[f"n:{c}"] == 0:
                if not drop_all_null:
                    raise all_null_error(c, where)
                dropped[c] = "no value in train (--drop-all-null)"
                continue
            lo = finite(checks[f"min:{c}"], column=c, what="minimum", where=where)
            hi = finite(checks[f"max:{c}"], column=c, what="maximum", where=where)
            if lo == hi:
                notes.append(f"column {c!r} is constant in train: one bin (index 0) for every value")
                result[c] = [lo, hi]
                continue
            if strategy == "uniform":
                found = np.linspace(lo, hi, bins + 1)
            else:
                found = _fit_sklearn(frame, c, schema, bins, strategy, where)
            keep = np.ediff1d(found, to_begin=np.inf) > 1e-8
            if not keep.all():
                notes.append(f"column {c!r}: bins narrower than 1e-8 removed, {int(keep.sum()) - 1} bins left (as scikit-learn does)")
                found = found[keep]
            result[c] = [float(v) for v in found]
    for c in fixed_cols:
        result[c] = fixed[c]
    order = [c for c in schema.names() if c in result]
    state: dict[str, Any] = {
        "columns": dtype_map(schema, order),
        "edges": {c: result[c] for c in order},
        "labels": bool(labels),
        "dropped": dropped,
    }
    if notes:
        state["warnings"] = notes
    return state


def _fit_sklearn(frame: pl.LazyFrame, name: str, schema: pl.Schema, bins: int, strategy: str, where: str = "the input") -> np.ndarray:
    """Quantile or k-means edges from the collected column (all rows, no subsample)."""
    x = frame.select(values(name, schema[name]).alias(name)).drop_nulls().collect(engine="streaming")[name].to_numpy()
    if strategy == "kmeans" and len(x) < bins:
        raise InputError(
            f"column {name!r} of {where} has {len(x)} non-missing values, fewer than the {bins} k-means bins asked; "
            "lower --bins or use --strategy quantile or uniform"
        )
    if strategy == "quantile":
        return np.asarray(np.percentile(x, np.linspace(0, 100, bins + 1), method="averaged_inverted_cdf"), dtype=np.float64)
    from sklearn.preprocessing import KBinsDiscretizer
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(1):  # one thread: the same centres on every machine
        warnings.simplefilter("ignore")  # scikit-learn's narrow-bin notice; fit_bin reports its own
        kbd = KBinsDiscretizer(n_bins=bins, encode="ordinal", strategy="kmeans", subsample=None)
        kbd.fit(x.reshape(-1, 1))
    return np.asarray(kbd.bin_edges_[0], dtype=np.float64)


def _label(value: float) -> str:
    return format(value, ".12g")


def bin_labels(edges: Sequence[float]) -> list[str]:
    """Interval labels of the bins ``edges`` make; the outer bins are open to ±inf.

    Example
    -------
    >>> bin_labels([0, 10, 100])
    ['(-inf, 10)', '[10, inf)']
    """
    n = max(1, len(edges) - 1)
    if n == 1:
        return ["(-inf, inf)"]
    out = []
    for i in range(n):
        lo = "(-inf" if i == 0 else "[" + _label(edges[i])
        hi = "inf)" if i == n - 1 else _label(edges[i + 1]) + ")"
        out.append(f"{lo}, {hi}")
    return out


def apply_bin(frame: pl.LazyFrame, state: Mapping[str, Any]) -> pl.LazyFrame:
    """Replace each binned column by its bin index (Int32) or label: a streaming map.

    Example
    -------
    >>> state = fit_bin(pl.LazyFrame({"x": [0.0, 4.0]}), bins=2, strategy="uniform")
    >>> apply_bin(pl.LazyFrame({"x": [-1.0, 2.0, 9.0, None]}), state).collect()["x"].to_list()
    [0, 1, 1, None]
    """
    schema = frame.collect_schema()
    dropped = [c for c in (state.get("dropped") or {}) if c in schema]
    out = frame.drop(dropped) if dropped else frame
    exprs = []
    for c, edges in state["edges"].items():
        inner = edges[1:-1]
        x = pl.col(c).cast(pl.Float64)
        index = pl.sum_horizontal([(x >= e).cast(pl.Int32) for e in inner]) if inner else pl.lit(0, pl.Int32)
        is_missing = x.is_null() | x.is_nan()
        if state.get("labels"):
            names = bin_labels(edges)
            mapped = index.replace_strict(list(range(len(names))), names, return_dtype=pl.String)
            exprs.append(pl.when(is_missing).then(None).otherwise(mapped).alias(c))
        else:
            exprs.append(pl.when(is_missing).then(None).otherwise(index.cast(pl.Int32)).alias(c))
    return out.with_columns(exprs)


def bin_report(frame: pl.LazyFrame, state: Mapping[str, Any]) -> dict[str, Any]:
    """Rows per bin of each column in ``frame`` (and the edges), for the manifest."""
    binned = apply_bin(frame.select(list(state["edges"])), state)
    queries = [binned.group_by(c).agg(pl.len().alias("rows")).sort(c, nulls_last=True) for c in state["edges"]]
    tables = pl.collect_all(queries, engine="streaming") if queries else []
    counts = {c: {("missing" if k is None else str(k)): int(n) for k, n in t.iter_rows()} for c, t in zip(state["edges"], tables)}
    report: dict[str, Any] = {"edges": dict(state["edges"]), "rows_per_bin": counts}
    if state.get("dropped"):
        report["columns_dropped"] = dict(state["dropped"])
    return report


def bin(frame: pl.LazyFrame, **options: Any) -> pl.LazyFrame:  # noqa: A001 - the command's name
    """Fit bin edges on ``frame`` and bin it (options as :func:`fit_bin`).

    Example
    -------
    >>> bin(pl.LazyFrame({"x": [1.0, 2.0, 3.0, 4.0]}), bins=2).collect()["x"].to_list()
    [0, 0, 1, 1]
    """
    return apply_bin(frame, fit_bin(frame, **options))


def _transform():
    from mlprep.fitting import Transform

    keys = ("cols", "bins", "strategy", "edges", "labels", "drop_all_null")
    return Transform(
        "bin",
        lambda frame, params: fit_bin(frame, **{k: params[k] for k in keys if k in params}),
        lambda frame, state, params: apply_bin(frame, state),
        libraries=("scikit-learn", "numpy"),
        report=lambda frame, state, params: bin_report(frame, state),
    )


TRANSFORM = _transform()
