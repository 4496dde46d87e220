"""Running a bulk scan's work on an existing Dask distributed cluster.

The scheduler gets paths, the workers scan and send back compact Outcomes, and the calling
process writes them into the same results store as a local run. Paths must therefore be
readable at the same location on every worker (a shared or replicated filesystem, as a mirror
usually is).

Dask runs tasks in worker threads, where SIGALRM cannot reach them and an address-space
limit would cap the whole Dask worker. So each worker thread scans in a child process of its
own (``isolated``) with the same bounds as a local pool worker: the pipeline's timeout, the
hard deadline (past it the child is killed and the artifact recorded as an ``error``) and the
``memory_mb`` ceiling. A Dask worker the nanny kills is retried once by Dask (``retries=1``);
a task with no answer long after its deadline (a lost worker) is given up on, as an
``error``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from ..pipeline import ScanOptions
from .isolated import START_TIMEOUT_S
from .pool import hard_deadline
from .worker import Outcome, dask_scan, failed_result


def dask_threads(client) -> int:
    """Total worker threads on the cluster (at least 1)."""
    info = client.scheduler_info()
    return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))


def run_dask(client, paths: Iterable[str], options: ScanOptions, *,
             in_flight: int | None = None, memory_mb: int | None = None) -> Iterator[Outcome]:
    """Yield one Outcome per path as the cluster finishes them. ``client`` is a connected
    ``distributed.Client``; at most ``in_flight`` tasks are queued at once (default: twice
    the cluster's threads), so a million-path mirror does not become a million futures.
    ``memory_mb`` is the address-space ceiling of each scan's child process (None: none)."""
    from distributed import wait

    pending = list(paths)[::-1]
    limit = in_flight or 2 * dask_threads(client)
    # A queued task waits for at most one other on its thread; either may first have to
    # start its thread's child process (twice, if one was killed).
    give_up_s = 2 * (hard_deadline(options.limits.timeout_s) + 2 * START_TIMEOUT_S)
    options_future = client.scatter(options, broadcast=True)
    running: dict = {}  # future -> (path, submitted at)
    try:
        while pending or running:
            while pending and len(running) < limit:
                path = pending.pop()
                future = client.submit(dask_scan, path, options_future, memory_mb, pure=False,
                                       retries=1)
                running[future] = (path, time.monotonic())
            try:
                done, _ = wait(list(running), timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:  # distributed's TimeoutError is the builtin one
                done = set()
            for future in done:
                path, _submitted = running.pop(future)
                yield _outcome(future, path)
            now = time.monotonic()
            for future, (path, submitted) in list(running.items()):
                if now - submitted > give_up_s:
                    running.pop(future)
                    future.cancel()
                    yield Outcome(path, failed_result(path, f"no result from the Dask cluster "
                                                      f"after {give_up_s:.0f} s; given up"))
    finally:
        for future in running:
            future.cancel()


def _outcome(future, path: str) -> Outcome:
    try:
        return future.result()
    except Exception as exc:  # KilledWorker, a worker that cannot read the path, ...
        return Outcome(path, failed_result(path, f"Dask task failed: {exc.__class__.__name__}:"
                                           f" {str(exc)[:200]}"))
