"""Embedded binaries: executables, archives and media with a payload, judged by content.

Formats come from the member's magic bytes (``Entry.format``), never from its name; the name
only matters as a *promise* the content breaks (a PE called ``.dat``). What makes a binary
suspicious is where it is: an executable in a pure-Python wheel or an sdist, under a data
name, or decoded from a literal. Real platform wheels are full of ``.so``/``.pyd`` files and
stay quiet unless the binary itself is packed or imports download-and-run APIs together.

Windows launchers that setuptools and distlib ship (``cli-64.exe``, ``t64.exe`` ...) are
recognised by a SHA-256 list shipped with the rules (``rules/known_launchers.sha256``) or by
their own structure (launcher file name, small, imports only from a few system DLLs, no
risky API, no packer sections, no appended data) — never by the package's name.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from ..model import Confidence, Context, Finding, Severity
from ..text import escape
from ..unpack import Entry, detect
from .interface import Analyzer, ArtifactHeader

ENTROPY_LIMIT = 7.2
MIN_SECTION_FOR_ENTROPY = 4096
ENTROPY_SAMPLE = 2 * 1024 * 1024  # entropy of a section's first bytes; enough to tell
MEDIA_TRAILER_MIN = 64  # a stray newline or padding after IEND is not a payload

BINARY_SUFFIXES = (".exe", ".dll", ".pyd", ".so", ".dylib", ".sys", ".ocx", ".cpl", ".scr",
                   ".drv", ".efi", ".node", ".bin", ".o", ".a", ".lib", ".bundle", ".mui",
                   ".com", ".elf", ".out", ".mexa64", ".mexw64", ".mexmaci64", ".pyo")
SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".tar")
# Names that promise text or media: an executable or archive there is hiding.
DATA_PROMISE_SUFFIXES = tuple(sorted(detect.TEXT_EXTENSIONS)) + (
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".wav", ".mp3", ".ogg", ".pdf", ".dat",
    ".log", ".tmp", ".db", ".ttf", ".woff", ".woff2", ".mo", ".po", ".pem", ".crt")

DOWNLOAD_APIS = frozenset({"URLDownloadToFileA", "URLDownloadToFileW", "InternetOpenUrlA",
                           "InternetOpenUrlW", "InternetReadFile", "WinHttpOpenRequest",
                           "HttpSendRequestA", "HttpSendRequestW", "URLOpenBlockingStreamA",
                           "URLOpenBlockingStreamW"})
EXEC_APIS = frozenset({"WinExec", "ShellExecuteA", "ShellExecuteW", "ShellExecuteExA",
                       "ShellExecuteExW"})
INJECTION_APIS = frozenset({"VirtualAllocEx", "WriteProcessMemory", "CreateRemoteThread",
                            "CreateRemoteThreadEx", "NtUnmapViewOfSection", "QueueUserAPC",
                            "SetThreadContext", "NtWriteVirtualMemory"})
PACKER_SECTIONS = frozenset({"UPX0", "UPX1", "UPX2", "UPX!", ".UPX0", ".UPX1", ".aspack",
                             ".adata", ".MPRESS1", ".MPRESS2", ".petite", ".nsp0", ".nsp1",
                             ".themida", ".vmp0", ".vmp1", ".enigma1", ".enigma2", "PEC2",
                             ".packed", "pebundle", ".kkrunchy", "MEW"})
LAUNCHER_NAME = re.compile(r"^(cli|gui)(-32|-64|-arm64|-arm32)?\.exe$|^[tw](32|64)(-arm)?\.exe$")
LAUNCHER_DLLS = frozenset({"kernel32.dll", "user32.dll", "shlwapi.dll", "shell32.dll",
                           "advapi32.dll", "msvcrt.dll"})
LAUNCHER_DLL_PREFIXES = ("api-ms-win-crt-", "vcruntime14")  # the Universal CRT
LAUNCHER_MAX_SIZE = 512 * 1024


def _finding(rule: str, severity: Severity, confidence: Confidence, message: str, path: str,
             evidence: str, category: str = "binary",
             context: Context = Context.CONTAINER) -> Finding:
    return Finding(rule, category, severity, confidence, context, message, path, None,
                   escape(evidence, 200))


@dataclass(frozen=True)
class Placement:
    """Where a member sits, which decides what an executable there means."""

    pure_wheel: bool
    sdist: bool
    misnamed: bool  # the name promises text, media or data
    derived: bool  # decoded from a literal by another analyser
    binary_name: bool

    @property
    def out_of_place(self) -> bool:
        return self.pure_wheel or self.sdist or self.misnamed or self.derived


def placement(header: ArtifactHeader, path: str) -> Placement:
    inner = path.rsplit("!/", 1)[-1]
    name = inner.rsplit("/", 1)[-1].lower()
    derived = "::" in path
    nested = "!/" in path
    filename = header.filename.lower()
    sdist = (not header.wheel_tags and header.format in ("tar", "zip") and not nested
             and filename.endswith(SDIST_SUFFIXES))
    binary_name = name.endswith(BINARY_SUFFIXES) or ".so." in name
    misnamed = not derived and not binary_name and name.endswith(DATA_PROMISE_SUFFIXES)
    return Placement(header.is_pure_wheel_name and not nested, sdist, misnamed, derived,
                     binary_name)


def analyze_member(header: ArtifactHeader, entry: Entry) -> list[Finding]:
    data = entry.data
    if data is None or len(data) < 4:
        return []
    path = entry.member.path
    fmt = entry.format
    if fmt is None and "::" in path:  # decoded payloads arrive without a sniffed format
        fmt = detect.sniff(data[:1024])
    if fmt in detect.EXECUTABLE_FORMATS:
        return executable_findings(header, path, data, fmt)
    if fmt in detect.ARCHIVE_FORMATS or fmt in (detect.SEVENZIP, detect.RAR, detect.ZSTD):
        return archive_findings(header, path, fmt, len(data))
    if fmt in (detect.PNG, detect.JPEG, detect.GIF, detect.WAV):
        return media_findings(path, data, fmt)
    return []


# --- executables -------------------------------------------------------------------------

def executable_findings(header: ArtifactHeader, path: str, data: bytes,
                        fmt: str) -> list[Finding]:
    where = placement(header, path)
    name_lower = path.rsplit("/", 1)[-1].lower()
    # Section entropy costs a pass over the bytes: only where it can change the outcome.
    pe = inspect_pe(data, where.out_of_place or bool(LAUNCHER_NAME.match(name_lower))) \
        if fmt == detect.PE else None
    if pe is not None and not (where.misnamed or where.derived) \
            and is_known_launcher(path, data, pe):
        return []
    label = {detect.PE: "PE (Windows)", detect.ELF: "ELF (Linux)",
             detect.MACHO: "Mach-O (macOS)"}[fmt]
    kind = fmt if fmt != detect.PE else "pe"
    findings: list[Finding] = []
    name = path.rsplit("/", 1)[-1]
    if where.derived:
        findings.append(_finding(
            f"binary.{kind}.decoded", Severity.HIGH, Confidence.HIGH,
            f"a {label} executable was decoded from a literal in code: a dropper carrying "
            "its payload", path, name, context=Context.DATA))
    if where.misnamed:
        findings.append(_finding(
            f"binary.{kind}.misnamed", Severity.HIGH, Confidence.HIGH,
            f"{label} executable under a name that promises data or text: hidden binaries "
            "are how droppers ship their payload", path, name))
    if where.pure_wheel:
        # MEDIUM, not HIGH: real pure wheels do carry helpers (debugpy's attach DLLs,
        # selenium-manager); the binary's own content and name decide the rest.
        findings.append(_finding(
            f"binary.{kind}.in-pure-wheel", Severity.MEDIUM, Confidence.HIGH,
            f"{label} executable inside a pure-Python (any-platform) wheel, which has no use "
            "for native code", path, name))
    elif where.sdist:
        severity = Severity.MEDIUM if fmt == detect.PE else Severity.LOW
        findings.append(_finding(
            f"binary.{kind}.in-sdist", severity, Confidence.MEDIUM,
            f"prebuilt {label} executable inside a source distribution", path, name))
    if pe is not None:
        findings += pe_content_findings(path, pe, where)
    return findings


@dataclass(frozen=True)
class PeFacts:
    """What pefile could tell about a PE, reduced to what the checks need."""

    parsed: bool
    imports: frozenset[str]  # API names
    dlls: frozenset[str]  # lower-case DLL names
    sections: tuple[tuple[str, int, float], ...]  # name, raw size, entropy
    overlay: int  # bytes after the last section


def inspect_pe(data: bytes, with_entropy: bool = True) -> PeFacts:
    try:
        import pefile

        pe = pefile.PE(data=data, fast_load=True)
        # A broken import table leaves no imports to judge; the sections are still read.
        with contextlib.suppress(Exception):
            pe.parse_data_directories(directories=[
                pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"]])
        imports, dlls = set(), set()
        for module in getattr(pe, "DIRECTORY_ENTRY_IMPORT", ()):
            dlls.add((module.dll or b"").decode("ascii", "replace").lower())
            for symbol in module.imports[:5000]:
                if symbol.name:
                    imports.add(symbol.name.decode("ascii", "replace"))
        sections = []
        for section in pe.sections[:96]:
            density = entropy(section.get_data()[:ENTROPY_SAMPLE]) if with_entropy else 0.0
            sections.append((section.Name.rstrip(b"\x00").decode("ascii", "replace"),
                             section.SizeOfRawData, density))
        start = pe.get_overlay_data_start_offset()
        overlay = len(data) - start if start is not None else 0
        return PeFacts(True, frozenset(imports), frozenset(dlls), tuple(sections), overlay)
    except Exception:
        return PeFacts(False, frozenset(), frozenset(), (), 0)


def pe_content_findings(path: str, pe: PeFacts, where: Placement) -> list[Finding]:
    findings: list[Finding] = []
    if not pe.parsed:
        if where.out_of_place:
            findings.append(_finding(
                "binary.pe.malformed", Severity.MEDIUM, Confidence.MEDIUM,
                "PE headers that pefile cannot parse, where no executable is expected", path,
                path.rsplit("/", 1)[-1]))
        return findings
    download, execute = pe.imports & DOWNLOAD_APIS, pe.imports & EXEC_APIS
    inject = pe.imports & INJECTION_APIS
    risky = sorted(download | execute | inject)
    if risky and (where.out_of_place or (download and execute)):
        # Download-and-run is a dropper; injection alone is also what debuggers do.
        severity = Severity.HIGH if download and execute else Severity.MEDIUM
        if not where.out_of_place:
            severity = Severity.LOW  # a platform wheel's own extension: rarely this, but seen
        findings.append(_finding(
            "binary.pe.risky-imports", severity, Confidence.MEDIUM,
            "PE imports download, execute or process-injection APIs", path,
            ", ".join(risky)))
    packed = sorted({name for name, _, _ in pe.sections if name in PACKER_SECTIONS})
    if packed:
        findings.append(_finding(
            "binary.pe.packed", Severity.MEDIUM if not where.out_of_place else Severity.HIGH,
            Confidence.HIGH, "PE compressed by an executable packer (its code cannot be "
            "inspected)", path, ", ".join(packed)))
    dense = [(n, e) for n, size, e in pe.sections
             if e > ENTROPY_LIMIT and size >= MIN_SECTION_FOR_ENTROPY and n != ".rsrc"]
    if dense and where.out_of_place:
        findings.append(_finding(
            "binary.pe.high-entropy-section", Severity.MEDIUM, Confidence.MEDIUM,
            f"PE section with entropy above {ENTROPY_LIMIT} (packed or encrypted content)",
            path, ", ".join(f"{n} {e:.2f}" for n, e in dense[:5])))
    return findings


def is_known_launcher(path: str, data: bytes, pe: PeFacts) -> bool:
    """setuptools/distlib launcher stubs: by shipped hash, else by name plus own structure."""
    if hashlib.sha256(data).hexdigest() in known_launcher_hashes():
        return True
    name = path.rsplit("/", 1)[-1].lower()
    if not LAUNCHER_NAME.match(name) or not pe.parsed or len(data) > LAUNCHER_MAX_SIZE:
        return False
    system_only = all(dll in LAUNCHER_DLLS or dll.startswith(LAUNCHER_DLL_PREFIXES)
                      for dll in pe.dlls)
    return (bool(pe.dlls) and system_only
            and not pe.imports & (DOWNLOAD_APIS | INJECTION_APIS)
            and not any(n in PACKER_SECTIONS for n, _, _ in pe.sections)
            and all(e <= 7.0 for _, _, e in pe.sections) and pe.overlay == 0)


@lru_cache(maxsize=1)
def known_launcher_hashes() -> frozenset[str]:
    from ..rulesets import RuleError, bundled_rules_dir

    try:
        text = (bundled_rules_dir() / "known_launchers.sha256").read_text("utf-8")
    except (OSError, RuleError):
        return frozenset()
    return frozenset(line.split()[0].lower() for line in text.splitlines()
                     if line.strip() and not line.lstrip().startswith("#"))


# --- archives under data names -------------------------------------------------------------

# Smaller than the smallest executable (a minimal ELF/PE header alone is ~100 bytes): an
# archive this size carries a line of text, not a payload (test fixtures of code linters).
ARCHIVE_PAYLOAD_MIN = 100


def archive_findings(header: ArtifactHeader, path: str, fmt: str,
                     size: int | None = None) -> list[Finding]:
    where = placement(header, path)
    if not where.misnamed or (size is not None and size < ARCHIVE_PAYLOAD_MIN):
        return []
    name = path.rsplit("/", 1)[-1]
    return [_finding("binary.archive.misnamed", Severity.MEDIUM, Confidence.HIGH,
                     f"{fmt} archive under a name that promises text, media or data: a way "
                     "to carry a payload past review", path, name)]


# --- media with appended data --------------------------------------------------------------

def media_findings(path: str, data: bytes, fmt: str) -> list[Finding]:
    end = {detect.PNG: png_end, detect.JPEG: jpeg_end, detect.GIF: gif_end,
           detect.WAV: wav_end}[fmt](data)
    if end is None or len(data) - end < MEDIA_TRAILER_MIN:
        return []
    trailer = data[end:]
    if not trailer.strip(b"\x00\r\n\t "):
        return []
    inner = detect.sniff(trailer[:1024])
    dense = entropy(trailer[:65536]) > ENTROPY_LIMIT
    severity = Severity.HIGH if inner is not None or dense else Severity.MEDIUM
    what = f"{inner} data" if inner else ("high-entropy data" if dense else "data")
    return [_finding(
        "binary.media.appended-data", severity, Confidence.HIGH if inner else Confidence.MEDIUM,
        f"{fmt.upper()} file with {len(trailer)} bytes of {what} after its end marker: "
        "steganography-style payload carrier", path,
        f"{len(trailer)} bytes after offset {end}: {trailer[:24]!r}")]


def png_end(data: bytes) -> int | None:
    """Offset just past the IEND chunk, by walking the chunk list."""
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos if pos <= len(data) else None
    return None


def jpeg_end(data: bytes) -> int | None:
    """Offset just past the EOI marker that ends the first image's scan data."""
    pos = 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xD9:
            return pos + 2
        if marker in (0x01, 0xFF) or 0xD0 <= marker <= 0xD7:
            pos += 2 if marker != 0xFF else 1
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data until a real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    return None
                following = data[pos + 1]
                if following == 0 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    pos += 1 if following == 0xFF else 2
                    continue
                break
    return None


