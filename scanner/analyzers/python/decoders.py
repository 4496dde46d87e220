"""Bounded byte decoders used by constant folding and blob sniffing.

Every decoder takes ``bytes``/``str`` and returns ``bytes``/``str`` or ``None`` when the input
does not decode. Decompressors stop at ``MAX_BLOB`` output bytes so that a hostile literal
(a zip bomb in a string) cannot exhaust memory. Nothing here ever executes or unpickles data.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import codecs
import lzma
import re
import zlib

MAX_BLOB = 8 * 1024 * 1024
_B64_TEXT = re.compile(rb"^[A-Za-z0-9+/=_\-\s]+$")
_HEX_TEXT = re.compile(rb"^(?:[0-9a-fA-F]{2}|\s)+$")


def as_bytes(value: bytes | str) -> bytes:
    if isinstance(value, str):
        return value.encode("latin-1", "ignore") if value.isascii() else value.encode("utf-8")
    return value


def _b64(value, altchars: bytes | None = None) -> bytes | None:
    raw = as_bytes(value)
    raw = re.sub(rb"\s+", b"", raw)
    if not raw or len(raw) > MAX_BLOB * 2:
        return None
    if b"-" in raw or b"_" in raw:
        raw = raw.replace(b"-", b"+").replace(b"_", b"/")
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw, altchars=altchars)
    except (binascii.Error, ValueError):
        return None


def _b32(value) -> bytes | None:
    raw = re.sub(rb"\s+", b"", as_bytes(value))
    try:
        return base64.b32decode(raw + b"=" * (-len(raw) % 8), casefold=True)
    except (binascii.Error, ValueError):
        return None


def _b85(value) -> bytes | None:
    try:
        return base64.b85decode(as_bytes(value))
    except (ValueError, binascii.Error):
        return None


def _a85(value) -> bytes | None:
    try:
        return base64.a85decode(as_bytes(value))
    except (ValueError, binascii.Error):
        return None


def _hex(value) -> bytes | None:
    raw = re.sub(rb"\s+", b"", as_bytes(value))
    try:
        return binascii.unhexlify(raw)
    except (binascii.Error, ValueError):
        return None


def _bounded(decompressor, data: bytes) -> bytes | None:
    try:
        out = decompressor.decompress(data, MAX_BLOB)
    except (OSError, ValueError, EOFError, lzma.LZMAError, zlib.error):
        return None
    return out if out else None


def _zlib(value) -> bytes | None:
    data = as_bytes(value)
    for wbits in (zlib.MAX_WBITS, zlib.MAX_WBITS | 32, -zlib.MAX_WBITS):
        out = _bounded(zlib.decompressobj(wbits), data)
        if out:
            return out
    return None


def _gzip(value) -> bytes | None:
    return _bounded(zlib.decompressobj(zlib.MAX_WBITS | 16), as_bytes(value))


def _lzma(value) -> bytes | None:
    return _bounded(lzma.LZMADecompressor(), as_bytes(value))


def _bz2(value) -> bytes | None:
    return _bounded(bz2.BZ2Decompressor(), as_bytes(value))


def _rot13(value) -> str | None:
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return codecs.decode(text, "rot13")


# Decoder name (as shown in decode chains) -> function.
DECODERS = {
    "base64": _b64,
    "base32": _b32,
    "base85": _b85,
    "ascii85": _a85,
    "hex": _hex,
    "zlib": _zlib,
    "gzip": _gzip,
    "lzma": _lzma,
    "bz2": _bz2,
    "rot13": _rot13,
}

# codecs.decode(x, NAME) names -> decoder
CODEC_NAMES = {
    "rot13": "rot13", "rot_13": "rot13", "base64": "base64", "base_64": "base64",
    "hex": "hex", "zlib": "zlib", "zip": "zlib", "bz2": "bz2", "hex_codec": "hex",
    "base64_codec": "base64", "zlib_codec": "zlib", "bz2_codec": "bz2",
}


def decode(name: str, value) -> bytes | str | None:
    func = DECODERS.get(name)
    if func is None or value is None:
        return None
    try:
        out = func(value)
    except Exception:  # a decoder must never take the analyser down
        return None
    if out is not None and len(out) > MAX_BLOB:
        return None
    return out


def sniff(data: bytes | str) -> str | None:
    """Which decoder a standalone blob most likely needs, or None."""
    raw = as_bytes(data).strip()
    if len(raw) < 64:
        return None
    if raw[:2] in (b"\x78\x9c", b"\x78\xda", b"\x78\x01"):
        return "zlib"
    if raw[:3] == b"BZh":
        return "bz2"
    if raw[:6] == b"\xfd7zXZ\x00":
        return "lzma"
    if raw[:2] == b"\x1f\x8b":
        return "gzip"
    if _HEX_TEXT.match(raw) and len(re.sub(rb"\s", b"", raw)) % 2 == 0:
        return "hex"
    if _B64_TEXT.match(raw):
        return "base64"
    return None


def looks_like_code(data: bytes | str) -> bool:
    """Whether decoded bytes read as Python source text worth analysing again."""
    if isinstance(data, bytes):
        if b"\x00" in data[:4096]:
            return False
        try:
            text = data[:4096].decode("utf-8")
        except UnicodeDecodeError:
            return False
    else:
        text = data[:4096]
    if not text.strip():
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if printable < 0.95 * len(text):
        return False
    return bool(re.search(r"\b(import|exec|eval|def|print|os\.|subprocess|lambda|for|if)\b|=",
                          text))


def unwrap(data: bytes | str, max_layers: int = 6) -> tuple[bytes | str, tuple[str, ...]]:
    """Peel standalone encodings/compressions off a blob until it stops decoding."""
    chain: list[str] = []
    current = data
    for _ in range(max_layers):
        if looks_like_code(current):
            break
        name = sniff(current)
        if name is None:
            break
        out = decode(name, current)
        if not out or len(out) < 8:
            break
        chain.append(name)
        current = out
    return current, tuple(chain)
