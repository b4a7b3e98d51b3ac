"""Fit on the training input, apply everywhere: the shared machinery of every fitted step.

A fitted step (impute, scale, bin, the vocabulary and target encoders) is a :class:`Transform`:
a pure ``fit`` that turns the training frame into plain-JSON state, and a pure ``apply`` that
transforms any frame with that state. :func:`fit_and_apply` does the rest the same way for all
of them: the leakage guard (CONVENTIONS §4), fitting once on the first input, applying to every
input (the training input included), checking each input against what fit saw, ``--state``
reuse, and writing every output with its manifest (state included). ``lineage replay`` finds a
step's transform by name with :func:`get_transform` and re-applies the recorded state.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlprep.errors import StateError, UsageError
from mlprep.runner import Dataset, Output, StepRun, check_fit_role, open_input

if TYPE_CHECKING:
    import polars as pl

    from mlprep.lineage.model import Manifest

FitFn = Callable[["pl.LazyFrame", dict[str, Any]], dict[str, Any]]
ApplyFn = Callable[["pl.LazyFrame", dict[str, Any], dict[str, Any]], "pl.LazyFrame"]


@dataclass(frozen=True)
class Transform:
    """A fitted step: ``fit(train, params) -> state`` and ``apply(frame, state, params) -> frame``.

    ``state`` must be JSON (numbers, strings, lists, dicts) and hold ``"columns"``: the
    ``{name: dtype}`` of the input columns the transform reads, so every later input is checked
    against what fit saw before it is transformed.
    """

    step: str
    fit: FitFn
    apply: ApplyFn
    libraries: tuple[str, ...] = ()
    #: Report facts from applying (e.g. unseen categories); optional.
    report: Callable[["pl.LazyFrame", dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None
    #: The output for the fit input itself, when it must differ from ``apply`` (e.g. a target
    #: encoder cross-fits its training rows so no row is encoded with its own label). A pure
    #: function of (fit frame, state, params), so ``lineage replay`` can redo it; optional.
    fit_output: ApplyFn | None = None
    #: True for a transform whose state comes from parameters and schema only (e.g. hashing):
    #: no leakage guard, and outputs record no fit input.
    stateless: bool = False
    #: The batched form of ``report``: ``(frame, state, params, known) -> (query, finish)``, where
    #: ``query`` is a one-row aggregate LazyFrame (or None when ``known`` already holds every
    #: aggregate) and ``finish(row)`` turns its row (merged over ``known``) into the report.
    #: :func:`fit_and_apply` runs all inputs' queries in one ``collect_all``; ``known`` is what
    #: fit stored under ``state["_report_row"]`` for the training input (aggregates fit's own
    #: pass already computed), so the training input needs no separate report pass.
    report_query: Callable[..., tuple["pl.LazyFrame | None", Callable[[dict[str, Any]], dict[str, Any]]]] | None = None


#: Step name → "module:attribute" of its Transform, imported only when used.
TRANSFORMS: dict[str, str] = {
    "impute": "mlprep.steps.impute:TRANSFORM",
    "scale": "mlprep.steps.scale:TRANSFORM",
    "bin": "mlprep.steps.binning:TRANSFORM",
    "encode.hash": "mlprep.steps.encode_hash:HASH",
    "encode.onehot": "mlprep.steps.encode:ONEHOT",
    "encode.ordinal": "mlprep.steps.encode:ORDINAL",
    "encode.count": "mlprep.steps.encode:COUNT",
    "encode.frequency": "mlprep.steps.encode:FREQUENCY",
    "encode.target": "mlprep.steps.encode_target:TARGET",
}


def get_transform(step: str) -> Transform:
    """The registered transform for a manifest's ``step``."""
    if step not in TRANSFORMS:
        raise StateError(f"step {step!r} has no fitted transform to apply; known: {', '.join(sorted(TRANSFORMS)) or 'none'}")
    module, attr = TRANSFORMS[step].split(":")
    return getattr(importlib.import_module(module), attr)