def gif_end(data: bytes) -> int | None:
    """Offset just past the trailer byte, by walking blocks."""
    n = len(data)
    if n < 13:
        return None
    flags = data[10]
    pos = 13 + (3 * (2 ** ((flags & 7) + 1)) if flags & 0x80 else 0)
    while pos < n:
        block = data[pos]
        if block == 0x3B:
            return pos + 1
        if block == 0x21:  # extension: label, then sub-blocks
            pos += 2
        elif block == 0x2C:  # image descriptor, optional local table, LZW size byte
            if pos + 10 > n:
                return None
            local = data[pos + 9]
            pos += 10 + (3 * (2 ** ((local & 7) + 1)) if local & 0x80 else 0) + 1
        else:
            return None
        while pos < n and data[pos]:
            pos += data[pos] + 1
        pos += 1
    return None


def wav_end(data: bytes) -> int | None:
    """Offset past the RIFF chunk the header declares."""
    if len(data) < 12:
        return None
    declared = int.from_bytes(data[4:8], "little") + 8
    return declared + (declared & 1) if declared <= len(data) else None


def entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte (C-speed counting: one ``count`` per byte value)."""
    total = len(data)
    if not total:
        return 0.0
    result = 0.0
    for value in range(256):
        count = data.count(value.to_bytes(1, "big"))
        if count:
            p = count / total
            result -= p * math.log2(p)
    return result


ANALYZER = Analyzer("binary", on_member=analyze_member,
                    description="PE (pefile), ELF, Mach-O, disguised archives, media payloads")
