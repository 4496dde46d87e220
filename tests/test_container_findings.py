"""Every container, wheel and sdist finding fires on a crafted archive and stays silent on
clean ones.

The hostile layouts are written byte by byte (``struct``), because zipfile and tarfile refuse
to write most of them; clean artifacts come from ``scanner.testing``.
"""

from __future__ import annotations

import io
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from scanner.model import Limits, VerdictLevel
from scanner.testing import (
    archive_bytes,
    record_line,
    sdist_bytes,
    sdist_filename,
    wheel_bytes,
    wheel_filename,
)

# ---------------------------------------------------------------------------------------------
# Raw zip writing


@dataclass
class Raw:
    """One zip member as written on disk; every header field can be made to lie."""

    name: bytes
    data: bytes = b"print('hi')\n"
    method: int = 0  # 0 stored, 8 deflated (data is then compressed here)
    flags: int = 0
    crc: int | None = None
    external_attr: int = 0o644 << 16
    create_system: int = 3
    local_name: bytes | None = None
    local_method: int | None = None
    local_usize: int | None = None
    gap_before: bytes = b""
    header_offset: int | None = None  # central directory's pointer, when it must lie
    raw_stored: bytes | None = None  # the stored (compressed) bytes, when they must be broken


def _compress(entry: Raw) -> bytes:
    if entry.raw_stored is not None:
        return entry.raw_stored
    if entry.method == 8:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(entry.data) + c.flush()
    return entry.data


def raw_zip(entries: list[Raw], *, prefix: bytes = b"", suffix: bytes = b"",
            decoy_end_record: bool = False) -> bytes:
    """A zip of ``entries``; offsets are relative to the end of ``prefix``.

    decoy_end_record: put a second, valid end record (of an empty archive) before the central
    directory, where a tool that takes the first record it finds would see no members.
    """
    body = bytearray()
    central = bytearray()
    for e in entries:
        body += e.gap_before
        stored = _compress(e)
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        offset = len(body)
        local_name = e.name if e.local_name is None else e.local_name
        method = e.method if e.local_method is None else e.local_method
        usize = len(e.data) if e.local_usize is None else e.local_usize
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, e.flags, method, 0, 0x21, crc,
                            len(stored), usize, len(local_name), 0) + local_name + stored
        pointer = offset if e.header_offset is None else e.header_offset
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", (e.create_system << 8) | 20,
                               20, e.flags, e.method, 0, 0x21, crc, len(stored), len(e.data),
                               len(e.name), 0, 0, 0, 0, e.external_attr, pointer) + e.name
    if decoy_end_record:
        body += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0, 0, 0, len(body), 0)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                      len(central), len(body), 0)
    return prefix + bytes(body) + bytes(central) + end + suffix


def zip_of(files: dict[str, bytes | str]) -> bytes:
    return archive_bytes(files, "zip")


def tar_of(infos: list[tuple[tarfile.TarInfo, bytes]], fmt: str = "gz",
           tar_format: int = tarfile.GNU_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=f"w:{fmt}" if fmt else "w", format=tar_format,
                      encoding="utf-8", errors="surrogateescape") as tf:
        for info, data in infos:
            info.size = len(data) if info.isreg() or info.type == b"Z" else 0
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o644
    return info


