"""Content rules: every member's bytes, and every decoded payload, through one YARA pass.

The rules are data (``rules/*.yar``, see :mod:`scanner.rulesets`); this module only decides
what a match means for a given member: whether the rule applies to that kind of member
(``applies_to``), how severe it is there (``data_severity`` for non-code members) and when
the content takes effect (its :class:`Context`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import lru_cache

import yara

from ..model import Confidence, Context, Finding, Severity
from ..reuse import ContentCache
from ..rulesets import RuleMeta, RuleSet, applies_to_kind, load
from ..text import escape, line_of
from ..unpack import Entry, detect
from .interface import Analyzer, ArtifactHeader

TIMEOUT_RULE = "limits.content-scan-timeout"
MIN_BYTES = 8  # nothing shorter can hold an indicator worth a rule
TIMEOUT_S = 10  # per member; a member that takes longer is reported, never silently skipped
EVIDENCE_CHARS = 160

_PYTHON_SUFFIXES = (".py", ".pyw", ".pth")
_SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".bat", ".cmd", ".ps1", ".psm1", ".js", ".mjs",
                    ".cjs", ".vbs", ".rb", ".pl", ".pyx")
_TEXT_SUFFIXES = (".txt", ".md", ".rst", ".json", ".toml", ".cfg", ".ini", ".yaml", ".yml",
                  ".csv", ".html", ".htm", ".css", ".xml", ".svg", ".in", ".pyi", ".ipynb",
                  ".tmpl", ".conf", ".service", ".desktop")


@dataclass(frozen=True)
class MemberKind:
    """What the content rules need to know about one member.

    kind: code, text or binary (``applies_to`` is matched against it).
    context: when its content takes effect, as far as a content rule can tell.
    """

    kind: str
    context: Context

    @property
    def is_code(self) -> bool:
        return self.kind == "code"


def member_kind(path: str, data: bytes, fmt: str | None, wheel: bool = False) -> MemberKind:
    """Classify a member by its name and first bytes.

    Derived items (``x.py::decoded[1]``) are decoded payloads: code, with DATA context that
    the pipeline replaces by their origin's context.
    """
    inner = path.rsplit("!/", 1)[-1]
    name = inner.rsplit("/", 1)[-1].lower()
    if "::" in inner:
        return MemberKind("code", Context.DATA)
    if name.endswith(".pth"):
        return MemberKind("code", Context.STARTUP)
    if name == "setup.py" and not wheel and inner.count("/") <= 1 and "!/" not in path:
        return MemberKind("code", Context.INSTALL)
    if name.endswith(_PYTHON_SUFFIXES) or fmt == detect.PYC:
        return MemberKind("code", Context.RUNTIME)
    if name.endswith(_SCRIPT_SUFFIXES) or data.startswith(b"#!"):
        return MemberKind("code", Context.DATA)
    if fmt is not None:
        return MemberKind("binary", Context.DATA)
    if name.endswith(_TEXT_SUFFIXES) or b"\x00" not in data[:4096]:
        return MemberKind("text", Context.DATA)
    return MemberKind("binary", Context.DATA)


def content_findings(ruleset: RuleSet, path: str, data: bytes, fmt: str | None = None,
                     timeout: int = TIMEOUT_S, wheel: bool = False,
                     kind: MemberKind | None = None) -> list[Finding]:
    """Findings for one member's bytes: one per matching rule, at its first match.

    wheel: the member is in a wheel, where no setup.py runs at install time.
    kind: ``member_kind(path, data, fmt, wheel)`` when the caller has it.
    """
    if len(data) < MIN_BYTES:
        return []
    kind = kind or member_kind(path, data, fmt, wheel)
    try:
        matches = ruleset.for_kind(kind.kind).match(data=data, timeout=timeout)
    except yara.TimeoutError:
        return [Finding(TIMEOUT_RULE, "limits", Severity.MEDIUM, Confidence.HIGH,
                        Context.CONTAINER, f"content rules took longer than {timeout} s on this "
                        "member and were stopped; it was not fully scanned", path)]
    findings = long_literal_findings(path, data, kind.context) if kind.is_code else []
    for match in matches:
        meta = ruleset.meta(match.namespace, match.rule)
        if meta is None or not applies_to_kind(meta.applies_to, kind.kind):
            continue
        findings.append(_finding(meta, match, kind, path, data))
    return findings


# Checks that YARA cannot do fast: they carry the same meta and fixtures as the .yar rules.
HIGH_ENTROPY_LITERAL = RuleMeta(
    id="content.obfuscation.high-entropy-literal", name="high_entropy_literal",
    namespace="builtin", category="obfuscation", severity=Severity.LOW,
    confidence=Confidence.LOW,
    description="Code holds a long (512+ characters) base64/base85-like string literal with "
    "high entropy: an encoded or encrypted payload unless it is an embedded asset",
    reference="THREATS.md techniques 3 and 6", applies_to="code",
    data_severity=Severity.INFO, file="scanner/analyzers/yara_rules.py (built-in)", line=1)
BUILTIN_RULES = (HIGH_ENTROPY_LITERAL,)

LITERAL_MIN = 512
ENTROPY_MIN = 5.2  # bits per char; English text ~4.2, base64 of random bytes ~6.0
_LITERAL_CHARS = (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-=")
# Map literal characters to "A" and everything else to " ", so that a run of literal
# characters is a run of "A": bytes.translate + bytes.find scan at memory speed, where a
# regex (or a YARA string without a good atom) tries every quote in the file.
_RUN_TABLE = bytes(ord("A") if bytes([b]) in _LITERAL_CHARS and b else ord(" ")
                   for b in range(256))
_RUN = b"A" * LITERAL_MIN
_QUOTES = b"\"'"


def long_literal_findings(path: str, data: bytes,
                          context: Context = Context.RUNTIME) -> list[Finding]:
    """The first long, high-entropy quoted literal in a code member, if any."""
    if len(data) < LITERAL_MIN:
        return []
    runs = data.translate(_RUN_TABLE)
    pos = runs.find(_RUN)
    while pos >= 0:
        end = runs.find(b" ", pos + LITERAL_MIN)
        end = len(data) if end < 0 else end
        if pos > 0 and data[pos - 1] in _QUOTES:
            sample = data[pos : min(end, pos + 8192)]
            if entropy(sample) >= ENTROPY_MIN:
                meta = HIGH_ENTROPY_LITERAL
                return [Finding(meta.id, meta.category, meta.severity, meta.confidence,
                                context,
                                f"{meta.description} ({end - pos} characters)", path,
                                line_of(data, pos), escape(data[pos : pos + 80], 100))]
        pos = runs.find(_RUN, end)
    return []


def entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte."""
    import math

    total = len(data)
    if not total:
        return 0.0
    counts = [data.count(bytes([b])) for b in set(data)]
    return -sum(c / total * math.log2(c / total) for c in counts)


