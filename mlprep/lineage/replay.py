"""Replay a file's fitted steps on new data: the serving path without train-serve skew.

``lineage replay NEW --like FILE`` follows FILE's history back along its data inputs (the chain
of files its rows came from), oldest step first, and applies every step that has a registered
fitted transform (:data:`mlprep.fitting.TRANSFORMS`: impute, scale, bin, encoders, …) with the
parameters and state recorded in its manifest. Steps that select or resample rows (split,
sample, balance) or only convert formats are skipped and listed. Each transform is a
row-by-row map, so a row that went through the pipeline comes out bit for bit as it did there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlprep.lineage.model import Manifest

if TYPE_CHECKING:
    import polars as pl


@dataclass
class ReplayPlan:
    """The steps of a history in order: which are re-applied, which are skipped."""

    steps: list[Manifest] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def data_chain(manifest: Manifest) -> list[Manifest]:
    """The manifests along the first data input of each step, oldest first.

    Fit inputs (the training split a transform was fitted on) are not part of the chain: their
    statistics are already in the state of the step that used them.
    """
    chain: list[Manifest] = []
    current: Manifest | None = manifest
    while current is not None:
        chain.append(current)
        data = [i for i in current.inputs if i.use == "data"]
        current = data[0].lineage if data else None
    return chain[::-1]


def plan_replay(manifest: Manifest) -> ReplayPlan:
    """Which steps of ``manifest``'s history replay applies (fitted transforms) and skips."""
    from mlprep.fitting import TRANSFORMS

    plan = ReplayPlan()
    for step in data_chain(manifest):
        if step.step in TRANSFORMS and step.state is not None:
            plan.steps.append(step)
            plan.applied.append(step.step)
        else:
            plan.skipped.append(step.step)
    return plan


def replay(frame: "pl.LazyFrame", manifest: Manifest, *, where: str = "the new input") -> tuple["pl.LazyFrame", ReplayPlan, list[dict[str, Any]]]:
    """Apply every fitted step of ``manifest``'s history to ``frame``, in order, with its state.

    Before each step the current columns are checked against what that step was fitted on.
    Returns the transformed frame (lazy: one streaming map when written), the plan, and each
    applied step's report on the new data.

    Example
    -------
    >>> from mlprep.lineage.model import load_manifest
    >>> m, _ = load_manifest("demo_out/scaled/train.parquet")  # doctest: +SKIP
    >>> out, plan, _ = replay(pl.scan_parquet("new.parquet"), m)  # doctest: +SKIP
    """
    from mlprep.fitting import check_schema, get_transform, naming_input

    plan = plan_replay(manifest)
    reports = []
    for step in plan.steps:
        transform = get_transform(step.step)
        assert step.state is not None
        check_schema(frame.collect_schema(), step.state, step=step.step, where=f"{where} (before replaying {step.step})")
        with naming_input(where):
            reports.append(transform.report(frame, step.state, step.params) if transform.report else {})
        frame = transform.apply(frame, step.state, step.params)
    return frame, plan, reports
