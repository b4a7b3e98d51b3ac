"""``mlprep lineage show|verify``: see and check how a file was made."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

import typer

app = typer.Typer(help="Inspect and verify the lineage recorded with every mlprep output.", no_args_is_help=True)

Format = Literal["tree", "json", "dot", "mermaid", "openlineage"]


@app.command("show")
def show(
    file: Annotated[str, typer.Argument(help="An mlprep output (.parquet), a folder of outputs, or a .lineage.json manifest.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="tree (rich), json (the manifest), dot (graphviz), mermaid, or openlineage (RunEvents, one per line).")] = "tree",
) -> None:
    """Show the whole history of a file: every step, its key parameters, rows, roles and hashes.

    Reads the sidecar manifest, or the copy embedded in the Parquet when the sidecar is gone.

    Example: mlprep lineage show demo_out/splits/train.parquet --format mermaid
    """
    from mlprep.cli import console
    from mlprep.errors import UsageError

    if fmt not in ("tree", "json", "dot", "mermaid", "openlineage"):
        raise UsageError(f"--format {fmt!r} is not one of tree, json, dot, mermaid, openlineage")
    for path, manifest, origin in _manifests(file):
        _show_one(path, manifest, origin, fmt)
    del console


def _manifests(file: str):
    from mlprep.errors import InputError
    from mlprep.lineage.model import load_manifest

    target = Path(file)
    if not target.exists():
        raise InputError(f"{file!r} does not exist; give an mlprep output file, folder, or .lineage.json manifest")
    paths = sorted(p for p in target.rglob("*.parquet") if not p.name.startswith((".", "_"))) if target.is_dir() else [target]
    found = []
    for path in paths:
        loaded = load_manifest(path)
        if loaded is not None:
            manifest, origin = loaded
            data_path = str(path)[: -len(".lineage.json")] if str(path).endswith(".lineage.json") else str(path)
            found.append((Path(data_path).as_posix(), manifest, origin))
    if not found:
        raise InputError(f"{file!r} has no lineage manifest (no sidecar, nothing embedded); it was not written by mlprep")
    return found


def _show_one(path: str, manifest, origin: str, fmt: str) -> None:
    import json
    import sys

    from mlprep.cli import console
    from mlprep.lineage.graph import build_tree, to_dot, to_mermaid, to_openlineage

    root = build_tree(manifest, path)
    if fmt == "json":
        console.print_json(manifest.to_dict(embedded=origin == "embedded"))
    elif fmt == "dot":
        sys.stdout.write(to_dot(root))
    elif fmt == "mermaid":
        sys.stdout.write(to_mermaid(root))
    elif fmt == "openlineage":
        for event in to_openlineage(root):
            sys.stdout.write(json.dumps(event, allow_nan=False) + "\n")
    else:
        if origin == "embedded":
            console.warn(f"{path}: sidecar manifest missing; showing the copy embedded in the Parquet")
        console.render(_tree(root))


def _tree(root):
    from rich.tree import Tree

    from mlprep.lineage.graph import key_params, short_hash

    def label(node) -> str:
        m = node.manifest
        out = m.output
        role = f" [magenta]{out.role}[/]" + (f" fold {out.fold}" if out.fold is not None else "") if out.role else ""
        rows_in = ", ".join(f"{i.rows:,}" for i in m.inputs if i.use == "data" and i.rows is not None)
        rows_out = f"{out.rows:,}" if out.rows is not None else "?"
        params = key_params(m)
        return (
            f"[bold]{node.output_path}[/]{role}  [cyan]{m.step}[/]"
            + (f"({_escape(params)})" if params else "")
            + f"  rows {rows_in or '—'} → {rows_out}  sha {short_hash(out.sha256)}"
        )

    shown: set[tuple[str, str | None]] = set()

    def add(tree, node) -> None:
        branch = tree.add(label(node))
        shown.add((node.output_path, node.manifest.output.sha256))
        children = {c.output_path: c for c in node.children}
        for ref, path in zip(node.manifest.inputs, node.input_paths):
            use = " (fit)" if ref.use == "fit" else ""
            if (path, ref.sha256) in shown:
                # Each history is drawn once; a training split that is both the data and the
                # fit input of its own output would otherwise appear twice at every level.
                branch.add(f"[dim]{path}{use}  (history shown above)  sha {short_hash(ref.sha256)}[/]")
            elif path in children:
                add(branch, children[path])
            else:
                rows = f"{ref.rows:,} rows" if ref.rows is not None else ""
                branch.add(f"[dim]{path}{use}  source  {rows}  sha {short_hash(ref.sha256)}[/]")

    tree = Tree("[bold]lineage[/]")
    add(tree, root)
    return tree


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@app.command("verify")
def verify(
    files: Annotated[list[str], typer.Argument(help="mlprep outputs (or their manifests) to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON on stdout.")] = False,
    root: Annotated[Optional[str], typer.Option("--root", help="Follow manifest paths only inside this folder; others are reported 'outside' and never read. Default: the current folder.", metavar="DIR")] = None,
) -> None:
    """Recompute the sha256 of each file and of every recorded ancestor still on disk.

    Prints ok / modified / missing per file and exits 1 if anything was modified or is
    missing (0 otherwise), so a Makefile or CI job can gate on it. An ancestor that came
    from stdin cannot be checked and does not fail the run. Paths recorded in manifests are
    followed only inside --root (default: the current folder): an absolute path, a `..`
    escape or a symlink out of it is reported as 'outside' (a failure) and never opened.

    Example: mlprep lineage verify demo_out/splits/train.parquet
    """
    from dataclasses import asdict

    from rich.table import Table

    from mlprep.cli import console
    from mlprep.lineage.verify import FAILING, verify_all

    from mlprep.errors import UsageError

    if root is not None and not Path(root).is_dir():
        raise UsageError(f"--root {root!r} is not a folder; give the folder that holds the files and their ancestors")
    checks = verify_all(files, root=root)
    if as_json:
        console.print_json([asdict(c) for c in checks])
    else:
        table = Table(title="lineage verify", title_justify="left")
        for header in ("status", "file", "kind", "step", "expected", "actual"):
            table.add_column(header)
        colours = {"ok": "green", "modified": "red", "missing": "red", "outside": "red", "stdin": "yellow", "unrecorded": "yellow"}
        for c in checks:
            table.add_row(f"[{colours[c.status]}]{c.status}[/]", c.path, c.kind, c.step, _short(c.expected, c.method), _short(c.actual, c.method))
        console.render(table)
    outside = [c.path for c in checks if c.status == "outside"]
    if outside:
        console.warn(
            f"{len(outside)} path(s) recorded in the manifests lie outside {str(Path(root or '.').resolve())!r} "
            f"(first: {outside[0]!r}) and were not read; if you trust these manifests, pass --root with a folder that holds them"
        )
    if any(c.status in FAILING for c in checks):
        raise typer.Exit(1)


def _short(value: str | None, method: str) -> str:
    return (value or "")[:12] if method == "sha256" else _escape(value or "")


@app.command("replay")
def replay(
    new_input: Annotated[str, typer.Argument(help="New raw data (Parquet file, folder, glob, .csv, or - for stdin).")],
    like: Annotated[str, typer.Option("--like", help="An mlprep output (or its .lineage.json) whose fitted steps to re-apply.", metavar="FILE")],
    output: Annotated[str, typer.Option("--output", "-o", help="Output Parquet file, or - for stdout.", metavar="PATH")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no summary (warnings and errors still go to stderr).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the output's manifest as JSON on stdout.")] = False,
) -> None:
    """Apply every fitted step in FILE's history (impute, scale, bin, encoders…) to new data.

    Follows FILE's lineage back along its data inputs and re-applies, oldest first, each step
    that has fitted state, with the recorded parameters and state (nothing is refitted);
    splits, samples and other steps are skipped and listed. A row that went through the
    pipeline comes out bit for bit as in FILE: the serving path without train-serve skew.

    Example: mlprep lineage replay sample_data/transactions.parquet --like demo_out/scaled/test.parquet -o out/served.parquet
    """
    from mlprep.cli import console
    from mlprep.cli.report import report_run
    from mlprep.errors import InputError
    from mlprep.lineage.model import load_manifest
    from mlprep.lineage.replay import replay as replay_steps
    from mlprep.runner import Output, StepRun, open_input

    console.set_quiet(quiet)
    if not Path(like).exists():
        raise InputError(f"--like {like!r} does not exist; give an mlprep output file or its .lineage.json")
    loaded = load_manifest(like)
    if loaded is None:
        raise InputError(f"--like {like!r} has no lineage manifest (no sidecar, nothing embedded); give a file written by mlprep")
    manifest = loaded[0]
    data = open_input(new_input)
    fit_inputs = [open_input(like)] if Path(like).suffix == ".parquet" else []
    frame, plan, reports = replay_steps(data.frame, manifest, where=data.name)
    if not plan.steps:
        raise InputError(f"--like {like!r} has no fitted step in its history (steps: {', '.join(plan.skipped)}); nothing to replay")
    run = StepRun("lineage.replay", params={"like": Path(like).as_posix(), "applied": plan.applied, "skipped": plan.skipped})
    report = {"applied": plan.applied, "skipped": plan.skipped, "steps": [{"step": s, **r} for s, r in zip(plan.applied, reports)]}
    manifests = run.write([Output(output, frame, data_inputs=[data], fit_inputs=fit_inputs, report=report)])
    if not as_json:
        console.info(f"replayed: {' → '.join(plan.applied)}" + (f"; skipped: {', '.join(plan.skipped)}" if plan.skipped else ""))
    report_run(run, manifests, [output], as_json=as_json)
