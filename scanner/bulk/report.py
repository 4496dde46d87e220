"""What a results store holds, summarised: as rich text for the terminal, and as one
self-contained HTML page whose charts are inline SVG (no script, nothing fetched).

Everything that came from an artifact (paths, file names, rule evidence, error reasons) is
escaped: for the terminal with ``scanner.text.escape`` and plain Text, for HTML with
``html.escape``.
"""

from __future__ import annotations

import html
import math
import os
import sqlite3
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..text import escape
from .store import connect

VERDICTS = ("malicious", "suspicious", "error", "clean")
COLOURS = {"clean": "#3a9d5d", "suspicious": "#d9a400", "malicious": "#c62828",
           "error": "#8e44ad"}
RICH_STYLE = {"clean": "green", "suspicious": "yellow", "malicious": "bold red",
              "error": "magenta"}
# Scan-time histogram bins, in milliseconds (upper bounds; the last is open).
TIME_BINS = (10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000)
TOP = 15


@dataclass(frozen=True)
class Summary:
    """Everything the reports show, read from the store in one go."""

    artifacts: int
    total_bytes: int
    findings: int
    verdicts: dict[str, int]
    top_rules: list[tuple[str, int, int]]  # rule, artifacts, findings
    categories: list[tuple[str, int, int]]  # category, artifacts, findings
    slowest: list[tuple[str, int, float, str]]  # path, size, elapsed ms, verdict
    flagged: list[tuple[str, str, float, str]]  # path, verdict, score, reasons (JSON)
    error_reasons: list[tuple[str, int]]  # reason (first 100 chars), artifacts
    unreadable_paths: int
    time_histogram: list[tuple[str, int]]  # bin label, artifacts
    elapsed_total_ms: float
    median_ms: float
    p95_ms: float
    peak_rss_kb: int
    runs: list[tuple[int, str, str, int, int, str]]  # id, source, backend, workers, scanned, status


def summarize(store_path: str | os.PathLike) -> Summary:
    conn = connect(store_path, readonly=True)
    try:
        return _summarize(conn)
    finally:
        conn.close()


def _summarize(conn: sqlite3.Connection) -> Summary:
    one = lambda sql: conn.execute(sql).fetchone()  # noqa: E731
    artifacts, total_bytes, elapsed_total, peak = one(
        "SELECT count(*), coalesce(sum(size), 0), coalesce(sum(elapsed_ms), 0), "
        "coalesce(max(peak_rss_kb), 0) FROM artifacts")
    verdicts = {v: 0 for v in VERDICTS}
    verdicts.update(dict(conn.execute("SELECT verdict, count(*) FROM artifacts GROUP BY 1")))
    elapsed = [r[0] for r in conn.execute(
        "SELECT elapsed_ms FROM artifacts WHERE verdict != 'error' ORDER BY elapsed_ms")]
    return Summary(
        artifacts=artifacts,
        total_bytes=total_bytes,
        findings=one("SELECT count(*) FROM findings")[0],
        verdicts=verdicts,
        top_rules=list(conn.execute(
            "SELECT rule, count(DISTINCT sha256), count(*) FROM findings GROUP BY rule "
            f"ORDER BY 2 DESC, 3 DESC, 1 LIMIT {TOP}")),
        categories=list(conn.execute(
            "SELECT category, count(DISTINCT sha256), count(*) FROM findings GROUP BY category "
            "ORDER BY 2 DESC, 1")),
        slowest=list(conn.execute(
            "SELECT path, size, elapsed_ms, verdict FROM artifacts "
            f"ORDER BY elapsed_ms DESC LIMIT {TOP}")),
        flagged=list(conn.execute(
            "SELECT path, verdict, score, reasons FROM artifacts "
            "WHERE verdict IN ('malicious', 'suspicious') "
            f"ORDER BY verdict = 'malicious' DESC, score DESC, path LIMIT {TOP * 2}")),
        error_reasons=list(conn.execute(
            "SELECT substr(error, 1, 100), count(*) FROM artifacts WHERE verdict = 'error' "
            f"GROUP BY 1 ORDER BY 2 DESC LIMIT {TOP}")),
        unreadable_paths=one("SELECT count(*) FROM paths WHERE sha256 IS NULL")[0],
        time_histogram=_histogram(elapsed),
        elapsed_total_ms=elapsed_total,
        median_ms=_quantile(elapsed, 0.5),
        p95_ms=_quantile(elapsed, 0.95),
        peak_rss_kb=peak,
        runs=list(conn.execute(
            "SELECT run_id, source, backend, workers, scanned, status FROM runs "
            "ORDER BY run_id")),
    )


