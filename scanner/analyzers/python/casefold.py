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


def yara_superset(branch: str) -> str | None:
    r"""A YARA regular expression that matches wherever ``branch`` (a Python one) can start a
    match, so that YARA's fast pass finds every candidate and Python confirms it: look-arounds
    are dropped, inline flag groups become plain groups (case: the caller's YARA string is
    ``nocase`` where the branch ignores case), and ``\s`` takes \x1c-\x1f as Python's does
    in text. None when the branch has a construct this cannot widen safely."""
    out, i, in_class = [], 0, False
    while i < len(branch):
        if not in_class and branch.startswith(("(?<!", "(?<=", "(?!", "(?="), i):
            depth, j = 0, i
            while j < len(branch):  # skip the whole look-around group
                if branch[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(branch[j], 0)
                j += 1
                if depth == 0:
                    break
            i = j
            continue
        if not in_class and branch.startswith(("(?-i:", "(?i:"), i):
            out.append("(")
            i += branch.index(":", i) + 1 - i
            continue
        if not in_class and branch.startswith("(?:", i):
            out.append("(")
            i += 3
            continue
        if not in_class and branch.startswith("(?", i):
            return None
        if branch[i] == "\\":
            escape = branch[i:i + 2]
            if escape == "\\s":  # Python's \s also takes \x1c-\x1f in text; YARA's does not
                escape = "\\s\\x1c-\\x1f" if in_class else "[\\s\\x1c-\\x1f]"
            out.append(escape)
            i += 2
            continue
        if branch[i] == "[" and not in_class:
            in_class = True
        elif branch[i] == "]" and in_class and branch[i - 1] != "[":
            in_class = False
        out.append("\\/" if branch[i] == "/" else branch[i])
        i += 1
    return "".join(out)
