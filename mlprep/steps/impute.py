"""Imputation of missing values: fit fill values on the training split, apply them everywhere.

Missing means null, and float NaN too unless ``nan_missing=False``. Numeric columns that are
imputed come out as Float64 (as scikit-learn's ``SimpleImputer`` returns floats); string and
boolean columns keep their dtype. The fitted state is plain JSON: ``{column: fill value}``.

Fitting is one streaming pass of aggregates over the imputed columns: missing counts (also the
training output's report), exact medians, and for the mean min/max with exact integer sums of
scaled values, so the mean does not depend on the thread count (see
``_columns.OnePassMoments``). With ``drop_rows`` the medians and means take a second pass over
the kept rows; the most frequent value is a ``group_by`` count per column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import polars as pl

from mlprep.errors import InputError, UsageError
from mlprep.parsing import select_columns
from mlprep.steps._columns import (
    OnePassMoments,
    all_null_error,
    check_fraction,
    dtype_map,
    exact_moments,
    finite,
    is_numeric,
    missing,
    row_count,
    sort_batches,
)

Strategy = Literal["mean", "median", "most-frequent", "constant"]
STRATEGIES: tuple[str, ...] = ("mean", "median", "most-frequent", "constant")
INDICATOR_SUFFIX = "__missing"
DEFAULT_TEXT_FILL = "missing_value"  # scikit-learn's default fill_value for strings


def _fillable(dtype: pl.DataType) -> bool:
    return is_numeric(dtype) or dtype in (pl.String, pl.Boolean)


def impute_plan(
    schema: pl.Schema,
    *,
    cols: Sequence[str] | None = None,
    strategy: Strategy = "mean",
    strategy_for: Mapping[str, str] | None = None,
    where: str = "the input",
) -> dict[str, str]:
    """Which column gets which strategy: ``{column: strategy}``, in input order.

    ``cols`` defaults to every numeric column for mean/median and every numeric, string or
    boolean column for most-frequent/constant; ``strategy_for`` overrides (and adds) columns.

    Example
    -------
    >>> impute_plan(pl.Schema({"a": pl.Float64, "s": pl.String}), strategy_for={"s": "most-frequent"})
    {'a': 'mean', 's': 'most-frequent'}
    """
    names = schema.names()
    for name in [strategy, *(strategy_for or {}).values()]:
        if name not in STRATEGIES:
            raise UsageError(f"strategy {name!r} is not one of {', '.join(STRATEGIES)}")
    if cols:
        chosen = select_columns(cols, names, where=where)
    elif strategy in ("mean", "median"):
        chosen = [c for c in names if is_numeric(schema[c])]
    else:
        chosen = [c for c in names if _fillable(schema[c])]
    overrides = dict(strategy_for or {})
    for name in overrides:
        if name not in names:
            select_columns([name], names, where=where, option="--strategy-for")
    plan = {c: overrides.get(c, strategy) for c in names if c in chosen or c in overrides}
    for name, how in plan.items():
        dtype = schema[name]
        if how in ("mean", "median") and not is_numeric(dtype):
            raise InputError(f"column {name!r} of {where} is {dtype}, not numeric; the {how} needs numbers (use --strategy-for {name}=most-frequent or constant)")
        if not _fillable(dtype):
            raise InputError(f"column {name!r} of {where} is {dtype}; impute fills numeric, string and boolean columns only (drop it from --cols)")
    return plan


def _constant(value: str | None, dtype: pl.DataType, column: str) -> Any:
    if is_numeric(dtype):
        if value is None:
            return 0.0
        try:
            return float(value)
        except ValueError as exc:
            raise UsageError(f"--fill-value {value!r} is not a number, but column {column!r} is {dtype}; give a number or impute it separately") from exc
    if dtype == pl.Boolean:
        if value is None:
            return False
        if value.lower() not in ("true", "false", "1", "0"):
            raise UsageError(f"--fill-value {value!r} is not true/false, but column {column!r} is Boolean")
        return value.lower() in ("true", "1")
    return DEFAULT_TEXT_FILL if value is None else value


def _drop_rows_expr(row_cols: Sequence[str], schema: pl.Schema, threshold: float, nan_missing: bool) -> pl.Expr:
    """True for a row whose fraction of missing values among ``row_cols`` exceeds ``threshold``."""
    count = pl.sum_horizontal([missing(c, schema[c], nan_missing=nan_missing).cast(pl.UInt32) for c in row_cols])
    return (count.cast(pl.Float64) / len(row_cols)) > threshold


def fit_impute(
    frame: pl.LazyFrame,
    *,
    cols: Sequence[str] | None = None,
    strategy: Strategy = "mean",
    strategy_for: Mapping[str, str] | None = None,
    fill_value: str | None = None,
    indicator: bool = False,
    drop_rows: float | None = None,
    drop_cols: float | None = None,
    nan_missing: bool = True,
    drop_all_null: bool = False,
    where: str = "the input",
    report_row: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit fill values on the training frame; return the JSON state :func:`apply_impute` uses.

    Parameters
    ----------
    frame : the training split, lazily scanned.
    cols : columns (names or globs); default as in :func:`impute_plan`.
    strategy : ``mean``, ``median`` (exact: sorts the column), ``most-frequent`` (ties go to the
        smallest value, as scikit-learn's ``SimpleImputer``) or ``constant`` (``fill_value``;
        default 0 for numbers, ``"missing_value"`` for text, false for booleans).
    strategy_for : per-column strategies, ``{"f9": "median"}``.
    indicator : add a Boolean ``<col>__missing`` for every imputed column (whether or not train
        had missing values there, so every split gets the same columns).
    drop_rows : drop rows whose fraction of missing values among the imputed columns exceeds this.
    drop_cols : drop columns whose fraction of missing values in train exceeds this.
    nan_missing : treat float NaN as missing (default); otherwise only null is filled and NaN is
        kept (NaN never enters the mean, median or mode either way).
    drop_all_null : drop a column with no value in train instead of failing.
    where : how messages name the training input.
    report_row : when given, receives the aggregates of :func:`impute_report` on ``frame``
        that fitting computed anyway (so reporting on the training input needs no extra pass).

    Example
    -------
    >>> train = pl.LazyFrame({"x": [1.0, None, 3.0, float("nan")]})
    >>> fit_impute(train, strategy="median")["fill"]
    {'x': 2.0}
    """
    check_fraction(drop_rows, option="--drop-rows")
    check_fraction(drop_cols, option="--drop-cols")
    schema = frame.collect_schema()
    plan = impute_plan(schema, cols=cols, strategy=strategy, strategy_for=strategy_for, where=where)
    if not plan:
        raise UsageError(f"no column of {where} to impute; name them with --cols")
    if indicator:
        for name in plan:
            if name + INDICATOR_SUFFIX in schema:
                raise InputError(f"--indicator would add {name + INDICATOR_SUFFIX!r}, but {where} already has that column; rename it first")
    means = [c for c, how in plan.items() if how == "mean"]
    # without --drop-rows the medians come from the same single pass as the missing counts, unless
    # sorting them all at once would not fit in memory (then _fit_values sorts a few at a time)
    median_cols = [c for c, how in plan.items() if how == "median"]
    medians = median_cols if drop_rows is None and len(sort_batches(median_cols, row_count(frame))) <= 1 else []
    # ... and so do the means' exact sums, in a window guessed from the first rows
    one_pass = OnePassMoments(frame, {c: _present(c, schema, nan_missing) for c in means}, variance=False) if drop_rows is None and means else None
    rows = frame.select(
        pl.len().alias("\0rows"),
        *[missing(c, schema[c], nan_missing=nan_missing).sum().alias(c) for c in plan],
        *[_present(c, schema, nan_missing).min().alias(f"\0min:{c}") for c in means],
        *[_present(c, schema, nan_missing).max().alias(f"\0max:{c}") for c in means],
        *[_present(c, schema, nan_missing).median().alias(f"\0median:{c}") for c in medians],
        *(one_pass.exprs() if one_pass is not None else []),
    )
    counts = rows.collect(engine="streaming").row(0, named=True)
    total = counts.pop("\0rows")
    bounds = {c: (counts.pop(f"\0min:{c}"), counts.pop(f"\0max:{c}")) for c in means}
    known = {c: counts.pop(f"\0median:{c}") for c in medians}
    row, counts = counts, {c: counts[c] for c in plan}
    if report_row is not None:
        report_row.update(counts)  # the missing counts are impute_report's aggregates
    dropped: dict[str, str] = {}
    for name, n_missing in counts.items():
        fraction = n_missing / total if total else 1.0
        if drop_cols is not None and fraction > drop_cols:
            dropped[name] = f"{fraction:.4g} of values missing > {drop_cols:g}"
        elif n_missing == total and plan[name] != "constant":
            if not drop_all_null:
                raise all_null_error(name, where)
            dropped[name] = "no value in train (--drop-all-null)"
    plan = {c: s for c, s in plan.items() if c not in dropped}
    if one_pass is not None:
        kept = [c for c in means if c in plan and counts[c] < total]
        for c in kept:
            for value, what in zip(bounds[c], ("minimum", "maximum")):
                finite(value, column=c, what=what, where=where)
        known.update({c: mean for c, (mean, _) in one_pass.result(row, bounds, names=kept).items()})
    fit_frame = frame
    if drop_rows is not None and plan:
        fit_frame = frame.filter(~_drop_rows_expr(list(plan), schema, drop_rows, nan_missing))
    fill = _fit_values(fit_frame, plan, schema, bounds, known, rows=total, fill_value=fill_value, nan_missing=nan_missing, where=where)
    return {
        "columns": dtype_map(schema, plan),
        "strategies": plan,
        "fill": fill,
        "indicator": bool(indicator),
        "nan_missing": bool(nan_missing),
        "drop_rows": drop_rows,
        "dropped": dropped,
    }


