"""Zip structure checks that installers disagree on ("zip confusion").

Python's zipfile trusts the central directory. pip, uv and other unpackers may read local
headers or the first end record instead, so any disagreement between the two, and any bytes
that no entry accounts for, can make an installer see different files than a scanner.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence

from ..model import Anomaly, Severity
from ..text import escape

_EOCD = b"PK\x05\x06"
_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"
_SCAN_CHUNK = 4 * 1024 * 1024
_ZIP64_EXTRA = 0x0001


def _read_at(fp, offset: int, size: int) -> bytes:
    """``size`` bytes at ``offset`` of a file or of bytes already in memory (sliced: no seek
    and read call per header)."""
    if offset < 0 or size <= 0:
        return b""
    if isinstance(fp, bytes):
        return fp[offset : offset + size]
    fp.seek(offset)
    return fp.read(size)


def _uncovered(spans: Sequence[tuple[int, int, str]], file_size: int) -> list[tuple[int, int]]:
    """The byte ranges no member's header and data account for (spans sorted by start)."""
    gaps: list[tuple[int, int]] = []
    position = 0
    for start, stop, _ in spans:
        if start > position:
            gaps.append((position, start))
        position = max(position, stop)
    if position < file_size:
        gaps.append((position, file_size))
    return gaps


def _signature_offsets(fp, ranges: list[tuple[int, int]], signature: bytes) -> list[int]:
    """Every offset of ``signature`` inside ``ranges`` of the file, read in bounded chunks."""
    found: list[int] = []
    data = fp if isinstance(fp, bytes) else None
    for start, stop in ranges:
        if data is not None:
            idx = data.find(signature, start, stop)
            while idx >= 0:
                found.append(idx)
                idx = data.find(signature, idx + 1, stop)
            continue
        position, carry = start, b""
        while position < stop:
            chunk = _read_at(fp, position, min(_SCAN_CHUNK, stop - position))
            if not chunk:
                break
            window = carry + chunk
            base = position - len(carry)
            idx = window.find(signature)
            while idx >= 0:
                found.append(base + idx)
                idx = window.find(signature, idx + 1)
            carry = window[-(len(signature) - 1):]
            position += len(chunk)
    return sorted(set(found))


def _plausible_end_record(fp, offset: int, file_size: int) -> bool:
    """Whether the EOCD signature at ``offset`` starts a structurally sound end record.

    The four signature bytes alone occur by chance in compressed data; a real record has a
    single disk, matching entry counts and a central directory that fits before it.
    """
    record = _read_at(fp, offset, 22)
    if len(record) < 22:
        return False
    (_, disk, cd_disk, on_disk, total, cd_size, cd_offset,
     comment_len) = struct.unpack("<4sHHHHIIH", record)
    if offset + 22 + comment_len > file_size or disk != cd_disk or on_disk != total:
        return False
    if 0xFFFFFFFF in (cd_size, cd_offset) or total == 0xFFFF:
        return True  # zip64: the real values are in the zip64 end record
    return cd_size <= offset


def _zip64_local_sizes(extra: bytes) -> tuple[int, int] | None:
    """(uncompressed, compressed) sizes from a local header's zip64 extra field."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, pos)
        if kind == _ZIP64_EXTRA and length >= 16 and pos + 4 + 16 <= len(extra):
            return struct.unpack_from("<QQ", extra, pos + 4)
        pos += 4 + length
    return None


def _descriptor_size(fp, data_end: int, info: zipfile.ZipInfo) -> int:
    """Length of the data descriptor after a member's data (signature optional, 32 or 64-bit
    sizes: which one is used depends on the writer, so match the values)."""
    raw = _read_at(fp, data_end, 24)
    signed = raw.startswith(_DESCRIPTOR)
    body = raw[4:] if signed else raw
    extra = 4 if signed else 0
    if len(body) >= 12:
        _, csize, usize = struct.unpack_from("<III", body)
        matches = (csize, usize) == (info.compress_size & 0xFFFFFFFF,
                                     info.file_size & 0xFFFFFFFF)
        if matches and (csize, usize) != (0xFFFFFFFF, 0xFFFFFFFF):
            return 12 + extra
    if len(body) >= 20:
        _, csize64, usize64 = struct.unpack_from("<IQQ", body)
        if (csize64, usize64) == (info.compress_size, info.file_size):
            return 20 + extra
    return 12 + extra


def _local_header_problems(fp, file_size: int, info: zipfile.ZipInfo,
                           offset: int) -> tuple[list[str] | None, int, bool, int]:
    """What the local header says differently from the central directory (None when there is
    no local header at all), where the member's bytes end, whether the header is one
    zipfile opens exactly as the central directory describes it (same name bytes and flags),
    and where the member's data starts (after the local header, name and extra field: the
    local lengths, as zipfile and installers use them, not the central directory's)."""
    header = _read_at(fp, offset, 30)
    if len(header) < 30 or not header.startswith(_LOCAL):
        return None, offset, False, offset
    (_, _, flags, method, _, _, crc, csize, usize, nlen, xlen) = struct.unpack(
        "<4sHHHHHIIIHH", header)
    local_name = _read_at(fp, offset + 30, nlen)
    problems = []
    plain = True
    name = info.orig_filename
    if name.isascii():  # the same bytes in UTF-8 and cp437, without a codec lookup
        expected_name = name.encode("ascii")
    else:
        try:
            expected_name = name.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        except UnicodeEncodeError:
            expected_name = name.encode("utf-8", "surrogateescape")
            plain = False
    if local_name != expected_name:
        problems.append(f"name {escape(local_name)} vs {escape(info.orig_filename)}")
    if method != info.compress_type:
        problems.append(f"method {method} vs {info.compress_type}")
    if (flags ^ info.flag_bits) & 0x1:
        problems.append("encryption flag differs")
    if not flags & 0x08:
        if 0xFFFFFFFF in (csize, usize):
            sizes = _zip64_local_sizes(_read_at(fp, offset + 30 + nlen, xlen))
            if sizes is not None:
                usize, csize = sizes
        if (csize, usize) != (info.compress_size, info.file_size):
            problems.append(f"sizes {csize}/{usize} vs {info.compress_size}/{info.file_size}")
        elif crc != info.CRC:
            problems.append("crc differs")
    data_start = offset + 30 + nlen + xlen
    data_end = data_start + info.compress_size
    if flags & 0x08:
        data_end += _descriptor_size(fp, data_end, info)
    return problems, min(data_end, file_size), plain and flags == info.flag_bits, data_start


