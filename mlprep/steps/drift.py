"""``check drift``: how far a CURRENT dataset has moved from a REFERENCE one, column by column.

Numeric columns get the population stability index (PSI) on reference-quantile bins, the
two-sample Kolmogorov–Smirnov statistic and p-value, the Wasserstein-1 distance (raw and normed)
and the change in missing rate; categorical columns get PSI over categories (unseen and vanished
ones listed) and a chi-square test of the 2×K contingency table. A column is graded ``ok``,
``warn`` or ``alert`` from effect sizes only (PSI, KS statistic, normed Wasserstein, change in
missing rate) and only when the matching test is significant: a p-value alone never raises an
alert, because on large data every tiny difference is significant.

Definitions (all documented so a user can recompute them):

- **Missing**: null, and float NaN, both count as missing. Every distribution metric is computed
  on the non-missing values; the missing rate is reported and graded on its own.
- **Numeric PSI**: cut points are the reference quantiles at 1/k, …, (k-1)/k (k = ``bins``,
  linear interpolation as ``numpy.quantile``'s default), duplicates removed; bins are
  right-closed, ``(-inf, q1], (q1, q2], …, (q_{k-1}, +inf)``. With reference shares ``r_i`` and
  current shares ``c_i`` of the non-missing values, each share below ``EPSILON`` (1e-4; an empty
  bin) is raised to ``EPSILON`` without renormalising, and
  ``PSI = sum_i (c_i - r_i) * ln(c_i / r_i)``. It is symmetric in ``r`` and ``c`` for fixed bins,
  but the bins come from REFERENCE, so swapping the inputs changes the bins.
- **KS**: as ``scipy.stats.ks_2samp(reference, current)`` (two-sided, ``method="auto"``) on the
  non-missing values. The statistic is computed exactly from one polars sort of both samples (see
  :func:`ks_wasserstein`); the p-value comes from scipy. Symmetric.
- **Wasserstein**: as ``scipy.stats.wasserstein_distance(reference, current)``, from the same
  sort. Symmetric. The normed
  distance divides it by ``sqrt((var_ref + var_cur) / 2)`` (population variances), so it is
  symmetric too and unit-free (Evidently divides by the reference standard deviation instead).
- **Categorical PSI and chi-square**: categories are ranked by their combined count in both inputs
  (ties by value); the first ``max_categories`` are kept and the rest pooled into one ``(other)``
  bucket, so a high-cardinality column is not graded on sampling noise. PSI uses the same epsilon.
  The chi-square test is ``scipy.stats.chi2_contingency`` on the 2×K table of counts (scipy's
  default Yates correction applies when K = 2). Both are symmetric.
- **Missing rate**: ``change = missing_current - missing_reference``; its test is
  ``chi2_contingency`` on the 2×2 table (missing, present) × (reference, current).
- **Label shift** (``target``): the target column graded like any column (categorical when it is
  text, boolean, categorical or integer; numeric when it is a float).

Windows: with ``time_col`` and ``window``, CURRENT rows are grouped into windows of that length
starting at CURRENT's earliest time (``floor((t - t_min) / window)``); every window is compared
with the whole REFERENCE, so a user sees when the shift began. Rows with a null time are in the
overall comparison but in no window.

Memory: one column at a time is collected (numeric columns in full, since KS and Wasserstein need
the sorted values; categorical columns only as counts from a streaming group-by).
"""

from __future__ import annotations

import datetime as dt
import warnings
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import polars as pl

from mlprep.errors import InputError, UsageError, missing_column
from mlprep.parsing import select_columns

Severity = Literal["ok", "warn", "alert"]
ColumnKind = Literal["numeric", "categorical"]

#: Share given to an empty bin or category in PSI (so ln(c/r) stays finite).
EPSILON = 1e-4
DEFAULT_BINS = 10
DEFAULT_MAX_CATEGORIES = 20
#: Name of the bucket that pools categories beyond ``max_categories``.
OTHER = "(other)"
#: How many unseen / vanished categories are listed by name (all are counted).
LISTED_CATEGORIES = 20
PLOT_BINS = 30
_RANK = {"ok": 0, "warn": 1, "alert": 2}
_W = "__mlprep_window"


