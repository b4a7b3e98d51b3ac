"""Hash merchant and category with scikit-learn's FeatureHasher (dict input: tokens "col=value").

Writes the CSR rows as one list-of-struct {index, value} column next to the other columns, the
same sparse output mlprep writes.
"""
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.feature_extraction import FeatureHasher

src, out = sys.argv[1:3]
cols = ["merchant", "category"]
df = pd.read_parquet(src)
records = ({c: v for c, v in zip(cols, row) if v is not None} for row in df[cols].itertuples(index=False, name=None))
X = FeatureHasher(n_features=1 << 20, input_type="dict").transform(records).tocsr()
X.sort_indices()
entries = pa.StructArray.from_arrays([pa.array(X.indices.astype(np.uint32)), pa.array(X.data)], names=["index", "value"])
hashed = pa.ListArray.from_arrays(pa.array(X.indptr.astype(np.int32)), entries)
table = pa.Table.from_pandas(df.drop(columns=cols), preserve_index=False).append_column("hashed", hashed)
pq.write_table(table, out, compression="zstd")
