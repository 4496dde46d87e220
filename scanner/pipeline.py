"""One artifact in, one ScanResult out. Every delivery front (CLI, gate, bulk) calls this."""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .analyzers import Analyzer, ArtifactHeader, ArtifactView, Derived, MemberDigest, registered
from .deadline import ScanTimeout, deadline
from .metadata import find_metadata, name_version_from_filename
from .model import (
    Anomaly,
    ArtifactInfo,
    Confidence,
    Context,
    Finding,
    Limits,
    Member,
    MemberType,
    ScanResult,
    Severity,
    Verdict,
    VerdictLevel,
)
from .policy import Policy
from .scoring import Thresholds, score
from .text import escape
from .unpack import Entry, OpenedArtifact, UnreadableArtifact, open_artifact

# Members whose text whole-artifact analysers need, by name.
_TEXT_SUFFIXES = (".py", ".pyw", ".pth", ".cfg", ".toml", ".txt", ".json", ".in", ".sh", ".bat",
                  ".ps1", ".js")
_TEXT_NAMES = frozenset({"PKG-INFO", "METADATA", "RECORD", "WHEEL", "entry_points.txt",
                         "setup.cfg", "pyproject.toml", "top_level.txt"})
MAX_DERIVED_DEPTH = 6


@dataclass(frozen=True)
class ScanOptions:
    """How to scan. ``analyzers`` defaults to every registered analyser."""

    limits: Limits = field(default_factory=Limits)
    thresholds: Thresholds = field(default_factory=Thresholds)
    analyzers: tuple[Analyzer, ...] | None = None
    policy: Policy | None = None  # applied to the findings after every analyser ran


def wants_text(member: Member, data: bytes) -> bool:
    """Whether whole-artifact analysers need this member's bytes kept after the walk."""
    name = member.name
    if name in _TEXT_NAMES or name.endswith(_TEXT_SUFFIXES):
        return True
    return data.startswith(b"#!") and b"python" in data[:128]


def scan(source: str | Path | bytes, options: ScanOptions | None = None, *,
         target: str | None = None, filename: str | None = None) -> ScanResult:
    """Scan one artifact (a path to a file or folder, or the artifact's bytes)."""
    options = options or ScanOptions()
    started = time.perf_counter()
    target = target if target is not None else str(source if not isinstance(source, bytes)
                                                   else filename or "<bytes>")
    try:
        opened = open_for_scan(source, options, filename)
    except UnreadableArtifact as exc:
        return _error_result(target, source, filename, str(exc), started)
    except Exception as exc:  # a bug in the opener must not crash a batch
        return _error_result(target, source, filename,
                             f"internal error while opening: {exc.__class__.__name__}", started)
    findings: list[Finding] = []  # shared so that a timeout keeps what was found before it
    try:
        with deadline(options.limits.timeout_s):
            return _scan_opened(opened, options, target, started, findings)
    except ScanTimeout:
        file_name, file_version, _ = name_version_from_filename(opened.filename)
        info = _info(opened, "unknown", file_name, file_version)
        finding = Finding("limits.timeout", "limits", Severity.MEDIUM, Confidence.HIGH,
                          Context.CONTAINER, f"scan took longer than "
                          f"{options.limits.timeout_s:g} s and was stopped; the artifact was not "
                          "fully analysed")
        kept = tuple(_dedupe(findings)) + (finding,)
        return ScanResult(target, info, score(kept, options.thresholds), kept, None,
                          _elapsed(started))
    except UnreadableArtifact as exc:
        return _error_result(target, source, filename, str(exc), started, opened)


def open_for_scan(source, options: ScanOptions, filename: str | None = None) -> OpenedArtifact:
    """The artifact opened as :func:`scan` opens it (benchmarks/unpack.py measures this call).

    Member sha256 digests only where something needs them: the unpacker hashes a wheel's
    members for its RECORD check by itself; every member is hashed when the policy has allow
    entries, because an entry may name a member's digest. Elsewhere ``MemberDigest.sha256``
    is None (hashing every member is a sixth of unpacking's CPU time).
    """
    policy = options.policy
    return open_artifact(source, options.limits, filename=filename,
                         digest_every_member=policy is not None and bool(policy.allow))


