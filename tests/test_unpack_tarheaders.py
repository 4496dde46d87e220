"""Faster tar header parsing and member reads change nothing but the time they take.

``tarstream.BoundedTarInfo`` parses header blocks (``frombuf``) and the common pax extended
header (``_proc_pax``) itself, and ``tarstream.member_stream`` reads a member's data without
tarfile's reader layers. Each must give what tarfile gives: the same member or the same
error for any block, and for whole archives (broken ones too) the same entries, anomalies
and reads of the decompressed stream as tarfile's own code.
"""

from __future__ import annotations

import gzip
import io
import random
import struct
import tarfile

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_unpack_reads import _walk as recorded_walk

from scanner.model import Limits
from scanner.unpack import UnreadableArtifact, open_artifact, tarstream

FIELDS = ("name", "mode", "uid", "gid", "size", "mtime", "chksum", "type", "linkname", "uname",
          "gname", "devmajor", "devminor", "_sparse_structs")
# Offsets and widths of the number fields: mode, uid, gid, size, mtime, chksum, devmajor/minor.
NUMBER_FIELDS = [(100, 8), (108, 8), (116, 8), (124, 12), (136, 12), (148, 8), (329, 8),
                 (337, 8)]
# What a number field may hold, for nti and for int(): signs, underscores, prefixes, every
# kind of whitespace (str.strip takes more than int does), base-256, non-ASCII digits.
ODD_NUMBERS = [b"", b" ", b"0", b"8", b"-1", b"+7", b"0o17", b"1_2", b"_1", b"\x1c", b"\x1f7",
               b"7\x1c", b"\t7\n", b"\x0b7\x0c", b"\x85", b"\xa07", b"\x80\x00\x01",
               b"\xff\xff\xfe", b"0000644 ", b" 644 ", b"644\0junk", b"\0644", b"1e3",
               b"0x10", b"\xef\xbc\x97", b"7" * 12]


def _outcome(parse, block: bytes) -> tuple:
    try:
        info = parse(block, "utf-8", "surrogateescape")
    except Exception as exc:  # the error itself is what must match
        return ("error", type(exc).__name__, str(exc))
    return ("member", tuple(repr(getattr(info, name, None)) for name in FIELDS))


def _tarfiles_frombuf(block, encoding, errors):
    return tarfile.TarInfo.frombuf.__func__(tarstream.BoundedTarInfo, block, encoding, errors)


def _with_checksum(block: bytearray, signed: bool = False) -> bytes:
    block[148:156] = b" " * 8
    total = 256 + sum(struct.unpack_from("148b8x356b" if signed else "148B8x356B", block))
    block[148:156] = b"%06o\0 " % (total & 0o777777) if total >= 0 else b"-%05o\0 " % -total
    return bytes(block)


def _real_blocks() -> list[bytes]:
    blocks = []
    for fmt in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT):
        for name, kind in [("pkg/a.py", tarfile.REGTYPE), ("pkg/sub/", tarfile.DIRTYPE),
                           ("pkg/l", tarfile.SYMTYPE), ("pkg/" + "d/" * 60 + "x.py",
                                                        tarfile.REGTYPE)]:
            info = tarfile.TarInfo(name)
            info.type, info.size, info.mtime = kind, 1234, 1_700_000_000
            info.linkname = "../t" if kind == tarfile.SYMTYPE else ""
            try:
                data = info.tobuf(fmt, "utf-8", "surrogateescape")
            except ValueError:  # a ustar name too long to split
                continue
            blocks += [data[i:i + 512] for i in range(0, len(data), 512)]
    return blocks


BLOCKS = _real_blocks()


