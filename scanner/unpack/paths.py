"""Checks on member names: traversal, absolute paths, odd characters."""

from __future__ import annotations

import re

from ..model import Anomaly, Severity
from ..text import escape

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # undecodable bytes kept by surrogateescape
# Anything that could make one of the checks below fire; most names have none of it.
_ODD = re.compile("[\\\\\x00-\x1f\x7f\ud800-\udfff]|\\.\\.|^/|^[A-Za-z]:")


def name_anomalies(name: str, display: str) -> list[Anomaly]:
    """Container findings for one stored member name."""
    # Fast path for the common name: control characters and surrogates are not printable,
    # so a printable name with no backslash, no '..' and no absolute start needs no regex.
    if (name.isprintable() and "\\" not in name and ".." not in name
            and not name.startswith("/") and name[1:2] != ":"):
        return []
    if not _ODD.search(name):
        return []
    found: list[Anomaly] = []
    evidence = escape(name)
    if "\\" in name:
        found.append(Anomaly("container.backslash-path", "member name uses backslashes, which "
                             "Windows tools treat as folder separators", display, evidence,
                             Severity.MEDIUM))
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        found.append(Anomaly("container.absolute-path", "member name is an absolute path: an "
                             "unpacker could write outside its target folder", display, evidence,
                             Severity.HIGH))
    if ".." in name and ".." in name.replace("\\", "/").split("/"):
        found.append(Anomaly("container.path-traversal", "member name climbs out of the archive "
                             "with '..': an unpacker could write outside its target folder",
                             display, evidence, Severity.HIGH))
    if _CONTROL.search(name):
        found.append(Anomaly("container.control-characters-in-name", "member name contains "
                             "control characters", display, evidence, Severity.MEDIUM))
    if _SURROGATE.search(name):
        found.append(Anomaly("container.undecodable-name", "member name is not valid text in "
                             "the archive's declared encoding", display, evidence, Severity.MEDIUM))
    return found


def normalize(name: str) -> str:
    """The path an installer would write, for duplicate detection."""
    # Most names are already normal: no backslash, empty or "." component.
    if not ("\\" in name or "//" in name or "/./" in name or name.startswith(("/", "./"))
            or name.endswith(("/", "/.")) or name in ("", ".")):
        return name
    name = name.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)
