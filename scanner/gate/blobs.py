"""Downloaded files waiting to be scanned and served, shared by concurrent requests.

One download per upstream URL at a time: requests for a file that is already being fetched
wait for that fetch. A blob is a temporary file counted by its users; the last user to let go
deletes it, so nothing downloaded outlives the requests (and the scan) that needed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .simple import FileEntry
from .upstream import UpstreamClient


@dataclass(eq=False)
class Blob:
    path: Path
    sha256: str
    size: int
    users: int = 0
    _on_free: object = field(default=None, repr=False)

    def acquire(self) -> Blob:
        self.users += 1
        return self

    def release(self) -> None:
        self.users -= 1
        if self.users <= 0:
            with contextlib.suppress(OSError):
                self.path.unlink()
            if callable(self._on_free):
                self._on_free(self)


@dataclass(eq=False)
class _Flight:
    """One download in progress and the number of requests that will each hold the result."""

    task: asyncio.Task | None = None
    claims: int = 0


class BlobFetcher:
    def __init__(self, upstream: UpstreamClient, workdir: Path, max_bytes: int) -> None:
        self._upstream = upstream
        self._workdir = workdir
        self._max_bytes = max_bytes
        self._flights: dict[str, _Flight] = {}
        self._ready: dict[str, Blob] = {}

    async def acquire(self, entry: FileEntry) -> Blob:
        """A verified local copy of the file; the caller must ``release()`` it."""
        blob = self._ready.get(entry.url)
        if blob is not None:
            return blob.acquire()
        flight = self._flights.get(entry.url)
        if flight is None:
            flight = _Flight()
            flight.task = asyncio.ensure_future(self._download(entry, flight))
            self._flights[entry.url] = flight
        flight.claims += 1  # counted before waiting, so the blob is born with all its users
        try:
            # Shielded: one client hanging up must not cancel a download others wait for.
            return await asyncio.shield(flight.task)
        except asyncio.CancelledError:
            task = flight.task
            if task.done() and not task.cancelled() and task.exception() is None:
                task.result().release()
            else:
                flight.claims -= 1
            raise

    async def _download(self, entry: FileEntry, flight: _Flight) -> Blob:
        fd, name = tempfile.mkstemp(prefix="gate-", suffix=".part", dir=self._workdir)
        os.close(fd)
        path = Path(name)
        try:
            sha256, size = await self._upstream.download(entry.url, path, dict(entry.hashes),
                                                         self._max_bytes)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        finally:
            self._flights.pop(entry.url, None)
        blob = Blob(path, sha256, size, flight.claims, self._forget)
        if blob.users <= 0:  # every requester went away meanwhile
            blob.users = 1
            blob.release()
            return blob
        self._ready[entry.url] = blob
        return blob

    def _forget(self, blob: Blob) -> None:
        for url, ready in list(self._ready.items()):
            if ready is blob:
                del self._ready[url]
