"""What to fetch for each thing the user named: a ``pypi:`` spec, a requirements file, a lock
file. Each becomes a list of :class:`RemoteFile` (a file to download, check and scan) or
:class:`Unavailable` (something that must be reported as an ``error`` result without a file).
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..gate.simple import FileEntry
from ..pipeline import ScanOptions
from .index import IndexClient, IndexUnavailable, NotFound, SourceError
from .locks import LockFile, parse_lock
from .requirements import RequirementLine, RequirementsFile, parse_requirements
from .specs import PackageSpec, parse_spec


@dataclass(frozen=True)
class RemoteFile:
    """One file to download and scan. ``pinned``: hashes the user allowed (at least one must
    match); the index's own published hashes are in ``file.hashes``."""

    label: str  # the result's ``target``
    file: FileEntry
    project: str | None = None
    version: str | None = None
    pinned: Mapping[str, frozenset[str]] = field(default_factory=dict)
    local: bool = False  # named by the user's own file (lock, requirements): file: URLs allowed

    @property
    def known_sha256(self) -> str | None:
        """The file's sha256 before downloading it, when the index or the pins say it."""
        published = self.file.sha256
        allowed = self.pinned.get("sha256")
        if self.pinned and allowed is None:
            return None  # only other algorithms pinned: the download must be checked
        if published:
            return published if allowed is None or published in allowed else None
        if allowed and len(allowed) == 1:
            return next(iter(allowed))
        return None


@dataclass(frozen=True)
class Unavailable:
    """Something that should have been a file to scan but is not (reported as ``error``)."""

    label: str
    filename: str
    reason: str
    project: str | None = None
    version: str | None = None


RemoteItem = RemoteFile | Unavailable


@dataclass
class Plan:
    """Everything to fetch, what was skipped (notes), and the client to fetch it with."""

    items: list[RemoteItem]
    notes: list[str]
    client: IndexClient | None


def plan_remote(specs: list[str], requirement_files: list[Path], lock_files: list[Path],
                index_url: str, *, scan_options: ScanOptions | None = None,
                cache_db: Path | None = None) -> Plan:
    """Raises SourceError (NotFound included) or ValueError (SpecError, RequirementsError,
    LockError) for what is a usage error: a bad spec or file, a missing project or version.

    ``scan_options`` and ``cache_db`` (None: a temporary store) are what the gate that
    resolves unpinned requirements scans with."""
    parsed_specs = [parse_spec(text) for text in specs]
    parsed_requirements = [parse_requirements(path) for path in requirement_files]
    locks = [(path, parse_lock(path)) for path in lock_files]
    if not (parsed_specs or parsed_requirements or locks):
        return Plan([], [], None)
    client = IndexClient(index_url)
    items: list[RemoteItem] = []
    notes: list[str] = []
    try:
        for spec in parsed_specs:
            items += from_spec(client, spec)
        for parsed in parsed_requirements:
            notes += parsed.notes
            items += from_requirements(client, parsed, index_url, scan_options, cache_db)
        for path, lock in locks:
            notes += lock.notes
            items += from_lock(lock, str(path))
    except BaseException:
        client.close()
        raise
    return Plan(dedupe(items), notes, client)


def from_spec(client: IndexClient, spec: PackageSpec) -> list[RemoteItem]:
    """Every file of the named release (the latest when no version is named). Raises NotFound
    for a missing project or version (a usage error); an unreachable index is an error result.
    """
    try:
        release = client.release_files(spec.name, spec.version)
    except IndexUnavailable as exc:
        return [Unavailable(spec.label, spec.name, str(exc), spec.name, spec.version)]
    prefix = f"pypi:{release.project}=={release.version}"
    return [RemoteFile(f"{prefix}/{f.filename}", f, release.project, release.version)
            for f in release.files]


def from_requirements(client: IndexClient | None, parsed: RequirementsFile, index_url: str,
                      scan_options: ScanOptions | None = None,
                      cache_db: Path | None = None) -> list[RemoteItem]:
    """Files for each pinned requirement: with ``--hash`` options only the files whose hash is
    listed, without them every file of that release. Unpinned requirements are resolved through
    the gate (scanner.preinstall), so that nothing is built to learn what it needs."""
    items: list[RemoteItem] = []
    unpinned = [line for line in parsed.lines if not line.pinned]
    for line in parsed.lines:
        if line.url:
            items.append(_direct(line))
        elif line.version is not None:
            if client is None:
                raise SourceError("requirements need an index (--index-url)")
            items += _pinned(client, line)
    if unpinned:
        items += _resolve_unpinned(unpinned, index_url, scan_options, cache_db)
    return items


def from_lock(lock: LockFile, source: str) -> list[RemoteItem]:
    return [RemoteFile(f"{source}:{f.project}=={f.version or '?'}/{f.file.filename}", f.file,
                       f.project, f.version, local=True) for f in lock.files]


def _label(line: RequirementLine, version: str, filename: str) -> str:
    return f"{line.origin}:{line.name}=={version}/{filename}"


def _direct(line: RequirementLine) -> RemoteItem:
    url = line.url or ""
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or line.name
    if urlsplit(url).scheme not in ("http", "https", "file"):
        return Unavailable(f"{line.origin}:{line.name}", filename,
                           f"direct reference {line.text!r} is not a file URL (VCS and other "
                           "schemes are not scanned)", line.name)
    return RemoteFile(f"{line.origin}:{line.name} @ {filename}", FileEntry(filename, url),
                      line.name, None, line.hashes, local=True)


