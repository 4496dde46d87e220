"""Scanning many artifacts, in this process or in a pool of worker processes."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .model import ArtifactInfo, ScanResult, Verdict, VerdictLevel
from .pipeline import ScanOptions, scan
from .targets import Target


def _scan_one(target: Target, options: ScanOptions) -> ScanResult:
    return scan(target.path, options, target=target.label)


def resolve_workers(workers: int) -> int:
    return workers if workers > 0 else (os.cpu_count() or 1)


def scan_many(targets: Sequence[Target], options: ScanOptions,
              workers: int = 1) -> Iterator[tuple[int, ScanResult]]:
    """Yield (index, result) as each artifact finishes.

    When a worker dies (killed, out of memory) every artifact in flight is retried once in a
    fresh pool; an artifact that kills a worker twice gets an ``error`` result, and the batch
    goes on.
    """
    workers = min(resolve_workers(workers), max(len(targets), 1))
    if workers == 1:
        for i, target in enumerate(targets):
            yield i, _scan_one(target, options)
        return
    pending = list(enumerate(targets))[::-1]
    attempts: dict[int, int] = {}
    running: dict[Future, tuple[int, Target]] = {}
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        while pending or running:
            while pending and len(running) < workers * 2:
                i, target = pending.pop()
                attempts[i] = attempts.get(i, 0) + 1
                running[pool.submit(_scan_one, target, options)] = (i, target)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                i, target = running.pop(future)
                try:
                    yield i, future.result()
                except BrokenProcessPool:
                    broken = True
                    if attempts[i] >= 2:
                        yield i, _crashed(target, "worker process died while scanning this "
                                          "artifact (killed or out of memory)")
                    else:
                        pending.append((i, target))
                except Exception as exc:  # pickling problems and the like
                    yield i, _crashed(target, f"internal error: {exc.__class__.__name__}")
            if broken:
                for future, item in list(running.items()):
                    future.cancel()
                    pending.append(item)
                running.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(max_workers=workers)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _crashed(target: Target, reason: str) -> ScanResult:
    size = target.path.stat().st_size if target.path.is_file() else 0
    info = ArtifactInfo(target.path.name, None, size, "unknown")
    return ScanResult(target.label, info, Verdict(VerdictLevel.ERROR, 0.0), (), reason, 0.0)
