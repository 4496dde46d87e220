"""The gate's behaviour, apart from HTTP: which files a project page shows, and whether (and
what) a file request gets."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from ..metadata import name_version_from_filename
from .baseline import BaselineJob, BaselineResults, baseline_entry
from .blobs import Blob, BlobFetcher
from .config import GateConfig
from .decision import Decision, cooldown_decision, judge
from .metrics import Metrics
from .scanning import Scanner
from .simple import FileEntry, ProjectPage, without
from .store import VerdictStore
from .upstream import HashMismatch, UpstreamClient, UpstreamError, parse_upstream

log = logging.getLogger("distscan.gate")


class Refused(Exception):
    """A request the gate answers with an error status and a short reason."""

    def __init__(self, status: int, reason: str, kind: str = "refused") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True)
class _CachedPage:
    page: ProjectPage | None
    fetched_at: float


class Gate:
    def __init__(self, config: GateConfig, *, transport=None) -> None:
        self.config = config
        self.metrics = Metrics()
        self.store = VerdictStore(config.db_path, config.fingerprint())
        self.upstream = UpstreamClient(parse_upstream(config.upstream), transport=transport)
        self._workdir = tempfile.TemporaryDirectory(prefix="distscan-gate-")
        self.blobs = BlobFetcher(self.upstream, Path(self._workdir.name), config.max_file_bytes)
        self.scanner = Scanner(self.store, config.scan_options, self.metrics,
                               executor=config.executor, workers=config.workers,
                               timeout_s=config.scan_timeout_s)
        self._pages: dict[str, _CachedPage] = {}
        self._page_fetches: dict[str, asyncio.Task[ProjectPage | None]] = {}
        # Content hashes learnt by downloading, for upstreams that publish no sha256.
        self._learnt_sha256: dict[str, str] = {}
        self.baseline_results = BaselineResults()  # --baseline: plain results by sha256

    async def aclose(self) -> None:
        await self.upstream.aclose()
        self.scanner.close()
        self.store.close()
        self._workdir.cleanup()

    # -- pages ---------------------------------------------------------------------------------

    async def index(self) -> tuple[str, ...]:
        return await self.upstream.index()

    async def upstream_page(self, project: str, *, fresh: bool = False) -> ProjectPage | None:
        cached = self._pages.get(project)
        if (cached and not fresh
                and time.monotonic() - cached.fetched_at < self.config.page_ttl_s):
            return cached.page
        task = self._page_fetches.get(project)
        if task is None:
            task = asyncio.ensure_future(self.upstream.project(project))
            self._page_fetches[project] = task
            task.add_done_callback(lambda _t, key=project: self._page_fetches.pop(key, None))
        page = await asyncio.shield(task)
        if page is not None and page.name != project:
            page = replace(page, name=project)  # file URLs follow the name asked for
        self._pages[project] = _CachedPage(page, time.monotonic())
        return page

    async def visible_page(self, project: str) -> ProjectPage | None:
        """The project page without the files that are blocked or held back."""
        page = await self.upstream_page(project)
        if page is None:
            return None
        await self._prescan(page)
        hidden = set()
        for entry in page.files:
            decision = self.stored_decision(entry)
            if decision is not None and not decision.allowed:
                hidden.add(entry.filename)
        return without(page, hidden)

    def known_sha256(self, entry: FileEntry) -> str | None:
        """The file's sha256 as the upstream published it, or as learnt by downloading it from
        an upstream that publishes none; None when neither is known yet."""
        return entry.sha256 or self._learnt_sha256.get(entry.url)

    def stored_decision(self, entry: FileEntry) -> Decision | None:
        """What is known about a file without fetching it, or None when nothing is."""
        held = cooldown_decision(entry, self.config)
        if held is not None:
            return held
        sha256 = self.known_sha256(entry)
        if not sha256:
            return None
        record = self.store.get(sha256)
        if record is None:
            return None
        return judge(record, self.store.allowed(sha256), self.config)

    async def _prescan(self, page: ProjectPage) -> None:
        """Scan the newest release's files before showing the page, so that a resolver never
        sees a blocked newest version; older releases follow only while every file of the newer
        one was blocked. Bounded in files, bytes and time; what is not done by then is shown
        and scanned when it is downloaded."""
        budget_files = self.config.prescan_max_files
        budget_bytes = self.config.prescan_max_bytes
        deadline = time.monotonic() + self.config.prescan_wait_s
        for _version, files in _releases_newest_first(page.files)[: self.config.prescan_versions]:
            pending = [f for f in files if self.stored_decision(f) is None]
            wanted = []
            for entry in pending:
                size = entry.size or 0
                if budget_files <= 0 or size > budget_bytes:
                    break
                budget_files -= 1
                budget_bytes -= size
                wanted.append(entry)
            if len(wanted) < len(pending):
                return  # too big to prescan: the rest is judged at download time
            if wanted:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                tasks = [asyncio.ensure_future(self._prejudge(entry)) for entry in wanted]
                done, _ = await asyncio.wait(tasks, timeout=remaining)
                if len(done) < len(tasks):
                    return  # still scanning: they finish in the background
            decisions = [self.stored_decision(f) for f in files]
            if not all(d is not None and not d.allowed for d in decisions):
                return  # the newest release has something a resolver may take

    async def _prejudge(self, entry: FileEntry) -> None:
        """Judge a file for its page; failures are left for the download to report."""
        try:
            _, blob = await self.decide(entry)
        except Refused:
            return
        except Exception:
            log.exception("prescan of %s failed", entry.filename)
            return
        if blob is not None:
            # Kept a little while: the resolver that asked for the page downloads it next.
            asyncio.get_running_loop().call_later(self.config.prescan_keep_s, blob.release)

    # -- files ---------------------------------------------------------------------------------

    async def lists(self, project: str, filename: str) -> bool:
        """Whether the (cached) upstream page lists exactly this file name."""
        page = await self.upstream_page(project)
        return page is not None and page.file(filename) is not None

    async def find_file(self, project: str, filename: str) -> FileEntry:
        page = await self.upstream_page(project)
        entry = page.file(filename) if page else None
        if entry is None:  # maybe uploaded since the page was cached
            page = await self.upstream_page(project, fresh=True)
            entry = page.file(filename) if page else None
        if entry is None:
            raise Refused(404, f"{filename} is not a file of {project}", "missing")
        return entry

    async def decide(self, entry: FileEntry) -> tuple[Decision, Blob | None]:
        """Fetch (if needed) and judge one file. On an allowed decision the caller owns the
        returned blob and must release it; a refused file's blob is already released."""
        known = self.stored_decision(entry)
        if known is not None and not known.allowed:
            return known, None
        try:
            blob = await self.blobs.acquire(entry)
        except HashMismatch as exc:
            self.metrics.inc("distscan_gate_upstream_errors_total", kind="hash-mismatch")
            log.warning("refused %s: %s", entry.filename, exc)
            raise Refused(502, str(exc), "hash-mismatch") from None
        except UpstreamError as exc:
            self.metrics.inc("distscan_gate_upstream_errors_total", kind="download")
            raise Refused(exc.status, str(exc), "upstream") from None
        if not entry.sha256:
            self._learnt_sha256[entry.url] = blob.sha256
        try:
            job = await self._baseline_job(entry, blob)
            record = await self.scanner.verdict(blob, entry.filename, job)
            decision = judge(record, self.store.allowed(blob.sha256), self.config)
        except BaseException:
            blob.release()
            raise
        if not decision.allowed:
            blob.release()
            return decision, None
        return decision, blob

    async def _baseline_job(self, entry: FileEntry, blob: Blob) -> BaselineJob | None:
        """With ``--baseline``: the baseline file to compare a not yet judged file with,
        downloaded and verified; None when there is nothing to compare with."""
        name, version, _ = name_version_from_filename(entry.filename)
        if not self.config.baseline or not name or not version or \
                self.scanner.known(blob.sha256) is not None:
            return None
        try:
            page = await self.upstream_page(name)
            old = baseline_entry(page.files, entry.filename, version,
                                 self.config.baseline) if page else None
            if old is None:
                return None
            old_blob = await self.blobs.acquire(old)
        except UpstreamError as exc:  # HashMismatch included: then judge the file alone
            log.warning("no baseline for %s: %s", entry.filename, exc)
            return None
        return BaselineJob(old_blob, old.filename, self.baseline_results)

    async def open_file(self, project: str, filename: str) -> Blob:
        """A verified, scanned and allowed file, or Refused."""
        entry = await self.find_file(project, filename)
        decision, blob = await self.decide(entry)
        if blob is None:
            self.metrics.inc("distscan_gate_blocks_total", reason=decision.kind)
            log.info("blocked %s: %s", filename, decision.reason)
            raise Refused(403, f"distscan gate blocked {filename}: {decision.reason}",
                          decision.kind)
        return blob

    async def metadata_file(self, project: str, filename: str) -> bytes:
        """The PEP 658 metadata file of an allowed (or not yet judged) file, byte for byte."""
        entry = await self.find_file(project, filename)
        if not entry.core_metadata:
            raise Refused(404, f"{filename} has no metadata file", "missing")
        known = self.stored_decision(entry)
        if known is not None and not known.allowed:
            self.metrics.inc("distscan_gate_blocks_total", reason=known.kind)
            raise Refused(403, f"distscan gate blocked {filename}: {known.reason}", known.kind)
        try:
            data = await self.upstream.small_file(entry.url + ".metadata")
        except UpstreamError as exc:
            raise Refused(exc.status, str(exc), "upstream") from None
        if data is None:
            raise Refused(404, f"upstream has no metadata file for {filename}", "missing")
        expected = entry.core_metadata if isinstance(entry.core_metadata, dict) else {}
        for algorithm, digest in expected.items():
            if algorithm in hashlib.algorithms_available and \
                    hashlib.new(algorithm, data).hexdigest() != digest:
                self.metrics.inc("distscan_gate_upstream_errors_total", kind="hash-mismatch")
                raise Refused(502, f"upstream metadata file for {filename} does not match its "
                              f"published {algorithm}", "hash-mismatch")
        return data

    # -- operators -----------------------------------------------------------------------------

    def blocked(self) -> list[dict]:
        levels = ["malicious"]
        if self.config.block_suspicious:
            levels.append("suspicious")
        if self.config.block_errors:
            levels.append("error")
        out = []
        for record in self.store.verdicts(tuple(levels)):
            allow = self.store.allowed(record.sha256)
            if allow is not None:
                continue
            decision = judge(record, None, self.config)
            out.append(record.to_dict() | {"reason": decision.reason})
        return out


def _releases_newest_first(files: tuple[FileEntry, ...]) -> list[tuple[Version, list[FileEntry]]]:
    """Files grouped by version, newest first; yanked files and pre-releases (which resolvers
    skip unless asked) are left out, as are files whose names carry no version."""
    groups: dict[Version, list[FileEntry]] = {}
    for entry in files:
        if entry.yanked:
            continue
        version = _version_of(entry.filename)
        if version is None or version.is_prerelease:
            continue
        groups.setdefault(version, []).append(entry)
    return sorted(groups.items(), key=lambda item: item[0], reverse=True)


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
