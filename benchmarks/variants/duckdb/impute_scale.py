"""Median impute + standard scale of f0..f9 in DuckDB: statistics from train, applied to all splits."""
import sys
from pathlib import Path

import duckdb

train, valid, test, out_dir = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
out_dir.mkdir(parents=True, exist_ok=True)
cols = [f"f{j}" for j in range(10)]
con = duckdb.connect()
meds = con.execute(f"SELECT {', '.join(f'median({c})' for c in cols)} FROM read_parquet('{train}')").fetchone()
filled = [f"coalesce({c}, {m!r})" for c, m in zip(cols, meds)]
moments = con.execute(f"SELECT {', '.join(f'avg({e}), stddev_pop({e})' for e in filled)} FROM read_parquet('{train}')").fetchone()
exprs = [f"({e} - {moments[2 * i]!r}) / {moments[2 * i + 1] or 1.0!r} AS {c}" for i, (c, e) in enumerate(zip(cols, filled))]
for path in (train, valid, test):
    con.execute(f"COPY (SELECT * REPLACE ({', '.join(exprs)}) FROM read_parquet('{path}')) "
                f"TO '{out_dir / Path(path).name}' (FORMAT parquet, COMPRESSION zstd)")