@dataclass(frozen=True)
class Thresholds:
    """Effect-size thresholds (``warn`` at or above the first, ``alert`` at or above the second).

    ``p_value`` is the significance level: an effect size counts only when its test's p-value is
    below it. Defaults: PSI 0.1 / 0.25 (the industry convention); KS statistic 0.1 / 0.2 and
    normed Wasserstein 0.3 / 0.5, chosen so that, like PSI 0.25, each alerts at about a
    half-standard-deviation shift of a normal variable's mean (PSI ≈ d², KS ≈ 0.4·d and normed
    Wasserstein = d for a shift of d standard deviations); absolute change in missing rate
    0.05 / 0.1.
    """

    psi_warn: float = 0.1
    psi_alert: float = 0.25
    ks_warn: float = 0.1
    ks_alert: float = 0.2
    wasserstein_warn: float = 0.3
    wasserstein_alert: float = 0.5
    missing_warn: float = 0.05
    missing_alert: float = 0.1
    p_value: float = 0.05

    def validate(self) -> None:
        """Raise :class:`UsageError` for a threshold pair out of order or a p-value out of (0, 1]."""
        for name in ("psi", "ks", "wasserstein", "missing"):
            warn, alert = getattr(self, f"{name}_warn"), getattr(self, f"{name}_alert")
            if not (0 <= warn <= alert) or not math.isfinite(alert):
                raise UsageError(
                    f"--{name}-warn {warn:g} and --{name}-alert {alert:g} must satisfy 0 <= warn <= alert; "
                    f"e.g. --{name}-warn {Thresholds.__dataclass_fields__[name + '_warn'].default} "
                    f"--{name}-alert {Thresholds.__dataclass_fields__[name + '_alert'].default}"
                )
        if not (0 < self.p_value <= 1):
            raise UsageError(f"--p-value {self.p_value:g} must be in (0, 1], e.g. 0.05")


def column_kind(dtype: pl.DataType, *, target: bool = False) -> ColumnKind | None:
    """How a column is compared: numeric, categorical, or None (skipped: temporal, nested, null)."""
    if dtype in (pl.String, pl.Boolean) or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return "categorical"
    if dtype.is_integer() and target:
        return "categorical"
    if dtype.is_numeric():
        return "numeric"
    return None


def plan_columns(
    reference_schema: pl.Schema,
    current_schema: pl.Schema,
    *,
    cols: Sequence[str] | None = None,
    target: str | None = None,
    time_col: str | None = None,
    window: dt.timedelta | None = None,
    reference_name: str = "REFERENCE",
    current_name: str = "CURRENT",
) -> tuple[list[tuple[str, ColumnKind]], list[dict[str, str]]]:
    """Check the inputs fit together and choose the columns to compare.

    Returns ``[(column, kind), …]`` (target last) and the skipped columns with the reason.
    Raises :class:`UsageError` / :class:`InputError` with one-line messages for a ``window``
    without ``time_col``, a column absent from one input, or kinds that differ between inputs.

    Example
    -------
    >>> plan_columns(pl.Schema({"a": pl.Float64}), pl.Schema({"a": pl.Int64}))
    ([('a', 'numeric')], [])
    """
    if window is not None and time_col is None:
        raise UsageError("--window needs --time-col: name the CURRENT column whose time defines the windows, e.g. --time-col event_time --window 7d")
    if window is not None and window <= dt.timedelta(0):
        raise UsageError(f"--window must be a positive duration, got {window}; e.g. --window 7d")
    ref_names, cur_names = reference_schema.names(), current_schema.names()
    ref_where, cur_where = f"REFERENCE {reference_name!r}", f"CURRENT {current_name!r}"
    if time_col is not None:
        if time_col not in cur_names:
            raise missing_column(time_col, cur_names, where=cur_where, option="--time-col")
        if window is not None and not current_schema[time_col].is_temporal():
            raise InputError(
                f"--time-col {time_col!r} of {cur_where} is {current_schema[time_col]}, not a date or datetime; "
                "--window needs a temporal column (convert it with mlprep convert --parse-dates)"
            )
    if target is not None:
        for names, where in ((ref_names, ref_where), (cur_names, cur_where)):
            if target not in names:
                raise missing_column(target, names, where=where, option="--target")
    if cols:
        chosen = select_columns(cols, ref_names, where=ref_where)
        for name in chosen:
            if name not in cur_names:
                raise missing_column(name, cur_names, where=cur_where, option="--cols")
    else:
        only_ref = [c for c in ref_names if c not in cur_names and c != time_col]
        only_cur = [c for c in cur_names if c not in ref_names and c != time_col]
        if only_ref or only_cur:
            parts = []
            if only_ref:
                parts.append(f"{_names(only_ref)} only in {ref_where}")
            if only_cur:
                parts.append(f"{_names(only_cur)} only in {cur_where}")
            raise InputError(f"the inputs have different columns: {'; '.join(parts)}; pass --cols to compare the shared columns only")
        chosen = list(ref_names)
    chosen = [c for c in chosen if c not in (time_col, target)]
    if target is not None:
        chosen.append(target)
    planned: list[tuple[str, ColumnKind]] = []
    skipped: list[dict[str, str]] = []
    for name in chosen:
        is_target = name == target
        ref_kind = column_kind(reference_schema[name], target=is_target)
        cur_kind = column_kind(current_schema[name], target=is_target)
        if ref_kind != cur_kind:
            raise InputError(
                f"column {name!r} is {reference_schema[name]} in {ref_where} but {current_schema[name]} in {cur_where}; "
                "cast one so both are numbers or both are categories, or leave it out with --cols"
            )
        if ref_kind is None:
            skipped.append({"column": name, "dtype": str(reference_schema[name]), "reason": "not numeric or categorical (temporal, nested or null columns are not compared)"})
            continue
        planned.append((name, ref_kind))
    if not planned:
        raise InputError("no numeric or categorical column to compare; choose some with --cols")
    return planned, skipped


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:10]) + (", …" if len(names) > 10 else "")
    return f"column{'s' if len(names) > 1 else ''} {shown}"


