"""Container and wheel/sdist integrity: the first analyser.

Turns the anomalies met while unpacking into findings and checks what a wheel or sdist
promises about itself (RECORD hashes and sizes, required files, names).
"""

from __future__ import annotations

import base64
import csv
import io
from dataclasses import replace

from packaging.utils import canonicalize_name, canonicalize_version

from ..metadata import name_version_from_filename
from ..model import Confidence, Context, Finding, MemberType, Severity
from ..text import escape
from .interface import Analyzer, ArtifactView
from .links import ArchiveLinks


def _finding(rule: str, message: str, path: str | None = None, evidence: str = "",
             severity: Severity = Severity.MEDIUM, confidence: Confidence = Confidence.HIGH,
             category: str = "integrity") -> Finding:
    return Finding(rule, category, severity, confidence, Context.CONTAINER, message, path, None,
                   evidence)


def analyze(view: ArtifactView) -> list[Finding]:
    findings = [
        Finding(a.rule, "limits" if a.rule.startswith("limits.") else a.category, a.severity,
                a.confidence, Context.CONTAINER, a.message, a.path, None, a.evidence)
        for a in view.anomalies
    ]
    if any(f.rule == "container.link-escape" for f in findings):
        findings = _resolve_links(view, findings)
    # The name counts too: a ``.whl`` without a WHEEL file is not classified as a wheel, but
    # an installer handed it by name still treats it as one.
    name = view.header.filename.lower()
    if view.kind == "wheel" or (name.endswith(".whl") and view.kind == "zip"):
        findings += wheel_integrity(view)
    elif view.kind == "sdist" or name.endswith(_SDIST_SUFFIXES):
        findings += sdist_integrity(view)
    return findings


_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


def _resolve_links(view: ArtifactView, findings: list[Finding]) -> list[Finding]:
    """The unpacker flags every link whose target climbs or is absolute; resolved against
    the whole archive, one that lands on another member inside it (``docs/NEWS -> ../NEWS``)
    is an ordinary link (see :mod:`.links`)."""
    links = ArchiveLinks(view.members)
    out = []
    for f in findings:
        if f.rule == "container.link-escape" and f.path and links.stays_inside(f.path):
            f = replace(f, rule="container.link", severity=Severity.LOW,
                        message="archive contains a link to another member inside it; "
                        "installers handle links differently")
        out.append(f)
    return out


def _dist_info_dirs(view: ArtifactView) -> set[str]:
    tops = (m.path.split("/", 1)[0] for m in view.members if "!/" not in m.path and "/" in m.path)
    return {top for top in tops if top.endswith(".dist-info")}


def wheel_integrity(view: ArtifactView) -> list[Finding]:
    findings: list[Finding] = []
    dirs = _dist_info_dirs(view)
    if len(dirs) != 1:
        findings.append(_finding(
            "wheel.dist-info-count", "a wheel must have exactly one .dist-info folder; installers "
            "may pick different ones", None, escape(", ".join(sorted(dirs))), Severity.MEDIUM))
    if not dirs:
        return findings
    dist_info = sorted(dirs)[0]
    for required in ("WHEEL", "METADATA", "RECORD"):
        if f"{dist_info}/{required}" not in view.digests:
            findings.append(_finding(
                "wheel.missing-metadata-file", f"wheel has no {required} file", dist_info,
                f"{dist_info}/{required}", Severity.MEDIUM))
    file_name, file_version, _ = name_version_from_filename(view.header.filename)
    stem = dist_info[: -len(".dist-info")]
    dir_name, _, dir_version = stem.partition("-")
    if file_name and canonicalize_name(dir_name) != file_name:
        findings.append(_finding(
            "wheel.name-mismatch", ".dist-info folder names a different project than the file "
            "name", dist_info, f"{escape(dist_info)} in {escape(view.header.filename)}",
            Severity.MEDIUM))
    elif file_version and dir_version and canonicalize_version(dir_version) != \
            canonicalize_version(file_version):
        findings.append(_finding(
            "wheel.version-mismatch", ".dist-info folder names a different version than the file "
            "name", dist_info, f"{escape(dist_info)} in {escape(view.header.filename)}",
            Severity.LOW))
    record_path = f"{dist_info}/RECORD"
    record = view.texts.get(record_path)
    if record is not None:
        findings += record_checks(view, record_path, record)
    return findings


