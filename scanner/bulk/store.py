"""The results store of a bulk scan: one SQLite file in WAL mode, written only by the process
that runs the scan, readable by anything (``sqlite3 results.db``) while it runs.

Layout (``schema_version`` 1, kept in ``meta``)::

    meta(key TEXT PRIMARY KEY, value TEXT)
        schema_version, created_at (ISO 8601 UTC), tool_version.

    runs(run_id INTEGER PRIMARY KEY, started_at REAL, finished_at REAL, source TEXT,
         source_kind TEXT, backend TEXT, workers INTEGER, tool_version TEXT,
         discovered INTEGER, skipped INTEGER, scanned INTEGER, status TEXT)
        One row per invocation. status: running, finished, interrupted (Ctrl-C), or stays
        ``running`` when the process was killed. Times are Unix seconds.

    artifacts(sha256 TEXT PRIMARY KEY, path TEXT, filename TEXT, size INTEGER, kind TEXT,
              name TEXT, version TEXT, verdict TEXT, score REAL, error TEXT,
              finding_count INTEGER, reasons TEXT, elapsed_ms REAL, worker TEXT,
              peak_rss_kb INTEGER, run_id INTEGER, scanned_at REAL)
        One row per distinct artifact content. verdict: clean, suspicious, malicious, error
        (``error`` says why: unreadable, timeout, worker killed, memory ceiling ...).
        reasons: JSON list of the rule ids that decided the verdict. path: where it was first
        scanned. peak_rss_kb: the worker's peak resident memory after this scan.

    findings(sha256 TEXT REFERENCES artifacts, seq INTEGER, rule TEXT, category TEXT,
             severity TEXT, confidence TEXT, context TEXT, path TEXT, line INTEGER,
             message TEXT, evidence TEXT, PRIMARY KEY (sha256, seq))
        One row per finding, in the order the scan reported them; fields as in the JSON
        result contract (``evidence`` is already escaped).

    paths(path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT, error TEXT,
          run_id INTEGER)
        Every file a run finished, with the stat facts that let a rerun skip it without
        reading it. sha256 is NULL (and error set) only when the file could not be read.

Crash safety: each artifact is written in one transaction (its artifacts row, its findings and
its paths row together), so a killed run leaves whole artifacts or nothing of them, and a
rerun skips what is there. ``synchronous=NORMAL`` in WAL mode loses nothing when the process
dies; a power cut can lose the last few transactions, which a rerun scans again.
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..model import ScanResult
from .sources import SourceItem

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs(
    run_id INTEGER PRIMARY KEY, started_at REAL, finished_at REAL, source TEXT,
    source_kind TEXT, backend TEXT, workers INTEGER, tool_version TEXT,
    discovered INTEGER, skipped INTEGER, scanned INTEGER, status TEXT);
CREATE TABLE IF NOT EXISTS artifacts(
    sha256 TEXT PRIMARY KEY, path TEXT, filename TEXT, size INTEGER, kind TEXT, name TEXT,
    version TEXT, verdict TEXT, score REAL, error TEXT, finding_count INTEGER, reasons TEXT,
    elapsed_ms REAL, worker TEXT, peak_rss_kb INTEGER, run_id INTEGER, scanned_at REAL);
CREATE TABLE IF NOT EXISTS findings(
    sha256 TEXT NOT NULL REFERENCES artifacts(sha256) ON DELETE CASCADE, seq INTEGER,
    rule TEXT, category TEXT, severity TEXT, confidence TEXT, context TEXT, path TEXT,
    line INTEGER, message TEXT, evidence TEXT, PRIMARY KEY (sha256, seq));
CREATE TABLE IF NOT EXISTS paths(
    path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT, error TEXT,
    run_id INTEGER);
CREATE INDEX IF NOT EXISTS findings_rule ON findings(rule);
CREATE INDEX IF NOT EXISTS artifacts_verdict ON artifacts(verdict);
"""


class StoreError(Exception):
    """The file is not a distscan results store, or one of a newer layout."""


@dataclass(frozen=True)
class Stored:
    """What the store did with one result: ``new`` is False for content already stored
    under another path (or the same path), whose row was kept."""

    sha256: str | None
    new: bool


