"""Reading inputs and writing outputs: the only module that touches data files.

Inputs are a Parquet file, a folder of Parquet files (hive partitions become columns), a glob,
``-`` for stdin, or a ``.csv``/``.ndjson``/``.jsonl`` file read by extension. Every read is a
lazy scan. Outputs are zstd Parquet written atomically: each goes to a dot-prefixed temporary
file in the target's folder and is renamed onto the target only once complete, so no failure,
Ctrl-C or kill leaves a partial target, and a leftover temporary is never read as data (it is
hidden and does not end in ``.parquet``).
"""

from __future__ import annotations

import errno
import glob as globlib
import hashlib
import io
import os
import re
import secrets
import stat
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mlprep.errors import InputError, OutputError

if TYPE_CHECKING:
    import polars as pl

STDIO = "-"
PARQUET_MAGIC = b"PAR1"
HIDDEN_PREFIXES = [".", "_"]
TEMP_SUFFIX = ".tmp"
LINEAGE_KEY = "mlprep.lineage"
ROW_GROUP_SIZE = 64 * 1024  # fixed so the bytes do not depend on thread count or batching; small enough that
# a later streaming read (which buffers a few row groups per input) stays lean
_HASH_CHUNK = 4 * 1024 * 1024

FileFormat = Literal["parquet", "csv", "ndjson"]


@dataclass
class Source:
    """A resolved input: what the user named and the files behind it."""

    arg: str
    kind: Literal["file", "folder", "glob", "stdin"]
    fmt: FileFormat
    paths: list[Path] = field(default_factory=list)
    data: bytes | None = None  # stdin's bytes
    base: Path | None = None  # folder or glob root, for relative names and hashing
    _sha256: str | None = field(default=None, repr=False)
    _hash_thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def display(self) -> str:
        """How messages name this input."""
        return "stdin" if self.kind == "stdin" else self.arg

    @property
    def path(self) -> Path | None:
        """The single file behind a file input, else None."""
        return self.paths[0] if self.kind == "file" else None

    def start_hashing(self) -> None:
        """Hash the input's bytes in a background thread while the step computes."""
        if self._sha256 is None and self._hash_thread is None:
            self._hash_thread = threading.Thread(target=self._compute_sha256, daemon=True)
            self._hash_thread.start()

    def _compute_sha256(self) -> None:
        self._sha256 = source_sha256(self)

    @property
    def sha256(self) -> str:
        """sha256 of the bytes (a folder or glob: of the sorted (relative path, sha256) list)."""
        if self._hash_thread is not None:
            self._hash_thread.join()
            self._hash_thread = None
        if self._sha256 is None:
            self._compute_sha256()
        assert self._sha256 is not None
        return self._sha256


def _format_of(path: str) -> FileFormat:
    lower = path.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".ndjson", ".jsonl")):
        return "ndjson"
    return "parquet"


def _is_data_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(tuple(HIDDEN_PREFIXES)) and path.suffix == ".parquet"


def resolve_input(arg: str, *, stdin: io.BufferedReader | None = None) -> Source:
    """Resolve an input argument to a :class:`Source`, checking that it can be read.

    Parameters
    ----------
    arg : a file path, a folder, a glob pattern, or ``-`` for stdin.
    stdin : the stream to read for ``-`` (default ``sys.stdin.buffer``).
    """
    if arg == STDIO:
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read()
        _check_parquet_bytes(data, "stdin")
        return Source(arg=arg, kind="stdin", fmt="parquet", data=data)
    if any(ch in arg for ch in "*?["):
        matches = sorted(Path(p) for p in globlib.glob(arg, recursive=True))
        files = [p for p in matches if _is_data_file(p) or (p.is_file() and _format_of(str(p)) != "parquet")]
        if not files:
            raise InputError(f"no files match the pattern {arg!r}; check the pattern or quote it so the shell does not expand it")
        fmts = {_format_of(str(p)) for p in files}
        if len(fmts) > 1:
            raise InputError(f"the pattern {arg!r} matches files of several formats ({', '.join(sorted(fmts))}); narrow the pattern")
        fmt = fmts.pop()
        if fmt == "parquet":
            for p in files:
                check_parquet_file(p)
            _check_same_schema(files, arg)
        else:
            for p in files:
                check_utf8(p, str(p))
        base = Path(os.path.commonpath([str(p.parent) for p in files]))
        return Source(arg=arg, kind="glob", fmt=fmt, paths=files, base=base)
    path = Path(arg)
    if not path.exists():
        raise InputError(f"input {arg!r} does not exist; check the path (a file, a folder of Parquet files, a glob, or - for stdin)")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet") if _is_data_file(p) and not _has_hidden_part(p, path))
        if not files:
            raise InputError(f"folder {arg!r} holds no .parquet files; point at a folder of Parquet files or at a file")
        for p in files:
            check_parquet_file(p)
        _check_same_schema(files, arg, hive_root=path)
        return Source(arg=arg, kind="folder", fmt="parquet", paths=files, base=path)
    if not os.access(path, os.R_OK):
        raise InputError(f"input {arg!r} is not readable; check its permissions")
    fmt = _format_of(arg)
    if fmt == "parquet":
        check_parquet_file(path)
    elif path.stat().st_size == 0:
        raise InputError(f"input {arg!r} is empty (0 bytes); it holds no header and no rows")
    else:
        check_utf8(path, arg)
    return Source(arg=arg, kind="file", fmt=fmt, paths=[path])


