"""Case-insensitive patterns, run faster: split into branches over lower-cased input.

Python's ``re`` loses its literal fast paths under IGNORECASE and in long alternations. The
token pre-pass (bytes) and the string indicators (ASCII text) use this instead.
"""

from __future__ import annotations

import re


def split_alternatives(pattern: bytes) -> list[bytes]:
    """The top-level ``|`` branches of a regular expression."""
    parts: list[bytes] = []
    depth, in_class, escaped, start = 0, False, False, 0
    for i, ch in enumerate(pattern):
        if escaped:
            escaped = False
        elif ch == 0x5C:  # backslash
            escaped = True
        elif in_class:
            in_class = ch != 0x5D  # ]
        elif ch == 0x5B:  # [
            in_class = True
        elif ch == 0x28:  # (
            depth += 1
        elif ch == 0x29:  # )
            depth -= 1
        elif ch == 0x7C and depth == 0:  # |
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def lower_literals(pattern: bytes) -> bytes:
    """Lower-case a pattern's letters but not its escapes (``\\S`` stays ``\\S``)."""
    out = bytearray()
    escaped = False
    for ch in pattern:
        out.append(ch + 32 if not escaped and 65 <= ch <= 90 else ch)
        escaped = not escaped and ch == 0x5C
    return bytes(out)


class Folded:
    """A case-insensitive pattern run as case-sensitive branches over lower-cased text.

    Python's ``re`` loses its literal fast paths under IGNORECASE and in long alternations;
    split and folded, the pre-pass runs about five times faster, with the same answers.
    """

    def __init__(self, pattern: re.Pattern):
        flags = pattern.flags & ~re.IGNORECASE
        source = pattern.pattern
        text = isinstance(source, str)
        if text:
            source = source.encode("utf-8")  # letters are ASCII bytes in UTF-8 too
        self.branches = tuple(
            re.compile(lower_literals(branch).decode("utf-8") if text else
                       lower_literals(branch), flags)
            for branch in split_alternatives(source))

    def search(self, lowered: bytes | str) -> bool:
        """Whether any branch matches; ``lowered`` must be lower-cased ASCII-wise (for
        ``str``, only ASCII text gives the same answers as the IGNORECASE pattern)."""
        return any(branch.search(lowered) for branch in self.branches)
