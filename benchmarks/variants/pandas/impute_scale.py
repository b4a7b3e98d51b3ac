"""Median impute + standard scale of f0..f9 with SimpleImputer and StandardScaler, fit on train."""
import sys
from pathlib import Path

import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

paths, out_dir = sys.argv[1:4], Path(sys.argv[4])
out_dir.mkdir(parents=True, exist_ok=True)
cols = [f"f{j}" for j in range(10)]
frames = [pd.read_parquet(p) for p in paths]
pipe = make_pipeline(SimpleImputer(strategy="median"), StandardScaler()).fit(frames[0][cols])
for path, df in zip(paths, frames):
    df[cols] = pipe.transform(df[cols])
    df.to_parquet(out_dir / Path(path).name, compression="zstd", index=False)
