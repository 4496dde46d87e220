"""Scanning local targets and remote files in one stream of results, with the verdict cache.

Local files are hashed first (cheap) and served from the cache when their content was scanned
before under the same configuration. Remote files whose sha256 the index or the user's pins
publish are looked up before downloading anything; the rest are downloaded in small batches to
a private temporary folder, checked against every hash known for them, scanned, and deleted.
A file that fails its hash check is never scanned: it becomes an ``error`` result naming it.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..cache import ResultCache, file_sha256
from ..model import ArtifactInfo, ScanResult, Verdict, VerdictLevel
from ..pipeline import ScanOptions
from ..runner import resolve_workers, scan_many
from ..targets import Target
from .index import MAX_FILE_BYTES, FetchError, IndexClient
from .remote import RemoteFile, RemoteItem, Unavailable


def error_result(label: str, filename: str, reason: str, project: str | None = None,
                 version: str | None = None) -> ScanResult:
    info = ArtifactInfo(filename, None, 0, "unknown", project, version)
    return ScanResult(label, info, Verdict(VerdictLevel.ERROR, 0.0), (), reason, 0.0)


def scan_targets(local: Sequence[Target], remote: Sequence[RemoteItem], options: ScanOptions,
                 workers: int = 1, *, cache: ResultCache | None = None,
                 client: IndexClient | None = None,
                 max_download_bytes: int = MAX_FILE_BYTES) -> Iterator[tuple[int, ScanResult]]:
    """Yield (index, result) for every local target (indexes 0..) and then every remote item
    (indexes after the local ones): exactly one result each."""
    yield from _scan_local(local, options, workers, cache)
    batch = max(4, 2 * resolve_workers(workers))
    for start in range(0, len(remote), batch):
        chunk = remote[start:start + batch]
        yield from ((len(local) + start + i, result) for i, result in
                    _scan_remote_batch(chunk, options, workers, cache, client,
                                       max_download_bytes))


def _scan_local(local: Sequence[Target], options: ScanOptions, workers: int,
                cache: ResultCache | None) -> Iterator[tuple[int, ScanResult]]:
    pending: list[tuple[int, Target]] = []
    for i, target in enumerate(local):
        hit = None
        if cache is not None and cache.enabled:
            hit = cache.get(file_sha256(target.path), target.label, target.path.name)
        if hit is not None:
            yield i, hit
        else:
            pending.append((i, target))
    yield from _scan_and_store(pending, options, workers, cache)


def _scan_and_store(pending: list[tuple[int, Target]], options: ScanOptions, workers: int,
                    cache: ResultCache | None) -> Iterator[tuple[int, ScanResult]]:
    if not pending:
        return
    with contextlib.closing(scan_many([t for _, t in pending], options, workers)) as scanning:
        for j, result in scanning:
            if cache is not None:
                cache.put(result)
            yield pending[j][0], result


def _scan_remote_batch(items: Sequence[RemoteItem], options: ScanOptions, workers: int,
                       cache: ResultCache | None, client: IndexClient | None,
                       max_bytes: int) -> Iterator[tuple[int, ScanResult]]:
    folder = Path(tempfile.mkdtemp(prefix="distscan-fetch-"))
    try:
        pending: list[tuple[int, Target]] = []
        for i, item in enumerate(items):
            if isinstance(item, Unavailable):
                yield i, error_result(item.label, item.filename, item.reason, item.project,
                                      item.version)
                continue
            hit = None
            if cache is not None and cache.enabled:
                hit = cache.get(item.known_sha256, item.label, item.file.filename)
            if hit is not None:
                yield i, hit  # nothing downloaded
                continue
            try:
                if client is None:
                    raise FetchError("no index client to download with")
                # One sub-folder per file: two files of the same name (from two lock entries)
                # never overwrite each other.
                slot = folder / str(i)
                slot.mkdir()
                path = client.fetch(item.file, slot, max_bytes=max_bytes, pinned=item.pinned,
                                    local_files=item.local)
            except FetchError as exc:
                yield i, _fetch_failed(item, str(exc))
                continue
            pending.append((i, Target(path, item.label)))
        yield from _scan_and_store(pending, options, workers, cache)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _fetch_failed(item: RemoteFile, reason: str) -> ScanResult:
    return error_result(item.label, item.file.filename, f"not scanned: {reason}", item.project,
                        item.version)
