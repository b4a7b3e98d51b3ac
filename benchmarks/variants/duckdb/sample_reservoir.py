"""Reservoir sample of n rows with DuckDB's USING SAMPLE reservoir."""
import sys

import duckdb

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
duckdb.sql(f"COPY (SELECT * FROM read_parquet('{src}') USING SAMPLE reservoir({n} ROWS) REPEATABLE (0)) "
           f"TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