def check_utf8(path: Path, name: str) -> None:
    """Refuse a text input that is not UTF-8: polars would replace the bad bytes silently."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_HASH_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"input {name!r} is not valid UTF-8 (byte {offset + exc.start:,}); re-encode it "
                    "(e.g. iconv -f latin1 -t utf-8) so no text is silently replaced"
                ) from exc
            if not chunk:
                return
            offset += len(chunk)


def _check_same_schema(files: Sequence[Path], arg: str, *, hive_root: Path | None = None) -> None:
    """Refuse files of one input whose schemas differ, and hive keys that shadow a column.

    polars would otherwise silently drop a time zone when naive and aware files are read
    together, and let a partition value replace a column of the same name.
    """
    import polars as pl

    first_schema: dict[str, pl.DataType] | None = None
    for path in files:
        try:
            schema = dict(pl.read_parquet_schema(str(path)))
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputError(f"cannot read the schema of {str(path)!r}: {_first_line(exc)}") from exc
        if hive_root is not None:
            keys = [part.split("=", 1)[0] for part in path.relative_to(hive_root).parts[:-1] if "=" in part]
            clash = [k for k in keys if k in schema]
            if clash:
                raise InputError(
                    f"partition key {clash[0]!r} of folder {arg!r} is also a column of {str(path)!r}; "
                    "rename the partition folders or drop the column from the files"
                )
        if first_schema is None:
            first_schema, first_path = schema, path
            continue
        for name in sorted(set(first_schema) | set(schema)):
            a, b = first_schema.get(name), schema.get(name)
            if a != b:
                what = "is missing from" if b is None else ("is only in" if a is None else f"is {b} in")
                ref = f"but {a} in {str(first_path)!r}" if a is not None and b is not None else f"compared with {str(first_path)!r}"
                raise InputError(
                    f"files of input {arg!r} disagree: column {name!r} {what} {str(path)!r} {ref}; "
                    "make the files' schemas match (e.g. convert time zones) before reading them together"
                )


def _has_hidden_part(path: Path, root: Path) -> bool:
    return any(part.startswith(tuple(HIDDEN_PREFIXES)) for part in path.relative_to(root).parts[:-1])


def check_parquet_file(path: Path) -> None:
    """Refuse a file that cannot be Parquet: empty, truncated, or another format."""
    size = path.stat().st_size
    name = str(path)
    if size == 0:
        raise InputError(f"input {name!r} is empty (0 bytes), not a Parquet file; regenerate it")
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(max(size - 4, 0))
        tail = fh.read(4)
    _check_magic(head, tail, size, name)


def _check_parquet_bytes(data: bytes, name: str) -> None:
    if not data:
        raise InputError(f"{name} is empty (0 bytes); pipe a Parquet file into it (e.g. mlprep ... -o - | mlprep ... -)")
    _check_magic(data[:4], data[-4:], len(data), name)


def _check_magic(head: bytes, tail: bytes, size: int, name: str) -> None:
    if head != PARQUET_MAGIC:
        raise InputError(
            f"input {name!r} is not a Parquet file (no Parquet header); if it is CSV or JSON, "
            "give it a .csv/.ndjson extension or convert it with `mlprep convert`"
        )
    if size < 12 or tail != PARQUET_MAGIC:
        raise InputError(f"input {name!r} is a truncated Parquet file (no footer); regenerate or re-download it")


def scan(source: Source, *, try_parse_dates: bool = False) -> "pl.LazyFrame":
    """Lazily scan a source; nothing is read until the plan is collected or sunk."""
    import polars as pl

    try:
        if source.kind == "stdin":
            assert source.data is not None
            return pl.scan_parquet(io.BytesIO(source.data))
        paths = [str(p) for p in source.paths]
        if source.fmt == "csv":
            return pl.scan_csv(paths, try_parse_dates=try_parse_dates)
        if source.fmt == "ndjson":
            return pl.scan_ndjson(paths)
        if source.kind == "folder":
            # A glob, not the folder itself: polars refuses a folder that also holds the
            # .lineage.json sidecars of mlprep outputs.
            return pl.scan_parquet(
                f"{globlib.escape(str(source.base))}/**/*.parquet", hive_partitioning=True, hidden_file_prefix=HIDDEN_PREFIXES
            )
        # The files are already resolved: no globbing (a name holding `[` stays literal) and no
        # hidden-file filter (a file the user names explicitly, e.g. `_part.parquet`, is read).
        return pl.scan_parquet(paths, glob=False)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"cannot read {source.display!r}: {_first_line(exc)}") from exc


def parquet_metadata(source: Source) -> dict[str, str]:
    """The key-value metadata of a single-file Parquet source ({} for other sources)."""
    import polars as pl

    if source.fmt != "parquet" or source.kind not in ("file", "stdin"):
        return {}
    target: object = io.BytesIO(source.data) if source.kind == "stdin" else str(source.path)
    try:
        return dict(pl.read_parquet_metadata(target))  # type: ignore[arg-type]
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"cannot read the Parquet footer of {source.display!r}: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in large chunks (hashlib releases the GIL)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def hash_all(hash_one: Callable[[Path], str], paths: Sequence[Path]) -> list[str]:
    """``hash_one`` of every path, in order, on up to one thread per core.

    hashlib releases the GIL while it hashes a large chunk, so several files hash in parallel:
    a step writing three splits, or ``lineage verify`` of a pipeline, waits for the largest file
    rather than for the sum of them.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)  # the cores we may use
    workers = min(len(paths), cores)
    if workers <= 1:
        return [hash_one(p) for p in paths]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(hash_one, paths))


