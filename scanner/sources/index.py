"""A small synchronous client for a simple repository API: project pages (PEP 691 JSON asked
for first, PEP 503 HTML taken from servers that only speak that, both read by the gate's
parsers), releases and their files, and downloads checked against published hashes.

Credentials in the index URL are handled as the gate handles them (scanner.gate.upstream): taken
out of the URL, sent only to the index's own origin, and never printed (errors name URLs through
``redact``). Downloads stream to a file in a folder the caller chose (a temporary folder, never
the working tree); nothing is extracted or run.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import httpx
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..gate.simple import FileEntry, PageError, ProjectPage, parse_project_page
from ..gate.upstream import (
    UPSTREAM_ACCEPT,
    first_mismatch,
    new_hashers,
    parse_upstream,
    redact,
)
from ..metadata import name_version_from_filename

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
MAX_FILE_BYTES = 2 * 1024**3  # the gate's default cap on one upstream file
CHUNK = 256 * 1024


class SourceError(Exception):
    """Something to scan could not be found or fetched. Messages never carry credentials."""


class NotFound(SourceError):
    """The index has no such project, or the project no such release: a usage error."""


class IndexUnavailable(SourceError):
    """The index could not be reached or answered something unusable."""


class FetchError(SourceError):
    """One file could not be downloaded (an ``error`` result for that file)."""


class HashMismatch(FetchError):
    """The bytes are not the bytes that the index or the user's pins published a hash for."""


@dataclass(frozen=True)
class Release:
    """Every file of one release of a project, as the index lists them."""

    project: str  # normalized name
    version: str
    files: tuple[FileEntry, ...]


def file_version(entry: FileEntry) -> Version | None:
    """The version a wheel, sdist or egg file name carries, or None."""
    _, version, _ = name_version_from_filename(entry.filename)
    if version is None:
        return None
    try:
        return Version(version)
    except InvalidVersion:
        return None


