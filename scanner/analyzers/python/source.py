"""Untrusted bytes -> text, the way the interpreter would read them (PEP 263, BOM)."""

from __future__ import annotations

import codecs
import re

_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def declared_encoding(data: bytes) -> str | None:
    """The PEP 263 declaration on line 1 or 2, if any and if Python knows the codec."""
    for line in data.split(b"\n", 2)[:2]:
        found = _CODING.match(line)
        if found:
            name = found.group(1).decode("ascii", "ignore")
            try:
                return codecs.lookup(name).name
            except LookupError:
                return None
        if line.strip() and not line.lstrip().startswith(b"#"):
            break
    return None


def to_text(data: bytes | str) -> tuple[str, str | None]:
    """(text, problem): decode as Python would; ``problem`` says why the text is unusual."""
    if isinstance(data, str):
        return data, None
    problem = None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    encoding = declared_encoding(data) or "utf-8"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        text = data.decode("utf-8", "replace")
        problem = f"not valid {encoding}"
    if "\x00" in text:
        text = text.replace("\x00", " ")
        problem = problem or "contains NUL bytes"
    return text, problem
