"""``check leakage``: find the ways a training split can see its evaluation splits or its labels.

Checks, each giving findings with a severity (``info`` < ``warn`` < ``error``), evidence and a
fix:

- ``time_overlap``: a split's latest time is not before the earliest time of a later split.
- ``duplicates``: identical rows (a stable xxHash64 row hash over every shared column, or over
  ``key_cols``) in the training split and another split.
- ``entity_overlap``: share of another split's ``group_col`` values seen in training.
- ``target_leakage`` / ``missingness_leakage``: a feature whose values (or whose missingness)
  alone predict the target on the training split: single-feature ROC AUC (rank based, equal to
  scikit-learn's ``roc_auc_score``, direction-free: max(AUC, 1 - AUC)) for a binary target,
  |Pearson correlation| for a numeric one, mutual information over the target's entropy for a
  multi-class one (numeric features in twenty rank bins).
- ``lineage.*``: from the recorded manifests: statistics fitted on a non-train role, balancing
  on a non-train role or before the split, statistics fitted before the split, a random split
  of data with a temporal column, ``--allow-leakage`` anywhere upstream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from mlprep.errors import InputError, UsageError, missing_column

if TYPE_CHECKING:
    from mlprep.lineage.model import Manifest

Severity = Literal["info", "warn", "error"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "warn": 1, "error": 2}
#: A string/categorical feature is scored (by its in-sample target rate) only up to this many values.
MAX_CATEGORIES = 50
#: Numeric features are cut into this many rank bins for the mutual-information score.
MI_BINS = 20
_HASH = "__mlprep_row_hash"
HASH_SCHEME = "xxhash64(seed=0) of the row's values as text joined by U+001F, null as U+0000"


@dataclass
class Finding:
    """One problem found: which check, how bad, what shows it, how to fix it."""

    check: str
    severity: Severity
    message: str
    evidence: dict[str, Any]
    fix: str


@dataclass
class SplitData:
    """One split to check: its frame, how to name it, and its recorded role and lineage."""

    name: str
    frame: pl.LazyFrame
    role: str | None = None
    manifest: "Manifest | None" = None
    _schema: pl.Schema | None = field(default=None, repr=False)

    @property
    def schema(self) -> pl.Schema:
        if self._schema is None:
            self._schema = self.frame.collect_schema()
        return self._schema

    @property
    def label(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


def check_leakage(
    splits: Sequence[SplitData],
    *,
    time_col: str | None = None,
    target: str | None = None,
    key_cols: Sequence[str] | None = None,
    group_col: str | None = None,
    cols: Sequence[str] | None = None,
    auc_threshold: float = 0.95,
    corr_threshold: float = 0.95,
    mi_threshold: float = 0.95,
    examples: int = 3,
) -> dict[str, Any]:
    """Run every applicable leakage check over a training split and the splits evaluated after it.

    Parameters
    ----------
    splits : the training split first, then the others in time order (valid, test).
    time_col : the event-time column; default: the ``time_col`` recorded by the split that made
        the training split, if any. Without one the time-overlap check is skipped.
    target : the label column; enables the target- and missingness-leakage checks.
    key_cols : compare rows across splits by these columns instead of all shared columns.
    group_col : the entity column (user, patient) for the entity-overlap check.
    cols : features to score against the target (default: every column but the target, time,
        key and group columns).
    auc_threshold : a single-feature AUC (or missingness AUC) at or above this is an error.
    corr_threshold : an |correlation| with a numeric target at or above this is an error.
    mi_threshold : for a target with more than two classes that is not numeric, a feature whose
        mutual information with the target reaches this share of the target's entropy is an error.
    examples : how many example rows or values a finding lists.

    Returns
    -------
    dict with ``splits`` (name, role, rows), ``checks`` (which ran, which were skipped and why),
    ``findings`` (severity, evidence, fix), ``scores`` (every scored feature) and ``summary``.

    Example
    -------
    >>> train = pl.LazyFrame({"t": [1, 2, 3], "y": [0, 1, 0]})
    >>> test = pl.LazyFrame({"t": [3, 4, 5], "y": [1, 0, 1]})
    >>> result = check_leakage([SplitData("train", train), SplitData("test", test)], time_col="t")
    >>> [f["check"] for f in result["findings"]]
    ['time_overlap']
    """
    if len(splits) < 2:
        raise UsageError("give the training split and at least one other split (valid, test) to check")
    if not 0.5 < auc_threshold <= 1:
        raise UsageError(f"--auc-threshold must be in (0.5, 1], got {auc_threshold}")
    if not 0 < corr_threshold <= 1:
        raise UsageError(f"--corr-threshold must be in (0, 1], got {corr_threshold}")
    if not 0 < mi_threshold <= 1:
        raise UsageError(f"--mi-threshold must be in (0, 1], got {mi_threshold}")
    train = splits[0]
    findings: list[Finding] = []
    checks: dict[str, str] = {}

    if time_col is None:
        time_col = _time_col_from_lineage(splits)
        if time_col is not None:
            checks["time_col"] = f"{time_col!r}, recorded by the split in lineage"
    for name, option in ((time_col, "--time-col"), (group_col, "--group-col")):
        if name is not None:
            for split in splits:
                _require(split, name, option)
    for key in key_cols or []:
        for split in splits:
            _require(split, key, "--key-cols")
    if target is not None:
        _require(train, target, "--target")

    rows = pl.collect_all([s.frame.select(pl.len()) for s in splits], engine="streaming")
    split_info = [{"name": s.name, "role": s.role, "rows": int(r.item())} for s, r in zip(splits, rows)]

    if train.role not in (None, "train"):
        findings.append(Finding(
            "roles", "warn", f"the first split {train.name!r} has role {train.role!r}, not 'train'",
            {"split": train.name, "role": train.role},
            "pass the training split first, then the later splits in time order",
        ))

    if time_col is not None:
        findings += _time_overlap(splits, time_col, examples)
        checks["time_overlap"] = "ran"
    else:
        checks["time_overlap"] = "skipped: no --time-col and none recorded in lineage"
    findings += _duplicates(splits, list(key_cols or []), examples)
    checks["duplicates"] = f"ran on {'--key-cols ' + ','.join(key_cols) if key_cols else 'all shared columns'} ({HASH_SCHEME})"
    if group_col is not None:
        findings += _entity_overlap(splits, group_col, examples)
        checks["entity_overlap"] = "ran"
    else:
        checks["entity_overlap"] = "skipped: no --group-col"
    scores: list[dict[str, Any]] = []
    if target is not None:
        exclude = {target, *(key_cols or []), *([time_col] if time_col else []), *([group_col] if group_col else [])}
        new, scores, note = _target_leakage(train, target, cols, exclude, auc_threshold, corr_threshold, mi_threshold)
        findings += new
        checks["target_leakage"] = note
    else:
        checks["target_leakage"] = "skipped: no --target"
    new, note = _lineage_findings(splits)
    findings += new
    checks["lineage"] = note

    findings.sort(key=lambda f: -SEVERITY_ORDER[f.severity])
    summary = {sev: sum(f.severity == sev for f in findings) for sev in ("error", "warn", "info")}
    worst = max((SEVERITY_ORDER[f.severity] for f in findings), default=-1)
    return {
        "splits": split_info,
        "time_col": time_col,
        "target": target,
        "checks": checks,
        "findings": [asdict(f) for f in findings],
        "scores": scores,
        "summary": summary,
        "max_severity": next((k for k, v in SEVERITY_ORDER.items() if v == worst), None),
    }


def reaches(result: dict[str, Any], fail_on: Literal["warn", "error"]) -> bool:
    """Whether a finding of ``result`` is at least as severe as ``fail_on``."""
    return any(SEVERITY_ORDER[f["severity"]] >= SEVERITY_ORDER[fail_on] for f in result["findings"])


def _require(split: SplitData, col: str, option: str) -> None:
    if col not in split.schema:
        raise missing_column(col, split.schema.names(), where=repr(split.name), option=option)


def _time_col_from_lineage(splits: Sequence[SplitData]) -> str | None:
    manifest = splits[0].manifest
    if manifest is None:
        return None
    for _, m in manifest.walk():
        col = m.params.get("time_col") if m.step.split(".")[0] == "split" else None
        if isinstance(col, str) and all(col in s.schema for s in splits):
            return col
    return None


# ---- time overlap ---------------------------------------------------------------------------


def _time_overlap(splits: Sequence[SplitData], time_col: str, examples: int) -> list[Finding]:
    dtypes = {s.name: s.schema[time_col] for s in splits}
    first = next(iter(dtypes.values()))
    for name, dtype in dtypes.items():
        if not (dtype.is_temporal() or dtype.is_numeric()):
            raise InputError(f"--time-col {time_col!r} of {name!r} is {dtype}, not a date, datetime or number; parse it first (mlprep convert --parse-dates)")
        if dtype != first:
            raise InputError(
                f"--time-col {time_col!r} is {first} in {splits[0].name!r} but {dtype} in {name!r}; "
                "the splits must share one time type (naive vs time-zone-aware cannot be compared)"
            )
    bounds = pl.collect_all(
        [s.frame.select(pl.col(time_col).min().alias("min"), pl.col(time_col).max().alias("max")) for s in splits],
        engine="streaming",
    )
    lo = [b["min"][0] for b in bounds]
    hi = [b["max"][0] for b in bounds]
    findings = []
    for i in range(len(splits)):
        for j in range(i + 1, len(splits)):
            if hi[i] is None or lo[j] is None or hi[i] < lo[j]:
                continue
            later = splits[j]
            overlap = later.frame.filter(pl.col(time_col) <= hi[i])
            count = int(overlap.select(pl.len()).collect(engine="streaming").item())
            severity: Severity = "error" if i == 0 else "warn"
            findings.append(Finding(
                "time_overlap", severity,
                f"{splits[i].label} ends at {hi[i]}, not before {later.label} starts at {lo[j]}: "
                f"{count:,} rows of {later.name!r} are at or before the end of {splits[i].name!r}",
                {"earlier": splits[i].name, "later": later.name, "earlier_max": str(hi[i]), "later_min": str(lo[j]),
                 "later_rows_not_after": count},
                f"split by time so every {splits[i].name!r} row is earlier than every {later.name!r} row "
                f"(mlprep split --time-col {time_col}; --gap for features over trailing windows)",
            ))
    return findings


# ---- duplicates -------------------------------------------------------------------------------


def row_hash(columns: Sequence[str], schema: pl.Schema) -> pl.Expr:
    """A stable 64-bit hash of the given columns' values (see ``HASH_SCHEME``)."""
    import polars_hash  # noqa: F401  (registers the .nchash namespace)

    parts = [_as_text(c, schema[c]).fill_null("\x00") for c in columns]
    return pl.concat_str(parts, separator="\x1f").nchash.xxhash64(seed=0).alias(_HASH)  # type: ignore[attr-defined]


