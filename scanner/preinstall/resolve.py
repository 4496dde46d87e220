"""Unpinned requirements resolved to files through the gate, so that nothing runs unscanned.

Resolving can run code: when a candidate has no wheel and no PEP 658 metadata file, pip builds
its sdist to learn its dependencies, which runs its setup.py. So resolution here is pip's own
(``pip install --dry-run --ignore-installed --report``), run against a local gate: every file
pip looks at, including sdists it only builds for metadata, is scanned first, and pip runs
confined like ``distscan pip install`` (no configuration, no cache, every other host
unreachable).

What a blocked file does to the resolution: the gate hides a blocked newest release from its
project's page, so pip picks the previous version (the blocked file is listed in
``Resolution.blocked``); when no acceptable version is left (``name==blocked-version``) pip
fails and :class:`ResolutionError` names the blocked files. The files returned are the ones
pip chose; some of them may have been judged from their metadata only, without being
downloaded or scanned (``verdict`` None): scan them before use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement

from ..cache import default_db_path, store_opens
from ..gate import GateConfig, check_upstream
from ..pipeline import ScanOptions
from .installers import confined_env, http_timeout_s, unreachable_proxy
from .local_gate import FileOutcome, local_gate


@dataclass(frozen=True)
class ResolvedFile:
    name: str
    version: str
    filename: str
    url: str  # the upstream's URL of the file (without the index's credentials)
    sha256: str | None
    verdict: str | None = None  # the gate's verdict when it scanned the file, else None


@dataclass(frozen=True)
class Resolution:
    files: tuple[ResolvedFile, ...]
    blocked: tuple[FileOutcome, ...]  # files the gate refused or hid during resolution


class ResolutionError(RuntimeError):
    def __init__(self, message: str, blocked: tuple[FileOutcome, ...], output: str) -> None:
        super().__init__(message)
        self.blocked = blocked
        self.output = output


def resolve_through_gate(requirements: Sequence[str], index_url: str,
                         **options) -> list[ResolvedFile]:
    """The files pip chooses for ``requirements`` (dependencies included) on ``index_url``.
    Options as for :func:`resolve`; ResolutionError when pip cannot resolve."""
    return list(resolve(requirements, index_url, **options).files)


def resolve(requirements: Sequence[str], index_url: str, *,
            scan_options: ScanOptions | None = None, block_suspicious: bool = False,
            scan_timeout_s: float = 120.0, db_path: Path | None = None,
            with_deps: bool = True, pre: bool = False, workers: int = 2,
            env: Mapping[str, str] | None = None, timeout_s: float = 900.0) -> Resolution:
    """``db_path``: the verdict store (default: the shared cache). ``env``: the environment pip
    starts from (its PIP_* variables are dropped). ``timeout_s`` bounds the whole pip run."""
    specs = [_index_requirement(r) for r in requirements]
    check_upstream(index_url)
    db_path = db_path or default_db_path()
    base = {k: v for k, v in (os.environ if env is None else env).items()
            if not k.upper().startswith("PIP_")}
    with tempfile.TemporaryDirectory(prefix="distscan-resolve-") as scratch, \
            unreachable_proxy() as proxy, local_gate(GateConfig(
                upstream=index_url, block_suspicious=block_suspicious,
                db_path=db_path if store_opens(db_path) else Path(scratch) / "verdicts.sqlite3",
                scan_timeout_s=scan_timeout_s, workers=workers,
                scan_options=scan_options or ScanOptions())) as gate:
        report_path = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                   "--quiet", "--report", str(report_path), "--index-url", gate.index_url,
                   "--no-cache-dir", "--disable-pip-version-check", "--no-input"]
        command += ["--no-deps"] if not with_deps else []
        command += ["--pre"] if pre else []
        child = confined_env(base, proxy) | {"PIP_CONFIG_FILE": os.devnull,
                                             "PIP_TIMEOUT": http_timeout_s(scan_timeout_s)}
        completed = subprocess.run([*command, "--", *specs], env=child, capture_output=True,
                                   text=True, timeout=timeout_s, cwd=scratch, check=False)
        outcomes = gate.recorder.outcomes()
        blocked = tuple(f for f in outcomes if f.refused or f.allowed is False)
        if completed.returncode != 0 or not report_path.is_file():
            names = ", ".join(f.filename for f in blocked) or "none"
            raise ResolutionError(
                f"pip could not resolve the requirements through the gate (blocked files: "
                f"{names}): {_last_lines(completed.stderr or completed.stdout)}",
                blocked, completed.stdout + completed.stderr)
        report = json.loads(report_path.read_text(encoding="utf-8"))
        verdicts = {f.filename: f.verdict for f in outcomes}
        files = tuple(_resolved(item, gate.recorder.upstream_url, verdicts)
                      for item in report.get("install", []))
    return Resolution(files, blocked)


def _index_requirement(text: str) -> str:
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise ValueError(f"{text!r} is not a requirement: {exc}") from None
    if requirement.url:
        raise ValueError(f"{text!r} is a direct URL requirement: it cannot pass the gate")
    return str(requirement)  # normalised text; markers are kept


def _resolved(item: dict, upstream_url, verdicts: Mapping[str, str | None]) -> ResolvedFile:
    info = item.get("download_info", {})
    url = info.get("url", "")
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    archive = info.get("archive_info", {})
    hashes = archive.get("hashes") or {}
    sha256 = hashes.get("sha256")
    if sha256 is None and str(archive.get("hash", "")).startswith("sha256="):
        sha256 = archive["hash"].split("=", 1)[1]
    metadata = item.get("metadata", {})
    return ResolvedFile(str(metadata.get("name", "")), str(metadata.get("version", "")),
                        filename, upstream_url(filename) or url, sha256,
                        verdicts.get(filename))


def _last_lines(text: str, count: int = 6) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "(no output)"
