"""SMOTE on f0..f9 / is_fraud: read with polars, imbalanced-learn on numpy, write with polars."""
import sys

import polars as pl
from imblearn.over_sampling import SMOTE

src, out = sys.argv[1], sys.argv[2]
cols = [f"f{j}" for j in range(10)]
df = pl.read_parquet(src, columns=[*cols, "is_fraud"])
X, y = df.select(cols).to_numpy().astype("float64", copy=False), df["is_fraud"].to_numpy()
Xr, yr = SMOTE(random_state=0).fit_resample(X, y)
result = pl.DataFrame(Xr, schema=cols).with_columns(pl.Series("is_fraud", yr).cast(df.schema["is_fraud"]))
result.write_parquet(out, compression="zstd")
