"""I/O floor: read the whole file and write it back as zstd Parquet, streaming."""
import sys

import polars as pl

src, out = sys.argv[1:3]
pl.scan_parquet(src).sink_parquet(out, compression="zstd")
