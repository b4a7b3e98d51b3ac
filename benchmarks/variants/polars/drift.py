"""Drift per column, reference vs current: PSI (10 reference-decile bins / categories), KS statistic,
missing-rate change for numbers; PSI and chi-square statistic for categories.

KS comes from one multi-threaded polars sort of both samples stacked with signed weights (the
running sum is n_ref·n_cur·(F_ref − F_cur)), the fastest exact way polars offers.
"""
import json
import sys

import numpy as np
import polars as pl

ref_path, cur_path = sys.argv[1:3]
cols = sys.argv[3].split(",")
eps = 1e-4
ref_lf, cur_lf = pl.scan_parquet(ref_path).select(cols), pl.scan_parquet(cur_path).select(cols)
schema = ref_lf.collect_schema()
ref, cur = pl.collect_all([ref_lf, cur_lf], engine="streaming")


def ks_statistic(r: pl.Series, k: pl.Series) -> float:
    n1, n2 = r.len(), k.len()
    stacked = pl.concat([
        pl.DataFrame({"v": r.cast(pl.Float64), "w": pl.repeat(n2, n1, dtype=pl.Int64, eager=True)}),
        pl.DataFrame({"v": k.cast(pl.Float64), "w": pl.repeat(-n1, n2, dtype=pl.Int64, eager=True)}),
    ])
    nxt = pl.col("v").shift(-1)
    d = (stacked.lazy().sort("v").select(pl.col("w").cum_sum().alias("c"), nxt.alias("next"), "v")
         .filter(pl.col("next").is_null() | (pl.col("next") != pl.col("v")))
         .select(pl.col("c").abs().max()).collect().item())
    return d / (n1 * n2)


result = {}
for c in cols:
    r, k = ref[c], cur[c]
    entry = {"missing_change": k.null_count() / len(k) - r.null_count() / len(r)}
    if schema[c].is_numeric():
        rv, kv = r.drop_nulls(), k.drop_nulls()
        edges = np.unique(np.quantile(rv.to_numpy(), np.linspace(0, 1, 11)[1:-1])).tolist()
        counts = [[(s <= e).sum() for e in edges] + [s.len()] for s in (rv, kv)]
        p, q = (np.diff(np.array(cnt), prepend=0) / cnt[-1] for cnt in counts)
        entry["ks"] = ks_statistic(rv, kv)
    else:
        rc = r.value_counts().rename({"count": "ref"})
        kc = k.value_counts().rename({"count": "cur"})
        both = rc.join(kc, on=c, how="full", coalesce=True).fill_null(0)
        p, q = (both["ref"] / both["ref"].sum()).to_numpy(), (both["cur"] / both["cur"].sum()).to_numpy()
        expected = p * len(k)
        entry["chi2"] = float(np.sum((both["cur"].to_numpy() - expected) ** 2 / np.maximum(expected, eps)))
    p, q = np.maximum(p, eps), np.maximum(q, eps)
    entry["psi"] = float(np.sum((q - p) * np.log(q / p)))
    result[c] = entry
json.dump(result, sys.stdout)
