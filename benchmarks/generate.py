"""Benchmark inputs: the sample_data transactions schema at any size, generated once and cached.

    python benchmarks/generate.py --rows 1000000           # benchmarks/data/1000000/…
    python benchmarks/generate.py --rows 10000000 --smote-rows 1000000

Everything is derived from ``sample_data/make_sample_data.py``'s generator (fixed seed), written
chunk by chunk so a 50M-row file never has to fit in memory, and cached under
``benchmarks/data/<rows>/`` (git-ignored). A file is written only if it is absent (to a
temporary name, renamed when complete), so the second run of a benchmark starts at once and
every variant reads the same bytes.

Files per size:

- ``transactions.parquet``: the raw table (17 columns; identical rows to ``generate(rows)``).
- ``splits/{train,valid,test}.parquet``: a 70/15/15 split by ``event_time``, the input of the
  impute + scale and drift benchmarks (made here with polars, so those benchmarks do not depend
  on ``mlprep split``).
- ``halves/{first,second}.parquet``: the first and the last half of the rows (two 5M-row files at
  10M rows), the reference and current data of the drift benchmark.
- ``features.parquet``: ``rows // 10`` feature rows (``user_id``, ``event_time``, ``feat_amount``,
  ``feat_score``) for the as-of join.
- ``smote.parquet`` (under ``benchmarks/data/smote-<n>/``): ``f0..f9`` (nulls filled with each
  column's median) and ``is_fraud``, the first ``n`` rows: SMOTE's input.
- ``tiny.parquet`` (``benchmarks/data/tiny/``): 1,000 rows, for start-up overhead.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED = 7
CHUNK = 2_000_000  # make_sample_data.generate's default, so the rows are identical to its output
FEATURES = [f"f{j}" for j in range(10)]
SPLIT_RATIOS = (0.7, 0.15, 0.15)


def _sample_module():
    """Import sample_data/make_sample_data.py (a script, not a package module)."""
    name = "mlprep_make_sample_data"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "sample_data" / "make_sample_data.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def iter_chunks(rows: int, seed: int = SEED, chunk: int = CHUNK):
    """Yield the rows of ``make_sample_data.generate(rows, seed, chunk=chunk)`` chunk by chunk.

    Same random stream, same chunking, so the concatenation equals ``generate``'s frame; only
    one chunk is in memory at a time.
    """
    sample = _sample_module()
    rng = np.random.default_rng(seed)
    n_merchants = max(1000, min(50_000, rows // 10))
    n_users = max(500, rows // 20)
    for start in range(0, rows, chunk):
        yield sample._chunk(rng, min(chunk, rows - start), n_merchants, n_users)


def _atomic(path: Path, write) -> Path:
    """Call ``write(tmp)`` and rename the temporary file onto ``path``; skip if it exists."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_transactions(path: Path, rows: int, *, seed: int = SEED, chunk: int = CHUNK) -> Path:
    """Write ``rows`` transactions to ``path`` (zstd Parquet) in bounded memory."""
    import pyarrow.parquet as pq

    def write(tmp: Path) -> None:
        writer = None
        try:
            for frame in iter_chunks(rows, seed, chunk):
                table = frame.to_arrow()
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table, row_group_size=256 * 1024)
        finally:
            if writer is not None:
                writer.close()

    return _atomic(path, write)


def write_splits(raw: Path, out_dir: Path) -> dict[str, Path]:
    """70/15/15 split by event_time (cut points at the 70% and 85% order statistics)."""
    paths = {name: out_dir / f"{name}.parquet" for name in ("train", "valid", "test")}
    if all(p.exists() for p in paths.values()):
        return paths
    times = pl.scan_parquet(raw).select(pl.col("event_time").sort()).collect()["event_time"]
    n = len(times)
    c1 = times[int(n * SPLIT_RATIOS[0])]
    c2 = times[int(n * (SPLIT_RATIOS[0] + SPLIT_RATIOS[1]))]
    t = pl.col("event_time")
    conditions = {"train": t < c1, "valid": (t >= c1) & (t < c2), "test": t >= c2}
    for name, cond in conditions.items():
        _atomic(paths[name], lambda tmp, cond=cond: pl.scan_parquet(raw).filter(cond).sink_parquet(tmp, compression="zstd"))
    return paths


