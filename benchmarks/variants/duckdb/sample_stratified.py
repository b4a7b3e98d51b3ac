"""Stratified 10% by is_fraud in DuckDB: random order within each class, keep round(10%) per class."""
import sys

import duckdb

src, out = sys.argv[1:3]
con = duckdb.connect()
con.execute("SELECT setseed(0.5)")
con.execute(f"""COPY (
  SELECT * EXCLUDE (__u, __r, __n) FROM (
    SELECT *, row_number() OVER (PARTITION BY is_fraud ORDER BY __u) AS __r,
              count(*) OVER (PARTITION BY is_fraud) AS __n
    FROM (SELECT *, random() AS __u FROM read_parquet('{src}')))
  WHERE __r <= round(__n * 0.1)
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)""")
