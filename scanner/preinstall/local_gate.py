"""The gate (scanner.gate) in this process: uvicorn in a thread on an ephemeral 127.0.0.1 port,
with a record of what it decided about each file, for the per-file report.

The record is taken by wrapping four methods of the running Gate instance (upstream_page,
stored_decision, decide, open_file) rather than by reading its log lines. The gate has no
observer hook of its own; if it gets one, this wrapping is the only code to change.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import uvicorn
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from ..gate import GateConfig, create_app
from ..gate.service import Refused


class GateStartError(RuntimeError):
    """The local gate did not come up."""


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file during the run.

    allowed: the gate's decision (None when it never judged the file, e.g. a refused download
      that failed before a scan). served: the installer received it. refused: a download was
      answered with an error (403 blocked, 502 tampered). reason: the decision's or refusal's
      short text. url: the upstream's URL of the file (no credentials).
    """

    filename: str
    project: str | None
    version: str | None
    sha256: str | None
    verdict: str | None
    score: float | None
    rules: tuple[str, ...]
    allowed: bool | None
    served: bool
    refused: bool
    reason: str
    url: str | None


@dataclass
class _State:
    filename: str
    sha256: str | None = None
    verdict: str | None = None
    score: float | None = None
    rules: tuple[str, ...] = ()
    allowed: bool | None = None
    served: bool = False
    refused: bool = False
    reason: str = ""
    url: str | None = None


@dataclass
class GateRecorder:
    _files: dict[str, _State] = field(default_factory=dict)
    _listed: dict[str, str] = field(default_factory=dict)  # filename -> upstream URL
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def listed(self, page) -> None:
        with self._lock:
            self._listed.update((entry.filename, entry.url) for entry in page.files)

    def upstream_url(self, filename: str) -> str | None:
        with self._lock:
            return self._listed.get(filename)

    def _state(self, filename: str) -> _State:
        return self._files.setdefault(filename, _State(filename))

    def decision(self, entry, decision, sha256: str | None, record) -> None:
        with self._lock:
            state = self._state(entry.filename)
            state.url = entry.url
            state.sha256 = sha256 or state.sha256
            state.allowed = decision.allowed
            state.reason = decision.reason
            if record is not None:
                state.verdict, state.score, state.rules = (record.verdict, record.score,
                                                           record.rules)

    def served(self, filename: str, sha256: str, record) -> None:
        with self._lock:
            state = self._state(filename)
            state.served, state.sha256 = True, sha256
            if record is not None:
                state.verdict, state.score, state.rules = (record.verdict, record.score,
                                                           record.rules)

    def refused(self, filename: str, reason: str) -> None:
        with self._lock:
            state = self._state(filename)
            state.refused, state.reason = True, reason

    def outcomes(self) -> list[FileOutcome]:
        with self._lock:
            states = list(self._files.values())
        return [FileOutcome(s.filename, *_name_version(s.filename), s.sha256, s.verdict, s.score,
                            s.rules, s.allowed, s.served, s.refused, s.reason, s.url)
                for s in sorted(states, key=lambda s: s.filename)]


def _name_version(filename: str) -> tuple[str | None, str | None]:
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None, None
    return str(name), str(version)


def attach_recorder(gate, recorder: GateRecorder) -> None:
    """Record the gate's decisions and downloads (see the module docstring)."""
    stored_decision, decide, open_file = gate.stored_decision, gate.decide, gate.open_file
    upstream_page = gate.upstream_page

    def recorded_stored_decision(entry):
        decision = stored_decision(entry)
        # Known-blocked files are hidden from pages without a new scan: record those. Known
        # allowed ones are listed but not necessarily used, so they wait for decide/open_file.
        if decision is not None and not decision.allowed:
            sha256 = gate.known_sha256(entry)
            recorder.decision(entry, decision, sha256,
                              gate.store.get(sha256) if sha256 else None)
        return decision

    async def recorded_decide(entry):
        decision, blob = await decide(entry)
        sha256 = blob.sha256 if blob is not None else gate.known_sha256(entry)
        recorder.decision(entry, decision, sha256, gate.store.get(sha256) if sha256 else None)
        return decision, blob

    async def recorded_open_file(project, filename):
        try:
            blob = await open_file(project, filename)
        except Refused as refusal:
            recorder.refused(filename, refusal.reason)
            raise
        recorder.served(filename, blob.sha256, gate.store.get(blob.sha256))
        return blob

    async def recorded_upstream_page(project, *, fresh=False):
        page = await upstream_page(project, fresh=fresh)
        if page is not None:
            recorder.listed(page)
        return page

    gate.upstream_page = recorded_upstream_page
    gate.stored_decision = recorded_stored_decision
    gate.decide = recorded_decide
    gate.open_file = recorded_open_file


@dataclass(frozen=True)
class LocalGate:
    url: str  # http://127.0.0.1:PORT
    recorder: GateRecorder

    @property
    def index_url(self) -> str:
        return self.url + "/simple/"


@contextlib.contextmanager
def local_gate(config: GateConfig, startup_timeout_s: float = 30.0) -> Iterator[LocalGate]:
    """The gate on an ephemeral loopback port until the block ends; stopped cleanly (in-flight
    responses finish, scanner workers are shut down by the app's lifespan)."""
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on", access_log=False,
                                           server_header=False))
    thread = threading.Thread(target=server.run, name="distscan-gate", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise GateStartError("the local distscan gate did not start (see the messages "
                                 "above)")
        time.sleep(0.02)
    recorder = GateRecorder()
    attach_recorder(app.state.gate, recorder)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LocalGate(f"http://127.0.0.1:{port}", recorder)
    finally:
        server.should_exit = True
        thread.join(30)
