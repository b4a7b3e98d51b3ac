"""One-hot encode country with scikit-learn's OneHotEncoder (dense output), fit on the file."""
import sys

import pandas as pd
from sklearn.preprocessing import OneHotEncoder

src, out = sys.argv[1:3]
df = pd.read_parquet(src)
enc = OneHotEncoder(handle_unknown="infrequent_if_exist", sparse_output=False).fit(df[["country"]])
encoded = pd.DataFrame(enc.transform(df[["country"]]), columns=enc.get_feature_names_out(), index=df.index)
pd.concat([df.drop(columns="country"), encoded], axis=1).to_parquet(out, compression="zstd", index=False)
