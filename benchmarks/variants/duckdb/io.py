"""Read the whole file and write it back as zstd Parquet with DuckDB."""
import sys

import duckdb

src, out = sys.argv[1:3]
duckdb.sql(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
