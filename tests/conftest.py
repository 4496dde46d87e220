"""Shared test helpers. Keep this small and generic: helpers are fixtures returning plain
functions, never module-level state that one test could change for another."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scanner.analyzers import container
from scanner.model import Limits, ScanResult
from scanner.pipeline import ScanOptions, scan


@pytest.fixture(scope="session", autouse=True)
def private_cache_home(tmp_path_factory) -> Iterator[Path]:
    """Point the verdict cache (``$XDG_CACHE_HOME/distscan``) at a temporary folder for the
    whole run, so tests never read results that an earlier run, or the developer's own scans,
    left in ``~/.cache/distscan``, and never leave any there. Session-wide (not monkeypatch)
    so that module-scoped fixtures and the subprocesses they start see it too."""
    home = tmp_path_factory.mktemp("xdg-cache")
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


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


MALWARE_ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "malware" / "malware-dev.zip"


@pytest.fixture(scope="session")
def malware_dev(tmp_path_factory) -> Path:
    """The real malware development set, decrypted once per session into pytest's temporary
    folder (never the project tree). Skips when ../shared is absent."""
    if not MALWARE_ARCHIVE.is_file():
        pytest.skip(f"malware development set not found at {MALWARE_ARCHIVE} "
                    "(../shared is absent)")
    dest = tmp_path_factory.mktemp("malware")
    if shutil.which("unzip"):
        subprocess.run(["unzip", "-q", "-P", "infected", str(MALWARE_ARCHIVE), "-d", str(dest)],
                       check=True, timeout=300)
    else:
        with zipfile.ZipFile(MALWARE_ARCHIVE) as archive:
            archive.extractall(dest, pwd=b"infected")
    return dest / "malware-dev"
