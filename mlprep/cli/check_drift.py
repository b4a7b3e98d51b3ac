"""``mlprep check drift``: has CURRENT moved away from REFERENCE? Per column, per time window."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlprep.cli import options

_Float = float


def _threshold(flag: str, text: str) -> object:
    return typer.Option(flag, help=text, metavar="X")


def drift(
    reference: Annotated[str, typer.Argument(help="The reference data (e.g. the training split): Parquet file, folder, glob, .csv/.ndjson, or -.")],
    current: Annotated[str, typer.Argument(help="The data to compare with it (e.g. recent production data), same forms.")],
    cols: options.Cols = None,
    target: Annotated[Optional[str], typer.Option("--target", help="The label column: report label shift (change of its distribution).", metavar="COL")] = None,
    time_col: Annotated[Optional[str], typer.Option("--time-col", help="CURRENT's event-time column; excluded from the comparison, needed by --window.", metavar="COL")] = None,
    window: Annotated[Optional[str], typer.Option("--window", help="Also compare each window of CURRENT of this length (e.g. 7d, 12h) with REFERENCE; needs --time-col.", metavar="DURATION")] = None,
    bins: Annotated[int, typer.Option("--bins", help="Reference-quantile bins for numeric PSI.")] = 10,
    max_categories: Annotated[int, typer.Option("--max-categories", help="Categories kept by name for categorical PSI and chi-square (the rest are pooled as '(other)').")] = 20,
    psi_warn: Annotated[_Float, _threshold("--psi-warn", "PSI at or above this warns.")] = 0.1,
    psi_alert: Annotated[_Float, _threshold("--psi-alert", "PSI at or above this alerts.")] = 0.25,
    ks_warn: Annotated[_Float, _threshold("--ks-warn", "KS statistic at or above this warns (numeric columns).")] = 0.1,
    ks_alert: Annotated[_Float, _threshold("--ks-alert", "KS statistic at or above this alerts.")] = 0.2,
    wasserstein_warn: Annotated[_Float, _threshold("--wasserstein-warn", "Normed Wasserstein distance at or above this warns.")] = 0.3,
    wasserstein_alert: Annotated[_Float, _threshold("--wasserstein-alert", "Normed Wasserstein distance at or above this alerts.")] = 0.5,
    missing_warn: Annotated[_Float, _threshold("--missing-warn", "Absolute change in missing rate at or above this warns.")] = 0.05,
    missing_alert: Annotated[_Float, _threshold("--missing-alert", "Absolute change in missing rate at or above this alerts.")] = 0.1,
    p_value: Annotated[_Float, _threshold("--p-value", "Significance level: an effect size counts only when its test's p-value is below this (a p-value alone never alerts).")] = 0.05,
    html: Annotated[Optional[str], typer.Option("--html", help="Also write a self-contained HTML report with REFERENCE and CURRENT distributions overlaid for each drifted column.", metavar="FILE")] = None,
    as_json: options.Json = False,
    quiet: options.Quiet = False,
) -> None:
    """Compare CURRENT with REFERENCE column by column: PSI, KS, Wasserstein, chi-square, missing rate.

    Numeric columns: PSI on reference-quantile bins, Kolmogorov-Smirnov statistic and p-value,
    Wasserstein distance (raw and normed), change in missing rate. Categorical columns: PSI over
    categories (unseen and vanished ones listed), chi-square test. Each column is graded ok, warn
    or alert from effect sizes, counted only when the matching test is significant. Prints a
    table sorted by severity (or --json); exits 1 when any column (or window) alerts, else 0.

    Example: mlprep check drift sample_data/transactions.parquet sample_data/transactions.parquet --cols 'amount,category,f*' --target is_fraud
    """
    from mlprep.cli import console
    from mlprep.errors import UsageError
    from mlprep.parsing import parse_duration, split_list
    from mlprep.runner import check_inputs_unmodified, open_input
    from mlprep.steps.drift import Thresholds, drift as drift_step

    console.set_quiet(quiet)
    if window is not None and time_col is None:
        raise UsageError("--window needs --time-col: name the CURRENT column whose time defines the windows, e.g. --time-col event_time --window 7d")
    width = parse_duration(window, option="--window") if window is not None else None
    if reference == "-" and current == "-":
        raise UsageError("REFERENCE and CURRENT cannot both be - (stdin); give at least one as a file")
    ref_data = open_input(reference)
    cur_data = open_input(current)
    if html is not None:
        _check_html_target(html, [ref_data, cur_data])
    thresholds = Thresholds(
        psi_warn=psi_warn, psi_alert=psi_alert, ks_warn=ks_warn, ks_alert=ks_alert,
        wasserstein_warn=wasserstein_warn, wasserstein_alert=wasserstein_alert,
        missing_warn=missing_warn, missing_alert=missing_alert, p_value=p_value,
    )
    result = drift_step(
        ref_data.frame, cur_data.frame, cols=split_list(cols) or None, target=target, time_col=time_col, window=width,
        bins=bins, max_categories=max_categories, thresholds=thresholds, plots=html is not None,
        reference_name=ref_data.name, current_name=cur_data.name,
    )
    check_inputs_unmodified([ref_data, cur_data])
    result["reference"] = {"path": ref_data.name, "role": ref_data.role}
    result["current"] = {"path": cur_data.name, "role": cur_data.role}
    for skipped in result["skipped"]:
        console.warn(f"column {skipped['column']!r} ({skipped['dtype']}) not compared: {skipped['reason']}")
    if html is not None:
        _write_html(html, result)
    if as_json:
        for col in _all_entries(result):
            col.pop("plot", None)
        console.print_json(result)
    else:
        console.render(_table(result))
        if result["windows"]:
            console.render(_window_table(result))
    console.info(
        f"check drift: {result['severity']}: {result['alerts']} alert(s), {result['warnings']} warning(s) in "
        f"{len(result['columns'])} column(s)"
        + (f"; {result['window_alerts']} alert(s) across {len(result['windows'])} window(s)" if result["windows"] else "")
        + (f"; report: {html}" if html else "")
    )
    if result["severity"] == "alert":
        raise typer.Exit(1)


def _all_entries(result: dict):
    yield from result["columns"]
    for window in result["windows"] or []:
        yield from window["columns"]


def _check_html_target(path: str, inputs: list) -> None:
    from pathlib import Path

    from mlprep.errors import OutputError

    target = Path(path)
    if target.is_dir():
        raise OutputError(f"--html {path!r} is a folder; give a file path such as {str(target / 'drift.html')!r}")
    resolved = target.resolve()
    for data in inputs:
        for p in data.source.paths:
            if p.resolve() == resolved:
                raise OutputError(f"--html {path!r} is the input {data.name!r}; write the report to a new file")


def _write_html(path: str, result: dict) -> None:
    from pathlib import Path

    from mlprep import io as mio
    from mlprep.cli.drift_html import render

    mio.atomic_write_bytes(Path(path), render(result).encode("utf-8"))


_STYLE = {"alert": "bold red", "warn": "yellow", "ok": "green"}


def _table(result: dict):
    from rich.table import Table

    ref, cur = result["reference"], result["current"]
    table = Table(
        caption="\\[cat] categorical; p-value: KS (numeric) or chi-square (categorical); norm W: normed Wasserstein",
        title=f"drift: {cur['path']} ({result['rows']['current']:,} rows) vs {ref['path']} ({result['rows']['reference']:,} rows)",
        title_justify="left",
    )
    for header in ("severity", "column", "PSI", "KS", "p-value", "norm W", "missing", "notes"):
        numeric = header in ("PSI", "KS", "p-value", "norm W")
        table.add_column(header, overflow="fold", justify="right" if numeric else "left", no_wrap=header in ("severity", "missing"))
    for c in result["columns"]:
        p = c.get("ks_p_value") if c["kind"] == "numeric" else c.get("chi2_p_value")
        notes = list(c["reasons"])
        for key in ("unseen", "vanished"):
            info = c.get(key)
            if info and info["count"]:
                shown = ", ".join(str(v["value"]) for v in info["values"][:3])
                notes.append(f"{info['count']} {key}: {shown}{', …' if info['count'] > 3 else ''}")
        name = c["column"] + (" (target)" if c.get("role") == "target" else "") + (" [cat]" if c["kind"] == "categorical" else "")
        table.add_row(
            f"[{_STYLE[c['severity']]}]{c['severity']}[/]", _escape(name), _num(c.get("psi")), _num(c.get("ks_statistic")),
            _num(p), _num(c.get("wasserstein_normed")),
            f"{_rate(c.get('missing_rate_reference'))}→{_rate(c.get('missing_rate_current'))}", _escape("; ".join(notes)),
        )
    return table


def _window_table(result: dict):
    from rich.table import Table

    table = Table(title=f"windows of {result['current']['path']} ({result['params']['window']} each, by {result['params']['time_col']})", title_justify="left")
    for header in ("start", "end", "rows", "severity", "drifted columns"):
        table.add_column(header, overflow="fold", justify="right" if header == "rows" else "left")
    for w in result["windows"]:
        drifted = ", ".join(f"{c['column']} ({c['severity']})" for c in w["columns"] if c["severity"] != "ok")
        table.add_row(_when(w["start"]), _when(w["end"]), f"{w['rows']:,}", f"[{_STYLE[w['severity']]}]{w['severity']}[/]", _escape(drifted))
    return table


def _when(iso: str) -> str:
    return iso.replace("T", " ")[:16]


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3g}" if value == 0 or abs(value) >= 1e-3 else f"{value:.2e}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def register(check_app: typer.Typer) -> None:
    """Add ``drift`` to the ``mlprep check`` command group."""
    check_app.command("drift")(drift)
