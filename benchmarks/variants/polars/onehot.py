"""One-hot encode country: vocabulary from one group-by pass, then a streaming map."""
import sys

import polars as pl

src, out, col = sys.argv[1], sys.argv[2], "country"
vocab = pl.scan_parquet(src).select(pl.col(col).unique().sort()).collect(engine="streaming")[col].drop_nulls().to_list()
(pl.scan_parquet(src)
 .with_columns((pl.col(col) == v).fill_null(False).cast(pl.Float64).alias(f"{col}__{v}") for v in vocab)
 .drop(col).sink_parquet(out, compression="zstd"))
