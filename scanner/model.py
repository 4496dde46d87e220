"""The data every part of distscan passes around: members, artifacts, findings, verdicts.

All types are frozen dataclasses so that analyzers, which are pure functions, cannot mutate
what other analyzers see.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """How bad the behaviour is if the finding is right."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self) -> str:
        return self.name.lower()


class Confidence(enum.IntEnum):
    """How sure the rule is that the behaviour is really there."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    def __str__(self) -> str:
        return self.name.lower()


class Context(str, enum.Enum):
    """When the flagged code or content takes effect on a victim's machine."""

    STARTUP = "startup"  # .pth lines run by site.py at every interpreter start
    INSTALL = "install"  # setup.py, build backends, install hooks
    IMPORT = "import"  # module level of a package module
    RUNTIME = "runtime"  # inside functions
    DATA = "data"  # non-code content
    CONTAINER = "container"  # the archive itself (structure, integrity, limits)

    def __str__(self) -> str:
        return self.value


class VerdictLevel(str, enum.Enum):
    CLEAN = "clean"
    SUSPICIOUS = "suspicious"
    MALICIOUS = "malicious"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        return {"clean": 0, "suspicious": 1, "malicious": 2, "error": -1}[self.value]


class MemberType(str, enum.Enum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    DEVICE = "device"
    FIFO = "fifo"
    OTHER = "other"


@dataclass(frozen=True)
class Member:
    """One entry of an artifact.

    path: the member's name as stored (decoded), used in evidence. For members of nested
        archives it is ``outer/inner.zip!/path/in/inner``.
    size: size declared by the container (never trusted for reading).
    type: file, directory, link, device ...
    compressed_size: stored bytes for zip members, else None.
    link_target: target of a symlink or hard link.
    depth: 0 for members of the artifact itself, 1 for members of a nested archive, ...
    """

    path: str
    size: int
    type: MemberType = MemberType.FILE
    compressed_size: int | None = None
    link_target: str | None = None
    depth: int = 0

    @property
    def name(self) -> str:
        """Final path component."""
        return self.path.rsplit("!/", 1)[-1].rsplit("/", 1)[-1]

    @property
    def inner_path(self) -> str:
        """Path inside the innermost archive."""
        return self.path.rsplit("!/", 1)[-1]


@dataclass(frozen=True)
class Finding:
    """One piece of evidence.

    rule: stable dotted id, e.g. ``container.path-traversal``.
    category: what kind of behaviour (execution, network, exfiltration, integrity, ...).
    severity / confidence: see the enums.
    context: when it takes effect.
    path: member path (``None`` for artifact-wide findings).
    line: 1-based line number in that member, when it has one.
    message: why it matters, in one sentence.
    evidence: short escaped snippet with terminal control characters removed.
    """

    rule: str
    category: str
    severity: Severity
    confidence: Confidence
    context: Context
    message: str
    path: str | None = None
    line: int | None = None
    evidence: str = ""

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": str(self.severity),
            "confidence": str(self.confidence),
            "context": str(self.context),
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class ArtifactInfo:
    """What an artifact is, as reported in results.

    kind: wheel, sdist, egg, zip, tar, file, directory or unknown.
    name / version: normalized project name and version (metadata first, then file name).
    """

    filename: str
    sha256: str | None
    size: int
    kind: str = "unknown"
    name: str | None = None
    version: str | None = None

    def to_dict(self) -> dict:
        return {
            "filename": self.filename,
            "sha256": self.sha256,
            "size": self.size,
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
        }


@dataclass(frozen=True)
class Metadata:
    """Core metadata read from METADATA / PKG-INFO / entry_points.txt."""

    name: str | None = None
    version: str | None = None
    summary: str | None = None
    requires: tuple[str, ...] = ()
    entry_points: tuple[tuple[str, str, str], ...] = ()  # (group, name, value)
    raw_name: str | None = None


@dataclass(frozen=True)
class Verdict:
    level: VerdictLevel
    score: float
    reasons: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class ScanResult:
    target: str
    artifact: ArtifactInfo
    verdict: Verdict
    findings: tuple[Finding, ...]
    error: str | None = None
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict:
        return {
            "target": self.target,
            "artifact": self.artifact.to_dict(),
            "verdict": str(self.verdict.level),
            "score": round(self.verdict.score, 1),
            "error": self.error,
            "findings": [f.to_dict() for f in self.findings],
            "reasons": [f.rule for f in self.verdict.reasons],
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


@dataclass
class Limits:
    """Bounds on what one artifact may cost. Sizes count bytes actually produced by
    decompression, never the sizes the container declares. Hitting a limit stops reading
    that part and gives a finding, so the artifact can never come out ``clean``."""

    max_total_bytes: int = 8 * 1024**3
    max_member_bytes: int = 2 * 1024**3
    max_members: int = 200_000
    max_ratio: float = 200.0  # uncompressed / compressed, judged once past ratio_floor_bytes
    # Real packages hold sparse arrays and test data that expand several hundred times (scipy
    # ships 51 KB .npy members of 34 MB); a bomb is about size, so judge ratios only past this.
    ratio_floor_bytes: int = 512 * 1024**2
    max_depth: int = 3
    timeout_s: float = 300.0
    chunk_bytes: int = 1024 * 1024
    # Analysers see at most this many leading bytes of one member; the rest is still read,
    # hashed and checked against RECORD. Members this large are native libraries in practice.
    analysis_window: int = 128 * 1024**2
    retain_text_bytes: int = 256 * 1024**2  # text kept for whole-artifact analysers


@dataclass(frozen=True)
class Anomaly:
    """A container-level problem found while opening; becomes a Finding."""

    rule: str
    message: str
    path: str | None = None
    evidence: str = ""
    severity: Severity = Severity.MEDIUM
    confidence: Confidence = Confidence.HIGH
    category: str = "container"
    extra: dict = field(default_factory=dict, compare=False)
