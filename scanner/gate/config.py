"""What the gate is told to do, in one frozen value built by the CLI (or by tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..pipeline import ScanOptions


@dataclass(frozen=True)
class GateConfig:
    """Settings of one gate.

    upstream: the simple index in front of which the gate stands (may carry credentials).
    db_path: the SQLite verdict store.
    block_suspicious: also block ``suspicious`` verdicts (``malicious`` is always blocked).
    block_errors: block files that could not be scanned (``error`` verdicts, timeouts, crashed
      workers). True is fail-closed, the default.
    cooldown_hours: hold back files uploaded less than this long ago (PEP 700 upload-time;
      files whose upload time the upstream does not publish are not held). 0 disables it.
    scan_timeout_s: wall-clock bound on one scan.
    workers: scanner worker processes (or threads with executor="thread").
    operator_token: bearer token for the operator endpoints. Without it the read-only ones are
      open and allowing is disabled.
    page_ttl_s: how long an upstream project page is reused.
    prescan_wait_s: how long a project page waits for the scans of its newest files, so that a
      blocked newest version is hidden before a resolver picks it (keep it below clients'
      read timeouts: pip's is 15 s).
    prescan_versions / prescan_max_files / prescan_max_bytes: how far back that goes: versions
      are scanned newest first, moving to an older one only while every file of the newer one
      was blocked. Allowed prescanned files are kept prescan_keep_s seconds for the download
      that usually follows.
    max_file_bytes: larger upstream files are refused.
    baseline: ``previous`` or a version: judge each file against the matching file of that
      release too, weighing behaviour new since it (scanner.gate.baseline). None: off.
    """

    upstream: str
    db_path: Path
    block_suspicious: bool = False
    block_errors: bool = True
    cooldown_hours: float = 0.0
    scan_timeout_s: float = 120.0
    workers: int = 1
    executor: str = "process"
    operator_token: str | None = None
    page_ttl_s: float = 60.0
    prescan_wait_s: float = 8.0
    prescan_versions: int = 3
    prescan_max_files: int = 12
    prescan_max_bytes: int = 256 * 1024 * 1024
    prescan_keep_s: float = 60.0
    max_file_bytes: int = 2 * 1024**3
    scan_options: ScanOptions = field(default_factory=ScanOptions)
    baseline: str | None = None

    def fingerprint(self) -> str:
        """Verdicts made under another fingerprint are stale and get rescanned. The same
        function as ``distscan scan``'s cache, so the two share verdicts."""
        from ..cache import scan_fingerprint  # lazily: scanner.cache imports this package

        plain = scan_fingerprint(self.scan_options)
        # A verdict judged against a baseline release is not the file's own verdict.
        return plain if self.baseline is None else f"{plain}+baseline={self.baseline}"
