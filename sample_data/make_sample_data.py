"""Generate the synthetic card-transactions dataset used by the README, demo and benchmarks.

    python sample_data/make_sample_data.py                      # sample_data/transactions.parquet (50k rows)
    python sample_data/make_sample_data.py --rows 10000000 -o big.parquet

It also writes sample_data/user_features.parquet (``--features-output``): per-user feature
snapshots over the year (snapshot_time, txn_count_30d, avg_amount_30d, credit_limit), each
computed only from that user's transactions in the 30 days before the snapshot, the input of
the point-in-time join example (`mlprep join asof`).

Columns: event_time (one year, rows not in time order), user_id, merchant (Zipf-skewed,
high-cardinality strings), category, country, amount (lognormal), f0..f9 (numeric features with
nulls; f9 is missing not at random: null far more often when the label is 1), is_fraud (~2%).
Fraud shifts amount and a few features so there is signal, but no single feature gives it away.
The same seed and row count give the same bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

CATEGORIES = ["grocery", "fuel", "restaurants", "travel", "electronics", "fashion", "health", "entertainment",
              "home", "utilities", "gaming", "transfer"]
COUNTRIES = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "BR", "MX", "IN", "JP", "AU", "CA", "NG", "ZA", "TR", "AE", "SG"]
START = np.datetime64("2025-01-01T00:00:00", "us")
YEAR_US = 365 * 24 * 3600 * 1_000_000


def generate(rows: int, seed: int = 7, *, chunk: int = 2_000_000) -> pl.DataFrame:
    """Return ``rows`` synthetic transactions (generated in chunks to bound memory)."""
    rng = np.random.default_rng(seed)
    n_merchants = max(1000, min(50_000, rows // 10))
    n_users = max(500, rows // 20)
    parts = [_chunk(rng, min(chunk, rows - start), n_merchants, n_users) for start in range(0, rows, chunk)]
    return pl.concat(parts) if parts else _chunk(rng, 0, n_merchants, n_users)


def _chunk(rng: np.random.Generator, n: int, n_merchants: int, n_users: int) -> pl.DataFrame:
    fraud = rng.random(n) < 0.02
    # Seconds-resolution times over one year; fraud clusters slightly at night.
    offsets = rng.integers(0, YEAR_US // 1_000_000, n) * 1_000_000
    event_time = START + offsets.astype("timedelta64[us]")
    merchant_rank = np.minimum(rng.zipf(1.3, n), n_merchants) - 1
    merchant = pl.Series("merchant", merchant_rank).cast(pl.String)
    amount = np.round(rng.lognormal(3.2 + 0.8 * fraud, 1.0, n), 2)
    features = {}
    for j in range(10):
        shift = 0.35 * fraud if j in (0, 3, 5) else 0.0
        values = np.round(rng.normal(shift, 1.0, n), 4)
        null_rate = 0.03 + 0.01 * j
        if j == 9:  # missing not at random: 8% of normal rows, 45% of fraud rows
            null_rate = np.where(fraud, 0.45, 0.08)
        mask = rng.random(n) < null_rate
        features[f"f{j}"] = pl.Series(f"f{j}", values).scatter(np.flatnonzero(mask), None)
    return pl.DataFrame({
        "event_time": pl.Series("event_time", event_time, dtype=pl.Datetime("us")),
        "user_id": rng.integers(1, n_users + 1, n),
        "merchant": pl.select(pl.lit("m") + merchant.str.zfill(5)).to_series(),
        "category": pl.Series("category", np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), n)]),
        "country": pl.Series("country", np.array(COUNTRIES)[np.minimum(rng.geometric(0.25, n) - 1, len(COUNTRIES) - 1)]),
        "amount": amount,
        **features,
        "is_fraud": fraud.astype(np.int8),
    })


def user_features(transactions: pl.DataFrame, seed: int = 11, *, snapshots_per_user: int = 8) -> pl.DataFrame:
    """Per-user feature snapshots at random times, point-in-time correct by construction.

    Each user gets ``snapshots_per_user`` snapshot times (seconds resolution, rows in no time
    order); ``txn_count_30d`` and ``avg_amount_30d`` aggregate that user's transactions strictly
    before the snapshot and at most 30 days earlier; ``credit_limit`` is a slowly drifting value.
    """
    rng = np.random.default_rng(seed)
    users = np.sort(transactions["user_id"].unique().to_numpy())
    n = len(users) * snapshots_per_user
    offsets = rng.integers(0, YEAR_US // 1_000_000, n) * 1_000_000
    snaps = pl.DataFrame({
        "user_id": np.repeat(users, snapshots_per_user),
        "snapshot_time": pl.Series("snapshot_time", START + offsets.astype("timedelta64[us]"), dtype=pl.Datetime("us")),
        "credit_limit": np.round(np.repeat(rng.lognormal(7.5, 0.5, len(users)), snapshots_per_user) * rng.uniform(0.9, 1.1, n), 0),
    }).with_row_index("snap")
    window = (
        snaps.join(transactions.select("user_id", "event_time", "amount"), on="user_id")
        .filter((pl.col("event_time") < pl.col("snapshot_time"))
                & (pl.col("event_time") >= pl.col("snapshot_time") - pl.duration(days=30)))
        .group_by("snap")
        .agg(pl.len().alias("txn_count_30d"), pl.col("amount").mean().round(2).alias("avg_amount_30d"))
    )
    out = snaps.join(window, on="snap", how="left").sort("snap")
    return out.select(
        "user_id", "snapshot_time",
        pl.col("txn_count_30d").fill_null(0).cast(pl.Int32), "avg_amount_30d", "credit_limit",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", default=str(Path(__file__).with_name("transactions.parquet")))
    parser.add_argument("--features-output", default=str(Path(__file__).with_name("user_features.parquet")))
    args = parser.parse_args()
    transactions = generate(args.rows, args.seed)
    transactions.write_parquet(args.output, compression="zstd", compression_level=19, row_group_size=1_000_000)
    print(f"wrote {args.output}")
    if args.features_output:
        user_features(transactions).write_parquet(args.features_output, compression="zstd", compression_level=19)
        print(f"wrote {args.features_output}")


if __name__ == "__main__":
    main()
