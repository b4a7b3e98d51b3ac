"""Read the whole file into pandas and write it back as zstd Parquet."""
import sys

import pandas as pd

src, out = sys.argv[1:3]
pd.read_parquet(src).to_parquet(out, compression="zstd", index=False)
