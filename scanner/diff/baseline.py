"""Baselines on a package index: which earlier release to compare with, which of its files
matches a given file, and scanning a release against it.

A release has several files (an sdist, wheels per platform). A file is compared with the
baseline release's file of the same kind and, for wheels, the same tags when there is one (a
``cp311-manylinux`` wheel with the previous ``cp311-manylinux`` wheel), else the closest tags.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.tags import Tag
from packaging.version import InvalidVersion, Version

from ..gate.simple import FileEntry
from ..metadata import name_version_from_filename
from ..model import Confidence, Context, Finding, ScanResult, Severity, VerdictLevel
from ..pipeline import ScanOptions
from ..sources import FetchError, IndexClient, SourceError
from ..sources.index import Release as IndexRelease
from ..sources.remote import RemoteFile
from ..targets import Target
from ..text import escape
from .engine import Release, ReleaseDiff, diff_releases

PREVIOUS = "previous"


def parse_baseline(text: str) -> str:
    """``previous`` or a version; raises ValueError for anything else."""
    value = text.strip()
    if value.lower() == PREVIOUS:
        return PREVIOUS
    try:
        return str(Version(value))
    except InvalidVersion:
        raise ValueError(f"--baseline must be 'previous' or a version, not {text!r}") from None


def baseline_release(client: IndexClient, project: str, version: str,
                     baseline: str) -> IndexRelease | None:
    """The release to compare ``project==version`` with, or None when there is none (a
    project's first release). Raises NotFound for a named version the index does not have."""
    if baseline != PREVIOUS:
        return client.release_files(project, baseline)
    page = client.page(project)
    found = baseline_files(page.files, version, baseline)
    return IndexRelease(page.name, found[0], tuple(found[1])) if found else None


def baseline_files(files: Sequence[FileEntry], version: str,
                   baseline: str) -> tuple[str, list[FileEntry]] | None:
    """(version, files) of the baseline release among ``files`` (every file of a project, as
    an index page lists them), or None. ``previous`` is the newest older release with a file
    that is not yanked (pre-releases only for a pre-release), as ``IndexClient`` chooses it."""
    try:
        current = Version(version)
        wanted = None if baseline == PREVIOUS else Version(baseline)
    except InvalidVersion:
        return None
    grouped: dict[Version, list[FileEntry]] = {}
    for entry in files:
        _, text, _ = name_version_from_filename(entry.filename)
        try:
            grouped.setdefault(Version(text or ""), []).append(entry)
        except InvalidVersion:
            continue
    if wanted is None:
        older = [v for v, group in grouped.items() if v < current
                 and any(not f.yanked for f in group)
                 and (current.is_prerelease or not v.is_prerelease)]
        wanted = max(older, default=None)
    if wanted is None or wanted not in grouped:
        return None
    return str(wanted), grouped[wanted]


def _kind(filename: str) -> str:
    return "wheel" if filename.endswith(".whl") else "sdist"


def _tags(filename: str) -> frozenset[Tag]:
    _, _, tags = name_version_from_filename(filename)
    return tags


def _platform(tag: Tag) -> tuple[str, str]:
    """(family, architecture) of a platform tag: ``macosx_10_15_x86_64`` and
    ``macosx_11_0_x86_64`` are the same place, as are ``manylinux2014_x86_64`` and
    ``manylinux_2_17_x86_64``."""
    family = re.match(r"[a-z]*", tag.platform).group()
    return family, re.sub(r"^[a-z]+[\d_]*", "", tag.platform)


def _likeness(candidate: str, wanted: frozenset[Tag]) -> tuple:
    best: tuple = (False, False, False, False)
    for a in _tags(candidate):
        for b in wanted:
            best = max(best, (a == b, _platform(a) == _platform(b),
                              a.interpreter == b.interpreter, a.abi == b.abi))
    return best


def matching_file(candidates: Sequence[FileEntry], filename: str) -> FileEntry | None:
    """The candidate that best matches ``filename``: same kind first; for wheels the same
    tags, else the same platform and architecture, then interpreter and ABI; yanked files only
    when nothing else is left."""
    kind, tags = _kind(filename), _tags(filename)
    usable = [f for f in candidates if not f.yanked] or list(candidates)
    same_kind = [f for f in usable if _kind(f.filename) == kind]
    if not same_kind:
        return None
    return max(same_kind, key=lambda f: (_likeness(f.filename, tags), f.filename))


def preferred_file(files: Sequence[FileEntry], prefer: str = "wheel") -> FileEntry | None:
    """The file of a release to diff when the user named only the release: a pure-Python
    wheel, else a manylinux x86_64 wheel (the newest interpreter), else any wheel, else the
    sdist (or the sdist first with ``prefer="sdist"``)."""
    usable = [f for f in files if not f.yanked] or list(files)
    wheels = sorted((f for f in usable if _kind(f.filename) == "wheel"), reverse=True,
                    key=lambda f: (f.filename.endswith("-none-any.whl"),
                                   "manylinux" in f.filename and "x86_64" in f.filename,
                                   f.filename))
    sdists = sorted((f for f in usable if _kind(f.filename) == "sdist"),
                    key=lambda f: f.filename)
    ordered = (sdists + wheels) if prefer == "sdist" else (wheels + sdists)
    return ordered[0] if ordered else None


@dataclass
class Fetcher:
    """Downloads into one private temporary folder, each file once per run (keyed by its
    published sha256, else its URL); ``close()`` deletes everything."""

    client: IndexClient
    folder: Path | None = None

    def __post_init__(self) -> None:
        self._fetched: dict[str, Path] = {}

    def fetch(self, entry: FileEntry) -> Path:
        key = entry.sha256 or entry.url
        if key not in self._fetched:
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix="distscan-diff-"))
            slot = self.folder / str(len(self._fetched))
            slot.mkdir()
            self._fetched[key] = self.client.fetch(entry, slot)
        return self._fetched[key]

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def diff_against_baseline(fetcher: Fetcher, project: str, version: str, new_source: Path,
                          new_filename: str, baseline: str, options: ScanOptions, label: str,
                          new_result: ScanResult | None = None) -> ReleaseDiff | None:
    """Diff one file of ``project==version`` with the matching file of its baseline release.
    None when the project has no earlier release or the baseline has no file of that kind.
    Raises NotFound (a named baseline version is missing) and FetchError."""
    base = baseline_release(fetcher.client, project, version, baseline)
    old_entry = matching_file(base.files, new_filename) if base is not None else None
    if old_entry is None:
        return None
    old_label = f"pypi:{base.project}=={base.version}/{old_entry.filename}"
    return diff_releases(Release(fetcher.fetch(old_entry), old_label),
                         Release(new_source, label, new_filename), options,
                         new_result=new_result)


