"""Drift per column, reference vs current: PSI (10 reference-decile bins / categories), KS statistic,
missing-rate change for numbers; PSI and chi-square statistic for categories."""
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
result = {}
for c in cols:
    r, k = ref[c], cur[c]
    entry = {"missing_change": k.null_count() / len(k) - r.null_count() / len(r)}
    if schema[c].is_numeric():
        rv, kv = np.sort(r.drop_nulls().to_numpy()), np.sort(k.drop_nulls().to_numpy())
        edges = np.unique(np.quantile(rv, np.linspace(0, 1, 11)[1:-1]))
        p = np.bincount(np.searchsorted(edges, rv, side="right"), minlength=len(edges) + 1) / len(rv)
        q = np.bincount(np.searchsorted(edges, kv, side="right"), minlength=len(edges) + 1) / len(kv)
        grid = np.concatenate([rv, kv])
        ks = np.max(np.abs(np.searchsorted(rv, grid, side="right") / len(rv) - np.searchsorted(kv, grid, side="right") / len(kv)))
        entry["ks"] = float(ks)
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
