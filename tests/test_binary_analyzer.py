"""Embedded binaries: real artifacts carrying PE, ELF, media payloads, judged by content."""

from __future__ import annotations

import hashlib
import os
import random
import struct
import zlib
from pathlib import Path

import pytest

from scanner.analyzers import binary, container, pyc, yara_rules
from scanner.analyzers.interface import ArtifactHeader
from scanner.model import Member, Severity
from scanner.pipeline import ScanOptions
from scanner.pipeline import scan as full_scan
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename
from scanner.unpack import Entry, detect

# Only the analysers under test (plus the container checks): fast, and other analysers'
# findings cannot mask or fake these.
OPTIONS = ScanOptions(analyzers=(container.ANALYZER, yara_rules.ANALYZER, binary.ANALYZER,
                                 pyc.ANALYZER))


def scan(source, **kwargs):
    return full_scan(source, OPTIONS, **kwargs)


def tiny_pe(imports: dict[str, list[str]] | None = None, sections: tuple[str, ...] = (".text",),
            payload: bytes = b"\xc3" * 64) -> bytes:
    """A small but well-formed PE32 image: headers, sections, and an import table.

    ``payload`` fills the first section (random bytes give it high entropy).
    """
    file_align, sect_align = 0x200, 0x1000
    names = list(sections) + ([".idata"] if imports else [])
    header_size = 0x200
    raw: list[bytes] = []
    rvas = [sect_align * (i + 1) for i in range(len(names))]
    for i, _ in enumerate(sections):
        raw.append(payload if i == 0 else b"\x00" * 16)
    import_rva = import_size = 0
    if imports:
        base = rvas[-1]
        dlls = list(imports.items())
        desc_size = 20 * (len(dlls) + 1)
        blob = bytearray(desc_size)
        descriptors = []
        for dll, functions in dlls:
            hint_rvas = []
            for fn in functions:
                hint_rvas.append(base + len(blob))
                entry = struct.pack("<H", 0) + fn.encode() + b"\x00"
                blob += entry + (b"\x00" if len(entry) % 2 else b"")
            name_rva = base + len(blob)
            blob += dll.encode() + b"\x00"
            while len(blob) % 4:
                blob += b"\x00"
            ilt_rva = base + len(blob)
            blob += b"".join(struct.pack("<I", r) for r in hint_rvas) + b"\x00" * 4
            iat_rva = base + len(blob)
            blob += b"".join(struct.pack("<I", r) for r in hint_rvas) + b"\x00" * 4
            descriptors.append(struct.pack("<IIIII", ilt_rva, 0, 0, name_rva, iat_rva))
        blob[:desc_size] = b"".join(descriptors) + b"\x00" * 20
        raw.append(bytes(blob))
        import_rva, import_size = base, desc_size
    padded = [r + b"\x00" * (-len(r) % file_align) for r in raw]
    size_of_image = rvas[-1] + sect_align * (1 + max(len(r) for r in raw) // sect_align)
    dos = b"MZ" + b"\x00" * 58 + struct.pack("<I", 0x40)
    coff = struct.pack("<HHIIIHH", 0x14C, len(names), 0, 0, 0, 0xE0, 0x0102)
    directories = [(0, 0)] * 16
    directories[1] = (import_rva, import_size)
    optional = struct.pack("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII", 0x10B, 14, 0, len(padded[0]),
                           0, 0, rvas[0], rvas[0], rvas[0], 0x400000, sect_align, file_align,
                           6, 0, 0, 0, 6, 0, 0, size_of_image, header_size, 0, 3, 0,
                           0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    optional += b"".join(struct.pack("<II", *d) for d in directories)
    headers = []
    offset = header_size
    for name, rva, data, pad in zip(names, rvas, raw, padded):
        headers.append(struct.pack("<8sIIIIIIHHI", name.encode(), len(data), rva, len(pad),
                                   offset, 0, 0, 0, 0, 0x60000020))
        offset += len(pad)
    head = dos + b"PE\x00\x00" + coff + optional + b"".join(headers)
    return head + b"\x00" * (header_size - len(head)) + b"".join(padded)


def tiny_elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + struct.pack("<HHI", 2, 0x3E, 1) + b"\x00" * 200


def tiny_png(extra: bytes = b"") -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"") + extra)


