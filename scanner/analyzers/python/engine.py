"""Analysing one Python source: parse (or fall back), resolve contexts, follow payloads.

``Engine`` holds the per-artifact budget for decoded payloads (count and bytes) and the
counter that names virtual members ``path::decoded[n]``. A payload found in a literal is
analysed again with the context of the code that would run it, to ``MAX_DEPTH`` layers; the
finding that led to it gets the worst inner finding appended to its evidence so a report
shows the whole chain (``python -c → base64 → exec → base64 → exec ⇒ secret-to-network``).
"""

from __future__ import annotations

import ast
import hashlib
import re
import sys
from dataclasses import dataclass, field, replace

import libcst as cst

from ...model import Context, Finding, Severity
from ..interface import Derived
from . import decoders, emit, gate, reach, statements, tokens
from .calls import CallWalker
from .flows import PYARMOR_NAMES, combine, runs_obfuscator_runtime
from .hits import MODULE_SCOPE, Hit, ModuleFacts
from .rules import BY_ID
from .source import to_text
from .walker import visit

MAX_DEPTH = 6
MAX_PAYLOADS = 64
MAX_PAYLOAD_BYTES = 32 * 1024 * 1024
MAX_TREE_OPERATORS = 12_000
_EXECUTED = {("exec",), ("eval",), ("compile",), ("python -c",), ("execfile",)}
# Code pushed out of sight behind a run of whitespace: what follows the run must be a statement
# (``;exec(``, ``import``, a call, an assignment), not a wide table cell in a docstring.
_PADDING = re.compile(r"\S[ \t]{150,}(?:[;,]\s*)?(?:import\s|from\s+\S+\s+import\s|exec\(|"
                      r"eval\(|__import__|[A-Za-z_][\w.]*\(|[A-Za-z_]\w*\s*=[^=])|\S[ \t]{150,};")
# Rules that lead into a payload and get the inner chain appended to their evidence.
_LEADS = frozenset({"python.exec.decoded-payload", "python.process.python-c",
                    "python.obfuscation.encoded-code", "python.exec.literal-code",
                    "python.decode.deserialize-blob"})


@dataclass
class Stats:
    files: int = 0
    bytes_total: int = 0
    bytes_tree: int = 0
    fallbacks: int = 0


@dataclass
class Result:
    findings: list[Finding] = field(default_factory=list)
    derived: list[Derived] = field(default_factory=list)
    facts: ModuleFacts | None = None


