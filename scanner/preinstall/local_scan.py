"""Local artifacts and source trees named to the installer, scanned before it starts.

An editable or plain local source tree runs its setup.py (or build backend) inside the
installer, so it is scanned as a folder first. A result that is not clean enough blocks the
whole run: malicious always, suspicious with --block-suspicious, error always (fail closed),
and a tree with a link to outside itself always (the linked content was not scanned).
Results are shared with the verdict cache by sha256 (files only; folders have no digest).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..cache import ResultCache, file_sha256
from ..model import ScanResult, VerdictLevel
from ..pipeline import ScanOptions, scan
from .requirements import LocalPath, local_candidates


@dataclass(frozen=True)
class LocalVerdict:
    path: Path
    origin: str
    result: ScanResult
    blocked: bool


# A link out of a source tree: the installer reads (and may run) what it points to, the scan
# did not read it. Whatever the verdict, that content would reach the installer unscanned.
UNSCANNED_RULES = frozenset({"container.link-escape"})


def blocks(result: ScanResult, block_suspicious: bool) -> bool:
    level = result.verdict.level
    return level in (VerdictLevel.MALICIOUS, VerdictLevel.ERROR) or (
        block_suspicious and level is VerdictLevel.SUSPICIOUS) or any(
        f.rule in UNSCANNED_RULES for f in result.findings)


def scan_locals(locals_: tuple[LocalPath, ...], bases: tuple[Path, ...], options: ScanOptions,
                cache: ResultCache | None, block_suspicious: bool) -> list[LocalVerdict]:
    verdicts: list[LocalVerdict] = []
    seen: set[Path] = set()
    for local in locals_:
        for path in local_candidates(local, bases):
            if path in seen:
                continue
            seen.add(path)
            result = _scan_one(path, options, cache)
            verdicts.append(LocalVerdict(path, local.origin, result,
                                         blocks(result, block_suspicious)))
    return verdicts


def _scan_one(path: Path, options: ScanOptions, cache: ResultCache | None) -> ScanResult:
    sha256 = file_sha256(path) if cache is not None else None
    # Only under the same file name: wheel tags and the name read from it can change findings.
    cached = cache.get(sha256, str(path), path.name) if cache is not None else None
    if cached is not None:
        return cached
    result = scan(path, options)
    if cache is not None:
        cache.put(result)
    return result
