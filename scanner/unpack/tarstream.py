"""A tar stream that tarfile cannot use to escape the limits.

tarfile decompresses whatever it is asked for: the data of a GNU long-name or PAX header is
read into memory whole (a header declaring gigabytes of a gzip of zeros is a memory bomb),
and skipping a member whose data was not read decompresses it without anyone counting. Here
the decompression is done by :class:`GuardedStream`, which counts every byte tarfile pulls
through (headers, padding, skipped data) against the total-size and expansion limits, and
:class:`BoundedTarInfo` refuses oversized metadata headers before they are read.

Half of an sdist's walk was tarfile's header parsing and member-reader layers: BoundedTarInfo
also parses header blocks and the common pax header itself, and :func:`member_stream` reads
members without the layers. Both give exactly what tarfile gives (same members, same
errors, the stream read in the same pieces); anything unusual is left to tarfile's own code.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import re
import tarfile
import zlib

from ..model import Anomaly, Limits, Severity
from . import detect
from .budget import Budget, LimitExceeded, bomb_anomaly, total_anomaly

# Long names, link targets and PAX records are tiny in real archives; xattrs can be larger.
MAX_HEADER_BYTES = 8 * 1024 * 1024
_METADATA_TYPES = frozenset({tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK,
                             tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE})
# PAX headers are parsed by tarfile in time that grows with the square of their size on this
# Python (CVE-2024-6232, fixed in 3.11.10 and 3.12.6): 64 KiB of digits take seconds, and no
# timeout can interrupt the parse. The largest in the 958 sdists of the benign set is 381
# bytes, so 16 KiB (a quarter of a second at worst) refuses only crafted ones.
MAX_PAX_HEADER_BYTES = 16 * 1024
_PAX_TYPES = frozenset({tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE})
_TIME_CHECK_BYTES = 8 * 1024 * 1024
_MAX_EMPTY_READS = 64
_SLACK_BYTES = 1024 * 1024
_SKIP_BYTES = 1024 * 1024
_BUFFER_BYTES = 64 * 1024


class OversizedHeader(tarfile.TarError):
    """A metadata header declares more data than any real archive needs."""

    def __init__(self, message: str, limit: int = MAX_HEADER_BYTES):
        super().__init__(message)
        self.limit = limit


def _number(field: bytes) -> int:
    """``tarfile.nti``, faster for the plain octal fields of real archives.

    A field of octal digits (with spaces around, and NUL-terminated or not) is converted
    directly; ``int`` then accepts exactly what ``nti`` accepts after decoding and stripping
    it (an ASCII field is the same number either way). Anything else (base-256, empty,
    non-ASCII or otherwise unusual) goes to ``nti`` itself, errors included.
    """
    if field[0] not in _BASE256:
        end = field.find(0)
        if not end:  # an empty field (device numbers of most members)
            return 0
        try:
            return int(field if end < 0 else field[:end], 8)
        except ValueError:
            pass
    return tarfile.nti(field)


_BASE256 = (0o200, 0o377)
# Mode, uid, gid, size and mtime as tarfile and GNU tar write them: all digits, then a NUL or
# a space. ``nti`` reads each as that octal number.
_PLAIN_NUMBERS = re.compile(rb"([0-7]{7})[\0 ]([0-7]{7})[\0 ]([0-7]{7})[\0 ]([0-7]{11})[\0 ]"
                            rb"([0-7]{11})[\0 ]")
_adler32 = zlib.adler32
_PAX_RECORD = re.compile(rb"(\d+) ([^=]+)=")  # a pax record, as tarfile matches it
# Real pax headers take a block or two. Matching records with that pattern can take time
# quadratic in the header's size (CVE-2024-6232, fixed in later tarfiles): larger headers
# are left to the running Python's tarfile, so that this is never the slower code.
_FAST_PAX_BYTES = 4096


def _unsigned_checksum(buf: bytes) -> int:
    """The unsigned header checksum of ``tarfile.calc_chksums``: 256 plus the sum of every
    byte but the checksum field. The low half of an Adler-32 is 1 plus the sum of the bytes
    modulo 65521: exact for 256 bytes, whose sum is at most 65280."""
    total = (_adler32(buf[:256]) & 0xFFFF) + (_adler32(buf[256:]) & 0xFFFF) - 2
    return total - (_adler32(buf[148:156]) & 0xFFFF) + 1 + 256


class BoundedTarInfo(tarfile.TarInfo):
    """TarInfo that refuses long-name and PAX headers bigger than MAX_HEADER_BYTES (PAX
    headers bigger than MAX_PAX_HEADER_BYTES).

    It also parses headers faster than tarfile (a third of an sdist's walk was header
    parsing): ``frombuf`` gives the same member, or raises the same error, for every block.
    """

    def _proc_member(self, tarfile_):
        if self.type in _METADATA_TYPES and not 0 <= self.size <= MAX_HEADER_BYTES:
            raise OversizedHeader(f"metadata header declares {self.size} bytes")
        if self.type in _PAX_TYPES and self.size > MAX_PAX_HEADER_BYTES:
            raise OversizedHeader(f"PAX header declares {self.size} bytes",
                                  MAX_PAX_HEADER_BYTES)
        return super()._proc_member(tarfile_)

    def _proc_pax(self, tarfile_):
        """tarfile's ``_proc_pax`` for the common extended header, without its costliest step.

        tarfile looks for a ``hdrcharset`` record with a regular expression over the whole
        header (5 µs for each of an sdist's many pax headers). When the header's bytes are
        already buffered, a plain search of them for ``hdrcharset`` and ``GNU.sparse``
        decides whether it needs tarfile's own code (global headers and earlier global
        state, character sets, sparse files, a header not yet buffered or larger than
        ``_FAST_PAX_BYTES``); otherwise this reads it in the same call and parses it as
        tarfile does, step for step.
        """
        fileobj = tarfile_.fileobj
        size = self._block(self.size)
        if (self.type != tarfile.XHDTYPE or tarfile_.pax_headers
                or not isinstance(fileobj, io.BufferedReader)
                or not isinstance(fileobj.raw, GuardedStream)
                or not 0 < size <= min(_FAST_PAX_BYTES, fileobj.raw.produced - fileobj.tell())):
            return super()._proc_pax(tarfile_)
        ahead = fileobj.peek(size)[:size]  # buffered: no read of the stream
        if len(ahead) != size or b"hdrcharset" in ahead or b"GNU.sparse" in ahead:
            return super()._proc_pax(tarfile_)
        buf = fileobj.read(size)
        errors = tarfile_.errors
        pax_headers = {}
        decode = self._decode_pax_field
        pos = 0
        while (match := _PAX_RECORD.match(buf, pos)) is not None:
            length, keyword = match.groups()
            length = int(length)
            if length == 0:
                raise tarfile.InvalidHeaderError("invalid header")
            value = buf[match.end(2) + 1:match.start(1) + length - 1]
            keyword = decode(keyword, "utf-8", "utf-8", errors)
            if keyword in tarfile.PAX_NAME_FIELDS:
                value = decode(value, "utf-8", tarfile_.encoding, errors)
            else:
                value = decode(value, "utf-8", "utf-8", errors)
            pax_headers[keyword] = value
            pos += length
        try:
            member = self.fromtarfile(tarfile_)
        except tarfile.HeaderError as exc:
            raise tarfile.SubsequentHeaderError(str(exc)) from None
        member._apply_pax_info(pax_headers, tarfile_.encoding, errors)
        member.offset = self.offset
        if "size" in pax_headers:
            offset = member.offset_data
            if member.isreg() or member.type not in tarfile.SUPPORTED_TYPES:
                offset += member._block(member.size)
            tarfile_.offset = offset
        return member

    @classmethod
    def frombuf(cls, buf, encoding, errors):
        # Step for step what tarfile.TarInfo.frombuf does, with cheaper number fields and
        # checksum. Blocks it has special cases for (short, starting with NUL as the end
        # marker does, old GNU sparse) are left to it.
        if len(buf) != tarfile.BLOCKSIZE or not buf[0] or buf[156:157] == tarfile.GNUTYPE_SPARSE:
            return super().frombuf(buf, encoding, errors)
        chksum = _number(buf[148:156])
        if chksum != _unsigned_checksum(buf) and chksum not in tarfile.calc_chksums(buf):
            raise tarfile.InvalidHeaderError("bad checksum")
        obj = cls()
        obj.name = tarfile.nts(buf[:100], encoding, errors)
        plain = _PLAIN_NUMBERS.match(buf, 100)
        if plain is not None:
            obj.mode = int(plain[1], 8)
            obj.uid = int(plain[2], 8)
            obj.gid = int(plain[3], 8)
            obj.size = int(plain[4], 8)
            obj.mtime = int(plain[5], 8)
        else:
            obj.mode = _number(buf[100:108])
            obj.uid = _number(buf[108:116])
            obj.gid = _number(buf[116:124])
            obj.size = _number(buf[124:136])
            obj.mtime = _number(buf[136:148])
        obj.chksum = chksum
        obj.type = kind = buf[156:157]
        obj.linkname = tarfile.nts(buf[157:257], encoding, errors)
        obj.uname = tarfile.nts(buf[265:297], encoding, errors)
        obj.gname = tarfile.nts(buf[297:329], encoding, errors)
        obj.devmajor = _number(buf[329:337])
        obj.devminor = _number(buf[337:345])
        prefix = tarfile.nts(buf[345:500], encoding, errors)
        if kind == tarfile.AREGTYPE and obj.name.endswith("/"):
            obj.type = kind = tarfile.DIRTYPE
        if kind == tarfile.DIRTYPE:
            obj.name = obj.name.rstrip("/")
        if prefix and kind not in tarfile.GNU_TYPES:
            obj.name = prefix + "/" + obj.name
        return obj


class MemberReader:
    """A tar member's data, read as ``tarfile.extractfile`` reads it, without its layers.

    tarfile hands out a ``BufferedReader`` (8 KiB) over a ``_FileInFile``. For a member that
    is not sparse, asked for whole multiples of that buffer (``Budget.read_member`` with a
    chunk size that is one), each read goes straight through to one seek to the position and
    one read of ``min(asked, rest)`` bytes of the archive stream, and a short read raises
    ``tarfile.ReadError``; this does exactly that, so the archive is read in the same pieces.
    """

    __slots__ = ("_fileobj", "_offset", "_size", "_position")

    def __init__(self, fileobj, offset: int, size: int):
        self._fileobj = fileobj
        self._offset = offset
        self._size = size
        self._position = 0

    def read(self, size: int) -> bytes:
        size = min(size, self._size - self._position)
        if size <= 0:
            return b""
        self._fileobj.seek(self._offset + self._position)
        data = self._fileobj.read(size)
        if len(data) != size:
            raise tarfile.ReadError("unexpected end of data")
        self._position += size
        return data


def member_stream(archive: tarfile.TarFile, info: tarfile.TarInfo, chunk_bytes: int):
    """What ``archive.extractfile(info)`` gives, as a :class:`MemberReader` where that reads
    the same bytes in the same pieces."""
    if (info.sparse is None and chunk_bytes % io.DEFAULT_BUFFER_SIZE == 0
            and (info.isreg() or info.type not in tarfile.SUPPORTED_TYPES)):
        return MemberReader(archive.fileobj, info.offset_data, info.size)
    return archive.extractfile(info)


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
                   f"{exc.limit} bytes; the rest of the archive was not read", path,
                   str(exc), Severity.MEDIUM)
