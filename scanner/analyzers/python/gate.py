"""The pre-pass that decides which Python files get a libcst tree, in one YARA scan per file.

Most Python in real packages is library code whose capabilities (a ``subprocess.run`` in a CLI
helper, ``os.environ`` read for a proxy setting) sit in function bodies nobody runs at import.
Those produce, at most, runtime findings that the scorer treats as noise, so the tree (about
two orders of magnitude slower than this pass) is spent only where a finding could matter:

- a strong indicator anywhere (``tokens.IND_T``: exfiltration endpoints, hidden builtins,
  credential paths, long encoded literals, whitespace padding) or look-alike letters;
- a capability in module code: a risky call on an unindented line, a capability token inside
  a module-level ``try``/``if``/``with``/``for`` block (checked with ``ast`` in big files, so
  docstrings and wrapped imports do not count), or a bare module-level call of a function or
  class whose definition holds a capability;
- small files (``tokens.SMALL_FILE``) with two capability families anywhere: most malware
  modules are small and split a chain over helper functions, and a small tree is cheap;
- two capabilities that make a chain (exec + decode/network/spawn, spawn + network/decode,
  network + a strong secret source, network + a silent ``except``) *inside one definition*
  (a top-level function or class, or a method). The same pair spread over different
  functions of a big library module makes no flow and only a weak co-occurrence.

Test modules that nothing in the package reaches (``scoring.is_test_code``; see
:mod:`.imported_tests`) never ask this pass: they are test data, which the scorer counts as
data and the content rules read in every member. Files that run at install or start-up never
ask it either: they always get a tree. Measured on the malware set, every
sample whose files this pass turns away keeps its verdict (benchmarks/RESULTS.md).

Speed: YARA finds every candidate token of every family in one pass over the bytes (its
atoms make it run at hundreds of MB/s where Python's ``re`` alternations crawl at ~7); each
candidate is then confirmed with the original Python branch (``Pattern.match`` at the offset,
so look-behinds and case rules stay exactly as written in :mod:`.tokens`).
"""

from __future__ import annotations

import ast
import bisect
import os
import re
import threading
import warnings
from dataclasses import dataclass

import yara

from . import casefold, tokens
from .lines import matches_on_lines

# The families of tokens.py, each a list of regular-expression branches.
_CASE_SENSITIVE = {"exec": tokens.EXEC_T, "decode": tokens.DECODE_T, "spawn": tokens.SPAWN_T,
                   "net": tokens.NET_T}
_CAPABILITIES = tuple(_CASE_SENSITIVE)
_PADDING_BRANCH = rb"[ \t]{150,}\S"  # no useful YARA atom; found with bytes.translate instead
_PADDING = re.compile(_PADDING_BRANCH)
_TAB_TO_SPACE = bytes.maketrans(b"\t", b" ")
_PADDING_RUN = b" " * 150
# Where a definition starts: a top-level def/class/decorator or a method (4-space indent).
_DEFINITION = rb"\n(async def |def |class |@|    def |    async def |    @)"
# Secret and host sources that mean something next to a network call. ``environ`` and
# ``getcwd`` alone do not: every HTTP client reads proxy settings from the environment, every
# CLI resolves paths; environment *dumps* are indicators (tokens.IND_T) anyway.
_STRONG_SOURCE = re.compile(
    tokens.SRC_T.pattern.replace(b"environ|", b"").replace(b"getcwd|", b""), re.IGNORECASE)
_MODULE_TOKENS = (rb"requests\.", rb"urlopen", rb"subprocess\.", rb"os\.system", rb"os\.popen",
                  rb"Popen", rb"socket\.", rb"Thread\(", rb"exec\s*\(", rb"eval\s*\(",
                  rb"shutil\.rmtree", rb"__import__\s*\(", rb"os\.chmod")


