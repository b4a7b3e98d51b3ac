"""Scaling of numeric columns: fit on the training split, apply the same numbers everywhere.

Every method reproduces the scikit-learn estimator of the same name (fitted numbers to 1e-9
relative): ``standard`` (StandardScaler, population std, a constant column scales by 1),
``minmax`` (MinMaxScaler), ``robust`` (RobustScaler, median and 25–75% interquartile range),
``maxabs`` (MaxAbsScaler), ``yeo-johnson`` (PowerTransformer, standardize=True),
``quantile`` (QuantileTransformer, 1000 quantiles, uniform or normal output) and ``log``
(``log1p``, nothing fitted). Outputs are Float64; null and NaN are ignored when fitting and
stay missing in the output; ±inf is an error unless ``inf_as_missing`` (then it becomes null).

Fitting minmax/maxabs/standard is one streaming pass of aggregates (standard: exact integer sums
of scaled deviations, so the mean and std do not depend on thread count, in a fixed-point window
guessed from the first rows; a column whose range leaves the window gets a second pass, see
``_columns.OnePassMoments``). The same pass counts what each output's report needs, so the
training input is not read again before writing; robust sorts each column for
its exact median and quartiles; yeo-johnson and quantile collect the one column they fit
(non-missing values only): the lambda is found by scipy's Brent optimisation exactly as
scikit-learn does it (we call ``PowerTransformer`` on that column), and quantiles are exact over
all train rows, where scikit-learn by default uses a random 10,000-row subsample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from mlprep.errors import InputError, UsageError
from mlprep.steps._columns import OnePassMoments, all_null_error, dtype_map, finite, numeric_columns, row_count, sort_batches, values

Method = Literal["standard", "minmax", "robust", "maxabs", "log", "yeo-johnson", "quantile"]
METHODS: tuple[str, ...] = ("standard", "minmax", "robust", "maxabs", "log", "yeo-johnson", "quantile")
QuantileOutput = Literal["uniform", "normal"]
EPS = float(np.finfo(np.float64).eps)
BOUNDS_THRESHOLD = 1e-7  # scikit-learn's QuantileTransformer bound


def _nonzero(scale: float) -> float:
    """scikit-learn's ``_handle_zeros_in_scale``: a near-zero scale becomes 1."""
    return 1.0 if scale < 10 * EPS else scale


