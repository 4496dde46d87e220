"""Finding, checking and compiling YARA rule folders.

The bundled rules live in ``rules/`` at the top of the repository and ship inside the wheel
as ``scanner/rules``. Users add folders with ``--rules DIR``. Every rule must carry complete
``meta:`` (see :data:`REQUIRED_META`); a rule that does not compile or has bad meta is a
:class:`RuleError` naming the file and line, never skipped.

Compiling costs tens of milliseconds, so a process compiles each distinct set of rule files
once: the cache key is the files' paths and SHA-256 digests, so an edited rule is picked up.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yara

from .model import Confidence, Severity

RULE_SUFFIXES = (".yar", ".yara")
REQUIRED_META = ("id", "category", "severity", "confidence", "description", "reference",
                 "applies_to")
APPLIES_TO = ("code", "text", "binary", "any")
_RULE_ID = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)+$")
_RULE_HEADER = re.compile(r"^\s*(?:(?:private|global)\s+)*rule\s+(\w+)", re.MULTILINE)


class RuleError(Exception):
    """A rule folder that cannot be used: the message names the file and line."""


@dataclass(frozen=True)
class RuleMeta:
    """What one YARA rule declares about itself.

    data_severity: severity when the match is in a non-code member (docs, data); defaults
        to ``severity``. A webhook URL in a README is not the same as one in a module.
    """

    id: str
    name: str
    namespace: str
    category: str
    severity: Severity
    confidence: Confidence
    description: str
    reference: str
    applies_to: str
    data_severity: Severity
    file: str
    line: int


@dataclass(frozen=True)
class RuleSet:
    """Compiled rules plus their meta, keyed by (namespace, rule name)."""

    compiled: yara.Rules
    rules: tuple[RuleMeta, ...]
    files: tuple[str, ...]
    index: dict = field(default_factory=dict, compare=False, repr=False)
    by_kind: dict = field(default_factory=dict, compare=False, repr=False)

    def meta(self, namespace: str, name: str) -> RuleMeta | None:
        return self.index.get((namespace, name))

    def for_kind(self, kind: str) -> yara.Rules:
        """Only the rules that can apply to a member of ``kind`` (code, text, binary).

        A code-only rule can never produce a finding in a shared library, so binaries are
        not searched for its strings: same findings, a fraction of the cost.
        """
        return self.by_kind.get(kind, self.compiled)


_CACHE: dict[tuple, RuleSet] = {}


def bundled_rules_dir() -> Path:
    """The rules shipped with distscan: inside the installed package, else the checkout's."""
    import scanner

    package = Path(scanner.__file__).resolve().parent
    for candidate in (package / "rules", package.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise RuleError(f"bundled YARA rules not found next to {package}")


def rule_files(folder: Path) -> list[Path]:
    """The rule files directly in ``folder`` (fixtures and docs are not rules), sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RuleError(f"{folder}: not a folder of YARA rules")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in RULE_SUFFIXES)


def load(extra_dirs: tuple[str, ...] = (), *, bundled: bool = True) -> RuleSet:
    """Compile the bundled rules plus ``extra_dirs``; cached per process by file digests."""
    folders = ([bundled_rules_dir()] if bundled else []) + [Path(d) for d in extra_dirs]
    files: list[Path] = []
    for folder in folders:
        found = rule_files(folder)
        if not found and folder in map(Path, extra_dirs):
            raise RuleError(f"{folder}: no .yar or .yara files")
        files += found
    contents = [(str(p.resolve()), p.read_bytes()) for p in files]
    key = tuple((path, hashlib.sha256(data).hexdigest()) for path, data in contents)
    cached = _CACHE.get(key)
    if cached is None:
        cached = _compile(contents)
        _CACHE[key] = cached
    return cached


def _compile(contents: list[tuple[str, bytes]]) -> RuleSet:
    namespaces = {f"r{i}_{_stem(path)}": path for i, (path, _) in enumerate(contents)}
    metas: list[RuleMeta] = []
    seen_ids: dict[str, str] = {}
    for namespace, (path, data) in zip(namespaces, contents):
        text = data.decode("utf-8", "replace")
        try:
            single = yara.compile(source=text, includes=False)
        except yara.SyntaxError as exc:
            raise RuleError(_located(path, str(exc))) from None
        except yara.Error as exc:
            raise RuleError(f"{path}: {exc}") from None
        lines = {m.group(1): text.count("\n", 0, m.start()) + 1
                 for m in _RULE_HEADER.finditer(text)}
        for rule in single:
            meta = _meta(rule, namespace, path, lines.get(rule.identifier, 1))
            if meta.id in seen_ids:
                raise RuleError(f"{path}({meta.line}): rule id '{meta.id}' is already used by "
                                f"{seen_ids[meta.id]}")
            seen_ids[meta.id] = f"{path}({meta.line})"
            metas.append(meta)
    try:
        compiled = yara.compile(sources={ns: data.decode("utf-8", "replace")
                                         for ns, (_, data) in zip(namespaces, contents)},
                                includes=False)
    except yara.Error as exc:  # pragma: no cover - each file compiled alone above
        raise RuleError(str(exc)) from None
    by_kind = {kind: _subset(contents, namespaces, metas, kind) or compiled
                for kind in ("code", "text", "binary")}
    return RuleSet(compiled, tuple(metas), tuple(path for path, _ in contents),
                   {(m.namespace, m.name): m for m in metas}, by_kind)


def applies_to_kind(applies_to: str, kind: str) -> bool:
    """Whether a rule declared for ``applies_to`` looks at members of ``kind``."""
    return (applies_to == "any" or applies_to == kind
            or (applies_to == "text" and kind in ("code", "text")))


def _subset(contents: list[tuple[str, bytes]], namespaces: dict[str, str],
            metas: list[RuleMeta], kind: str) -> yara.Rules | None:
    """The rules for one member kind, compiled from the rule blocks' own text.

    Returns None (use every rule) when a file cannot be split safely, for instance when one
    rule refers to another.
    """
    wanted = {(m.namespace, m.name) for m in metas if applies_to_kind(m.applies_to, kind)}
    sources = {}
    for namespace, (_, data) in zip(namespaces, contents):
        split = split_rules(data.decode("utf-8", "replace"))
        if split is None:
            return None
        header, blocks = split
        kept = [text for name, text in blocks if (namespace, name) in wanted]
        if kept:
            sources[namespace] = header + "\n".join(kept)
    if not sources:
        sources = {"empty": "rule distscan_no_rules { condition: false }"}
    try:
        return yara.compile(sources=sources, includes=False)
    except yara.Error:
        return None


def split_rules(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """Split YARA source into its import lines and ``(rule name, rule text)`` blocks.

    Skips braces inside comments, text strings and regular expressions. Returns None when
    the text does not look like plain imports plus rules (includes, odd nesting).
    """
    header_lines = [line for line in text.splitlines() if line.strip().startswith("import ")]
    if "include " in text:
        return None
    blocks: list[tuple[str, str]] = []
    i, n, depth, start, name = 0, len(text), 0, None, None
    previous = ""
    while i < n:
        ch = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return None
            i = end + 2
            continue
        if ch == '"' and depth:
            i = _skip_quoted(text, i, '"')
            continue
        if ch == "/" and depth and previous == "=":
            i = _skip_quoted(text, i, "/")
            continue
        if depth == 0 and start is None:
            match = _RULE_HEADER.match(text, i) if (i == 0 or text[i - 1] == "\n") else None
            if match:
                start, name = i, match.group(1)
                i = match.end()
                continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return None
            if depth == 0 and start is not None:
                blocks.append((name, text[start : i + 1]))
                start = name = None
        if not ch.isspace():
            previous = ch
        i += 1
    if depth != 0 or start is not None:
        return None
    if any(other != own and re.search(rf"\b{re.escape(other)}\b", body.split("condition:")[-1])
           for own, body in blocks for other, _ in blocks):
        return None  # a rule refers to another rule: keep the file whole
    return "".join(line + "\n" for line in header_lines), blocks


def _skip_quoted(text: str, i: int, quote: str) -> int:
    """Index just past the string or regex starting at ``text[i]``."""
    i += 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote or (quote == "/" and text[i] == "\n"):
            return i + 1
        i += 1
    return i


def _stem(path: str) -> str:
    return re.sub(r"\W", "_", Path(path).stem)


def _located(path: str, message: str) -> str:
    """yara says ``line 4: syntax error``; say ``file.yar(4): syntax error``."""
    match = re.match(r"line (\d+): (.*)", message, re.DOTALL)
    if match:
        return f"{path}({match.group(1)}): {match.group(2)}"
    return f"{path}: {message}"


def _meta(rule, namespace: str, path: str, line: int) -> RuleMeta:
    meta = dict(rule.meta)
    where = f"{path}({line}): rule {rule.identifier}"
    missing = [k for k in REQUIRED_META if not str(meta.get(k, "")).strip()]
    if missing:
        raise RuleError(f"{where}: meta is missing {', '.join(missing)}")
    rule_id = str(meta["id"])
    if not _RULE_ID.match(rule_id):
        raise RuleError(f"{where}: meta id '{rule_id}' is not a dotted lowercase id")
    severity = _enum(Severity, meta["severity"], where, "severity")
    data_severity = _enum(Severity, meta.get("data_severity", meta["severity"]), where,
                          "data_severity")
    confidence = _enum(Confidence, meta["confidence"], where, "confidence")
    applies_to = str(meta["applies_to"]).strip().lower()
    if applies_to not in APPLIES_TO:
        raise RuleError(f"{where}: applies_to '{applies_to}' is not one of "
                        f"{', '.join(APPLIES_TO)}")
    return RuleMeta(rule_id, rule.identifier, namespace, str(meta["category"]), severity,
                    confidence, str(meta["description"]), str(meta["reference"]), applies_to,
                    data_severity, path, line)


def _enum(kind, value, where: str, field: str):
    try:
        return kind[str(value).strip().upper()]
    except KeyError:
        choices = ", ".join(str(v) for v in kind)
        raise RuleError(f"{where}: {field} '{value}' is not one of {choices}") from None