def _quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _histogram(values: list[float]) -> list[tuple[str, int]]:
    counts = [0] * (len(TIME_BINS) + 1)
    for value in values:
        index = next((i for i, bound in enumerate(TIME_BINS) if value < bound), len(TIME_BINS))
        counts[index] += 1
    labels = [f"<{_ms(TIME_BINS[0])}"]
    labels += [_span(lo, hi) for lo, hi in zip(TIME_BINS, TIME_BINS[1:])]
    labels.append(f"≥{_ms(TIME_BINS[-1])}")
    return list(zip(labels, counts))


def _ms(value: float) -> str:
    return f"{value / 1000:g}s" if value >= 100 else f"{value:g}ms"


def _span(lo: float, hi: float) -> str:
    """``10–30ms``, ``0.1–0.3s``: the unit once, so that labels fit under their bars."""
    unit = "s" if hi >= 300 else "ms"
    scale = 1000 if unit == "s" else 1
    return f"{lo / scale:g}–{hi / scale:g}{unit}"


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


# -- terminal ------------------------------------------------------------------------------


def print_summary(console: Console, s: Summary) -> None:
    head = Text(f"{s.artifacts} artifact(s), {_mb(s.total_bytes)}, {s.findings} finding(s): ")
    for i, verdict in enumerate(VERDICTS):
        count = s.verdicts.get(verdict, 0)
        head.append(f"{count} {verdict}", style=RICH_STYLE[verdict] if count else "")
        head.append(", " if i < len(VERDICTS) - 1 else "\n")
    head.append(f"scan time: {s.elapsed_total_ms / 1000:,.1f} s in total, median "
                f"{s.median_ms:,.0f} ms, p95 {s.p95_ms:,.0f} ms; peak worker memory "
                f"{s.peak_rss_kb / 1024:,.0f} MiB")
    console.print(head)
    if s.unreadable_paths:
        console.print(Text(f"{s.unreadable_paths} listed path(s) could not be read at all",
                           style="magenta"))
    _table(console, "Flagged artifacts", ("verdict", "score", "path", "reasons"),
           [(Text(v, style=RICH_STYLE[v]), f"{score:.0f}", escape(p, 120),
             escape(", ".join(_reasons(r)), 120)) for p, v, score, r in s.flagged])
    _table(console, "Top rules", ("rule", "artifacts", "findings"),
           [(escape(r, 80), str(a), str(n)) for r, a, n in s.top_rules])
    _table(console, "Findings by category", ("category", "artifacts", "findings"),
           [(escape(c, 40), str(a), str(n)) for c, a, n in s.categories])
    _table(console, "Slowest artifacts", ("ms", "size", "verdict", "path"),
           [(f"{ms:,.0f}", _mb(size), v, escape(p, 120)) for p, size, ms, v in s.slowest])
    _table(console, "Errors", ("artifacts", "reason"),
           [(str(n), escape(reason or "", 100)) for reason, n in s.error_reasons])
    _table(console, "Runs", ("run", "source", "backend", "workers", "scanned", "status"),
           [(str(i), escape(src, 80), b, str(w), str(n), st) for i, src, b, w, n, st in s.runs])


def _table(console: Console, title: str, columns: tuple[str, ...], rows: list) -> None:
    if not rows:
        return
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[cell if isinstance(cell, Text) else Text(cell) for cell in row])
    console.print(table)


def _reasons(raw: str | None) -> list[str]:
    import json

    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    # A rule that decided the verdict several times (several members) is named once.
    return list(dict.fromkeys(str(v) for v in value)) if isinstance(value, list) else []


# -- HTML ----------------------------------------------------------------------------------