def rules_of(result, prefix: str = "binary.") -> dict[str, object]:
    return {f.rule: f for f in result.findings if f.rule.startswith(prefix)}


def scan_wheel(files, tag: str = "py3-none-any"):
    return scan(wheel_bytes("demo", "1.0", files, tag=tag),
                filename=wheel_filename("demo", "1.0", tag))


def test_tiny_pe_is_a_real_pe():
    facts = binary.inspect_pe(tiny_pe({"KERNEL32.dll": ["WinExec", "ExitProcess"]}))
    assert detect.sniff(tiny_pe()[:1024]) == detect.PE
    assert facts.parsed and {"WinExec", "ExitProcess"} <= facts.imports
    assert facts.dlls == {"kernel32.dll"}


def test_pe_renamed_dat_in_pure_wheel_is_flagged_with_evidence():
    pe = tiny_pe({"urlmon.dll": ["URLDownloadToFileA"], "KERNEL32.dll": ["WinExec"]})
    result = scan_wheel({"demo/__init__.py": "", "demo/assets/blob.dat": pe})
    found = rules_of(result)
    assert found["binary.pe.misnamed"].severity is Severity.HIGH
    assert found["binary.pe.misnamed"].path == "demo/assets/blob.dat"
    assert found["binary.pe.in-pure-wheel"].severity is Severity.MEDIUM
    assert "URLDownloadToFileA" in found["binary.pe.risky-imports"].evidence
    assert found["binary.pe.risky-imports"].severity is Severity.HIGH
    assert result.verdict.level.rank >= 1  # at least suspicious


def test_pe_in_sdist_is_flagged():
    data = sdist_bytes("demo", "1.0", {"setup.py": "from setuptools import setup\nsetup()\n",
                                       "tools/helper.exe": tiny_pe()})
    result = scan(data, filename=sdist_filename("demo", "1.0"))
    assert "binary.pe.in-sdist" in rules_of(result)


def test_packed_and_high_entropy_pe_sections():
    rng = random.Random(1)
    dense = bytes(rng.randrange(256) for _ in range(16384))
    result = scan_wheel({"demo/x.exe": tiny_pe(sections=("UPX0", "UPX1"), payload=dense)})
    found = rules_of(result)
    assert "UPX0" in found["binary.pe.packed"].evidence
    assert "binary.pe.high-entropy-section" in found


def test_pyd_in_platform_wheel_is_quiet():
    pe = tiny_pe({"KERNEL32.dll": ["GetProcAddress"]})
    result = scan_wheel({"demo/_speedups.pyd": pe}, tag="cp311-cp311-win_amd64")
    assert rules_of(result) == {}


def test_elf_in_pure_wheel_and_under_text_name():
    result = scan_wheel({"demo/__init__.py": "", "demo/lib/helper": tiny_elf(),
                         "demo/data/readme.txt": tiny_elf()})
    found = [(f.rule, f.path) for f in result.findings if f.rule.startswith("binary.")]
    assert ("binary.elf.in-pure-wheel", "demo/lib/helper") in found
    assert ("binary.elf.misnamed", "demo/data/readme.txt") in found


def test_elf_in_manylinux_wheel_is_quiet():
    result = scan_wheel({"demo/_native.cpython-311-x86_64-linux-gnu.so": tiny_elf(),
                         "demo/libs/libz.so.1.2.13": tiny_elf()},
                        tag="cp311-cp311-manylinux_2_17_x86_64")
    assert rules_of(result) == {}


def test_png_with_appended_payload_is_flagged():
    clean = tiny_png()
    loaded = tiny_png(wheel_bytes("inner", "1.0", {"x.py": "print(1)\n" * 20}))
    result = scan_wheel({"demo/icon.png": clean, "demo/logo.png": loaded})
    found = [f for f in result.findings if f.rule == "binary.media.appended-data"]
    assert [f.path for f in found] == ["demo/logo.png"]
    assert found[0].severity is Severity.HIGH and "zip" in found[0].message


