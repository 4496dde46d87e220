"""The opener on hostile and unusual layouts: what it reads, what it refuses, and that it
neither hangs nor trusts declared sizes."""

from __future__ import annotations

import io
import struct
import tarfile
import time
import zipfile

from scanner.model import Limits, MemberType, VerdictLevel
from scanner.testing import archive_bytes, sdist_bytes, wheel_bytes, wheel_filename
from scanner.unpack import open_artifact

PY = b"import os\n"


def _walk(data: bytes, filename: str = "x", limits: Limits | None = None):
    opened = open_artifact(data, limits, filename=filename)
    entries = list(opened.entries())
    return opened, entries


def _rules(opened) -> set[str]:
    return {a.rule for a in opened.anomalies}


def _gnu_sparse(realsize: int, stored: bytes) -> bytes:
    """An old-GNU sparse member: ``stored`` bytes placed at the end of a ``realsize`` file that
    is otherwise a hole (zeros that cost nothing to store)."""
    header = bytearray(512)
    header[0:12] = b"pkg/sparse.b"
    header[100:108] = b"0000644\0"
    header[124:136] = b"%011o\0" % len(stored)
    header[136:148] = b"%011o\0" % 1_700_000_000
    header[156:157] = b"S"
    header[257:265] = b"ustar  \0"
    header[386:398] = b"%011o\0" % (realsize - len(stored))  # first (only) data chunk offset
    header[398:410] = b"%011o\0" % len(stored)
    header[483:495] = b"%011o\0" % realsize
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    data = stored.ljust((len(stored) + 511) // 512 * 512, b"\0")
    return bytes(header) + data + bytes(1024)


def test_sparse_member_expanding_to_a_terabyte_is_a_bomb_not_a_hang():
    started = time.monotonic()
    opened, entries = _walk(_gnu_sparse(10**12, b"tail"), "x.tar",
                            Limits(ratio_floor_bytes=4 * 1024 * 1024))
    assert time.monotonic() - started < 5
    assert "container.compression-bomb" in _rules(opened)
    assert entries[0].member.path == "pkg/sparse.b" and not entries[0].complete


def test_huge_declared_tar_size_with_short_data_is_truncated_not_a_hang():
    info = tarfile.TarInfo("pkg/a.py")
    info.size = 10**15  # GNU base-256 size field
    raw = info.tobuf(tarfile.GNU_FORMAT) + PY.ljust(512, b"\0")
    started = time.monotonic()
    opened, entries = _walk(raw, "x.tar")
    assert time.monotonic() - started < 2
    assert "container.truncated" in _rules(opened)
    assert entries[-1].member.path == "pkg/a.py" and not entries[-1].complete


def test_unknown_tar_type_is_read_and_analysed_like_a_file():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("pkg/odd.py")
        info.type = b"Z"
        info.size = len(PY)
        tf.addfile(info, io.BytesIO(PY))
        info2 = tarfile.TarInfo("pkg/after.py")
        info2.size = len(PY)
        tf.addfile(info2, io.BytesIO(PY))
    opened, entries = _walk(buf.getvalue(), "x.tar")
    assert [(e.member.path, e.member.type, e.data) for e in entries] == [
        ("pkg/odd.py", MemberType.FILE, PY), ("pkg/after.py", MemberType.FILE, PY)]


def test_long_names_gnu_and_pax_are_read_whole():
    long_name = "pkg/" + "d" * 150 + "/mod.py"
    for fmt in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", format=fmt) as tf:
            info = tarfile.TarInfo(long_name)
            info.size = len(PY)
            tf.addfile(info, io.BytesIO(PY))
        opened, entries = _walk(buf.getvalue(), "x.tar.gz")
        assert [e.member.path for e in entries] == [long_name]
        assert opened.anomalies == []


def test_zip_member_with_bad_crc_is_still_analysed():
    data = bytearray(archive_bytes({"pkg/evil.py": PY * 3}, "zip"))
    central = data.rfind(b"PK\x01\x02")
    local = data.find(b"PK\x03\x04")
    for crc_at in (central + 16, local + 14):  # the same wrong CRC in both headers
        data[crc_at:crc_at + 4] = b"\xef\xbe\xad\xde"
    opened, entries = _walk(bytes(data), "x.zip")
    assert entries[0].data == PY * 3
    assert "container.crc-mismatch" in _rules(opened)


def test_zip64_and_data_descriptors_are_clean():
    # zipfile writes data descriptors when the output cannot seek back.
    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.buf = io.BytesIO()

        def writable(self):
            return True

        def write(self, b):
            return self.buf.write(b)

    sink = Unseekable()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):
            with zf.open(f"pkg/m{i}.py", "w", force_zip64=bool(i % 2)) as out:
                out.write(PY * (i + 1))
    data = sink.buf.getvalue()
    assert data.count(b"PK\x07\x08") == 3  # the layout really has descriptors
    opened, entries = _walk(data, "x.zip")
    assert opened.anomalies == []
    assert [e.data for e in entries] == [PY, PY * 2, PY * 3]


