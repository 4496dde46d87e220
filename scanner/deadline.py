"""A wall-clock bound on one scan, enforced with SIGALRM where that is possible.

Only the main thread of a process can receive SIGALRM; elsewhere (threads of a server) the
bound falls back to the unpacker's own time checks between chunks.
"""

from __future__ import annotations

import contextlib
import signal
import threading


class ScanTimeout(BaseException):
    """The scan ran past its time limit.

    A BaseException, like KeyboardInterrupt, because the alarm can fire anywhere: inside an
    analyser's or a library's ``except Exception`` it must not be swallowed, or the scan would
    run on with no bound at all.
    """


@contextlib.contextmanager
def deadline(seconds: float):
    usable = (seconds and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def _expire(signum, frame):
        raise ScanTimeout(f"scan exceeded {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expire)
    # A little over the unpacker's own bound, so that its clearer finding wins when it can.
    signal.setitimer(signal.ITIMER_REAL, seconds * 1.05 + 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