def _to_yara(branch: bytes) -> str:
    """The branch as a YARA string that every match of it also matches (constructs YARA lacks
    are widened; every YARA hit is confirmed with the original branch)."""
    # ``(?m:= exec$)``: YARA has no multi-line anchors; keep the part before the anchor.
    text = branch.decode("ascii").replace(r"(?m:", "(?:").replace(r"\s*$)", ")")
    widened = casefold.yara_superset(text)
    if widened is None:
        raise ValueError(f"pre-pass branch YARA cannot widen: {text}")
    return widened


@dataclass(frozen=True)
class _Branch:
    family: str
    exact: re.Pattern  # the branch as tokens.py means it (flags included)
    folded: re.Pattern  # case-insensitive, for the small-file rule (tokens.STRONG is)


def _build() -> tuple[yara.Rules, dict[str, _Branch]]:
    branches: dict[str, _Branch] = {}
    strings: list[str] = []
    families = {**_CASE_SENSITIVE, "src": tokens.SRC_T, "ind": tokens.IND_T}
    for family, pattern in families.items():
        for index, branch in enumerate(casefold.split_alternatives(pattern.pattern)):
            if branch == _PADDING_BRANCH:
                continue
            name = f"${family}_{index}"
            # Environment dumps: indicators for tokens.py, a source next to a sink here.
            kind = "dump" if family == "ind" and b"environ" in branch else family
            branches[name] = _Branch(kind, re.compile(branch, pattern.flags),
                                     re.compile(branch, pattern.flags | re.IGNORECASE))
            strings.append(f"{name} = /{_to_yara(branch)}/ nocase")
    for index, token in enumerate(_MODULE_TOKENS):
        strings.append(f"$mod_{index} = /{token.decode()}/")
    strings.append(f"$def = /{_DEFINITION.decode()}/")
    source = "rule python_gate { strings: " + " ".join(strings) + " condition: any of them }"
    return yara.compile(source=source), branches


RULES, BRANCHES = _build()


@dataclass
class Tokens:
    """Where each family's confirmed tokens are in one file."""

    size: int
    offsets: dict[str, list[int]]  # family -> sorted offsets (exact, case-sensitive sense)
    folded: set[str]  # families present in the case-insensitive sense
    module_tokens: list[int]  # offsets of module-level call candidates (_MODULE_TOKENS)
    definitions: list[int]  # offsets where definitions start

    def has(self, family: str) -> bool:
        return family in self.offsets

    def chunks_with(self, family: str) -> set[int]:
        """Indexes of the definitions (0 = before the first) holding this family."""
        return {bisect.bisect_right(self.definitions, o) for o in self.offsets.get(family, ())}


def scan(data: bytes) -> Tokens | None:
    """Every family's tokens in ``data``; None when YARA cannot say (then ask tokens.py)."""
    try:
        matches = RULES.match(data=data, timeout=10)
    except yara.Error:
        return None
    offsets: dict[str, set[int]] = {}
    folded: set[str] = set()
    module_tokens: list[int] = []
    definitions: list[int] = []
    for match in matches:
        for string in match.strings:
            name = string.identifier
            if name == "$def":
                definitions = sorted(i.offset + 1 for i in string.instances)
                continue
            if name.startswith("$mod_"):
                module_tokens += (i.offset for i in string.instances)
                continue
            branch = BRANCHES[name]
            for instance in string.instances:
                if branch.exact.match(data, instance.offset):
                    offsets.setdefault(branch.family, set()).add(instance.offset)
                    folded.add(branch.family)
                elif branch.family not in folded and branch.folded.match(data, instance.offset):
                    folded.add(branch.family)
    # Only strong sources count as "src" from here on (see _STRONG_SOURCE), and environment
    # dumps (``dict(os.environ)``, an indicator for tokens.py) are one: subprocess calls in
    # big libraries copy the environment all the time; sent to the network, it is a chain.
    strong = {o for o in offsets.pop("src", ()) if _STRONG_SOURCE.match(data, o)}
    strong |= offsets.pop("dump", set())
    folded -= {"src", "dump"}
    if strong:
        offsets["src"] = strong
        folded.add("src")
    return Tokens(len(data), {k: sorted(v) for k, v in offsets.items()}, folded,
                  module_tokens, definitions)


