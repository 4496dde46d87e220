"""Per-statement selection for big files: only statements that may matter reach libcst.

For a large module, ``ast`` (about 14x faster than libcst here) finds the top-level
statements; function and class definitions without a strong token are blanked out (their
lines kept empty so line numbers stay true), while imports, assignments and other module-level
statements are kept because they are short and carry aliases, constants and calls.
"""

from __future__ import annotations

import ast
import bisect
import re
import unicodedata
import warnings
from contextlib import contextmanager

from . import gate
from .tokens import STRONG_FOLDED

BIG_FILE = 16 * 1024
_SPAWNS = re.compile(r"\bsubprocess\.|\bPopen\(|\bos\.(?:system|popen|exec\w*|spawn\w*)\(")


class _Strong:
    """Whether a span of lines holds a strong token (``tokens.STRONG``, case-insensitively).

    The exact test searches every branch of the pattern in the span. For ASCII text, one
    YARA pass over the whole file first says on which lines a token can start (a superset):
    a span without such a line cannot hold one and needs no search.
    """

    def __init__(self, text: str, lines: list[str]):
        self.lines = lines
        self.candidate_lines: list[int] | None = None
        if text.isascii():
            offsets = gate.strong_candidates(text.encode("ascii"))
            if offsets is not None:
                starts, at = [], 0
                for line in lines:
                    starts.append(at)
                    at += len(line)
                self.candidate_lines = [bisect.bisect_right(starts, o) - 1 for o in offsets]

    def in_lines(self, start: int, end: int) -> tuple[bool, str]:
        """(whether lines[start:end] hold a strong token, their text: NFKC-normalised when
        it is not ASCII, as Python reads identifiers)."""
        segment = "".join(self.lines[start:end])
        if self.candidate_lines is not None:
            index = bisect.bisect_left(self.candidate_lines, start)
            if index == len(self.candidate_lines) or self.candidate_lines[index] >= end:
                return False, segment
        if not segment.isascii():
            segment = unicodedata.normalize("NFKC", segment)
        return STRONG_FOLDED.search(segment.encode("utf-8", "ignore").lower()), segment


def _quiet_methods(node: ast.ClassDef, strong: _Strong) -> list[tuple[int, int, str]]:
    """Spans of a class's methods without a strong token, unless blanking them all would
    leave the class body empty (no longer valid Python)."""
    quiet = []
    for method in node.body:
        if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([method.lineno] + [d.lineno for d in method.decorator_list]) - 1
            end = method.end_lineno or method.lineno
            found, segment = strong.in_lines(start, end)
            if not found:
                quiet.append((start, end, segment))
    return quiet if len(quiet) < len(node.body) else []


def reduce_source(text: str, tree: ast.Module | None = None) -> tuple[str, int]:
    """(text with uninteresting definitions blanked, number of characters kept).

    tree: ``ast.parse(text)`` when the caller has it already."""
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return text, len(text)
    lines = text.splitlines(keepends=True)
    strong = _Strong(text, lines)
    keep = [True] * len(lines)
    dropped: list[tuple[int, int, str]] = []
    spawners: set[str] = set()
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        end = (node.end_lineno or node.lineno)
        found, segment = strong.in_lines(start, end)
        if not found:
            dropped.append((start, end, segment))
        elif isinstance(node, ast.FunctionDef) and _SPAWNS.search(segment):
            spawners.add(node.name)
        elif isinstance(node, ast.ClassDef):
            dropped += _quiet_methods(node, strong)  # one method with a token keeps only itself
    # Callers of a module function that starts processes stay: what they pass decides what
    # runs (versioneer's run_command(GITS, ...) is git).
    calls = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(spawners))) + r")\b") \
        if spawners else None
    for start, end, segment in dropped:
        if calls is not None and calls.search(segment):
            continue
        for index in range(start, min(end, len(lines))):
            keep[index] = False
    out = []
    kept = 0
    for line, flag in zip(lines, keep):
        if flag:
            out.append(line)
            kept += len(line)
        else:
            out.append("\n" if line.endswith("\n") else "")
    return "".join(out), kept


_LEADING_TABS = re.compile(r"^[ \t]*\t[ \t]*", re.MULTILINE)


def parse_module(source: str):
    """``libcst.parse_module``, retried once with leading tabs expanded to 8 columns when the
    first attempt fails: Python 2 read mixed tab/space indentation that way, and code written
    for it (or made to look broken) should still get a syntax tree."""
    import libcst as cst

    with _unvalidated(cst.CSTNode):
        try:
            return cst.parse_module(source)
        except cst.ParserSyntaxError:
            if "\t" not in source:
                raise
            return cst.parse_module(_LEADING_TABS.sub(lambda m: m.group(0).expandtabs(8),
                                                      source))


@contextmanager
def _unvalidated(base: type):
    """Build parser output without libcst's per-node ``_validate`` (a fifth of parsing):
    it checks hand-built trees for impossible shapes, and a tree its own parser made from
    source has none. libcst's own comment on ``CSTNode.__post_init__`` suggests the same. The
    hook is restored afterwards, to libcst's own function (not to whatever was there on
    entry: with two threads parsing at once, the second would otherwise "restore" the
    no-op); a tree built meanwhile in another thread merely goes unvalidated, or validated."""
    original = _ORIGINAL_HOOKS.setdefault(base, base.__dict__.get("__post_init__"))
    if original is None or original is _no_validation:  # no hook to skip
        yield
        return
    base.__post_init__ = _no_validation
    try:
        yield
    finally:
        base.__post_init__ = original


def _no_validation(self) -> None:
    return None


_ORIGINAL_HOOKS: dict[type, object] = {}  # libcst's own __post_init__, read on first use