class IndexClient:
    """One index. Use as a context manager, or call ``close()``.

    ``transport`` and ``accept`` exist for tests (an in-memory transport; HTML only).
    """

    def __init__(self, index_url: str = DEFAULT_INDEX_URL, *, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None,
                 accept: str = UPSTREAM_ACCEPT) -> None:
        try:
            self.upstream = parse_upstream(index_url)
        except ValueError as exc:
            raise SourceError(f"--index-url: {exc}") from None
        self.accept = accept
        self._pages: dict[str, ProjectPage] = {}
        # httpx logs request URLs at INFO; ours carry no credentials, but keep it quiet anyway.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)), follow_redirects=True,
            transport=transport, headers={"User-Agent": "distscan"}, trust_env=False)

    @property
    def index_url(self) -> str:
        """The index URL without credentials, fit to print."""
        return redact(self.upstream.base)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- pages and releases ------------------------------------------------------------------

    def page(self, project: str) -> ProjectPage:
        """The project's page (fetched once per client). Raises NotFound, IndexUnavailable."""
        name = str(canonicalize_name(project))
        cached = self._pages.get(name)
        if cached is not None:
            return cached
        url = self.upstream.base + quote(name) + "/"
        try:
            response = self._client.get(url, headers={"Accept": self.accept},
                                        auth=self.upstream.auth_for(url))
        except httpx.HTTPError as exc:
            raise IndexUnavailable(f"index {self.index_url} unreachable: "
                                   f"{exc.__class__.__name__}") from None
        if response.status_code in (404, 410):
            raise NotFound(f"project {name!r} not found on {self.index_url}")
        if response.status_code in (401, 403):
            raise IndexUnavailable(f"index {self.index_url} refused the request "
                                   f"({response.status_code}): check its credentials")
        if response.status_code >= 400:
            raise IndexUnavailable(f"index {self.index_url} answered {response.status_code} "
                                   f"for {name!r}")
        try:
            page = parse_project_page(response.content, response.headers.get("content-type", ""),
                                      str(response.url), name)
        except PageError as exc:
            raise IndexUnavailable(f"the page for {name!r} on {self.index_url} is "
                                   f"malformed: {exc}") from None
        self._pages[name] = page
        return page

    def _by_version(self, project: str) -> dict[Version, list[FileEntry]]:
        grouped: dict[Version, list[FileEntry]] = {}
        for entry in self.page(project).files:
            version = file_version(entry)
            if version is not None:
                grouped.setdefault(version, []).append(entry)
        return grouped

    def versions(self, project: str) -> list[str]:
        """Every version that has at least one file, oldest first (yanked ones included)."""
        return [str(v) for v in sorted(self._by_version(project))]

    def release_files(self, project: str, version: str | None = None) -> Release:
        """Every file of one release; ``None`` means the latest release that is neither yanked
        nor a pre-release (a pre-release only when there is nothing else, as pip does).

        A version named explicitly is returned even when yanked (PEP 592: an exact pin still
        selects yanked files). Raises NotFound.
        """
        name = str(canonicalize_name(project))
        grouped = self._by_version(name)
        if version is None:
            chosen = _latest(grouped)
            if chosen is None:
                raise NotFound(f"project {name!r} has no installable release on "
                               f"{self.index_url}")
        else:
            try:
                wanted = Version(version)
            except InvalidVersion:
                raise NotFound(f"{version!r} is not a valid version") from None
            if wanted not in grouped:
                known = ", ".join(str(v) for v in sorted(grouped)[-5:]) or "none"
                raise NotFound(f"project {name!r} has no release {version} on "
                               f"{self.index_url} (latest versions: {known})")
            chosen = wanted
        return Release(name, str(chosen), tuple(grouped[chosen]))

    def previous_release(self, project: str, version: str) -> Release | None:
        """The newest release older than ``version`` that has a file that is not yanked, or
        None. Pre-releases count only when ``version`` is itself a pre-release."""
        current = Version(version)
        grouped = self._by_version(project)
        older = [v for v, files in grouped.items()
                 if v < current and any(not f.yanked for f in files)
                 and (current.is_prerelease or not v.is_prerelease)]
        if not older:
            return None
        best = max(older)
        return Release(str(canonicalize_name(project)), str(best), tuple(grouped[best]))

    # -- downloads ---------------------------------------------------------------------------

    def fetch(self, file: FileEntry, dest_dir: Path, *, max_bytes: int = MAX_FILE_BYTES,
              pinned: Mapping[str, Collection[str]] | None = None,
              local_files: bool = False) -> Path:
        """Download one file into ``dest_dir`` under its own file name and return the path.

        Every hash the index published that hashlib knows is checked; ``pinned`` adds the hashes
        the user allowed (requirements ``--hash``, lock files): at least one of them must match.
        ``local_files``: a ``file:`` URL may be read (a lock file's or requirements file's own
        entry); never for what an index lists, or a page could have distscan read the user's
        files and quote them in a report. Raises HashMismatch (nothing is left on disk) or
        FetchError.
        """
        if urlsplit(file.url).scheme == "file" and not local_files:
            raise FetchError(f"{file.filename}: the index names a local file "
                             f"({redact(file.url)}); refused")
        dest = Path(dest_dir) / safe_filename(file.filename)
        partial = dest.with_name(dest.name + ".part")
        hashers = new_hashers(file.hashes, pinned or {})
        try:
            with open(partial, "wb") as out, contextlib.closing(self._chunks(file.url)) as chunks:
                for chunk in chunks:
                    if out.tell() + len(chunk) > max_bytes:
                        raise FetchError(f"{file.filename} is larger than the limit of "
                                         f"{max_bytes} bytes")
                    for hasher in hashers.values():
                        hasher.update(chunk)
                    out.write(chunk)
            _check_hashes(file, hashers, pinned)
            os.replace(partial, dest)
        finally:
            with contextlib.suppress(OSError):
                partial.unlink()
        return dest

    def _chunks(self, url: str):
        parts = urlsplit(url)
        if parts.scheme == "file":  # a lock file's local `path` entries
            try:
                with open(unquote(parts.path), "rb") as source:
                    while block := source.read(CHUNK):
                        yield block
            except OSError as exc:
                raise FetchError(f"cannot read {unquote(parts.path)}: {exc.strerror}") from None
            return
        if parts.scheme not in ("http", "https"):
            raise FetchError(f"unsupported URL scheme {parts.scheme!r} for {redact(url)}")
        try:
            with self._client.stream("GET", url, auth=self.upstream.auth_for(url)) as response:
                if response.status_code >= 400:
                    raise FetchError(f"{redact(url)} answered {response.status_code}")
                yield from response.iter_bytes(CHUNK)
        except httpx.HTTPError as exc:
            raise FetchError(f"download of {redact(url)} failed: "
                             f"{exc.__class__.__name__}") from None


def safe_filename(filename: str) -> str:
    """The last path component, refusing names that could leave the destination folder."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if name in ("", ".", "..") or name.startswith("."):
        raise FetchError(f"refusing to save a file named {filename!r}")
    return name


def _check_hashes(file: FileEntry, hashers: dict, pinned: Mapping[str, Collection[str]] | None
                  ) -> None:
    mismatch = first_mismatch(hashers, file.hashes)
    if mismatch is not None:
        algorithm, digest, got = mismatch
        raise HashMismatch(f"{file.filename}: {algorithm} mismatch: the index published "
                           f"{digest[:16]}…, the download is {got[:16]}…")
    if pinned:
        usable = {a: {d.lower() for d in ds} for a, ds in pinned.items() if a in hashers}
        if not usable:
            raise HashMismatch(f"{file.filename}: none of the pinned hash algorithms "
                               f"({', '.join(sorted(pinned))}) can be checked")
        if not any(hashers[a].hexdigest() in ds for a, ds in usable.items()):
            got = hashers["sha256"].hexdigest()
            raise HashMismatch(f"{file.filename}: hash mismatch: sha256 {got[:16]}… is not "
                               f"among the pinned hashes")


def _latest(grouped: Mapping[Version, list[FileEntry]]) -> Version | None:
    installable = [v for v, files in grouped.items() if any(not f.yanked for f in files)]
    finals = [v for v in installable if not v.is_prerelease]
    return max(finals or installable, default=None)