def _finding(meta: RuleMeta, match, kind: MemberKind, path: str, data: bytes) -> Finding:
    offset, snippet, count = _first_instance(match)
    severity = meta.severity if kind.is_code else meta.data_severity
    line = line_of(data, offset) if offset is not None and kind.kind != "binary" else None
    more = f" ({count} matches)" if count > 1 else ""
    return Finding(meta.id, meta.category, severity, meta.confidence, kind.context,
                   meta.description + more, path, line, escape(snippet, EVIDENCE_CHARS))


def _first_instance(match) -> tuple[int | None, bytes, int]:
    first = None
    count = 0
    for string in match.strings:
        for instance in string.instances:
            count += 1
            if first is None or instance.offset < first.offset:
                first = instance
    if first is None:
        return None, b"", 0
    return first.offset, first.matched_data[:EVIDENCE_CHARS], count


@dataclass(frozen=True)
class ContentRules:
    """The member hook: picklable, holding only the folders to load (compiled per process)."""

    extra_dirs: tuple[str, ...] = ()

    def __call__(self, header: ArtifactHeader, entry: Entry) -> list[Finding]:
        data, path = entry.data, entry.member.path
        if data is None or len(data) < MIN_BYTES:
            return []
        wheel = bool(header.wheel_tags)
        if not REUSE_ENABLED:
            return content_findings(ruleset_for(self.extra_dirs), path, data, entry.format,
                                    wheel=wheel)
        # What a member's findings depend on: its bytes, what kind of member its name and
        # format make it, and the rule files. The walk's digest is of every byte read, which
        # is ``data`` only when the read was whole.
        digest = entry.sha256 if (isinstance(entry.sha256, bytes) and entry.complete
                                  and entry.read_size == len(data)) \
            else hashlib.sha256(data).digest()
        kind = member_kind(path, data, entry.format, wheel)
        key = (digest, kind, self.extra_dirs)
        reused = _REUSE.get(key)
        if reused is not None:
            return [replace(f, path=path) for f in reused]
        findings = content_findings(ruleset_for(self.extra_dirs), path, data, entry.format,
                                    wheel=wheel, kind=kind)
        if not any(f.rule == TIMEOUT_RULE for f in findings):  # a timeout may not recur
            _REUSE.put(key, tuple(findings), REUSE_MAX_ENTRIES)
        return findings


# Findings of members already scanned in this process, by content (see scanner.reuse): the
# wheels and sdist of a release share most files. The benchmark turns reuse off to report
# the speed without it as well.
_REUSE = ContentCache()
REUSE_ENABLED = True
REUSE_MAX_ENTRIES = 100_000


def clear_reuse() -> None:
    _REUSE.clear()


@lru_cache(maxsize=8)
def ruleset_for(extra_dirs: tuple[str, ...]) -> RuleSet:
    """The compiled rules for one configuration, looked up once per process.

    :func:`scanner.rulesets.load` reads and hashes the rule files on every call (so that a
    changed file is recompiled); a scan must not pay that for every member.
    """
    return load(extra_dirs)


NAME = "content-rules"
ANALYZER = Analyzer(NAME, on_member=ContentRules(),
                    description="YARA content rules over every member and decoded payload")


def with_rule_dirs(analyzers: tuple[Analyzer, ...],
                   extra_dirs: tuple[str, ...]) -> tuple[Analyzer, ...]:
    """The same analysers, with the content rules also loading ``extra_dirs``."""
    if not extra_dirs:
        return analyzers
    configured = Analyzer(NAME, on_member=ContentRules(tuple(str(d) for d in extra_dirs)),
                          description=ANALYZER.description)
    return tuple(configured if a.name == NAME else a for a in analyzers)
