"""Recognising formats by their first bytes, never by their names."""

from __future__ import annotations

ZIP = "zip"
GZIP = "gzip"
BZIP2 = "bzip2"
XZ = "xz"
TAR = "tar"
PE = "pe"
ELF = "elf"
MACHO = "macho"
PYC = "pyc"
PNG = "png"
JPEG = "jpeg"
GIF = "gif"
WAV = "wav"
PDF = "pdf"
SEVENZIP = "7z"
RAR = "rar"
ZSTD = "zstd"

ARCHIVE_FORMATS = frozenset({ZIP, GZIP, BZIP2, XZ, TAR})
EXECUTABLE_FORMATS = frozenset({PE, ELF, MACHO})

_MACHO_MAGICS = (
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # fat binary (also Java class files; checked below)
)


# First bytes of every signature tested at offset 0 below. Most members (text, data) start
# with none of them, and then only the two signatures that do not sit at offset 0 can match:
# one set lookup instead of twenty ``startswith`` calls per member.
_FIRST_BYTES = frozenset(b"P\x1fB\xfd\x28M\x7f\xfe\xce\xcf\xca\x89\xffGR%7")


def sniff(head: bytes) -> str | None:
    """Name of the format that ``head`` (the first 512+ bytes) starts with, or None."""
    if not head:
        return None
    if head[0] not in _FIRST_BYTES:
        if len(head) >= 262 and head[257:262] == b"ustar":
            return TAR
        if len(head) >= 16 and head[2:4] == b"\r\n" and _looks_like_pyc(head):
            return PYC
        return None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return ZIP
    if head.startswith(b"\x1f\x8b"):
        return GZIP
    if head.startswith(b"BZh") and len(head) > 3 and head[3:4].isdigit():
        return BZIP2
    if head.startswith(b"\xfd7zXZ\x00"):
        return XZ
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return ZSTD
    if len(head) >= 262 and head[257:262] == b"ustar":
        return TAR
    if head.startswith(b"MZ") and _looks_like_pe(head):
        return PE
    if head.startswith(b"\x7fELF"):
        return ELF
    if head.startswith(_MACHO_MAGICS):
        # Java class files share the fat-binary magic; a fat binary has few architectures.
        if head.startswith(b"\xca\xfe\xba\xbe") and int.from_bytes(head[4:8], "big") > 30:
            return None
        return MACHO
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return SEVENZIP
    if head.startswith(b"Rar!\x1a\x07"):
        return RAR
    if len(head) >= 16 and head[2:4] == b"\r\n" and _looks_like_pyc(head):
        return PYC
    return None


def _looks_like_pe(head: bytes) -> bool:
    if len(head) < 64:
        return len(head) >= 2  # too short to tell; treat an MZ header as PE
    offset = int.from_bytes(head[60:64], "little")
    if offset + 4 <= len(head):
        return head[offset : offset + 4] == b"PE\x00\x00"
    return 0 < offset < 1 << 20


def _looks_like_pyc(head: bytes) -> bool:
    magic = int.from_bytes(head[0:2], "little")
    # CPython 3.0 .. 3.15 magic numbers lie in this range; 2.x uses 20121..62211.
    return 3000 <= magic <= 4000 or 20000 <= magic <= 62300


# What a file name promises about its content, for the extension-vs-content check.
EXTENSION_FORMATS: dict[str, frozenset[str]] = {
    ".png": frozenset({PNG}),
    ".jpg": frozenset({JPEG}),
    ".jpeg": frozenset({JPEG}),
    ".gif": frozenset({GIF}),
    ".wav": frozenset({WAV}),
    ".pdf": frozenset({PDF}),
    ".whl": frozenset({ZIP}),
    ".zip": frozenset({ZIP}),
    ".egg": frozenset({ZIP}),
    ".gz": frozenset({GZIP}),
    ".tgz": frozenset({GZIP}),
    ".bz2": frozenset({BZIP2}),
    ".xz": frozenset({XZ}),
    ".exe": frozenset({PE}),
    ".dll": frozenset({PE}),
    ".pyd": frozenset({PE}),
}

# Names that promise text: executables or archives under these names hide something.
TEXT_EXTENSIONS = frozenset(
    {".py", ".pyw", ".pyi", ".pth", ".txt", ".md", ".rst", ".json", ".toml", ".cfg", ".ini",
     ".yaml", ".yml", ".csv", ".html", ".js", ".css", ".xml", ".svg", ".sh", ".bat", ".ps1"}
)


def extension(name: str) -> str:
    slash = name.rfind("/")
    if name.rfind(".") <= slash + 1:
        return ""  # no dot in the last component, or only a leading one (".bashrc")
    base = name[slash + 1 :].lower()
    if base.endswith((".tar.gz", ".tar.bz2", ".tar.xz")):
        return base[base.rindex(".tar.") :]
    dot = base.rfind(".")
    return base[dot:] if dot > 0 else ""


# Every extension the check below has something to say about.
_CHECKED_EXTENSIONS = (frozenset(EXTENSION_FORMATS) | TEXT_EXTENSIONS
                       | {".tar.gz", ".tar.bz2", ".tar.xz"})


# Content that a name promising text hides.
_HIDDEN_IN_TEXT = EXECUTABLE_FORMATS | ARCHIVE_FORMATS | {PYC}


def contradiction(name: str, fmt: str | None) -> str | None:
    """Why ``name`` contradicts content of format ``fmt``, or None if it does not."""
    ext = extension(name)
    if ext not in _CHECKED_EXTENSIONS:
        return None
    if ext in (".tar.gz",):
        ext = ".gz"
    elif ext == ".tar.bz2":
        ext = ".bz2"
    elif ext == ".tar.xz":
        ext = ".xz"
    expected = EXTENSION_FORMATS.get(ext)
    if expected is not None and fmt is not None and fmt not in expected:
        return f"named {ext} but content is {fmt}"
    if expected is not None and fmt is None and ext not in (".exe", ".dll", ".pyd"):
        return f"named {ext} but content has no {ext[1:]} signature"
    if ext in TEXT_EXTENSIONS and fmt in _HIDDEN_IN_TEXT:
        return f"named {ext} but content is {fmt}"
    return None
