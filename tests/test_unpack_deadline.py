"""The per-artifact time limit holds even against code that swallows exceptions."""

from __future__ import annotations

import contextlib
import time

from scanner.analyzers import Analyzer, container
from scanner.deadline import ScanTimeout
from scanner.model import Limits, VerdictLevel
from scanner.pipeline import ScanOptions, scan
from scanner.testing import wheel_bytes, wheel_filename


def _stubborn(view):
    """An analyser that catches every Exception: the alarm must get through anyway."""
    for _ in range(100):
        with contextlib.suppress(Exception):
            time.sleep(0.1)
    return ()


def test_scan_timeout_is_not_swallowed_by_except_exception():
    assert not issubclass(ScanTimeout, Exception)
    options = ScanOptions(limits=Limits(timeout_s=0.5),
                          analyzers=(container.ANALYZER, Analyzer("stubborn", None, _stubborn)))
    started = time.monotonic()
    result = scan(wheel_bytes("demo", "1.0", {"demo/__init__.py": "x = 1\n"}), options,
                  filename=wheel_filename("demo", "1.0"))
    assert time.monotonic() - started < 5
    assert [f.rule for f in result.findings] == ["limits.timeout"]
    assert result.verdict.level is VerdictLevel.SUSPICIOUS
