"""Scanning many artifacts, in this process or in a pool of worker processes.

The pool is built to survive what hostile input can do to a worker:

- an artifact that kills its worker (out of memory, a crash in C code) breaks the whole pool,
  and every artifact in flight gets the same ``BrokenProcessPool``. Those artifacts become
  *suspects* and are re-run one at a time in a fresh pool, so that a second crash is pinned on
  the artifact that caused it; only that one gets an ``error`` result.
- the per-artifact timeout is enforced inside each worker with SIGALRM (scanner.deadline; pool
  workers run tasks in their main thread). SIGALRM cannot interrupt a long call in C code (a
  regex, a decompressor), so the parent keeps a hard backstop: a task running far past its
  timeout gets its pool killed, and is handled like a crash.
- Ctrl-C (or the consumer closing the generator) terminates the workers instead of waiting for
  their current artifacts; workers ignore SIGINT so that only the parent reacts to it.
"""

from __future__ import annotations

import os
import signal
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from . import collector
from .model import ArtifactInfo, ScanResult, Verdict, VerdictLevel
from .pipeline import ScanOptions, scan
from .targets import Target

# The backstop allows this much over the in-worker timeout (SIGALRM fires at about 1.05x),
# plus the time a task can sit in the pool's call queue after it is marked running.
HARD_KILL_FACTOR = 1.5
HARD_KILL_GRACE_S = 10.0
POLL_S = 0.5
CRASH_REASON = "worker process died while scanning this artifact (killed or out of memory)"


def _scan_one(target: Target, options: ScanOptions) -> ScanResult:
    return scan(target.path, options, target=target.label)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    collector.tune()


def resolve_workers(workers: int) -> int:
    return workers if workers > 0 else (os.cpu_count() or 1)


def scan_many(targets: Sequence[Target], options: ScanOptions,
              workers: int = 1) -> Iterator[tuple[int, ScanResult]]:
    """Yield (index, result) as each artifact finishes: exactly one result per target.

    ``workers`` 1 scans in this process; more use a process pool (0 = one per core).
    """
    workers = min(resolve_workers(workers), max(len(targets), 1))
    if workers == 1:
        for i, target in enumerate(targets):
            try:
                result = _scan_one(target, options)
            except Exception as exc:  # a bug outside the pipeline's own guards
                result = _crashed(target, f"internal error: {exc.__class__.__name__}")
            yield i, result
        return
    yield from _PoolRun(targets, options, workers).results()


@dataclass
class _Flight:
    index: int
    target: Target
    started: float | None = None  # monotonic time it was first seen running


class _PoolRun:
    def __init__(self, targets: Sequence[Target], options: ScanOptions, workers: int) -> None:
        self.options = options
        self.workers = workers
        self.pending: deque[_Flight] = deque(_Flight(i, t) for i, t in enumerate(targets))
        self.suspects: deque[_Flight] = deque()
        self.running: dict[Future, _Flight] = {}
        self.solo: _Flight | None = None  # a suspect re-run alone, so that a crash is its own
        self.hard_limit = options.limits.timeout_s * HARD_KILL_FACTOR + HARD_KILL_GRACE_S

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, initializer=_ignore_sigint)

    def _submit(self, pool: ProcessPoolExecutor, flight: _Flight, solo: bool) -> None:
        # A solo task starts at once in an idle pool: time it from submission.
        flight.started = time.monotonic() if solo else None
        self.running[pool.submit(_scan_one, flight.target, self.options)] = flight

    def results(self) -> Iterator[tuple[int, ScanResult]]:
        pool = self._new_pool()
        finished = False
        try:
            while self.pending or self.suspects or self.running:
                if self.solo is None and self.suspects and not self.running:
                    self.solo = self.suspects.popleft()
                    self._submit(pool, self.solo, solo=True)
                elif self.solo is None and not self.suspects:
                    while self.pending and len(self.running) < self.workers * 2:
                        self._submit(pool, self.pending.popleft(), solo=False)
                done, _ = wait(self.running, timeout=POLL_S, return_when=FIRST_COMPLETED)
                now = time.monotonic()
                broken = False
                for future in done:
                    flight = self.running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken = True
                        self.running[future] = flight  # still in flight: judged below
                        continue
                    except Exception as exc:  # pickling problems and the like
                        result = _crashed(flight.target,
                                          f"internal error: {exc.__class__.__name__}")
                    if flight is self.solo:
                        self.solo = None
                    yield flight.index, result
                for future, flight in self.running.items():
                    if flight.started is None and future.running():
                        flight.started = now
                overdue = any(f.started is not None and now - f.started > self.hard_limit
                              for f in self.running.values())
                if broken or overdue:
                    _kill(pool)
                    pool = self._new_pool()
                    yield from self._restart_after_failure(broken)
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:  # interrupted or abandoned: do not wait for artifacts still being scanned
                _kill(pool)

    def _restart_after_failure(self, broken: bool) -> Iterator[tuple[int, ScanResult]]:
        """Blame the solo artifact, or turn everything in flight into suspects."""
        in_flight = sorted(self.running.values(), key=lambda f: f.index)
        self.running.clear()
        if self.solo is not None:
            # Alone in its pool: this artifact is the one that broke it or hung.
            culprit, self.solo = self.solo, None
            reason = (CRASH_REASON if broken else
                      f"scan ran past its {self.options.limits.timeout_s:g} s timeout and "
                      "could not be interrupted; its worker was killed")
            yield culprit.index, _crashed(culprit.target, reason)
        else:
            self.suspects.extend(in_flight)


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now, including workers stuck in C code. ``_processes`` is private, but it
    is the only handle on the workers that the executor offers."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=2)
        if process.is_alive():
            process.kill()
            process.join(timeout=2)


def _crashed(target: Target, reason: str) -> ScanResult:
    try:
        size = target.path.stat().st_size if target.path.is_file() else 0
    except OSError:
        size = 0
    info = ArtifactInfo(target.path.name or str(target.path), None, size, "unknown")
    return ScanResult(target.label, info, Verdict(VerdictLevel.ERROR, 0.0), (), reason, 0.0)
