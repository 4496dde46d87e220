"""SARIF 2.1.0 output (``--format sarif``) for GitHub code scanning and other SARIF viewers.

One run. Rules carry the catalogue's descriptions (the Python analyser's rule table, the YARA
rules' meta) or, for rules without a catalogue entry, the first finding's message. Every
finding is a result; an artifact that could not be scanned is a result of the synthetic rule
``distscan.not-scanned``, so that it cannot pass unnoticed.

Locations: an artifact is not a source file in the repository, so a finding's URI is the
artifact's relative path (or its file name when the target is absolute or remote) followed by
the member path, e.g. ``dist/pkg-1.0.tar.gz/pkg-1.0/setup.py``; the target as named, the
artifact's sha256 and its verdict are in the result's properties. Lines are 1-based and at
least 1 (artifact-wide findings point at line 1).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from .. import __version__
from ..model import Finding, ScanResult, Severity, VerdictLevel
from ..text import escape
from .jsonout import summary

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://distscan.invalid/"  # the project has no public home yet
NOT_SCANNED = "distscan.not-scanned"
# GitHub ranks security alerts by this rule property (CVSS-like, 0.0-10.0).
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                      Severity.LOW: "3.0", Severity.INFO: "1.0"}


@dataclass(frozen=True)
class RuleText:
    short: str
    full: str
    help_uri: str | None = None
    category: str | None = None


def level(severity: Severity) -> str:
    if severity >= Severity.HIGH:
        return "error"
    if severity == Severity.MEDIUM:
        return "warning"
    return "note"


def rule_catalogue() -> dict[str, RuleText]:
    """Descriptions of the rules that have them: Python analyser rules and content rules."""
    from ..analyzers.python.rules import RULES
    from ..cli_rules import all_rules
    from ..rulesets import RuleError, load

    catalogue = {r.id: RuleText(_sentence(r.message), f"{_sentence(r.message)} Category: "
                                f"{r.category}; default severity {r.severity}, confidence "
                                f"{r.confidence}.", None, r.category) for r in RULES}
    try:
        metas = all_rules(load())
    except RuleError:
        metas = []
    for m in metas:
        uri = m.reference if m.reference.startswith(("https://", "http://")) else None
        catalogue[m.id] = RuleText(_sentence(m.description),
                                   f"{_sentence(m.description)} Reference: {m.reference}.",
                                   uri, m.category)
    catalogue[NOT_SCANNED] = RuleText(
        "The artifact could not be scanned.",
        "distscan could not analyse this artifact (unreadable, over a limit, a failed "
        "download or hash check): nothing is known about what it does.", None, "integrity")
    return catalogue


def _safe(text: str) -> str:
    """Messages quote artifacts (member names, error details): no control characters, which
    SARIF viewers that print to a terminal would pass on."""
    return escape(text, 4000)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def artifact_uri(result: ScanResult) -> str:
    """A relative URI for the artifact: its path when that is relative and stays inside the
    working tree, else its file name."""
    target = result.target
    path = PurePosixPath(target.replace("\\", "/"))
    if (":" in target or path.is_absolute() or ".." in path.parts or not path.parts):
        return _quote(result.artifact.filename or path.name or "artifact")
    return _quote(str(path))


def _quote(path: str) -> str:
    # Member names are attacker-chosen: no absolute paths or ".." segments survive.
    parts = [p if p not in ("..", ".") else "_" for p in path.split("/") if p]
    return quote("/".join(parts) or "artifact", safe="/!@+,;=-._~")


def _location(result: ScanResult, finding: Finding | None) -> dict:
    uri = artifact_uri(result)
    if finding is not None and finding.path:
        uri = f"{uri}/{_quote(finding.path)}"
    line = finding.line if finding is not None and finding.line and finding.line > 0 else 1
    return {"physicalLocation": {"artifactLocation": {"uri": uri},
                                 "region": {"startLine": line}}}


def _fingerprint(result: ScanResult, rule: str, finding: Finding | None) -> str:
    identity = result.artifact.sha256 or result.artifact.filename or result.target
    facts = [rule, identity, finding.path if finding else None,
             finding.line if finding else None, finding.evidence if finding else None]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:32]


def _artifact_properties(result: ScanResult) -> dict:
    art = result.artifact
    return {"target": result.target, "artifact": art.filename, "sha256": art.sha256,
            "kind": art.kind, "name": art.name, "version": art.version,
            "verdict": str(result.verdict.level), "score": round(result.verdict.score, 1)}


def _results_for(result: ScanResult, rule_index: dict[str, int]) -> list[dict]:
    shared = _artifact_properties(result)
    decisive = set(result.verdict.reasons)
    out = []
    if result.verdict.level is VerdictLevel.ERROR:
        out.append({
            "ruleId": NOT_SCANNED, "ruleIndex": rule_index[NOT_SCANNED], "level": "error",
            "message": {"text": _safe(f"{artifact_uri(result)} could not be scanned: "
                                      f"{result.error or 'unknown reason'}")},
            "locations": [_location(result, None)],
            "partialFingerprints": {"distscanFinding/v1": _fingerprint(result, NOT_SCANNED,
                                                                        None)},
            "properties": shared})
    for finding in result.findings:
        text = _sentence(finding.message)
        if finding.evidence:
            text += f" Evidence: {finding.evidence}"
        text = _safe(text)
        out.append({
            "ruleId": finding.rule, "ruleIndex": rule_index[finding.rule],
            "level": level(finding.severity),
            "message": {"text": text},
            "locations": [_location(result, finding)],
            "partialFingerprints": {"distscanFinding/v1": _fingerprint(result, finding.rule,
                                                                        finding)},
            "properties": {**shared, "severity": str(finding.severity),
                           "confidence": str(finding.confidence),
                           "context": str(finding.context), "category": finding.category,
                           "member": finding.path, "decisive": finding in decisive}})
    return out


def _rule(rule_id: str, text: RuleText, example: Finding | None) -> dict:
    severity = example.severity if example is not None else Severity.HIGH
    category = text.category or (example.category if example is not None else "general")
    descriptor = {"id": rule_id, "shortDescription": {"text": text.short},
                  "fullDescription": {"text": text.full},
                  "help": {"text": text.full},
                  "defaultConfiguration": {"level": level(severity)},
                  "properties": {"tags": ["security", category],
                                 "security-severity": _SECURITY_SEVERITY[severity]}}
    if text.help_uri:
        descriptor["helpUri"] = text.help_uri
    return descriptor


def document(results: Sequence[ScanResult]) -> dict:
    catalogue = rule_catalogue()
    examples: dict[str, Finding | None] = {}
    for result in results:
        if result.verdict.level is VerdictLevel.ERROR:
            examples.setdefault(NOT_SCANNED, None)
        for finding in result.findings:
            examples.setdefault(finding.rule, finding)
    rule_ids = sorted(examples)
    rule_index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules = []
    for rule_id in rule_ids:
        example = examples[rule_id]
        text = catalogue.get(rule_id) or RuleText(_safe(_sentence(example.message)),
                                                  _safe(_sentence(example.message)))
        rules.append(_rule(rule_id, text, example))
    errors = [r for r in results if r.verdict.level is VerdictLevel.ERROR]
    run = {
        "tool": {"driver": {"name": "distscan", "version": __version__,
                            "semanticVersion": __version__, "informationUri": INFORMATION_URI,
                            "rules": rules}},
        "invocations": [{
            "executionSuccessful": not errors,
            "toolExecutionNotifications": [
                {"level": "error",
                 "message": {"text": _safe(f"{artifact_uri(r)}: "
                                           f"{r.error or 'could not be scanned'}")}}
                for r in errors]}],
        "results": [item for result in results for item in _results_for(result, rule_index)],
        "properties": {"summary": summary(results),
                       "artifacts": [_artifact_properties(r) for r in results]},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(results: Sequence[ScanResult]) -> str:
    return json.dumps(document(results), indent=2, ensure_ascii=True) + "\n"
