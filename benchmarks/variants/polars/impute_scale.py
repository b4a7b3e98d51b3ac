"""Median impute + standard scale of f0..f9: fit on train, apply to train, valid and test (one collect_all)."""
import sys
from pathlib import Path

import polars as pl

train, valid, test, out_dir = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
out_dir.mkdir(parents=True, exist_ok=True)
cols = [f"f{j}" for j in range(10)]
lf = pl.scan_parquet(train)
med = lf.select(pl.col(cols).median()).collect(engine="streaming").row(0, named=True)
filled = [pl.col(c).fill_null(med[c]) for c in cols]
stats = lf.select([e.mean().alias(f"{c}_mean") for c, e in zip(cols, filled)]
                  + [e.std(ddof=0).alias(f"{c}_std") for c, e in zip(cols, filled)]).collect(engine="streaming").row(0, named=True)
apply = [((pl.col(c).fill_null(med[c]) - stats[f"{c}_mean"]) / (stats[f"{c}_std"] or 1.0)).alias(c) for c in cols]
sinks = [pl.scan_parquet(p).with_columns(apply).sink_parquet(out_dir / Path(p).name, compression="zstd", lazy=True)
         for p in (train, valid, test)]
pl.collect_all(sinks, engine="streaming")