def folder_sha256(files: Sequence[Path], base: Path) -> str:
    """sha256 of the sorted list of (relative POSIX path, sha256) of a folder's files."""
    entries = sorted(zip((p.relative_to(base).as_posix() for p in files), hash_all(file_sha256, files)))
    digest = hashlib.sha256()
    for rel, sha in entries:
        digest.update(f"{rel}\t{sha}\n".encode())
    return digest.hexdigest()


def source_sha256(source: Source) -> str:
    """sha256 identifying a source's bytes (see CONVENTIONS §3)."""
    if source.kind == "stdin":
        assert source.data is not None
        return hashlib.sha256(source.data).hexdigest()
    if source.kind == "file":
        return file_sha256(source.paths[0])
    assert source.base is not None
    return folder_sha256(source.paths, source.base)


def path_sha256(path: Path) -> str:
    """sha256 of a file, or of a folder's Parquet files (the folder rule)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet") if _is_data_file(p) and not _has_hidden_part(p, path))
        return folder_sha256(files, path)
    return file_sha256(path)


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class WriteTarget:
    """One Parquet output: the frame, where it goes, and the metadata to embed."""

    frame: "pl.LazyFrame | pl.DataFrame"
    path: str  # a file path or "-" for stdout
    metadata: "dict[str, str] | Callable[[Any], dict[str, str]]" = field(default_factory=dict)


def check_output_path(target: str, inputs: Sequence[Source]) -> None:
    """Refuse an output that would overwrite or land inside one of the inputs."""
    if target == STDIO:
        if sys.stdout.isatty():
            raise OutputError("refusing to write Parquet to a terminal; redirect it (-o - > out.parquet) or pipe it into another mlprep command")
        return
    out = Path(target)
    if out.exists() and out.is_dir():
        raise OutputError(f"output {target!r} is a folder; give a file path such as {str(out / 'out.parquet')!r}")
    if not target.endswith(".parquet"):
        raise OutputError(f"output {target!r} must end in .parquet (outputs are always Parquet)")
    resolved = out.resolve()
    for src in inputs:
        for p in src.paths:
            if p.resolve() == resolved or (out.exists() and _same_file(out, p)):
                raise OutputError(f"output {target!r} is the input {src.display!r}; write to a new file so the input stays intact")
        if src.kind == "folder" and src.base is not None and resolved.is_relative_to(src.base.resolve()):
            raise OutputError(f"output {target!r} is inside the input folder {src.display!r}; write it elsewhere, or the next read would include it")


def _same_file(a: Path, b: Path) -> bool:
    try:
        sa, sb = a.stat(), b.stat()
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def temp_path_for(target: Path) -> Path:
    """A hidden temporary path beside ``target`` that is never read as data."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def temp_data_path(target: Path) -> Path:
    """A private hidden folder beside ``target`` and the file inside it that a sink writes.

    polars may still create a sink's file from a background thread after a failed
    ``collect_all`` has returned; writing inside a private folder that is removed on failure
    means such a late file can never appear (its folder is gone).
    """
    folder = temp_path_for(target)
    folder.mkdir()
    return folder / "data.tmp"


