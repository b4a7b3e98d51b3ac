"""Time split 70/15/15 as commonly written: load, quantile cut points, boolean masks, three files."""
import sys
from pathlib import Path

import pandas as pd

src, out_dir = sys.argv[1], Path(sys.argv[2])
out_dir.mkdir(parents=True, exist_ok=True)
df = pd.read_parquet(src)
t = df["event_time"]
c1, c2 = t.quantile([0.7, 0.85], interpolation="lower")
df[t < c1].to_parquet(out_dir / "train.parquet", compression="zstd", index=False)
df[(t >= c1) & (t < c2)].to_parquet(out_dir / "valid.parquet", compression="zstd", index=False)
df[t >= c2].to_parquet(out_dir / "test.parquet", compression="zstd", index=False)
