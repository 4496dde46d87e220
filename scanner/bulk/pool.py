"""A pool of local worker processes that one bad artifact cannot stall or sink.

Why not ``ProcessPoolExecutor``: it cannot say which process runs which task, so it cannot
kill the one worker stuck in native code past its deadline, and one dead worker breaks the
whole pool. Here each worker has its own pipe and runs one artifact at a time, so the parent
always knows what each process is doing:

- a worker past its hard deadline (the pipeline's own timeout plus a grace period) is killed
  and replaced, and that artifact gets an ``error`` result saying so;
- a worker that dies (OOM killer, segfault) is replaced, its artifact is retried once in a
  fresh worker, and on a second death it gets an ``error`` result (the ``scanner.runner``
  pattern);
- workers start from a ``forkserver``, never by forking the parent, which has threads (the
  progress display) and an open database.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait

from packaging.utils import canonicalize_name

from ..pipeline import ScanOptions
from . import worker as worker_module
from .worker import READY, Outcome, failed_result

MAX_ATTEMPTS = 2
MAX_START_FAILURES = 3


class PoolError(Exception):
    """Workers cannot even start (the preparation scan crashes them)."""


def hard_deadline(timeout_s: float) -> float:
    """Seconds after which a worker is killed: past the pipeline's SIGALRM bound (timeout *
    1.05 + 0.5, see scanner.deadline), so the pipeline's clearer result wins when it can."""
    return timeout_s * 1.05 + 0.5 + max(2.0, timeout_s * 0.25)


def deadline_reason(deadline_s: float) -> str:
    return (f"scan exceeded the hard deadline of {deadline_s:.0f} s (stuck outside Python's "
            "reach); its worker was killed")


def death_reason(exitcode: int | None) -> str:
    how = f"killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 \
        else f"exit {exitcode}"
    return (f"worker process died while scanning this artifact ({how}, twice; out of memory "
            "or a crash in native code)")


@dataclass
class _Slot:
    process: multiprocessing.process.BaseProcess
    conn: object
    ready: bool = False
    task: str | None = None
    started: float = 0.0
    group: deque | None = None  # the rest of the project this worker is scanning


class LocalPool:
    """``run(paths)`` yields one Outcome per path, in completion order."""

    def __init__(self, workers: int, options: ScanOptions, *, memory_mb: int | None = None):
        self.workers = max(1, workers)
        self.options = options
        self.memory_mb = memory_mb
        self.deadline_s = hard_deadline(options.limits.timeout_s)
        self.peak_rss_kb: dict[int, int] = {}  # pid -> peak resident KiB, for reporting
        self.replaced = 0
        self._ctx = multiprocessing.get_context("forkserver")
        # Replace the default preload (['__main__']): `python -m scanner` must not run again.
        self._ctx.set_forkserver_preload(["scanner.bulk.worker"])

    def _spawn(self) -> _Slot:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=worker_module.serve,
                                    args=(child, self.options, self.memory_mb),
                                    name="distscan-bulk-worker", daemon=True)
        process.start()
        child.close()
        return _Slot(process, parent)

    def _retire(self, slot: _Slot, *, kill: bool) -> None:
        if kill and slot.process.is_alive():
            slot.process.kill()
        slot.process.join(timeout=5)
        with contextlib.suppress(OSError):
            slot.conn.close()

    def run(self, paths: Iterable[str]) -> Iterator[Outcome]:
        # Files of one project go to one worker, one after the other: a wheel, its sdist and
        # the next release share most of their modules, which a worker analyses only once
        # (scanner.analyzers.python.memo). Retried paths come back as groups of their own.
        pending: deque[deque[str]] = deque(deque(group) for group in by_project(paths))
        if not pending:
            return
        attempts: dict[str, int] = {}
        slots = [self._spawn() for _ in range(min(self.workers, max(len(pending), 1)))]
        start_failures = 0
        try:
            while pending or any(s.task is not None or s.group for s in slots):
                for slot in slots:
                    if slot.ready and slot.task is None and (slot.group or pending):
                        if not slot.group:
                            slot.group = pending.popleft()
                        path = slot.group.popleft()
                        attempts[path] = attempts.get(path, 0) + 1
                        slot.conn.send(path)
                        slot.task, slot.started = path, time.monotonic()
                busy = [s.started + self.deadline_s for s in slots if s.task is not None]
                timeout = max(0.0, min(busy) - time.monotonic()) if busy else 1.0
                wait([s.conn for s in slots] + [s.process.sentinel for s in slots],
                     timeout=min(timeout, 1.0))
                for index, slot in enumerate(slots):
                    outcome, replace = self._poll(slot, pending, attempts)
                    if outcome is not None:
                        yield outcome
                    if replace:
                        if not slot.ready:
                            start_failures += 1
                            if start_failures >= MAX_START_FAILURES:
                                raise PoolError("bulk workers die while starting (exit code "
                                                f"{slot.process.exitcode})")
                        self._retire(slot, kill=True)
                        self.replaced += 1
                        if slot.group:
                            pending.append(slot.group)
                        slots[index] = self._spawn()
        finally:
            for slot in slots:
                if slot.process.is_alive() and slot.task is None and slot.ready:
                    with contextlib.suppress(OSError):
                        slot.conn.send(None)
            for slot in slots:
                # Busy workers are killed: on Ctrl-C only what is in flight is lost.
                self._retire(slot, kill=slot.task is not None or not slot.ready)

    def _poll(self, slot: _Slot, pending: deque,
              attempts: dict[str, int]) -> tuple[Outcome | None, bool]:
        """Read what ``slot`` has to say. Returns (an outcome to yield, replace the worker)."""
        try:
            if slot.conn.poll():
                message = slot.conn.recv()
                if message == READY:
                    slot.ready = True
                    return None, False
                pid = slot.process.pid
                self.peak_rss_kb[pid] = max(self.peak_rss_kb.get(pid, 0), message.peak_rss_kb)
                slot.task = None
                return message, False
        except (EOFError, OSError):
            pass  # the worker died; handled below
        if slot.process.is_alive():
            if slot.task is not None and time.monotonic() - slot.started > self.deadline_s:
                path, slot.task = slot.task, None
                return _failed(path, deadline_reason(self.deadline_s)), True
            return None, False
        slot.process.join(timeout=1)
        path, slot.task = slot.task, None
        if path is None:
            return None, True
        if attempts.get(path, 0) < MAX_ATTEMPTS:
            pending.appendleft(deque([path]))
            return None, True
        return _failed(path, death_reason(slot.process.exitcode)), True


def project_of(path: str) -> str:
    """The project a distribution file belongs to, from its name (``Foo_Bar-1.0.tar.gz`` and
    ``foo.bar-1.0-py3-none-any.whl`` are ``foo-bar``); the whole name when it has no version."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return str(canonicalize_name(name.split("-", 1)[0]))


def by_project(paths: Iterable[str], most: int = 32) -> list[list[str]]:
    """``paths`` grouped by project, groups in order of first appearance, paths in order;
    a project with more than ``most`` files is cut into several groups, so that one worker is
    not left alone with a project of thousands of files at the end of a run."""
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(project_of(path), []).append(path)
    return [group[i:i + most] for group in groups.values() for i in range(0, len(group), most)]



def _failed(path: str, reason: str) -> Outcome:
    return Outcome(path, failed_result(path, reason), "parent")
