"""A release diff as JSON (one document) or as text (rich, everything from the artifacts
escaped with scanner.text.escape and printed as plain Text, never as markup)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.text import Text

from .. import __version__
from ..model import Finding, ScanResult
from ..report.text import STYLE
from ..text import escape
from .compare import Comparison
from .engine import ReleaseDiff

SCHEMA = "distscan.diff/1"


def document(diff: ReleaseDiff) -> dict:
    out: dict = {
        "schema": SCHEMA,
        "tool": {"name": "distscan", "version": __version__},
        "old": _summary(diff.old),
        "new": _summary(diff.new),
        "error": diff.error,
        "drift": [f.to_dict() for f in diff.drift],
        "result": diff.result.to_dict(),
    }
    if diff.comparison is not None:
        out |= comparison_dict(diff.comparison)
    return out


def _summary(result: ScanResult) -> dict:
    return {"target": result.target, "artifact": result.artifact.to_dict(),
            "verdict": str(result.verdict.level), "score": round(result.verdict.score, 1),
            "error": result.error}


def comparison_dict(c: Comparison) -> dict:
    return {
        "files": {
            "added": [{"path": e.key, "sha256": e.sha256, "size": e.size} for e in c.added],
            "removed": [{"path": e.key, "sha256": e.sha256, "size": e.size} for e in c.removed],
            "changed": [{"path": n.key, "old_sha256": o.sha256, "new_sha256": n.sha256}
                        for o, n in c.changed],
            "renamed": [{"old": o.key, "new": n.key} for o, n in c.renamed],
            "unchanged": c.unchanged,
        },
        "top_level": {"added": list(c.new_top_level), "removed": list(c.removed_top_level)},
        "pth": {"added": [e.key for e in c.new_pth], "changed": [e.key for e in c.changed_pth]},
        "binaries": {"added": [e.key for e in c.new_binaries]},
        "assets": {"added": [e.key for e in c.new_assets]},
        "entry_points": {
            "added": [{"group": g, "name": n, "value": v} for g, n, v in c.entry_points_added],
            "removed": [{"group": g, "name": n, "value": v}
                        for g, n, v in c.entry_points_removed],
            "changed": [{"group": g, "name": n, "old": o, "new": v}
                        for g, n, o, v in c.entry_points_changed],
        },
        "metadata": {
            "requires": {"added": list(c.requires_added), "removed": list(c.requires_removed)},
            "urls": {"added": list(c.urls_added), "removed": list(c.urls_removed)},
            "authors": {"added": list(c.authors_added), "removed": list(c.authors_removed)},
        },
        "new_behaviour": [{"path": g.path, "context": str(g.context),
                           "file_status": g.file_status, "rules": list(g.rules),
                           "findings": [f.to_dict() for f in g.findings]}
                          for g in c.new_behaviour],
        "gone_behaviour": [{"path": path, "rule": rule, "context": context}
                           for path, rule, context in c.gone_behaviour],
    }


def render_json(diff: ReleaseDiff) -> str:
    # ensure_ascii: member names are attacker-chosen; escaped they cannot reorder or hide text.
    return json.dumps(document(diff), indent=2, ensure_ascii=True) + "\n"


def print_diff(console: Console, diff: ReleaseDiff, verbose: bool = False) -> None:
    head = Text()
    head.append("diff ", style="bold")
    head.append(_name(diff.old))
    head.append(" -> ")
    head.append(_name(diff.new))
    console.print(head, soft_wrap=True)
    for label, result in (("old", diff.old), ("new alone", diff.new),
                          ("new vs old", diff.result)):
        _verdict_line(console, label, result)
    if diff.error:
        console.print(Text(f"  note: {escape(diff.error, 300)}", style="magenta"))
    c = diff.comparison
    if c is None:
        return
    files = Text(f"  files: {len(c.added)} added, {len(c.removed)} removed, "
                 f"{len(c.changed)} changed, {len(c.renamed)} renamed, {c.unchanged} unchanged")
    console.print(files)
    _section(console, "new behaviour", [
        (f"[{g.context}] {escape(g.path or '-', 160)} ({g.file_status}): "
         + ", ".join(g.rules)) for g in c.new_behaviour])
    _section(console, "drift", [_finding_line(f) for f in diff.drift])
    _section(console, "new .pth files", [escape(e.key, 160) for e in c.new_pth])
    _section(console, "changed .pth files", [escape(e.key, 160) for e in c.changed_pth])
    _section(console, "new binaries", [escape(e.key, 160) for e in c.new_binaries])
    _section(console, "new assets", [escape(e.key, 160) for e in c.new_assets])
    _section(console, "new top-level names", [escape(t, 160) for t in c.new_top_level])
    _section(console, "entry points added", [
        escape(f"{g}: {n} = {v}", 200) for g, n, v in c.entry_points_added])
    _section(console, "entry points changed", [
        escape(f"{g}: {n} = {o} -> {v}", 200) for g, n, o, v in c.entry_points_changed])
    _section(console, "entry points removed", [
        escape(f"{g}: {n} = {v}", 200) for g, n, v in c.entry_points_removed])
    _section(console, "requirements added", [escape(r, 200) for r in c.requires_added])
    _section(console, "requirements removed", [escape(r, 200) for r in c.requires_removed])
    _section(console, "URLs added", [escape(u, 200) for u in c.urls_added])
    _section(console, "URLs removed", [escape(u, 200) for u in c.urls_removed])
    _section(console, "authors added", [escape(a, 200) for a in c.authors_added])
    _section(console, "authors removed", [escape(a, 200) for a in c.authors_removed])
    _section(console, "files added", [escape(e.key, 160) for e in c.added])
    _section(console, "files removed", [escape(e.key, 160) for e in c.removed])
    _section(console, "files renamed", [escape(f"{o.key} -> {n.key}", 200) for o, n in c.renamed])
    if verbose:
        _section(console, "files changed", [escape(n.key, 160) for _o, n in c.changed])
        _section(console, "behaviour gone", [
            escape(f"[{ctx}] {path or '-'}: {rule}", 200) for path, rule, ctx in c.gone_behaviour])


def _name(result: ScanResult) -> str:
    art = result.artifact
    if art.name:
        return escape(f"{art.name} {art.version or '?'} ({art.filename})", 200)
    return escape(result.target, 200)


def _verdict_line(console: Console, label: str, result: ScanResult) -> None:
    level = str(result.verdict.level)
    line = Text(f"  {label:<11}")
    line.append(f"{level.upper():<10}", style=STYLE[level])
    line.append(f" {result.verdict.score:5.1f}")
    if result.verdict.reasons:
        line.append("  " + escape(", ".join(dict.fromkeys(f.rule for f in
                                                           result.verdict.reasons)), 200),
                    style="dim")
    console.print(line, soft_wrap=True)


def _finding_line(f: Finding) -> str:
    where = escape(f.path or "-", 120) + (f":{f.line}" if f.line else "")
    return f"{f.severity!s:<8} {f.rule} [{f.context}] {where}: {escape(f.message, 300)}"


def _section(console: Console, title: str, rows: list[str]) -> None:
    if not rows:
        return
    console.print(Text(f"  {title}:", style="bold"))
    for row in rows:
        console.print(Text(f"    {row}"), soft_wrap=True)
