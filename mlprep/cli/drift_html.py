"""The self-contained HTML report of ``mlprep check drift``: tables plus inline SVG overlays.

No JavaScript, no external stylesheet or font: the file opens anywhere, offline, and can be
attached to a ticket. Pure string building; the command writes the file atomically.
"""

from __future__ import annotations

import html
from typing import Any

REF_COLOUR = "#1f77b4"
CUR_COLOUR = "#ff7f0e"
SEVERITY_COLOUR = {"alert": "#c0392b", "warn": "#d68910", "ok": "#1e8449"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}
.sev{font-weight:600;text-transform:uppercase}
.alert{color:#c0392b}.warn{color:#d68910}.ok{color:#1e8449}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}
figure{margin:.5rem 0 1.5rem 0}figcaption{font-size:.8rem;color:#555}
"""


def render(result: dict[str, Any]) -> str:
    """Build the report for a :func:`mlprep.steps.drift.drift` result (computed with ``plots=True``)."""
    ref, cur = result.get("reference", {}), result.get("current", {})
    sev = result["severity"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>mlprep check drift: {_e(cur.get('path', 'CURRENT'))} vs {_e(ref.get('path', 'REFERENCE'))}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Drift report</h1>",
        f"<p>REFERENCE <b>{_e(ref.get('path', ''))}</b> ({result['rows']['reference']:,} rows) vs CURRENT "
        f"<b>{_e(cur.get('path', ''))}</b> ({result['rows']['current']:,} rows). Overall: "
        f"<span class='sev {sev}'>{sev}</span> — {result['alerts']} alert(s), {result['warnings']} warning(s) over "
        f"{len(result['columns'])} column(s).</p>",
        _thresholds(result),
        "<h2>Columns</h2>",
        _column_table(result["columns"]),
    ]
    if result.get("skipped"):
        parts.append("<p>Not compared: " + ", ".join(f"{_e(s['column'])} ({_e(s['dtype'])})" for s in result["skipped"]) + "</p>")
    if result.get("windows"):
        parts += ["<h2>Windows of CURRENT</h2>", _window_table(result["windows"])]
    drifted = [c for c in result["columns"] if c["severity"] != "ok"]
    parts.append("<h2>Drifted columns</h2>")
    if not drifted:
        parts.append("<p>No column drifted over the thresholds.</p>")
    parts.append(
        f"<p class='legend'>Distributions overlaid:<span style='background:{REF_COLOUR};opacity:.6'></span>REFERENCE"
        f"<span style='background:{CUR_COLOUR};opacity:.6'></span>CURRENT</p>" if drifted else ""
    )
    for col in drifted:
        parts.append(f"<h3 id='col-{_e(col['column'])}'>{_e(col['column'])} <span class='sev {col['severity']}'>{col['severity']}</span></h3>")
        parts.append(f"<p>{_e('; '.join(col['reasons']))}</p>")
        plot = col.get("plot")
        if plot is None:
            parts.append("<p>(no values to draw)</p>")
        elif plot["kind"] == "numeric":
            parts.append(_figure(numeric_svg(plot, col["column"]), "Share of non-missing values per equal-width bin (values beyond the 0.5%–99.5% range are counted in the end bins)."))
        else:
            parts.append(_figure(categorical_svg(plot, col["column"]), "Share of non-missing values per category."))
            parts.append(_unseen(col))
    parts.append("<p style='font-size:.8rem;color:#777'>Made by mlprep check drift. PSI on reference-quantile bins "
                 f"(epsilon {result['params']['epsilon']:g} for empty bins); KS and chi-square p-values from scipy; "
                 "an alert needs an effect size over its threshold, never a p-value alone.</p>")
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def _thresholds(result: dict[str, Any]) -> str:
    th = result["thresholds"]
    return (
        "<p>Thresholds (warn / alert): "
        f"PSI {th['psi_warn']:g} / {th['psi_alert']:g}; KS {th['ks_warn']:g} / {th['ks_alert']:g}; "
        f"normed Wasserstein {th['wasserstein_warn']:g} / {th['wasserstein_alert']:g}; "
        f"missing-rate change {th['missing_warn']:g} / {th['missing_alert']:g}; significance p &lt; {th['p_value']:g}.</p>"
    )


def _column_table(columns: list[dict[str, Any]]) -> str:
    head = ("severity", "column", "kind", "PSI", "KS", "p-value", "Wasserstein", "normed W", "missing ref → cur", "why")
    rows = []
    for c in columns:
        p = c.get("ks_p_value") if c["kind"] == "numeric" else c.get("chi2_p_value")
        name = _e(c["column"]) + (" (target)" if c.get("role") == "target" else "")
        rows.append(
            f"<tr><td class='l sev {c['severity']}'>{c['severity']}</td><td class='l'>{name}</td><td class='l'>{c['kind']}</td>"
            f"<td>{_num(c.get('psi'))}</td><td>{_num(c.get('ks_statistic'))}</td><td>{_num(p)}</td>"
            f"<td>{_num(c.get('wasserstein'))}</td><td>{_num(c.get('wasserstein_normed'))}</td>"
            f"<td>{_rate(c.get('missing_rate_reference'))} → {_rate(c.get('missing_rate_current'))}</td>"
            f"<td class='l'>{_e('; '.join(c['reasons']))}</td></tr>"
        )
    return "<table><tr>" + "".join(f"<th class='l'>{h}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _window_table(windows: list[dict[str, Any]]) -> str:
    rows = []
    for w in windows:
        drifted = ", ".join(f"{c['column']} ({c['severity']})" for c in w["columns"] if c["severity"] != "ok")
        rows.append(
            f"<tr><td class='l'>{_e(w['start'])}</td><td class='l'>{_e(w['end'])}</td><td>{w['rows']:,}</td>"
            f"<td class='l sev {w['severity']}'>{w['severity']}</td><td class='l'>{_e(drifted)}</td></tr>"
        )
    return ("<table><tr><th class='l'>start</th><th class='l'>end</th><th>rows</th><th class='l'>severity</th>"
            "<th class='l'>drifted columns</th></tr>" + "".join(rows) + "</table>")


def _unseen(col: dict[str, Any]) -> str:
    out = []
    for key, label in (("unseen", "Unseen in REFERENCE"), ("vanished", "Vanished from CURRENT")):
        info = col.get(key) or {}
        if info.get("count"):
            values = ", ".join(f"{_e(v['value'])} ({v['rows']:,})" for v in info["values"])
            more = f", … ({info['count'] - len(info['values'])} more)" if info["count"] > len(info["values"]) else ""
            out.append(f"<p>{label}: {info['count']} categor{'y' if info['count'] == 1 else 'ies'}: {values}{more}</p>")
    return "".join(out)


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


# ---- SVG -------------------------------------------------------------------------------------

_W, _H = 720, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 12, 40


def numeric_svg(plot: dict[str, Any], title: str) -> str:
    """Two overlaid step histograms (filled, semi-transparent) on a shared x axis."""
    edges, ref, cur = plot["edges"], plot["reference"], plot["current"]
    ymax = max(max(ref), max(cur), 1e-12) * 1.08
    x0, x1 = edges[0], edges[-1]
    pw, ph = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def sx(x: float) -> float:
        return _LEFT + (x - x0) / (x1 - x0) * pw if x1 > x0 else _LEFT

    def sy(y: float) -> float:
        return _TOP + ph - y / ymax * ph

    def area(shares: list[float]) -> str:
        pts = [(sx(edges[0]), sy(0))]
        for i, s in enumerate(shares):
            pts += [(sx(edges[i]), sy(s)), (sx(edges[i + 1]), sy(s))]
        pts.append((sx(edges[-1]), sy(0)))
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)

    parts = [_svg_open(title)]
    parts += _axes(ymax)
    for i in range(6):
        x = x0 + (x1 - x0) * i / 5
        parts.append(f"<text x='{sx(x):.1f}' y='{_H - _BOTTOM + 16}' font-size='11' text-anchor='middle'>{_e(_tick(x))}</text>")
    parts.append(f"<polygon points='{area(ref)}' fill='{REF_COLOUR}' fill-opacity='0.45' stroke='{REF_COLOUR}'/>")
    parts.append(f"<polygon points='{area(cur)}' fill='{CUR_COLOUR}' fill-opacity='0.45' stroke='{CUR_COLOUR}'/>")
    parts.append(f"<text x='{_LEFT + pw / 2:.1f}' y='{_H - 4}' font-size='12' text-anchor='middle'>{_e(title)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def categorical_svg(plot: dict[str, Any], title: str) -> str:
    """Side-by-side bars per category: REFERENCE and CURRENT shares (labels slanted when many)."""
    labels, ref, cur = plot["labels"], plot["reference"], plot["current"]
    n_ref, n_cur = max(sum(ref), 1), max(sum(cur), 1)
    ref_s, cur_s = [r / n_ref for r in ref], [c / n_cur for c in cur]
    ymax = max(max(ref_s, default=0), max(cur_s, default=0), 1e-12) * 1.08
    slanted = len(labels) > 8
    height, bottom = (_H + 50, _BOTTOM + 50) if slanted else (_H, _BOTTOM)
    pw, ph = _W - _LEFT - _RIGHT, height - _TOP - bottom
    slot = pw / max(len(labels), 1)
    bar = slot * 0.38
    parts = [_svg_open(title, height)]
    parts += _axes(ymax, height, bottom)
    for i, label in enumerate(labels):
        x = _LEFT + i * slot + slot * 0.12
        for j, (share, colour) in enumerate(((ref_s[i], REF_COLOUR), (cur_s[i], CUR_COLOUR))):
            h = share / ymax * ph
            parts.append(f"<rect x='{x + j * bar:.1f}' y='{_TOP + ph - h:.1f}' width='{bar:.1f}' height='{h:.1f}' fill='{colour}' fill-opacity='0.75'>"
                         f"<title>{_e(label)}: {share:.2%}</title></rect>")
        short = label if len(label) <= 14 else label[:13] + "…"
        lx, ly = _LEFT + (i + 0.5) * slot, _TOP + ph + 14
        if slanted:
            parts.append(f"<text x='{lx:.1f}' y='{ly:.1f}' font-size='10' text-anchor='end' transform='rotate(-40 {lx:.1f} {ly:.1f})'>{_e(short)}</text>")
        else:
            parts.append(f"<text x='{lx:.1f}' y='{ly:.1f}' font-size='10' text-anchor='middle'>{_e(short)}</text>")
    parts.append(f"<text x='{_LEFT + pw / 2:.1f}' y='{height - 4}' font-size='12' text-anchor='middle'>{_e(title)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(title: str, height: int = _H) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{_W}' height='{height}' viewBox='0 0 {_W} {height}' role='img' "
            f"aria-label='{_e(title)}: REFERENCE vs CURRENT'>")


def _axes(ymax: float, height: int = _H, bottom: int = _BOTTOM) -> list[str]:
    ph = height - _TOP - bottom
    out = [
        f"<line x1='{_LEFT}' y1='{_TOP + ph}' x2='{_W - _RIGHT}' y2='{_TOP + ph}' stroke='#444'/>",
        f"<line x1='{_LEFT}' y1='{_TOP}' x2='{_LEFT}' y2='{_TOP + ph}' stroke='#444'/>",
    ]
    for i in range(5):
        y = ymax * i / 4
        py = _TOP + ph - y / ymax * ph
        out.append(f"<line x1='{_LEFT - 4}' y1='{py:.1f}' x2='{_W - _RIGHT}' y2='{py:.1f}' stroke='#eee'/>")
        out.append(f"<text x='{_LEFT - 6}' y='{py + 4:.1f}' font-size='11' text-anchor='end'>{y:.1%}</text>")
    return out


def _tick(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1e5 else f"{x:.2e}"