@pytest.mark.parametrize("fmt,make", [
    ("png", tiny_png),
    ("wav", lambda extra=b"": b"RIFF" + struct.pack("<I", 36 + 8) + b"WAVEfmt "
     + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8) + b"data" + struct.pack("<I", 8)
     + b"\x80" * 8 + extra),
    ("gif", lambda extra=b"": b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0)
     + b"\x00\x00\x00\xff\xff\xff" + b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
     + b"\x02\x02\x44\x01\x00" + b"\x3b" + extra),
    ("jpeg", lambda extra=b"": b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00"
     + b"\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\xff\xda" + struct.pack(">H", 8)
     + b"\x01\x01\x00\x00\x3f\x00" + b"\x12\xff\x00\x34" + b"\xff\xd9" + extra),
])
def test_media_end_markers(fmt, make):
    entry = lambda data: Entry(Member(f"a.{fmt}", len(data)), data, None, len(data), True,  # noqa: E731
                               detect.sniff(data[:1024]))
    header = ArtifactHeader("demo-1.0-py3-none-any.whl", "zip")
    assert binary.analyze_member(header, entry(make())) == []
    assert binary.analyze_member(header, entry(make(b"\n"))) == []
    flagged = binary.analyze_member(header, entry(make(os.urandom(4096))))
    assert [f.rule for f in flagged] == ["binary.media.appended-data"]


def test_decoded_executable_is_flagged():
    header = ArtifactHeader("demo-1.0-py3-none-any.whl", "zip")
    pe = tiny_pe()
    for fmt in (detect.PE, None):  # the pipeline passes decoded items without a format
        entry = Entry(Member("demo/x.py::decoded[1]", len(pe)), pe, None, len(pe), True, fmt)
        assert "binary.pe.decoded" in {f.rule for f in binary.analyze_member(header, entry)}


def test_zip_under_text_name():
    result = scan_wheel({"demo/notes.txt": wheel_bytes("x", "1", {"a.py": "x=1\n"})})
    assert "binary.archive.misnamed" in rules_of(result)


def _launchers() -> dict[str, bytes]:
    """Launchers from the installed setuptools (old versions) and pip's vendored distlib."""
    import importlib.util

    found = {}
    for package, sub in (("setuptools", ""), ("pip", "_vendor/distlib")):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.origin:
            continue
        folder = Path(spec.origin).parent / sub
        for exe in sorted(folder.glob("*.exe")):
            found[f"{package}/{sub + '/' if sub else ''}{exe.name}"] = exe.read_bytes()
    return found


def test_installed_launchers_are_recognised_by_hash_and_by_structure(monkeypatch):
    launchers = _launchers()
    if not launchers:
        pytest.skip("no setuptools or pip launchers installed in this interpreter")
    result = scan_wheel(launchers)
    assert rules_of(result) == {}, "known launchers must not be flagged"
    # Without the shipped hash list, the structural check must still recognise them.
    monkeypatch.setattr(binary, "known_launcher_hashes", lambda: frozenset())
    result = scan_wheel(launchers)
    assert rules_of(result) == {}
    # A launcher name does not excuse a PE that downloads and runs.
    bad = tiny_pe({"urlmon.dll": ["URLDownloadToFileW"], "SHELL32.dll": ["ShellExecuteW"]})
    result = scan_wheel({"setuptools/cli-64.exe": bad})
    assert "binary.pe.in-pure-wheel" in rules_of(result)


def test_launcher_hash_list_matches_shipped_launchers():
    launchers = _launchers()
    if not launchers:
        pytest.skip("no launchers installed")
    known = binary.known_launcher_hashes()
    assert len(known) >= 10
    assert any(hashlib.sha256(d).hexdigest() in known for d in launchers.values())


def _real_wheels() -> list[Path]:
    places = [Path.home() / ".cache" / "distscan-bench" / "benign" / name
              for name in ("setuptools", "pip")] + [Path("/tmp/wh-yara"), Path("/tmp/wh2")]
    return sorted({p.name: p for d in places if d.is_dir()
                   for p in d.glob("*.whl") if p.name.startswith(("setuptools-", "pip-"))
                   }.values())


def test_real_setuptools_and_pip_wheels_have_no_binary_or_content_findings():
    wheels = _real_wheels()
    if not wheels:
        pytest.skip("no setuptools/pip wheels cached (pip download --no-deps setuptools pip)")
    for wheel in wheels:
        result = scan(wheel)
        mine = [f for f in result.findings if f.rule.startswith(("binary.", "pyc.", "content."))]
        assert mine == [], f"{wheel.name}: {mine}"
