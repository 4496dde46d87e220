"""SHA-256 on helper threads, alongside the decompression and checks of what follows.

Digests are work the bare reading of an archive does not do: the artifact's own (the store
and reports key on it) and, for wheels, every member's (the RECORD check). hashlib releases
the GIL while it hashes, so on a machine with a spare core a helper thread hides most of
that time; with no spare core it costs about what hashing in place costs. The bytes hashed
and the digests are exactly those of hashing in place: each hasher's chunks are queued in
order to one thread.

Two threads per process, started on first use (and again in a forked child, which does not
inherit threads): one for whole artifacts, one for member chunks, so that a member never
waits behind a large artifact's digest.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable
from queue import SimpleQueue

# Chunks smaller than this are hashed in place: each hand-over costs a few microseconds of
# locking and thread switching (with 64 KiB, 3% more CPU on wheels; with 256 KiB, 1%).
OFFLOAD_BYTES = 256 * 1024
# Artifacts smaller than this are hashed in place (a thread hand-over costs ~0.1 ms).
OFFLOAD_ARTIFACT_BYTES = 1024 * 1024
# Chunks handed over but not hashed yet; the reader waits beyond this, so memory stays
# bounded when the helper falls behind (a loaded machine).
_MAX_QUEUED_CHUNKS = 16


class Pending:
    """A digest the helper thread is computing. :meth:`result` waits for it.

    fallback: computes the digest on the calling thread when the process forked before the
    helper finished (the child has no helper thread to wait for).
    """

    __slots__ = ("_done", "_value", "_error", "_pid", "_fallback")

    def __init__(self, fallback: Callable[[], bytes | str] | None = None) -> None:
        self._done = threading.Lock()
        self._done.acquire()
        self._value: bytes | str | None = None
        self._error: BaseException | None = None
        self._pid = os.getpid()
        self._fallback = fallback

    def result(self) -> bytes | str:
        # Released by the helper once the value is set.
        if not self._done.acquire(blocking=self._pid == os.getpid()):
            if self._fallback is None:
                raise RuntimeError("the process forked while a member digest was computed")
            return self._fallback()
        self._done.release()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def _set(self, value, error: BaseException | None = None) -> None:
        self._value, self._error = value, error
        self._done.release()


class _Job:
    """One digest in the making: its hasher, and the first error the helper met."""

    __slots__ = ("hasher", "error", "hexdigest")

    def __init__(self, hasher, hexdigest: bool = False) -> None:
        self.hasher = hasher
        self.error: BaseException | None = None
        self.hexdigest = hexdigest


class _Helper:
    """One daemon thread hashing queued chunks in order."""

    def __init__(self, name: str) -> None:
        self._queue: SimpleQueue = SimpleQueue()
        self.slots = threading.Semaphore(_MAX_QUEUED_CHUNKS)
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def put(self, job: _Job, chunk, pending: Pending | None) -> None:
        """Queue ``chunk`` (a counted slot, unless it comes with ``pending``) and, with
        ``pending``, the digest after it."""
        self._queue.put((job, chunk, pending))

    def _run(self) -> None:
        get = self._queue.get
        while True:
            job, chunk, pending = get()
            try:
                if chunk is not None and job.error is None:
                    job.hasher.update(chunk)
                if pending is not None and job.error is None:
                    pending._set(job.hasher.hexdigest() if job.hexdigest
                                 else job.hasher.digest())
            except BaseException as exc:  # never let the thread die: report it to the waiter
                job.error = exc
                if pending is not None:
                    pending._set(None, exc)
            else:
                if pending is not None and job.error is not None:
                    pending._set(None, job.error)
            finally:
                if pending is None:
                    self.slots.release()
            del job, chunk, pending


_lock = threading.Lock()
_helpers: dict[str, _Helper] = {}


def _helper(name: str) -> _Helper:
    helper = _helpers.get(name)
    if helper is None:
        with _lock:
            helper = _helpers.get(name)
            if helper is None:
                helper = _helpers[name] = _Helper(f"distscan-{name}-sha256")
    return helper


def _forget_helpers() -> None:
    # Threads do not survive fork: the child starts its own helpers when it needs them.
    global _lock
    _lock = threading.Lock()
    _helpers.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers)


def artifact_digest(data: bytes) -> str | Pending:
    """Hex SHA-256 of a whole artifact in memory: computed now when small, else a Pending."""
    if len(data) < OFFLOAD_ARTIFACT_BYTES:
        return hashlib.sha256(data).hexdigest()
    pending = Pending(functools.partial(_hexdigest, data))
    _helper("artifact").put(_Job(hashlib.sha256(), hexdigest=True), data, pending)
    return pending


def _hexdigest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Offloaded:
    """The rest of one member's digest, computed on the helper thread: made at the member's
    first chunk of ``OFFLOAD_BYTES`` or more, from the hasher that took the chunks before it
    (small members never leave the reading thread: handing them over costs more)."""

    __slots__ = ("_job", "_helper")

    def __init__(self, hasher) -> None:
        self._job = _Job(hasher)
        self._helper = _helper("member")

    def update(self, chunk: bytes) -> None:
        helper = self._helper
        helper.slots.acquire()
        helper.put(self._job, chunk, None)

    def digest(self) -> Pending:
        pending = Pending()
        self._helper.put(self._job, None, pending)
        return pending
