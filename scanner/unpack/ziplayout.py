"""Zip structure checks that installers disagree on ("zip confusion").

Python's zipfile trusts the central directory. pip, uv and other unpackers may read local
headers or the first end record instead, so any disagreement between the two, and any bytes
that no entry accounts for, can make an installer see different files than a scanner.
"""

from __future__ import annotations

import struct
import zipfile

from ..model import Anomaly, Severity
from ..text import escape

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_LOCAL = b"PK\x03\x04"
_TAIL_WINDOW = 65557 + 20


def _read_at(fp, offset: int, size: int) -> bytes:
    fp.seek(offset)
    return fp.read(size)


def find_end_records(tail: bytes) -> list[int]:
    """Offsets in ``tail`` of every plausible end-of-central-directory record."""
    found = []
    start = 0
    while True:
        idx = tail.find(_EOCD, start)
        if idx < 0:
            return found
        if idx + 22 <= len(tail):
            found.append(idx)
        start = idx + 1


def layout_anomalies(fp, file_size: int, zf: zipfile.ZipFile, where: str) -> list[Anomaly]:
    """Container findings for a zip already opened by zipfile (``zf``) over ``fp``."""
    found: list[Anomaly] = []
    tail_start = max(0, file_size - _TAIL_WINDOW)
    tail = _read_at(fp, tail_start, file_size - tail_start)
    records = find_end_records(tail)
    valid = [i for i in records
             if tail_start + i + 22 + struct.unpack("<H", tail[i + 20:i + 22])[0] <= file_size]
    if not valid:
        return found
    eocd_at = tail_start + valid[-1]
    comment_len = struct.unpack("<H", tail[valid[-1] + 20:valid[-1] + 22])[0]
    end = eocd_at + 22 + comment_len
    if len(valid) > 1:
        found.append(Anomaly(
            "container.multiple-end-records", "the zip has more than one end-of-central-directory "
            "record; different unpackers may pick different ones", where,
            f"{len(valid)} end records", Severity.HIGH))
    if end < file_size:
        found.append(Anomaly(
            "container.trailing-data", "bytes follow the zip's end record; they are invisible to "
            "some unpackers and may hide a second archive", where,
            f"{file_size - end} trailing bytes", Severity.MEDIUM))

    # zipfile already shifts header offsets by any prefix, so they are real file positions.
    infos = zf.infolist()
    spans: list[tuple[int, int, str]] = []
    seen_offsets: dict[int, str] = {}
    for info in infos:
        offset = info.header_offset
        name = escape(info.filename)
        if offset in seen_offsets:
            found.append(Anomaly(
                "container.overlapping-entries", "two central directory entries share one local "
                "header (an overlapping-file zip bomb or a confusion attempt)", info.filename,
                f"{name} and {escape(seen_offsets[offset])}", Severity.HIGH))
            continue
        seen_offsets[offset] = info.filename
        header = _read_at(fp, offset, 30)
        if len(header) < 30 or not header.startswith(_LOCAL):
            found.append(Anomaly(
                "container.header-mismatch", "central directory points at bytes that are not a "
                "local file header", info.filename, name, Severity.HIGH))
            continue
        (_, _, flags, method, _, _, crc, csize, usize, nlen, xlen) = struct.unpack(
            "<4sHHHHHIIIHH", header)
        local_name = _read_at(fp, offset + 30, nlen)
        problems = []
        if local_name != info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437",
                                                   "surrogateescape"):
            problems.append(f"name {escape(local_name)!s} vs {name}")
        if method != info.compress_type:
            problems.append(f"method {method} vs {info.compress_type}")
        if not flags & 0x08 and csize != 0xFFFFFFFF:
            if csize != info.compress_size or usize != info.file_size:
                problems.append(f"sizes {csize}/{usize} vs {info.compress_size}/{info.file_size}")
            elif crc != info.CRC:
                problems.append("crc differs")
        if problems:
            found.append(Anomaly(
                "container.header-mismatch", "local file header disagrees with the central "
                "directory: installers that read local headers would unpack different bytes",
                info.filename, "; ".join(problems), Severity.HIGH))
        data_end = offset + 30 + nlen + xlen + info.compress_size
        if flags & 0x08:
            descriptor = _read_at(fp, data_end, 4)
            zip64 = info.compress_size >= 0xFFFFFFFF or info.file_size >= 0xFFFFFFFF
            size = 16 if zip64 else 12
            data_end += size + (4 if descriptor == b"PK\x07\x08" else 0)
        spans.append((offset, data_end, info.filename))

    cd_start = zf.start_dir
    if spans:
        spans.sort()
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
    return found
