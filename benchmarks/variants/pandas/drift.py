"""Drift per column with pandas + scipy: PSI on reference deciles, KS test, chi-square for categories."""
import json
import sys

import numpy as np
import pandas as pd
from scipy import stats

ref_path, cur_path = sys.argv[1:3]
cols = sys.argv[3].split(",")
ref, cur = pd.read_parquet(ref_path, columns=cols), pd.read_parquet(cur_path, columns=cols)
eps, result = 1e-4, {}
for c in cols:
    r, k = ref[c], cur[c]
    entry = {"missing_change": float(k.isna().mean() - r.isna().mean())}
    if pd.api.types.is_numeric_dtype(r):
        rv, kv = r.dropna().to_numpy(), k.dropna().to_numpy()
        edges = np.unique(np.quantile(rv, np.linspace(0, 1, 11)))
        edges[0], edges[-1] = -np.inf, np.inf
        p = np.histogram(rv, edges)[0] / len(rv)
        q = np.histogram(kv, edges)[0] / len(kv)
        ks = stats.ks_2samp(rv, kv)
        entry.update(ks=float(ks.statistic), ks_p=float(ks.pvalue))
    else:
        rc, kc = r.value_counts(), k.value_counts()
        cats = rc.index.union(kc.index)
        rc, kc = rc.reindex(cats, fill_value=0), kc.reindex(cats, fill_value=0)
        p, q = (rc / rc.sum()).to_numpy(), (kc / kc.sum()).to_numpy()
        chi = stats.chi2_contingency(np.vstack([rc.to_numpy(), kc.to_numpy()]))
        entry.update(chi2=float(chi.statistic), chi2_p=float(chi.pvalue))
    p, q = np.maximum(p, eps), np.maximum(q, eps)
    entry["psi"] = float(np.sum((q - p) * np.log(q / p)))
    result[c] = entry
json.dump(result, sys.stdout)