def rewrite_zip(data: bytes, replace: dict[str, bytes] | None = None,
                drop: tuple[str, ...] = (), add: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip with members replaced, dropped or added (RECORD left as it was)."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            dst.writestr(info, replace.get(info.filename, src.read(info)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 57
PY = b"import os\n"
WHEEL = wheel_bytes("demo", "1.0", {"demo/__init__.py": PY})
WHEEL_NAME = wheel_filename("demo", "1.0")
DIST_INFO = "demo-1.0.dist-info"
SDIST_NAME = sdist_filename("demo", "1.0")


def _record(rows: list[str]) -> bytes:
    return ("\n".join(rows) + f"\n{DIST_INFO}/RECORD,,\n").encode()


def _wheel_with_record(rows_for: Callable[[dict[str, bytes]], list[str]]) -> bytes:
    files = {"demo/__init__.py": PY,
             f"{DIST_INFO}/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
             f"{DIST_INFO}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
                                   b"Tag: py3-none-any\n"}
    return zip_of(files | {f"{DIST_INFO}/RECORD": _record(rows_for(files))})


def _nested_zips(levels: int) -> bytes:
    inner = zip_of({"deep.py": PY})
    for level in reversed(range(levels)):
        inner = zip_of({f"{'abcdefg'[level]}.zip": inner})
    return inner


def _concatenated() -> bytes:
    return zip_of({"first.py": PY}) + zip_of({"second.py": PY})


def _huge_pax_header() -> bytes:
    """A tar whose second member starts with a PAX header declaring 1 GiB of records."""
    first = tar_member("p/a.py")
    first.size = len(PY)
    header = tar_member("././@PaxHeader", tarfile.XHDTYPE)
    header.size = 1 << 30
    return (first.tobuf(tarfile.USTAR_FORMAT) + PY.ljust(512, b"\0")
            + header.tobuf(tarfile.USTAR_FORMAT) + b"x" * 4096)


def _digit_pax_header() -> bytes:
    """A PAX header of 64 KiB of digits: the shape that tarfile parses in quadratic time on
    Pythons without the CVE-2024-6232 fix (seconds per header, beyond any timeout's reach)."""
    first = tar_member("p/a.py")
    first.size = len(PY)
    header = tar_member("././@PaxHeader", tarfile.XHDTYPE)
    payload = b"1" * 65536
    header.size = len(payload)
    return (first.tobuf(tarfile.USTAR_FORMAT) + PY.ljust(512, b"\0")
            + header.tobuf(tarfile.USTAR_FORMAT) + payload
            + first.tobuf(tarfile.USTAR_FORMAT) + PY.ljust(512, b"\0") + b"\0" * 1024)


# ---------------------------------------------------------------------------------------------
# The table: a crafted artifact, its file name, the rule, where it points and what the
# evidence must contain, whether the verdict must be worse than clean, and limits if any.


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[], bytes]
    filename: str
    rule: str
    path: str | None
    evidence: str = ""
    not_clean: bool = False
    limits: Limits | None = None