def _scan_opened(opened: OpenedArtifact, options: ScanOptions, target: str,
                 started: float, findings: list[Finding]) -> ScanResult:
    analyzers = options.analyzers if options.analyzers is not None else registered()
    member_analyzers = [a for a in analyzers if a.on_member is not None]
    _, _, tags = name_version_from_filename(opened.filename)
    header = ArtifactHeader(opened.filename, opened.format, tags)
    members: list[Member] = []
    digests: dict[str, MemberDigest] = {}
    texts: dict[str, bytes] = {}
    retained = 0
    derived: list[Derived] = []
    try:
        for entry in opened.entries():
            members.append(entry.member)
            if entry.member.type is MemberType.FILE:
                digests[entry.member.path] = MemberDigest(entry.sha256, entry.read_size,
                                                          entry.complete, entry.format)
            if entry.data is None:
                continue
            if wants_text(entry.member, entry.data):
                if retained + len(entry.data) <= options.limits.retain_text_bytes:
                    texts[entry.member.path] = entry.data
                    retained += len(entry.data)
                elif retained <= options.limits.retain_text_bytes:
                    retained = options.limits.retain_text_bytes + 1
                    opened.anomalies.append(Anomaly(
                        "limits.retained-text", "too much source text to analyse as a whole; "
                        "later files were only content-scanned", entry.member.path,
                        severity=Severity.MEDIUM))
            _run_member(member_analyzers, header, entry, findings, derived)
    except UnreadableArtifact:
        raise
    except ScanTimeout:
        raise
    except Exception as exc:
        return _error_result(target, None, None, f"internal error while reading: "
                             f"{exc.__class__.__name__}: {escape(str(exc), 120)}", started, opened)
    if not members and opened.format != "directory":
        raise UnreadableArtifact("archive has no members")
    kind, sdist_root = classify(opened.format, members, texts)
    metadata = find_metadata(texts, kind, opened.filename)
    wheel_info = _wheel_fields(texts) if kind == "wheel" else {}
    view = ArtifactView(header, kind, metadata, tuple(members), digests, texts,
                        tuple(opened.anomalies), sdist_root, wheel_info)
    for analyzer in analyzers:
        if analyzer.on_artifact is not None:
            _collect(analyzer, lambda a=analyzer: a.on_artifact(view), findings, derived)
    _analyze_derived(member_analyzers, header, derived, findings)
    unique = _dedupe(findings)
    if options.policy is not None:
        unique = options.policy.apply(unique, opened.sha256, digests)
    verdict: Verdict = score(unique, options.thresholds)
    # Chains the scorer recognised are explained by synthetic score.* findings: report them too.
    unique += [r for r in verdict.reasons if r.rule.startswith("score.") and r not in unique]
    info = _info(opened, kind, metadata.name, metadata.version)
    if verdict.level is VerdictLevel.SUSPICIOUS and any(
            f.rule == "container.no-central-directory" and f.path is None for f in unique):
        # No installer can open it, and what could be recovered shows nothing malicious: the
        # honest answer is that it could not be analysed (and a gate must fail closed on it).
        reason = ("not a readable zip archive: no usable central directory (truncated or "
                  "broken); the members recovered from local headers show nothing malicious")
        return ScanResult(target, info, Verdict(VerdictLevel.ERROR, verdict.score,
                                                verdict.reasons), tuple(unique), reason,
                          _elapsed(started))
    return ScanResult(target, info, verdict, tuple(unique), None, _elapsed(started))


def _run_member(member_analyzers: list[Analyzer], header: ArtifactHeader, entry: Entry,
                findings: list[Finding], derived: list[Derived]) -> None:
    for analyzer in member_analyzers:
        _collect(analyzer, lambda a=analyzer: a.on_member(header, entry), findings, derived,
                 entry.member.path)


def _analyze_derived(member_analyzers: list[Analyzer], header: ArtifactHeader,
                     derived: list[Derived], findings: list[Finding]) -> None:
    """Pass decoded payloads through every member analyser, a bounded number of rounds."""
    for _round in range(MAX_DERIVED_DEPTH):
        if not derived:
            return
        batch, derived = derived, []
        for item in batch:
            entry = Entry(Member(item.path, len(item.data), depth=0), item.data, None,
                          len(item.data), True, None)
            produced: list[Finding] = []
            _run_member(member_analyzers, header, entry, produced, derived)
            # A decoded payload runs when its origin runs: inherit the origin's context.
            findings.extend(_with_context(f, item.context) for f in produced)