def _present(c: str, schema: pl.Schema, nan_missing: bool) -> pl.Expr:
    """The values statistics are computed from: NaN never counts, even when kept (``nan_missing=False``)."""
    expr = pl.col(c).cast(pl.Float64)
    return expr.fill_nan(None) if schema[c].is_float() else expr


def _fit_values(
    frame: pl.LazyFrame,
    plan: Mapping[str, str],
    schema: pl.Schema,
    bounds: Mapping[str, tuple[Any, Any]],
    known: Mapping[str, Any],
    *,
    rows: int,
    fill_value: str | None,
    nan_missing: bool,
    where: str,
) -> dict[str, Any]:
    # rows: the training rows (before --drop-rows), an upper bound for sizing the median sorts
    queries = []
    modes = [c for c, how in plan.items() if how == "most-frequent"]
    for c in modes:
        queries.append(
            frame.select(c)
            .filter(~missing(c, schema[c], nan_missing=True))
            .group_by(c)
            .agg(pl.len().alias("__count"))
            .sort(["__count", c], descending=[True, False])
            .head(1)
        )
    results = pl.collect_all(queries, engine="streaming") if queries else []
    stats: dict[str, Any] = {c: v for c, v in known.items() if c in plan}
    for c, result in zip(modes, results):
        stats[c] = result[c][0] if result.height else None
    medians = [c for c, how in plan.items() if how == "median" and c not in known]
    for batch in sort_batches(medians, rows):  # one batch unless the columns' sort would not fit in memory
        stats.update(frame.select(_present(c, schema, nan_missing).median().alias(c) for c in batch).collect(engine="streaming").row(0, named=True))
    means = {}
    for c, how in plan.items():
        if how == "mean" and c not in known:
            lo, hi = bounds[c]
            for value, what in ((lo, "minimum"), (hi, "maximum")):
                finite(value, column=c, what=what, where=where)
            means[c] = (_present(c, schema, nan_missing), lo, hi)
    # exact integer sums: the mean does not depend on thread count or batch order
    stats.update({c: mean for c, (mean, _) in exact_moments(frame, means, variance=False).items()})
    fill: dict[str, Any] = {}
    for c, how in plan.items():
        dtype = schema[c]
        if how == "constant":
            fill[c] = _constant(fill_value, dtype, c)
            continue
        value = stats.get(c)
        if value is None:  # every kept row was missing after --drop-rows
            raise all_null_error(c, where)
        fill[c] = finite(value, column=c, what=how.replace("-", " ") + " value", where=where) if is_numeric(dtype) else value
    return fill


