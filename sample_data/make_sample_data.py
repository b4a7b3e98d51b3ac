"""Generate the synthetic card-transactions dataset used by the README, demo and benchmarks.

    python sample_data/make_sample_data.py                      # sample_data/transactions.parquet (50k rows)
    python sample_data/make_sample_data.py --rows 10000000 -o big.parquet

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", default=str(Path(__file__).with_name("transactions.parquet")))
    args = parser.parse_args()
    generate(args.rows, args.seed).write_parquet(args.output, compression="zstd", compression_level=19, row_group_size=1_000_000)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
