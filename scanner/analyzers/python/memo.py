"""Import-time results of Python files already analysed in this process, kept by content.

A mirror holds the same module many times over: every platform wheel of a release and the
sdist beside it ship the same ``.py`` files, and the next release changes a few of them. A
file analysed for import context gives findings that depend only on its bytes (test data is
not analysed here at all), as long as nothing in it was decoded and followed (payload budgets
and the names of decoded members belong to one artifact). Such results are kept under the
SHA-256 of the bytes (:mod:`scanner.reuse`: a collision-resistant key, so that an attacker
cannot make a hostile file look like a cached benign one) and reused with the new path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from ...model import Finding
from ...reuse import ContentCache

MAX_ENTRIES = 50_000
# The benchmark turns reuse off to report the scanner's speed without it as well.
ENABLED = True


@dataclass(frozen=True)
class Entry:
    findings: tuple[Finding, ...]
    bytes_tree: int  # bytes the syntax tree covered (engine statistics)
    fallbacks: int


_CACHE = ContentCache()


def key(data: bytes | str) -> bytes:
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).digest()


def get(found_key: bytes, path: str) -> tuple[list[Finding], Entry] | None:
    if not ENABLED:
        return None
    entry = _CACHE.get(found_key)
    if entry is None:
        return None
    return [replace(f, path=path) for f in entry.findings], entry


def put(found_key: bytes, entry: Entry) -> None:
    if ENABLED:
        _CACHE.put(found_key, entry, MAX_ENTRIES)


def clear() -> None:
    _CACHE.clear()