CASES = [
    # names
    Case("dotdot-zip", lambda: raw_zip([Raw(b"../evil.py")]), "x.zip",
         "container.path-traversal", "../evil.py", "../evil.py", True),
    Case("dotdot-tar", lambda: tar_of([(tar_member("pkg/../../evil.py"), PY)]), "x.tar.gz",
         "container.path-traversal", "pkg/../../evil.py", "../../evil.py", True),
    Case("absolute-zip", lambda: raw_zip([Raw(b"/etc/cron.d/evil")]), "x.zip",
         "container.absolute-path", "/etc/cron.d/evil", "/etc/cron.d/evil", True),
    Case("drive-letter", lambda: raw_zip([Raw(b"C:/Windows/evil.py")]), "x.zip",
         "container.absolute-path", "C:/Windows/evil.py", "C:/Windows", True),
    Case("backslash", lambda: raw_zip([Raw(b"pkg\\..\\..\\evil.py")]), "x.zip",
         "container.backslash-path", "pkg\\..\\..\\evil.py", "pkg\\..", True),
    Case("backslash-traversal", lambda: raw_zip([Raw(b"pkg\\..\\..\\evil.py")]), "x.zip",
         "container.path-traversal", "pkg\\..\\..\\evil.py", "evil.py", True),
    Case("control-chars", lambda: raw_zip([Raw(b"pkg/evil\x1b[2J.py")]), "x.zip",
         "container.control-characters-in-name", "pkg/evil\x1b[2J.py", "\\x1b[2J"),
    Case("undecodable-zip", lambda: raw_zip([Raw(b"pkg/bad\xff\xfe.py", flags=0x800)]), "x.zip",
         "container.undecodable-name", None, "bad\\xff\\xfe.py"),
    Case("undecodable-tar", lambda: tar_of([(tar_member("pkg/bad\udcff.py"), PY)]),
         "x.tar.gz", "container.undecodable-name", "pkg/bad\udcff.py", "bad"),
    Case("duplicate-zip", lambda: raw_zip([Raw(b"a.py"), Raw(b"a.py", b"import evil\n")]),
         "x.zip", "container.duplicate-name", "a.py", "a.py", True),
    Case("duplicate-normalized", lambda: raw_zip([Raw(b"pkg/a.py"), Raw(b"pkg//./a.py")]),
         "x.zip", "container.duplicate-name", "pkg//./a.py", "pkg//./a.py", True),
    Case("duplicate-tar", lambda: tar_of([(tar_member("p/a.py"), PY), (tar_member("p/a.py"), PY)]),
         "x.tar.gz", "container.duplicate-name", "p/a.py", "p/a.py", True),
    # links and devices
    Case("tar-symlink", lambda: tar_of([(tar_member("p/link", tarfile.SYMTYPE, "other.py"), b"")]),
         "x.tar.gz", "container.link", "p/link", "-> other.py"),
    Case("tar-symlink-escape",
         lambda: tar_of([(tar_member("p/link", tarfile.SYMTYPE, "../../../etc/passwd"), b"")]),
         "x.tar.gz", "container.link-escape", "p/link", "-> ../../../etc/passwd", True),
    Case("tar-hardlink-absolute",
         lambda: tar_of([(tar_member("p/h", tarfile.LNKTYPE, "/etc/shadow"), b"")]),
         "x.tar.gz", "container.link-escape", "p/h", "-> /etc/shadow", True),
    Case("tar-hardlink", lambda: tar_of([(tar_member("p/a.py"), PY),
                                         (tar_member("p/h", tarfile.LNKTYPE, "p/a.py"), b"")]),
         "x.tar.gz", "container.link", "p/h", "-> p/a.py"),
    Case("zip-symlink", lambda: raw_zip([Raw(b"p/link", b"../../../../home/u/.ssh/id_rsa",
                                             external_attr=(stat.S_IFLNK | 0o777) << 16)]),
         "x.zip", "container.link-escape", "p/link", "-> ../../../../home/u/.ssh/id_rsa", True),
    Case("tar-chardev", lambda: tar_of([(tar_member("p/dev", tarfile.CHRTYPE), b"")]),
         "x.tar.gz", "container.device-member", "p/dev", "p/dev", True),
    Case("tar-fifo", lambda: tar_of([(tar_member("p/fifo", tarfile.FIFOTYPE), b"")]),
         "x.tar.gz", "container.device-member", "p/fifo", "p/fifo", True),
    Case("tar-unknown-type", lambda: tar_of([(tar_member("p/odd.py", b"Z"), PY)]),
         "x.tar.gz", "container.unknown-member-type", "p/odd.py", "type Z"),
    # zip structure
    Case("header-name", lambda: raw_zip([Raw(b"a.py", local_name=b"b.py")]), "x.zip",
         "container.header-mismatch", "a.py", "name b.py vs a.py", True),
    Case("header-method", lambda: raw_zip([Raw(b"a.py", local_method=8)]), "x.zip",
         "container.header-mismatch", "a.py", "method 8 vs 0", True),
    Case("header-size", lambda: raw_zip([Raw(b"a.py", local_usize=99999)]), "x.zip",
         "container.header-mismatch", "a.py", "sizes 12/99999 vs 12/12", True),
    Case("header-missing", lambda: raw_zip([Raw(b"a.py", header_offset=5)]), "x.zip",
         "container.header-mismatch", "a.py", "at offset 5", True),
    Case("leading-data", lambda: b"#!/bin/sh\necho hi\n" + WHEEL, WHEEL_NAME,
         "container.leading-data", None, "18 leading bytes"),
    Case("trailing-data", lambda: raw_zip([Raw(b"a.py")], suffix=b"SECOND-PAYLOAD"), "x.zip",
         "container.trailing-data", None, "14 trailing bytes"),
    Case("two-end-records", lambda: raw_zip([Raw(b"a.py")], decoy_end_record=True), "x.zip",
         "container.multiple-end-records", None, "2 end records", True),
    Case("concatenated-zips", _concatenated, "x.zip", "container.multiple-end-records", None,
         "2 end records", True),
    Case("hidden-between", lambda: raw_zip([Raw(b"a.py"), Raw(b"b.py", gap_before=b"X" * 40)]),
         "x.zip", "container.hidden-data", "b.py", "40 unaccounted bytes"),
    Case("overlap", lambda: raw_zip([Raw(b"a.py"), Raw(b"b.py", header_offset=0)]), "x.zip",
         "container.overlapping-entries", "b.py", "b.py and a.py", True),
    Case("encrypted", lambda: raw_zip([Raw(b"secret.py", b"\x00" * 24, flags=1)]), "x.zip",
         "container.encrypted-member", "secret.py", "secret.py", True),
    Case("bad-crc", lambda: raw_zip([Raw(b"a.py", crc=0xDEADBEEF)]), "x.zip",
         "container.crc-mismatch", "a.py", "deadbeef declared", True),
    Case("corrupt-deflate", lambda: raw_zip([Raw(b"a.py", method=8, raw_stored=b"\xff" * 9)]),
         "x.zip", "container.corrupt-member", "a.py", "a.py"),
    # extension contradicts content
    Case("png-is-elf", lambda: zip_of({"pkg/logo.png": ELF}), "x.zip",
         "container.extension-mismatch", "pkg/logo.png", "logo.png"),
    Case("py-is-zip", lambda: zip_of({"pkg/util.py": zip_of({"x.py": PY})}), "x.zip",
         "container.extension-mismatch", "pkg/util.py", "util.py"),
    Case("targz-is-zip", lambda: zip_of({"demo-1.0/PKG-INFO": "Name: demo\n"}), SDIST_NAME,
         "container.extension-mismatch", None, SDIST_NAME),
    # tar structure
    Case("truncated-tar", lambda: tar_of([(tar_member("p/a.py"), PY * 5000)], fmt="")[:3000],
         "x.tar", "container.truncated", "p/a.py", "unexpected end of data"),
    Case("truncated-targz", lambda: tar_of([(tar_member("p/a.py"), bytes(range(256)) * 400),
                                            (tar_member("p/b.py"), PY)])[:-200],
         "x.tar.gz", "container.truncated", "p/a.py", "EOFError: Compressed file ended"),
    # limits: always an incomplete scan, never clean
    Case("nesting", lambda: _nested_zips(4), "x.zip", "limits.nesting-depth",
         "a.zip!/b.zip!/c.zip!/d.zip", "", True),
    Case("member-count", lambda: zip_of({f"m{i}.py": PY for i in range(10)}), "x.zip",
         "limits.member-count", "m5.py", "", True, Limits(max_members=5)),
    Case("member-size", lambda: zip_of({"big.bin": b"\x00" * 5000}), "x.zip",
         "limits.member-size", "big.bin", "", True, Limits(max_member_bytes=1000, chunk_bytes=512)),
    Case("total-size", lambda: zip_of({f"f{i}.bin": b"\x01" * 900 for i in range(5)}), "x.zip",
         "limits.total-size", "f3.bin", "", True, Limits(max_total_bytes=3000)),
    Case("ratio", lambda: zip_of({"zeros.bin": b"\x00" * 300_000}), "x.zip",
         "container.compression-bomb", "zeros.bin", "bytes stored", True,
         Limits(ratio_floor_bytes=10_000, chunk_bytes=4096)),
    Case("pax-header-bomb", _huge_pax_header, "x.tar", "limits.tar-header-size", None,
         "1073741824 bytes", True),
    Case("pax-header-quadratic", _digit_pax_header, "x.tar", "limits.tar-header-size", None,
         "PAX header declares 65536 bytes", True),
    # wheel integrity
    Case("no-record", lambda: wheel_bytes("demo", "1.0", {"demo/a.py": PY}, record=False),
         WHEEL_NAME, "wheel.missing-metadata-file", DIST_INFO, f"{DIST_INFO}/RECORD"),
    Case("no-metadata", lambda: rewrite_zip(WHEEL, drop=(f"{DIST_INFO}/METADATA",)), WHEEL_NAME,
         "wheel.missing-metadata-file", DIST_INFO, f"{DIST_INFO}/METADATA"),
    Case("no-wheel-file", lambda: rewrite_zip(WHEEL, drop=(f"{DIST_INFO}/WHEEL",)), WHEEL_NAME,
         "wheel.missing-metadata-file", DIST_INFO, f"{DIST_INFO}/WHEEL"),
    Case("hash-mismatch", lambda: rewrite_zip(WHEEL, {"demo/__init__.py": b"import ox\n"}),
         WHEEL_NAME, "wheel.record-hash-mismatch", "demo/__init__.py", "RECORD sha256=", True),
    Case("size-mismatch", lambda: _wheel_with_record(
        lambda files: [record_line(p, d).rsplit(",", 1)[0] + ",999" for p, d in files.items()]),
         WHEEL_NAME, "wheel.record-size-mismatch", "demo/__init__.py", "RECORD 999 bytes"),
    Case("not-in-record", lambda: wheel_bytes("demo", "1.0", {"demo/a.py": PY},
                                              extra_record={"demo/evil.pth": "import os\n"}),
         WHEEL_NAME, "wheel.file-not-in-record", "demo/evil.pth", "demo/evil.pth"),
    Case("record-entry-missing", lambda: rewrite_zip(WHEEL, drop=("demo/__init__.py",)),
         WHEEL_NAME, "wheel.record-entry-missing", f"{DIST_INFO}/RECORD", "demo/__init__.py"),
    Case("dist-info-name", lambda: wheel_bytes("other", "1.0", {"demo/a.py": PY}), WHEEL_NAME,
         "wheel.name-mismatch", "other-1.0.dist-info", "other-1.0.dist-info in demo-1.0"),
    Case("dist-info-version", lambda: wheel_bytes("demo", "2.0", {"demo/a.py": PY}), WHEEL_NAME,
         "wheel.version-mismatch", "demo-2.0.dist-info", "demo-2.0.dist-info in demo-1.0"),
    Case("two-dist-infos", lambda: rewrite_zip(WHEEL, add={"evil-9.dist-info/METADATA": "x"}),
         WHEEL_NAME, "wheel.dist-info-count", None, "demo-1.0.dist-info, evil-9.dist-info"),
    # sdist integrity
    Case("sdist-no-pkg-info", lambda: sdist_bytes("demo", "1.0", {"setup.py": PY},
                                                  pkg_info=False),
         SDIST_NAME, "sdist.missing-pkg-info", None),
    Case("sdist-two-tops", lambda: archive_bytes({"demo-1.0/PKG-INFO": "Name: demo\n",
                                                  "other/setup.py": PY}),
         SDIST_NAME, "sdist.top-level-count", None, "demo-1.0, other"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_crafted_archive_gives_its_finding(case: Case, container_scan):
    result = container_scan(case.build(), filename=case.filename, limits=case.limits)
    assert result.error is None, result.error
    hits = [f for f in result.findings if f.rule == case.rule]
    assert hits, f"{case.rule} missing; got {[(f.rule, f.path) for f in result.findings]}"
    matching = [f for f in hits if f.path == case.path and case.evidence in f.evidence]
    assert matching, f"{case.rule} found, but path/evidence differ: " \
                     f"{[(f.path, f.evidence) for f in hits]}"
    for finding in matching:
        assert "\x1b" not in finding.evidence  # evidence is escaped
    if case.not_clean:
        assert result.verdict.level not in (VerdictLevel.CLEAN, VerdictLevel.ERROR), \
            result.verdict


def test_every_container_rule_in_the_table_is_distinct_from_clean_runs():
    """The table covers every rule the issue names (a guard against dropping a case)."""
    covered = {c.rule for c in CASES}
    required = {
        "container.path-traversal", "container.absolute-path", "container.backslash-path",
        "container.link", "container.link-escape", "container.device-member",
        "container.duplicate-name", "container.header-mismatch", "container.leading-data",
        "container.trailing-data", "container.multiple-end-records",
        "container.encrypted-member", "container.undecodable-name",
        "container.extension-mismatch", "container.compression-bomb", "limits.member-count",
        "limits.member-size", "limits.total-size", "limits.nesting-depth",
        "wheel.missing-metadata-file", "wheel.record-hash-mismatch",
        "wheel.record-size-mismatch", "wheel.file-not-in-record", "wheel.record-entry-missing",
        "wheel.name-mismatch", "sdist.missing-pkg-info", "sdist.top-level-count",
    }
    assert required <= covered, required - covered


def test_unopenable_artifact_is_an_error_with_a_reason(container_scan):
    result = container_scan(b"PK\x03\x04\x14\x00 cut", filename="x.whl")
    assert result.verdict.level is VerdictLevel.ERROR
    assert result.error == "archive has no members"
    import gzip

    result = container_scan(gzip.compress(b"not a tar at all" * 50), filename="x.tar.gz")
    assert result.verdict.level is VerdictLevel.ERROR
    assert result.error.startswith("not a readable tar archive")
    assert container_scan(b"7z\xbc\xaf\x27\x1c" + b"\x00" * 40, filename="x.7z").error \
        == "unsupported archive format: 7z"


# ---------------------------------------------------------------------------------------------
# Clean artifacts of every supported kind: no container, limit, wheel or sdist finding.

PACKAGE_FILES = {"demo/__init__.py": PY, "demo/data.json": '{"a": 1}\n',
                 "demo/logo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32}


def _stored_wheel(files: dict[str, bytes]) -> bytes:
    """A valid wheel whose members are stored, not deflated: a nested zip's end record then
    sits in the outer file's bytes and must not count as a second end record."""
    files = files | {f"{DIST_INFO}/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
                     f"{DIST_INFO}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"}
    files[f"{DIST_INFO}/RECORD"] = _record([record_line(p, d) for p, d in files.items()])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return out.getvalue()


def _egg() -> bytes:
    return zip_of({"EGG-INFO/PKG-INFO": "Metadata-Version: 1.1\nName: demo\nVersion: 1.0\n",
                   "EGG-INFO/top_level.txt": "demo\n", **PACKAGE_FILES})


CLEAN = [
    ("wheel", lambda: wheel_bytes("demo", "1.0", PACKAGE_FILES), WHEEL_NAME, "wheel"),
    ("sdist-tar-gz", lambda: sdist_bytes("demo", "1.0", {"setup.py": PY} | PACKAGE_FILES),
     SDIST_NAME, "sdist"),
    ("sdist-zip", lambda: sdist_bytes("demo", "1.0", {"setup.py": PY}, fmt="zip"),
     sdist_filename("demo", "1.0", "zip"), "sdist"),
    ("sdist-tar-bz2", lambda: sdist_bytes("demo", "1.0", {"setup.py": PY}, fmt="bz2"),
     sdist_filename("demo", "1.0", "bz2"), "sdist"),
    ("sdist-tar-xz", lambda: sdist_bytes("demo", "1.0", {"setup.py": PY}, fmt="xz"),
     sdist_filename("demo", "1.0", "xz"), "sdist"),
    ("egg", _egg, "demo-1.0-py3.11.egg", "egg"),
    ("plain-zip", lambda: zip_of(PACKAGE_FILES), "bundle.zip", "zip"),
    ("plain-tar", lambda: archive_bytes(PACKAGE_FILES, ""), "bundle.tar", "tar"),
    ("lone-py", lambda: PY, "setup.py", "file"),
    ("lone-pth", lambda: b"import demo\n", "demo.pth", "file"),
    ("wheel-with-nested-zip", lambda: wheel_bytes("demo", "1.0", {
        "demo/fixtures/data.zip": zip_of({"inside.txt": "hello\n"})}), WHEEL_NAME, "wheel"),
    ("wheel-stored-nested-zip", lambda: _stored_wheel({
        "demo/z.zip": zip_of({"inside.txt": "hello\n"})}), WHEEL_NAME, "wheel"),
]

_INTEGRITY_PREFIXES = ("container.", "limits.", "wheel.", "sdist.", "scanner.")


@pytest.mark.parametrize("build,filename,kind", [c[1:] for c in CLEAN],
                         ids=[c[0] for c in CLEAN])
def test_clean_artifact_has_no_container_findings(build, filename, kind, container_scan):
    result = container_scan(build(), filename=filename)
    assert result.error is None
    assert result.artifact.kind == kind
    noisy = [(f.rule, f.path, f.evidence) for f in result.findings
             if f.rule.startswith(_INTEGRITY_PREFIXES)]
    assert noisy == []
    assert result.verdict.level is VerdictLevel.CLEAN


def test_clean_directory_has_no_container_findings(tmp_path, container_scan):
    root = tmp_path / "demo-1.0"
    (root / "demo").mkdir(parents=True)
    (root / "setup.py").write_bytes(PY)
    (root / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    (root / "demo" / "__init__.py").write_bytes(PY)
    result = container_scan(root)
    assert result.error is None and result.artifact.kind == "directory"
    assert [f.rule for f in result.findings if f.rule.startswith(_INTEGRITY_PREFIXES)] == []
    assert result.verdict.level is VerdictLevel.CLEAN


def test_wheel_record_checks_see_every_member(container_scan):
    """The RECORD check is not vacuous: a clean wheel's members are all hashed."""
    result = container_scan(WHEEL, filename=WHEEL_NAME)
    assert result.artifact.kind == "wheel" and result.artifact.name == "demo"
    tampered = container_scan(rewrite_zip(WHEEL, {f"{DIST_INFO}/METADATA": b"Name: demo\n"}),
                              filename=WHEEL_NAME)
    assert {f.path for f in tampered.findings if f.rule == "wheel.record-hash-mismatch"} \
        == {f"{DIST_INFO}/METADATA"}


class _SteppingClock:
    """A monotonic clock that advances one second per reading, for deterministic timeouts."""

    def __init__(self, real):
        self._real = real
        self._calls = 0

    def monotonic(self) -> float:
        self._calls += 1
        return self._real() + self._calls


def test_timeout_stops_the_walk_and_is_never_clean(monkeypatch, container_scan):
    import time

    from scanner.unpack import budget

    monkeypatch.setattr(budget, "time", _SteppingClock(time.monotonic))
    data = zip_of({f"m{i}.py": PY for i in range(20)})
    result = container_scan(data, filename="x.zip", limits=Limits(timeout_s=4.5))
    timeouts = [f for f in result.findings if f.rule == "limits.timeout"]
    assert len(timeouts) == 1 and timeouts[0].path.startswith("m")
    assert result.verdict.level is VerdictLevel.SUSPICIOUS


def test_limit_hit_before_any_member_is_an_error_with_the_reason(container_scan):
    result = container_scan(zip_of({"a.py": PY}), filename="x.zip",
                            limits=Limits(timeout_s=1e-9))
    assert result.verdict.level is VerdictLevel.ERROR
    assert result.error.startswith("limits.timeout: reading took longer than")


def test_a_walk_cut_short_does_not_claim_a_missing_pkg_info(container_scan):
    """sdist_bytes puts PKG-INFO last: a member-count limit ends the walk before it. The limit
    is the finding; "no PKG-INFO" would be a claim about members never listed."""
    files = {f"pkg/m{i}.py": PY for i in range(3)}
    cut = container_scan(sdist_bytes("pkg", "1.0", files), filename=sdist_filename("pkg", "1.0"),
                         limits=Limits(max_members=2))
    rules = {f.rule for f in cut.findings}
    assert "limits.member-count" in rules and "sdist.missing-pkg-info" not in rules
    assert cut.verdict.level is not VerdictLevel.CLEAN
    # The same sdist without PKG-INFO, walked to its end, still gets the finding.
    whole = container_scan(sdist_bytes("pkg", "1.0", files, pkg_info=False),
                           filename=sdist_filename("pkg", "1.0"))
    assert "sdist.missing-pkg-info" in {f.rule for f in whole.findings}
