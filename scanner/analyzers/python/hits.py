"""What one pass over a Python source produces, before context and severity are attached."""

from __future__ import annotations

from dataclasses import dataclass, field

MODULE_SCOPE = "<module>"
MAIN_SCOPE = "<main>"


@dataclass(frozen=True)
class Hit:
    """A rule matched at a place.

    scope: the function key (``Class.method``), ``<module>`` or ``<main>``; context is
        resolved from it once the whole module's call graph is known.
    evidence: raw text (escaped when the finding is made).
    fallback: found by the token-level scan, not the syntax tree (lower confidence).
    """

    rule: str
    line: int
    scope: str
    evidence: str
    fallback: bool = False
    strong: bool = False  # the rule's stronger variant (e.g. direct data flow, not co-occurrence)
    weak: bool = False  # loose evidence (ends in different functions): lowest confidence


@dataclass(frozen=True)
class Payload:
    """Code found inside a literal (decoded blob, ``-c`` argument, exec'd string)."""

    data: bytes | str
    chain: tuple[str, ...]
    line: int
    scope: str


@dataclass
class ModuleFacts:
    """Everything one pass learns about a module besides hits."""

    hits: list[Hit] = field(default_factory=list)
    payloads: list[Payload] = field(default_factory=list)
    edges: dict[str, set[str]] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)
    class_bases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    class_lines: dict[str, int] = field(default_factory=dict)
    roots: set[str] = field(default_factory=set)  # scopes that run like module code (atexit...)
    imports: set[str] = field(default_factory=set)  # imported module names (absolute)
    relative_imports: set[str] = field(default_factory=set)
    parsed: bool = True
    reason: str = ""

    def edge(self, caller: str, callee: str) -> None:
        self.edges.setdefault(caller, set()).add(callee)
