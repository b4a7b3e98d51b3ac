"""As-of join: each event gets the latest feature row of its user strictly before its time; event order kept."""
import sys

import polars as pl

events, features, out = sys.argv[1:4]
ev = pl.scan_parquet(events).with_row_index("__i").sort("event_time")
ft = pl.scan_parquet(features).rename({"event_time": "__feature_time"}).sort("__feature_time")
(ev.join_asof(ft, left_on="event_time", right_on="__feature_time", by="user_id", strategy="backward", allow_exact_matches=False)
 .sort("__i").drop("__i", "__feature_time").sink_parquet(out, compression="zstd"))
