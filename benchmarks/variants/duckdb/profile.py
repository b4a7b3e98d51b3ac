"""Per-column profile in DuckDB: nulls, distinct counts, min/max/mean/std/skewness, top 5 text values.

The same statistics as the polars script (SUMMARIZE would add approximate quantiles, which cost
far more and are not what mlprep profile computes).
"""
import json
import sys

import duckdb

src = sys.argv[1]
con = duckdb.connect()
con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{src}')")
schema = con.execute("SELECT column_name, column_type FROM (DESCRIBE t)").fetchall()
numeric = [c for c, t in schema if t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT")]
text = [c for c, t in schema if t == "VARCHAR"]
exprs = ["count(*)"]
for c, _ in schema:
    exprs += [f'count(*) - count("{c}")', f'count(DISTINCT "{c}")']
for c in numeric:
    exprs += [f'min("{c}")', f'max("{c}")', f'avg("{c}")', f'stddev_samp("{c}")', f'skewness("{c}")']
stats = con.execute(f"SELECT {', '.join(exprs)} FROM t").fetchone()
tops = {c: con.execute(f'SELECT "{c}", count(*) AS n FROM t GROUP BY 1 ORDER BY n DESC LIMIT 5').fetchall() for c in text}
json.dump({"stats": stats, "top": tops}, sys.stdout, default=str)
