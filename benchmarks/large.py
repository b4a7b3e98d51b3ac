"""Out-of-core proof: mlprep commands on a dataset at least twice the size of a memory cap.

    python benchmarks/large.py                        # 50M rows, cap = in-memory size / 2.5 (make bench-large)
    python benchmarks/large.py --rows 20000000 --mem-cap 1G --ops split,profile

The data's in-memory size is estimated from polars' ``estimated_size()`` of the first million rows,
scaled to all rows. Every command runs in a child cgroup whose memory limit is the cap (cgroup v2
``memory.max`` or v1 ``memory.limit_in_bytes``, whichever this machine has; see memcap.py), then
its output is checked (row counts, time ordering, statistics). The report gives wall time, peak
RSS (the process's own, from wait4) as a share of the data's in-memory size, and the cgroup's
peak charge (RSS plus page cache, which the kernel reclaims under the cap).

Writes benchmarks/results/large.md and large.json. Without a usable cgroup it stops with a message
saying why; ``--no-cap`` measures without a cap instead (the figures then prove nothing about
larger-than-memory data, and the report says so).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import polars as pl  # noqa: E402

from generate import DATA, FEATURES, prepare  # noqa: E402
from harness import fmt_mib, fmt_s, machine_description, measure_one  # noqa: E402
from memcap import MemoryCap, MemoryCapError  # noqa: E402
from run import PACKAGES, git_commit  # noqa: E402

N_SAMPLE = 100_000
BERNOULLI_P = 0.01
HASH_N = 1 << 20


def parse_size(text: str) -> int:
    """'3G', '1500M', '2.5GiB' or a byte count -> bytes."""
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    if t and t[-1] in units:
        return int(float(t[:-1]) * units[t[-1]])
    return int(float(t))


def in_memory_bytes(raw: Path) -> int:
    """polars' estimated in-memory size of the whole file, from its first million rows."""
    rows = pl.scan_parquet(raw).select(pl.len()).collect().item()
    head = min(rows, 1_000_000)
    return int(pl.scan_parquet(raw).head(head).collect().estimated_size() * rows / max(head, 1))


def _rows(path: Path) -> int:
    return pl.scan_parquet(path).select(pl.len()).collect().item()


