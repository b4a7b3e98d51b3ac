"""Run the benchmarks: mlprep side by side with hand-written polars, pandas + scikit-learn and DuckDB.

    python benchmarks/run.py --rows 10000000                      # everything (make bench)
    python benchmarks/run.py --rows 1000000 --ops split,sample_reservoir
    python benchmarks/run.py --list                               # the operations

For each operation, every variant runs as its own process: one warm-up run, then ``--runs``
measured runs, interleaved (A B C A B C …) so drift on a shared machine affects all alike. The
report gives the median wall time and median peak RSS of each variant, and the ratios
mlprep/polars (the floor a polars-based tool can reach), pandas/mlprep and duckdb/mlprep. A
variant that fails (a command this build does not have, a missing dependency, a crash, a
timeout) is recorded as an error in the table; the run goes on.

Writes a Markdown report (default BENCHMARKS.md) and the raw figures as JSON (default
benchmarks/results.json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from harness import (KIND_ORDER, KIND_TITLE, VariantResult, fmt_mib, fmt_ratio, fmt_s, machine_description,  # noqa: E402
                     measure, ratio)
from ops import Op, catalogue, expand  # noqa: E402

PACKAGES = ["mlprep", "polars", "polars-hash", "pyarrow", "numpy", "pandas", "duckdb", "scikit-learn", "imbalanced-learn", "scipy"]
DATA_KINDS = ["mlprep", "polars", "pandas", "duckdb"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the main table (default 10,000,000)")
    parser.add_argument("--smote-rows", type=int, default=1_000_000, help="rows of SMOTE's input, at most --rows (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per variant after the warm-up (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up runs per variant, not measured (default 1)")
    parser.add_argument("--no-warmup-kinds", default="", metavar="KINDS",
                        help="variant kinds that skip the warm-up, e.g. 'pandas' to save time at 10M rows "
                        "(the input is already in the page cache from the other variants' warm-ups)")
    parser.add_argument("--ops", default="", help="comma-separated operations to run (default: all; see --list)")
    parser.add_argument("--skip-ops", default="", help="comma-separated operations to leave out")
    parser.add_argument("--extras", action="store_true",
                        help="also run the supplementary operations (I/O floor, profile, hash index form) and the "
                        "comparisons no target depends on (e.g. pandas one-hot and drift, DuckDB split); see --list")
    parser.add_argument("--kinds", default="", help="comma-separated variant kinds to run (mlprep,polars,pandas,duckdb,baseline)")
    parser.add_argument("--md", type=Path, default=ROOT / "BENCHMARKS.md", help="Markdown report (default BENCHMARKS.md)")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="JSON results (default benchmarks/results.json)")
    parser.add_argument("--update", action="store_true",
                        help="re-measure only --ops and merge them into the existing --json/--md report (each operation's "
                             "variants are still measured side by side in one run; the report says which ran when)")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data", help="cached inputs (default benchmarks/data)")
    parser.add_argument("--scratch", type=Path, default=None, help="folder for outputs (default <data-dir>/out); emptied per op")
    parser.add_argument("--keep-outputs", action="store_true", help="leave the last run's outputs in the scratch folder")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a run is killed (default 900)")
    parser.add_argument("--mlprep", default=None, help="the mlprep executable (default: next to this Python)")
    parser.add_argument("--list", action="store_true", help="list the operations and exit")
    return parser.parse_args(argv)


def select_ops(ops: list[Op], only: str, skip: str, *, extras: bool = True) -> list[Op]:
    """The operations named by --ops minus --skip-ops; unknown names are an error.

    Without --ops: every operation, less the supplementary ones unless ``extras``. An operation
    named in --ops always runs.
    """
    names = {op.name for op in ops}
    wanted = [s.strip() for s in only.split(",") if s.strip()]
    skipped = {s.strip() for s in skip.split(",") if s.strip()}
    unknown = sorted((set(wanted) | skipped) - names)
    if unknown:
        raise SystemExit(f"unknown operation(s) {', '.join(unknown)}; choose from {', '.join(op.name for op in ops)}")
    chosen = [op for op in ops if (op.name in wanted if wanted else extras or not op.extra) and op.name not in skipped]
    order = {name: i for i, name in enumerate(wanted)}
    return sorted(chosen, key=lambda op: order.get(op.name, 0)) if wanted else chosen


def prepare_pipeline(context: dict, base: Path) -> None:
    """Outputs of a small mlprep pipeline (convert, then split if this build has it) for lineage verify."""
    pipe = base / "pipeline"
    raw_out = pipe / "raw.parquet"
    mlprep = context["mlprep"]
    if not raw_out.exists():
        pipe.mkdir(parents=True, exist_ok=True)
        subprocess.run([mlprep, "convert", str(context["raw"]), "-o", str(raw_out), "-q"], check=False)
    splits = pipe / "splits"
    if raw_out.exists() and not (splits / "test.parquet").exists():
        subprocess.run([mlprep, "split", str(raw_out), "--time-col", "event_time", "--ratios", "0.7,0.15,0.15",
                        "--out-dir", str(splits), "-q"], check=False, stderr=subprocess.DEVNULL)
    outputs = [p for p in [raw_out, *(splits / f"{n}.parquet" for n in ("train", "valid", "test"))] if p.exists()]
    context["verify_outputs"] = [str(p) for p in outputs] or [str(raw_out)]
    # The files verify must hash: the outputs and every ancestor on disk (the raw source).
    context["verify_files"] = [str(p) for p in [context["raw"], *outputs]]
    context["verify_bytes"] = sum(Path(p).stat().st_size for p in context["verify_files"] if Path(p).exists())


def output_rows(folder: Path) -> dict[str, int]:
    """Rows of each Parquet output under a folder (from the file metadata)."""
    import polars as pl

    rows = {}
    for path in sorted(folder.rglob("*.parquet")):
        if not path.name.startswith("."):
            try:
                rows[str(path.relative_to(folder))] = pl.scan_parquet(path).select(pl.len()).collect().item()
            except Exception:  # noqa: BLE001 - a broken output is reported as -1 rows
                rows[str(path.relative_to(folder))] = -1
    return rows


def warm_page_cache(files: list[Path]) -> int:
    """Read every input once, so each variant's first measured run finds it in the page cache.

    This is what a per-variant warm-up run buys a separate process (nothing else survives the
    process), so ``make bench`` does it once here and skips per-variant warm-ups.
    """
    total = 0
    for path in files:
        if path.is_file():
            with open(path, "rb") as fh:
                while chunk := fh.read(8 << 20):
                    total += len(chunk)
    return total


def run_op(op: Op, context: dict, args: argparse.Namespace, log=print, cgroup: str | None = None) -> dict[str, VariantResult]:
    """Warm up, then interleave measured runs of every variant; return the results by variant name."""
    kinds = {k for k in args.kinds.split(",") if k} if getattr(args, "kinds", "") else None
    variants = [v for v in op.variants if (kinds is None or v.kind in kinds) and (getattr(args, "extras", True) or not v.extra)]
    no_warm = {k for k in args.no_warmup_kinds.split(",") if k}
    scratch = Path(context["scratch"]) / op.name
    results = {v.name: VariantResult(v.name, v.kind, v.label) for v in variants}

    def once(variant) -> object:
        out = scratch / variant.name
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        ctx = dict(context, out=str(out))
        commands = [expand(c, ctx) for c in variant.commands]
        return measure(commands, ok_codes=variant.ok_codes, timeout=args.timeout, cwd=ROOT, cgroup=cgroup)

    for variant in variants:
        result = results[variant.name]
        if variant.kind in no_warm:
            continue
        for _ in range(args.warmup):
            run = once(variant)
            result.warmup = run
            if run.error:
                result.error = run.error
                log(f"  {op.name:20s} {variant.name:14s} error: {run.error}")
                break
    for i in range(args.runs * op.repeat):
        for variant in variants:
            result = results[variant.name]
            if result.error:
                continue
            run = once(variant)
            if run.error:
                result.error = run.error
                log(f"  {op.name:20s} {variant.name:14s} error: {run.error}")
                continue
            result.runs.append(run)
            log(f"  {op.name:20s} {variant.name:14s} run {i + 1}: {run.wall_s:7.3f} s {run.peak_rss_mib:7.0f} MiB")
    for variant in variants:
        result = results[variant.name]
        if result.ok:
            result.outputs = output_rows(scratch / variant.name)
    if not args.keep_outputs:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def summarise(op: Op, results: dict[str, VariantResult]) -> dict:
    """Ratios and targets of one operation, as JSON-ready data."""
    mine = results.get("mlprep")
    t = {name: r.wall_s for name, r in results.items()}
    mem = {name: r.peak_rss_mib for name, r in results.items()}
    ratios = {
        "mlprep/polars": ratio(t.get("mlprep"), t.get("polars")),
        "mlprep/polars peak RSS": ratio(mem.get("mlprep"), mem.get("polars")),
        "pandas/mlprep": ratio(t.get("pandas"), t.get("mlprep")),
        "duckdb/mlprep": ratio(t.get("duckdb"), t.get("mlprep")),
    }
    if op.table == "baseline" and mine is not None:
        for name in results:
            if name != "mlprep":
                ratios[f"mlprep/{name}"] = ratio(t.get("mlprep"), t.get(name))
    targets = []
    for target in op.targets:
        got, met = target.evaluate(results)
        targets.append({"target": target.describe(), "measured": got, "met": met,
                        "unit": "s" if target.kind in ("abs_wall", "overhead_over") else "x"})
    return {"name": op.name, "title": op.title, "note": op.note, "table": op.table,
            "variants": [r.to_json() for r in results.values()], "ratios": ratios, "targets": targets}


def _cell(variant: dict | None, footnotes: list[str], op_name: str) -> str:
    if variant is None:
        return "—"
    if variant.get("error"):
        footnotes.append(f"{op_name} / {variant['label']}: {variant['error']}")
        return f"error [{len(footnotes)}]"
    return f"{fmt_s(variant['median_wall_s'])} / {fmt_mib(variant['median_peak_rss_mib'])}"


def _measured(target: dict) -> str:
    value = target["measured"]
    if value is None:
        return "—"
    return f"{value:.3f} s" if target["unit"] == "s" else fmt_ratio(value)


def _load_lines(meta: dict) -> list[str]:
    """The load average around the run, with a warning when other work competed for the CPU."""
    load = meta.get("load_average")
    if not load:
        return []
    start, end = (" / ".join(f"{v:.1f}" for v in load[k]) for k in ("start", "end"))
    line = f"- Load average (1 / 5 / 15 min): {start} at the start, {end} at the end"
    if max(load["start"][0], load["end"][0]) > meta["machine"]["cores"]:
        line += (": above the core count, so other work competed for the CPU and absolute times are inflated; "
                 "ratios between interleaved variants hold up better")
    return [line + "."]


def render_markdown(meta: dict, summaries: list[dict]) -> str:
    """The BENCHMARKS.md report."""
    m = meta["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{meta['command']}` on {meta['date']} (commit {meta.get('commit') or 'unknown'}).",
        "",
        f"- Data: the sample_data transactions schema, {meta['rows']:,} rows ({meta['raw_mib']:.0f} MiB of Parquet); "
        f"SMOTE on {meta['smote_rows']:,} rows; as-of join against {max(1, meta['rows'] // 10):,} feature rows.",
        f"- Method: every variant is a separate process reading the same Parquet and writing zstd Parquet; "
        "inputs read into the page cache once, then "
        f"{meta['warmup']} warm-up run{'s' if meta['warmup'] != 1 else ''} per variant"
        + (f" (none for {meta['no_warmup_kinds']})" if meta.get("no_warmup_kinds") and meta["warmup"] else "")
        + f", then {meta['runs']} measured runs, variants interleaved; the figures are medians"
        + ("" if meta.get("extras", True) else " (supplementary operations and comparisons no target depends on are left out; "
           "--extras adds them)")
        + ". "
        "Wall time in seconds / peak RSS in MiB (the kernel's maximum resident set size of the process, from wait4).",
        "- Ratios: mlprep/polars is mlprep's wall time over the hand-written polars script's (1.0 is the floor a "
        "polars-based tool can reach; lower is better); pandas/mlprep and duckdb/mlprep say how many times faster "
        "mlprep is. On a shared machine, treat differences under 1.3× as ties.",
        f"- Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB memory, {m['os']}.",
        f"- Versions: {versions}.",
        *_load_lines(meta),
        "",
        "## Data operations",
        "",
        "| operation | " + " | ".join(f"{KIND_TITLE[k]} s / MiB" for k in DATA_KINDS)
        + " | mlprep/polars wall (RSS) | pandas/mlprep | duckdb/mlprep |",
        "|---|" + "---:|" * (len(DATA_KINDS) + 3),
    ]
    footnotes: list[str] = []
    for s in (s for s in summaries if s["table"] == "data"):
        by_kind = {v["kind"]: v for v in s["variants"]}
        r = s["ratios"]
        floor = fmt_ratio(r["mlprep/polars"])
        if r["mlprep/polars peak RSS"] is not None:
            floor += f" ({fmt_ratio(r['mlprep/polars peak RSS'])})"
        cells = [_cell(by_kind.get(k), footnotes, s['name']) for k in DATA_KINDS]
        lines.append(f"| {s['title']} | " + " | ".join(cells)
                     + f" | {floor} | {fmt_ratio(r['pandas/mlprep'])} | {fmt_ratio(r['duckdb/mlprep'])} |")
    baseline = [s for s in summaries if s["table"] == "baseline"]
    if baseline:
        lines += ["", "## Start-up and hashing", "", "| operation | variant | s / MiB | mlprep/variant |", "|---|---|---:|---:|"]
        for s in baseline:
            for v in s["variants"]:
                rel = "" if v["name"] == "mlprep" else fmt_ratio(s["ratios"].get(f"mlprep/{v['name']}"))
                lines.append(f"| {s['title']} | {v['label']} | {_cell(v, footnotes, s['name'])} | {rel} |")
    lines += ["", "## Targets", "", "| operation | target | measured | status |", "|---|---|---:|---|"]
    for s in summaries:
        for t in s["targets"]:
            status = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
            lines.append(f"| {s['name']} | {t['target']} | {_measured(t)} | {status} |")
    for rerun in meta.get("reruns", []):
        lines += ["", f"Re-measured by `{rerun['command']}` on {rerun['date']} (commit {rerun.get('commit') or 'unknown'}), "
                  f"load average {' / '.join(str(x) for x in rerun['load_average']['start'])} at its start: "
                  + ", ".join(rerun["ops"]) + "."]
    notes = [f"- {s['name']}: {s['note']}" for s in summaries if s["note"]]
    if notes:
        lines += ["", "## Notes", "", *notes]
    if footnotes:
        lines += ["", "## Errors", ""] + [f"{i}. {text}" for i, text in enumerate(footnotes, 1)]
    lines += ["", f"Raw figures (every run) are in `{meta.get('json', 'benchmarks/results.json')}`; the whole run took "
              f"{meta.get('elapsed_s', 0):.0f} s. `python benchmarks/run.py --help` lists the options.", ""]
    return "\n".join(lines)


def merge_reports(previous: dict, meta: dict, summaries: list[dict], order: list[str]) -> tuple[dict, list[dict]]:
    """Replace the re-measured operations in a previous report, keeping catalogue order.

    The previous run's description stays the report's header; each re-run is listed with its
    date, commit and operations, so every figure can be traced to the run that measured it.
    """
    fresh = {s["name"]: dict(s, measured=f"{meta['date']} (commit {meta.get('commit') or 'unknown'})") for s in summaries}
    merged = {s["name"]: s for s in previous["ops"]} | fresh
    base = dict(previous["meta"])
    base["reruns"] = [*base.get("reruns", []), {"command": meta["command"], "date": meta["date"], "commit": meta.get("commit"),
                                                  "ops": sorted(fresh), "load_average": meta["load_average"]}]
    return base, [merged[name] for name in order if name in merged]


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ops = catalogue()
    if args.list:
        for op in ops:
            mark = " (extra)" if op.extra else ""
            print(f"{op.name + mark:28s} {op.title}  [{', '.join(v.name + (' (extra)' if v.extra else '') for v in op.variants)}]")
        return 0
    chosen = select_ops(ops, args.ops, args.skip_ops, extras=args.extras)
    bad_kinds = {k for k in args.kinds.split(",") if k} - set(KIND_ORDER)
    if bad_kinds:
        raise SystemExit(f"unknown variant kind(s) {', '.join(sorted(bad_kinds))}; choose from {', '.join(KIND_ORDER)}")
    from generate import prepare

    needs = set().union(*(op.needs for op in chosen)) if chosen else set()
    data_needs = {n for n in needs if n != "pipeline"} | {"raw"}
    print(f"preparing inputs ({args.rows:,} rows) under {args.data_dir} …", file=sys.stderr)
    paths = prepare(args.rows, smote_rows=args.smote_rows, data_dir=args.data_dir, need=data_needs)
    mlprep = args.mlprep or str(Path(sys.executable).with_name("mlprep"))
    context: dict = {"py": sys.executable, "mlprep": mlprep, "v": str(HERE / "variants"),
                     "scratch": str(args.scratch or args.data_dir / "out"),
                     "raw": paths["raw"], "features": paths.get("features", ""), "smote": paths.get("smote", ""),
                     "tiny": paths.get("tiny", ""), "train": paths.get("split_train", ""),
                     "valid": paths.get("split_valid", ""), "test": paths.get("split_test", ""),
                     "first": paths.get("half_first", ""), "second": paths.get("half_second", "")}
    if "pipeline" in needs:
        prepare_pipeline(context, args.data_dir / str(args.rows))
    warmed = warm_page_cache([Path(v) for k, v in paths.items() if k != "tiny"])
    print(f"read {warmed / 2**20:,.0f} MiB of inputs into the page cache", file=sys.stderr)
    summaries = []
    load_before = os.getloadavg()
    started = dt.datetime.now(dt.timezone.utc)
    for op in chosen:
        print(f"{op.name}: {op.title}", file=sys.stderr)
        op_start = dt.datetime.now(dt.timezone.utc)
        results = run_op(op, context, args, log=lambda msg: print(msg, file=sys.stderr))
        summaries.append(summarise(op, results))
        summaries[-1]["elapsed_s"] = round((dt.datetime.now(dt.timezone.utc) - op_start).total_seconds(), 1)
    elapsed = (dt.datetime.now(dt.timezone.utc) - started).total_seconds()
    meta = {
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": started.strftime("%Y-%m-%d %H:%M UTC"), "commit": git_commit(), "elapsed_s": round(elapsed, 1),
        "rows": args.rows, "smote_rows": min(args.rows, args.smote_rows), "runs": args.runs, "warmup": args.warmup,
        "no_warmup_kinds": args.no_warmup_kinds, "extras": args.extras, "raw_mib": Path(paths["raw"]).stat().st_size / 2**20,
        "machine": machine_description(PACKAGES),
        "load_average": {"start": [round(x, 2) for x in load_before], "end": [round(x, 2) for x in os.getloadavg()]},
    }
    try:
        meta["json"] = str(args.json.resolve().relative_to(ROOT))
    except ValueError:
        meta["json"] = str(args.json)
    if "verify_bytes" in context:
        meta["verify_bytes"] = context["verify_bytes"]
    if args.update and args.json.exists():
        meta, summaries = merge_reports(json.loads(args.json.read_text()), meta, summaries, [op.name for op in ops])
    for path, text in ((args.json, json.dumps({"meta": meta, "ops": summaries}, indent=1) + "\n"),
                       (args.md, render_markdown(meta, summaries))):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    print(f"wrote {args.md} and {args.json} in {elapsed:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
