"""``mlprep join asof``: point-in-time correct joins of feature tables onto events."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlprep.cli import options

app = typer.Typer(help="Join feature tables onto events without looking into the future.", no_args_is_help=True)

PerTable = "With one FEATURES, repeated values combine; with several, give it once (all tables) or once per table, in order."


@app.command("asof")
def asof(
    events: Annotated[str, typer.Argument(help="The event (label) rows: Parquet file, folder, glob, .csv/.ndjson, or - for stdin.")],
    features: Annotated[list[str], typer.Argument(help="One or more feature tables (any order); each needs the key(s) and a feature-time column.")],
    output: options.Output,
    by: Annotated[
        Optional[list[str]],
        typer.Option("--by", help=f"Key column(s) shared by EVENTS and FEATURES, comma-separated (required). {PerTable}", metavar="KEY[,KEY…]"),
    ] = None,
    time_col: options.TimeCol = None,
    feature_time_col: Annotated[
        Optional[list[str]],
        typer.Option("--feature-time-col", help=f"When each feature row became known (default: the --time-col name). {PerTable}", metavar="COL"),
    ] = None,
    max_age: Annotated[
        Optional[list[str]],
        typer.Option("--max-age", help=f"Ignore feature rows older than this at event time, inclusive (e.g. 30d, 12h) (default: no limit). {PerTable}", metavar="DURATION"),
    ] = None,
    allow_exact_matches: Annotated[
        bool,
        typer.Option(
            "--allow-exact-matches/--strictly-before",
            help="Also match a feature row whose time equals the event time (at or before), or only strictly earlier ones.",
        ),
    ] = False,
    prefix: Annotated[
        Optional[list[str]],
        typer.Option("--prefix", help=f"Prefix for every column brought from a table, its feature time included (default: none). {PerTable}", metavar="P"),
    ] = None,
    cols: Annotated[
        Optional[list[str]],
        typer.Option("--cols", help=f"Feature columns to bring, names or globs (default: all but the keys). {PerTable}", metavar="COLS"),
    ] = None,
    inner: Annotated[bool, typer.Option("--inner", help="Drop events with no match in some table (counted) instead of keeping them with nulls.")] = False,
    as_json: options.Json = False,
    quiet: options.Quiet = False,
) -> None:
    """As-of join: each event gets the latest feature row of its key known before the event time.

    Strictly before by default (a feature stamped at the event's own time may not have been
    available yet); --allow-exact-matches allows at-or-before. --max-age ignores stale rows
    (a TTL). No match gives nulls, never a later row. Inputs need not be sorted: the output
    keeps the events' rows in their order (a left join; --inner drops unmatched events). The
    feature time column comes along, so every row shows how old its features are. Several
    FEATURES tables are joined in turn, each with its own options.

    Example: mlprep join asof sample_data/transactions.parquet sample_data/user_features.parquet --by user_id --time-col event_time --feature-time-col snapshot_time --max-age 30d --prefix u_ -o out/joined.parquet
    """
    from mlprep.cli import console
    from mlprep.errors import UsageError
    from mlprep.parsing import parse_duration, split_list
    from mlprep.runner import Output, StepRun, open_input
    from mlprep.steps.join import AsofTable, join_asof

    console.set_quiet(quiet)
    if not time_col:
        raise UsageError("--time-col is required: the event-time column of EVENTS, e.g. --time-col event_time")
    n = len(features)
    if not by:
        raise UsageError("--by is required: the key column(s) that EVENTS and FEATURES share, e.g. --by user_id")
    by_t = _per_table(by, n, "--by", combine=True)
    ftc_t = _per_table(feature_time_col, n, "--feature-time-col", combine=False)
    age_t = _per_table(max_age, n, "--max-age", combine=False)
    prefix_t = _per_table(prefix, n, "--prefix", combine=False)
    cols_t = _per_table(cols, n, "--cols", combine=True)
    durations = [parse_duration(a[0], option="--max-age") if a else None for a in age_t]

    ev = open_input(events)
    feats = [open_input(f) for f in features]
    tables = [
        AsofTable(
            frame=f.frame, by=split_list(by_t[i]), feature_time_col=ftc_t[i][0] if ftc_t[i] else None,
            max_age=durations[i], prefix=prefix_t[i][0] if prefix_t[i] else "",
            cols=split_list(cols_t[i]) or None, name=f.name,
        )
        for i, f in enumerate(feats)
    ]
    frame, report = join_asof(ev.frame, tables, time_col=time_col, allow_exact_matches=allow_exact_matches, inner=inner, events_name=ev.name)
    params = {
        "time_col": time_col,
        "allow_exact_matches": allow_exact_matches,
        "inner": inner,
        "tables": [
            {"by": t.by, "feature_time_col": r["feature_time_col"], "max_age": age_t[i][0] if age_t[i] else None,
             "prefix": t.prefix, "cols": t.cols}
            for i, (t, r) in enumerate(zip(tables, report["tables"]))
        ],
    }
    run = StepRun("join.asof", params=params)
    for t in report["tables"]:
        if t["matched"] == 0 and report["events"]:
            run.warn(f"no event found a feature row in {t['table']!r}; check --by, the time columns and --max-age")
    manifests = run.write([Output(output, frame, data_inputs=[ev, *feats], report=report)])
    for message in run.warnings:
        console.warn(message)
    if as_json:
        console.print_json(manifests[0].to_dict())
        return
    for t in report["tables"]:
        share = t["matched_share"]
        console.info(
            f"{t['table']}: matched {t['matched']:,} of {report['events']:,} events"
            + (f" ({share:.1%})" if share is not None else "")
            + f", no match {t['no_match']:,}, median feature age {t['median_feature_age'] or '—'}"
        )
    if inner:
        console.info(f"--inner: dropped {report['dropped_no_match']:,} events with no match")
    if output != "-":
        console.info(f"wrote {output}: {manifests[0].output.rows:,} rows (lineage: {output}.lineage.json)")


def _per_table(values: list[str] | None, n: int, option: str, *, combine: bool) -> list[list[str]]:
    """Spread a repeatable option over ``n`` tables: one value for all, or one per table."""
    from mlprep.errors import UsageError

    values = list(values or [])
    if not values:
        return [[] for _ in range(n)]
    if n == 1:
        if not combine and len(values) > 1:
            raise UsageError(f"{option} was given {len(values)} times for one FEATURES table; give it once")
        return [values]
    if len(values) == 1:
        return [values for _ in range(n)]
    if len(values) == n:
        return [[v] for v in values]
    raise UsageError(f"{option} was given {len(values)} times for {n} FEATURES tables; give it once (all tables) or {n} times (one per table, in order)")
