"""One local verdict cache shared by every command: full scan results keyed by the artifact's
sha256 and by a fingerprint of the scan configuration.

The cache lives in the gate's SQLite store (``verdicts.sqlite3`` under :func:`default_cache_dir`),
so ``distscan serve``, ``distscan pip`` and ``distscan scan`` reuse each other's work. A row is
only used when its fingerprint is the current one (same distscan version, policy, thresholds,
reading limits, analysers and extra rule files) and it carries a full result: the gate's
verdict-only rows are misses for ``distscan scan``, which needs every finding to print.

A cache problem never fails a scan: a corrupt or locked database gives one warning on standard
error and the scan goes on without the cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import sqlite3
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from . import __version__
from .model import (
    ArtifactInfo,
    Confidence,
    Context,
    Finding,
    ScanResult,
    Severity,
    Verdict,
    VerdictLevel,
)
from .pipeline import ScanOptions

DB_NAME = "verdicts.sqlite3"
# Rules whose presence means the result depends on more than the content and configuration
# (the clock, the machine's memory, an analyser's crash): such results are not cached.
_TRANSIENT_RULES = frozenset({"limits.timeout", "scanner.analyzer-error"})
_CODE_SUFFIXES = (".py", ".yar", ".yara", ".json", ".txt", ".sha256")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/distscan``, else ``~/.cache/distscan``."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "distscan"


def default_db_path(cache_dir: Path | None = None) -> Path:
    return (cache_dir or default_cache_dir()) / DB_NAME


# -- the configuration fingerprint -------------------------------------------------------------

def scan_fingerprint(options: ScanOptions) -> str:
    """What a result depends on besides the artifact's bytes, hashed.

    The timeout is left out: a result that finished is the same under any timeout, and results
    cut short by one are not cached. The policy's file name is left out too, its content is not.
    distscan's own code and bundled rules are in it as a digest, not only its version number:
    a checkout whose analysers changed without a version bump must not reuse old results.
    """
    # Looked up through the pipeline module at call time, so that whatever the pipeline will
    # really run (tests replace it) is what the fingerprint names.
    from . import pipeline

    analyzers = options.analyzers if options.analyzers is not None else pipeline.registered()
    limits = {k: v for k, v in dataclasses.asdict(options.limits).items() if k != "timeout_s"}
    policy = replace(options.policy, source="") if options.policy is not None else None
    facts = [__version__, code_digest(), repr(options.thresholds), repr(policy),
             sorted(limits.items()), [a.name for a in analyzers], _extra_rule_digests(analyzers)]
    return hashlib.sha256(json.dumps(facts, default=str).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 over distscan's source, data and bundled rule files (a few milliseconds, once per
    process)."""
    from .rulesets import RuleError, bundled_rules_dir

    package = Path(__file__).resolve().parent
    roots = [package]
    try:
        rules = bundled_rules_dir().resolve()
        if package not in rules.parents:
            roots.append(rules)
    except RuleError:
        pass
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in _CODE_SUFFIXES and path.is_file() and "fixtures" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _extra_rule_digests(analyzers) -> list[tuple[str, str]]:
    """(file, sha256) of every user rule file the content rules load, so editing one
    invalidates the results it contributed to."""
    from .rulesets import RuleError, rule_files

    digests = []
    for analyzer in analyzers:
        for folder in getattr(analyzer.on_member, "extra_dirs", ()) or ():
            try:
                files = rule_files(Path(folder))
            except RuleError:
                continue
            for path in files:
                try:
                    digests.append((str(path), hashlib.sha256(path.read_bytes()).hexdigest()))
                except OSError:
                    digests.append((str(path), "unreadable"))
    return digests


# -- results as JSON and back ------------------------------------------------------------------

@dataclass(frozen=True)
class CachedResult(ScanResult):
    """A result served from the cache: the same contract plus ``cached: true``."""

    def to_dict(self) -> dict:
        return {**super().to_dict(), "cached": True}


def result_json(result: ScanResult) -> str:
    """The result of the contract plus the findings that decided the verdict."""
    document = result.to_dict()
    document.pop("cached", None)
    document["score"] = result.verdict.score  # unrounded, so scoring output is reproduced
    document["reason_findings"] = [f.to_dict() for f in result.verdict.reasons]
    return json.dumps(document, ensure_ascii=False)


