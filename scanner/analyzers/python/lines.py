"""Asking a line-anchored pattern only of the lines where something was found.

A multi-line pattern (``(?m)^...``) searched over a whole module is tried at every byte of
it. When a cheaper pass already knows where the lines that can match are (a YARA candidate,
a literal word), matching the pattern at the start of just those lines gives the same
answer at a fraction of the cost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator


def matches_on_lines(data: bytes, offsets: Iterable[int],
                     pattern: re.Pattern) -> Iterator[re.Match]:
    """``pattern.match`` at the start of each line holding one of ``offsets``, each line
    once, in the order of ``offsets`` (file order when they are ascending)."""
    tried: set[int] = set()
    for offset in offsets:
        start = data.rfind(b"\n", 0, offset) + 1
        if start not in tried:
            tried.add(start)
            match = pattern.match(data, start)
            if match is not None:
                yield match


def occurrences(data: bytes, word: bytes) -> Iterator[int]:
    """Offsets of ``word`` in ``data``, ascending."""
    at = data.find(word)
    while at >= 0:
        yield at
        at = data.find(word, at + 1)
