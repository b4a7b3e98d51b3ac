"""Weighted sample of n rows without replacement in DuckDB (Efraimidis-Spirakis keys, top n)."""
import sys

import duckdb

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.execute("SELECT setseed(0.5)")
con.execute(f"COPY (SELECT * FROM read_parquet('{src}') WHERE amount > 0 ORDER BY ln(random()) / amount DESC LIMIT {n}) "
            f"TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
