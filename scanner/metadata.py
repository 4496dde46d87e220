"""Reading what an artifact says about itself: names, versions, requirements, entry points.

Everything here is *claims*, never trusted for allow decisions; analysers compare claims
with content. Parsing is lenient (a malformed file yields what can be read) because
malware often ships broken metadata.
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping

from packaging.metadata import parse_email
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from .model import Metadata


def name_version_from_filename(filename: str) -> tuple[str | None, str | None, frozenset]:
    """(normalized name, version, wheel tags) read from a wheel or sdist file name."""
    base = filename.rsplit("/", 1)[-1]
    try:
        name, version, _build, tags = parse_wheel_filename(base)
        return str(name), str(version), frozenset(tags)
    except (InvalidWheelFilename, ValueError):
        pass
    try:
        name, version = parse_sdist_filename(base)
        return str(name), str(version), frozenset()
    except (InvalidSdistFilename, ValueError):
        pass
    for suffix in (".egg",):
        if base.endswith(suffix):
            parts = base[: -len(suffix)].split("-")
            if len(parts) >= 2:
                return str(canonicalize_name(parts[0])), parts[1], frozenset()
    return None, None, frozenset()


def parse_core_metadata(raw: bytes) -> Metadata:
    """METADATA / PKG-INFO, leniently."""
    text = raw.decode("utf-8", "replace")
    fields, _unparsed = parse_email(text)
    name = fields.get("name")
    return Metadata(
        name=str(canonicalize_name(name)) if name else None,
        version=fields.get("version"),
        summary=fields.get("summary"),
        requires=tuple(fields.get("requires_dist") or ()),
        raw_name=name,
    )


def parse_entry_points(raw: bytes) -> tuple[tuple[str, str, str], ...]:
    """entry_points.txt as (group, name, value) triples; unreadable sections are skipped."""
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # keep case: console-script names are case-sensitive
    try:
        parser.read_string(raw.decode("utf-8", "replace"))
    except configparser.Error:
        return ()
    return tuple((group, name, value.strip()) for group in parser.sections()
                 for name, value in parser.items(group))


def find_metadata(texts: Mapping[str, bytes], kind: str, filename: str) -> Metadata:
    """Metadata for an artifact from its retained text members, filename as fallback."""
    core = None
    entry_points: tuple = ()
    for path, data in texts.items():
        inner = path
        if "!/" in inner:
            continue  # nested archives describe other packages
        parts = inner.split("/")
        if kind == "wheel" and len(parts) == 2 and parts[0].endswith(".dist-info"):
            if parts[1] == "METADATA":
                core = core or parse_core_metadata(data)
            elif parts[1] == "entry_points.txt":
                entry_points = parse_entry_points(data)
        elif kind == "sdist" and len(parts) == 2 and parts[1] == "PKG-INFO":
            core = core or parse_core_metadata(data)
        elif kind == "sdist" and len(parts) == 3 and parts[1].endswith(".egg-info") \
                and parts[2] == "entry_points.txt":
            entry_points = entry_points or parse_entry_points(data)
        elif kind == "egg" and inner in ("EGG-INFO/PKG-INFO",):
            core = core or parse_core_metadata(data)
        elif kind == "egg" and inner == "EGG-INFO/entry_points.txt":
            entry_points = parse_entry_points(data)
    file_name, file_version, _ = name_version_from_filename(filename)
    core = core or Metadata()
    return Metadata(
        name=core.name or file_name,
        version=core.version or file_version,
        summary=core.summary,
        requires=core.requires,
        entry_points=entry_points,
        raw_name=core.raw_name,
    )
