"""The drift signal: what is new in a release, as findings the normal scorer can weigh.

Hijacked releases of trusted projects (ctx, ultralytics, num2words, LiteLLM) add a small loader
to code that was clean the release before. The new code alone may look like what many packages
do; that it is *new* in a project that never did it is the signal. Drift findings carry the
category ``drift``, which the scorer's ``release-drift`` chain joins with the new behaviour in
the same file (or start-up/install phase):

- ``diff.new-behaviour.{startup,install,import}``: a file gained findings (rule and context new
  for that file) of at least medium severity with a real capability (spawn, exec, decode,
  network, secrets, persistence). High when the old release had that capability nowhere in
  that context, medium when it already did it elsewhere. Runtime code (function bodies) gains
  features in every release and gets no drift finding; the report still lists it.
- ``diff.new-pth``: a new ``.pth`` file; high when it has executable ``import`` lines (site.py
  runs them at every interpreter start), low when it only adds paths. ``diff.changed-pth``: an
  existing ``.pth`` gained executable lines.
- ``diff.new-binary`` / ``diff.new-asset``: a new native binary, or a new non-Python executable
  asset (.js, .sh, .ps1 ...). They only run when code runs them, so they weigh little alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..model import Confidence, Context, Finding, ScanResult, Severity, VerdictLevel
from ..policy import Policy
from ..scoring import Thresholds, capabilities, is_test_code, score
from ..text import escape
from .compare import BehaviourGroup, Comparison

DRIFT_CATEGORY = "drift"
# Contexts in which new behaviour runs without anyone calling it.
DRIFT_CONTEXTS = (Context.STARTUP, Context.INSTALL, Context.IMPORT)
_PSEUDO = frozenset({"install", "startup", "drift"})
# Capabilities whose first appearance at start-up, install or import is a hijack's shape.
BEHAVIOUR_CAPABILITIES = frozenset({"process", "exec", "decode", "network", "secret",
                                    "persistence", "shell", "miner", "unreviewable", "write",
                                    "stealth", "drop-site"})
_WHEN = {Context.STARTUP: "at every interpreter start", Context.INSTALL: "at install time",
         Context.IMPORT: "when the package is imported"}


def drift_findings(comparison: Comparison, old_result: ScanResult) -> tuple[Finding, ...]:
    """Drift findings for the new release of ``comparison``."""
    old_caps = _capabilities_by_context(old_result.findings)
    out: list[Finding] = []
    for group in comparison.new_behaviour:
        finding = _behaviour_drift(group, old_caps.get(group.context, frozenset()))
        if finding is not None:
            out.append(finding)
    for entry in comparison.new_pth:
        lines = comparison.new.pth_lines.get(entry.key, ())
        if lines:
            out.append(_drift("diff.new-pth", Severity.HIGH, Confidence.HIGH, Context.STARTUP,
                              "a .pth file new in this release has lines that site.py executes "
                              "at every interpreter start", entry.path, lines[0]))
        else:
            out.append(_drift("diff.new-pth", Severity.LOW, Confidence.MEDIUM, Context.STARTUP,
                              "a .pth file new in this release adds import paths",
                              entry.path, ""))
    for entry in comparison.changed_pth:
        added = sorted(set(comparison.new.pth_lines.get(entry.key, ()))
                       - set(comparison.old.pth_lines.get(entry.key, ())))
        out.append(_drift("diff.changed-pth", Severity.MEDIUM, Confidence.HIGH, Context.STARTUP,
                          "a .pth file gained lines that site.py executes at every interpreter "
                          "start", entry.path, added[0] if added else ""))
    had_binaries = any(e.is_binary for e in comparison.old.files.values())
    for entry in comparison.new_binaries:
        severity = Severity.LOW if had_binaries else Severity.MEDIUM
        out.append(_drift("diff.new-binary", severity, Confidence.MEDIUM, Context.DATA,
                          "a native binary new in this release" + (
                              "" if had_binaries else "; the previous release shipped none"),
                          entry.path, entry.format or ""))
    for entry in comparison.new_assets:
        out.append(_drift("diff.new-asset", Severity.LOW, Confidence.MEDIUM, Context.DATA,
                          "a non-Python executable file (script or bundle) new in this release",
                          entry.path, ""))
    return tuple(out)


def _behaviour_drift(group: BehaviourGroup, old_caps: frozenset[str]) -> Finding | None:
    if group.context not in DRIFT_CONTEXTS or is_test_code(group.path):
        return None
    strong = [f for f in group.findings if f.severity >= Severity.MEDIUM]
    caps = set()
    for f in strong:
        caps |= (capabilities(f) - _PSEUDO) & BEHAVIOUR_CAPABILITIES
    if not caps:
        return None
    novel = sorted(caps - old_caps)
    severity = Severity.HIGH if novel else Severity.MEDIUM
    confidence = Confidence.MEDIUM if group.context is Context.IMPORT else Confidence.HIGH
    where = {"added": "a file new in this release", "renamed": "a renamed file",
             "changed": "a changed file", "unchanged": "an unchanged file"}.get(
        group.file_status, "this file")
    history = (f"the previous release had no {', '.join(novel)} {_WHEN[group.context]}"
               if novel else "the previous release already did this elsewhere")
    rules = [f.rule for f in strong if (capabilities(f) - _PSEUDO) & BEHAVIOUR_CAPABILITIES]
    message = (f"new {_WHEN[group.context]} in {where}: {', '.join(sorted(caps))} "
               f"({', '.join(dict.fromkeys(rules))}); {history}")
    line = min((f.line for f in strong if f.line), default=None)
    return _drift(f"diff.new-behaviour.{group.context}", severity, confidence, group.context,
                  message, group.path, " + ".join(dict.fromkeys(rules)), line)


def _drift(rule: str, severity: Severity, confidence: Confidence, context: Context,
           message: str, path: str | None, evidence: str, line: int | None = None) -> Finding:
    return Finding(rule, DRIFT_CATEGORY, severity, confidence, context, message, path, line,
                   escape(evidence, 200))


def _capabilities_by_context(findings: Iterable[Finding]) -> dict[Context, frozenset[str]]:
    out: dict[Context, set[str]] = {}
    for f in findings:
        if f.severity >= Severity.MEDIUM and not f.rule.startswith("score."):
            out.setdefault(f.context, set()).update(capabilities(f) - _PSEUDO)
    return {context: frozenset(caps) for context, caps in out.items()}


def apply_drift(result: ScanResult, drift: Iterable[Finding],
                thresholds: Thresholds | None = None, policy: Policy | None = None,
                member_digests: dict[str, str] | None = None) -> ScanResult:
    """``result`` re-scored with the drift findings added (the site policy applies to them as
    to every finding). An ``error`` result, or one the policy allowed as a whole, is returned
    as it is; the verdict never drops below the one the release got alone."""
    drift = list(drift)
    if policy is not None:
        drift = [f for f in policy.apply(drift, None, member_digests or {})
                 if not f.rule.startswith("policy.")]
    if (not drift or result.verdict.level is VerdictLevel.ERROR
            or any(f.rule == "policy.allowed-artifact" for f in result.findings)):
        return result
    base = [f for f in result.findings if not f.rule.startswith("score.")]
    findings = base + [d for d in drift if d not in base]
    verdict = score(findings, thresholds or Thresholds())
    if verdict.score < result.verdict.score:
        return result
    findings += [r for r in verdict.reasons if r.rule.startswith("score.") and r not in findings]
    return replace(result, verdict=verdict, findings=tuple(findings))
