"""Uniform sample of n rows without replacement: n indices from the row count, then a streaming filter."""
import sys

import numpy as np
import polars as pl

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = pl.scan_parquet(src).select(pl.len()).collect().item()
chosen = np.sort(np.random.default_rng(0).choice(rows, n, replace=False))
(pl.scan_parquet(src).with_row_index("__i").filter(pl.col("__i").is_in(pl.Series(chosen).cast(pl.UInt32)))
 .drop("__i").sink_parquet(out, compression="zstd"))