def ops(paths: dict, out: Path, mlprep: str) -> list[tuple[str, list[list[str]], str | None, object]]:
    """(name, commands, stdout file, check) for each operation."""
    raw = str(paths["raw"])
    n = _rows(paths["raw"])
    splits = [str(paths[f"split_{s}"]) for s in ("train", "valid", "test")]

    def check_convert() -> str:
        got = _rows(out / "convert.parquet")
        assert got == n, f"{got} rows, expected {n}"
        return f"{got:,} rows"

    def check_split() -> str:
        parts = [out / "split" / f"{s}.parquet" for s in ("train", "valid", "test")]
        counts = [_rows(p) for p in parts]
        assert sum(counts) == n, f"{sum(counts)} rows in the splits, expected {n}"
        bounds = [pl.scan_parquet(p).select(pl.col("event_time").min().alias("lo"), pl.col("event_time").max().alias("hi")).collect().row(0)
                  for p in parts]
        assert bounds[0][1] < bounds[1][0] and bounds[1][1] < bounds[2][0], f"splits overlap in time: {bounds}"
        return "rows " + " / ".join(f"{c:,}" for c in counts) + ", ordered in time"

    def check_reservoir() -> str:
        got = _rows(out / "reservoir.parquet")
        assert got == N_SAMPLE, f"{got} rows, expected {N_SAMPLE}"
        return f"{got:,} rows"

    def check_bernoulli() -> str:
        got = _rows(out / "bernoulli.parquet")
        sd = math.sqrt(n * BERNOULLI_P * (1 - BERNOULLI_P))
        assert abs(got - n * BERNOULLI_P) <= 6 * sd, f"{got} rows, expected {n * BERNOULLI_P:.0f} ± {6 * sd:.0f}"
        return f"{got:,} rows (expected {n * BERNOULLI_P:,.0f})"

    def check_impute_scale() -> str:
        for split in ("train", "valid", "test"):
            got, want = _rows(out / "scaled" / f"{split}.parquet"), _rows(Path(paths[f"split_{split}"]))
            assert got == want, f"{split}: {got} rows, expected {want}"
        stats = pl.scan_parquet(out / "scaled" / "train.parquet").select(
            *(pl.col(c).null_count().alias(f"{c}_nulls") for c in FEATURES),
            *(pl.col(c).mean().alias(f"{c}_mean") for c in FEATURES),
            *(pl.col(c).std(ddof=0).alias(f"{c}_std") for c in FEATURES)).collect().row(0, named=True)
        for c in FEATURES:
            assert stats[f"{c}_nulls"] == 0, f"{c} has {stats[f'{c}_nulls']} nulls after imputation"
            assert abs(stats[f"{c}_mean"]) < 1e-6 and abs(stats[f"{c}_std"] - 1) < 1e-6, f"{c} not standardised on train"
        return "no nulls; train mean 0, std 1"

    def check_hash() -> str:
        got = pl.scan_parquet(out / "hash.parquet").select(pl.len(), pl.col("merchant__hash").max()).collect().row(0)
        assert got[0] == n and got[1] < HASH_N, f"{got[0]} rows, max bucket {got[1]}"
        return f"{got[0]:,} rows, buckets < {HASH_N}"

    def check_profile() -> str:
        result = json.loads((out / "profile.json").read_text())
        assert result["rows"] == n, f"profile counted {result['rows']} rows, expected {n}"
        return f"{len(result['columns'])} columns profiled"

    m = mlprep
    return [
        ("convert", [[m, "convert", raw, "-o", str(out / "convert.parquet"), "-q"]], None, check_convert),
        ("split", [[m, "split", raw, "--time-col", "event_time", "--ratios", "0.7,0.15,0.15", "--out-dir", str(out / "split"), "-q"]],
         None, check_split),
        ("sample_reservoir", [[m, "sample", "reservoir", raw, "-n", str(N_SAMPLE), "-o", str(out / "reservoir.parquet"), "-q"]],
         None, check_reservoir),
        ("sample_bernoulli", [[m, "sample", "bernoulli", raw, "--p", str(BERNOULLI_P), "-o", str(out / "bernoulli.parquet"), "-q"]],
         None, check_bernoulli),
        ("impute_scale", [
            [m, "impute", *splits, "--strategy", "median", "--cols", ",".join(FEATURES), "--out-dir", str(out / "imputed"), "-q"],
            [m, "scale", *(str(out / "imputed" / f"{s}.parquet") for s in ("train", "valid", "test")), "--method", "standard",
             "--cols", ",".join(FEATURES), "--out-dir", str(out / "scaled"), "-q"],
        ], None, check_impute_scale),
        ("encode_hash", [[m, "encode", "hash", raw, "--cols", "merchant,category", "--n-features", str(HASH_N),
                          "-o", str(out / "hash.parquet"), "-q"]], None, check_hash),
        ("profile", [[m, "profile", raw, "--json"]], str(out / "profile.json"), check_profile),
    ]


