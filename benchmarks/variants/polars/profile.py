"""Per-column profile: nulls, distinct counts, min/max/mean/std/skew for numbers, top 5 values for text."""
import json
import sys

import polars as pl

src = sys.argv[1]
lf = pl.scan_parquet(src)
schema = lf.collect_schema()
numeric = [c for c, t in schema.items() if t.is_numeric()]
text = [c for c, t in schema.items() if t == pl.String]
exprs = [pl.len().alias("__rows")]
for c in schema:
    exprs += [pl.col(c).null_count().alias(f"{c}__nulls"), pl.col(c).n_unique().alias(f"{c}__distinct")]
for c in numeric:
    col = pl.col(c)
    exprs += [col.min().cast(pl.Float64).alias(f"{c}__min"), col.max().cast(pl.Float64).alias(f"{c}__max"),
              col.mean().alias(f"{c}__mean"), col.std().alias(f"{c}__std"), col.skew().alias(f"{c}__skew")]
queries = [lf.select(exprs)] + [lf.group_by(c).len().sort("len", descending=True).head(5) for c in text]
stats, *tops = pl.collect_all(queries, engine="streaming")
result = {"stats": stats.row(0, named=True), "top": {c: t.rows() for c, t in zip(text, tops)}}
json.dump(result, sys.stdout, default=str)
