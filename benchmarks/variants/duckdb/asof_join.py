"""As-of join in DuckDB (ASOF LEFT JOIN, feature time strictly before event time), event order kept."""
import sys

import duckdb

events, features, out = sys.argv[1:4]
duckdb.sql(f"""COPY (
  SELECT e.* EXCLUDE (file_row_number), f.* EXCLUDE (user_id, event_time)
  FROM read_parquet('{events}', file_row_number = true) e
  ASOF LEFT JOIN read_parquet('{features}') f ON e.user_id = f.user_id AND e.event_time > f.event_time
  ORDER BY e.file_row_number
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)""")
