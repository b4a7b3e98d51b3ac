"""As-of join: each event gets the latest feature row of its user strictly before its time; event order kept.

Joins a narrow frame (row index, key, time) so only the feature columns are sorted back into
event order, then sets them beside the untouched events.
"""
import sys

import polars as pl

events, features, out = sys.argv[1:4]
ev = pl.scan_parquet(events)
ft = pl.scan_parquet(features).rename({"event_time": "__feature_time"}).sort("__feature_time")
matched = (ev.select("user_id", "event_time").with_row_index("__i").sort("event_time")
           .join_asof(ft, left_on="event_time", right_on="__feature_time", by="user_id", strategy="backward",
                      allow_exact_matches=False)
           .sort("__i").drop("__i", "user_id", "event_time", "__feature_time"))
pl.concat([ev, matched], how="horizontal").sink_parquet(out, compression="zstd")