def fit_scale(
    frame: pl.LazyFrame,
    *,
    cols: Sequence[str] | None = None,
    method: Method = "standard",
    quantile_output: QuantileOutput = "uniform",
    n_quantiles: int = 1000,
    clip: bool = False,
    inf_as_missing: bool = False,
    drop_all_null: bool = False,
    where: str = "the input",
    report_row: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit the scaling statistics of ``method`` on the training frame; return JSON state.

    Parameters
    ----------
    frame : the training split, lazily scanned.
    cols : numeric columns (names or globs); default every numeric column.
    method : one of ``standard``, ``minmax``, ``robust``, ``maxabs``, ``log``, ``yeo-johnson``, ``quantile``.
    quantile_output : ``uniform`` or ``normal`` (quantile method).
    n_quantiles : number of quantiles (quantile method; at most the train row count).
    clip : clip minmax output to [0, 1] for values outside the train range (quantile output is
        always bounded, as scikit-learn's).
    inf_as_missing : treat ±inf as missing (ignored when fitting, null in the output).
    drop_all_null : drop a column with no value in train instead of failing.
    where : how messages name the training input.
    report_row : when given, receives the aggregates of :func:`scale_report` on ``frame`` that
        fitting computed in its own pass (so the training input needs no report pass).

    Example
    -------
    >>> fit_scale(pl.LazyFrame({"x": [1, 2, 3]}))["stats"]["x"]
    {'mean': 2.0, 'scale': 0.816496580927726}
    """
    if method not in METHODS:
        raise UsageError(f"--method {method!r} is not one of {', '.join(METHODS)}")
    if quantile_output not in ("uniform", "normal"):
        raise UsageError(f"--quantile-output {quantile_output!r} is not uniform or normal")
    if n_quantiles < 2:
        raise UsageError(f"--n-quantiles {n_quantiles} must be at least 2")
    schema = frame.collect_schema()
    cols = numeric_columns(schema, cols, where=where, purpose=f"scaling ({method})")
    if not cols:
        raise UsageError(f"{where} has no numeric column to scale; name them with --cols")
    one_pass = (
        OnePassMoments(frame, {c: values(c, schema[c], inf_as_missing=inf_as_missing) for c in cols}) if method == "standard" else None
    )
    # robust sorts every column for its quartiles: in this pass if they fit in memory together
    sorted_batches = sort_batches(cols, row_count(frame)) if method == "robust" else []
    in_pass = len(sorted_batches) <= 1
    checks = frame.select(
        pl.len().alias("__rows"),
        *[values(c, schema[c], inf_as_missing=inf_as_missing).count().alias(f"n:{c}") for c in cols],
        *_report_exprs(schema, cols, method),  # ±inf counts for the check below, and the report's aggregates
        *(_aggregates(method, cols, schema, inf_as_missing) if in_pass else []),
        *(one_pass.exprs() if one_pass is not None else []),
    ).collect(engine="streaming").row(0, named=True)
    for batch in [] if in_pass else sorted_batches:  # a few columns at a time
        checks.update(frame.select(_aggregates(method, batch, schema, inf_as_missing)).collect(engine="streaming").row(0, named=True))
    if report_row is not None:
        report_row.update({k: v for k, v in checks.items() if k.startswith(("missing:", "inf:", "low:"))})
    rows = checks["__rows"]
    if not inf_as_missing:
        _refuse_inf(checks, cols, where)
    dropped: dict[str, str] = {}
    for c in cols:
        if checks[f"n:{c}"] == 0 and method != "log":
            if not drop_all_null:
                raise all_null_error(c, where)
            dropped[c] = "no value in train (--drop-all-null)"
    cols = [c for c in cols if c not in dropped]
    if method == "standard":  # exact, thread-independent mean and variance (in the same pass when the window guess holds)
        assert one_pass is not None
        for c in cols:
            finite(checks[f"min:{c}"], column=c, what="minimum", where=where)
            finite(checks[f"max:{c}"], column=c, what="maximum", where=where)
        moments = one_pass.result(checks, {c: (checks[f"min:{c}"], checks[f"max:{c}"]) for c in cols})
    stats: dict[str, dict[str, float]] = {}
    for c in cols:
        n = checks[f"n:{c}"]
        if method == "standard":
            mean, var = moments[c]
            bound = n * mean * EPS  # squared by multiplying: inf near the float limit, where ** would raise
            constant = var <= n * EPS * var + bound * bound
            stats[c] = {"mean": finite(mean, column=c, what="mean", where=where), "scale": 1.0 if constant else float(np.sqrt(var))}
        elif method == "minmax":
            lo = finite(checks[f"min:{c}"], column=c, what="minimum", where=where)
            hi = finite(checks[f"max:{c}"], column=c, what="maximum", where=where)
            scale = 1.0 / _nonzero(hi - lo)
            stats[c] = {"data_min": lo, "data_max": hi, "scale": scale, "min": 0.0 - lo * scale}
        elif method == "robust":
            q25, q75 = checks[f"q25:{c}"], checks[f"q75:{c}"]
            stats[c] = {"center": finite(checks[f"median:{c}"], column=c, what="median", where=where), "scale": _nonzero(q75 - q25)}
        elif method == "maxabs":
            stats[c] = {"scale": _nonzero(finite(checks[f"maxabs:{c}"], column=c, what="maximum absolute value", where=where))}
        elif method == "log":
            low = checks[f"min:{c}"]
            if low is not None and low <= -1:
                raise InputError(f"column {c!r} of {where} has values <= -1 (minimum {low}); log1p is undefined there, use yeo-johnson instead")
            stats[c] = {}
        elif method == "yeo-johnson":
            stats[c] = _fit_yeo_johnson(_column(frame, c, schema, inf_as_missing))
        else:
            stats[c] = {"quantiles": _fit_quantiles(_column(frame, c, schema, inf_as_missing), rows, n_quantiles)}
    state: dict[str, Any] = {
        "columns": dtype_map(schema, cols),
        "method": method,
        "stats": stats,
        "clip": bool(clip),
        "inf_as_missing": bool(inf_as_missing),
        "dropped": dropped,
    }
    if method == "quantile":
        state["quantile_output"] = quantile_output
    return state


def _aggregates(method: str, cols: Sequence[str], schema: pl.Schema, inf_as_missing: bool) -> list[pl.Expr]:
    out = []
    for c in cols:
        v = values(c, schema[c], inf_as_missing=inf_as_missing)
        if method in ("standard", "minmax", "log"):
            out += [v.min().alias(f"min:{c}"), v.max().alias(f"max:{c}")]
        elif method == "robust":
            out += [
                v.median().alias(f"median:{c}"),
                v.quantile(0.25, interpolation="linear").alias(f"q25:{c}"),
                v.quantile(0.75, interpolation="linear").alias(f"q75:{c}"),
            ]
        elif method == "maxabs":
            out.append(v.abs().max().alias(f"maxabs:{c}"))
    return out


def _refuse_inf(checks: Mapping[str, Any], cols: Sequence[str], where: str) -> None:
    for c in cols:
        count = checks.get(f"inf:{c}") or 0
        if count:
            raise InputError(f"column {c!r} of {where} has {count} ±inf value(s); clean them or pass --inf-as-missing to treat them as missing")


def _column(frame: pl.LazyFrame, name: str, schema: pl.Schema, inf_as_missing: bool) -> np.ndarray:
    """The non-missing values of one column, collected (the methods that need the whole column)."""
    expr = values(name, schema[name], inf_as_missing=inf_as_missing).alias(name)
    return frame.select(expr).drop_nulls().collect(engine="streaming")[name].to_numpy()


def _fit_yeo_johnson(x: np.ndarray) -> dict[str, float]:
    import warnings

    from sklearn.preprocessing import PowerTransformer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fitted = PowerTransformer(method="yeo-johnson", standardize=True).fit(x.reshape(-1, 1))
    return {
        "lambda": float(fitted.lambdas_[0]),
        "mean": float(fitted._scaler.mean_[0]),
        "scale": float(fitted._scaler.scale_[0]),
    }


def _fit_quantiles(x: np.ndarray, rows: int, n_quantiles: int) -> list[float]:
    n = max(1, min(n_quantiles, rows))
    references = np.linspace(0, 1, n, endpoint=True) * 100
    return [float(q) for q in np.nanpercentile(x, references)]


def apply_scale(frame: pl.LazyFrame, state: Mapping[str, Any]) -> pl.LazyFrame:
    """Scale ``frame`` with fitted ``state``: a streaming map, one Float64 expression per column.

    Example
    -------
    >>> state = fit_scale(pl.LazyFrame({"x": [0.0, 10.0]}), method="minmax")
    >>> apply_scale(pl.LazyFrame({"x": [5.0, 20.0]}), state).collect()["x"].to_list()
    [0.5, 2.0]
    """
    if state.get("impute") is not None:  # fitted by fit_impute_and_scale: fill first, then scale
        from mlprep.steps.impute import apply_impute

        frame = apply_impute(frame, state["impute"])
    schema = frame.collect_schema()
    method = state["method"]
    inf_as_missing = bool(state.get("inf_as_missing"))
    dropped = [c for c in (state.get("dropped") or {}) if c in schema]
    out = frame.drop(dropped) if dropped else frame
    exprs = []
    for c, s in state["stats"].items():
        x = pl.col(c).cast(pl.Float64)
        if inf_as_missing and schema[c].is_float():
            x = pl.when(x.is_infinite()).then(None).otherwise(x)
        if method in ("standard", "robust"):
            y = (x - s["mean" if method == "standard" else "center"]) / s["scale"]
        elif method == "minmax":
            y = x * s["scale"] + s["min"]
            if state.get("clip"):
                y = y.clip(0.0, 1.0)
        elif method == "maxabs":
            y = x / s["scale"]
        elif method == "log":
            y = x.log1p()
        elif method == "yeo-johnson":
            lmbda, mean, scale = s["lambda"], s["mean"], s["scale"]
            y = x.map_batches(lambda b, lmbda=lmbda, mean=mean, scale=scale: _yeo_johnson(b, lmbda, mean, scale), return_dtype=pl.Float64, is_elementwise=True)
        else:
            quantiles, output = s["quantiles"], state.get("quantile_output", "uniform")
            y = x.map_batches(lambda b, q=quantiles, o=output: _quantile(b, q, o), return_dtype=pl.Float64, is_elementwise=True)
        exprs.append(y.alias(c))
    return out.with_columns(exprs)


def _numpy(batch: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    nulls = batch.is_null().to_numpy()
    return batch.fill_null(float("nan")).to_numpy().astype(np.float64, copy=True), nulls


def _yeo_johnson(batch: pl.Series, lmbda: float, mean: float, scale: float) -> pl.Series:
    """scipy's Yeo-Johnson transform then standardisation, as PowerTransformer.transform does."""
    from scipy import stats

    x, nulls = _numpy(batch)
    with np.errstate(invalid="ignore"):
        y = stats.yeojohnson(x, lmbda)
    y = (y - mean) / scale
    return pl.Series(batch.name, y, dtype=pl.Float64).scatter(np.flatnonzero(nulls), None) if nulls.any() else pl.Series(batch.name, y, dtype=pl.Float64)


def _quantile(batch: pl.Series, quantiles: Sequence[float], output: str) -> pl.Series:
    """QuantileTransformer's ``_transform_col`` (forward), on one batch of one column."""
    x, nulls = _numpy(batch)
    q = np.asarray(quantiles, dtype=np.float64)
    references = np.linspace(0, 1, len(q), endpoint=True)
    with np.errstate(invalid="ignore"):
        if output == "normal":
            lower = x - BOUNDS_THRESHOLD < q[0]
            upper = x + BOUNDS_THRESHOLD > q[-1]
        else:
            lower = x == q[0]
            upper = x == q[-1]
    finite_mask = ~np.isnan(x)
    xf = x[finite_mask]
    x[finite_mask] = 0.5 * (np.interp(xf, q, references) - np.interp(-xf, -q[::-1], -references[::-1]))
    x[upper] = 1
    x[lower] = 0
    if output == "normal":
        from scipy import stats

        with np.errstate(invalid="ignore"):
            x = stats.norm.ppf(x)
            x = np.clip(x, stats.norm.ppf(BOUNDS_THRESHOLD - np.spacing(1)), stats.norm.ppf(1 - (BOUNDS_THRESHOLD - np.spacing(1))))
    out = pl.Series(batch.name, x, dtype=pl.Float64)
    return out.scatter(np.flatnonzero(nulls), None) if nulls.any() else out


def _report_exprs(schema: pl.Schema, cols: Sequence[str], method: str) -> list[pl.Expr]:
    """The aggregates of :func:`scale_report` (missing, ±inf and log-domain counts per column)."""
    exprs = [values(c, schema[c]).null_count().alias(f"missing:{c}") for c in cols]
    exprs += [pl.col(c).is_infinite().sum().alias(f"inf:{c}") for c in cols if schema[c].is_float()]
    if method == "log":
        exprs += [(values(c, schema[c], inf_as_missing=True) <= -1).sum().alias(f"low:{c}") for c in cols]
    return exprs


def scale_report(frame: pl.LazyFrame, state: Mapping[str, Any], *, where: str = "the input") -> dict[str, Any]:
    """Check an input before scaling it (±inf, log1p domain) and count its missing values."""
    query, finish = scale_report_query(frame, state, where=where)
    return finish(query.collect(engine="streaming").row(0, named=True) if query is not None else {})


def scale_report_query(frame: pl.LazyFrame, state: Mapping[str, Any], known: Mapping[str, Any] | None = None, *, where: str = "the input"):
    """:func:`scale_report` as (one-row aggregate query or None, finish(row) -> report).

    ``known`` holds aggregates already computed on ``frame`` (by the fit pass); only the others
    are queried, so the caller can run several inputs' queries in one ``collect_all``.
    """
    if state.get("impute") is not None:
        return _impute_and_scale_report_query(frame, state, known, where=where)
    exprs, finish = _scale_report_parts(frame.collect_schema(), state, known, where=where)
    return (frame.select(exprs) if exprs else None), finish


def _scale_report_parts(schema: pl.Schema, state: Mapping[str, Any], known: Mapping[str, Any] | None, *, where: str):
    """The aggregates of :func:`scale_report_query` (less those ``known``) and its ``finish``."""
    cols = list(state["stats"])
    known = known or {}
    exprs = [e for e in _report_exprs(schema, cols, state["method"]) if e.meta.output_name() not in known]

    def finish(row: Mapping[str, Any]) -> dict[str, Any]:
        counts = {**known, **row}
        if not state.get("inf_as_missing"):
            _refuse_inf(counts, cols, where)
        for c in cols:
            if counts.get(f"low:{c}"):
                raise InputError(f"column {c!r} of {where} has {counts[f'low:{c}']} value(s) <= -1, where log1p is undefined; use yeo-johnson instead")
        report: dict[str, Any] = {"method": state["method"], "missing": {c: int(counts[f"missing:{c}"]) for c in cols}}
        if state.get("dropped"):
            report["columns_dropped"] = dict(state["dropped"])
        return report

    return exprs, finish


def _impute_and_scale_report_query(frame: pl.LazyFrame, state: Mapping[str, Any], known: Mapping[str, Any] | None, *, where: str):
    """The report of a fused impute + scale: what imputing filled, then the scale checks on the filled frame.

    One pass over the input: the raw values of the filled columns ride along under private
    names, so impute's missing counts and scale's checks on the filled values are aggregates of
    one frame. With ``drop_rows`` the scale checks see fewer rows than impute's counts, so the
    two are separate queries, side by side.
    """
    from mlprep.steps.impute import apply_impute, impute_report_parts, impute_report_query

    known = known or {}
    imputation = state["impute"]
    scaling = {k: v for k, v in state.items() if k != "impute"}
    # distinct prefixes keep the two reports' aggregates apart in one row
    if imputation.get("drop_rows") is None:
        raw = {c: f"\0raw:{c}" for c in imputation["fill"]}
        filled = apply_impute(frame.with_columns(pl.col(c).alias(name) for c, name in raw.items()), imputation)
        impute_exprs, impute_finish = impute_report_parts(frame.collect_schema(), imputation, known.get("impute"), source=raw.__getitem__)
        scale_exprs, scale_finish = _scale_report_parts(filled.collect_schema(), scaling, known.get("scale"), where=where)
        exprs = [e.name.prefix("i\0") for e in impute_exprs] + [e.name.prefix("s\0") for e in scale_exprs]
        query = filled.select(exprs) if exprs else None
    else:
        impute_query, impute_finish = impute_report_query(frame, imputation, known.get("impute"))
        scale_query, scale_finish = scale_report_query(apply_impute(frame, imputation), scaling, known.get("scale"), where=where)
        queries = [q.select(pl.all().name.prefix(prefix)) for q, prefix in ((impute_query, "i\0"), (scale_query, "s\0")) if q is not None]
        query = pl.concat(queries, how="horizontal") if queries else None

    def finish(row: Mapping[str, Any]) -> dict[str, Any]:
        return {**scale_finish(_unprefixed(row, "s\0")), "impute": impute_finish(_unprefixed(row, "i\0"))}

    return query, finish


def _unprefixed(row: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix) :]: v for k, v in row.items() if k.startswith(prefix)}