def _as_text(col: str, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Duration):
        return pl.col(col).to_physical().cast(pl.String)
    if dtype == pl.Binary:
        return pl.col(col).bin.encode("hex")
    return pl.col(col).cast(pl.String)


def _hashable(dtype: pl.DataType) -> bool:
    return not isinstance(dtype, (pl.List, pl.Array, pl.Struct, pl.Object))


def _duplicates(splits: Sequence[SplitData], key_cols: list[str], examples: int) -> list[Finding]:
    train = splits[0]
    if key_cols:
        columns = key_cols
        for s in splits[1:]:
            for c in columns:
                if s.schema[c] != train.schema[c]:
                    raise InputError(f"--key-cols column {c!r} is {train.schema[c]} in {train.name!r} but {s.schema[c]} in {s.name!r}; the splits must share its type")
    else:
        shared = [c for c in train.schema.names() if all(c in s.schema for s in splits[1:])]
        columns = [c for c in shared if _hashable(train.schema[c])]
        for s in splits[1:]:
            for c in columns:
                if s.schema[c] != train.schema[c]:
                    columns = [x for x in columns if x != c]
    if not columns:
        return []
    train_hashes = train.frame.select(row_hash(columns, train.schema)).unique().collect(engine="streaming")
    findings = []
    what = f"key {', '.join(key_cols)}" if key_cols else "identical rows"
    for other in splits[1:]:
        dup = other.frame.select(*columns, row_hash(columns, train.schema)).join(train_hashes.lazy(), on=_HASH, how="semi")
        counts, sample = pl.collect_all(
            [dup.select(pl.len().alias("rows"), pl.col(_HASH).n_unique().alias("distinct")), dup.drop(_HASH).head(examples)],
            engine="streaming",
        )
        n = int(counts["rows"][0])
        if n == 0:
            continue
        shown = sample.select(columns[:8]) if not key_cols else sample
        findings.append(Finding(
            "duplicates", "error",
            f"{n:,} rows of {other.label} ({int(counts['distinct'][0]):,} distinct) share their {what} with rows of {train.label}",
            {"split": other.name, "rows": n, "distinct": int(counts["distinct"][0]), "by": key_cols or "all columns",
             "columns_compared": len(columns), "examples": _jsonable_rows(shown)},
            "remove duplicates before splitting, or split by entity (mlprep split --group-col) so copies of a row stay in one split",
        ))
    return findings


