"""Decompression bombs are refused quickly, within the limits, in bounded memory.

Each bomb is written to tmp and scanned by a child process (``python -c``) that prints its
result and its peak resident memory, so that a bomb that slipped through would show up as
memory, not only as a wrong verdict. The bombs are built cheaply: a deflate segment of 1 MiB of
zeros, fully flushed, is repeated thousands of times; the zip structures are written with
``struct`` and declare whatever sizes the test wants.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
MAX_RSS_KIB = 512 * 1024
MAX_SECONDS = 20.0

# One child scans every bomb (one interpreter start-up instead of one per bomb); its peak
# resident memory therefore covers the worst of them.
_CHILD = """
import json, resource, sys, time
from scanner.pipeline import scan
for path in sys.argv[1:]:
    started = time.monotonic()
    result = scan(path)
    elapsed = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"path": path, "verdict": str(result.verdict.level), "error": result.error,
                      "rules": sorted({f.rule for f in result.findings}), "peak_kib": peak,
                      "elapsed": elapsed}), flush=True)
"""


def _deflate_zeros(mebibytes: int, wbits: int = -15, head: bytes = b"") -> bytes:
    """A deflate (or gzip, wbits=31) stream of ``head`` and ``mebibytes`` MiB of zeros."""
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = c.compress(head) + c.compress(bytes(MIB)) + c.flush(zlib.Z_FULL_FLUSH)
    segment = c.compress(bytes(MIB)) + c.flush(zlib.Z_FULL_FLUSH)
    return first + segment * (mebibytes - 1) + c.flush()


def _zip64_extra(usize: int, csize: int) -> bytes:
    return struct.pack("<HHQQ", 0x0001, 16, usize, csize)


def zip_bomb(name: bytes, mebibytes: int, declared: int, copies: int = 1) -> bytes:
    """A zip of ``copies`` members (each its own copy of the bomb stream) declaring
    ``declared`` uncompressed bytes each through zip64 fields."""
    stream = _deflate_zeros(mebibytes)
    crc = 0  # big bombs are never read to their end, where the CRC would be checked
    if mebibytes <= 64:
        for _ in range(mebibytes):
            crc = zlib.crc32(bytes(MIB), crc)
    body, central = bytearray(), bytearray()
    for i in range(copies):
        member = name if copies == 1 else name.replace(b".", f"{i}.".encode(), 1)
        extra = _zip64_extra(declared, len(stream))
        offset = len(body)
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF,
                            0xFFFFFFFF, len(member), len(extra)) + member + extra + stream
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", (3 << 8) | 45, 45, 0, 8, 0,
                               0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(member), len(extra), 0, 0,
                               0, 0o644 << 16, offset) + member + extra
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, copies, copies, len(central), len(body),
                      0)
    return bytes(body + central) + end


def stored_zip(files: dict[str, bytes]) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return out.getvalue()


def targz_bomb(gibibytes: int) -> bytes:
    """A gzip stream of a tar whose one member claims (and decompresses to) gigabytes."""
    info = tarfile.TarInfo("pkg-1.0/zeros.bin")
    info.size = gibibytes * 1024 * MIB
    header = info.tobuf(tarfile.GNU_FORMAT)
    return _deflate_zeros(gibibytes * 1024, wbits=31, head=header)


def targz_longname_bomb() -> bytes:
    """A gzip stream whose first tar header is a GNU long name declaring 4 GiB of name."""
    info = tarfile.TarInfo("././@LongLink")
    info.type = tarfile.GNUTYPE_LONGNAME
    info.size = 4 * 1024 * MIB
    return _deflate_zeros(4 * 1024, wbits=31,
                          head=tarfile.TarInfo("pkg-1.0/PKG-INFO").tobuf(tarfile.GNU_FORMAT)
                          + info.tobuf(tarfile.GNU_FORMAT))


BOMBS = {
    # 4 GiB of zeros in one member (4 MB file), zip64 sizes declaring 1 TiB.
    "zip-member": (lambda: zip_bomb(b"zeros.bin", 4096, 1 << 40), "bomb.zip",
                   {"container.compression-bomb"}),
    # The same kind of bomb inside a stored zip: found one level down.
    "zip-in-zip": (lambda: stored_zip({"inner.zip": zip_bomb(b"zeros.bin", 2048, 1 << 33)}),
                   "outer.zip", {"container.compression-bomb"}),
    # 42.zip style: many members each below the per-member floor in several nested zips;
    # only the whole-artifact ratio catches it.
    "nested-many-small": (lambda: stored_zip({f"inner{i}.zip": zip_bomb(b"z.bin", 24, 24 * MIB,
                                                                        copies=12)
                                              for i in range(4)}),
                          "many.zip", {"container.compression-bomb"}),
    "tar-gz": (lambda: targz_bomb(4), "bomb-1.0.tar.gz", {"container.compression-bomb"}),
    "tar-gz-longname": (targz_longname_bomb, "name-1.0.tar.gz", {"limits.tar-header-size"}),
}


@pytest.fixture(scope="module")
def bomb_reports(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("bombs")
    paths = {}
    for name, (build, filename, _expected) in BOMBS.items():
        paths[name] = folder / filename
        paths[name].write_bytes(build())
        assert paths[name].stat().st_size < 16 * MIB  # the bomb itself is small
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", _CHILD, *map(str, paths.values())],
                          capture_output=True, text=True, timeout=300, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    by_path = {line["path"]: line for line in lines}
    return {name: by_path[str(path)] for name, path in paths.items()}


@pytest.mark.parametrize("name", list(BOMBS))
def test_bomb_is_refused_quickly_in_bounded_memory(name, bomb_reports):
    _build, _filename, expected = BOMBS[name]
    report = bomb_reports[name]
    assert report["peak_kib"] < MAX_RSS_KIB, report
    assert report["elapsed"] < MAX_SECONDS, report
    assert report["verdict"] != "clean", report
    if report["verdict"] != "error":
        assert expected & set(report["rules"]), report
    else:  # refused before any member could be reported: the reason names the limit
        assert any(rule in report["error"] for rule in expected), report
