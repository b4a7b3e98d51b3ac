"""The one place where steps meet files: read → compute → write → manifest.

A command opens its inputs with :func:`open_input`, hands the lazy frames to a pure step
function, and passes the results to :meth:`StepRun.write`, which writes every output
atomically in one streaming pass and records its lineage manifest (sidecar and embedded).

Example
-------
>>> run = StepRun("convert", params={"cols": None})
>>> data = open_input("raw.csv")
>>> run.write([Output("raw.parquet", data.frame, data_inputs=[data])])
"""

from __future__ import annotations

import contextvars
import datetime as dt
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlprep import io as mio
from mlprep.errors import InputError, LeakageError, ManifestError, OutputError
from mlprep.lineage.model import DatasetRef, Manifest, load_manifest, relative_to_folder
from mlprep.memory import MEMORY_ENV, memory_limit

if TYPE_CHECKING:
    import polars as pl

#: The command line being run, set by the CLI; the Python API records an empty command.
current_command: contextvars.ContextVar[list[str]] = contextvars.ContextVar("current_command", default=[])

#: False after the root option ``mlprep --no-verify``: inputs are used without checking their
#: bytes against the sha256 their sidecar manifest records (recorded as params["verify_inputs"]).
verify_inputs: contextvars.ContextVar[bool] = contextvars.ContextVar("verify_inputs", default=True)
#: Inputs opened by the current command, so a command that writes nothing still has them checked.
opened_inputs: contextvars.ContextVar[list["Dataset"] | None] = contextvars.ContextVar("opened_inputs", default=None)

_INHERIT = object()
TRAINING_ROLES = (None, "train")


@dataclass
class Dataset:
    """An opened input: its lazy frame, where it came from, and its recorded history."""

    source: mio.Source
    frame: "pl.LazyFrame"
    manifest: Manifest | None = None
    manifest_origin: str | None = None
    verified: bool = False

    @property
    def name(self) -> str:
        """How messages name this input."""
        return self.source.display

    @property
    def role(self) -> str | None:
        return self.manifest.role if self.manifest else None

    @property
    def fold(self) -> int | None:
        return self.manifest.output.fold if self.manifest else None

    @cached_property
    def schema(self) -> "pl.Schema":
        import polars as pl

        try:
            return self.frame.collect_schema()
        except pl.exceptions.PolarsError as exc:
            raise InputError(f"cannot read the schema of {self.name!r}: {str(exc).splitlines()[0]}") from exc

    @cached_property
    def rows(self) -> int:
        """Row count (free for Parquet: read from the footer)."""
        import polars as pl

        try:
            return int(self.frame.select(pl.len()).collect(engine="streaming").item())
        except pl.exceptions.PolarsError as exc:
            raise InputError(f"cannot read {self.name!r}: {str(exc).splitlines()[0]}") from exc

    def require_columns(self, columns: Sequence[str], *, option: str | None = None) -> None:
        """Raise a one-line error naming the first column this input lacks."""
        from mlprep.errors import missing_column

        names = self.schema.names()
        for col in columns:
            if col not in names:
                raise missing_column(col, names, where=repr(self.name), option=option)


def open_input(arg: str, *, try_parse_dates: bool = False, stdin: Any = None, allow_empty: bool = False) -> Dataset:
    """Open an input for a step: resolve, scan lazily, load its lineage, start hashing it.

    An input without rows is refused (no step has anything to do with it) unless ``allow_empty``,
    and so is a likely Parquet bomb (see :func:`check_memory` and ``MLPREP_MAX_MEMORY``).
    """
    source = mio.resolve_input(arg, stdin=stdin)
    frame = mio.scan(source, try_parse_dates=try_parse_dates)
    manifest, origin = _input_manifest(source)
    source.start_hashing()
    dataset = Dataset(source=source, frame=frame, manifest=manifest, manifest_origin=origin)
    opened = opened_inputs.get()
    if opened is not None:
        opened.append(dataset)
    _ = dataset.schema  # fail now, with the file's name, if the data cannot be read
    if not allow_empty and dataset.rows == 0:
        raise InputError(f"input {dataset.name!r} has no rows; check the step that produced it")
    if source.fmt == "parquet":
        _refuse_bomb(dataset)
    return dataset