class Rebaser:
    """Re-scores scan results against their baseline releases on an index (``distscan scan
    --baseline``). A result that cannot be compared keeps its verdict and gets an info note
    saying why; one that was compared gets a ``diff.baseline`` note naming the baseline."""

    def __init__(self, client: IndexClient, baseline: str, options: ScanOptions) -> None:
        self.baseline = baseline
        self.options = options
        self.fetcher = Fetcher(client)

    def close(self) -> None:
        self.fetcher.close()

    def remote(self, result: ScanResult, entry: FileEntry, project: str | None,
               version: str | None) -> ScanResult:
        """A result for a file downloaded from the index (fetched again for its inventory)."""
        if result.verdict.level is VerdictLevel.ERROR or not project or not version:
            return result
        try:
            source = self.fetcher.fetch(entry)
        except FetchError as exc:
            return with_note(result, _failure_note(str(exc)))
        return self._rescore(result, project, version, source, entry.filename)

    def local(self, result: ScanResult, path: Path) -> ScanResult:
        """A result for a local artifact: compared with the release before its own version."""
        art = result.artifact
        if result.verdict.level is VerdictLevel.ERROR or not art.name or not art.version:
            return result
        return self._rescore(result, art.name, art.version, path, art.filename)

    def _rescore(self, result: ScanResult, project: str, version: str, source: Path,
                 filename: str) -> ScanResult:
        try:
            diff = diff_against_baseline(self.fetcher, project, version, source, filename,
                                         self.baseline, self.options, result.target, result)
        except SourceError as exc:
            return with_note(result, _failure_note(str(exc)))
        if diff is None:
            return with_note(result, no_baseline_note(project, filename, self.baseline))
        return with_note(diff.result, baseline_note(diff))


def with_note(result: ScanResult, note: Finding) -> ScanResult:
    return replace(result, findings=result.findings + (note,))


def baseline_note(diff: ReleaseDiff) -> Finding:
    """An info finding that records what the result was compared with."""
    old = diff.old
    new_files = diff.comparison.new_files if diff.comparison is not None else ()
    message = (f"compared with {old.artifact.filename} ({old.verdict.level}, "
               f"sha256 {str(old.artifact.sha256)[:16]}): {len(diff.drift)} drift finding(s)"
               + (f"; new: {', '.join(new_files[:8])}" if new_files else "")
               + (f"; {diff.error}" if diff.error else ""))
    return Finding("diff.baseline", "drift", Severity.INFO, Confidence.HIGH, Context.CONTAINER,
                   escape(message, 500), None, None, escape(old.target, 200))


def no_baseline_note(project: str, filename: str, baseline: str) -> Finding:
    what = "no earlier release" if baseline == PREVIOUS else f"no matching file in {baseline}"
    return Finding("diff.no-baseline", "drift", Severity.INFO, Confidence.HIGH,
                   Context.CONTAINER, f"not compared with a baseline: {what} of "
                   f"{escape(project, 100)} has a file like {escape(filename, 120)}", None, None,
                   "")


def _failure_note(reason: str) -> Finding:
    return Finding("diff.no-baseline", "drift", Severity.INFO, Confidence.HIGH,
                   Context.CONTAINER, f"not compared with a baseline: {escape(reason, 300)}",
                   None, None, "")


class ScanRebase:
    """``distscan scan --baseline``: each result (by its index among the scan's local targets,
    then its remote items) re-scored against its baseline release on the index. Remote items
    need a project and version (pypi: specs, pinned requirements, lock entries); local
    artifacts use the name and version they declare."""

    def __init__(self, baseline: str, local: Sequence[Target], remote: Sequence[object],
                 client: IndexClient | None, index_url: str, options: ScanOptions) -> None:
        self.local = list(local)
        self.remote = list(remote)
        choice = parse_baseline(baseline)  # ValueError: a usage error
        self._own_client = client is None
        try:
            self.client = client or IndexClient(index_url)
        except SourceError as exc:
            raise ValueError(str(exc)) from None
        self.rebaser = Rebaser(self.client, choice, options)

    def __call__(self, index: int, result: ScanResult) -> ScanResult:
        if index < len(self.local):
            return self.rebaser.local(result, self.local[index].path)
        item = self.remote[index - len(self.local)]
        if isinstance(item, RemoteFile):
            return self.rebaser.remote(result, item.file, item.project, item.version)
        return result

    def close(self) -> None:
        self.rebaser.close()
        if self._own_client:
            self.client.close()