def layout_anomalies(fp, file_size: int, zf: zipfile.ZipFile, where: str | None,
                     prefix: str = "", infos: Sequence[zipfile.ZipInfo] | None = None,
                     consistent: dict[int, int] | None = None) -> list[Anomaly]:
    """Container findings for a zip already opened by zipfile (``zf``) over ``fp``.

    where: the path findings about the whole zip carry (None for the artifact itself);
    prefix: what member paths are shown under (``outer.zip!/`` for nested archives);
    consistent: if given, filled with ``header_offset -> offset of the data`` for every
    member whose local header agrees with the central directory in every respect checked
    here, with the same name bytes and flags (the members that can be read in place).
    """
    if isinstance(fp, io.BytesIO):
        fp = fp.getvalue()  # in memory already (no copy): slice headers instead of seeking
    found: list[Anomaly] = []
    # zipfile already shifts header offsets by any prefix, so they are real file positions.
    spans: list[tuple[int, int, str]] = []
    seen_offsets: dict[int, str] = {}
    for info in zf.infolist() if infos is None else infos:
        offset = info.header_offset
        display = prefix + info.filename
        if offset in seen_offsets:
            found.append(Anomaly(
                "container.overlapping-entries", "two central directory entries share one local "
                "header (an overlapping-file zip bomb or a confusion attempt)", display,
                f"{escape(info.filename)} and {escape(seen_offsets[offset])}", Severity.HIGH))
            continue
        seen_offsets[offset] = info.filename
        problems, data_end, same_header, data_start = _local_header_problems(
            fp, file_size, info, offset)
        if problems is None:
            found.append(Anomaly(
                "container.header-mismatch", "central directory points at bytes that are not a "
                "local file header", display,
                f"{escape(info.filename)} at offset {offset}", Severity.HIGH))
            continue
        if problems:
            found.append(Anomaly(
                "container.header-mismatch", "local file header disagrees with the central "
                "directory: installers that read local headers would unpack different bytes",
                display, "; ".join(problems), Severity.HIGH))
        elif consistent is not None and same_header:
            consistent[offset] = data_start
        spans.append((offset, data_end, display))

    spans.sort()
    cd_start = zf.start_dir
    if spans:
        first = spans[0][0]
        if first > 0:
            found.append(Anomaly(
                "container.leading-data", "bytes come before the zip's first entry (a "
                "prepended file or archive)", where, f"{first} leading bytes", Severity.MEDIUM))
        position = first
        for start, stop, member in spans:
            if start > position:
                found.append(Anomaly(
                    "container.hidden-data", "bytes between zip entries belong to no entry and "
                    "may hide content", member, f"{start - position} unaccounted bytes before "
                    f"{escape(member)}", Severity.MEDIUM))
            elif start < position:
                found.append(Anomaly(
                    "container.overlapping-entries", "zip entries overlap (an overlapping-file "
                    "zip bomb or a confusion attempt)", member, escape(member), Severity.HIGH))
            position = max(position, stop)
        if cd_start > position:
            found.append(Anomaly(
                "container.hidden-data", "bytes between the last entry and the central directory "
                "belong to no entry", where, f"{cd_start - position} unaccounted bytes",
                Severity.MEDIUM))
    elif cd_start > 0:
        found.append(Anomaly(
            "container.leading-data", "bytes come before the zip's central directory and no "
            "entry accounts for them", where, f"{cd_start} bytes", Severity.MEDIUM))
    found += _end_record_anomalies(fp, file_size, spans, where)
    return found


def _end_record_anomalies(fp, file_size: int, spans: list[tuple[int, int, str]],
                          where: str | None) -> list[Anomaly]:
    # Search every byte no member accounts for, not only the tail: a second archive
    # concatenated in front keeps its end record far from the end. Signatures inside member
    # data (a stored nested zip) are not records.
    records = [offset for offset in _signature_offsets(fp, _uncovered(spans, file_size), _EOCD)
               if _plausible_end_record(fp, offset, file_size)]
    if not records:
        return []
    found: list[Anomaly] = []
    last = records[-1]
    comment_len = struct.unpack("<H", _read_at(fp, last + 20, 2))[0]
    end = last + 22 + comment_len
    if len(records) > 1:
        found.append(Anomaly(
            "container.multiple-end-records", "the zip has more than one end-of-central-directory "
            "record; different unpackers may pick different ones", where,
            f"{len(records)} end records at offsets {', '.join(map(str, records[:5]))}",
            Severity.HIGH))
    if end < file_size:
        found.append(Anomaly(
            "container.trailing-data", "bytes follow the zip's end record; they are invisible to "
            "some unpackers and may hide a second archive", where,
            f"{file_size - end} trailing bytes", Severity.MEDIUM))
    return found