def _jsonable_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.rows(named=True):
        out.append({k: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v)) for k, v in row.items()})
    return out


# ---- entity overlap -------------------------------------------------------------------------


def _entity_overlap(splits: Sequence[SplitData], group_col: str, examples: int) -> list[Finding]:
    train = splits[0]
    seen = train.frame.select(pl.col(group_col).drop_nulls().unique()).collect(engine="streaming")
    findings = []
    for other in splits[1:]:
        if other.schema[group_col] != train.schema[group_col]:
            raise InputError(f"--group-col {group_col!r} is {train.schema[group_col]} in {train.name!r} but {other.schema[group_col]} in {other.name!r}; the splits must share its type")
        values = other.frame.select(pl.col(group_col).drop_nulls().unique())
        both = values.join(seen.lazy(), on=group_col, how="semi")
        total, shared, sample = pl.collect_all(
            [values.select(pl.len()), both.select(pl.len()), both.sort(group_col).head(examples)], engine="streaming",
        )
        n_total, n_shared = int(total.item()), int(shared.item())
        if n_shared == 0:
            continue
        share = n_shared / n_total
        findings.append(Finding(
            "entity_overlap", "warn",
            f"{share:.1%} of the {group_col!r} values of {other.label} ({n_shared:,} of {n_total:,}) also occur in {train.label}",
            {"split": other.name, "group_col": group_col, "shared": n_shared, "distinct": n_total, "share": share,
             "examples": [v if isinstance(v, (int, float, str, bool)) else str(v) for v in sample[group_col].to_list()]},
            "fine if the model will score entities it has seen; if it must generalise to new ones, split by group "
            f"(mlprep split --group-col {group_col})",
        ))
    return findings