@dataclass
class Engine:
    stats: Stats = field(default_factory=Stats)
    payloads_left: int = MAX_PAYLOADS
    payload_bytes_left: int = MAX_PAYLOAD_BYTES
    counter: int = 0
    seen: dict = field(default_factory=dict)  # payload digest -> summary of its worst finding

    def analyse(self, data: bytes | str, path: str, role: reach.Role, *,
                chain: tuple[str, ...] = (), depth: int = 0, line_offset: int = 0,
                force_tree: bool = True) -> Result:
        text, problem = to_text(data)
        size = len(data)
        self.stats.files += depth == 0
        self.stats.bytes_total += size if depth == 0 else 0
        if not force_tree and gate.reason(
                data if isinstance(data, bytes) else text.encode("utf-8", "ignore")) is None:
            return Result()
        facts = self._facts(text, problem, line_offset, depth,
                            gate.take_tree(data, text) if isinstance(data, bytes) else None)
        table = reach.contexts(facts, role)
        result = Result(facts=facts)
        if not facts.parsed:
            self.stats.fallbacks += 1
            result.findings.append(emit.finding(
                Hit("python.parse.fallback", line_offset + 1, MODULE_SCOPE,
                    f"not parseable as Python 3 ({facts.reason}); token-level scan used"),
                role.context, path, chain))
        if role.install_hooks:
            self._install_hooks(facts, table, path, result, chain)
        clean_lines: set[int] = set()
        summaries = self._payloads(facts, table, path, role, chain, depth, result, clean_lines)
        for hit in facts.hits:
            if hit.rule == "python.process.python-c" and hit.line in clean_lines:
                hit = replace(hit, strong=False)  # the -c code was read and is harmless
            context = reach.context_of(hit.scope, table)
            if context is Context.RUNTIME and BY_ID[hit.rule].quiet_at_runtime:
                continue
            suffix = ""
            if hit.rule in _LEADS and hit.line in summaries:
                suffix = f" ⇒ {summaries[hit.line]}"
            result.findings.append(emit.finding(hit, context, path, chain, suffix))
        return result

    # ----- parsing -------------------------------------------------------------------------
    def _facts(self, text: str, problem: str | None, line_offset: int, depth: int,
               tree: ast.Module | None = None) -> ModuleFacts:
        """tree: the pre-pass's ``ast`` tree of this text, if it built one."""
        source = text
        if len(text) > statements.BIG_FILE:
            source, kept = statements.reduce_source(text, tree)
        else:
            kept = len(text)
        facts = None
        reason = problem or ""
        operators = sum(map(source.count, "([.,=+-*<"))
        if operators > MAX_TREE_OPERATORS:
            # libcst's cost follows node count; machine-obfuscated code is nearly all nodes.
            reason = reason or f"too dense for the syntax tree ({operators} operators)"
            problem = problem or reason
        if not problem:
            try:
                module = statements.parse_module(source)  # retries mixed tabs as Python 2
                walker = CallWalker(text.splitlines(), line_offset)
                visit(module, walker)
                combine(walker)
                facts = walker.facts
                if depth == 0:
                    self.stats.bytes_tree += kept
            except cst.ParserSyntaxError as exc:
                reason = f"syntax error at line {exc.raw_line}"
            except RecursionError:
                reason = "nesting too deep"
            except (ValueError, TypeError, IndexError, KeyError, AttributeError,
                    UnicodeError, MemoryError) as exc:
                reason = f"{exc.__class__.__name__} while parsing"
        if facts is None:
            # The reduced source (definitions without tokens blanked, lines kept) when there
            # is one: the line scan costs as much per byte as it reads.
            facts = tokens.TokenScan(source if kept < len(text) else text, all_module=True).run()
            facts.parsed = False
            facts.reason = reason
            if line_offset:
                facts.hits = [Hit(h.rule, h.line + line_offset, h.scope, h.evidence, h.fallback,
                                  h.strong) for h in facts.hits]
        marks = tokens.OBFUSCATOR_MARKS.search(text)
        if marks:
            facts.hits.append(Hit("python.obfuscation.commercial",
                                  text.count("\n", 0, marks.start()) + 1 + line_offset,
                                  MODULE_SCOPE, f"obfuscator mark: {marks.group(0)}",
                                  strong="arm" not in marks.group(0).lower() and
                                  "transform" not in marks.group(0).lower(),
                                  # PyArmor named in a module that never runs its runtime.
                                  weak=facts.parsed and bool(PYARMOR_NAMES.search(marks.group(0)))
                                  and not runs_obfuscator_runtime(facts)))
        letters = tokens.lookalike_identifier(text) if not text.isascii() else None
        if letters:
            line, name = letters
            facts.hits.append(Hit("python.obfuscation.unicode-identifiers", line + line_offset,
                                  MODULE_SCOPE, f"look-alike letters: {name[:40]}"))
        arithmetic = text.find(".__str__()[")
        if arithmetic >= 0 and text.count(".__str__()[") >= 3:
            facts.hits.append(Hit("python.obfuscation.char-arithmetic",
                                  text.count("\n", 0, arithmetic) + 1 + line_offset,
                                  MODULE_SCOPE, "names built from characters of builtin reprs: "
                                  + text[arithmetic - 40:arithmetic + 80].strip()))
        for number, line in enumerate(text.splitlines(), 1):
            if len(line) > 150 and _PADDING.search(line):
                facts.hits.append(Hit("python.obfuscation.whitespace-padding",
                                      number + line_offset, MODULE_SCOPE,
                                      line.strip()[:60] + " …[whitespace]… " +
                                      line.strip()[-120:]))
        return facts

    def _install_hooks(self, facts: ModuleFacts, table, path: str, result: Result,
                       chain: tuple[str, ...]) -> None:
        from .names import BUILD_ONLY_COMMANDS

        for cls in sorted(reach.install_classes(facts)):
            bases = facts.class_bases.get(cls, ())
            if all(b.split(".")[-1] in BUILD_ONLY_COMMANDS for b in bases):
                continue
            result.findings.append(emit.finding(
                Hit("python.install.hook", facts.class_lines.get(cls, 1), MODULE_SCOPE,
                    f"class {cls}({', '.join(bases)}) runs during install"),
                Context.INSTALL, path, chain))

    # ----- payloads ------------------------------------------------------------------------
    def _payloads(self, facts: ModuleFacts, table, path: str, role: reach.Role,
                  chain: tuple[str, ...], depth: int, result: Result,
                  clean_lines: set[int]) -> dict[int, str]:
        summaries: dict[int, str] = {}
        base = path.split("::", 1)[0]
        # Executed payloads first: when a blob is reached both as a literal and through
        # exec, the exec route is the one worth reporting.
        ordered = sorted(facts.payloads, key=lambda p: p.chain[-1:] not in _EXECUTED)
        for payload in ordered:
            if self.payloads_left <= 0 or depth >= MAX_DEPTH:
                break
            data = payload.data
            raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
            digest = hashlib.sha256(raw).digest()
            if digest in self.seen:  # the same blob reached twice (literal and exec route)
                if self.seen[digest]:
                    summaries.setdefault(payload.line, self.seen[digest])
                continue
            self.seen[digest] = ""
            if len(raw) > self.payload_bytes_left:
                break
            self.payloads_left -= 1
            self.payload_bytes_left -= len(raw)
            self.counter += 1
            vpath = f"{base}::decoded[{self.counter}]"
            context = reach.context_of(payload.scope, table)
            full_chain = chain + payload.chain
            result.derived.append(Derived(vpath, raw, path, full_chain, context, payload.line))
            if not decoders.looks_like_code(raw):
                continue
            inner_role = reach.Role(context, role.install_hooks, role.main_runs or
                                    context is not Context.RUNTIME)
            inner = self.analyse(raw, vpath, inner_role, chain=full_chain, depth=depth + 1)
            result.findings += inner.findings
            result.derived += inner.derived
            imports = {m.split(".")[0] for m in (inner.facts.imports if inner.facts else ())}
            if not any(f.severity >= Severity.MEDIUM for f in inner.findings) and \
                    imports <= sys.stdlib_module_names:
                # Harmless only if it stays in the standard library: a child interpreter
                # importing the package's own modules is how payloads get a detached process.
                clean_lines.add(payload.line)
            if inner.findings:
                worst = max(inner.findings, key=lambda f: (emit.rank(f), f.path == vpath))
                summaries[payload.line] = emit.summary(worst)
                self.seen[digest] = summaries[payload.line]
        return summaries


def set_recursion_guard() -> None:
    """libcst visitors recurse per nesting level; give hostile nesting some headroom."""
    if sys.getrecursionlimit() < 5000:
        sys.setrecursionlimit(5000)