def record_checks(view: ArtifactView, record_path: str, record: bytes) -> list[Finding]:
    findings: list[Finding] = []
    listed: dict[str, tuple[str, str]] = {}
    try:
        rows = list(csv.reader(io.StringIO(record.decode("utf-8", "replace"))))
    except csv.Error as exc:
        return [_finding("wheel.record-unreadable", f"RECORD cannot be parsed: {exc}", record_path,
                         severity=Severity.MEDIUM)]
    for row in rows:
        if not row or not row[0]:
            continue
        path = row[0]
        if path in listed:
            findings.append(_finding("wheel.record-duplicate", "RECORD lists a path twice",
                                     record_path, escape(path), Severity.LOW))
        listed[path] = (row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "")
    unsigned = {record_path, record_path + ".jws", record_path + ".p7s"}
    files = {m.path for m in view.members if m.type is MemberType.FILE and "!/" not in m.path}
    for path in sorted(files - set(listed) - unsigned):
        findings.append(_finding(
            "wheel.file-not-in-record", "file is in the wheel but not in RECORD: it was added "
            "after the wheel was built", path, escape(path), Severity.MEDIUM, Confidence.MEDIUM))
    for path, (hash_field, size_field) in sorted(listed.items()):
        digest = view.digests.get(path)
        if digest is None:
            if path not in files and not path.endswith("/"):
                findings.append(_finding(
                    "wheel.record-entry-missing", "RECORD lists a file the wheel does not contain",
                    record_path, escape(path), Severity.LOW))
            continue
        if path in unsigned or not hash_field:
            if not path.endswith(".pyc") and path not in unsigned:
                findings.append(_finding(
                    "wheel.record-no-hash", "RECORD gives no hash for this file", path,
                    escape(path), Severity.LOW, Confidence.MEDIUM))
            continue
        algorithm, _, expected = hash_field.partition("=")
        if algorithm != "sha256":
            findings.append(_finding(
                "wheel.record-weak-hash", f"RECORD uses {escape(algorithm)} instead of sha256",
                path, escape(hash_field), Severity.LOW, Confidence.MEDIUM))
            continue
        if not digest.complete:
            continue  # a limit stopped the read; that finding is reported already
        if digest.sha256 is None:
            # Not hashed: cannot happen for a zip listing this RECORD (the unpacker hashes every
            # member then); never report an unknown digest as a mismatch.
            continue
        actual = base64.urlsafe_b64encode(digest.sha256).rstrip(b"=").decode()
        if actual != expected.rstrip("="):
            findings.append(_finding(
                "wheel.record-hash-mismatch", "file content does not match its RECORD hash: it "
                "was changed after the wheel was built", path,
                f"RECORD sha256={escape(expected, 60)} actual sha256={actual}", Severity.HIGH))
        elif size_field and size_field.strip().isdigit() and int(size_field) != digest.size:
            findings.append(_finding(
                "wheel.record-size-mismatch", "file size does not match RECORD", path,
                f"RECORD {escape(size_field)} bytes, actual {digest.size}", Severity.MEDIUM))
    return findings


# Limits that end the walk of the whole artifact, leaving later members unlisted.
_WALK_STOPPERS = frozenset({"container.compression-bomb", "limits.total-size", "limits.timeout",
                            "limits.member-count"})


def sdist_integrity(view: ArtifactView) -> list[Finding]:
    findings: list[Finding] = []
    tops = {m.path.split("/", 1)[0] for m in view.members if "!/" not in m.path}
    if len(tops) != 1:
        findings.append(_finding(
            "sdist.top-level-count", "an sdist should unpack into exactly one top-level folder",
            None, escape(", ".join(sorted(tops))[:200]), Severity.LOW, Confidence.MEDIUM))
    walk_stopped = any(a.rule in _WALK_STOPPERS for a in view.anomalies)
    if not walk_stopped and not any(p.count("/") == 1 and p.endswith("/PKG-INFO")
                                    for p in view.digests):
        # (A walk a limit cut short never saw the rest of the listing: the limit is the
        # finding there, not a PKG-INFO that may sit after it, as in scipy's sdist.)
        findings.append(_finding(
            "sdist.missing-pkg-info", "sdist has no PKG-INFO file", None, "", Severity.LOW,
            Confidence.MEDIUM))
    return findings


ANALYZER = Analyzer(
    name="container",
    on_artifact=analyze,
    description="archive structure, limits, RECORD and required metadata files",
)
