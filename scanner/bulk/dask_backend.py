"""Running a bulk scan's work on an existing Dask distributed cluster.

The scheduler gets paths, the workers scan and send back compact Outcomes, and the calling
process writes them into the same results store as a local run. Paths must therefore be
readable at the same location on every worker (a shared or replicated filesystem, as a mirror
usually is).

Differences from the local pool, all due to Dask running tasks in worker threads:
- the pipeline's SIGALRM timeout only works in a main thread, so on Dask the per-artifact
  bound is the unpacker's own time checks, and a task still running past twice the hard
  deadline is given up on (recorded as an ``error``; Dask cannot stop the thread);
- no address-space ceiling per artifact: set the workers' ``--memory-limit`` instead; a
  worker the nanny kills is retried once by Dask (``retries=1``) before the artifact is
  recorded as an ``error``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from ..pipeline import ScanOptions
from .pool import hard_deadline
from .worker import Outcome, dask_scan, failed_result


def dask_threads(client) -> int:
    """Total worker threads on the cluster (at least 1)."""
    info = client.scheduler_info()
    return max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))


def run_dask(client, paths: Iterable[str], options: ScanOptions, *,
             in_flight: int | None = None) -> Iterator[Outcome]:
    """Yield one Outcome per path as the cluster finishes them. ``client`` is a connected
    ``distributed.Client``; at most ``in_flight`` tasks are queued at once (default: twice
    the cluster's threads), so a million-path mirror does not become a million futures."""
    from distributed import wait

    pending = list(paths)[::-1]
    limit = in_flight or 2 * dask_threads(client)
    give_up_s = 2 * hard_deadline(options.limits.timeout_s)
    options_future = client.scatter(options, broadcast=True)
    running: dict = {}  # future -> (path, submitted at)
    try:
        while pending or running:
            while pending and len(running) < limit:
                path = pending.pop()
                future = client.submit(dask_scan, path, options_future, pure=False, retries=1)
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
