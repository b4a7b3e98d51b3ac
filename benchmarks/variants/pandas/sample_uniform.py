"""Uniform sample of n rows without replacement with DataFrame.sample."""
import sys

import pandas as pd

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
df = pd.read_parquet(src)
df.sample(n=n, random_state=0).sort_index().to_parquet(out, compression="zstd", index=False)