def _pinned(client: IndexClient, line: RequirementLine) -> list[RemoteItem]:
    try:
        release = client.release_files(line.name, line.version)
    except NotFound as exc:
        raise NotFound(f"{line.origin}: {exc}") from None
    except IndexUnavailable as exc:
        return [Unavailable(f"{line.origin}:{line.name}=={line.version}", line.name, str(exc),
                            line.name, line.version)]
    files = release.files
    if line.hashes:
        files = tuple(f for f in files if _may_match(f, line.hashes))
        if not files:
            return [Unavailable(f"{line.origin}:{line.name}=={release.version}",
                                f"{line.name}-{release.version}",
                                f"no file of {line.name}=={release.version} on the index "
                                "matches the hashes pinned in the requirements file",
                                line.name, release.version)]
    return [RemoteFile(_label(line, release.version, f.filename), f, line.name, release.version,
                       line.hashes) for f in files]


def _may_match(file: FileEntry, pinned: Mapping[str, frozenset[str]]) -> bool:
    """Whether the file can be one the user pinned: its published hash is listed, or the index
    published no hash we could compare (then the download is checked)."""
    comparable = [a for a in pinned if a in file.hashes]
    if not comparable:
        return True
    return any(file.hashes[a] in pinned[a] for a in comparable)


def _resolve_unpinned(lines: list[RequirementLine], index_url: str,
                      scan_options: ScanOptions | None, cache_db: Path | None
                      ) -> list[RemoteItem]:
    """pip resolves them (dependencies included) through an in-process gate, so that no sdist
    is built before it was scanned; the files it chose are then scanned like pinned ones.

    Files the gate refused during resolution (a malicious newest release, hidden so that pip
    took the one before) are reported too: a plain ``pip install`` of the same file would get
    them, and that is what the user must learn."""
    try:
        module = importlib.import_module("scanner.preinstall.resolve")
        resolve = module.resolve
    except (ImportError, AttributeError):
        first = lines[0]
        raise SourceError(f"unpinned requirement {first.text!r} ({first.origin}): pin it "
                          "(name==version) or use distscan pip install") from None
    texts = [line.text for line in lines]
    label = f"{lines[0].origin}:{', '.join(texts)}"
    with tempfile.TemporaryDirectory(prefix="distscan-resolve-db-") as scratch:
        db = cache_db or Path(scratch) / "verdicts.sqlite3"
        try:
            resolution = resolve(texts, index_url, scan_options=scan_options, db_path=db)
        except Exception as exc:  # ResolutionError: pip failed, or only blocked files fit
            blocked = getattr(exc, "blocked", ())
            return [*map(_from_blocked, blocked),
                    Unavailable(label, texts[0], f"could not resolve {', '.join(texts)} "
                                f"through the gate: {exc}")]
    chosen = {str(canonicalize_name(f.name)): f.version for f in resolution.files}
    passed_over = [b for b in resolution.blocked if not _older(b, chosen)]
    return [*map(_from_resolved, resolution.files), *map(_from_blocked, passed_over)]


def _older(outcome: object, chosen: Mapping[str, str]) -> bool:
    """Whether a blocked file is older than the release pip chose for its project (an old bad
    release the gate remembers): pip would not have taken it anyway."""
    project, version = getattr(outcome, "project", None), getattr(outcome, "version", None)
    picked = chosen.get(str(canonicalize_name(project))) if project else None
    try:
        return bool(picked and version) and Version(version) < Version(picked)
    except InvalidVersion:
        return False


def _from_blocked(outcome: object) -> RemoteItem:
    """A file the gate refused while pip resolved (a ``FileOutcome``), to be scanned and
    reported under its own name."""
    filename = str(getattr(outcome, "filename", ""))
    project, version = getattr(outcome, "project", None), getattr(outcome, "version", None)
    url, sha256 = getattr(outcome, "url", None), getattr(outcome, "sha256", None)
    label = f"blocked-in-resolution:{project}=={version}/{filename}"
    if not url:
        return Unavailable(label, filename, "refused by the gate during resolution: "
                           f"{getattr(outcome, 'reason', '')}", project, version)
    hashes = {"sha256": str(sha256).lower()} if sha256 else {}
    return RemoteFile(label, FileEntry(filename, str(url), hashes), project, version)


def _from_resolved(item: object) -> RemoteItem:
    """A ``ResolvedFile`` from scanner.preinstall, read by attribute so that this module does
    not depend on its exact shape: a local ``path``, or a ``url`` with a ``sha256``."""
    filename = str(getattr(item, "filename", "") or "")
    project = getattr(item, "name", None) or getattr(item, "project", None)
    version = getattr(item, "version", None)
    sha256 = getattr(item, "sha256", None)
    path = getattr(item, "path", None)
    url = getattr(item, "url", None)
    if path is not None and Path(path).is_file():
        url = Path(path).resolve().as_uri()
        filename = filename or Path(path).name
    if not url:
        return Unavailable(f"resolved:{filename or project}", filename or str(project),
                           "the resolver gave no file to fetch", project, version)
    filename = filename or unquote(urlsplit(str(url)).path.rsplit("/", 1)[-1])
    hashes = {"sha256": str(sha256).lower()} if sha256 else {}
    label = f"resolved:{project}=={version}/{filename}" if project else f"resolved:{filename}"
    return RemoteFile(label, FileEntry(filename, str(url), hashes), project, version)


def dedupe(items: list[RemoteItem]) -> list[RemoteItem]:
    """The same file named twice (a requirement in two included files) is scanned once."""
    seen: set[str] = set()
    unique: list[RemoteItem] = []
    for item in items:
        key = item.file.url if isinstance(item, RemoteFile) else f"{item.label}\0{item.reason}"
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique
