"""Whether a file may pass: a stored verdict, an operator's allow and the gate's settings in,
a decision with a short human reason out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .config import GateConfig
from .simple import FileEntry
from .store import AllowRecord, VerdictRecord


@dataclass(frozen=True)
class Decision:
    allowed: bool
    kind: str  # clean, allowed, malicious, suspicious, error, cooldown
    reason: str


def judge(record: VerdictRecord, allow: AllowRecord | None, config: GateConfig) -> Decision:
    if allow is not None:
        return Decision(True, "allowed", f"allowed by an operator: {allow.reason}")
    rules = ", ".join(record.rules) or "no single rule"
    if record.verdict == "malicious":
        return Decision(False, "malicious", f"distscan verdict malicious "
                        f"(score {record.score:g}): {rules}")
    if record.verdict == "suspicious" and config.block_suspicious:
        return Decision(False, "suspicious", f"distscan verdict suspicious "
                        f"(score {record.score:g}): {rules}")
    if record.verdict == "error" and config.block_errors:
        return Decision(False, "error", f"the file could not be scanned, and the gate fails "
                        f"closed: {record.error or 'unknown error'}")
    return Decision(True, record.verdict, f"distscan verdict {record.verdict}")


def cooldown_decision(entry: FileEntry, config: GateConfig,
                      now: datetime | None = None) -> Decision | None:
    """A refusal when the file is younger than the cooldown, else None."""
    if config.cooldown_hours <= 0 or not entry.upload_time:
        return None
    uploaded = parse_upload_time(entry.upload_time)
    if uploaded is None:
        return None
    now = now or datetime.now(UTC)
    ready = uploaded + timedelta(hours=config.cooldown_hours)
    if now >= ready:
        return None
    return Decision(False, "cooldown", f"uploaded {uploaded:%Y-%m-%d %H:%M} UTC, less than "
                    f"{config.cooldown_hours:g} h ago; held back until {ready:%Y-%m-%d %H:%M} UTC")


def parse_upload_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