def connect(path: str | os.PathLike, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the store's pragmas. Read-only connections never create the file."""
    if readonly:
        if not Path(path).is_file():
            raise StoreError(f"no results store at {str(path)!r}")
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    else:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA foreign_keys=ON")
    try:
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        if readonly or not _is_empty(conn):
            conn.close()
            raise StoreError(f"{str(path)!r} is not a distscan results store ({exc})") from None
        row = None
    if row is not None and int(row[0]) > SCHEMA_VERSION:
        conn.close()
        raise StoreError(f"{str(path)!r} has store layout {row[0]}, newer than this distscan "
                         f"understands ({SCHEMA_VERSION})")
    return conn


def _is_empty(conn: sqlite3.Connection) -> bool:
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    except sqlite3.DatabaseError:
        return False


class ResultStore:
    """The writer side. One instance per run, used from one thread."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.conn = connect(self.path)
        self.conn.executescript("BEGIN;" + _SCHEMA + "COMMIT;")
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        with self._transaction():
            for key, value in (("schema_version", str(SCHEMA_VERSION)), ("created_at", now),
                               ("tool_version", __version__)):
                self.conn.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))
        self.run_id: int | None = None

    def _transaction(self):
        return _Transaction(self.conn)

    def close(self) -> None:
        self.conn.close()

    # -- runs ------------------------------------------------------------------------------

    def begin_run(self, source: str, source_kind: str, backend: str, workers: int,
                  discovered: int, skipped: int) -> int:
        with self._transaction():
            cur = self.conn.execute(
                "INSERT INTO runs(started_at, source, source_kind, backend, workers, "
                "tool_version, discovered, skipped, scanned, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 'running')",
                (time.time(), source, source_kind, backend, workers, __version__, discovered,
                 skipped))
        self.run_id = cur.lastrowid
        return self.run_id

    def end_run(self, status: str, scanned: int) -> None:
        if self.run_id is None:
            return
        with self._transaction():
            self.conn.execute("UPDATE runs SET finished_at=?, status=?, scanned=? WHERE run_id=?",
                              (time.time(), status, scanned, self.run_id))

    # -- resuming --------------------------------------------------------------------------

    def finished(self, items: list[SourceItem], *, retry_errors: bool = False) -> set[str]:
        """Paths among ``items`` whose current version (same size and mtime) is already
        stored. With ``retry_errors``, artifacts whose verdict was ``error`` are not counted
        as finished."""
        rows = self.conn.execute(
            "SELECT p.path, p.size, p.mtime_ns, a.verdict FROM paths p "
            "JOIN artifacts a ON a.sha256 = p.sha256")
        known = {path: (size, mtime, verdict) for path, size, mtime, verdict in rows}
        done = set()
        for item in items:
            entry = known.get(item.path)
            if entry is None or entry[:2] != (item.size, item.mtime_ns):
                continue
            if retry_errors and entry[2] == "error":
                continue
            done.add(item.path)
        return done

    # -- writing ---------------------------------------------------------------------------

    def record(self, item: SourceItem, result: ScanResult, *, worker: str = "",
               peak_rss_kb: int | None = None) -> Stored:
        """Store one artifact's result, its findings and its path in one transaction.

        An artifact already stored with a real verdict keeps its row (the same content seen
        at a second path only adds a paths row); one stored as ``error`` is replaced, so that
        ``--retry-errors`` can fix it.
        """
        sha = result.artifact.sha256
        new = False
        with self._transaction():
            if sha is not None:
                row = self.conn.execute("SELECT verdict FROM artifacts WHERE sha256=?",
                                        (sha,)).fetchone()
                if row is None or row[0] == "error":
                    new = True
                    self.conn.execute("DELETE FROM findings WHERE sha256=?", (sha,))
                    self.conn.execute("DELETE FROM artifacts WHERE sha256=?", (sha,))
                    self._insert_artifact(item, result, worker, peak_rss_kb)
            self.conn.execute(
                "INSERT OR REPLACE INTO paths(path, size, mtime_ns, sha256, error, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (item.path, item.size, item.mtime_ns, sha,
                 result.error if sha is None else None, self.run_id))
        return Stored(sha, new)

    def _insert_artifact(self, item: SourceItem, result: ScanResult, worker: str,
                         peak_rss_kb: int | None) -> None:
        art = result.artifact
        self.conn.execute(
            "INSERT INTO artifacts(sha256, path, filename, size, kind, name, version, verdict, "
            "score, error, finding_count, reasons, elapsed_ms, worker, peak_rss_kb, run_id, "
            "scanned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (art.sha256, item.path, art.filename, art.size, art.kind, art.name, art.version,
             str(result.verdict.level), round(result.verdict.score, 1), result.error,
             len(result.findings), json.dumps([f.rule for f in result.verdict.reasons]),
             round(result.elapsed_ms, 2), worker, peak_rss_kb, self.run_id, time.time()))
        self.conn.executemany(
            "INSERT INTO findings(sha256, seq, rule, category, severity, confidence, context, "
            "path, line, message, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(art.sha256, seq, f.rule, f.category, str(f.severity), str(f.confidence),
              str(f.context), f.path, f.line, f.message, f.evidence)
             for seq, f in enumerate(result.findings)])


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (KeyboardInterrupt too)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
        return False