_STRONG_FAMILIES = ("$exec_", "$decode_", "$spawn_", "$net_", "$ind_")


def strong_candidates(data: bytes) -> list[int] | None:
    """Offsets where a branch of ``tokens.STRONG`` may match, case-insensitively (a superset:
    YARA's strings drop look-arounds; whitespace padding, which has no YARA string, is
    added as the start of each run of 150 blanks). None when YARA cannot say."""
    try:
        matches = RULES.match(data=data, timeout=10)
    except yara.Error:
        return None
    found: list[int] = []
    for match in matches:
        for string in match.strings:
            if string.identifier.startswith(_STRONG_FAMILIES):
                found += (i.offset for i in string.instances)
    blanks = data.translate(_TAB_TO_SPACE)
    at = blanks.find(_PADDING_RUN)
    while at >= 0:
        found.append(at)
        after = _NOT_BLANK.search(blanks, at)
        at = -1 if after is None else blanks.find(_PADDING_RUN, after.start())
    found.sort()
    return found


_NOT_BLANK = re.compile(rb"[^ ]")


def _in_module_code(data: bytes, found: Tokens) -> bool:
    """Whether a capability token sits in module code: under an unindented line that is not
    a definition (``try:``/``if``/``with``/``for`` blocks at module level run at import).
    Decoders count only in a file that also execs: decoded data that is never run is data."""
    families = _CAPABILITIES if found.has("exec") else ("exec", "spawn", "net")
    if not any(found.offsets.get(family) for family in families):
        return False
    starts = _top_lines(data)
    for family in families:
        for offset in found.offsets.get(family, ()):
            index = bisect.bisect_right(starts, offset) - 1
            if index < 0 or data.startswith(_DEFINITION_STARTS, starts[index]):
                continue  # the module docstring, or inside a definition
            line = data.rfind(b"\n", 0, offset) + 1
            if not _NOT_CODE.match(data, line):
                # Docstrings, wrapped imports, annotations fool a line test: big files ask
                # ``ast`` whether the token is what module code calls.
                return len(data) <= tokens.SMALL_FILE or \
                    _called_by_module_code(data, found, families)
    return False


