"""Human-readable output with rich. Everything that came from an artifact is escaped and
rendered as plain Text, never as markup, so it cannot style or drive the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from ..model import ScanResult
from ..text import escape
from .jsonout import summary

STYLE = {"clean": "green", "suspicious": "yellow", "malicious": "bold red", "error": "magenta"}


def print_result(console: Console, result: ScanResult, verbose: bool = False) -> None:
    level = str(result.verdict.level)
    line = Text()
    line.append(f"{level.upper():<10}", style=STYLE[level])
    line.append(f" {result.verdict.score:5.1f}  ")
    line.append(escape(result.target, 300))
    art = result.artifact
    if art.name:
        line.append(f"  ({escape(art.name, 80)} {escape(art.version or '?', 40)}, {art.kind})",
                    style="dim")
    console.print(line, soft_wrap=True)
    if result.error:
        console.print(Text(f"    error: {escape(result.error, 300)}", style="magenta"))
    shown = list(result.verdict.reasons)
    if verbose:
        shown += [f for f in result.findings if f not in shown]
    for finding in shown:
        where = escape(finding.path or "-", 120) + (f":{finding.line}" if finding.line else "")
        row = Text("    ")
        row.append(f"{finding.severity!s:<8} ", style="bold" if finding.severity >= 3 else "")
        row.append(f"{finding.rule} ", style="cyan")
        row.append(f"[{finding.context}] ", style="dim")
        row.append(where)
        console.print(row, soft_wrap=True)
        console.print(Text(f"        {escape(finding.message, 300)}"), soft_wrap=True)
        if finding.evidence:
            console.print(Text(f"        > {escape(finding.evidence, 200)}", style="dim"),
                          soft_wrap=True)
    hidden = len(result.findings) - len(shown)
    if hidden > 0:
        console.print(Text(f"    ... {hidden} more finding(s); --verbose shows all", style="dim"))


def print_summary(console: Console, results: Sequence[ScanResult]) -> None:
    counts = summary(results)
    text = Text("\n")
    text.append(f"{counts['artifacts']} artifact(s): ")
    parts = [(k, counts[k]) for k in ("malicious", "suspicious", "error", "clean")]
    for i, (k, n) in enumerate(parts):
        text.append(f"{n} {k}", style=STYLE[k] if n else "")
        if i < len(parts) - 1:
            text.append(", ")
    console.print(text)
