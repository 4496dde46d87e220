"""Shared test helpers. Keep this small and generic: helpers are fixtures returning plain
functions, never module-level state that one test could change for another."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scanner.analyzers import container
from scanner.model import Limits, ScanResult
from scanner.pipeline import ScanOptions, scan


@pytest.fixture
def rules_of() -> Callable[[ScanResult], set[str]]:
    """A function giving the set of rule ids in a scan result."""
    return lambda result: {f.rule for f in result.findings}


@pytest.fixture
def container_scan() -> Callable[..., ScanResult]:
    """``scan`` with only the container analyser, so tests of archive structure do not depend
    on what the content analysers think of the files inside."""

    def run(source, filename: str | None = None, limits: Limits | None = None) -> ScanResult:
        options = ScanOptions(limits=limits or Limits(), analyzers=(container.ANALYZER,))
        return scan(source, options, filename=filename)

    return run
