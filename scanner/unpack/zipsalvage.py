"""Members of a zip whose central directory is missing or unreadable, from its local headers.

A truncated download or a deliberately broken zip cannot be opened by zipfile, but its
members are still there, one local header after another (streaming unzippers read zips this
way). Reading them gives the analysers the content instead of an ``error`` with nothing seen.
Only stored and deflated members are recovered; everything is read within the budget.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

_LOCAL = b"PK\x03\x04"
_STORED, _DEFLATED = 0, 8


@dataclass(frozen=True)
class LocalMember:
    """One member found by its local header.

    name: decoded name (UTF-8 when flagged, else cp437); data: its stored bytes (compressed
    for deflate), cut at the end of the file; method: compression method.
    """

    name: str
    raw_name: bytes
    flags: int
    method: int
    crc: int
    declared_size: int
    data: bytes


def local_members(blob: bytes, limit: int) -> Iterator[LocalMember]:
    """Every member from the first local header on, at most ``limit`` of them."""
    pos = blob.find(_LOCAL)
    count = 0
    while pos >= 0 and pos + 30 <= len(blob) and count < limit:
        (_, _, flags, method, _, _, crc, csize, usize, nlen, xlen) = struct.unpack_from(
            "<4sHHHHHIIIHH", blob, pos)
        raw_name = blob[pos + 30: pos + 30 + nlen]
        start = pos + 30 + nlen + xlen
        if flags & 0x08 or csize == 0xFFFFFFFF:
            # Size unknown here (data descriptor or zip64): the data runs to the next header.
            stop = blob.find(_LOCAL, start)
            stop = len(blob) if stop < 0 else stop
        else:
            stop = min(start + csize, len(blob))
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "surrogateescape")
        yield LocalMember(name, raw_name, flags, method, crc, usize, blob[start:stop])
        count += 1
        pos = blob.find(_LOCAL, max(stop, pos + 4))


class InflateReader:
    """A bounded-output reader over raw deflate data (``read(n)`` never produces more than n
    bytes at a time, so a bomb is stopped by the caller's limits)."""

    def __init__(self, data: bytes):
        self._decompressor = zlib.decompressobj(-15)
        self._pending = data

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = 1024 * 1024
        if self._decompressor.eof:
            return b""
        # With no input left this still drains what inflate holds, then returns b"".
        source = self._decompressor.unconsumed_tail or self._pending
        self._pending = b""
        return self._decompressor.decompress(source, size)


def opener(member: LocalMember):
    """A readable stream of the member's content, or None for methods not recovered."""
    if member.method == _STORED:
        return io.BytesIO(member.data)
    if member.method == _DEFLATED:
        return InflateReader(member.data)
    return None