def apply_impute(frame: pl.LazyFrame, state: Mapping[str, Any]) -> pl.LazyFrame:
    """Fill missing values with the fitted ``state`` (a streaming map; rows are only dropped by ``drop_rows``).

    Example
    -------
    >>> state = fit_impute(pl.LazyFrame({"x": [1, None, 3]}), indicator=True)
    >>> apply_impute(pl.LazyFrame({"x": [None, 5]}), state).collect().rows()
    [(2.0, True), (5.0, False)]
    """
    schema = frame.collect_schema()
    nan_missing = bool(state.get("nan_missing", True))
    fill: dict[str, Any] = state["fill"]
    dropped = list(state.get("dropped") or {})
    out = frame.drop([c for c in dropped if c in schema]) if dropped else frame
    if state.get("drop_rows") is not None and fill:
        out = out.filter(~_drop_rows_expr(list(fill), schema, float(state["drop_rows"]), nan_missing))
    filled, flags = [], []
    for c, value in fill.items():
        dtype = schema[c]
        is_missing = missing(c, dtype, nan_missing=nan_missing)
        if is_numeric(dtype):
            filled.append(pl.when(is_missing).then(pl.lit(float(value), pl.Float64)).otherwise(pl.col(c).cast(pl.Float64)).alias(c))
        else:
            filled.append(pl.when(is_missing).then(pl.lit(value, dtype)).otherwise(pl.col(c)).alias(c))
        if state.get("indicator"):
            flags.append(is_missing.alias(c + INDICATOR_SUFFIX))
    return out.with_columns(*filled, *flags) if filled or flags else out