def fit_impute_and_scale(
    frame: pl.LazyFrame,
    *,
    impute: str,
    fill_value: str | None = None,
    cols: Sequence[str] | None = None,
    drop_all_null: bool = False,
    where: str = "the input",
    report_row: dict[str, Any] | None = None,
    **scale_options: Any,
) -> dict[str, Any]:
    """Fit an imputation, then the scaling on the imputed training frame: one state for both.

    The same as scikit-learn's ``make_pipeline(SimpleImputer(strategy=impute), scaler)``: the
    scaling statistics are those of the filled column. :func:`apply_scale` fills and scales in
    one streaming map, so every file is written once instead of twice (``impute`` then
    ``scale``). ``impute`` is a :func:`mlprep.steps.impute.fit_impute` strategy (``mean``,
    ``median``, ``most-frequent``, ``constant`` with ``fill_value``); other options as
    :func:`fit_scale`. ``report_row`` receives both fits' report aggregates.

    Example
    -------
    >>> state = fit_impute_and_scale(pl.LazyFrame({"x": [1.0, None, 3.0]}), impute="mean")
    >>> apply_scale(pl.LazyFrame({"x": [None, 3.0]}), state).collect()["x"].to_list()
    [0.0, 1.224744871391589]
    """
    from mlprep.steps.impute import STRATEGIES, apply_impute, fit_impute

    if impute not in STRATEGIES:
        raise UsageError(f"--impute {impute!r} is not one of {', '.join(STRATEGIES)}")
    method = scale_options.get("method", "standard")
    chosen = numeric_columns(frame.collect_schema(), cols, where=where, purpose=f"scaling ({method})")
    impute_row: dict[str, Any] = {}
    imputation = fit_impute(
        frame, cols=chosen, strategy=impute, fill_value=fill_value, drop_all_null=drop_all_null, where=where, report_row=impute_row  # type: ignore[arg-type]
    )
    scale_row: dict[str, Any] = {}
    kept = list(imputation["fill"])
    state = fit_scale(apply_impute(frame, imputation), cols=kept, drop_all_null=drop_all_null, where=where, report_row=scale_row, **scale_options)
    if report_row is not None:
        report_row.update({"impute": impute_row, "scale": scale_row})
    # check later inputs against the columns as they arrive (before imputing casts them to Float64)
    return {**state, "columns": imputation["columns"], "dropped": {**imputation["dropped"], **state["dropped"]}, "impute": imputation}


