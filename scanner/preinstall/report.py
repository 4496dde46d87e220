"""The per-file report of one fronted install, and its exit code.

A file the gate refused counts as blocked when it may have been what the installer wanted: a
refused download, or a file hidden from its project's page unless the installer got a newer
version of that project anyway (an old release known to be malicious, withheld while a newer
clean one is installed, is shown but does not fail the run). A blocked file fails the run even
when the installer succeeded by falling back to another version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TextIO

from packaging.version import InvalidVersion, Version

from ..gate.upstream import redact
from ..text import escape
from .local_gate import FileOutcome
from .local_scan import LocalVerdict

EXIT_BLOCKED = 1


@dataclass(frozen=True)
class RunReport:
    installer: str  # "pip install", "uv pip install"
    index_url: str
    index_source: str
    local: tuple[LocalVerdict, ...]
    files: tuple[FileOutcome, ...]
    installer_exit: int | None  # None: the installer was not run
    installer_ran: bool = True  # False: stopped before it (installer_exit is then distscan's)

    @property
    def ran(self) -> bool:
        return self.installer_ran and self.installer_exit is not None

    def counted_blocks(self) -> list[FileOutcome]:
        newest_served: dict[str, Version] = {}
        for f in self.files:
            version = _version(f.version)
            if f.served and f.project and version is not None:
                newest_served[f.project] = max(version, newest_served.get(f.project, version))
        counted = []
        for f in self.files:
            if f.refused:
                counted.append(f)
            elif f.allowed is False:
                version, newest = _version(f.version), newest_served.get(f.project or "")
                if newest is None or version is None or version >= newest:
                    counted.append(f)
        return counted

    def exit_code(self) -> int:
        if any(v.blocked for v in self.local) or self.counted_blocks():
            return EXIT_BLOCKED
        return self.installer_exit or 0

    def to_dict(self) -> dict:
        counted = {f.filename for f in self.counted_blocks()}
        return {
            "installer": self.installer,
            "index": {"url": redact(self.index_url), "source": self.index_source},
            "installer_exit_code": self.installer_exit if self.ran else None,
            "exit_code": self.exit_code(),
            "local": [{"path": str(v.path), "origin": v.origin, "blocked": v.blocked,
                       "result": v.result.to_dict()} for v in self.local],
            "files": [{"filename": f.filename, "project": f.project, "version": f.version,
                       "sha256": f.sha256, "verdict": f.verdict, "score": f.score,
                       "rules": list(f.rules), "allowed": f.allowed, "served": f.served,
                       "refused": f.refused, "blocked": f.filename in counted,
                       "reason": f.reason} for f in self.files],
            "blocked": sorted(counted | {str(v.path) for v in self.local if v.blocked}),
        }


def _version(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def write_json(report: RunReport, out: TextIO) -> None:
    out.write(json.dumps(report.to_dict(), indent=2) + "\n")


def write_text(report: RunReport, out: TextIO) -> None:
    counted = {f.filename for f in report.counted_blocks()}
    lines = [f"distscan: {report.installer} through the gate in front of "
             f"{escape(redact(report.index_url))} ({escape(report.index_source)})"]
    for v in report.local:
        mark = "BLOCKED" if v.blocked else "scanned"
        level = v.result.verdict.level.value
        rules = ", ".join(dict.fromkeys(f.rule for f in v.result.verdict.reasons))
        why = f" ({v.result.error})" if v.result.error else (f": {rules}" if rules else "")
        lines.append(f"  {mark:8} {level:10} {escape(str(v.path))} "
                     f"[local, {escape(v.origin)}]{escape(why, 500)}")
    for f in report.files:
        if f.filename in counted:
            mark = "BLOCKED"
        elif f.allowed is False:
            mark = "withheld"
        elif f.served:
            mark = "fetched"
        else:
            mark = "scanned"
        level = f.verdict or ("refused" if f.refused else "-")
        note = ""
        if mark in ("BLOCKED", "withheld"):
            note = f": {f.reason}"
        elif mark == "scanned":
            note = " (not downloaded by the installer)"
        lines.append(f"  {mark:8} {level:10} {escape(f.filename)}{escape(note)}")
    if not report.local and not report.files:
        lines.append("  (no file passed through the gate)")
    if not report.ran:
        lines.append("distscan: the installer was not run")
    blocked = len(counted) + sum(v.blocked for v in report.local)
    if blocked:
        lines.append(f"distscan: {blocked} file(s) blocked; exit {report.exit_code()}")
    else:
        whose = " (the installer's)" if report.ran else ""
        lines.append(f"distscan: nothing blocked; exit {report.exit_code()}{whose}")
    out.write("\n".join(lines) + "\n")