# ---------------------------------------------------------------------------------------------
# Memory limit

#: An input whose decoded size exceeds the memory limit *and* this many times its size on disk
#: is refused by every command as a likely Parquet bomb (real data rarely compresses 50x).
BOMB_RATIO = 50


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def estimated_bytes(dataset: Dataset, columns: Sequence[str] | None = None, *, sample_rows: int = 1000) -> int:
    """Decoded in-memory size of ``columns`` of ``dataset`` (all by default): rows × width.

    The width per row is measured on the first ``sample_rows`` rows (cheap: one slice of the
    first row group), the row count comes from the Parquet footer. A string counts its own
    bytes, as it takes once copied out of polars (numpy, scikit-learn) or made distinct: polars
    may share one buffer between equal strings, which is how a small file hides gigabytes.
    """
    import polars as pl

    frame = dataset.frame.select(list(columns)) if columns is not None else dataset.frame
    try:
        head = frame.head(sample_rows).collect()
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"cannot read {dataset.name!r}: {str(exc).splitlines()[0]}") from exc
    if head.height == 0:
        return 0
    width = 0.0
    for name, dtype in head.schema.items():
        col = head.get_column(name)
        if isinstance(dtype, (pl.Categorical, pl.Enum)):  # codes in polars, strings once copied out
            width += 16 + float(col.cast(pl.String).str.len_bytes().mean() or 0)
        elif dtype == pl.String:
            width += 16 + float(col.str.len_bytes().mean() or 0)
        elif dtype == pl.Binary:
            width += 16 + float(col.bin.size().mean() or 0)
        else:
            width += col.estimated_size() / head.height
    return int(width * dataset.rows)


def check_memory(dataset: Dataset, columns: Sequence[str] | None = None, *, what: str) -> None:
    """Refuse, before collecting, a step that would hold more than ``MLPREP_MAX_MEMORY``.

    ``what`` names the step or option that collects (e.g. ``"balance"``, ``"--method quantile"``).
    """
    limit = memory_limit()
    need = estimated_bytes(dataset, columns)
    if need > limit:
        per_row = need / max(dataset.rows, 1)
        raise InputError(
            f"{what} would hold about {_human(need)} of {dataset.name!r} in memory ({dataset.rows:,} rows × {_human(per_row)}), "
            f"more than {MEMORY_ENV}={_human(limit)}; select fewer rows or columns, or raise {MEMORY_ENV}"
        )


def _refuse_bomb(dataset: Dataset) -> None:
    """Refuse an input that decodes to far more than memory and than its size on disk."""
    src = dataset.source
    on_disk = len(src.data) if src.kind == "stdin" and src.data is not None else sum(p.stat().st_size for p in src.paths)
    limit = memory_limit()
    need = estimated_bytes(dataset)
    if need > limit and need > BOMB_RATIO * on_disk:
        raise InputError(
            f"input {dataset.name!r} expands from {_human(on_disk)} on disk to about {_human(need)} ({dataset.rows:,} rows × "
            f"{_human(need / max(dataset.rows, 1))}), more than {MEMORY_ENV}={_human(limit)}: refusing a likely Parquet bomb; "
            f"raise {MEMORY_ENV} if the data is genuine"
        )


def _input_manifest(source: mio.Source) -> tuple[Manifest | None, str | None]:
    from mlprep.lineage.model import embedded_manifest

    try:
        if source.kind == "stdin":
            assert source.data is not None
            found = embedded_manifest(source.data)
            return (found, "embedded") if found else (None, None)
        if source.kind == "file" and source.fmt == "parquet":
            loaded = load_manifest(source.paths[0])
            return loaded if loaded else (None, None)
    except ManifestError as exc:
        raise InputError(f"the lineage manifest of {source.display!r} is unreadable: {exc}; delete or regenerate it") from exc
    return None, None


