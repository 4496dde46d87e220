"""Provisional scorer: findings in, a verdict out.

Each finding weighs severity x confidence x context; the score is the heaviest finding plus a
small, capped share of the next few, so that volume alone cannot make a verdict. Findings
saying the scan was incomplete (limits, analyser errors) keep the verdict from being clean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .model import Confidence, Context, Finding, Severity, Verdict, VerdictLevel

SEVERITY_POINTS = {Severity.INFO: 0.0, Severity.LOW: 4.0, Severity.MEDIUM: 15.0,
                   Severity.HIGH: 45.0, Severity.CRITICAL: 80.0}
CONFIDENCE_FACTOR = {Confidence.LOW: 0.4, Confidence.MEDIUM: 0.7, Confidence.HIGH: 1.0}
CONTEXT_FACTOR = {Context.STARTUP: 1.3, Context.INSTALL: 1.2, Context.IMPORT: 1.0,
                  Context.RUNTIME: 0.7, Context.DATA: 0.6, Context.CONTAINER: 1.0}
INCOMPLETE_PREFIXES = ("limits.", "scanner.")


@dataclass(frozen=True)
class Thresholds:
    suspicious: float = 30.0
    malicious: float = 70.0


def weight(finding: Finding) -> float:
    return (SEVERITY_POINTS[finding.severity] * CONFIDENCE_FACTOR[finding.confidence]
            * CONTEXT_FACTOR[finding.context])


def score(findings: Sequence[Finding], thresholds: Thresholds = Thresholds()) -> Verdict:
    ranked = sorted(findings, key=weight, reverse=True)
    weights = [weight(f) for f in ranked]
    total = 0.0
    if weights:
        total = weights[0] + min(15.0, 0.25 * sum(weights[1:4]))
    total = min(100.0, total)
    level = VerdictLevel.CLEAN
    if total >= thresholds.malicious:
        level = VerdictLevel.MALICIOUS
    elif total >= thresholds.suspicious:
        level = VerdictLevel.SUSPICIOUS
    incomplete = [f for f in ranked if f.rule.startswith(INCOMPLETE_PREFIXES)
                  and f.severity >= Severity.MEDIUM]
    if level is VerdictLevel.CLEAN and incomplete:
        level = VerdictLevel.SUSPICIOUS
        total = max(total, thresholds.suspicious)
    reasons = tuple(f for f, w in zip(ranked, weights) if w > 0)[:3]
    if incomplete and incomplete[0] not in reasons:
        reasons = (incomplete[0],) + reasons[:2]
    return Verdict(level, round(total, 1), reasons)
