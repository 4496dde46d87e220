"""One scan at a time in a child process that can be killed: the per-artifact timeout and
memory ceiling for Dask workers.

Dask runs tasks in threads of a long-lived worker process, where SIGALRM cannot reach them
(only a main thread receives signals), a thread cannot be stopped, and an address-space limit
would cap the whole Dask worker. So each Dask worker thread keeps one child process (started
on its first task, reused for the next ones) and hands it one path at a time:

- the child runs the local pool's worker loop (``worker.serve``): warm-up, the address-space
  ceiling, and the pipeline's SIGALRM deadline in its own main thread;
- the parent waits at most the pool's hard deadline; a child still busy then is killed and
  replaced, and the artifact gets an ``error`` result saying so;
- a child that dies (out of memory, crash) is replaced; its artifact is retried once in a
  fresh child, then gets an ``error`` result.

The child is a plain ``python -m scanner.bulk.isolated`` subprocess, not a multiprocessing
``Process``: Dask's nanny starts workers as daemonic processes, and multiprocessing refuses to
start children from those. It talks over a socketpair wrapped in a multiprocessing
``Connection`` (length-framed pickles), gets the parent's ``sys.path`` first (so analysers
defined in the caller's modules unpickle), and exits when the parent closes its end.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import weakref
from multiprocessing.connection import Connection

from ..pipeline import ScanOptions
from .pool import MAX_ATTEMPTS, deadline_reason, death_reason, hard_deadline
from .worker import READY, Outcome, failed_result

# Starting a child means importing the scanner and compiling every rule (the warm-up scan).
START_TIMEOUT_S = 120.0


class ChildUnavailable(Exception):
    """The child process could not be started or did not get ready."""


class IsolatedScanner:
    """Scans paths one at a time in a child process that is killed past its deadline."""

    def __init__(self, options: ScanOptions, memory_mb: int | None = None):
        self.options = options
        self.memory_mb = memory_mb
        self.deadline_s = hard_deadline(options.limits.timeout_s)
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._finalizer: weakref.finalize | None = None

    def scan(self, path: str) -> Outcome:
        """One Outcome for ``path``; never raises for anything the artifact can cause."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                conn = self._ready_conn()
            except ChildUnavailable as exc:
                return Outcome(path, failed_result(path, f"cannot start an isolated scan "
                                                   f"process: {exc}"), "dask")
            started = time.perf_counter()  # the clock failed_result measures with
            try:
                conn.send(path)
                if conn.poll(self.deadline_s):
                    return conn.recv()
            except (EOFError, OSError):
                pass  # the child died: handled below
            if self._process.poll() is None and time.perf_counter() - started >= self.deadline_s:
                self.close(kill=True)
                return Outcome(path, failed_result(path, deadline_reason(self.deadline_s),
                                                   started), "dask")
            code = self._wait_exit()
            self.close()
            if attempt == MAX_ATTEMPTS:
                return Outcome(path, failed_result(path, death_reason(code), started), "dask")
        raise AssertionError("unreachable")

    def close(self, *, kill: bool = False) -> None:
        """Stop the child: at once with ``kill``, else it exits on EOF (killed if it does
        not within a few seconds)."""
        if kill and self._process is not None:
            with contextlib.suppress(OSError):
                self._process.kill()
        if self._finalizer is not None:
            self._finalizer()
        self._process = self._conn = self._finalizer = None

    def _wait_exit(self) -> int | None:
        try:
            return self._process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return None

    def _ready_conn(self) -> Connection:
        if self._process is not None and self._process.poll() is None:
            return self._conn
        self.close()
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "scanner.bulk.isolated", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, close_fds=True,
                env=_child_env())
        except OSError as exc:
            ours.close()
            raise ChildUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        self._process, self._conn = process, conn
        self._finalizer = weakref.finalize(self, _stop_child, process, conn)
        try:
            conn.send(list(sys.path))
            conn.send((self.options, self.memory_mb))
            if conn.poll(START_TIMEOUT_S) and conn.recv() == READY:
                return conn
            why = f"not ready after {START_TIMEOUT_S:.0f} s"
        except (EOFError, OSError) as exc:
            why = f"it exited while starting ({exc.__class__.__name__}, exit {process.poll()})"
        self.close()
        raise ChildUnavailable(why)


def _child_env() -> dict[str, str]:
    # The child must import this same scanner package even when the parent found it through
    # sys.path rather than an installed distribution.
    env = dict(os.environ)
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def _stop_child(process: subprocess.Popen, conn: Connection) -> None:
    with contextlib.suppress(OSError):
        conn.close()
    try:
        process.wait(timeout=2)  # an idle child exits on EOF at once
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


# One child per Dask worker thread, so concurrent tasks never share one.
_PER_THREAD = threading.local()


def scan_isolated(path: str, options: ScanOptions, memory_mb: int | None = None) -> Outcome:
    """Scan ``path`` in this thread's child process (started or restarted as needed)."""
    scanner: IsolatedScanner | None = getattr(_PER_THREAD, "scanner", None)
    if scanner is None or scanner.options != options or scanner.memory_mb != memory_mb:
        if scanner is not None:
            scanner.close()
        scanner = _PER_THREAD.scanner = IsolatedScanner(options, memory_mb)
    return scanner.scan(path)


def _child_main(fd: int) -> None:
    from .worker import serve

    conn = Connection(fd)
    try:
        # The paths first, as plain strings, so that the options (which name the caller's
        # analyser functions) unpickle against the caller's modules.
        for entry in reversed(conn.recv()):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        options, memory_mb = conn.recv()
    except (EOFError, OSError):
        return
    serve(conn, options, memory_mb)


if __name__ == "__main__":
    _child_main(int(sys.argv[1]))