def check_fit_role(dataset: Dataset, *, allow_leakage: bool, action: str = "fit statistics") -> str | None:
    """Apply the leakage guard (CONVENTIONS §4) to the input a step fits on.

    Returns a warning for an input with no role, raises :class:`LeakageError` for valid/test
    unless ``allow_leakage``.
    """
    role = dataset.role
    if role in ("valid", "test") and not allow_leakage:
        raise LeakageError(
            f"refusing to {action} on {dataset.name!r}, whose role is {role!r}: statistics and resampling "
            "come from the training split only; pass the train split first (or --allow-leakage to override, recorded in lineage)"
        )
    if role is None:
        return f"{dataset.name!r} has no role (it was not made by `mlprep split`); make sure it is training data only"
    if role in ("valid", "test"):
        return f"--allow-leakage: fitting on {dataset.name!r} whose role is {role!r}"
    return None


@dataclass
class Output:
    """One output of a step, with what it was made from."""

    path: str
    frame: "pl.LazyFrame | pl.DataFrame"
    data_inputs: list[Dataset]
    fit_inputs: list[Dataset] = field(default_factory=list)
    role: Any = _INHERIT  # default: the first data input's role
    fold: Any = _INHERIT
    state: dict[str, Any] | None = None
    report: dict[str, Any] = field(default_factory=dict)


def library_versions(*extra: str) -> dict[str, str]:
    """Versions of mlprep, Python, polars, and any extra libraries the step used."""
    import importlib.metadata as md

    import polars as pl

    from mlprep import __version__

    versions = {"mlprep": __version__, "python": platform.python_version(), "polars": pl.__version__}
    for dist in extra:
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return versions


@dataclass
class StepRun:
    """One invocation of a step: its parameters, warnings, and the writing of its outputs."""

    step: str
    params: dict[str, Any]
    libraries: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)
    command: list[str] | None = None

    def warn(self, message: str | None) -> None:
        """Record a warning; the CLI prints it, every manifest of the run stores it."""
        if message and message not in self.warnings:
            self.warnings.append(message)

    def write(self, outputs: Sequence[Output]) -> list[Manifest]:
        """Write every output atomically (one pass over shared inputs) with its manifest."""
        self._check_targets(outputs)
        for out in outputs:
            if out.path == mio.STDIO and out.data_inputs:  # stdout is written from memory
                check_memory(out.data_inputs[0], what="-o - (stdout, written from memory)")
        versions = library_versions(*self.libraries)
        manifests = [self._manifest(out, versions) for out in outputs]
        targets = []
        for out, m in zip(outputs, manifests):
            if out.path == mio.STDIO:  # stdout is written eagerly: embed now
                _fill_input_hashes(m, out)
                targets.append(mio.WriteTarget(out.frame, out.path, {mio.LINEAGE_KEY: m.to_json(embedded=True)}))
            else:
                targets.append(mio.WriteTarget(out.frame, out.path, _metadata_callback(m, out)))
        temps = mio.write_parquet(targets)
        sidecar_temps: list[Path | None] = []
        try:
            check_inputs_unmodified([d for out in outputs for d in (*out.data_inputs, *out.fit_inputs)])
            written = [tmp for tmp in temps if tmp is not None]
            digests = dict(zip(written, mio.hash_all(mio.file_sha256, written)))
            for tmp, out, m in zip(temps, outputs, manifests):
                _fill_input_hashes(m, out)
                if tmp is not None:
                    m.output.sha256 = digests[tmp]
                    m.output.rows = _parquet_rows(tmp)
            # Every fallible write (each manifest too) is done before the first rename, so a
            # failure leaves every previous output and manifest untouched.
            for tmp, out, m in zip(temps, outputs, manifests):
                sidecar_temps.append(None if tmp is None else mio.write_sidecar_temp(Path(out.path), m.to_json().encode()))
        except BaseException:
            mio.discard_temps([*temps, *sidecar_temps])
            raise
        for tmp, side, out in zip(temps, sidecar_temps, outputs):
            if tmp is None or side is None:
                continue
            with mio.folder_lock(Path(out.path).parent):
                mio.commit_output(tmp, Path(out.path), side)
        return manifests

    def _check_targets(self, outputs: Sequence[Output]) -> None:
        seen: set[str] = set()
        for out in outputs:
            inputs = [d.source for d in (*out.data_inputs, *out.fit_inputs)]
            mio.check_output_path(out.path, inputs)
            key = str(Path(out.path).resolve()) if out.path != mio.STDIO else mio.STDIO
            if key in seen:
                raise OutputError(f"two outputs of this step would both be written to {out.path!r}")
            seen.add(key)

    def _manifest(self, out: Output, versions: dict[str, str]) -> Manifest:
        folder = Path(out.path).parent if out.path != mio.STDIO else Path.cwd()
        first = out.data_inputs[0] if out.data_inputs else None
        role = (first.role if first else None) if out.role is _INHERIT else out.role
        fold = (first.fold if first else None) if out.fold is _INHERIT else out.fold
        refs = [_input_ref(d, "data", folder) for d in out.data_inputs]
        refs += [_input_ref(d, "fit", folder) for d in out.fit_inputs]
        report = dict(out.report)
        if self.warnings:
            report["warnings"] = list(self.warnings)
        schema = out.frame.lazy().collect_schema()
        params = dict(self.params)
        params["verify_inputs"] = verify_inputs.get()  # False after `mlprep --no-verify`
        return Manifest(
            step=self.step,
            params=params,
            command=list(self.command if self.command is not None else current_command.get()),
            versions=versions,
            inputs=refs,
            output=DatasetRef(
                path=Path(out.path).name if out.path != mio.STDIO else mio.STDIO,
                sha256=None, rows=None, schema={k: str(v) for k, v in schema.items()}, role=role, fold=fold,
            ),
            state=out.state,
            report=report,
            created_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )


def check_inputs_unmodified(datasets: Sequence[Dataset] | None = None) -> None:
    """Refuse inputs whose bytes no longer match the sha256 their own sidecar manifest records.

    A writing step checks after the (overlapping) background hash finishes and before any output
    is committed, so a tampered or bit-flipped input leaves nothing behind; a command that writes
    nothing (profile, check) calls this before reporting. ``None`` checks every input the
    current command opened. Skipped after ``mlprep --no-verify``.
    """
    if not verify_inputs.get():
        return
    if datasets is None:
        datasets = opened_inputs.get() or []
    for data in datasets:
        m = data.manifest
        if data.verified or data.manifest_origin != "sidecar" or m is None or not m.output.sha256:
            continue
        data.verified = True
        if data.source.sha256 != m.output.sha256:
            raise InputError(
                f"input {data.name!r} was modified after mlprep wrote it (its sha256 no longer matches "
                f"{data.name}.lineage.json); regenerate it, or delete the .lineage.json to use it as a raw source"
            )


def _fill_input_hashes(manifest: Manifest, out: Output) -> None:
    datasets = [*out.data_inputs, *out.fit_inputs]
    for ref, dataset in zip(manifest.inputs, datasets):
        ref.sha256 = dataset.source.sha256


def _metadata_callback(manifest: Manifest, out: Output):
    """Build the embedded manifest when the footer is written, so input hashing overlaps the write."""

    def build(_context: object) -> dict[str, str]:
        _fill_input_hashes(manifest, out)
        return {mio.LINEAGE_KEY: manifest.to_json(embedded=True)}

    return build


def _input_ref(dataset: Dataset, use: str, folder: Path) -> DatasetRef:
    src = dataset.source
    path = mio.STDIO if src.kind == "stdin" else relative_to_folder(src.arg if src.kind == "glob" else src.arg, folder)
    return DatasetRef(
        path=path,
        sha256=None,  # filled in once the background hash is done
        rows=dataset.rows,
        schema={k: str(v) for k, v in dataset.schema.items()},
        role=dataset.role,
        fold=dataset.fold,
        use=use,  # type: ignore[arg-type]
        lineage=dataset.manifest,
    )


def _parquet_rows(path: Path) -> int:
    import polars as pl

    return int(pl.scan_parquet(str(path)).select(pl.len()).collect().item())
