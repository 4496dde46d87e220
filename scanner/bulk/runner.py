"""A bulk run from start to end: list the source, skip what the store already has, scan the
rest on local workers or a Dask cluster, and write each result as it arrives."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..pipeline import ScanOptions
from .sources import Discovery, SourceItem, discover
from .store import ResultStore
from .worker import Outcome, scan_path

DEFAULT_MEMORY_MB = 3072


@dataclass(frozen=True)
class BulkConfig:
    """How to run. ``workers`` 0 means every core. ``dask_address`` (or a ready ``dask_client``,
    for tests and notebooks) sends the work to a Dask cluster instead of local processes.
    ``memory_mb`` is the address-space ceiling of each worker process, local or the child
    each Dask worker thread scans in (0 = none). ``inline``
    scans in this process, one artifact at a time, with no worker to start or kill: for
    benchmarks and debugging only (no hard deadline, no ceiling)."""

    workers: int = 0
    options: ScanOptions = field(default_factory=ScanOptions)
    memory_mb: int = DEFAULT_MEMORY_MB
    retry_errors: bool = False
    dask_address: str | None = None
    dask_client: object | None = None
    inline: bool = False


@dataclass
class RunReport:
    """What one run did. ``peak_rss_kb`` is the highest peak resident memory of any worker."""

    source_kind: str
    discovered: int
    skipped: int
    to_scan: int
    scanned: int = 0
    new: int = 0
    verdicts: Counter = field(default_factory=Counter)
    bytes_scanned: int = 0
    peak_rss_kb: int = 0
    interrupted: bool = False
    unlisted: tuple[tuple[str, str], ...] = ()
    workers: int = 0
    backend: str = "local"


# Called after each stored result with (item, outcome), e.g. to advance a progress bar.
OnResult = Callable[[SourceItem, Outcome], None]
# Called once the work is known, with the RunReport (to size a progress bar).
OnStart = Callable[[RunReport], None]


def run_bulk(source: str | os.PathLike, store_path: str | os.PathLike, config: BulkConfig, *,
             on_start: OnStart | None = None, on_result: OnResult | None = None) -> RunReport:
    """Scan every artifact of ``source`` not yet in the store at ``store_path``.

    KeyboardInterrupt stops the run cleanly: what finished is stored, what was in flight is
    dropped, the run is marked ``interrupted`` and the RunReport comes back with
    ``interrupted`` set.
    """
    discovery: Discovery = discover(source)
    store = ResultStore(store_path)
    try:
        items = list(discovery.items)
        finished = store.finished(items, retry_errors=config.retry_errors)
        # Largest first: the long scans start early instead of trailing alone at the end,
        # which keeps every worker busy until the last few small artifacts.
        todo = sorted((i for i in items if i.path not in finished), key=lambda i: -i.size)
        report = RunReport(discovery.kind, len(items), len(finished), len(todo),
                           unlisted=discovery.skipped)
        backend, outcomes, close = _backend(config, [i.path for i in todo])
        report.backend = backend[0]
        report.workers = backend[1]
        store.begin_run(str(source), discovery.kind, report.backend, report.workers,
                        len(items), len(finished))
        if on_start:
            on_start(report)
        by_path = {i.path: i for i in todo}
        status = "finished"
        try:
            for outcome in outcomes:
                item = by_path[outcome.path]
                stored = store.record(item, outcome.result, worker=outcome.worker,
                                      peak_rss_kb=outcome.peak_rss_kb or None)
                report.scanned += 1
                report.new += stored.new
                report.verdicts[str(outcome.result.verdict.level)] += 1
                report.bytes_scanned += item.size
                report.peak_rss_kb = max(report.peak_rss_kb, outcome.peak_rss_kb)
                if on_result:
                    on_result(item, outcome)
        except KeyboardInterrupt:
            status = "interrupted"
            report.interrupted = True
        finally:
            close()
            store.end_run(status, report.scanned)
        return report
    finally:
        store.close()


def _backend(config: BulkConfig, paths: list[str]) -> tuple[tuple[str, int], Iterator[Outcome],
                                                             Callable[[], None]]:
    """((backend name, parallelism), outcome iterator, cleanup) for the configured backend."""
    if config.dask_client is not None or config.dask_address:
        return _dask_backend(config, paths)
    from .pool import LocalPool

    workers = config.workers if config.workers > 0 else (os.cpu_count() or 1)
    if config.inline:
        options = config.options
        return ("inline", 1), (scan_path(p, options) for p in paths), lambda: None
    pool = LocalPool(workers, config.options, memory_mb=config.memory_mb or None)
    outcomes = pool.run(paths)
    return ("local", workers), outcomes, outcomes.close


def _dask_backend(config: BulkConfig, paths: list[str]):
    from .dask_backend import dask_threads, run_dask

    client = config.dask_client
    owned = client is None
    if owned:
        from distributed import Client

        client = Client(config.dask_address)
    outcomes = run_dask(client, paths, config.options, memory_mb=config.memory_mb or None)

    def close() -> None:
        outcomes.close()
        if owned:
            client.close()

    return ("dask", dask_threads(client)), outcomes, close
