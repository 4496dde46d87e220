"""What the gate is told to do, in one frozen value built by the CLI (or by tests)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..analyzers import registered
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

    def fingerprint(self) -> str:
        """Verdicts made under another fingerprint are stale and get rescanned."""
        options = self.scan_options
        analyzers = options.analyzers if options.analyzers is not None else registered()
        facts = [__version__, repr(options.thresholds), repr(options.policy),
                 [a.name for a in analyzers]]
        return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]