def write_halves(raw: Path, out_dir: Path, rows: int) -> dict[str, Path]:
    """The first and the last half of the raw rows, as two files (drift's reference and current)."""
    half = rows // 2
    parts = {"first": (0, half), "second": (half, rows - half)}
    paths = {name: out_dir / f"{name}.parquet" for name in parts}
    for name, (offset, length) in parts.items():
        _atomic(paths[name], lambda tmp, o=offset, n=length: pl.scan_parquet(raw).slice(o, n).sink_parquet(tmp, compression="zstd"))
    return paths


def write_features(raw: Path, path: Path, rows: int) -> Path:
    """Feature rows for the as-of join: the first ``rows`` transactions' user, time and two values."""
    lf = pl.scan_parquet(raw).head(rows).select(
        "user_id", "event_time", pl.col("amount").alias("feat_amount"), pl.col("f1").alias("feat_score")
    )
    return _atomic(path, lambda tmp: lf.sink_parquet(tmp, compression="zstd"))


def write_smote_input(raw: Path, path: Path, rows: int) -> Path:
    """SMOTE input: f0..f9 with nulls filled by each column's median, plus is_fraud."""
    def write(tmp: Path) -> None:
        lf = pl.scan_parquet(raw).head(rows).select(*FEATURES, "is_fraud")
        medians = lf.select(pl.col(FEATURES).median()).collect().row(0, named=True)
        lf.with_columns(pl.col(c).fill_null(medians[c]) for c in FEATURES).sink_parquet(tmp, compression="zstd")

    return _atomic(path, write)


def prepare(rows: int, *, smote_rows: int = 1_000_000, data_dir: Path = DATA, need: set[str] | None = None) -> dict[str, Path]:
    """Make (or find cached) every input file the benchmarks need; return their paths.

    ``need`` limits the work to some of ``raw``, ``splits``, ``halves``, ``features``, ``smote``, ``tiny``.
    """
    need = need or {"raw", "splits", "halves", "features", "smote", "tiny"}
    base = data_dir / str(rows)
    paths: dict[str, Path] = {"raw": base / "transactions.parquet"}
    write_transactions(paths["raw"], rows)
    if "splits" in need:
        split_paths = write_splits(paths["raw"], base / "splits")
        paths.update({f"split_{k}": v for k, v in split_paths.items()})
    if "halves" in need:
        half_paths = write_halves(paths["raw"], base / "halves", rows)
        paths.update({f"half_{k}": v for k, v in half_paths.items()})
    if "features" in need:
        paths["features"] = write_features(paths["raw"], base / "features.parquet", max(1, rows // 10))
    if "smote" in need:
        n = min(rows, smote_rows)
        smote_base = data_dir / str(n)
        source = paths["raw"] if n == rows else write_transactions(smote_base / "transactions.parquet", n)
        paths["smote"] = write_smote_input(source, data_dir / f"smote-{n}" / "smote.parquet", n)
    if "tiny" in need:
        tiny_raw = write_transactions(data_dir / "tiny" / "source.parquet", 1000)
        paths["tiny"] = tiny_raw
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the main table (default 1,000,000)")
    parser.add_argument("--smote-rows", type=int, default=1_000_000, help="rows of SMOTE's input (default 1,000,000)")
    parser.add_argument("--data-dir", type=Path, default=DATA, help="cache folder (default benchmarks/data)")
    args = parser.parse_args()
    for name, path in prepare(args.rows, smote_rows=args.smote_rows, data_dir=args.data_dir).items():
        print(f"{name:12s} {path} ({path.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
