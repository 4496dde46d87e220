"""Verdicts for file contents: from the store when known, else from one scan per sha256 that
every concurrent request for the same content shares.

Scans run in worker processes (or threads), never on the event loop. A scan that outlives the
gate's timeout, or a worker that dies, gives an ``error`` verdict that is *not* stored: it may
be transient, so the next request tries again. Everything the scanner itself decided,
including its own ``error`` verdicts for unreadable files, is stored.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from .. import collector
from ..cache import cacheable, result_json
from ..model import ScanResult
from ..pipeline import ScanOptions, scan
from .blobs import Blob
from .metrics import Metrics
from .store import VerdictRecord, VerdictStore

log = logging.getLogger("distscan.gate")


def scan_file(path: str, filename: str, options: ScanOptions) -> ScanResult:
    """Runs in a worker: module level so that it pickles."""
    return scan(path, options, target=filename, filename=filename)


def make_executor(kind: str, workers: int) -> Executor:
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="distscan-scan")
    # forkserver: workers start from a clean single-threaded process, not from a copy of the
    # server with its event loop and threads.
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("forkserver"),
                               initializer=collector.tune)


class Scanner:
    def __init__(self, store: VerdictStore, options: ScanOptions, metrics: Metrics, *,
                 executor: str = "process", workers: int = 1, timeout_s: float = 120.0,
                 grace_s: float = 2.0) -> None:
        self._store = store
        # The pipeline's own deadline stops the work inside the worker; the gate's wait below
        # is a little longer so that the pipeline's clearer answer wins when it can.
        self._options = replace(options, limits=replace(options.limits, timeout_s=timeout_s))
        self._metrics = metrics
        self._kind = executor
        self._workers = max(1, workers)
        self._timeout = timeout_s
        self._wait_s = timeout_s * 1.1 + grace_s
        self._executor = make_executor(executor, self._workers)
        self._inflight: dict[str, asyncio.Task[VerdictRecord]] = {}
        self.scans_started = 0

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def known(self, sha256: str) -> VerdictRecord | None:
        return self._store.get(sha256)

    async def verdict(self, blob: Blob, filename: str, job=None) -> VerdictRecord:
        """``job``: a scanner.gate.baseline.BaselineJob to run instead of a plain scan; the
        scanner owns it from here and releases it."""
        record = self._store.get(blob.sha256)
        task = self._inflight.get(blob.sha256)
        if job is not None and (record is not None or task is not None):
            job.release()  # the verdict is known or on its way without it
        if record is not None:
            self._metrics.inc("distscan_gate_verdict_cache_hits_total")
            return record
        if task is None:
            blob.acquire()  # the scan keeps the file even if every requester hangs up
            task = asyncio.ensure_future(self._scan(blob, filename, job))
            self._inflight[blob.sha256] = task
            task.add_done_callback(lambda _t, key=blob.sha256: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _scan(self, blob: Blob, filename: str, job=None) -> VerdictRecord:
        self.scans_started += 1
        self._metrics.gauge_add("distscan_gate_scans_in_flight", 1)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            call = (job.call(str(blob.path), filename, self._options) if job is not None
                    else (scan_file, str(blob.path), filename, self._options))
            future = loop.run_in_executor(self._executor, *call)
            # A comparison with a baseline scans two files.
            result = await asyncio.wait_for(future, self._wait_s * (2 if job else 1))
            if job is not None:
                result = job.finish(result)
            record = _record(blob.sha256, filename, result, self._store.fingerprint,
                             full=job is None)
            self._store.put(record)
        except TimeoutError:
            record = _failure(blob.sha256, filename, f"scan took longer than "
                              f"{self._timeout:g} s", self._store.fingerprint)
        except BrokenProcessPool:
            log.error("a scanner worker died while scanning %s; restarting the pool", filename)
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = make_executor(self._kind, self._workers)
            record = _failure(blob.sha256, filename, "scanner worker died (killed or out of "
                              "memory)", self._store.fingerprint)
        except Exception as exc:  # a scanner bug must become a verdict, not a 500
            log.exception("scan of %s failed", filename)
            record = _failure(blob.sha256, filename, f"internal error: "
                              f"{exc.__class__.__name__}", self._store.fingerprint)
        finally:
            blob.release()
            if job is not None:
                job.release()
            self._metrics.gauge_add("distscan_gate_scans_in_flight", -1)
        elapsed = time.perf_counter() - started
        self._metrics.observe_scan(elapsed)
        self._metrics.inc("distscan_gate_scans_total", verdict=record.verdict)
        log.info("scanned %s sha256=%s: %s %s", filename, blob.sha256[:16], record.verdict,
                 " ".join(record.rules))
        return record


def _record(sha256: str, filename: str, result: ScanResult, fingerprint: str, *,
            full: bool) -> VerdictRecord:
    """The stored verdict. With ``full`` (a plain scan, not one judged against a baseline) it
    also keeps the whole result, so `distscan scan` of the same file reuses it from the shared
    cache with all its evidence."""
    rules = tuple(dict.fromkeys(f.rule for f in result.verdict.reasons))
    document = result_json(result) if full and cacheable(result) else None
    return VerdictRecord(sha256, filename, result.verdict.level.value, result.verdict.score,
                         rules, result.error, result.elapsed_ms, time.time(), fingerprint,
                         document)


def _failure(sha256: str, filename: str, why: str, fingerprint: str) -> VerdictRecord:
    return VerdictRecord(sha256, filename, "error", 0.0, (), why, 0.0, time.time(), fingerprint)
