"""Checks on member names: traversal, absolute paths, odd characters."""

from __future__ import annotations

import re

from ..model import Anomaly, Severity
from ..text import escape

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def name_anomalies(name: str, display: str) -> list[Anomaly]:
    """Container findings for one stored member name."""
    found: list[Anomaly] = []
    evidence = escape(name)
    if "\\" in name:
        found.append(Anomaly("container.backslash-path", "member name uses backslashes, which "
                             "Windows tools treat as folder separators", display, evidence,
                             Severity.MEDIUM))
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        found.append(Anomaly("container.absolute-path", "member name is an absolute path: an "
                             "unpacker could write outside its target folder", display, evidence,
                             Severity.HIGH))
    if ".." in parts:
        found.append(Anomaly("container.path-traversal", "member name climbs out of the archive "
                             "with '..': an unpacker could write outside its target folder",
                             display, evidence, Severity.HIGH))
    if _CONTROL.search(name):
        found.append(Anomaly("container.control-characters-in-name", "member name contains "
                             "control characters", display, evidence, Severity.MEDIUM))
    if any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        found.append(Anomaly("container.undecodable-name", "member name is not valid text in "
                             "the archive's declared encoding", display, evidence, Severity.MEDIUM))
    return found


def normalize(name: str) -> str:
    """The path an installer would write, for duplicate detection."""
    name = name.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)