@settings(max_examples=1500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), checksum=st.sampled_from(["fixed", "signed", "as is"]))
@example(seed=0, checksum="fixed")
def test_frombuf_gives_what_tarfile_gives(seed: int, checksum: str):
    rng = random.Random(seed)
    block = bytearray(rng.choice(BLOCKS))
    for _ in range(rng.randint(1, 4)):
        how = rng.randrange(4)
        if how == 0:
            at, width = rng.choice(NUMBER_FIELDS)
            value = rng.choice(ODD_NUMBERS)
            padding = bytes(rng.choice([0, 32]) for _ in range(width))
            block[at:at + width] = (value + padding)[:width]
        elif how == 1:
            block[156:157] = rng.choice([b"0", b"\0", b"1", b"2", b"5", b"L", b"K", b"S", b"x",
                                         b"g", b"Z", b"\xff"])
        elif how == 2:
            block[rng.randrange(512)] = rng.randrange(256)
        else:
            block[0:100] = (rng.choice([b"a/", b"/", b"", b"d//", b"\xff/"]) + bytes(100))[:100]
            block[345:500] = (rng.choice([b"", b"pre", b"\xc3("]) + bytes(155))[:155]
    if checksum != "as is":
        block = bytearray(_with_checksum(block, signed=checksum == "signed"))
    data = bytes(block)
    assert _outcome(tarstream.BoundedTarInfo.frombuf, data) == _outcome(_tarfiles_frombuf, data)


@pytest.mark.parametrize("block", [b"", b"x" * 100, bytes(512), b"\0" + b"a" * 511,
                                   bytes(511) + b"\1"])
def test_frombuf_leaves_odd_blocks_to_tarfile(block: bytes):
    assert _outcome(tarstream.BoundedTarInfo.frombuf, block) == _outcome(_tarfiles_frombuf, block)


def _tarfiles_own_code(patch) -> None:
    patch.setattr(tarstream.BoundedTarInfo, "frombuf",
                  classmethod(tarfile.TarInfo.frombuf.__func__))
    patch.setattr(tarstream.BoundedTarInfo, "_proc_pax", tarfile.TarInfo._proc_pax)
    patch.setattr(tarstream, "member_stream",
                  lambda archive, info, chunk: archive.extractfile(info))


def _pax_record(key: bytes, value: bytes, off_by: int = 0) -> bytes:
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length = len(str(length)) + len(body)
    return str(length + off_by).encode() + body


PAX_RECORDS = [(b"path", b"pkg/" + b"long/" * 30 + b"name.py"), (b"path", b"dir/"),
               (b"path", b"\xff\xfe bad"), (b"linkpath", b"../../x"), (b"size", b"5"),
               (b"size", b"12x"), (b"size", b"100000"), (b"mtime", b"1.5"), (b"uid", b"-3"),
               (b"uname", b"\xc3\xa9"), (b"comment", b"\xff"), (b"hdrcharset", b"BINARY"),
               (b"GNU.sparse.size", b"10"), (b"GNU.sparse.major", b"1"), (b"\xffkey", b"v")]


def _pax_archive(rng: random.Random) -> bytes:
    """A tar of pax extended headers (good, odd, wrong lengths, global) and members."""
    out = io.BytesIO()
    for index in range(rng.randint(1, 4)):
        records = b"".join(_pax_record(*rng.choice(PAX_RECORDS),
                                       off_by=rng.choice([0] * 6 + [-2, 3, -len(b"x")]))
                           for _ in range(rng.randint(0, 3)))
        if rng.random() < 0.1:
            records = b"0 path=x\n" + records
        header = tarfile.TarInfo("././@PaxHeader")
        header.type = rng.choice([tarfile.XHDTYPE] * 6 + [tarfile.XGLTYPE])
        header.size = len(records) if rng.random() < 0.9 else rng.choice([0, 700, 70_000])
        out.write(header.tobuf(tarfile.USTAR_FORMAT) + records + bytes(-len(records) % 512))
        data = bytes(rng.randrange(97, 123) for _ in range(rng.choice([0, 5, 512, 3000])))
        member = tarfile.TarInfo(f"pkg/m{index}.py")
        member.size = len(data)
        member.type = rng.choice([tarfile.REGTYPE] * 4 + [tarfile.DIRTYPE, tarfile.SYMTYPE])
        out.write(member.tobuf(tarfile.USTAR_FORMAT) + data + bytes(-len(data) % 512))
    return out.getvalue() + bytes(1024)