def _finding(d: dict) -> Finding:
    return Finding(d["rule"], d["category"], Severity[d["severity"].upper()],
                   Confidence[d["confidence"].upper()], Context(d["context"]), d["message"],
                   d.get("path"), d.get("line"), d.get("evidence", ""))


def result_from_json(text: str, target: str) -> CachedResult:
    """A cached result, reported under the ``target`` the user named this time."""
    d = json.loads(text)
    a = d["artifact"]
    info = ArtifactInfo(a["filename"], a["sha256"], a["size"], a["kind"], a["name"],
                        a["version"])
    verdict = Verdict(VerdictLevel(d["verdict"]), float(d["score"]),
                      tuple(_finding(f) for f in d.get("reason_findings", ())))
    return CachedResult(target, info, verdict, tuple(_finding(f) for f in d["findings"]),
                        d.get("error"), float(d.get("elapsed_ms", 0.0)))


def cacheable(result: ScanResult) -> bool:
    """Errors may be transient (a crashed worker, a full disk) and timeouts depend on the
    machine's load: rescanning those is cheap and honest."""
    if result.verdict.level is VerdictLevel.ERROR or not result.artifact.sha256:
        return False
    return not any(f.rule in _TRANSIENT_RULES for f in result.findings)


def file_sha256(path: Path, chunk: int = 1024 * 1024) -> str | None:
    """The digest of a regular file, or None for folders and unreadable files."""
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fp:
            while block := fp.read(chunk):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


# -- the store ---------------------------------------------------------------------------------

class ResultCache:
    """Full results by (sha256, fingerprint) in the shared verdict store.

    Every database error turns the cache off for the rest of the run, with one warning.
    ``hits`` and ``stores`` count what happened, for reports and tests.
    """

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.hits = 0
        self.stores = 0
        self._store = None
        self._warned = False
        try:
            from .gate.store import VerdictStore

            self._store = VerdictStore(self.path, fingerprint)
        except (sqlite3.Error, OSError) as exc:
            self._disable(exc)

    @property
    def enabled(self) -> bool:
        return self._store is not None

    def get(self, sha256: str | None, target: str,
            filename: str | None = None) -> CachedResult | None:
        """The stored result for this content, reported under ``target``. With ``filename``,
        only a result made under that file name counts: wheel tags and the name and version
        read from a file name can change what a scan finds."""
        if self._store is None or not sha256:
            return None
        try:
            record = self._store.get(sha256)
            if record is None or not record.result:
                return None
            if filename is not None and record.filename != filename:
                return None
            result = result_from_json(record.result, target)
        except (sqlite3.Error, OSError) as exc:
            self._disable(exc)
            return None
        except (ValueError, KeyError, TypeError):
            return None  # a row written by another version's bug: rescan and overwrite it
        self.hits += 1
        return result

    def put(self, result: ScanResult) -> None:
        if self._store is None or not cacheable(result):
            return
        from .gate.store import VerdictRecord

        rules = tuple(dict.fromkeys(f.rule for f in result.verdict.reasons))
        record = VerdictRecord(result.artifact.sha256, result.artifact.filename,
                               result.verdict.level.value, result.verdict.score, rules,
                               result.error, result.elapsed_ms, time.time(), self.fingerprint,
                               result_json(result))
        try:
            self._store.put(record)
            self.stores += 1
        except (sqlite3.Error, OSError) as exc:
            self._disable(exc)

    def close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(sqlite3.Error):
                store.close()

    def _disable(self, exc: BaseException) -> None:
        if not self._warned:
            self._warned = True
            sys.stderr.write(f"distscan: warning: verdict cache {self.path} is unusable "
                             f"({exc.__class__.__name__}: {exc}); continuing without it\n")
        self.close()


def store_opens(path: Path) -> bool:
    """Whether the verdict store at ``path`` opens (with the one warning when it does not), for
    the commands that give it to a gate, which cannot run without a store: they use a
    temporary one instead."""
    probe = ResultCache(path, "")
    try:
        return probe.enabled
    finally:
        probe.close()


def open_cache(options: ScanOptions, cache_dir: Path | None = None) -> ResultCache:
    return ResultCache(default_db_path(cache_dir), scan_fingerprint(options))
