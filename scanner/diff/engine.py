"""Diff two releases: scan both, take both inventories, compare, derive drift, re-score."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model import Finding, ScanResult, VerdictLevel
from ..pipeline import ScanOptions, scan
from ..text import escape
from ..unpack import UnreadableArtifact
from .compare import Comparison, compare
from .drift import apply_drift, drift_findings
from .inventory import Inventory, take_inventory


@dataclass(frozen=True)
class Release:
    """One side of a diff: where the artifact is and how to name it in reports."""

    source: str | Path | bytes
    label: str
    filename: str | None = None  # needed when source is bytes


@dataclass(frozen=True)
class ReleaseDiff:
    """old / new: each release scanned alone. result: the new release re-scored with the drift
    findings (equal to ``new`` when there is no usable baseline). comparison is None when
    either side could not be read; ``error`` then says why."""

    old: ScanResult
    new: ScanResult
    result: ScanResult
    comparison: Comparison | None
    drift: tuple[Finding, ...]
    error: str | None = None


def diff_releases(old: Release, new: Release, options: ScanOptions | None = None,
                  old_result: ScanResult | None = None,
                  new_result: ScanResult | None = None) -> ReleaseDiff:
    """Diff ``old`` -> ``new``. Already-made scan results may be passed in to be reused."""
    options = options or ScanOptions()
    old_result = old_result or scan(old.source, options, target=old.label,
                                    filename=old.filename)
    new_result = new_result or scan(new.source, options, target=new.label,
                                    filename=new.filename)
    if new_result.verdict.level is VerdictLevel.ERROR:
        return ReleaseDiff(old_result, new_result, new_result, None, (),
                           f"the new release could not be scanned: {new_result.error}")
    if old_result.verdict.level is VerdictLevel.ERROR:
        return ReleaseDiff(old_result, new_result, new_result, None, (),
                           f"the baseline could not be scanned: {old_result.error}")
    try:
        old_inventory = _inventory(old, options)
        new_inventory = _inventory(new, options)
    except UnreadableArtifact as exc:
        return ReleaseDiff(old_result, new_result, new_result, None, (),
                           f"cannot read an artifact: {escape(str(exc), 200)}")
    comparison = compare(old_inventory, new_inventory, old_result, new_result)
    drift = drift_findings(comparison, old_result)
    digests = {e.path: e.sha256 or "" for e in new_inventory.files.values()}
    result = apply_drift(new_result, drift, options.thresholds, options.policy, digests)
    notes = _mismatches(old_result, new_result)
    if not (old_inventory.complete and new_inventory.complete):
        notes.append("an artifact was not fully read (a reading limit, or an anomaly such as a "
                     "hostile member name): the diff may miss files")
    return ReleaseDiff(old_result, new_result, result, comparison, drift,
                       "; ".join(notes) or None)


def _mismatches(old: ScanResult, new: ScanResult) -> list[str]:
    """What makes the two sides a poor pair: the diff is still made (a look-alike project
    against the original can be worth it), but the reader is told."""
    notes = []
    a, b = old.artifact, new.artifact
    if a.name and b.name and a.name != b.name:
        notes.append(f"these are two different projects ({escape(a.name, 80)} and "
                     f"{escape(b.name, 80)}): most files show as added, removed or renamed")
    if a.kind != b.kind and "unknown" not in (a.kind, b.kind):
        notes.append(f"different kinds of artifact ({a.kind} and {b.kind}): files that only "
                     "one kind carries (PKG-INFO, setup.py, RECORD) show as added or removed")
    return notes


def _inventory(release: Release, options: ScanOptions) -> Inventory:
    return take_inventory(release.source, options.limits, filename=release.filename)