# ---- target leakage -------------------------------------------------------------------------


def _strongest_first(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Feature scores, the strongest (by value or missingness) first."""
    return sorted(scores, key=lambda e: -max(e["score"] or 0, e["missing_score"] or 0))


def _ran_note(note: str, skipped: Sequence[str]) -> str:
    """What the target-leakage check ran on, and which columns it skipped."""
    if skipped:
        note += f"; skipped {', '.join(repr(c) for c in skipped)} (text with more than {MAX_CATEGORIES} values, or unsupported type)"
    return note


def _target_leakage(
    train: SplitData, target: str, cols: Sequence[str] | None, exclude: set[str], auc_threshold: float, corr_threshold: float,
    mi_threshold: float,
) -> tuple[list[Finding], list[dict[str, Any]], str]:
    from mlprep.parsing import select_columns

    schema = train.schema
    features = select_columns(cols, schema.names(), where=repr(train.name)) if cols else [c for c in schema.names() if c not in exclude]
    features = [c for c in features if c != target]
    frame = train.frame.filter(pl.col(target).is_not_null())
    ydtype = schema[target]
    classes = frame.select(pl.col(target).unique().sort()).collect(engine="streaming")[target]
    if len(classes) == 2:
        kind = "binary"
        y = (pl.col(target) == pl.lit(classes[1], dtype=ydtype)).cast(pl.Int64)
    elif ydtype.is_numeric() and len(classes) > 2:
        kind = "numeric"
        y = pl.col(target).cast(pl.Float64)
    elif len(classes) > 2:
        return _categorical_target_leakage(train, frame, target, features, mi_threshold)
    else:
        return [], [], f"skipped: target {target!r} has {len(classes)} value(s) on {train.name!r}"

    # Which features to score, and how each becomes a number.
    numeric, skipped = {}, []
    cat_candidates = [c for c in features if schema[c] == pl.String or isinstance(schema[c], (pl.Categorical, pl.Enum))]
    cardinality = (
        frame.select([pl.col(c).n_unique().alias(c) for c in cat_candidates]).collect(engine="streaming").row(0, named=True)
        if cat_candidates else {}
    )
    for c in features:
        dtype = schema[c]
        if dtype == pl.Boolean:
            numeric[c] = pl.col(c).cast(pl.Int8)
        elif dtype.is_numeric() and not isinstance(dtype, pl.Decimal):
            numeric[c] = pl.col(c).fill_nan(None) if dtype.is_float() else pl.col(c)
        elif dtype.is_temporal():
            numeric[c] = pl.col(c).to_physical()
        elif c in cardinality and cardinality[c] <= MAX_CATEGORIES:
            # in-sample positive rate (or mean target) of the category; null stays null
            numeric[c] = pl.when(pl.col(c).is_not_null()).then(y.cast(pl.Float64).mean().over(c))
        else:
            skipped.append(c)

    exprs: list[pl.Expr] = [pl.len().alias("__n")]
    for i, (c, x) in enumerate(numeric.items()):
        missing = x.is_null()
        if kind == "binary":
            exprs += _auc_aggs(f"{i}:v", x, y)
            exprs += _auc_aggs(f"{i}:m", missing.cast(pl.Int8), y)
        else:
            valid = x.is_not_null() & y.is_not_null()
            exprs.append(pl.corr(x.filter(valid).cast(pl.Float64), y.filter(valid)).alias(f"{i}:v:corr"))
            exprs.append(pl.corr(missing.cast(pl.Float64), y).alias(f"{i}:m:corr"))
        exprs.append(missing.sum().alias(f"{i}:nulls"))
    stats = frame.select(exprs).collect().row(0, named=True)
    n = int(stats["__n"])

    findings, scores = [], []
    for i, c in enumerate(numeric):
        nulls = int(stats[f"{i}:nulls"])
        entry: dict[str, Any] = {"column": c, "nulls": nulls}
        if kind == "binary":
            entry["auc"] = _auc(stats, f"{i}:v")
            entry["missing_auc"] = _auc(stats, f"{i}:m") if 0 < nulls < n else None
            value_score = _strength(entry["auc"])
            miss_score = _strength(entry["missing_auc"])
            metric, threshold = "AUC", auc_threshold
        else:
            entry["corr"] = _finite(stats[f"{i}:v:corr"])
            entry["missing_corr"] = _finite(stats[f"{i}:m:corr"]) if 0 < nulls < n else None
            value_score = abs(entry["corr"]) if entry["corr"] is not None else None
            miss_score = abs(entry["missing_corr"]) if entry["missing_corr"] is not None else None
            metric, threshold = "|corr|", corr_threshold
        entry["score"] = value_score
        entry["missing_score"] = miss_score
        scores.append(entry)
        if value_score is not None and value_score >= threshold:
            findings.append(Finding(
                "target_leakage", "error",
                f"{c!r} alone predicts {target!r} on {train.label}: {metric} {value_score:.4f} ≥ {threshold}",
                {"column": c, "metric": metric, "score": value_score, "threshold": threshold, "target": target},
                f"check how {c!r} is made: a feature that alone gives away the label is usually derived from it or "
                "recorded after it; drop it, or rebuild it as of the event time (mlprep join asof)",
            ))
        if miss_score is not None and miss_score >= threshold:
            findings.append(Finding(
                "missingness_leakage", "error",
                f"whether {c!r} is missing alone predicts {target!r} on {train.label}: {metric} {miss_score:.4f} ≥ {threshold}",
                {"column": c, "metric": f"missingness {metric}", "score": miss_score, "threshold": threshold, "nulls": nulls},
                f"find out why {c!r} is missing: missingness tied to the outcome is usually recorded with or after it; "
                "drop the column (and any missing-indicator), or fill it from data known at prediction time",
            ))
    return findings, _strongest_first(scores), _ran_note(f"ran on {len(numeric)} features of {train.name!r} ({kind} target)", skipped)


def _categorical_target_leakage(
    train: SplitData, frame: pl.LazyFrame, target: str, features: list[str], mi_threshold: float,
) -> tuple[list[Finding], list[dict[str, Any]], str]:
    """Multi-class target: mutual information of each (discretised) feature, as a share of H(target)."""
    schema = train.schema
    data = frame.select(target, *features).collect(engine="streaming")
    findings, scores, skipped = [], [], []
    for c in features:
        dtype = schema[c]
        col = pl.col(c).fill_nan(None) if dtype.is_float() else pl.col(c)
        if dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean:
            # MI_BINS rank bins (ties share a bin), null stays null
            x = ((col.rank("min") - 1) * MI_BINS // col.count()).cast(pl.Int64)
        elif (dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))) and data[c].n_unique() <= MAX_CATEGORIES:
            x = col.cast(pl.String)
        else:
            skipped.append(c)
            continue
        pairs = data.select(x.alias("x"), pl.col(target).alias("y"))
        nulls = int(pairs["x"].null_count())
        ratio = _mi_ratio(pairs.drop_nulls("x"))
        miss_ratio = _mi_ratio(pairs.with_columns(pl.col("x").is_null())) if 0 < nulls < data.height else None
        scores.append({"column": c, "nulls": nulls, "mi_ratio": ratio, "missing_mi_ratio": miss_ratio,
                       "score": ratio, "missing_score": miss_ratio})
        for check, value, what in (("target_leakage", ratio, f"{c!r}"), ("missingness_leakage", miss_ratio, f"whether {c!r} is missing")):
            if value is not None and value >= mi_threshold:
                findings.append(Finding(
                    check, "error",
                    f"{what} alone predicts {target!r} on {train.label}: mutual information {value:.4f} of the target's entropy ≥ {mi_threshold}",
                    {"column": c, "metric": "mutual information / H(target)", "score": value, "threshold": mi_threshold, "nulls": nulls},
                    f"check how {c!r} is made (or why it is missing): what alone gives away the label is usually derived from it "
                    "or recorded after it; drop it, or rebuild it as of the event time (mlprep join asof)",
                ))
    return findings, _strongest_first(scores), _ran_note(f"ran on {len(scores)} features of {train.name!r} (multi-class target: mutual information)", skipped)


def mutual_information(pairs: pl.DataFrame) -> tuple[float, float]:
    """Mutual information of columns ``x`` and ``y`` and the entropy of ``y`` (nats), from counts."""
    import math

    n = pairs.height
    if n == 0:
        return 0.0, 0.0
    joint = pairs.group_by("x", "y").len("nxy")
    nx = pairs.group_by("x").len("nx")
    ny = pairs.group_by("y").len("ny")
    table = joint.join(nx, on="x", nulls_equal=True).join(ny, on="y", nulls_equal=True)
    mi = table.select(
        (pl.col("nxy") / n * (pl.col("nxy").cast(pl.Float64) * n / (pl.col("nx") * pl.col("ny"))).log()).sum()
    ).item()
    h = -sum((k / n) * math.log(k / n) for k in ny["ny"].to_list())
    return max(float(mi), 0.0), h


def _mi_ratio(pairs: pl.DataFrame) -> float | None:
    mi, h = mutual_information(pairs)
    return None if h <= 0 else min(mi / h, 1.0)


def _auc_aggs(prefix: str, x: pl.Expr, y: pl.Expr) -> list[pl.Expr]:
    """Aggregates giving the Mann–Whitney AUC of x for y (average ranks over rows where x is known)."""
    valid = x.is_not_null()
    rank = x.rank("average")  # nulls stay null and are not ranked
    return [
        (rank * y).sum().alias(f"{prefix}:rank_pos"),
        (valid & (y == 1)).sum().alias(f"{prefix}:pos"),
        (valid & (y == 0)).sum().alias(f"{prefix}:neg"),
    ]


def _auc(stats: dict[str, Any], prefix: str) -> float | None:
    pos, neg = int(stats[f"{prefix}:pos"]), int(stats[f"{prefix}:neg"])
    if pos == 0 or neg == 0:
        return None
    rank_pos = float(stats[f"{prefix}:rank_pos"] or 0.0)
    return (rank_pos - pos * (pos + 1) / 2) / (pos * neg)


def _strength(auc: float | None) -> float | None:
    return None if auc is None else max(auc, 1 - auc)


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


# ---- lineage ----------------------------------------------------------------------------------


def _family(step: str) -> str:
    return step.split(".")[0]


def _is_fitted(m: "Manifest") -> bool:
    return m.state is not None or bool(m.fit_inputs())


def _lineage_findings(splits: Sequence[SplitData]) -> tuple[list[Finding], str]:
    findings: dict[str, Finding] = {}

    def add(f: Finding) -> None:
        # One run of a step writes several outputs (one per split): report it once, listing them.
        output = f.evidence.pop("output")
        known = findings.setdefault(f.message, f)
        known.evidence.setdefault("outputs", [])
        if output not in known.evidence["outputs"]:
            known.evidence["outputs"].append(output)

    without = [s.name for s in splits if s.manifest is None]
    for split in splits:
        if split.manifest is None:
            continue
        for _, m in split.manifest.walk():
            where = f"`{m.step}`"
            for inp in m.fit_inputs():
                if inp.role in ("valid", "test"):
                    add(Finding(
                        "lineage.fit_on_non_train", "error",
                        f"{where} fitted its statistics on {inp.path!r}, whose role is {inp.role!r}",
                        {"step": m.step, "output": m.output.path, "fit_input": inp.path, "role": inp.role},
                        "fit on the training split only and apply the stored statistics to the others (train split first, or --state)",
                    ))
            if _family(m.step) == "balance" and m.output.role in ("valid", "test"):
                add(Finding(
                    "lineage.balance_on_non_train", "error",
                    f"{where} resampled a {m.output.role!r} split: its class balance no longer reflects real data",
                    {"step": m.step, "output": m.output.path, "role": m.output.role},
                    "balance only the training split; evaluate on valid and test as they are",
                ))
            if m.params.get("allow_leakage"):
                add(Finding(
                    "lineage.allow_leakage", "warn",
                    f"{where} ran with --allow-leakage",
                    {"step": m.step, "output": m.output.path, "command": " ".join(m.command)},
                    "rerun that step without --allow-leakage, fitting on the training split",
                ))
            if _family(m.step) != "split":
                continue
            if not m.params.get("time_col"):
                temporal = sorted({c for i in m.data_inputs() for c, t in i.schema.items() if t.startswith(("Datetime", "Date"))})
                if temporal:
                    add(Finding(
                        "lineage.random_split_of_temporal_data", "warn",
                        f"{where} split data with a time column ({', '.join(repr(c) for c in temporal)}) without --time-col: "
                        "a random split lets the model train on the future of its test rows",
                        {"step": m.step, "output": m.output.path, "temporal_columns": temporal, "params": m.params},
                        f"split by time: mlprep split --time-col {temporal[0]}",
                    ))
            for inp in m.inputs:
                if inp.lineage is None:
                    continue
                for _, a in inp.lineage.walk():
                    if _family(a.step) == "balance":
                        add(Finding(
                            "lineage.balance_before_split", "error",
                            f"`{a.step}` resampled the data before {where}: "
                            "synthetic or copied rows of one split can land in another",
                            {"step": a.step, "output": a.output.path, "split_step": m.step},
                            "split first, then balance the training split only",
                        ))
                    elif _is_fitted(a):
                        add(Finding(
                            "lineage.fit_before_split", "warn",
                            f"`{a.step}` fitted statistics before {where}: they include the later splits' rows",
                            {"step": a.step, "output": a.output.path, "split_step": m.step},
                            "split first, then fit on the training split and apply to the others",
                        ))
    note = "ran on the recorded manifests"
    if without:
        note += f"; no lineage for {', '.join(repr(n) for n in without)}"
    return list(findings.values()), note
