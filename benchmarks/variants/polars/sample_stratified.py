"""Stratified 10% by is_fraud with exact per-stratum counts (largest remainder), input order kept.

Chooses row indices from the one column that decides them, then streams a filter over the file.
"""
import sys

import numpy as np
import polars as pl

src, out, frac = sys.argv[1], sys.argv[2], 0.1
strata = pl.scan_parquet(src).select("is_fraud").collect(engine="streaming")["is_fraud"].to_numpy()
values, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
exact = counts * frac
alloc = np.floor(exact).astype(np.int64)
alloc[np.argsort(-(exact - alloc), kind="stable")[: int(round(len(strata) * frac)) - alloc.sum()]] += 1
keys = np.random.default_rng(0).random(len(strata))
order = np.lexsort((keys, inverse))  # by stratum, then random key
starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
chosen = np.concatenate([order[s : s + a] for s, a in zip(starts, alloc)])
(pl.scan_parquet(src).with_row_index("__i").filter(pl.col("__i").is_in(pl.Series(np.sort(chosen)).cast(pl.UInt32)))
 .drop("__i").sink_parquet(out, compression="zstd"))