def _with_context(finding: Finding, context: Context) -> Finding:
    if finding.context in (Context.DATA, Context.CONTAINER):
        return replace(finding, context=context)
    return finding


def _collect(analyzer: Analyzer, call, findings: list[Finding], derived: list[Derived],
             path: str | None = None) -> None:
    """Run one analyser call; its exception becomes a finding and the scan goes on."""
    try:
        for item in call() or ():
            if isinstance(item, Derived):
                derived.append(item)
            else:
                findings.append(item)
    except (ScanTimeout, MemoryError):
        raise
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        findings.append(Finding(
            "scanner.analyzer-error", "scanner", Severity.MEDIUM, Confidence.HIGH,
            Context.CONTAINER, f"analyser '{analyzer.name}' failed with "
            f"{exc.__class__.__name__}; the rest of the scan went on, but this part was not "
            "analysed", path, None,
            escape(f"{exc.__class__.__name__}: {exc} at {Path(where.filename).name}:{where.lineno}",
                   200)))


def classify(fmt: str, members: Iterable[Member],
             texts: dict[str, bytes]) -> tuple[str, str | None]:
    """What kind of artifact the members make: wheel, sdist, egg, zip, tar, file, directory."""
    paths = [m.path for m in members if "!/" not in m.path]
    if fmt == "file":
        return "file", None
    if fmt == "directory":
        return "directory", None
    tops = {p.split("/", 1)[0] for p in paths}
    if fmt == "zip":
        if any(p.count("/") == 1 and p.endswith(".dist-info/WHEEL") for p in paths):
            return "wheel", None
        if "EGG-INFO/PKG-INFO" in paths:
            return "egg", None
    if len(tops) == 1:
        root = next(iter(tops))
        if f"{root}/PKG-INFO" in paths:
            return "sdist", root
    return fmt, None


def _wheel_fields(texts: dict[str, bytes]) -> dict[str, str]:
    for path, data in texts.items():
        if path.count("/") == 1 and path.endswith(".dist-info/WHEEL"):
            fields: dict[str, str] = {}
            for line in data.decode("utf-8", "replace").splitlines():
                key, sep, value = line.partition(":")
                if sep:
                    fields[key.strip()] = (fields[key.strip()] + "," if key.strip() in fields
                                           else "") + value.strip()
            return fields
    return {}


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set = set()
    unique = []
    for f in findings:
        key = (f.rule, f.path, f.line, f.evidence)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _info(opened: OpenedArtifact, kind: str, name: str | None, version: str | None) -> ArtifactInfo:
    return ArtifactInfo(opened.filename, opened.sha256, opened.size, kind, name, version)


def _elapsed(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _error_result(target: str, source, filename: str | None, reason: str, started: float,
                  opened: OpenedArtifact | None = None) -> ScanResult:
    if opened is not None:
        file_name, file_version, _ = name_version_from_filename(opened.filename)
        info = _info(opened, "unknown", file_name, file_version)
    else:
        name = filename or (Path(source).name if isinstance(source, (str, Path)) else "<bytes>")
        size = len(source) if isinstance(source, bytes) else _size(source)
        file_name, file_version, _ = name_version_from_filename(name)
        info = ArtifactInfo(name, _sha256(source), size, "unknown", file_name, file_version)
    verdict = Verdict(VerdictLevel.ERROR, 0.0, ())
    return ScanResult(target, info, verdict, (), reason, _elapsed(started))


def _size(source) -> int:
    try:
        return Path(source).stat().st_size if source is not None else 0
    except OSError:
        return 0


def _sha256(source) -> str | None:
    import hashlib

    try:
        if isinstance(source, bytes):
            return hashlib.sha256(source).hexdigest()
        if source is not None and Path(source).is_file():
            with open(source, "rb") as fp:
                return hashlib.file_digest(fp, "sha256").hexdigest()
    except OSError:
        return None
    return None