def _sdist_like() -> bytes:
    """A pax-format tar of many small members, as ``build`` writes sdists."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for index in range(40):
            data = (f"x = {index}\n" * (index * 37)).encode()
            info = tarfile.TarInfo("pkg-1.0/src/pkg/" + "sub/" * (index % 30) + f"m{index}.py")
            info.size, info.mtime = len(data), 1_700_000_000.5
            info.pax_headers = {"comment": "ü"} if index % 3 else {}
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["gz", ""]),
       limits=st.sampled_from([Limits(), Limits(chunk_bytes=16 * 1024),
                               Limits(chunk_bytes=12_000, max_member_bytes=2000)]))
def test_walks_match_tarfiles_own_code(monkeypatch, seed: int, kind: str, limits: Limits):
    """Archives with odd pax headers, and sdist-like ones broken in their tar headers: the
    same entries, anomalies and reads as with tarfile's parsing and member reader."""
    rng = random.Random(seed)
    raw = bytearray(_pax_archive(rng) if seed % 2 else _sdist_like())
    for _ in range(rng.randint(0, 3)):
        at = rng.randrange(0, len(raw) - 512, 512) + rng.choice([0, 100, 124, 148, 156, 345])
        raw[at:at + 8] = rng.choice([b"\x80\0\0\0\0\0\0\x10", b"-1\0\0\0\0\0\0", b"       \0",
                                     b"99999999", bytes(8), b"x" * 8])
    if rng.random() < 0.2:
        del raw[rng.randrange(1, len(raw)):]
    data = gzip.compress(bytes(raw), mtime=0) if kind else bytes(raw)
    name = "pkg-1.0.tar.gz" if kind else "pkg-1.0.tar"
    fast = _walk(data, name, limits, monkeypatch)
    with monkeypatch.context() as patch:
        _tarfiles_own_code(patch)
        plain = _walk(data, name, limits, monkeypatch)
    assert fast == plain


def _walk(data: bytes, name: str, limits: Limits, monkeypatch) -> tuple:
    try:
        return recorded_walk(data, name, limits, monkeypatch)
    except UnreadableArtifact as exc:
        return ("unreadable", str(exc))


def test_the_fast_paths_are_taken(monkeypatch):
    """The comparisons above would pass if everything fell back to tarfile: on an ordinary
    pax sdist, every pax header and member goes through the fast code."""
    taken = {"pax": 0, "tarfile pax": 0, "reader": 0}
    fast_pax = tarstream.BoundedTarInfo._proc_pax
    tarfile_pax = tarfile.TarInfo._proc_pax

    def counting_pax(self, archive):
        taken["pax"] += 1
        return fast_pax(self, archive)

    def counting_tarfile_pax(self, archive):
        taken["tarfile pax"] += 1
        return tarfile_pax(self, archive)

    original_stream = tarstream.member_stream

    def counting_stream(archive, info, chunk):
        stream = original_stream(archive, info, chunk)
        taken["reader"] += isinstance(stream, tarstream.MemberReader)
        return stream

    monkeypatch.setattr(tarstream.BoundedTarInfo, "_proc_pax", counting_pax)
    monkeypatch.setattr(tarfile.TarInfo, "_proc_pax", counting_tarfile_pax)
    monkeypatch.setattr(tarstream, "member_stream", counting_stream)
    opened = open_artifact(gzip.compress(_sdist_like(), mtime=0), Limits(),
                           filename="pkg-1.0.tar.gz")
    entries = list(opened.entries())
    assert len(entries) == 40 and not opened.anomalies
    # tarfile's own code only for a header that is not yet in the buffer when it is met
    # (here the last one, which starts exactly at a 64 KiB refill).
    assert taken["pax"] == 40 and taken["tarfile pax"] <= 2 and taken["reader"] == 40
