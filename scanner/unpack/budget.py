"""Bounded reading: every byte produced by decompression is counted against the limits."""

from __future__ import annotations

import hashlib
import io
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from ..model import Anomaly, Limits, Severity
from . import hashing


class LimitExceeded(Exception):
    """Raised inside the unpacker when reading the whole artifact must stop."""

    def __init__(self, anomaly: Anomaly):
        super().__init__(anomaly.message)
        self.anomaly = anomaly


@dataclass(frozen=True)
class ReadResult:
    """One member read to its end, to a limit or to a read error.

    data: the leading bytes analysers see (at most ``Limits.analysis_window``).
    sha256: digest of every byte read, or None when the budget does not hash members
        (``Budget.hash_members``); a :class:`~scanner.unpack.hashing.Pending` while the helper
        thread is still hashing a large member (``OpenedArtifact.entries`` resolves it before
        the entry reaches anyone); size: how many bytes that was.
    complete: False when a limit or an error stopped the read (``anomaly`` or ``error`` says
        which); ``data`` then holds what was read before that.
    crc32: CRC-32 of the bytes read, when the caller asked for it.
    error: the read error that cut the member short, if any.
    """

    data: bytes
    sha256: bytes | hashing.Pending | None
    size: int
    complete: bool
    anomaly: Anomaly | None = None
    crc32: int | None = None
    error: BaseException | None = None


def bomb_anomaly(limits: Limits, path: str | None, stored: int, produced: int,
                 what: str = "member") -> Anomaly:
    return Anomaly(
        "container.compression-bomb", f"{what} expands more than {limits.max_ratio:g}x (a "
        "decompression bomb); reading stopped", path,
        f"{stored} bytes stored, more than {produced} produced", Severity.HIGH)


def total_anomaly(limits: Limits, path: str | None) -> Anomaly:
    return Anomaly(
        "limits.total-size", f"artifact decompresses to more than {limits.max_total_bytes} "
        "bytes; the rest was not read", path, severity=Severity.MEDIUM)


def _rest_rounded(rest: int) -> int:
    """A read size for the last ``rest`` bytes of a capped stream: more than ``rest`` (so a
    short read says the stream ended) and a multiple of ``io.DEFAULT_BUFFER_SIZE``, the
    buffer of tarfile's member reader. That reader then fetches the rest from the archive
    in one read, as it does when asked for a whole chunk: the archive is read in the same
    pieces, so the decompressor reads ahead exactly as before (the compressed bytes it has
    consumed are what the expansion-ratio checks and their evidence report)."""
    block = io.DEFAULT_BUFFER_SIZE
    return (max(rest, 0) // block + 1) * block


@dataclass
class Budget:
    """What is left for one artifact, shared by nested archives.

    consumed: how many of the artifact's own (compressed) bytes have been read so far, for the
    whole-artifact expansion ratio; set by the top-level walker (None for folders, whose files
    are not compressed). Everything produced so far, nested archives included, came out of
    those bytes, so a nest of archives each below the per-member limits is caught as early
    as a single bomb.
    hash_members: whether member reads compute a sha256. Hashing is about a sixth of
    unpacking's CPU time, and most artifacts need no member digest (see ``open_artifact``);
    a walker may switch it on before it reads its first member.
    """

    limits: Limits
    consumed: Callable[[], int] | None = None
    started: float = field(default_factory=time.monotonic)
    total_bytes: int = 0
    members: int = 0
    hash_members: bool = True

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

    def _check_artifact_ratio(self, path: str) -> None:
        limits = self.limits
        if self.consumed is None or self.total_bytes <= limits.ratio_floor_bytes:
            return
        consumed = self.consumed()
        if self.total_bytes > limits.max_ratio * max(consumed, 1):
            # Many members each below the per-member floor (or nested archives) add up.
            raise LimitExceeded(bomb_anomaly(limits, path, consumed, self.total_bytes,
                                             "artifact"))

    def read_member(self, stream, path: str,
                    stored_bytes: Callable[[], int] | int | None = None, *,
                    crc: bool = False, errors: tuple[type[BaseException], ...] = (),
                    short_read_ends: bool = False, size_cap: int | None = None) -> ReadResult:
        """Read ``stream`` to its end or to the first limit.

        ``stored_bytes`` is the compressed size (or a callable giving compressed bytes consumed
        so far) used for the expansion-ratio check. Exceptions of the ``errors`` types end the
        read early and are returned in the result (with the bytes read before them) instead of
        being raised. Raises LimitExceeded when the whole artifact must stop (total bytes,
        whole-artifact ratio, time).

        short_read_ends: the stream returns fewer bytes than asked only at its end, and reads
        after that return nothing and change nothing (zip and tar members: ``ZipExtFile``,
        the in-place reader, tarfile's member files; not files on disk, which can grow). The
        empty read that would confirm the end is then skipped: most members are one short
        read, and the confirming read of a tar member costs about 2 µs.
        size_cap: the stream never returns more than this in total (tarfile cuts a member's
        reads at the size in its header). The last read then asks for the rest rather than a
        whole chunk (see ``_rest_rounded``): the same bytes in the same chunks, but a buffered
        reader allocates what it is asked for, and a 1 MiB buffer for a member of a few
        hundred bytes costs more than reading it.
        """
        limits = self.limits
        step = limits.chunk_bytes
        window = limits.analysis_window
        digest = hashlib.sha256() if self.hash_members else None
        offloaded: hashing.Offloaded | None = None  # once a chunk is large: the helper thread
        running_crc = 0
        first = b""  # most members are one chunk: keep it as it is, without a copy
        kept: io.BytesIO | None = None  # a long window grows in place, never joined twice
        kept_size = 0
        produced = 0
        anomaly = None
        error = None
        while True:
            try:
                chunk = stream.read(step if size_cap is None
                                    else min(step, _rest_rounded(size_cap - produced)))
            except errors as exc:
                error = exc
                break
            if not chunk:
                break
            produced += len(chunk)
            self.total_bytes += len(chunk)
            if digest is not None:
                if offloaded is not None:
                    offloaded.update(chunk)
                elif len(chunk) >= hashing.OFFLOAD_BYTES:
                    offloaded = hashing.Offloaded(digest)
                    offloaded.update(chunk)
                else:
                    digest.update(chunk)
            if crc:
                running_crc = zlib.crc32(chunk, running_crc)
            if kept_size < window:
                piece = chunk if kept_size + len(chunk) <= window else chunk[: window - kept_size]
                if not kept_size:
                    first = piece
                else:
                    if kept is None:
                        kept = io.BytesIO()
                        kept.write(first)
                        first = b""
                    kept.write(piece)
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
                    anomaly = bomb_anomaly(limits, path, stored, produced)
                    break
            if self.total_bytes > limits.max_total_bytes:
                raise LimitExceeded(total_anomaly(limits, path))
            self._check_artifact_ratio(path)
            self.check_time(path)
            if short_read_ends and len(chunk) < step:
                break
        data = first if kept is None else kept.getvalue()
        sha256 = (None if digest is None
                  else offloaded.digest() if offloaded is not None else digest.digest())
        return ReadResult(data, sha256, produced,
                          anomaly is None and error is None, anomaly,
                          running_crc if crc else None, error)
