"""Stratified 10% by is_fraud with scikit-learn's train_test_split (exact per-class counts)."""
import sys

import pandas as pd
from sklearn.model_selection import train_test_split

src, out = sys.argv[1:3]
df = pd.read_parquet(src)
sample, _ = train_test_split(df, train_size=0.1, stratify=df["is_fraud"], random_state=0)
sample.sort_index().to_parquet(out, compression="zstd", index=False)
