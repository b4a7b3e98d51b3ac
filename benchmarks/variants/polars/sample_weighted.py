"""Weighted sample of n rows without replacement (Efraimidis-Spirakis keys on the weight column)."""
import sys

import numpy as np
import polars as pl

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
w = pl.scan_parquet(src).select("amount").collect(engine="streaming")["amount"].to_numpy()
keys = np.log(np.random.default_rng(0).random(len(w))) / w  # larger is better; zero weights -> -inf
chosen = np.sort(np.argpartition(-keys, n - 1)[:n])
(pl.scan_parquet(src).with_row_index("__i").filter(pl.col("__i").is_in(pl.Series(chosen).cast(pl.UInt32)))
 .drop("__i").sink_parquet(out, compression="zstd"))
