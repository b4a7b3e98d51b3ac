"""As-of join with pandas.merge_asof (strictly before), event order restored."""
import sys

import pandas as pd

events, features, out = sys.argv[1:4]
ev = pd.read_parquet(events)
ft = pd.read_parquet(features).rename(columns={"event_time": "feature_time"})
ev["__i"] = range(len(ev))
joined = pd.merge_asof(ev.sort_values("event_time"), ft.sort_values("feature_time"), left_on="event_time",
                       right_on="feature_time", by="user_id", allow_exact_matches=False)
joined.sort_values("__i").drop(columns=["__i", "feature_time"]).to_parquet(out, compression="zstd", index=False)
