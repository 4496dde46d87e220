"""What runs inside a bulk worker: prepare once, then scan one path at a time.

Workers receive paths and send back an :class:`Outcome` (the ScanResult plus a few numbers):
artifact bytes never cross a process boundary. Preparing a worker runs one tiny scan so that
every analyser compiles its rules (YARA, regexes, tables) once per process, before the first
real artifact and before the memory ceiling applies.
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path

from .. import collector
from ..metadata import name_version_from_filename
from ..model import ArtifactInfo, ScanResult, Verdict, VerdictLevel
from ..pipeline import ScanOptions, scan

READY = "ready"


@dataclass(frozen=True)
class Outcome:
    """One finished artifact as a worker reports it.

    worker: who scanned it (``pid 1234`` locally, the worker's address on Dask).
    peak_rss_kb: the worker process's peak resident memory after this scan.
    cpu_s: CPU seconds this scan used in the worker.
    """

    path: str
    result: ScanResult
    worker: str = ""
    peak_rss_kb: int = 0
    cpu_s: float = 0.0


def warm_up(options: ScanOptions) -> None:
    """Scan a small built wheel so that analysers build their compiled state now (and set
    the collector for scanning, see :mod:`scanner.collector`)."""
    from ..testing import wheel_bytes, wheel_filename

    collector.tune()

    data = wheel_bytes("distscan-warmup", "1.0", {
        "distscan_warmup/__init__.py": "import os\n\ndef main():\n    return os.getcwd()\n",
        "distscan_warmup/data.txt": "plain text\n",
    })
    scan(data, options, filename=wheel_filename("distscan-warmup", "1.0"))


def set_memory_ceiling(memory_mb: int) -> None:
    """Cap this process's address space. Allocations past it raise MemoryError inside the
    scan (recorded as that artifact's error) instead of pushing the machine into the OOM
    killer. Address space, not resident memory, is what the kernel can bound per process;
    it is larger than RSS, so the ceiling is set generously."""
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def scan_path(path: str, options: ScanOptions, worker: str = "") -> Outcome:
    """Scan one file; never raises for anything the artifact can cause."""
    cpu = time.process_time()
    started = time.perf_counter()
    try:
        result = scan(path, options, target=path)
    except MemoryError:
        result = failed_result(path, "memory ceiling reached while scanning this artifact",
                               started)
    except Exception as exc:  # a pipeline bug must not end the worker
        result = failed_result(path, f"internal error: {exc.__class__.__name__}: "
                               f"{str(exc)[:200]}", started)
    return Outcome(path, result, worker or f"pid {os.getpid()}", peak_rss_kb(),
                   round(time.process_time() - cpu, 4))


def failed_result(path: str, reason: str, started: float | None = None) -> ScanResult:
    """An ``error`` result for an artifact whose scan did not finish, keyed by the file's
    sha256 (computed here, in whichever process is left) so the store can hold it."""
    file = Path(path)
    try:
        with open(file, "rb") as fp:
            sha = hashlib.file_digest(fp, "sha256").hexdigest()
        size = file.stat().st_size
    except OSError as exc:
        sha, size = None, 0
        reason = f"{reason}; cannot read the file: {exc.strerror}"
    name, version, _ = name_version_from_filename(file.name)
    info = ArtifactInfo(file.name, sha, size, "unknown", name, version)
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    return ScanResult(path, info, Verdict(VerdictLevel.ERROR, 0.0), (), reason, elapsed)


def serve(conn, options: ScanOptions, memory_mb: int | None) -> None:
    """A local pool worker's main loop: prepare, say READY, then scan each path received
    until the parent sends None or goes away."""
    # Ctrl-C reaches the whole process group; only the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_up(options)
    if memory_mb:
        set_memory_ceiling(memory_mb)
    me = f"pid {os.getpid()}"
    conn.send(READY)
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        outcome = scan_path(path, options, me)
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            return


def dask_scan(path: str, options: ScanOptions, memory_mb: int | None = None) -> Outcome:
    """The task a Dask worker runs. Dask runs it in a thread, out of SIGALRM's reach and
    where an address-space ceiling would cap the whole Dask worker, so the scan itself runs
    in this thread's own child process (``isolated``), which gets the pipeline's timeout, the
    hard deadline and the ceiling exactly as a local pool worker does."""
    from .isolated import scan_isolated

    outcome = scan_isolated(path, options, memory_mb)
    try:
        from distributed import get_worker

        who = get_worker().address
    except (ImportError, ValueError):
        who = f"pid {os.getpid()}"
    return replace(outcome, worker=who)
