"""Hits + contexts -> Findings, with the rule's severity and confidence for that context."""

from __future__ import annotations

from ...model import Confidence, Context, Finding, Severity
from ...text import escape
from .hits import Hit
from .rules import BY_ID


def severity_of(hit: Hit, context: Context) -> tuple[Severity, Confidence]:
    rule = BY_ID[hit.rule]
    severity, confidence = rule.severity, rule.confidence
    if hit.strong and rule.strong:
        severity, confidence = rule.strong
    if context in rule.by_context:
        severity, confidence = rule.by_context[context]
    if context is Context.RUNTIME and severity > Severity.LOW:
        severity = Severity(max(Severity.LOW, severity - rule.runtime_drop))
    if hit.weak:
        # A lead, not a capability (a bot API's bare base URL, a cloud service's name): it
        # may add to a chain but is never high severity by itself.
        severity, confidence = Severity(min(severity, Severity.MEDIUM)), Confidence.LOW
    if hit.fallback and confidence > Confidence.LOW:
        confidence = Confidence(confidence - 1)
    return severity, confidence


def finding(hit: Hit, context: Context, path: str, chain: tuple[str, ...] = (),
            suffix: str = "") -> Finding:
    rule = BY_ID[hit.rule]
    severity, confidence = severity_of(hit, context)
    prefix = f"[{' → '.join(chain)}] " if chain else ""
    evidence = escape(prefix + hit.evidence[:200] + suffix, 700)
    message = rule.message + (" (found by the token-level fallback scan)" if hit.fallback
                              else "")
    return Finding(rule.id, rule.category, severity, confidence, context, message, path,
                   hit.line, evidence)


def summary(finding_: Finding) -> str:
    """One line naming a finding and where it is; keeps the finding's own ``⇒`` tail so that
    nested payloads show every hop down to the last one."""
    head = f"{finding_.rule} at {finding_.path}:{finding_.line}"
    if " ⇒ " in finding_.evidence:
        return f"{head} ⇒ {finding_.evidence.split(' ⇒ ', 1)[1]}"
    return f"{head}: {finding_.evidence[:100]}"


def rank(finding_: Finding) -> tuple:
    return (finding_.severity, finding_.confidence, " ⇒ " in finding_.evidence)