def impute_report(frame: pl.LazyFrame, state: Mapping[str, Any]) -> dict[str, Any]:
    """What imputing ``frame`` with ``state`` does: values filled per column, rows and columns dropped."""
    query, finish = impute_report_query(frame, state)
    return finish(query.collect(engine="streaming").row(0, named=True) if query is not None else {})


def impute_report_query(frame: pl.LazyFrame, state: Mapping[str, Any], known: Mapping[str, Any] | None = None):
    """:func:`impute_report` as (one-row aggregate query or None, finish(row) -> report).

    ``known`` holds aggregates already computed on ``frame`` (by the fit pass); only the others
    are queried, so the caller can run several inputs' queries in one ``collect_all``.
    """
    exprs, finish = impute_report_parts(frame.collect_schema(), state, known)
    return (frame.select(exprs) if exprs else None), finish


def impute_report_parts(
    schema: pl.Schema, state: Mapping[str, Any], known: Mapping[str, Any] | None = None, *, source: Callable[[str], str] = str
) -> tuple[list[pl.Expr], Callable[[Mapping[str, Any]], dict[str, Any]]]:
    """The aggregates of :func:`impute_report_query` and its ``finish``.

    ``source(column)`` names the column holding the raw values (default: the column itself), so
    a caller can count missing values on a frame where the columns are already filled and the
    raw values kept under other names (not with ``drop_rows``, whose count reads the columns).
    """
    if source is not str and state.get("drop_rows") is not None:
        raise ValueError("impute_report_parts: source= cannot be combined with drop_rows")
    nan_missing = bool(state.get("nan_missing", True))
    fill = state["fill"]
    known = known or {}
    exprs = [missing(source(c), schema[c], nan_missing=nan_missing).sum().alias(c) for c in fill if c not in known]
    if state.get("drop_rows") is not None and fill:
        exprs.append(_drop_rows_expr(list(fill), schema, float(state["drop_rows"]), nan_missing).sum().alias("\0dropped"))

    def finish(row: Mapping[str, Any]) -> dict[str, Any]:
        counts = {**known, **row}
        report: dict[str, Any] = {"missing": {c: int(counts[c]) for c in fill}, "fill": dict(fill)}
        if state.get("drop_rows") is not None:
            report["rows_dropped"] = int(counts.get("\0dropped", 0) or 0)
        if state.get("dropped"):
            report["columns_dropped"] = dict(state["dropped"])
        return report

    return exprs, finish


def impute(frame: pl.LazyFrame, **options: Any) -> pl.LazyFrame:
    """Fit on ``frame`` and impute it (fit and apply in one call; options as :func:`fit_impute`).

    Example
    -------
    >>> impute(pl.LazyFrame({"x": [1.0, None]}), strategy="constant", fill_value="0").collect()["x"].to_list()
    [1.0, 0.0]
    """
    return apply_impute(frame, fit_impute(frame, **options))


def _fit(frame: pl.LazyFrame, params: dict[str, Any]) -> dict[str, Any]:
    keys = ("cols", "strategy", "strategy_for", "fill_value", "indicator", "drop_rows", "drop_cols", "nan_missing", "drop_all_null")
    row: dict[str, Any] = {}
    state = fit_impute(frame, where=params.get("where", "the training input"), report_row=row, **{k: params[k] for k in keys if k in params})
    return {**state, "_report_row": row}  # fit_and_apply pops it: the training input's report aggregates


def _apply(frame: pl.LazyFrame, state: dict[str, Any], params: dict[str, Any]) -> pl.LazyFrame:
    return apply_impute(frame, state)


def _report(frame: pl.LazyFrame, state: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    return impute_report(frame, state)


def _transform():
    from mlprep.fitting import Transform

    return Transform("impute", _fit, _apply, report=_report, report_query=lambda frame, state, params, known: impute_report_query(frame, state, known))


TRANSFORM = _transform()
