"""The gate's durable memory: one verdict per file content (sha256) and operators' allow
decisions, in SQLite (WAL mode, so readers never wait for the writer and a crash loses nothing
that was committed).

A verdict is only valid for the scanner configuration that produced it: each row carries a
*fingerprint* (distscan version + policy + gate thresholds), and a row with another fingerprint
is treated as unknown, so upgrading distscan or changing the policy rescans files lazily.
Rows may also carry the full result JSON (``result``), which ``distscan scan`` needs to print a
cached result with its evidence (scanner.cache); databases made before that column existed get
it added on open.

Calls are short single-row statements made from the event loop thread; the connection is
guarded by a lock so that a call from another thread (tests, tools) is safe too.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    sha256      TEXT PRIMARY KEY,
    filename    TEXT NOT NULL,
    verdict     TEXT NOT NULL,   -- clean | suspicious | malicious | error
    score       REAL NOT NULL,
    rules       TEXT NOT NULL,   -- space-separated rule ids that decided the verdict
    error       TEXT,
    elapsed_ms  REAL NOT NULL,
    scanned_at  REAL NOT NULL,
    fingerprint TEXT NOT NULL,
    result      TEXT             -- full result JSON (scanner.cache), or NULL: verdict only
);
CREATE TABLE IF NOT EXISTS allows (
    sha256     TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    allowed_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class VerdictRecord:
    sha256: str
    filename: str
    verdict: str
    score: float
    rules: tuple[str, ...]
    error: str | None
    elapsed_ms: float
    scanned_at: float
    fingerprint: str
    result: str | None = None  # full result JSON, see scanner.cache

    def to_dict(self) -> dict:
        return {"sha256": self.sha256, "filename": self.filename, "verdict": self.verdict,
                "score": self.score, "rules": list(self.rules), "error": self.error,
                "elapsed_ms": self.elapsed_ms, "scanned_at": self.scanned_at}


@dataclass(frozen=True)
class AllowRecord:
    sha256: str
    reason: str
    allowed_at: float


class VerdictStore:
    def __init__(self, path: str | Path, fingerprint: str) -> None:
        self.path = Path(path)
        self.fingerprint = fingerprint
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(SCHEMA)
            self._add_result_column()

    def _add_result_column(self) -> None:
        """Migrate a database made before the ``result`` column (another process may be
        doing the same at this moment: losing that race is fine)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(verdicts)")}
        if "result" not in columns:
            try:
                self._db.execute("ALTER TABLE verdicts ADD COLUMN result TEXT")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):
                    raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def journal_mode(self) -> str:
        with self._lock:
            return self._db.execute("PRAGMA journal_mode").fetchone()[0]

    def get(self, sha256: str) -> VerdictRecord | None:
        """The verdict for this content under the current fingerprint, if there is one."""
        with self._lock:
            row = self._db.execute("SELECT * FROM verdicts WHERE sha256 = ? AND fingerprint = ?",
                                   (sha256, self.fingerprint)).fetchone()
        return _verdict(row) if row else None

    def put(self, record: VerdictRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO verdicts (sha256, filename, verdict, score, rules, "
                "error, elapsed_ms, scanned_at, fingerprint, result) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.sha256, record.filename, record.verdict, record.score,
                 " ".join(record.rules), record.error, record.elapsed_ms, record.scanned_at,
                 record.fingerprint, record.result))

    def verdicts(self, levels: tuple[str, ...]) -> list[VerdictRecord]:
        marks = ", ".join("?" for _ in levels)
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM verdicts WHERE fingerprint = ? AND verdict IN ({marks}) "
                "ORDER BY scanned_at DESC", (self.fingerprint, *levels)).fetchall()
        return [_verdict(row) for row in rows]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM verdicts WHERE fingerprint = ?",
                                    (self.fingerprint,)).fetchone()[0]

    def allow(self, sha256: str, reason: str) -> AllowRecord:
        record = AllowRecord(sha256, reason, time.time())
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO allows VALUES (?, ?, ?)",
                             (record.sha256, record.reason, record.allowed_at))
        return record

    def allowed(self, sha256: str) -> AllowRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM allows WHERE sha256 = ?", (sha256,)).fetchone()
        return AllowRecord(*row) if row else None


def _verdict(row: tuple) -> VerdictRecord:
    sha256, filename, verdict, score, rules, error, elapsed_ms, scanned_at, fingerprint = row[:9]
    result = row[9] if len(row) > 9 else None
    return VerdictRecord(sha256, filename, verdict, score, tuple(rules.split()), error,
                         elapsed_ms, scanned_at, fingerprint, result)
