"""A corpus of bad (and awkward but valid) inputs, generated once per test session.

Every case is a small file or folder built with polars or pyarrow from one base frame whose
columns every command can use (``event_time``, ``user_id``, ``amount``, ``f0``, ``category``,
``is_fraud``). A case replaces the *primary* input of a command (the file it reads or fits on)
or, for the schema-drift and time-zone cases, the *secondary* input (the one applied to,
compared with, or joined), the primary staying the clean base.

``build_corpus(folder)`` returns ``{name: Case}``; ``tests/test_bad_input_corpus.py`` runs
every command over every case that applies.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 60
BOMB_ROWS = 8_000_000  # × a 10 kB string: ~80 GB once decoded, a few hundred kB on disk
BOMB_STRING = "x" * 10_000


def base_frame(rows: int = ROWS) -> pl.DataFrame:
    """The clean base every case is derived from (deterministic, two classes, 6 users)."""
    i = pl.int_range(rows, eager=True)
    start = dt.datetime(2025, 1, 1)
    return pl.DataFrame(
        {
            "event_time": [start + dt.timedelta(hours=3 * k) for k in range(rows)],
            "user_id": (i % 6).cast(pl.Int64),
            "amount": ((i * 37) % 101).cast(pl.Float64) / 4.0 + 1.0,
            "f0": ((i * 13) % 17).cast(pl.Float64) - 8.0,
            "category": pl.Series([["a", "b", "c", "d"][k % 4] for k in range(rows)]),
            "is_fraud": ((i % 4) == 0).cast(pl.Int64),
        }
    )


def features_frame() -> pl.DataFrame:
    """The feature table of `join asof` (snapshots per user)."""
    start = dt.datetime(2024, 12, 30)
    rows = [(u, start + dt.timedelta(days=d), float(100 * u + d)) for u in range(6) for d in range(0, 10, 2)]
    return pl.DataFrame(rows, schema={"user_id": pl.Int64, "snapshot_time": pl.Datetime("us"), "credit_limit": pl.Float64}, orient="row")


@dataclass
class Case:
    """One corpus entry.

    slot: ``"primary"`` (replaces the input a command reads or fits on) or ``"secondary"``
    (replaces the second input of a two-input command).
    expect: ``"error"`` (exit 2 for every command that reads the data), ``"ok"`` (must succeed:
    exit 0, or 1 for a check's finding) or ``"valid"`` (a valid input: the command either
    succeeds with the documented result or refuses with one clear line).
    names: fragments the one-line error must contain (the file, column or option at fault).
    """

    name: str
    path: Path
    slot: str = "primary"
    expect: str = "valid"
    names: tuple[str, ...] = ()
    note: str = ""
    extra: dict = field(default_factory=dict)


def _write(df: pl.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(path)
    return path


def build_corpus(root: Path, *, make_mlprep_output: Callable[[Path, Path], None]) -> dict[str, Case]:
    """Write every case below ``root`` and describe it.

    ``make_mlprep_output(src, dst)`` converts ``src`` to ``dst`` with mlprep (so ``dst`` has a
    sidecar manifest); the bit-flip case needs one.
    """
    root.mkdir(parents=True, exist_ok=True)
    base = base_frame()
    cases: list[Case] = []

    def add(name: str, path: Path, **kw) -> None:
        cases.append(Case(name=name, path=path, **kw))

    # --- files that are not (whole) Parquet ------------------------------------------------
    p = root / "zero_byte.parquet"
    p.write_bytes(b"")
    add("zero_byte", p, expect="error", names=("zero_byte.parquet",))

    good = _write(base, root / "_good.parquet")
    raw = good.read_bytes()
    p = root / "truncated.parquet"
    p.write_bytes(raw[: len(raw) // 2])
    add("truncated", p, expect="error", names=("truncated.parquet",))

    p = root / "csv_named.parquet"
    base.write_csv(p)
    add("csv_named_parquet", p, expect="error", names=("csv_named.parquet",))

    # an mlprep output whose bytes no longer match the sha256 its sidecar records
    p = root / "bitflip" / "flipped.parquet"
    p.parent.mkdir()
    make_mlprep_output(good, p)
    data = bytearray(p.read_bytes())
    meta_at = data.rfind(b"mlprep.lineage")  # flip a byte of the embedded manifest's text:
    assert meta_at > 0                       # the data stays readable, only the hash tells
    data[meta_at + len("mlprep.lineage") + 40] ^= 0x01
    p.write_bytes(bytes(data))
    add("bitflip", p, expect="error", names=("flipped.parquet",))

    # --- shapes -----------------------------------------------------------------------------
    add("zero_rows", _write(base.head(0), root / "zero_rows.parquet"), expect="error", names=("zero_rows.parquet",))
    add("missing_column", _write(base.drop("amount", "category", "is_fraud", "event_time"), root / "missing_column.parquet"),
        note="the columns the commands name are absent")

    p = root / "dup_columns.parquet"
    table = pa.Table.from_arrays([pa.array(base["user_id"].to_list()), pa.array(base["amount"].to_list()), pa.array(base["amount"].to_list())],
                                 names=["user_id", "amount", "amount"])
    pq.write_table(table, p)
    add("duplicate_columns", p, expect="error", names=("dup_columns.parquet",))

    # --- dtypes and values ----------------------------------------------------------------
    add("null_dtype", _write(base.with_columns(pl.lit(None).alias("amount"), pl.lit(None).alias("category")), root / "null_dtype.parquet"),
        names=("amount",))
    nan_null = base.with_columns(
        pl.when(pl.int_range(pl.len()) % 5 == 1).then(float("nan"))
        .when(pl.int_range(pl.len()) % 5 == 2).then(None)
        .otherwise(pl.col("amount")).alias("amount")
    )
    add("nan_with_null", _write(nan_null, root / "nan_null.parquet"))
    inf = base.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(float("inf"))
        .when(pl.int_range(pl.len()) == 7).then(float("-inf"))
        .otherwise(pl.col("amount")).alias("amount")
    )
    add("inf", _write(inf, root / "inf.parquet"), names=("amount",))
    add("datetime_nulls", _write(base.with_columns(pl.when(pl.int_range(pl.len()) % 7 == 3).then(None).otherwise(pl.col("event_time")).alias("event_time")),
                                 root / "datetime_nulls.parquet"), names=("event_time",))
    dec = base.with_columns(pl.Series("amount", [decimal.Decimal(str(v)) for v in base["amount"]], dtype=pl.Decimal(12, 2)))
    add("decimal", _write(dec, root / "decimal.parquet"), names=("amount",))
    add("categorical", _write(base.with_columns(pl.col("category").cast(pl.Categorical)), root / "categorical.parquet"), names=("category",))
    # Enum whose declared order differs from the order of appearance: physical codes differ from a Categorical's
    add("enum", _write(base.with_columns(pl.col("category").cast(pl.Enum(["d", "c", "b", "a", "z"]))), root / "enum.parquet"), names=("category",))
    nested = base.with_columns(
        pl.concat_list(pl.col("f0"), pl.col("amount")).alias("tags"),
        pl.struct(pl.col("f0").alias("a"), pl.col("category").alias("b")).alias("info"),
    )
    add("nested_extra", _write(nested, root / "nested_extra.parquet"), names=("tags",), note="list and struct columns beside the usual ones")
    add("nested_used", _write(base.with_columns(pl.concat_list("amount", "f0").alias("amount"),
                                                pl.struct(pl.col("category").alias("c")).alias("category")), root / "nested_used.parquet"),
        names=("amount",), note="the columns the commands name are list/struct")
    # spread far above Float64's resolution at 2^62, sums far beyond Int64: wrap-around shows
    big = base.with_columns(((pl.col("amount") * 4).cast(pl.Int64) * (1 << 44) + (1 << 62)).alias("amount"),
                            ((pl.col("f0") + 8).cast(pl.Int64) * (1 << 44) + (1 << 62)).alias("f0"))
    add("int_near_2_62", _write(big, root / "bigint.parquet"), names=("amount",))
    add("constant_column", _write(base.with_columns(pl.lit(3.5).alias("amount"), pl.lit("k").alias("category")), root / "constant.parquet"),
        names=("amount",))
    many = pl.DataFrame({"event_time": [dt.datetime(2025, 1, 1) + dt.timedelta(seconds=k) for k in range(200_000)]}).with_columns(
        pl.format("m{}", pl.int_range(pl.len())).alias("category"),
        (pl.int_range(pl.len()) % 6).alias("user_id"), (pl.int_range(pl.len()) % 97).cast(pl.Float64).alias("amount"),
        (pl.int_range(pl.len()) % 13).cast(pl.Float64).alias("f0"), (pl.int_range(pl.len()) % 4 == 0).cast(pl.Int64).alias("is_fraud"),
    )
    add("distinct_200k", _write(many, root / "distinct_200k.parquet"), names=("category",), note="a 200k-distinct string column")

    p = root / "bad_utf8.csv"
    text = base.head(10).write_csv().encode()
    p.write_bytes(text.replace(b",a,", b",\xe9t\xe9,", 1))  # a Latin-1 "été" in a data field
    add("non_utf8_csv", p, expect="error", names=("bad_utf8.csv", "UTF-8"))

    # --- folders ----------------------------------------------------------------------------
    folder = root / "tz_mixed"
    _write(base.head(30), folder / "part-0.parquet")
    _write(base.tail(30).with_columns(pl.col("event_time").dt.replace_time_zone("UTC")), folder / "part-1.parquet")
    add("tz_mixed_folder", folder, expect="error", names=("event_time",))

    folder = root / "hive_clash"
    for u in range(2):
        _write(base.filter(pl.col("user_id") == u), folder / f"user_id={u}" / "part.parquet")
    add("hive_key_collision", folder, expect="error", names=("user_id",))

    folder = root / "hive_stray"
    for c in "ab":
        _write(base.filter(pl.col("category") == c).drop("category"), folder / f"category={c}" / "part-0.parquet")
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / ".part-0.parquet.crc").write_bytes(b"\x00\x01")
    (folder / "category=a" / ".hidden.parquet").write_bytes(b"not parquet")
    (folder / "category=a" / "_tmp.parquet").write_bytes(b"not parquet")
    (folder / "README.txt").write_text("stray notes\n")
    add("hive_stray_files", folder, expect="ok", note="_SUCCESS, dotfiles and stray files are ignored")

    # --- the Parquet bomb -------------------------------------------------------------------
    p = root / "bomb.parquet"
    chunk = 1_000_000
    dictionary = pa.array([BOMB_STRING])
    indices = pa.array([0] * chunk, type=pa.int32())
    zeros = pa.array([0] * chunk, type=pa.int64())
    block = pa.table({
        "event_time": pa.array([dt.datetime(2025, 1, 1)] * chunk, type=pa.timestamp("us")), "user_id": zeros,
        "amount": pa.array([1.0] * chunk), "f0": pa.array([0.5] * chunk), "is_fraud": zeros,
        "category": pa.DictionaryArray.from_arrays(indices, dictionary),
    })
    with pq.ParquetWriter(p, block.schema, compression="zstd") as writer:
        for _ in range(BOMB_ROWS // chunk):
            writer.write_table(block, row_group_size=chunk)
    add("parquet_bomb", p, expect="error", names=("bomb.parquet", "MLPREP_MAX_MEMORY"))

    # --- second inputs (applied to / compared with the clean base) ----------------------------
    add("drift_missing", _write(base.drop("amount"), root / "drift" / "missing.parquet"), slot="secondary", names=("amount",))
    add("drift_extra", _write(base.with_columns((pl.col("f0") * 2).alias("extra")), root / "drift" / "extra.parquet"), slot="secondary", expect="ok")
    add("drift_reordered", _write(base.select(reversed(base.columns)), root / "drift" / "reordered.parquet"), slot="secondary", expect="ok")
    add("drift_dtype", _write(base.with_columns(pl.col("amount").cast(pl.String), pl.col("is_fraud").cast(pl.Float32)), root / "drift" / "dtype.parquet"),
        slot="secondary", names=("amount",))
    add("tz_aware_secondary", _write(base.with_columns(pl.col("event_time").dt.replace_time_zone("UTC")), root / "drift" / "aware.parquet"),
        slot="secondary", names=("event_time",))
    return {c.name: c for c in cases}