def scale(frame: pl.LazyFrame, **options: Any) -> pl.LazyFrame:
    """Fit on ``frame`` and scale it (options as :func:`fit_scale`).

    Example
    -------
    >>> scale(pl.LazyFrame({"x": [1.0, 3.0]})).collect()["x"].to_list()
    [-1.0, 1.0]
    """
    return apply_scale(frame, fit_scale(frame, **options))


_FIT_KEYS = ("cols", "method", "quantile_output", "n_quantiles", "clip", "inf_as_missing", "drop_all_null")


def _fit(frame: pl.LazyFrame, params: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    options = {k: params[k] for k in _FIT_KEYS if k in params}
    where = params.get("where", "the training input")
    if params.get("fill_value") is not None and params.get("impute") != "constant":
        raise UsageError("--fill-value only applies with --impute constant")
    if params.get("impute"):
        state = fit_impute_and_scale(frame, impute=params["impute"], fill_value=params.get("fill_value"), where=where, report_row=row, **options)
    else:
        state = fit_scale(frame, where=where, report_row=row, **options)
    return {**state, "_report_row": row}  # fit_and_apply pops it: the training input's report aggregates


def _transform():
    from mlprep.fitting import Transform

    return Transform(
        "scale",
        _fit,
        lambda frame, state, params: apply_scale(frame, state),
        libraries=("scikit-learn", "scipy", "numpy"),
        report=lambda frame, state, params: scale_report(frame, state),
        report_query=lambda frame, state, params, known: scale_report_query(frame, state, known),
    )


TRANSFORM = _transform()
