"""A site policy (TOML): verdict thresholds, disabled rules, severity overrides, and allow entries
keyed on exact content (the sha256 of an artifact or of one member), each with a reason.

An allow entry never keys on a package name alone: names are claims anyone can make, digests
are not. The policy is applied to the findings after every analyser ran, before scoring.

Format::

    [thresholds]            # optional; defaults in scanner.scoring.Thresholds
    suspicious = 30
    malicious = 70

    [rules]
    disable = ["binary.pe.*", "python.capability.clipboard"]   # exact ids or fnmatch globs
    severity = { "content.high-entropy" = "low" }                # info|low|medium|high|critical

    [[allow]]
    sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    reason = "debugpy attach DLL, reviewed by security@ 2026-11-02"
    name = "debugpy"        # optional, informative; never matched on its own
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .model import Confidence, Context, Finding, Severity
from .scoring import Thresholds

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_RULE = re.compile(r"^[a-z0-9_*?\[\]-]+(\.[a-z0-9_*?\[\]-]+)*$")
_TOP_KEYS = {"thresholds", "rules", "allow"}
_THRESHOLD_KEYS = {f.name for f in fields(Thresholds)}


class PolicyError(ValueError):
    """The policy file cannot be read or says something invalid."""


@dataclass(frozen=True)
class AllowEntry:
    """Exact content vouched for by a person. sha256 is lowercase hex."""

    sha256: str
    reason: str
    name: str | None = None


@dataclass(frozen=True)
class Policy:
    thresholds: Thresholds = field(default_factory=Thresholds)
    disabled: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    allow: tuple[AllowEntry, ...] = ()
    source: str = "<policy>"

    def is_disabled(self, rule: str) -> bool:
        return any(fnmatch.fnmatchcase(rule, pattern) for pattern in self.disabled)

    def severity_for(self, rule: str) -> Severity | None:
        for pattern, severity in self.severity:
            if fnmatch.fnmatchcase(rule, pattern):
                return severity
        return None

    def apply(self, findings: Iterable[Finding], artifact_sha256: str | None,
              member_digests: Mapping[str, object]) -> list[Finding]:
        """Findings with the policy applied: disabled rules dropped, severities overridden,
        findings in allowed members dropped, and everything replaced by one note when the whole
        artifact is allowed. Each allow that took effect leaves an info ``policy.*`` finding."""
        by_digest = {entry.sha256: entry for entry in self.allow}
        artifact_entry = by_digest.get((artifact_sha256 or "").lower())
        if artifact_entry is not None:
            return [_note("policy.allowed-artifact", artifact_entry, None,
                          "the artifact is allowed by policy")]
        allowed_members: dict[str, AllowEntry] = {}
        for path, digest in member_digests.items():
            raw = getattr(digest, "sha256", digest)
            hexdigest = raw.hex() if isinstance(raw, bytes) else str(raw or "")
            if hexdigest in by_digest:
                allowed_members[path] = by_digest[hexdigest]
        out: list[Finding] = []
        noted: set[str] = set()
        for finding in findings:
            if self.is_disabled(finding.rule):
                continue
            origin = (finding.path or "").split("::", 1)[0]
            if origin in allowed_members:
                if origin not in noted:
                    noted.add(origin)
                    out.append(_note("policy.allowed-member", allowed_members[origin], origin,
                                     "findings in this member are allowed by policy"))
                continue
            override = self.severity_for(finding.rule)
            if override is not None and override is not finding.severity:
                finding = replace(finding, severity=override)
            out.append(finding)
        return out


def _note(rule: str, entry: AllowEntry, path: str | None, message: str) -> Finding:
    return Finding(rule, "policy", Severity.INFO, Confidence.HIGH, Context.CONTAINER,
                   f"{message}: {entry.reason}", path, None, f"sha256={entry.sha256}")


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; every problem is a :class:`PolicyError`."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {str(path)!r}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"policy file {str(path)!r} is not valid TOML: {exc}") from None
    return parse_policy(data, str(path))


def parse_policy(data: Mapping, source: str = "<policy>") -> Policy:
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise PolicyError(f"{source}: unknown section(s) {', '.join(sorted(unknown))}; "
                          f"expected {', '.join(sorted(_TOP_KEYS))}")
    thresholds = _thresholds(_table(data, "thresholds", source), source)
    rules = _table(data, "rules", source)
    extra = set(rules) - {"disable", "severity"}
    if extra:
        raise PolicyError(f"{source}: unknown key(s) in [rules]: {', '.join(sorted(extra))}")
    disabled = rules.get("disable", [])
    if not isinstance(disabled, list) or not all(isinstance(r, str) for r in disabled):
        raise PolicyError(f"{source}: rules.disable must be a list of rule ids")
    for rule in disabled:
        _check_rule(rule, source)
    severity_table = rules.get("severity", {})
    if not isinstance(severity_table, dict):
        raise PolicyError(f"{source}: rules.severity must be a table of rule id = level")
    severity = []
    for rule, level in severity_table.items():
        _check_rule(rule, source)
        try:
            severity.append((rule, Severity[str(level).upper()]))
        except KeyError:
            raise PolicyError(f"{source}: severity {level!r} for {rule!r} is not one of "
                              "info, low, medium, high, critical") from None
    allow_list = data.get("allow", [])
    if not isinstance(allow_list, list):
        raise PolicyError(f"{source}: allow entries are written as [[allow]] tables")
    allow = tuple(_allow_entry(item, i, source) for i, item in enumerate(allow_list, 1))
    return Policy(thresholds, tuple(disabled), tuple(severity), allow, source)


def _table(data: Mapping, key: str, source: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise PolicyError(f"{source}: [{key}] must be a table")
    return value


def _thresholds(table: dict, source: str) -> Thresholds:
    unknown = set(table) - _THRESHOLD_KEYS
    if unknown:
        raise PolicyError(f"{source}: unknown threshold(s) {', '.join(sorted(unknown))}; "
                          f"expected {', '.join(sorted(_THRESHOLD_KEYS))}")
    values: dict = {}
    defaults = Thresholds()
    for key, value in table.items():
        if isinstance(getattr(defaults, key), bool):
            if not isinstance(value, bool):
                raise PolicyError(f"{source}: thresholds.{key} must be true or false")
            values[key] = value
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise PolicyError(f"{source}: thresholds.{key} must be a number from 0 to 100")
        values[key] = float(value)
    thresholds = replace(Thresholds(), **values)
    if not 0 < thresholds.suspicious <= thresholds.malicious:
        raise PolicyError(f"{source}: thresholds must satisfy 0 < suspicious <= malicious")
    return thresholds


def _check_rule(rule: str, source: str) -> None:
    if not isinstance(rule, str) or not _RULE.match(rule):
        raise PolicyError(f"{source}: {rule!r} is not a rule id (dotted lowercase, globs allowed)")


def _allow_entry(item: object, index: int, source: str) -> AllowEntry:
    where = f"{source}: allow entry {index}"
    if not isinstance(item, dict):
        raise PolicyError(f"{where} must be a table")
    unknown = set(item) - {"sha256", "reason", "name"}
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    digest = item.get("sha256")
    if not isinstance(digest, str) or not _SHA256.match(digest.strip().lower()):
        raise PolicyError(f"{where} needs sha256 = the 64-hex-digit digest of an artifact or a "
                          "member; allowing by package name alone is not supported")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyError(f"{where} needs a non-empty reason")
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise PolicyError(f"{where}: name must be a string")
    return AllowEntry(digest.strip().lower(), reason.strip(), name)
