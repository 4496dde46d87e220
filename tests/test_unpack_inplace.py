"""Members read in place (``scanner.unpack.zipinplace``) give exactly what zipfile gives:
the same bytes per read, the same errors, on sound, truncated and corrupted zips."""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
import zlib

import pytest

from scanner.testing import wheel_bytes, wheel_filename
from scanner.unpack import open_artifact, zipinplace
from scanner.unpack.zipinplace import InPlaceMember


def _zip(members: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, (data, method) in members.items():
            archive.writestr(name, data, compress_type=method)
    return buffer.getvalue()


def _reads(stream, step: int) -> list:
    """What successive read(step) calls give, ending with the exception type if one is raised."""
    out = []
    for _ in range(10_000):
        try:
            chunk = stream.read(step)
        except (EOFError, zlib.error) as exc:
            out.append(type(exc).__name__)
            return out
        out.append(chunk)
        if not chunk:
            return out
    raise AssertionError("no end")


def _compare(blob: bytes, step: int) -> None:
    archive = zipfile.ZipFile(io.BytesIO(blob))
    view = memoryview(blob)
    for info in archive.infolist():
        header = blob[info.header_offset : info.header_offset + 30]
        start = (info.header_offset + 30 + int.from_bytes(header[26:28], "little")
                 + int.from_bytes(header[28:30], "little"))
        with archive.open(info) as reference:
            reference._expected_crc = None  # distscan checks the CRC itself
            expected = _reads(reference, step)
        ours = InPlaceMember(view, start, info.compress_size, info.file_size, info.compress_type)
        assert _reads(ours, step) == expected, (info.filename, step)


SOUND = {
    "a/text.py": (b"print('hello')\n" * 3000, zipfile.ZIP_DEFLATED),
    "a/empty.txt": (b"", zipfile.ZIP_DEFLATED),
    "a/stored.bin": (bytes(range(256)) * 40, zipfile.ZIP_STORED),
    "a/noise.bin": (random.Random(3).randbytes(200_000), zipfile.ZIP_DEFLATED),
}


@pytest.mark.parametrize("step", [100, 4096, 5000, 1 << 20])
def test_sound_members_read_the_same(step):
    _compare(_zip(SOUND), step)


def test_corrupt_and_lying_members_read_the_same():
    sound = _zip(SOUND)
    rng = random.Random(11)
    for _ in range(300):
        blob = bytearray(sound)
        central = blob.rfind(b"PK\x01\x02")
        for _ in range(rng.randint(1, 3)):  # corrupt member data, never the headers
            blob[rng.randrange(200, central)] = rng.randrange(256)
        if rng.random() < 0.3:  # a central directory that lies about the sizes
            entry = blob.find(b"PK\x01\x02")
            field = entry + rng.choice([20, 24])
            blob[field : field + 4] = rng.randrange(1, 1 << 20).to_bytes(4, "little")
        try:
            _compare(bytes(blob), rng.choice([1000, 4096, 1 << 20]))
        except (zipfile.BadZipFile, NotImplementedError):
            continue  # zipfile cannot even open it: distscan reads it through zipfile then


def test_truncated_member_data_raises_eof_like_zipfile():
    blob = _zip({"big.txt": (random.Random(5).randbytes(50_000), zipfile.ZIP_DEFLATED)})
    info = zipfile.ZipFile(io.BytesIO(blob)).infolist()[0]
    start = info.header_offset + 30 + len(info.orig_filename)
    cut = memoryview(blob[: start + 1000])  # the data stops early
    assert _reads(InPlaceMember(cut, start, info.compress_size, info.file_size, 8), 4096)[-1] \
        == "EOFError"


def test_wheel_walk_reports_digests_and_crc_mismatch_through_the_in_place_path(monkeypatch):
    made = []

    class Counted(zipinplace.InPlaceMember):
        __slots__ = ()

        def __init__(self, *args):
            made.append(args)
            super().__init__(*args)

    monkeypatch.setattr(zipinplace, "InPlaceMember", Counted)
    files = {"demo/__init__.py": "VALUE = 1\n" * 500}
    blob = bytearray(wheel_bytes("demo", "1.0", files))
    # Corrupt the stored CRC of the module in both headers alike, so that the local header
    # still agrees with the central directory and the member is read in place.
    name = b"demo/__init__.py"
    local = zipfile.ZipFile(io.BytesIO(bytes(blob))).getinfo(name.decode()).header_offset
    central = blob.find(b"PK\x01\x02")
    while blob[central + 46 : central + 46 + len(name)] != name:
        central = blob.find(b"PK\x01\x02", central + 1)
    for crc_field in (local + 14, central + 16):
        blob[crc_field : crc_field + 4] = b"\x01\x02\x03\x04"
    opened = open_artifact(bytes(blob), filename=wheel_filename("demo", "1.0"))
    entries = {e.member.path: e for e in opened.entries()}
    data = ("VALUE = 1\n" * 500).encode()
    entry = entries["demo/__init__.py"]
    assert entry.data == data and entry.complete
    assert entry.sha256 == hashlib.sha256(data).digest()
    rules = [(a.rule, a.path) for a in opened.anomalies]
    assert ("container.crc-mismatch", "demo/__init__.py") in rules
    assert not any(rule == "container.header-mismatch" for rule, _ in rules)
    assert len(made) == len(entries)  # every member went through the in-place reader