def test_central_directory_pointing_outside_the_file_is_a_finding_not_a_crash():
    data = bytearray(archive_bytes({"a.py": PY, "b.py": PY}, "zip"))
    central = data.rfind(b"PK\x01\x02")
    data[central + 42:central + 46] = struct.pack("<I", 0x7FFFFFF0)
    opened, entries = _walk(bytes(data), "x.zip")
    assert "container.header-mismatch" in _rules(opened)
    assert any(a.rule == "container.corrupt-member" and a.path == "b.py"
               for a in opened.anomalies)
    assert entries[0].data == PY


def test_polyglot_zip_behind_an_executable_prefix_is_opened_as_zip(container_scan):
    wheel = wheel_bytes("demo", "1.0", {"demo/__init__.py": PY})
    prefix = b"\x7fELF\x02\x01\x01" + bytes(1000)
    result = container_scan(prefix + wheel, filename=wheel_filename("demo", "1.0"))
    assert result.artifact.kind == "wheel"
    leading = [f for f in result.findings if f.rule == "container.leading-data"]
    assert leading and leading[0].evidence == "1007 leading bytes"


def test_nested_archive_beyond_the_analysis_window_is_reported_not_half_opened():
    inner = archive_bytes({"big.bin": bytes(range(256)) * 64}, "")  # ~17 KiB tar
    outer = archive_bytes({"inner.tar": inner}, "zip")
    opened, entries = _walk(outer, "x.zip", Limits(analysis_window=4096))
    limit = [a for a in opened.anomalies if a.rule == "limits.nested-archive-size"]
    assert limit and limit[0].path == "inner.tar"
    assert [e.member.path for e in entries] == ["inner.tar"]


def test_member_count_limit_is_checked_before_the_layout_walk():
    data = archive_bytes({f"m{i}.py": PY for i in range(50)}, "zip")
    started = time.monotonic()
    opened, entries = _walk(data, "x.zip", Limits(max_members=10))
    assert time.monotonic() - started < 1
    assert len(entries) == 10
    assert "limits.member-count" in _rules(opened)


def test_sdist_named_wheel_is_read_by_content(container_scan):
    data = sdist_bytes("demo", "1.0", {"setup.py": PY})
    result = container_scan(data, filename="demo-1.0-py3-none-any.whl")
    assert result.artifact.kind == "sdist"
    mismatch = [f for f in result.findings if f.rule == "container.extension-mismatch"]
    assert mismatch and mismatch[0].path is None
    assert "named .whl but content is gzip" in mismatch[0].message
    assert result.verdict.level is not VerdictLevel.ERROR


def test_py_file_with_a_zip_appended_is_read_as_text_and_the_zip_as_nested(container_scan):
    script = b"import zipimport\nprint('runs')\n"
    data = script + archive_bytes({"hidden/payload.py": PY}, "zip")
    opened, entries = _walk(data, "run.py")
    assert entries[0].member.path == "run.py" and entries[0].data.startswith(script)
    assert [e.member.path for e in entries[1:]] == ["run.py!/hidden/payload.py"]
    assert entries[1].data == PY
    leading = [a for a in opened.anomalies if a.rule == "container.leading-data"]
    assert leading and leading[0].path == "run.py"


def test_text_that_merely_ends_like_a_zip_is_scanned_as_a_file():
    fake_end = b"PK\x05\x06" + bytes(16) + b"\x00\x00"
    opened, entries = _walk(b"x = 1\n" * 10 + fake_end, "setup.py")
    assert opened.format == "file"
    assert [e.member.path for e in entries] == ["setup.py"]
    opened, entries = _walk(b"\x00\x01binary" * 10 + fake_end, "blob")
    assert opened.format == "file"


def test_zip_without_central_directory_is_salvaged_from_local_headers(container_scan):
    wheel = wheel_bytes("demo", "1.0", {"demo/__init__.py": PY * 50, "demo/b.py": PY})
    cut = wheel[: wheel.find(b"PK\x01\x02")]  # every member, no central directory
    result = container_scan(cut, filename=wheel_filename("demo", "1.0"))
    # Nothing malicious was recovered, and no installer can open it: an error with the reason.
    assert result.verdict.level is VerdictLevel.ERROR and "central directory" in result.error
    truncated = [f for f in result.findings if f.rule == "container.no-central-directory"]
    assert truncated and truncated[0].path is None and "not a readable zip" in truncated[0].evidence
    opened, entries = _walk(cut, "x.whl")
    by_path = {e.member.path: e for e in entries}
    assert by_path["demo/__init__.py"].data == PY * 50 and by_path["demo/__init__.py"].complete
    # cut inside the last member: what is there is kept, marked incomplete
    opened, entries = _walk(wheel[: wheel.find(b"demo/b.py") + 12], "x.whl")
    assert "container.corrupt-member" in _rules(opened)
