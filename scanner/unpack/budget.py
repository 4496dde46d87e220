"""Bounded reading: every byte produced by decompression is counted against the limits."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..model import Anomaly, Limits, Severity


class LimitExceeded(Exception):
    """Raised inside the unpacker when reading the whole artifact must stop."""

    def __init__(self, anomaly: Anomaly):
        super().__init__(anomaly.message)
        self.anomaly = anomaly


@dataclass(frozen=True)
class ReadResult:
    """One member read to its end or to a limit.

    data: the leading bytes analysers see (at most ``Limits.analysis_window``).
    sha256: digest of every byte read; size: how many bytes that was.
    complete: False when a limit stopped the read (``anomaly`` says which).
    """

    data: bytes
    sha256: bytes
    size: int
    complete: bool
    anomaly: Anomaly | None = None


@dataclass
class Budget:
    """What is left for one artifact, shared by nested archives."""

    limits: Limits
    started: float = field(default_factory=time.monotonic)
    total_bytes: int = 0
    members: int = 0

    def check_time(self, path: str | None) -> None:
        if time.monotonic() - self.started > self.limits.timeout_s:
            raise LimitExceeded(Anomaly(
                "limits.timeout", f"reading took longer than {self.limits.timeout_s:g} s; "
                "the rest of the artifact was not read", path, severity=Severity.MEDIUM))

    def count_member(self, path: str) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise LimitExceeded(Anomaly(
                "limits.member-count", f"more than {self.limits.max_members} members; the rest "
                "were not read", path, severity=Severity.MEDIUM))

    def read_member(self, stream, path: str,
                    stored_bytes: Callable[[], int] | int | None = None) -> ReadResult:
        """Read ``stream`` to its end or to the first limit.

        ``stored_bytes`` is the compressed size (or a callable giving compressed bytes consumed
        so far) used for the expansion-ratio check. Raises LimitExceeded when the whole artifact
        must stop (total bytes, time).
        """
        limits = self.limits
        digest = hashlib.sha256()
        kept: list[bytes] = []
        kept_size = 0
        produced = 0
        anomaly = None
        while True:
            chunk = stream.read(limits.chunk_bytes)
            if not chunk:
                break
            produced += len(chunk)
            self.total_bytes += len(chunk)
            digest.update(chunk)
            if kept_size < limits.analysis_window:
                piece = chunk[: limits.analysis_window - kept_size]
                kept.append(piece)
                kept_size += len(piece)
            if produced > limits.max_member_bytes:
                anomaly = Anomaly(
                    "limits.member-size", f"member decompresses to more than "
                    f"{limits.max_member_bytes} bytes; reading stopped", path,
                    severity=Severity.MEDIUM)
                break
            if produced > limits.ratio_floor_bytes and stored_bytes is not None:
                stored = stored_bytes() if callable(stored_bytes) else stored_bytes
                if produced > limits.max_ratio * max(stored, 1):
                    anomaly = Anomaly(
                        "container.compression-bomb", f"member expands more than "
                        f"{limits.max_ratio:g}x (a decompression bomb); reading stopped", path,
                        f"{stored} bytes stored, more than {produced} produced", Severity.HIGH)
                    break
            if self.total_bytes > limits.max_total_bytes:
                raise LimitExceeded(Anomaly(
                    "limits.total-size", f"artifact decompresses to more than "
                    f"{limits.max_total_bytes} bytes; the rest was not read", path,
                    severity=Severity.MEDIUM))
            self.check_time(path)
        data = kept[0] if len(kept) == 1 else b"".join(kept)
        return ReadResult(data, digest.digest(), produced, anomaly is None, anomaly)