def _called_by_module_code(data: bytes, found: Tokens, families: tuple[str, ...]) -> bool:
    """Whether a token of ``families`` is inside the callee expression of a call that module
    code makes (``requests.get`` in ``requests.get(...)``, not ``httpx`` in an annotation)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True  # cannot tell: let the analyser decide (it has a fallback)
    _LAST_TREE.parsed = (data, tree)
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(data)]
    spans: list[tuple[int, int]] = []
    stack = [n for n in tree.body if not isinstance(n, _NOT_MODULE_CODE)]
    while stack:
        node = stack.pop()
        if isinstance(node, _NOT_MODULE_CODE):
            continue  # functions, classes and lambdas defined here do not run here
        if isinstance(node, ast.Call) and node.func.end_lineno is not None:
            func = node.func
            spans.append((line_starts[func.lineno - 1] + func.col_offset,
                          line_starts[func.end_lineno - 1] + (func.end_col_offset or 0)))
        stack += ast.iter_child_nodes(node)
    if not spans:
        return False
    spans.sort()
    starts = [start for start, _ in spans]
    for family in families:
        for offset in found.offsets.get(family, ()):
            index = bisect.bisect_right(starts, offset) - 1
            # Nested calls overlap: look back over the few spans that start before it.
            for start, end in spans[max(0, index - 8):index + 1]:
                if start <= offset < end:
                    return True
    return False


_NEWLINE = re.compile(rb"\n")
# The last ``ast`` tree this pass built, per thread: a big file that gets a syntax tree next
# is cut down with the same ``ast`` tree (statements.reduce_source) instead of a second parse.
_LAST_TREE = threading.local()


def take_tree(data: bytes, text: str) -> ast.Module | None:
    """The ``ast`` tree this pass built for ``data`` (once), if ``text`` is ``data`` read as
    UTF-8: then parsing the text gives the same tree."""
    parsed = getattr(_LAST_TREE, "parsed", None)
    _LAST_TREE.parsed = None
    if parsed is None or parsed[0] is not data or text.encode("utf-8", "surrogatepass") != data:
        return None
    return parsed[1]
_NOT_MODULE_CODE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
                    ast.Import, ast.ImportFrom)


_TOP_LINE = re.compile(rb"(?m)^[^\s#'\")\]}]")
# The same after a line break: a pattern that starts with a literal byte is searched for that
# byte at memory speed, where ``(?m)^`` is tried at every position (7x slower).
_TOP_LINE_AFTER_BREAK = re.compile(rb"\n[^\s#'\")\]}]")


def _top_lines(data: bytes) -> list[int]:
    """Offsets of the unindented lines that are not comments or string/bracket ends."""
    starts = [m.start() + 1 for m in _TOP_LINE_AFTER_BREAK.finditer(data)]
    return [0, *starts] if _TOP_LINE.match(data) else starts
_DEFINITION_STARTS = (b"def ", b"class ", b"async def ", b"@")
_NOT_CODE = re.compile(rb"[ \t]*(?:import\s|from\s|#|['\"])")


def _calls_capability(data: bytes, found: Tokens) -> bool:
    """Whether module code calls a function or class of this file whose definition holds
    exec, spawn or network tokens."""
    small = len(data) <= tokens.SMALL_FILE
    called = _called_by_module_code_names(data, _CALLED_NAME if small else _STATEMENT_CALL)
    if not called:
        return False
    if small:
        # Small files: any call, followed (main() runs helper(), which spawns). In a big
        # library module that reaches most of it (``_client = Client()``): there only
        # statements that are a call (``main()``, ``if os.name == "nt": _load()``) count.
        called = _follow_calls(data, found.definitions, called)
    chunks = found.chunks_with("exec") | found.chunks_with("spawn") | found.chunks_with("net")
    for chunk in chunks:
        if chunk == 0:
            continue  # code before the first definition: module code, not a callee
        named = _DEFINED_NAME.match(data, found.definitions[chunk - 1])
        if named is None or named.group(1) in called:
            return True  # a decorator line or a called definition: follow it
        if named.group(0).startswith(b"    "):
            # A method: the class is what module code would call or instantiate.
            owner = _OWNER.findall(data, 0, found.definitions[chunk - 1])
            if not owner or owner[-1] in called:
                return True
    return False


def _follow_calls(data: bytes, definitions: list[int], called: set[bytes],
                  limit: int = 10_000) -> set[bytes]:
    """``called`` plus every name that the definitions of called names call, transitively
    (``main()`` at module level runs ``helper()``, which spawns)."""
    bounds = definitions + [len(data)]
    spans: dict[bytes, list[tuple[int, int]]] = {}
    for start, end in zip(bounds, bounds[1:]):
        named = _DEFINED_NAME.match(data, start)
        if named is not None:
            spans.setdefault(named.group(1), []).append((start, end))
    frontier = [name for name in called if name in spans]
    while frontier and len(called) < limit:
        for start, end in spans.pop(frontier.pop(), ()):
            for found in _CALLED_NAME.finditer(data, start, end):
                name = found.group(1)
                if name not in called:
                    called.add(name)
                    if name in spans:
                        frontier.append(name)
    return called


def _called_by_module_code_names(data: bytes, pattern: re.Pattern) -> set[bytes]:
    """Names called (``name(``) in module code: unindented lines and the blocks under
    unindented lines that are not definitions (``if os.name == "nt": _load()``)."""
    starts = _top_lines(data) + [len(data)]
    called: set[bytes] = set()
    for start, end in zip(starts, starts[1:]):
        if not data.startswith(_DEFINITION_STARTS, start):
            called.update(m.group(1) for m in pattern.finditer(data, start, end))
    return called


_CALLED_NAME = re.compile(rb"(?<![\w.])([A-Za-z_]\w*)\(")
_STATEMENT_CALL = re.compile(rb"(?m)^[ \t]*([A-Za-z_]\w*)\(")
_DEFINED_NAME = re.compile(rb"(?:    )?(?:async def|def|class) ([A-Za-z_]\w*)")
_OWNER = re.compile(rb"(?m)^class ([A-Za-z_]\w*)")
# tokens.MODULE_LEVEL with the token near the start of the line, module names followed by a
# call, and lines that start a string (documentation) left out: a risky call on an unindented
# line, not "pull requests." in a one-line literal of a megabyte (API specs, tables).
_MODULE_LEVEL_NEAR = re.compile(
    rb"(?m)^(?!import\b|from\b|def\b|class\b|@|#|\s|['\"])[^\n]{0,400}?(?:"
    rb"(?:requests|subprocess|socket)\.\w+\s*\(|urlopen|os\.system|os\.popen|Popen|Thread\(|"
    rb"(?<![.\w])exec\s*\(|(?<![.\w])eval\s*\(|shutil\.rmtree|__import__\s*\(|os\.chmod)")


def _module_level_near(data: bytes, candidates: list[int]) -> bool:
    """``_MODULE_LEVEL_NEAR.search(data)``, asked only of the lines that hold a candidate:
    the YARA strings ``$mod_*`` find every place where one of its alternatives can match, so
    no other line can match."""
    return next(matches_on_lines(data, candidates, _MODULE_LEVEL_NEAR), None) is not None


def _padded(data: bytes) -> bool:
    return _PADDING_RUN in data.translate(_TAB_TO_SPACE) and _PADDING.search(data) is not None


# Pairs of families that make a chain when they sit in one definition (the scorer's chains:
# decode-exec, download-exec, network-process, decode-process, secret-network). A process
# next to the environment is how every build helper runs a compiler, not a chain.
_PAIRS = (("exec", "decode"), ("exec", "net"), ("exec", "spawn"), ("spawn", "net"),
          ("spawn", "decode"), ("net", "src"))


# Benchmarks set DISTSCAN_PREPASS=regex to measure the earlier pre-pass (tokens.needs_tree:
# Python regular expressions, file-level combinations) against this one.
_REGEX_PREPASS = os.environ.get("DISTSCAN_PREPASS") == "regex"


def reason(data: bytes) -> str | None:
    """Why this source needs a syntax tree (a short label), or None when it does not."""
    if _REGEX_PREPASS:
        return "regex pre-pass" if tokens.needs_tree(data) else None
    if not data.isascii() and tokens.may_hold_math_letters(data) and \
            tokens.MATH_LETTERS.search(data.decode("utf-8", "ignore")):
        return "look-alike letters"
    found = scan(data)
    if found is None:
        return "pre-pass fallback" if tokens.needs_tree(data) else None
    if found.has("ind") or _padded(data):
        return "indicator"
    if found.module_tokens and _module_level_near(data, found.module_tokens):
        return "module-level call"
    if _in_module_code(data, found):
        return "capability in module code"
    if len(data) <= tokens.SMALL_FILE and len(found.folded & {*_CAPABILITIES, "src"}) >= 2:
        # Small modules are cheap to parse and where most malware lives: any two
        # capabilities anywhere in the file (helpers split a chain over functions).
        return "small file with two capabilities"
    capabilities = [f for f in _CAPABILITIES if found.has(f)]
    if not capabilities:
        return None
    if _calls_capability(data, found):
        return "module-level call"
    if found.has("decode") and tokens.LONG_LITERAL.search(data):
        return "decoder and long literal"
    for first, second in _PAIRS:
        if found.has(first) and found.has(second) and \
                found.chunks_with(first) & found.chunks_with(second):
            return f"{first} and {second} in one definition"
    if found.has("net") and tokens.EXCEPT_PASS.search(data):
        silent = {bisect.bisect_right(found.definitions, m.start())
                  for m in tokens.EXCEPT_PASS.finditer(data)}
        if silent & found.chunks_with("net"):
            return "network and silent except in one definition"
    return None


def needs_tree(data: bytes) -> bool:
    return reason(data) is not None