def remove_stale_temps(target: Path) -> None:
    """Delete temporaries left beside ``target`` by killed runs (their process is gone)."""
    for leftover in target.parent.glob(f".{globlib.escape(target.name)}.*{TEMP_SUFFIX}"):
        parts = leftover.name.rsplit(".", 3)
        try:
            pid = int(parts[1])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not _process_alive(pid):
            _remove(leftover)


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def _cause(code: int) -> str:
    return os.strerror(code)[:1].lower() + os.strerror(code)[1:]


def write_failure(exc: BaseException, folders: Sequence[Path]) -> OutputError | None:
    """The one-line error for an operating-system failure while writing into ``folders``.

    A full disk, a read-only file system or a quota surfaces as an ``OSError`` (Python) or as a
    polars error carrying ``(os error N)`` (Rust); both name the folder and the cause. Returns
    None for a failure that is not about the file system (a data error, a bug).
    """
    code = exc.errno if isinstance(exc, OSError) else None
    if code is None:
        found = _OS_ERROR.search(str(exc))
        code = int(found.group(1)) if found else None
    if code is None:
        return None
    names = ", ".join(repr(str(f)) for f in dict.fromkeys(folders)) or "'.'"
    fixes = {
        errno.ENOSPC: "free some space or choose another -o/--out-dir",
        errno.EDQUOT: "free some space or choose another -o/--out-dir",
        errno.EROFS: "choose a writable -o/--out-dir",
    }
    fix = fixes.get(code, "choose another -o/--out-dir or fix the folder")
    return OutputError(f"cannot write to output folder {names}: {_cause(code)}; {fix}")


#: Output folders this process created, so a failed run can remove them again if still empty.
_created_folders: list[Path] = []


def _prepare_folder(target: Path) -> None:
    folder = target.parent
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _created_folders.extend(missing)  # deepest first
    except OSError as exc:
        raise OutputError(f"cannot create output folder {str(folder)!r}: {_cause(exc.errno) if exc.errno else exc}") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        try:
            read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        if read_only:
            raise OutputError(f"output folder {str(folder)!r} is on a read-only file system; choose a writable -o/--out-dir")
        raise OutputError(f"output folder {str(folder)!r} is not writable; choose another -o/--out-dir or fix its permissions")


def write_parquet(targets: Sequence[WriteTarget]) -> list[Path | None]:
    """Write every target atomically in one streaming pass; return the temp paths written.

    All file targets are sunk through a single ``collect_all`` so an input shared by several
    outputs is scanned once. Each lands in a hidden temporary file; the caller finalises them
    with :func:`commit_temp` (after hashing), or :func:`discard_temps` on failure. A stdout
    target (``-``) is written directly, as nothing can be half-written to a pipe that matters.
    """
    import polars as pl

    temps: list[Path | None] = []
    sinks: list[pl.LazyFrame] = []
    _created_folders.clear()  # only this run's folders are removed if it fails
    try:
        for target in targets:
            if target.path == STDIO:
                temps.append(None)
                continue
            final = Path(target.path)
            _prepare_folder(final)
            remove_stale_temps(final)
            tmp = temp_data_path(final)
            temps.append(tmp)
            sinks.append(
                target.frame.lazy().sink_parquet(
                    str(tmp), compression="zstd", row_group_size=ROW_GROUP_SIZE,
                    metadata=target.metadata or None, lazy=True,
                )
            )
        if sinks:
            try:
                pl.collect_all(sinks, engine="streaming")
            except (pl.exceptions.PolarsError, OSError) as exc:
                failure = write_failure(exc, [Path(t.path).parent for t in targets if t.path != STDIO])
                if failure is None:
                    raise
                raise failure from exc
        for target in targets:
            if target.path == STDIO:
                _write_stdout(target)
        for tmp in temps:
            if tmp is not None:
                _apply_umask_mode(tmp)
    except BaseException:
        discard_temps(temps)
        raise
    return temps


