"""``distscan serve --baseline previous``: judge each file against the matching file of the
project's previous release (or a named one), so that a hijacked release whose injected loader
looks ordinary on its own is blocked for what is *new* in it (scanner.diff).

The baseline file is downloaded and verified like any upstream file, scanned in the same
worker call as the new file, and its plain result is kept in memory by sha256 so that the
next file compared with it is not scanned twice. Verdicts made this way are stored under their
own fingerprint (GateConfig.fingerprint), never mixed with verdicts made without a baseline.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ..diff.baseline import baseline_files, baseline_note, matching_file, with_note
from ..diff.engine import Release, diff_releases
from ..model import ScanResult
from ..pipeline import ScanOptions
from .blobs import Blob
from .simple import FileEntry


def scan_against_baseline(path: str, filename: str, old_path: str, old_filename: str,
                          options: ScanOptions, old_result: ScanResult | None
                          ) -> tuple[ScanResult, ScanResult]:
    """Runs in a worker (module level so that it pickles): (the new file's result re-scored
    against the baseline, the baseline's own result)."""
    diff = diff_releases(Release(Path(old_path), old_filename, old_filename),
                         Release(Path(path), filename, filename), options,
                         old_result=old_result)
    return with_note(diff.result, baseline_note(diff)), diff.old


class BaselineResults:
    """Plain scan results of baseline files by sha256 (a bounded, in-memory LRU)."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._results: OrderedDict[str, ScanResult] = OrderedDict()

    def get(self, sha256: str) -> ScanResult | None:
        result = self._results.get(sha256)
        if result is not None:
            self._results.move_to_end(sha256)
        return result

    def put(self, sha256: str, result: ScanResult) -> None:
        self._results[sha256] = result
        self._results.move_to_end(sha256)
        while len(self._results) > self._size:
            self._results.popitem(last=False)


@dataclass
class BaselineJob:
    """One comparison to run in place of a plain scan; ``release()`` frees the baseline blob."""

    blob: Blob
    filename: str
    results: BaselineResults

    def call(self, path: str, filename: str, options: ScanOptions) -> tuple:
        return (scan_against_baseline, path, filename, str(self.blob.path), self.filename,
                options, self.results.get(self.blob.sha256))

    def finish(self, outcome: tuple[ScanResult, ScanResult]) -> ScanResult:
        result, old_result = outcome
        self.results.put(self.blob.sha256, old_result)
        return result

    def release(self) -> None:
        self.blob.release()


def baseline_entry(files: tuple[FileEntry, ...], filename: str, version: str,
                   baseline: str) -> FileEntry | None:
    """The file of the baseline release that ``filename`` is compared with, or None."""
    found = baseline_files(files, version, baseline)
    return matching_file(found[1], filename) if found else None