def drift(
    reference: pl.LazyFrame,
    current: pl.LazyFrame,
    *,
    cols: Sequence[str] | None = None,
    target: str | None = None,
    time_col: str | None = None,
    window: dt.timedelta | None = None,
    bins: int = DEFAULT_BINS,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    thresholds: Thresholds = Thresholds(),
    plots: bool = False,
    reference_name: str = "REFERENCE",
    current_name: str = "CURRENT",
) -> dict[str, Any]:
    """Compare CURRENT with REFERENCE column by column and grade each column ok / warn / alert.

    Parameters
    ----------
    reference, current
        The two datasets (lazy; only the compared columns are read).
    cols
        Column names or globs to compare (default: every column, which must then exist in both).
    target
        The label column: its change is reported as label shift.
    time_col, window
        Compare each window of CURRENT (by ``time_col``) with REFERENCE as well.
    bins
        Number of reference-quantile bins for numeric PSI.
    max_categories
        Categories kept by name for categorical PSI and chi-square; the rest are pooled.
    thresholds
        Effect-size thresholds and the significance level.
    plots
        Add, for each drifted column, the overlaid distributions needed to draw it.

    Returns
    -------
    dict
        ``severity``, ``alerts``, ``warnings``, ``columns`` (one entry per column, most severe
        first), ``skipped``, ``windows`` (or None), ``rows``, ``params`` and ``thresholds``.

    Example
    -------
    >>> ref = pl.LazyFrame({"x": [float(i) for i in range(100)]})
    >>> cur = pl.LazyFrame({"x": [float(i) + 50 for i in range(100)]})
    >>> drift(ref, cur)["severity"]
    'alert'
    """
    if bins < 2:
        raise UsageError(f"--bins {bins} must be at least 2, e.g. --bins 10")
    if max_categories < 1:
        raise UsageError(f"--max-categories {max_categories} must be at least 1")
    thresholds.validate()
    planned, skipped = plan_columns(
        reference.collect_schema(), current.collect_schema(), cols=cols, target=target, time_col=time_col,
        window=window, reference_name=reference_name, current_name=current_name,
    )
    current_w, window_info = _windows(current, time_col, window)
    ref_rows = int(reference.select(pl.len()).collect(engine="streaming").item())
    cur_rows_by_w = _rows_by_window(current_w)
    cur_rows = sum(cur_rows_by_w.values()) if window is None else int(current.select(pl.len()).collect(engine="streaming").item())
    columns: list[dict[str, Any]] = []
    per_window: dict[int, list[dict[str, Any]]] = {w: [] for w in window_info}
    for name, kind in planned:
        compute = _numeric_column if kind == "numeric" else _categorical_column
        overall, windows = compute(
            reference, current_w, name, ref_rows=ref_rows, cur_rows=cur_rows, cur_rows_by_w=cur_rows_by_w,
            windowed=window is not None, bins=bins, max_categories=max_categories, thresholds=thresholds, plots=plots,
        )
        overall["role"] = per_role = "target" if name == target else "feature"
        columns.append(overall)
        for w, entry in windows.items():
            entry["role"] = per_role
            per_window[w].append(entry)
    result: dict[str, Any] = {
        "rows": {"reference": ref_rows, "current": cur_rows},
        **_summary(columns),
        "columns": _sorted(columns),
        "skipped": skipped,
        "windows": None,
        "params": {
            "cols": list(cols) if cols else None, "target": target, "time_col": time_col,
            "window": _duration_text(window) if window is not None else None, "bins": bins,
            "max_categories": max_categories, "epsilon": EPSILON,
        },
        "thresholds": asdict(thresholds),
    }
    if window is not None:
        windows_out = []
        for w, (start, end) in window_info.items():
            entries = per_window[w]
            windows_out.append({
                "window": w, "start": start.isoformat(), "end": end.isoformat(), "rows": cur_rows_by_w.get(w, 0),
                **_summary(entries), "columns": _sorted(entries),
            })
        result["windows"] = windows_out
        # The run's severity is the worst of the whole comparison and of every window.
        result["severity"] = max([result["severity"], *(win["severity"] for win in windows_out)], key=_RANK.__getitem__)
        result["window_alerts"] = sum(win["alerts"] for win in windows_out)
    return result


