"""Time split 70/15/15 in DuckDB: cut points with quantile_disc, one COPY per split."""
import sys
from pathlib import Path

import duckdb

src, out_dir = sys.argv[1], Path(sys.argv[2])
out_dir.mkdir(parents=True, exist_ok=True)
con = duckdb.connect()
c1, c2 = con.execute(f"SELECT quantile_disc(event_time, 0.7), quantile_disc(event_time, 0.85) FROM read_parquet('{src}')").fetchone()
c1, c2 = f"TIMESTAMP '{c1.isoformat(' ')}'", f"TIMESTAMP '{c2.isoformat(' ')}'"
for name, cond in [("train", f"event_time < {c1}"), ("valid", f"event_time >= {c1} AND event_time < {c2}"), ("test", f"event_time >= {c2}")]:
    con.execute(f"COPY (SELECT * FROM read_parquet('{src}') WHERE {cond}) TO '{out_dir / name}.parquet' (FORMAT parquet, COMPRESSION zstd)")