def render(meta: dict, rows: list[dict]) -> str:
    cap = meta["cap"]
    lines = [
        "# Out-of-core runs",
        "",
        f"Produced by `{meta['command']}` on {meta['date']} (commit {meta.get('commit') or 'unknown'}).",
        "",
        f"- Data: {meta['rows']:,} rows, {meta['parquet_mib']:.0f} MiB of Parquet, "
        f"{meta['in_memory_mib']:.0f} MiB in memory (polars estimated_size).",
        f"- Memory cap: {cap}." if meta["capped"] else "- **No memory cap** (--no-cap): these figures do not prove out-of-core operation.",
        f"- Data in memory / cap: {meta['data_over_cap']:.2f}×." if meta["capped"] else "",
        f"- Machine: {meta['machine']['cores']} cores, {meta['machine']['memory_gib']} GiB; "
        + ", ".join(f"{k} {v}" for k, v in meta["machine"]["versions"].items() if v) + ".",
        "",
        "| operation | result | wall s | peak RSS MiB | RSS / data in memory | cgroup peak MiB | output check |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        share = f"{r['rss_share']:.0%}" if r.get("rss_share") is not None else "—"
        lines.append(f"| {r['op']} | {r['status']} | {fmt_s(r.get('wall_s'))} | {fmt_mib(r.get('peak_rss_mib'))} | {share} | "
                     f"{fmt_mib(r.get('cgroup_peak_mib'))} | {r.get('check') or r.get('error') or ''} |")
    lines += ["", "cgroup peak counts page cache too, which the kernel reclaims under the cap; peak RSS is the process's own.", ""]
    return "\n".join(line for line in lines if line is not None) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000, help="rows (default 50,000,000)")
    parser.add_argument("--mem-cap", default=None, help="memory cap, e.g. 2G (default: the data's in-memory size / 2.5)")
    parser.add_argument("--no-cap", action="store_true", help="run without a memory cap when no cgroup can be made")
    parser.add_argument("--ops", default="", help="comma-separated subset of convert,split,sample_reservoir,sample_bernoulli,"
                        "impute_scale,encode_hash,profile")
    parser.add_argument("--data-dir", type=Path, default=DATA, help="cached inputs (default benchmarks/data)")
    parser.add_argument("--md", type=Path, default=HERE / "results" / "large.md")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "large.json")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--mlprep", default=None)
    args = parser.parse_args(argv)

    print(f"preparing {args.rows:,} rows under {args.data_dir} (written once) …", file=sys.stderr)
    paths = prepare(args.rows, data_dir=args.data_dir, need={"raw", "splits"})
    data_bytes = in_memory_bytes(paths["raw"])
    cap_bytes = parse_size(args.mem_cap) if args.mem_cap else int(data_bytes / 2.5)
    if data_bytes < 2 * cap_bytes:
        print(f"note: the data ({data_bytes / 2**20:.0f} MiB in memory) is less than twice the cap "
              f"({cap_bytes / 2**20:.0f} MiB): use more --rows or a smaller --mem-cap for an out-of-core proof", file=sys.stderr)
    cap = None
    try:
        cap = MemoryCap(cap_bytes)
    except MemoryCapError as exc:
        if not args.no_cap:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"warning: {exc}; running without a cap", file=sys.stderr)
    mlprep = args.mlprep or str(Path(sys.executable).with_name("mlprep"))
    out = args.data_dir / "out-large"
    wanted = {s for s in args.ops.split(",") if s}
    results = []
    started = dt.datetime.now(dt.timezone.utc)
    try:
        if cap:
            print(f"memory cap: {cap.describe()}", file=sys.stderr)
        for name, commands, stdout, check in ops(paths, out, mlprep):
            if wanted and name not in wanted:
                continue
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            if cap:
                cap.reset_peak()
            oom_before = cap.oom_kills() if cap else None
            total, peak, error = 0.0, 0.0, None
            for argv_ in commands:
                run = measure_one(argv_, timeout=args.timeout, cwd=ROOT, cgroup=str(cap.path) if cap else None, stdout=stdout)
                total, peak = total + run.wall_s, max(peak, run.peak_rss_mib)
                if run.error:
                    error = run.error
                    break
            row = {"op": name, "wall_s": total, "peak_rss_mib": peak, "rss_share": peak * 2**20 / data_bytes,
                   "cgroup_peak_mib": (cap.peak_bytes() or 0) / 2**20 if cap else None}
            if cap and (cap.oom_kills() or 0) > (oom_before or 0):
                error = (error or "") + " (the kernel killed it for exceeding the memory cap)"
            if error:
                row.update(status="failed", error=error)
            else:
                try:
                    row.update(status="ok", check=check())
                except AssertionError as exc:
                    row.update(status="wrong output", error=str(exc))
                except Exception as exc:  # noqa: BLE001 - an unreadable output is a failed check
                    row.update(status="wrong output", error=f"{type(exc).__name__}: {exc}")
            print(f"  {name:18s} {row['status']:12s} {total:8.2f} s {peak:8.0f} MiB  {row.get('check') or row.get('error')}",
                  file=sys.stderr)
            results.append(row)
    finally:
        shutil.rmtree(out, ignore_errors=True)
        if cap:
            cap.close()
    meta = {
        "command": "python benchmarks/large.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": started.strftime("%Y-%m-%d %H:%M UTC"), "commit": git_commit(), "rows": args.rows,
        "parquet_mib": Path(paths["raw"]).stat().st_size / 2**20, "in_memory_mib": data_bytes / 2**20,
        "capped": cap is not None, "cap": cap.describe() if cap else None, "cap_mib": cap_bytes / 2**20,
        "data_over_cap": data_bytes / cap_bytes, "machine": machine_description(PACKAGES),
    }
    for path, text in ((args.json, json.dumps({"meta": meta, "ops": results}, indent=1) + "\n"), (args.md, render(meta, results))):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    print(f"wrote {args.md} and {args.json}", file=sys.stderr)
    return 0 if all(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
