"""Per-column profile with DuckDB's SUMMARIZE."""
import sys

import duckdb

duckdb.sql(f"SUMMARIZE SELECT * FROM read_parquet('{sys.argv[1]}')").write_csv("/dev/stdout")
