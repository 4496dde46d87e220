"""Turning untrusted bytes and names into text that is safe to print."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def escape(text: str | bytes, limit: int = 200) -> str:
    """A short, single-line, printable rendering of untrusted content.

    Terminal control characters (ESC sequences, bidi overrides, NUL, ...) are shown as
    ``\\xNN``/``\\uNNNN`` escapes so that evidence can never drive the reader's terminal.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    text = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    text = _CONTROL.sub(lambda m: _escape_char(m.group()), text)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def snippet_at(data: bytes, line: int, limit: int = 200) -> str:
    """The escaped text of 1-based ``line`` in ``data``."""
    lines = data.split(b"\n", line)
    if 0 < line <= len(lines):
        return escape(lines[line - 1].strip(), limit)
    return ""


def line_of(data: bytes, offset: int) -> int:
    """1-based line number of byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1