def load_state(state_file: str, step: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read (params, state) of ``step`` from an mlprep output or manifest given to ``--state``."""
    from mlprep.errors import ManifestError
    from mlprep.lineage.model import load_manifest

    path = Path(state_file)
    if not path.exists():
        raise StateError(f"--state {state_file!r} does not exist; give an output of `mlprep {step.replace('.', ' ')}` or its .lineage.json")
    try:
        loaded = load_manifest(path)
    except ManifestError as exc:
        raise StateError(f"--state {state_file!r} is not an mlprep manifest: {exc}") from exc
    if loaded is None:
        raise StateError(f"--state {state_file!r} is not an mlprep output (no lineage manifest)")
    manifest: Manifest = loaded[0]
    if manifest.step != step or manifest.state is None:
        raise StateError(f"--state {state_file!r} was made by `{manifest.step}`, not `{step}`; give an output of the same step")
    return manifest.params, manifest.state


def check_against_state(dataset: Dataset, state: dict[str, Any], *, step: str) -> None:
    """Refuse an input that lacks a fitted column or has it with another dtype."""
    check_schema(dataset.schema, state, step=step, where=repr(dataset.name))


def check_schema(schema: "pl.Schema", state: dict[str, Any], *, step: str, where: str) -> None:
    """Refuse a schema that lacks a column ``state`` was fitted on, or has it with another dtype."""
    names = schema.names()
    for column, dtype in state.get("columns", {}).items():
        if column not in names:
            from mlprep.errors import missing_column

            raise missing_column(column, names, where=f"{where} (it was fitted on by {step})")
        actual = str(schema[column])
        if actual != dtype:
            raise StateError(f"column {column!r} of {where} is {actual}, but {step} was fitted on {dtype}; cast it or refit")


@contextmanager
def naming_input(name: str):
    """Prefix the input's name to an input error raised by a step that did not know it."""
    from mlprep.errors import ColumnNotFoundError, InputError

    try:
        yield
    except InputError as exc:
        if isinstance(exc, ColumnNotFoundError) or repr(name) in str(exc):
            raise
        raise type(exc)(f"{name!r}: {exc}") from exc


def output_paths(inputs: Sequence[Dataset], *, output: str | None, out_dir: str | None) -> list[str]:
    """Where each input's output goes: ``-o`` for one input, else ``--out-dir`` keeping file names
    (a folder input ``data/train/`` gives ``train.parquet``)."""
    if (output is None) == (out_dir is None):
        raise UsageError("give exactly one of -o/--output (one input) or --out-dir (one or more inputs)")
    if output is not None:
        if len(inputs) != 1:
            raise UsageError(f"-o/--output takes one input but {len(inputs)} were given; use --out-dir for several")
        return [output]
    assert out_dir is not None
    names = []
    for data in inputs:
        if data.source.kind == "folder" and data.source.base is not None:  # a folder of parts: <folder>.parquet
            names.append(data.source.base.resolve().name + ".parquet")
            continue
        if data.source.kind != "file":
            raise UsageError(f"--out-dir names outputs after input files or folders, but {data.name!r} is a {data.source.kind}; use -o with one input")
        names.append(data.source.paths[0].name if data.source.paths[0].suffix == ".parquet" else data.source.paths[0].stem + ".parquet")
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise UsageError(f"several inputs are named {sorted(duplicates)[0]!r}; --out-dir would write them to one file, run them separately")
    return [str(Path(out_dir) / n) for n in names]


def fit_and_apply(
    transform: Transform,
    params: dict[str, Any],
    inputs: Sequence[str],
    *,
    output: str | None = None,
    out_dir: str | None = None,
    state_file: str | None = None,
    allow_leakage: bool = False,
    prepare: Callable[[Dataset, dict[str, Any]], dict[str, Any]] | None = None,
) -> tuple[StepRun, list[Manifest], list[str]]:
    """Fit ``transform`` on the first input (or load ``state_file``), apply it to every input, write.

    The fit input's own output comes from ``transform.fit_output`` when the transform has one
    (a cross-fitted target encoding), else from ``apply`` like every other input. A
    ``stateless`` transform skips the leakage guard and records no fit input.

    ``prepare(train, params)`` may resolve data-dependent parameters (e.g. default columns) before
    fitting; its result replaces ``params`` and is what the manifest records.
    Returns the run (for its warnings), the manifests, and the output paths.
    """
    if not inputs:
        raise UsageError("give at least one input (the training split first)")
    datasets = [open_input(arg) for arg in inputs]
    paths = output_paths(datasets, output=output, out_dir=out_dir)
    record = {**params, "allow_leakage": allow_leakage, "state_file": state_file}
    run = StepRun(transform.step, params=record, libraries=transform.libraries)
    fit_inputs: list[Dataset]
    known: dict[str, Any] | None = None
    if state_file is not None:
        stored_params, state = load_state(state_file, transform.step)
        params = {**stored_params, **{k: v for k, v in params.items() if k not in stored_params}}
        fit_inputs = []
    else:
        train = datasets[0]
        if not transform.stateless:
            run.warn(check_fit_role(train, allow_leakage=allow_leakage))
        if prepare is not None:
            params = prepare(train, params)
        with naming_input(train.name):
            state = dict(transform.fit(train.frame, params))
        known = state.pop("_report_row", None)
        for message in state.pop("warnings", None) or []:  # fit notes go to the run's warnings
            run.warn(message)
        fit_inputs = [] if transform.stateless else [train]
    run.params = {**params, "allow_leakage": allow_leakage, "state_file": state_file}
    frames = []
    for index, data in enumerate(datasets):
        check_against_state(data, state, step=transform.step)
        own_fit_input = index == 0 and state_file is None
        apply = transform.fit_output if own_fit_input and transform.fit_output is not None else transform.apply
        frames.append(apply(data.frame, state, params))
    reports = _reports(transform, datasets, state, params, known if state_file is None else None)
    outputs = [
        Output(path, frame, data_inputs=[data], fit_inputs=fit_inputs, state=state, report=report)
        for data, path, frame, report in zip(datasets, paths, frames, reports)
    ]
    return run, run.write(outputs), paths


def _reports(
    transform: Transform, datasets: Sequence[Dataset], state: dict[str, Any], params: dict[str, Any], known: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Every input's report: all report passes in one parallel ``collect_all`` when the transform can batch them."""
    if transform.report_query is None:
        out = []
        for data in datasets:
            with naming_input(data.name):
                out.append(transform.report(data.frame, state, params) if transform.report else {})
        return out
    import polars as pl

    plans = []
    for index, data in enumerate(datasets):
        with naming_input(data.name):
            plans.append(transform.report_query(data.frame, state, params, known if index == 0 else None))
    queries = [query for query, _ in plans if query is not None]
    results = iter(pl.collect_all(queries, engine="streaming") if queries else [])
    out = []
    for index, (data, (query, finish)) in enumerate(zip(datasets, plans)):
        row = dict(known or {}) if index == 0 else {}
        if query is not None:
            row.update(next(results).row(0, named=True))
        with naming_input(data.name):
            out.append(finish(row))
    return out
