"""A tar stream that tarfile cannot use to escape the limits.

tarfile decompresses whatever it is asked for: the data of a GNU long-name or PAX header is
read into memory whole (a header declaring gigabytes of a gzip of zeros is a memory bomb),
and skipping a member whose data was not read decompresses it without anyone counting. Here
the decompression is done by :class:`GuardedStream`, which counts every byte tarfile pulls
through (headers, padding, skipped data) against the total-size and expansion limits, and
:class:`BoundedTarInfo` refuses oversized metadata headers before they are read.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile

from ..model import Anomaly, Limits, Severity
from . import detect
from .budget import Budget, LimitExceeded, bomb_anomaly, total_anomaly

# Long names, link targets and PAX records are tiny in real archives; xattrs can be larger.
MAX_HEADER_BYTES = 8 * 1024 * 1024
_METADATA_TYPES = frozenset({tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK,
                             tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE})
_TIME_CHECK_BYTES = 8 * 1024 * 1024
_MAX_EMPTY_READS = 64
_SLACK_BYTES = 1024 * 1024
_SKIP_BYTES = 1024 * 1024
_BUFFER_BYTES = 64 * 1024


class OversizedHeader(tarfile.TarError):
    """A metadata header declares more data than any real archive needs."""


class BoundedTarInfo(tarfile.TarInfo):
    """TarInfo that refuses long-name and PAX headers bigger than MAX_HEADER_BYTES."""

    def _proc_member(self, tarfile_):
        if self.type in _METADATA_TYPES and not 0 <= self.size <= MAX_HEADER_BYTES:
            raise OversizedHeader(f"metadata header declares {self.size} bytes")
        return super()._proc_member(tarfile_)


class CountingReader(io.RawIOBase):
    """A read-only stream that counts the compressed bytes handed to the decompressor."""

    def __init__(self, fp):
        self._fp = fp
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def counted(self) -> int:
        """``consumed``, as the callable the ratio checks take."""
        return self.consumed

    def read(self, size: int = -1) -> bytes:
        data = self._fp.read(size)
        self.consumed += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class GuardedStream(io.RawIOBase):
    """The decompressed tar stream; every byte read from it counts against the limits.

    It can seek forward (by reading, so that skipped bytes are counted too) and never
    backward, which is all tarfile's ``r:`` mode needs when members are read in order.
    """

    def __init__(self, raw: CountingReader, decompressed, budget: Budget):
        self._raw = raw
        self._inner = decompressed
        self._budget = budget
        self.produced = 0
        self._next_time_check = _TIME_CHECK_BYTES
        self.current: str | None = None  # member being read, for the evidence
        self._empty_reads = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.produced

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self.produced + offset
        if whence not in (io.SEEK_SET, io.SEEK_CUR) or target < self.produced:
            raise tarfile.ReadError("the tar stream cannot seek backwards")
        while self.produced < target:
            if not self.read(min(target - self.produced, _SKIP_BYTES)):
                break  # past the end: the next read says so
        return self.produced

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = _SKIP_BYTES  # never "everything": that is what a bomb wants
        data = self._inner.read(size)
        if not data:
            # A caller skipping a member block by block up to its declared size would
            # otherwise spin on empty reads for ever past the end of the data.
            self._empty_reads += 1
            if self._empty_reads > _MAX_EMPTY_READS:
                raise tarfile.ReadError("unexpected end of data")
            return data
        self.produced += len(data)
        limits: Limits = self._budget.limits
        if self.produced > limits.max_total_bytes:
            raise LimitExceeded(total_anomaly(limits, self.current))
        # A little laxer than the per-member check, so that a bomb in one member is reported
        # on that member (and the member is kept) rather than stopping the whole walk.
        slack = 2 * limits.chunk_bytes + _SLACK_BYTES
        if (self.produced > limits.ratio_floor_bytes + slack
                and self.produced > limits.max_ratio * max(self._raw.consumed, 1) + slack):
            raise LimitExceeded(bomb_anomaly(limits, self.current, self._raw.consumed,
                                             self.produced, "archive"))
        if self.produced >= self._next_time_check:
            self._next_time_check = self.produced + _TIME_CHECK_BYTES
            self._budget.check_time(self.current)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_stream(fp, budget: Budget) -> tuple[CountingReader, GuardedStream, io.BufferedReader]:
    """Wrap ``fp`` (a tar, possibly gzip/bzip2/xz compressed) for tarfile's ``r:`` mode.

    Returns the compressed-byte counter, the guard (its ``current`` names the member being
    read) and the buffered stream to hand to tarfile: a C buffer keeps tarfile's many small
    header reads cheap.
    """
    start = fp.tell()
    head = fp.read(6)
    fp.seek(start)
    raw = CountingReader(fp)
    fmt = detect.sniff(head)
    if fmt == detect.GZIP:
        inner = gzip.GzipFile(fileobj=raw, mode="rb")
    elif fmt == detect.BZIP2 or head.startswith(b"BZh"):
        inner = bz2.BZ2File(raw, mode="rb")
    elif fmt == detect.XZ:
        inner = lzma.LZMAFile(raw, mode="rb")
    else:
        inner = raw
    guard = GuardedStream(raw, inner, budget)
    return raw, guard, io.BufferedReader(guard, _BUFFER_BYTES)


def header_anomaly(exc: OversizedHeader, path: str | None) -> Anomaly:
    return Anomaly("limits.tar-header-size", f"a tar metadata header is larger than "
                   f"{MAX_HEADER_BYTES} bytes; the rest of the archive was not read", path,
                   str(exc), Severity.MEDIUM)
