"""Time split 70/15/15: cut points from one pass over the time column, one collect_all over three sinks."""
import sys
from pathlib import Path

import polars as pl

src, out_dir = sys.argv[1], Path(sys.argv[2])
out_dir.mkdir(parents=True, exist_ok=True)
times = pl.scan_parquet(src).select(pl.col("event_time").sort()).collect(engine="streaming")["event_time"]
n = len(times)
c1, c2 = times[int(n * 0.7)], times[int(n * 0.85)]
t = pl.col("event_time")
lf = pl.scan_parquet(src)
sinks = [
    lf.filter(cond).sink_parquet(out_dir / f"{name}.parquet", compression="zstd", lazy=True)
    for name, cond in [("train", t < c1), ("valid", (t >= c1) & (t < c2)), ("test", t >= c2)]
]
pl.collect_all(sinks, engine="streaming")