def render_html(s: Summary, title: str = "distscan bulk report") -> str:
    e = html.escape
    verdict_bars = [(v, s.verdicts.get(v, 0), COLOURS[v]) for v in VERDICTS]
    category_bars = [(c, a, "#3b6ea5") for c, a, _n in s.categories]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>{s.artifacts:,} artifacts ({_mb(s.total_bytes)}), {s.findings:,} findings. "
        f"Scan time {s.elapsed_total_ms / 1000:,.1f} s in total (median {s.median_ms:,.0f} ms, "
        f"p95 {s.p95_ms:,.0f} ms). Peak worker memory {s.peak_rss_kb / 1024:,.0f} MiB."
        + (f" {s.unreadable_paths} listed paths could not be read." if s.unreadable_paths
           else "") + "</p>",
        "<div class='charts'>",
        _figure("Verdicts", _hbars(verdict_bars)),
        _figure("Artifacts with findings, by category", _hbars(category_bars)),
        _figure("Scan time per artifact (bar heights on a square-root scale)",
                _vbars(s.time_histogram)),
        "</div>",
        _html_table("Flagged artifacts", ("verdict", "score", "path", "reasons"),
                    [(v, f"{score:.0f}", p, ", ".join(_reasons(r)))
                     for p, v, score, r in s.flagged]),
        _html_table("Top rules", ("rule", "artifacts", "findings"),
                    [(r, f"{a:,}", f"{n:,}") for r, a, n in s.top_rules]),
        _html_table("Slowest artifacts", ("ms", "size", "verdict", "path"),
                    [(f"{ms:,.0f}", _mb(size), v, p) for p, size, ms, v in s.slowest]),
        _html_table("Errors", ("artifacts", "reason"),
                    [(f"{n:,}", reason or "") for reason, n in s.error_reasons]),
        _html_table("Runs", ("run", "source", "backend", "workers", "scanned", "status"),
                    [(str(i), src, b, str(w), f"{n:,}", st) for i, src, b, w, n, st in s.runs]),
        "</body></html>\n",
    ]
    return "\n".join(parts)


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:72em}
h1{font-size:1.5em} h2{font-size:1.1em;margin-top:1.6em}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}
figure{margin:0;border:1px solid #ddd;padding:.8em;border-radius:4px}
figcaption{font-weight:600;margin-bottom:.4em}
table{border-collapse:collapse;margin-top:.4em} td,th{border-bottom:1px solid #eee;
padding:.2em .6em;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere} td:first-child{white-space:nowrap}
svg text{font:12px system-ui,sans-serif;fill:#222}
"""


def _figure(caption: str, svg: str) -> str:
    return f"<figure><figcaption>{html.escape(caption)}</figcaption>{svg}</figure>"


def _hbars(bars: list[tuple[str, int, str]], width: int = 420) -> str:
    """Horizontal bar chart: one labelled bar per (label, value, colour)."""
    if not bars:
        return "<p>none</p>"
    row, label_w, value_w = 22, 130, 60
    top = max((v for _, v, _ in bars), default=0) or 1
    scale = (width - label_w - value_w) / top
    height = row * len(bars) + 4
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
           f"role='img'>"]
    for i, (label, value, colour) in enumerate(bars):
        y = i * row + 2
        bar = max(value * scale, 1 if value else 0)
        out.append(f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end'>"
                   f"{html.escape(label[:20])}</text>")
        out.append(f"<rect x='{label_w}' y='{y + 2}' width='{bar:.1f}' height='{row - 6}' "
                   f"fill='{colour}'><title>{html.escape(label)}: {value:,}</title></rect>")
        out.append(f"<text x='{label_w + bar + 4:.1f}' y='{y + 15}'>{value:,}</text>")
    out.append("</svg>")
    return "".join(out)


def _vbars(bins: list[tuple[str, int]], width: int = 640, height: int = 200) -> str:
    """Vertical bars (a histogram): one per (label, count), counts on a square-root scale so
    that the few slow artifacts stay visible next to the many fast ones."""
    if not bins:
        return "<p>none</p>"
    bottom, top_pad = 40, 18
    plot = height - bottom - top_pad
    step = width / len(bins)
    peak = math.sqrt(max((c for _, c in bins), default=0) or 1)
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
           f"role='img'>"]
    for i, (label, count) in enumerate(bins):
        bar = plot * math.sqrt(count) / peak
        x = i * step + 4
        y = top_pad + plot - bar
        out.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{step - 8:.1f}' height='{bar:.1f}' "
                   f"fill='#3b6ea5'><title>{html.escape(label)}: {count:,}</title></rect>")
        out.append(f"<text x='{x + (step - 8) / 2:.1f}' y='{y - 4:.1f}' "
                   f"text-anchor='middle'>{count:,}</text>")
        out.append(f"<text x='{x + (step - 8) / 2:.1f}' y='{height - bottom + 16}' "
                   f"text-anchor='middle' font-size='10'>{html.escape(label)}</text>")
    out.append(f"<line x1='0' x2='{width}' y1='{top_pad + plot}' y2='{top_pad + plot}' "
               "stroke='#999'/></svg>")
    return "".join(out)


def _html_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    if not rows:
        return ""
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{e(str(cell))}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<h2>{e(title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
