"""SMOTE on f0..f9 / is_fraud with imbalanced-learn on pandas frames."""
import sys

import pandas as pd
from imblearn.over_sampling import SMOTE

src, out = sys.argv[1:3]
cols = [f"f{j}" for j in range(10)]
df = pd.read_parquet(src)
X, y = SMOTE(random_state=0).fit_resample(df[cols], df["is_fraud"])
X.assign(is_fraud=y).to_parquet(out, compression="zstd", index=False)