def _write_stdout(target: WriteTarget) -> None:
    buffer = io.BytesIO()
    metadata = target.metadata if isinstance(target.metadata, dict) else target.metadata(None)
    target.frame.lazy().collect(engine="streaming").write_parquet(
        buffer, compression="zstd", row_group_size=ROW_GROUP_SIZE, metadata=metadata or None
    )
    try:
        sys.stdout.buffer.write(buffer.getvalue())
        sys.stdout.buffer.flush()
    except BrokenPipeError as exc:
        _detach_stdout()
        raise OutputError("stdout was closed before the output was written (the reading command exited early)") from exc


def _detach_stdout() -> None:
    """Point fd 1 at /dev/null so Python's exit-time flush of a closed pipe stays silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _apply_umask_mode(path: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IWGRP | stat.S_IROTH | stat.S_IWOTH) & ~umask)


def commit_temp(tmp: Path, target: Path) -> None:
    """Rename a finished temporary onto its target (atomic within one folder)."""
    if target.is_symlink():
        target.unlink()  # replace the link itself, never write through it
    os.replace(tmp, target)
    if _in_private_folder(tmp):
        _remove(tmp.parent)


def _in_private_folder(tmp: Path) -> bool:
    """Whether ``tmp`` is the data file inside a private folder made by :func:`temp_data_path`.

    Checked by the exact shape of the names, never by the suffix alone: a user's output
    folder may well be called ``run.tmp``.
    """
    folder = tmp.parent.name
    return tmp.name == "data.tmp" and folder.startswith(".") and folder.endswith(TEMP_SUFFIX) and folder.count(".") >= 4


class folder_lock:
    """An exclusive lock on an output folder while outputs and manifests are renamed into place.

    Two processes writing the same target (``make -j``) then end with one complete output
    whose sidecar manifest matches it: the Parquet rename and the manifest write of one
    process never interleave with the other's.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._fd: int | None = None

    def __enter__(self) -> "folder_lock":
        import fcntl

        self._fd = os.open(self.folder, os.O_RDONLY)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)


def write_sidecar_temp(target: Path, data: bytes) -> Path:
    """Write a manifest to a hidden temporary beside its output, to be renamed by :func:`commit_output`."""
    tmp = temp_path_for(sidecar_of(target))
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
        _apply_umask_mode(tmp)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        failure = write_failure(exc, [target.parent]) if isinstance(exc, OSError) else None
        if failure is not None:
            raise failure from exc
        raise
    return tmp


def sidecar_of(target: Path) -> Path:
    return Path(f"{target}.lineage.json")


def commit_output(tmp: Path, target: Path, sidecar_tmp: Path) -> None:
    """Rename an output and then its manifest into place (both already fully written).

    The previous sidecar is removed first, so a kill between the two renames leaves either
    the previous output without a sidecar, or the new output without one (its embedded
    manifest still describes it): a sidecar never describes another file's bytes.
    """
    sidecar = sidecar_of(target)
    if sidecar.is_symlink() or sidecar.exists():
        sidecar.unlink()
    commit_temp(tmp, target)
    commit_temp(sidecar_tmp, sidecar)


def discard_temps(temps: Sequence[Path | None]) -> None:
    """Remove temporaries of a failed write (and their private folders)."""
    for tmp in temps:
        if tmp is None:
            continue
        tmp = Path(tmp)
        _remove(tmp.parent if _in_private_folder(tmp) else tmp)
    for folder in list(_created_folders):  # a failed run leaves no empty folder it made
        try:
            folder.rmdir()
            _created_folders.remove(folder)
        except OSError:
            pass


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write a small file (a manifest) atomically."""
    _prepare_folder(target)
    tmp = temp_path_for(target)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        _apply_umask_mode(tmp)
        commit_temp(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        failure = write_failure(exc, [target.parent]) if isinstance(exc, OSError) else None
        if failure is not None:
            raise failure from exc
        raise