def _duration_text(window: dt.timedelta) -> str:
    seconds = window.total_seconds()
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds}s"


def _summary(entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    alerts = sum(e["severity"] == "alert" for e in entries)
    warnings = sum(e["severity"] == "warn" for e in entries)
    return {"severity": "alert" if alerts else "warn" if warnings else "ok", "alerts": alerts, "warnings": warnings}


def _sorted(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def key(e: dict[str, Any]) -> tuple:
        psi = e.get("psi")
        return (-_RANK[e["severity"]], -(psi if psi is not None else -1.0), e["column"])

    return sorted(entries, key=key)


# ---- windows -------------------------------------------------------------------------------


def _windows(current: pl.LazyFrame, time_col: str | None, window: dt.timedelta | None) -> tuple[pl.LazyFrame, dict[int, tuple[dt.datetime, dt.datetime]]]:
    """Add the window index column (constant 0 without windows) and list the windows."""
    if window is None or time_col is None:
        return current.with_columns(pl.lit(0, dtype=pl.Int64).alias(_W)), {}
    t = pl.col(time_col)
    if current.collect_schema()[time_col] == pl.Date:
        t = t.cast(pl.Datetime("us"))
    bounds = current.select(t.min().alias("lo"), t.max().alias("hi")).collect(engine="streaming").row(0)
    lo, hi = bounds
    if lo is None:
        raise InputError(f"--time-col {time_col!r} of CURRENT holds only nulls; --window needs times")
    width_us = int(window / dt.timedelta(microseconds=1))
    index = ((t - pl.lit(lo)).dt.total_microseconds() // width_us).cast(pl.Int64).alias(_W)
    count = int((hi - lo) / dt.timedelta(microseconds=1)) // width_us + 1
    lo_naive = lo
    info = {w: (lo_naive + w * window, lo_naive + (w + 1) * window) for w in range(count)}
    return current.with_columns(index), info


def _rows_by_window(current_w: pl.LazyFrame) -> dict[int, int]:
    frame = current_w.group_by(_W).agg(pl.len().alias("n")).collect(engine="streaming")
    return {int(w): int(n) for w, n in frame.iter_rows() if w is not None}


# ---- grading -------------------------------------------------------------------------------


def _grade(value: float | None, warn: float, alert: float) -> Severity:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "ok"
    return "alert" if value >= alert else "warn" if value >= warn else "ok"


def _grade_entry(entry: dict[str, Any], th: Thresholds, *, dist_p: float | None) -> None:
    """Set ``severity`` and ``reasons``: effect sizes over thresholds, each gated by its test."""
    reasons: list[str] = []
    worst: Severity = "ok"
    significant = dist_p is not None and dist_p < th.p_value
    effects = [("psi", "PSI", th.psi_warn, th.psi_alert)]
    if entry["kind"] == "numeric":
        effects += [("ks_statistic", "KS", th.ks_warn, th.ks_alert), ("wasserstein_normed", "normed Wasserstein", th.wasserstein_warn, th.wasserstein_alert)]
    if significant:
        for key, label, warn, alert in effects:
            level = _grade(entry.get(key), warn, alert)
            if level != "ok":
                reasons.append(f"{label} {_fmt(entry[key])} >= {warn if level == 'warn' else alert:g}")
                worst = level if _RANK[level] > _RANK[worst] else worst
    change = entry.get("missing_rate_change")
    missing_p = entry.get("missing_p_value")
    if change is not None and missing_p is not None and missing_p < th.p_value:
        level = _grade(abs(change), th.missing_warn, th.missing_alert)
        if level != "ok":
            reasons.append(f"missing rate change {change:+.3f}, |change| >= {th.missing_warn if level == 'warn' else th.missing_alert:g}")
            worst = level if _RANK[level] > _RANK[worst] else worst
    entry["severity"] = worst
    entry["reasons"] = reasons


def _fmt(value: float) -> str:
    return "inf" if value == math.inf else f"{value:.3g}"


# ---- shared statistics ---------------------------------------------------------------------


def psi(reference_counts: Sequence[float], current_counts: Sequence[float], *, epsilon: float = EPSILON) -> float | None:
    """Population stability index of two count vectors over the same bins.

    Shares below ``epsilon`` are raised to ``epsilon`` (no renormalisation). None when either
    side has no values.

    Example
    -------
    >>> round(psi([50, 50], [40, 60]), 6)
    0.040547
    """
    n_ref, n_cur = float(sum(reference_counts)), float(sum(current_counts))
    if n_ref <= 0 or n_cur <= 0:
        return None
    total = 0.0
    for r, c in zip(reference_counts, current_counts):
        rs, cs = max(r / n_ref, epsilon), max(c / n_cur, epsilon)
        total += (cs - rs) * math.log(cs / rs)
    return total


def _chi2(table: list[list[int]]) -> tuple[float | None, float | None]:
    """scipy's chi2_contingency on a 2×K count table; (0, 1) when it has a single category."""
    from scipy.stats import chi2_contingency

    if any(sum(row) == 0 for row in table):
        return None, None
    kept = [j for j in range(len(table[0])) if table[0][j] + table[1][j] > 0]
    if len(kept) < 2:
        return 0.0, 1.0
    res = chi2_contingency([[row[j] for j in kept] for row in table])
    return float(res.statistic), float(res.pvalue)


def _missing_fields(ref_missing: int, ref_n: int, cur_missing: int, cur_n: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rows_reference": ref_n, "rows_current": cur_n,
        "missing_rate_reference": ref_missing / ref_n if ref_n else None,
        "missing_rate_current": cur_missing / cur_n if cur_n else None,
    }
    if ref_n and cur_n:
        out["missing_rate_change"] = out["missing_rate_current"] - out["missing_rate_reference"]
        _, out["missing_p_value"] = _chi2([[ref_missing, ref_n - ref_missing], [cur_missing, cur_n - cur_missing]])
    else:
        out["missing_rate_change"] = out["missing_p_value"] = None
    return out


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


# ---- numeric columns -----------------------------------------------------------------------


def _numeric_column(
    reference: pl.LazyFrame, current_w: pl.LazyFrame, name: str, *, ref_rows: int, cur_rows: int,
    cur_rows_by_w: dict[int, int], windowed: bool, bins: int, max_categories: int, thresholds: Thresholds, plots: bool,
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    value = pl.col(name).cast(pl.Float64).alias("v")
    present = pl.col("v").is_not_null() & pl.col("v").is_not_nan()
    ref_values = reference.select(value).filter(present).collect(engine="streaming")["v"]
    ref_missing = ref_rows - ref_values.len()
    breaks = _quantile_breaks(ref_values, bins)
    ref_counts = _bin_counts(ref_values.to_frame("v").lazy(), breaks, group=None)[None] if ref_values.len() else [0] * (len(breaks) + 1)
    cur_clean = current_w.select(value, pl.col(_W)).filter(present).collect(engine="streaming")
    cur_values = cur_clean["v"]
    cur_counts = _bin_counts(cur_clean.lazy(), breaks, group=None).get(None, [0] * (len(breaks) + 1))
    overall = _numeric_entry(name, ref_values, ref_missing, ref_rows, ref_counts, cur_values, cur_rows - cur_values.len(), cur_rows, cur_counts, breaks, thresholds)
    if plots and overall["severity"] != "ok":
        overall["plot"] = _numeric_plot(ref_values, cur_values)
    windows: dict[int, dict[str, Any]] = {}
    if windowed:
        by_w = _bin_counts(cur_clean.lazy(), breaks, group=_W)
        parts = {int(k[0]): frame["v"] for k, frame in cur_clean.partition_by(_W, as_dict=True).items() if k[0] is not None}
        ref_sorted = ref_values.sort()  # once for every window (see ks_wasserstein)
        for w, n in cur_rows_by_w.items():
            vals = parts.get(w, ref_values.clear())
            counts = by_w.get(w, [0] * (len(breaks) + 1))
            windows[w] = _numeric_entry(
                name, ref_values, ref_missing, ref_rows, ref_counts, vals, n - vals.len(), n, counts, breaks, thresholds, ref_sorted=ref_sorted
            )
    return overall, windows


def _quantile_breaks(values: pl.Series, bins: int) -> list[float]:
    """Reference quantiles at 1/k … (k-1)/k (linear interpolation), duplicates removed."""
    if values.len() == 0:
        return []
    qs = [i / bins for i in range(1, bins)]
    cuts = pl.select(pl.lit(values).quantile(qs, interpolation="linear")).item().to_list()
    return sorted(set(float(c) for c in cuts))


def _bin_counts(frame: pl.LazyFrame, breaks: Sequence[float], *, group: str | None) -> dict[Any, list[int]]:
    """Counts per right-closed bin from cumulative ``v <= break`` sums (one aggregation)."""
    v = pl.col("v")
    aggs = [(v <= b).sum().alias(f"le{i}") for i, b in enumerate(breaks)] + [v.count().alias("n")]
    if group is None:
        rows = [(None, frame.select(aggs).collect(engine="streaming").row(0))]
    else:
        agg = frame.group_by(group).agg(aggs).collect(engine="streaming")
        rows = [(r[0], r[1:]) for r in agg.iter_rows()]
    out: dict[Any, list[int]] = {}
    for key, row in rows:
        cumulative = [int(x) for x in row]
        out[int(key) if key is not None and group is not None else key] = [cumulative[0]] + [cumulative[i] - cumulative[i - 1] for i in range(1, len(cumulative))] if cumulative else []
    return out


def _numeric_entry(
    name: str, ref: pl.Series, ref_missing: int, ref_n: int, ref_counts: list[int],
    cur: pl.Series, cur_missing: int, cur_n: int, cur_counts: list[int], breaks: list[float], th: Thresholds,
    ref_sorted: pl.Series | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"column": name, "kind": "numeric"}
    entry.update(_missing_fields(ref_missing, ref_n, cur_missing, cur_n))
    entry["psi"] = psi(ref_counts, cur_counts)
    if ref.len() and cur.len():
        d, p, w = ks_wasserstein(ref, cur, reference_sorted=ref_sorted)
        entry["ks_statistic"], entry["ks_p_value"], entry["wasserstein"] = d, p, w
        scale = math.sqrt((float(ref.var(ddof=0)) + float(cur.var(ddof=0))) / 2)  # type: ignore[arg-type]
        entry["wasserstein_normed"] = w / scale if scale > 0 else (0.0 if w == 0 else math.inf)
    else:
        entry["ks_statistic"] = entry["ks_p_value"] = entry["wasserstein"] = entry["wasserstein_normed"] = None
    entry["mean_reference"] = float(ref.mean()) if ref.len() else None  # type: ignore[arg-type]
    entry["mean_current"] = float(cur.mean()) if cur.len() else None  # type: ignore[arg-type]
    entry["bins"] = {"breaks": breaks, "reference": ref_counts, "current": cur_counts}
    _grade_entry(entry, th, dist_p=entry["ks_p_value"])
    entry["wasserstein_normed"] = _finite(entry["wasserstein_normed"])
    return entry


#: Up to this many values per side, KS comes straight from scipy (its exact p-value); as in
#: ``scipy.stats.ks_2samp(method="auto")``, larger samples use the asymptotic distribution.
KS_EXACT_MAX_N = 10_000


def ks_wasserstein(reference: pl.Series, current: pl.Series, *, reference_sorted: pl.Series | None = None) -> tuple[float, float, float]:
    """Two-sample KS statistic and p-value and Wasserstein-1 distance from one sorted merge.

    Both inputs are non-empty, without nulls or NaNs. The two samples are stacked with integer
    weights (+n_cur for a reference value, -n_ref for a current one) and sorted once (polars,
    multi-threaded); the running sum divided by ``n_ref * n_cur`` is ``F_ref - F_cur``. Its
    largest absolute value at the end of each run of equal values is the KS statistic, and its
    absolute value times the gap to the next value, summed, is the Wasserstein distance — the same
    quantities ``scipy.stats.ks_2samp`` and ``scipy.stats.wasserstein_distance`` compute, but
    without their several searchsorted passes. The p-value is scipy's: ``ks_2samp`` itself when
    both samples have at most ``KS_EXACT_MAX_N`` values (exact distribution), otherwise
    ``kstwo.sf(D, round(n_ref * n_cur / (n_ref + n_cur)))``, which is what ``ks_2samp`` does for
    larger samples.

    ``reference_sorted`` (``reference`` sorted, as Float64) lets many comparisons against one
    reference (the windows of ``check drift --window``) sort it once: each then sorts only
    ``current`` and merges the two sorted runs in linear time.

    Example
    -------
    >>> d, p, w = ks_wasserstein(pl.Series([0.0, 1.0]), pl.Series([2.0, 3.0]))
    >>> d, w
    (1.0, 2.0)
    """
    from fractions import Fraction

    from scipy import stats

    n1, n2 = reference.len(), current.len()
    ref_part = pl.DataFrame({"v": reference.cast(pl.Float64) if reference_sorted is None else reference_sorted,
                             "w": pl.repeat(n2, n1, dtype=pl.Int64, eager=True)})
    cur_part = pl.DataFrame({"v": current.cast(pl.Float64), "w": pl.repeat(-n1, n2, dtype=pl.Int64, eager=True)})
    if reference_sorted is None:
        ordered = pl.concat([ref_part, cur_part]).lazy().sort("v")
    else:
        ordered = ref_part.lazy().merge_sorted(cur_part.sort("v").lazy(), key="v")
    nxt = pl.col("v").shift(-1)
    term = pl.col("c").abs().cast(pl.Float64) * (nxt - pl.col("v"))
    finite = pl.col("t_finite")
    top = finite.max()
    # Σ term as an exact integer sum of fixed-point values: a float sum would follow however the
    # sort happened to chunk its output and change in the last bits from run to run. Every term
    # is multiplied by one scalar that brings the largest to about 2**62 (a multiplication, not a
    # division: polars may divide by a scalar as a multiplication by its reciprocal in some
    # chunks and not in others), then rounded, a relative 2**-53 of each term at most. Terms
    # below 2**-900 are first scaled up by 2**200 so that the scalar stays finite. ±inf values
    # give an infinite (or NaN) term, as a float sum would.
    pre = pl.when(top < 2.0**-900).then(2.0**200).otherwise(1.0)
    factor = pl.when(top > 0).then(2.0**62 / (top * pre)).otherwise(1.0)
    row = (
        ordered
        .select(pl.col("v"), pl.col("w").cum_sum().alias("c"))
        .with_columns(term.alias("t"))
        .with_columns(pl.when(pl.col("t").is_finite()).then(pl.col("t")).alias("t_finite"))
        .select(
            pl.col("c").filter(nxt.is_null() | (nxt != pl.col("v"))).abs().max().alias("d"),
            pre.alias("pre"),
            factor.alias("factor"),
            (finite * pre * factor).round().cast(pl.Int128).sum().alias("fixed"),
            pl.col("t").is_nan().any().alias("nan"),
            pl.col("t").is_infinite().any().alias("inf"),
        )
        .collect()
        .row(0)
    )
    d_max, pre_by, factor_by, fixed, has_nan, has_inf = row
    if has_nan or has_inf:
        total = math.nan if has_nan else math.inf
    else:
        total = float(Fraction(int(fixed or 0)) / (Fraction(pre_by) * Fraction(factor_by)))
    scale = float(n1) * float(n2)
    d, w = int(d_max) / scale, total / scale
    if max(n1, n2) <= KS_EXACT_MAX_N:
        with warnings.catch_warnings():
            # On heavily tied small samples scipy's exact p-value does not converge and it
            # falls back to the asymptotic one itself; say nothing rather than print a traceback-like
            # Python warning on stderr (the result is scipy's own).
            warnings.filterwarnings("ignore", message="ks_2samp: Exact calculation unsuccessful", category=RuntimeWarning)
            ks = stats.ks_2samp(reference.to_numpy(), current.to_numpy())
        d, p = float(ks.statistic), float(ks.pvalue)
    else:
        m, n = sorted([float(n1), float(n2)], reverse=True)
        p = float(min(max(stats.kstwo.sf(d, round(m * n / (m + n))), 0.0), 1.0))
    return d, p, w


def _numeric_plot(ref: pl.Series, cur: pl.Series) -> dict[str, Any] | None:
    """Equal-width histograms of both inputs on one axis (0.5%–99.5% of the pooled values; outer values land in the end bins)."""
    if ref.len() == 0 or cur.len() == 0:
        return None
    both = pl.concat([ref, cur])
    lo, hi = both.quantile(0.005, interpolation="linear"), both.quantile(0.995, interpolation="linear")
    if lo is None or hi is None:
        return None
    if hi <= lo:
        lo, hi = float(both.min()), float(both.max())  # type: ignore[arg-type]
        if hi <= lo:
            hi = lo + 1.0
    width = (hi - lo) / PLOT_BINS

    def shares(values: pl.Series) -> list[float]:
        idx = ((values - lo) / width).floor().clip(0, PLOT_BINS - 1).cast(pl.Int64)
        counts = idx.value_counts().sort(idx.name)
        out = [0.0] * PLOT_BINS
        for i, n in counts.iter_rows():
            out[int(i)] = n / values.len()
        return out

    return {"kind": "numeric", "edges": [lo + i * width for i in range(PLOT_BINS + 1)], "reference": shares(ref), "current": shares(cur)}


# ---- categorical columns -------------------------------------------------------------------


def _categorical_column(
    reference: pl.LazyFrame, current_w: pl.LazyFrame, name: str, *, ref_rows: int, cur_rows: int,
    cur_rows_by_w: dict[int, int], windowed: bool, bins: int, max_categories: int, thresholds: Thresholds, plots: bool,
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    value = pl.col(name).cast(pl.String).alias("v")
    ref_counts = _as_dict(reference.group_by(value).agg(pl.len().alias("n")).collect(engine="streaming"))
    cur_frame = current_w.group_by(pl.col(_W), value).agg(pl.len().alias("n")).collect(engine="streaming")
    cur_counts = _as_dict(cur_frame.group_by("v").agg(pl.col("n").sum()))
    kept = _kept_categories(ref_counts, cur_counts, max_categories)
    overall = _categorical_entry(name, ref_counts, ref_rows, cur_counts, cur_rows, kept, thresholds)
    if plots and overall["severity"] != "ok":
        overall["plot"] = {"kind": "categorical", **overall["categories"]}
    windows: dict[int, dict[str, Any]] = {}
    if windowed:
        parts: dict[int, dict[str | None, int]] = {}
        for w, v, n in cur_frame.iter_rows():
            if w is not None:
                parts.setdefault(int(w), {})[v] = int(n)
        for w, n in cur_rows_by_w.items():
            windows[w] = _categorical_entry(name, ref_counts, ref_rows, parts.get(w, {}), n, kept, thresholds)
    return overall, windows


def _as_dict(frame: pl.DataFrame) -> dict[str | None, int]:
    return {v: int(n) for v, n in frame.iter_rows()}


def _kept_categories(ref: dict[str | None, int], cur: dict[str | None, int], limit: int) -> list[str]:
    """The ``limit`` categories with the largest combined count (ties by value): symmetric in the inputs."""
    combined: dict[str, int] = {}
    for counts in (ref, cur):
        for v, n in counts.items():
            if v is not None:
                combined[v] = combined.get(v, 0) + n
    ranked = sorted(combined, key=lambda v: (-combined[v], v))
    if len(ranked) <= limit + 1:  # pooling a single category into "(other)" gains nothing
        return ranked
    return ranked[:limit]


def _categorical_entry(
    name: str, ref: dict[str | None, int], ref_n: int, cur: dict[str | None, int], cur_n: int, kept: list[str], th: Thresholds,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"column": name, "kind": "categorical"}
    entry.update(_missing_fields(ref.get(None, 0), ref_n, cur.get(None, 0), cur_n))
    kept_set = set(kept)
    ref_other = sum(n for v, n in ref.items() if v is not None and v not in kept_set)
    cur_other = sum(n for v, n in cur.items() if v is not None and v not in kept_set)
    labels = list(kept) + ([OTHER] if ref_other or cur_other else [])
    ref_row = [ref.get(v, 0) for v in kept] + ([ref_other] if len(labels) > len(kept) else [])
    cur_row = [cur.get(v, 0) for v in kept] + ([cur_other] if len(labels) > len(kept) else [])
    entry["psi"] = psi(ref_row, cur_row)
    entry["chi2_statistic"], entry["chi2_p_value"] = _chi2([ref_row, cur_row])
    unseen = sorted(((v, n) for v, n in cur.items() if v is not None and n > 0 and ref.get(v, 0) == 0), key=lambda t: (-t[1], t[0]))
    vanished = sorted(((v, n) for v, n in ref.items() if v is not None and n > 0 and cur.get(v, 0) == 0), key=lambda t: (-t[1], t[0]))
    cur_present = cur_n - cur.get(None, 0)
    ref_present = ref_n - ref.get(None, 0)
    entry["unseen"] = {"count": len(unseen), "rows_share": sum(n for _, n in unseen) / cur_present if cur_present else None,
                       "values": [{"value": v, "rows": n} for v, n in unseen[:LISTED_CATEGORIES]]}
    entry["vanished"] = {"count": len(vanished), "rows_share": sum(n for _, n in vanished) / ref_present if ref_present else None,
                         "values": [{"value": v, "rows": n} for v, n in vanished[:LISTED_CATEGORIES]]}
    entry["categories"] = {"labels": labels, "reference": ref_row, "current": cur_row}
    _grade_entry(entry, th, dist_p=entry["chi2_p_value"])
    return entry
