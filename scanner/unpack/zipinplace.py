"""Reading stored and deflated zip members in place, from the zip's bytes in memory.

zipfile's ``ZipExtFile`` spends tens of microseconds per member in Python layers (a shared
file with a lock, a second parse of the local header, its read loop), which is most of the
cost of a wheel of thousands of small modules. For a member whose local header agrees with
the central directory in every respect ``ziplayout`` checks (name bytes, flags, method,
sizes, CRC), :class:`InPlaceMember` produces exactly what ``ZipExtFile.read(n)`` would:
the same bytes, the same lengths per call, output cut at the declared size, the same
exceptions on truncated or corrupt data. Anything else (other methods, encryption,
disagreeing headers, zips not in memory) still goes through zipfile.
"""

from __future__ import annotations

import zlib

STORED = 0
DEFLATED = 8
METHODS = frozenset({STORED, DEFLATED})
_MIN_READ = 4096  # zipfile.ZipExtFile.MIN_READ_SIZE


class InPlaceMember:
    """One member's data read from ``view`` (a memoryview of the whole zip) at ``start``.

    ``position`` is how far into the zip the compressed reads have got (zipfile's file
    position after the same reads), for the whole-artifact expansion ratio.
    """

    __slots__ = ("_view", "_start", "position", "_left_in", "_left_out", "_inflate", "_eof",
                 "_buffer")

    def __init__(self, view: memoryview, start: int, compress_size: int, file_size: int,
                 method: int):
        self._view = view
        self._start = start
        self.position = start
        self._left_in = compress_size  # compressed bytes not read yet (ZipExtFile._compress_left)
        self._left_out = file_size  # output still allowed (ZipExtFile._left)
        self._inflate = zlib.decompressobj(-15) if method == DEFLATED else None
        self._eof = False
        self._buffer = b""

    def consumed(self) -> int:
        """Compressed bytes the decompressor has used so far (read ahead excluded)."""
        pending = len(self._inflate.unconsumed_tail) if self._inflate is not None else 0
        return max(0, self.position - self._start - pending)

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes: exactly ``n`` unless the member ends first (ZipExtFile.read)."""
        buffered = self._buffer
        if len(buffered) >= n:
            self._buffer = buffered[n:]
            return buffered[:n]
        self._buffer = b""
        parts = [buffered] if buffered else []
        want = n - len(buffered)
        while want > 0 and not self._eof:
            data = self._read1(want)
            if len(data) > want:
                self._buffer = data[want:]
                data = data[:want]
            parts.append(data)
            want -= len(data)
        if not parts:
            return b""
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _read1(self, n: int) -> bytes:
        # ZipExtFile._read1 for the two methods, step for step.
        inflate = self._inflate
        if inflate is not None:
            data = inflate.unconsumed_tail
            if n > len(data):
                more = self._read2(n - len(data))
                data = data + more if data else more
            data = inflate.decompress(data, max(n, _MIN_READ))
            self._eof = inflate.eof or (self._left_in <= 0 and not inflate.unconsumed_tail)
            if self._eof:
                rest = inflate.flush()
                if rest:
                    data += rest
        else:
            data = bytes(self._read2(n))
            self._eof = self._left_in <= 0
        if len(data) > self._left_out:
            data = data[: self._left_out]
        self._left_out -= len(data)
        if self._left_out <= 0:
            self._eof = True
        return data

    def _read2(self, n: int):
        # ZipExtFile._read2: compressed bytes in reads of at least _MIN_READ, never past the
        # declared compressed size; nothing left in the file where some were declared is an
        # EOFError, as zipfile raises.
        if self._left_in <= 0:
            return b""
        n = min(max(n, _MIN_READ), self._left_in)
        data = self._view[self.position : self.position + n]
        self.position += len(data)
        self._left_in -= len(data)
        if not data:
            raise EOFError
        return data
