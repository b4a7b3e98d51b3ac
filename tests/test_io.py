"""The I/O layer: every input form, atomic deterministic writes, refusal of bad files."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import polars as pl
import pytest

from mlprep import io as mio
from mlprep.errors import InputError, OutputError
from mlprep.runner import Output, StepRun, open_input


@pytest.fixture
def frame() -> pl.DataFrame:
    return pl.DataFrame({"id": [1, 2, 3, 4], "part": ["a", "a", "b", "b"], "x": [0.5, None, 2.0, float("nan")]})


def _read(arg: str, **kw) -> pl.DataFrame:
    return open_input(arg, **kw).frame.collect()


def test_reads_a_parquet_file(tmp_path: Path, frame: pl.DataFrame) -> None:
    frame.write_parquet(tmp_path / "d.parquet")
    assert _read(str(tmp_path / "d.parquet")).equals(frame)


def test_reads_a_hive_folder_with_partitions_as_columns_and_skips_hidden_files(tmp_path: Path, frame: pl.DataFrame) -> None:
    for part in ("a", "b"):
        folder = tmp_path / "data" / f"part={part}"
        folder.mkdir(parents=True)
        frame.filter(pl.col("part") == part).drop("part").write_parquet(folder / "0.parquet")
    (tmp_path / "data" / "_SUCCESS").write_text("")
    (tmp_path / "data" / ".out.parquet.123.abcd.tmp").write_bytes(b"garbage")
    got = _read(str(tmp_path / "data")).sort("id")
    assert got["id"].to_list() == [1, 2, 3, 4]
    assert got["part"].to_list() == ["a", "a", "b", "b"]


def test_reads_a_glob(tmp_path: Path, frame: pl.DataFrame) -> None:
    frame.head(2).write_parquet(tmp_path / "p1.parquet")
    frame.tail(2).write_parquet(tmp_path / "p2.parquet")
    assert _read(str(tmp_path / "p*.parquet")).sort("id").equals(frame)


def test_reads_stdin_bytes(frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    data = open_input("-", stdin=io.BytesIO(buffer.getvalue()))
    assert data.frame.collect().equals(frame)
    assert data.source.sha256 == hashlib.sha256(buffer.getvalue()).hexdigest()


@pytest.mark.parametrize("ext", ["csv", "ndjson", "jsonl"])
def test_reads_text_formats_by_extension(tmp_path: Path, ext: str) -> None:
    df = pl.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    path = tmp_path / f"d.{ext}"
    df.write_csv(path) if ext == "csv" else df.write_ndjson(path)
    assert _read(str(path)).equals(df)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"is empty \(0 bytes\)"),
        (b"id,x\n1,2\n", "is not a Parquet file"),
    ],
)
def test_refuses_files_that_are_not_parquet(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        open_input(str(path))


def test_refuses_a_truncated_parquet(tmp_path: Path, frame: pl.DataFrame) -> None:
    good = tmp_path / "good.parquet"
    frame.write_parquet(good)
    (tmp_path / "cut.parquet").write_bytes(good.read_bytes()[:-20])
    with pytest.raises(InputError, match="truncated"):
        open_input(str(tmp_path / "cut.parquet"))


def test_refuses_an_empty_table(tmp_path: Path, frame: pl.DataFrame) -> None:
    frame.clear().write_parquet(tmp_path / "empty.parquet")
    with pytest.raises(InputError, match="has no rows"):
        open_input(str(tmp_path / "empty.parquet"))


def test_missing_input_and_empty_glob(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        open_input(str(tmp_path / "nope.parquet"))
    with pytest.raises(InputError, match="no files match"):
        open_input(str(tmp_path / "*.parquet"))


def _write(frame: pl.DataFrame | pl.LazyFrame, src: str, out: Path) -> None:
    data = open_input(src)
    StepRun("convert", params={}).write([Output(str(out), frame.lazy(), data_inputs=[data])])


def test_write_is_deterministic_across_runs_and_thread_counts(tmp_path: Path, sample: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from mlprep.runner import open_input, Output, StepRun;"
        "d = open_input(sys.argv[1]); StepRun('convert', params={}).write([Output(sys.argv[2], d.frame, data_inputs=[d])])"
    )
    hashes = set()
    for i, threads in enumerate(["1", "2", "2"]):
        out = tmp_path / f"run{i}" / "out.parquet"
        subprocess.run([sys.executable, "-c", code, str(sample), str(out)], check=True, env={**os.environ, "POLARS_MAX_THREADS": threads})
        hashes.add(hashlib.sha256(out.read_bytes()).hexdigest())
    assert len(hashes) == 1


def test_write_leaves_no_temporary_and_refuses_output_equal_to_input(tmp_path: Path, frame: pl.DataFrame) -> None:
    src = tmp_path / "in.parquet"
    frame.write_parquet(src)
    _write(frame, str(src), tmp_path / "out" / "o.parquet")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["o.parquet", "o.parquet.lineage.json"]
    with pytest.raises(OutputError, match="is the input"):
        _write(frame, str(src), src)
    link = tmp_path / "alias.parquet"
    os.link(src, link)
    with pytest.raises(OutputError, match="is the input"):
        _write(frame, str(src), link)


def test_failed_write_keeps_previous_output_and_removes_temps(tmp_path: Path, frame: pl.DataFrame) -> None:
    src = tmp_path / "in.parquet"
    frame.write_parquet(src)
    out = tmp_path / "o.parquet"
    _write(frame, str(src), out)
    before = out.read_bytes()
    failing = pl.LazyFrame({"s": ["1", "x"]}).with_columns(pl.col("s").cast(pl.Int64, strict=True))
    with pytest.raises(pl.exceptions.PolarsError):
        _write(failing, str(src), out)
    assert out.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(mio.TEMP_SUFFIX)]


def test_stale_temps_of_dead_processes_are_removed(tmp_path: Path, frame: pl.DataFrame) -> None:
    src = tmp_path / "in.parquet"
    frame.write_parquet(src)
    stale = tmp_path / ".o.parquet.999999999.dead.tmp"
    stale.write_bytes(b"partial")
    _write(frame, str(src), tmp_path / "o.parquet")
    assert not stale.exists()


def test_output_must_be_parquet_and_parent_must_be_a_folder(tmp_path: Path, frame: pl.DataFrame) -> None:
    src = tmp_path / "in.parquet"
    frame.write_parquet(src)
    with pytest.raises(OutputError, match=r"must end in \.parquet"):
        _write(frame, str(src), tmp_path / "o.csv")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="cannot create output folder"):
        _write(frame, str(src), tmp_path / "afile" / "o.parquet")


def test_files_of_one_input_must_share_a_schema_including_time_zone(tmp_path: Path) -> None:
    import datetime as dt

    folder = tmp_path / "tz"
    folder.mkdir()
    naive = pl.DataFrame({"t": [dt.datetime(2024, 1, 1)]})
    naive.write_parquet(folder / "a.parquet")
    naive.with_columns(pl.col("t").dt.replace_time_zone("UTC")).write_parquet(folder / "b.parquet")
    with pytest.raises(InputError, match=r"column 't' is Datetime\(time_unit='us', time_zone='UTC'\) in .*b\.parquet"):
        open_input(str(folder))
    with pytest.raises(InputError, match="disagree"):
        open_input(str(folder / "*.parquet"))


def test_hive_key_that_shadows_a_column_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "hive" / "a=1"
    folder.mkdir(parents=True)
    pl.DataFrame({"a": [5], "b": [1]}).write_parquet(folder / "x.parquet")
    with pytest.raises(InputError, match="partition key 'a'"):
        open_input(str(tmp_path / "hive"))


def test_hash_all_gives_each_file_its_own_sha256_in_order(tmp_path: Path) -> None:
    paths = []
    for i, size in enumerate([0, 1, 5 << 20, 123, 9 << 20]):  # some span several read chunks
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(bytes([i]) * size)
        paths.append(path)
    assert mio.hash_all(mio.file_sha256, paths) == [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
    assert mio.hash_all(mio.file_sha256, []) == []
