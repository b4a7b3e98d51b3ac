"""Weighted sample of n rows without replacement, probabilities proportional to amount.

pandas 3 refuses DataFrame.sample(n, weights=...) without replacement on skewed weights, so users
fall back to numpy's Generator.choice with p=.
"""
import sys

import numpy as np
import pandas as pd

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
df = pd.read_parquet(src)
w = df["amount"].to_numpy()
idx = np.random.default_rng(0).choice(len(df), size=n, replace=False, p=w / w.sum())
df.iloc[np.sort(idx)].to_parquet(out, compression="zstd", index=False)
