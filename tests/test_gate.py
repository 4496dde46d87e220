"""``distscan serve`` end to end: a real upstream index on loopback, the gate (uvicorn) in front
of it, and real ``pip install`` / ``uv pip install`` runs through the gate.

Nothing here leaves 127.0.0.1. The malicious sample is an sdist whose setup.py would write a
marker file if it ran (its network calls go to ``.invalid`` hosts); the tests check that the
marker never appears. The sample is never built or run by the tests themselves.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from index_support import (
    INSTALLERS,
    JSON_V1,
    PIP_ACCEPT,
    STAND_IN,
    RunningGate,
    Upstream,
    clean_env,
    installed_version,
    pip_install,
    running_gate,
    running_upstream,
    sample_dists,
    stand_in_config,
)

from scanner.analyzers import registered
from scanner.gate import GateConfig
from scanner.model import Context, VerdictLevel
from scanner.pipeline import ScanOptions, scan


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    with running_upstream(sample_dists()) as up:
        yield up


@pytest.fixture(scope="module")
def gate(upstream, tmp_path_factory) -> Iterator[RunningGate]:
    db = tmp_path_factory.mktemp("gate") / "verdicts.sqlite3"
    with running_gate(stand_in_config(upstream, db)) as running:
        yield running


# -- tests -------------------------------------------------------------------------------------

@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_benign_package_installs_through_the_gate(gate, upstream, tmp_path, installer):
    result = INSTALLERS[installer](gate.index_url, tmp_path, "demo-pkg")
    assert result.returncode == 0, result.stdout + result.stderr
    # The newest non-yanked version, its bytes untouched (the wheel's RECORD checked by pip).
    assert installed_version(tmp_path, installer, "demo_pkg") == "1.1"
    # Scanned once for the page; the installer's download got the kept copy.
    assert upstream.downloads("demo_pkg-1.1-py3-none-any.whl") == 1


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_malicious_newest_version_disappears_and_installers_pick_the_older_clean_one(
        gate, tmp_path, installer):
    result = INSTALLERS[installer](gate.index_url, tmp_path, "evilpkg")
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_version(tmp_path, installer, "evilpkg") == "1.0"
    assert not (tmp_path / "marker").exists()

    page = httpx.get(gate.index_url + "evilpkg/", headers={"Accept": JSON_V1}).json()
    assert [f["filename"] for f in page["files"]] == ["evilpkg-1.0-py3-none-any.whl"]
    refused = httpx.get(gate.url + "/files/evilpkg/evilpkg-2.0.tar.gz")
    assert refused.status_code == 403
    # The refusal names the rules that decided it (the stand-in or the real Python analyser).
    assert "malicious" in refused.text
    assert "test.install.exec-b64" in refused.text or "python.exec." in refused.text


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_pinned_malicious_version_fails_before_any_of_its_code_runs(gate, tmp_path, installer):
    result = INSTALLERS[installer](gate.index_url, tmp_path, "evilpkg==2.0")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    # Refused at resolution: the version is not on the page, so nothing was downloaded.
    assert "No matching distribution found for evilpkg==2.0" in output or \
        "there is no version of evilpkg==2.0" in output, output
    assert not (tmp_path / "marker").exists()
    assert not (tmp_path / f"{installer}-target" / "evilpkg").exists()


def test_file_that_was_not_prescanned_is_refused_at_download(upstream, tmp_path):
    """With page prescans off, pip sees the malicious version, asks for it, and gets a 403
    before a byte of it is sent: the install fails and the hook never runs."""
    config = stand_in_config(upstream, tmp_path / "v.sqlite3", prescan_versions=0)
    with running_gate(config) as running:
        page = httpx.get(running.index_url + "evilpkg/", headers={"Accept": JSON_V1}).json()
        assert "evilpkg-2.0.tar.gz" in {f["filename"] for f in page["files"]}
        result = pip_install(running.index_url, tmp_path, "evilpkg==2.0")
        assert result.returncode != 0
        assert "403" in result.stdout + result.stderr
        assert running.gate.metrics.value("distscan_gate_blocks_total", reason="malicious") >= 1
        # Now judged: the next page no longer offers it.
        page = httpx.get(running.index_url + "evilpkg/", headers={"Accept": JSON_V1}).json()
        assert "evilpkg-2.0.tar.gz" not in {f["filename"] for f in page["files"]}
    assert not (tmp_path / "marker").exists()
    assert not (tmp_path / "pip-target" / "evilpkg").exists()


def _file_fields(files: list[dict]) -> dict[str, tuple]:
    return {f["filename"]: (f["hashes"], f.get("requires-python"), f.get("yanked", False),
                            f.get("core-metadata"), f.get("size"), f.get("upload-time"))
            for f in files}


def test_json_page_round_trips_every_field(gate, upstream):
    response = httpx.get(gate.index_url + "demo-pkg/", headers={"Accept": PIP_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_V1
    assert "Accept" in response.headers["vary"]
    page = response.json()
    expected = upstream.project_json("demo-pkg")
    assert page["meta"]["api-version"] == "1.1"
    assert page["versions"] == expected["versions"]
    assert _file_fields(page["files"]) == _file_fields(expected["files"])
    assert {f["filename"]: f["dist-info-metadata"] for f in page["files"]} == \
        {f["filename"]: f["core-metadata"] for f in expected["files"]}  # PEP 714 old key
    for item in page["files"]:
        assert item["url"] == f"../../files/demo-pkg/{item['filename']}"  # through the gate


def test_html_page_round_trips_every_field(gate, upstream):
    from scanner.gate.simple import parse_project_page

    response = httpx.get(gate.index_url + "demo-pkg/", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Accept" in response.headers["vary"]
    assert "data-requires-python=\"&gt;=3.8, &lt;4\"" in response.text
    parsed = parse_project_page(response.content, "text/html", gate.index_url + "demo-pkg/",
                                "demo-pkg")
    expected = {d.filename: d for d in upstream.dists if d.project == "demo-pkg"}
    assert {f.filename for f in parsed.files} == set(expected)
    for f in parsed.files:
        dist = expected[f.filename]
        assert f.url == f"{gate.url}/files/demo-pkg/{f.filename}"
        assert f.hashes == {"sha256": dist.sha256}
        assert f.requires_python == dist.requires_python
        assert f.yanked == dist.yanked
        assert f.core_metadata == {"sha256": hashlib.sha256(dist.metadata).hexdigest()}


def test_negotiation_redirects_and_unknown_projects(gate):
    html = httpx.get(gate.index_url + "demo-pkg/", headers={"Accept": "*/*"})
    assert html.headers["content-type"].startswith("text/html")
    v1_html = httpx.get(gate.index_url + "demo-pkg/",
                        headers={"Accept": "application/vnd.pypi.simple.v1+html"})
    assert v1_html.headers["content-type"] == "application/vnd.pypi.simple.v1+html"
    refused = httpx.get(gate.index_url + "demo-pkg/", headers={"Accept": "application/xml"})
    assert refused.status_code == 406
    moved = httpx.get(gate.index_url + "Demo_Pkg/")
    assert moved.status_code == 301 and moved.headers["location"] == "/simple/demo-pkg/"
    slashless = httpx.get(gate.index_url + "demo-pkg")
    assert slashless.status_code == 301 and slashless.headers["location"] == "/simple/demo-pkg/"
    assert httpx.get(gate.index_url + "no-such-project/").status_code == 404
    index = httpx.get(gate.index_url, headers={"Accept": JSON_V1}).json()
    assert {"name": "evilpkg"} in index["projects"]


def test_metadata_files_are_byte_identical_to_upstream(gate, upstream):
    for dist in (d for d in upstream.dists if d.project == "demo-pkg"):
        response = httpx.get(f"{gate.url}/files/demo-pkg/{dist.filename}.metadata")
        assert response.status_code == 200
        assert response.content == dist.metadata


def test_served_file_bytes_are_the_upstream_bytes(gate, upstream):
    dist = next(d for d in upstream.dists if d.filename == "demo_pkg-1.0-py3-none-any.whl")
    response = httpx.get(f"{gate.url}/files/demo-pkg/{dist.filename}")
    assert response.status_code == 200
    assert response.content == dist.data
    assert response.headers["x-distscan-sha256"] == dist.sha256


def test_tampered_upstream_file_is_refused(gate, upstream):
    dist = next(d for d in upstream.dists if d.project == "tampered")
    response = httpx.get(f"{gate.url}/files/tampered/{dist.filename}")
    assert response.status_code == 502
    assert "does not match its published sha256" in response.text
    assert gate.gate.store.get(dist.sha256) is None  # nothing was judged on wrong bytes
    tampered = hashlib.sha256(dist.data + b"tampered").hexdigest()
    assert gate.gate.store.get(tampered) is None


def test_upstream_without_hashes_is_scanned_once_and_remembered(gate, upstream):
    filename = "nohash-1.0-py3-none-any.whl"
    first = httpx.get(gate.index_url + "nohash/", headers={"Accept": JSON_V1}).json()
    assert first["files"][0]["hashes"] == {}
    assert upstream.downloads(filename) == 1  # prescanned: the hash is learnt by downloading
    httpx.get(gate.index_url + "nohash/", headers={"Accept": JSON_V1})
    assert upstream.downloads(filename) == 1  # known now: no second download for the page
    served = httpx.get(f"{gate.url}/files/nohash/{filename}")
    dist = next(d for d in upstream.dists if d.filename == filename)
    assert served.status_code == 200 and served.content == dist.data
    assert gate.gate.store.get(dist.sha256).verdict == "clean"


def test_files_in_cooldown_are_held_back(gate):
    page = httpx.get(gate.index_url + "freshpkg/", headers={"Accept": JSON_V1}).json()
    assert [f["filename"] for f in page["files"]] == ["freshpkg-1.0-py3-none-any.whl"]
    refused = httpx.get(gate.url + "/files/freshpkg/freshpkg-2.0-py3-none-any.whl")
    assert refused.status_code == 403 and "held back" in refused.text


def test_unscannable_file_is_blocked_by_default(gate):
    response = httpx.get(gate.url + "/files/broken/broken-1.0-py3-none-any.whl")
    assert response.status_code == 403
    assert "could not be scanned" in response.text


def test_concurrent_requests_share_one_scan_and_later_ones_hit_the_cache(gate, upstream):
    dist = next(d for d in upstream.dists if d.project == "racy")
    url = f"{gate.url}/files/racy/{dist.filename}"
    scans_before = gate.gate.scanner.scans_started

    async def fetch_all():
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(client.get(url) for _ in range(8)))

    responses = asyncio.run(fetch_all())
    assert [r.status_code for r in responses] == [200] * 8
    assert all(r.content == dist.data for r in responses)
    assert gate.gate.scanner.scans_started == scans_before + 1
    # The upstream is slow for this file, so all eight arrive during one download.
    assert upstream.downloads(dist.filename) == 1
    cache_hits = gate.gate.metrics.total("distscan_gate_verdict_cache_hits_total")
    assert httpx.get(url).status_code == 200
    assert gate.gate.scanner.scans_started == scans_before + 1
    assert gate.gate.metrics.total("distscan_gate_verdict_cache_hits_total") == cache_hits + 1


def test_operator_endpoints(gate, upstream):
    health = httpx.get(gate.url + "/-/health").json()
    assert health["status"] == "ok" and health["journal_mode"] == "wal"
    assert httpx.get(gate.url + "/-/blocked").status_code == 401
    auth = {"Authorization": "Bearer op-token"}
    # Make sure the malicious sdist was judged (the install tests may not have run).
    httpx.get(gate.index_url + "evilpkg/")
    blocked = httpx.get(gate.url + "/-/blocked", headers=auth).json()["blocked"]
    evil = next(d for d in upstream.dists if d.filename == "evilpkg-2.0.tar.gz")
    entry = next(b for b in blocked if b["sha256"] == evil.sha256)
    assert entry["verdict"] == "malicious"
    assert "test.install.exec-b64" in entry["reason"] or "python.exec." in entry["reason"]

    metrics = httpx.get(gate.url + "/-/metrics", headers=auth).text
    assert 'distscan_gate_scans_total{verdict="malicious"}' in metrics
    assert "distscan_gate_scan_seconds_count" in metrics
    assert "distscan_gate_requests_total{" in metrics

    body = {"sha256": evil.sha256, "reason": "reviewed: test sample"}
    assert httpx.post(gate.url + "/-/allow", json=body).status_code == 401
    assert httpx.post(gate.url + "/-/allow", json=body,
                      headers={"Authorization": "Bearer wrong"}).status_code == 401
    bad = httpx.post(gate.url + "/-/allow", json={"sha256": "zz", "reason": "x"}, headers=auth)
    assert bad.status_code == 400
    try:
        assert httpx.post(gate.url + "/-/allow", json=body, headers=auth).status_code == 200
        served = httpx.get(gate.url + "/files/evilpkg/evilpkg-2.0.tar.gz")
        assert served.status_code == 200 and served.content == evil.data
        blocked = httpx.get(gate.url + "/-/blocked", headers=auth).json()["blocked"]
        assert evil.sha256 not in {b["sha256"] for b in blocked}
    finally:  # other tests in this module expect the sample blocked
        gate.gate.store._db.execute("DELETE FROM allows WHERE sha256 = ?", (evil.sha256,))


def test_verdicts_survive_a_restart_and_are_not_rescanned(tmp_path):
    db = tmp_path / "verdicts.sqlite3"
    with running_upstream(sample_dists()) as upstream:
        evil = next(d for d in upstream.dists if d.filename == "evilpkg-2.0.tar.gz")
        with running_gate(stand_in_config(upstream, db)) as first:
            assert httpx.get(first.url + "/files/evilpkg/evilpkg-2.0.tar.gz").status_code == 403
            assert first.gate.scanner.scans_started == 1
        downloads = upstream.downloads(evil.filename)
        with running_gate(stand_in_config(upstream, db)) as second:
            page = httpx.get(second.index_url + "evilpkg/", headers={"Accept": JSON_V1}).json()
            assert "evilpkg-2.0.tar.gz" not in {f["filename"] for f in page["files"]}
            refused = httpx.get(second.url + "/files/evilpkg/evilpkg-2.0.tar.gz")
            assert refused.status_code == 403
            # Known from the store: no scan, and the blocked file is not even downloaded.
            assert upstream.downloads(evil.filename) == downloads
            scanned = second.gate.scanner.scans_started
            assert second.gate.store.get(evil.sha256).verdict == "malicious"
        # A different scanner configuration does not trust the old verdicts.
        changed = stand_in_config(upstream, db, block_suspicious=True,
                                  scan_options=ScanOptions(analyzers=(STAND_IN,)))
        with running_gate(changed) as third:
            assert third.gate.store.get(evil.sha256) is None
    assert scanned <= 2  # evilpkg 1.0 was prescanned for the page, 2.0 was not rescanned


def test_upstream_credentials_are_passed_on_and_never_logged(tmp_path, caplog):
    secret = "s3cr3t-pa55"
    dists = [d for d in sample_dists() if d.project == "demo-pkg"]
    caplog.set_level(logging.DEBUG)
    with running_upstream(dists, credentials=("alice", secret)) as upstream:
        port = upstream.server.server_address[1]
        config = stand_in_config(upstream, tmp_path / "v.sqlite3",
                                 upstream=f"http://alice:{secret}@127.0.0.1:{port}/simple/")
        with running_gate(config) as running:
            ok = httpx.get(running.url + "/files/demo-pkg/demo_pkg-1.1-py3-none-any.whl")
            assert ok.status_code == 200
            assert httpx.get(running.index_url + "demo-pkg/").status_code == 200
        expected = "Basic " + base64.b64encode(f"alice:{secret}".encode()).decode()
        assert upstream.requests and all(auth == expected for _, _, auth in upstream.requests)
        wrong = stand_in_config(upstream, tmp_path / "w.sqlite3",
                                upstream=f"http://alice:bad-{secret}@127.0.0.1:{port}/simple/")
        with running_gate(wrong) as running:
            response = httpx.get(running.index_url + "demo-pkg/")
            assert response.status_code == 502 and secret not in response.text
    assert secret not in caplog.text


def test_fail_open_lets_unscannable_files_through(tmp_path):
    dists = [d for d in sample_dists() if d.project == "broken"]
    with running_upstream(dists) as upstream:
        config = stand_in_config(upstream, tmp_path / "v.sqlite3", block_errors=False)
        with running_gate(config) as running:
            response = httpx.get(running.url + "/files/broken/broken-1.0-py3-none-any.whl")
            assert response.status_code == 200 and response.content == dists[0].data


def test_the_registered_analysers_call_the_install_hook_sample_malicious():
    """The sample the gate tests rely on must be malicious to distscan itself, not only to the
    stand-in rule above (the default-gate test below runs without the stand-in)."""
    evil = next(d for d in sample_dists() if d.filename == "evilpkg-2.0.tar.gz")
    result = scan(evil.data, filename=evil.filename)
    assert result.verdict.level is VerdictLevel.MALICIOUS
    assert any(f.rule.startswith("python.") and f.context is Context.INSTALL
               for f in result.findings)


# -- a real third-party index: pypiserver (HTML only), the default gate (worker processes) ----

@contextlib.contextmanager
def running_pypiserver(root: Path) -> Iterator[str]:
    pypiserver = pytest.importorskip("pypiserver", reason="pypiserver is in the test extra")
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    app = pypiserver.app(roots=[str(root)], authenticate=[], password_file=".")
    server = make_server("127.0.0.1", 0, app, server_class=Server, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def corpus_artifacts(out: Path) -> list[tuple[Path, str]]:
    """The repository's corpus samples built into archives (nothing is run), with the verdict
    each is labelled with, if the corpus is present."""
    build = Path(__file__).resolve().parent.parent / "corpus" / "build.py"
    if not build.is_file():
        return []
    done = subprocess.run([sys.executable, str(build), str(out)], capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        return []
    labels = json.loads((out / "labels.json").read_text())
    return [(out / item["artifact"], item["verdict"]) for item in labels]


def test_default_gate_in_front_of_pypiserver(tmp_path):
    """The gate as `distscan serve` runs it (worker processes, every registered analyser), in
    front of pypiserver, with the corpus samples (if present) on the index too."""
    root = tmp_path / "packages"
    root.mkdir()
    for dist in sample_dists():
        if dist.project in ("demo-pkg", "evilpkg"):
            (root / dist.filename).write_bytes(dist.data)
    corpus = corpus_artifacts(tmp_path / "corpus")
    for artifact, _ in corpus:
        shutil.copy(artifact, root / artifact.name)
    with running_pypiserver(root) as index:
        config = GateConfig(upstream=index, db_path=tmp_path / "v.sqlite3", scan_timeout_s=60,
                            workers=2)
        assert config.executor == "process" and config.block_errors
        with running_gate(config) as running:
            installed = pip_install(running.index_url, tmp_path, "demo-pkg")
            assert installed.returncode == 0, installed.stdout + installed.stderr
            assert installed_version(tmp_path, "pip", "demo_pkg") == "1.1"
            # The real analysers (no stand-in here) hide the install-hook sdist from pip.
            installed = pip_install(running.index_url, tmp_path, "evilpkg")
            assert installed.returncode == 0, installed.stdout + installed.stderr
            assert installed_version(tmp_path, "pip", "evilpkg") == "1.0"
            refused = httpx.get(running.url + "/files/evilpkg/evilpkg-2.0.tar.gz")
            assert refused.status_code == 403 and "python." in refused.text
            # pypiserver speaks HTML only; the gate still answers PEP 691 JSON, at api 1.0
            # since HTML carries no sizes (PEP 700 makes them required from 1.1).
            page = httpx.get(running.index_url + "demo-pkg/", headers={"Accept": PIP_ACCEPT})
            assert page.json()["meta"]["api-version"] == "1.0"
            assert {f["filename"]: f["hashes"]["sha256"] for f in page.json()["files"]} == {
                d.filename: d.sha256 for d in sample_dists() if d.project == "demo-pkg"}

            async def fetch_corpus():
                async with httpx.AsyncClient(timeout=60) as client:
                    return await asyncio.gather(*(
                        client.get(f"{running.url}/files/{a.name.split('-')[0]}/{a.name}")
                        for a, _ in corpus))

            # Each corpus file is refused exactly when its stored verdict blocks it, and
            # what passes is byte for byte the upstream's file.
            blocked = 0
            for (artifact, label), response in zip(corpus, asyncio.run(fetch_corpus())):
                data = artifact.read_bytes()
                record = running.gate.store.get(hashlib.sha256(data).hexdigest())
                assert record is not None, artifact.name
                if record.verdict in ("malicious", "error"):
                    blocked += 1
                    assert response.status_code == 403, artifact.name
                    assert record.verdict in response.text
                else:
                    assert response.status_code == 200, (artifact.name, response.text)
                    assert response.content == data
                if label == "malicious" and record.verdict == "malicious":
                    assert response.status_code == 403
            if any(label == "malicious" for _, label in corpus):
                assert blocked >= 1
    assert not (tmp_path / "marker").exists()


def test_policy_allow_entry_lets_a_reviewed_file_through(upstream, tmp_path):
    from scanner.policy import load_policy

    evil = next(d for d in upstream.dists if d.filename == "evilpkg-2.0.tar.gz")
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(f'[[allow]]\nsha256 = "{evil.sha256}"\n'
                           f'reason = "reviewed test sample"\n')
    policy = load_policy(policy_file)
    options = ScanOptions(analyzers=(*registered(), STAND_IN), policy=policy)
    config = stand_in_config(upstream, tmp_path / "v.sqlite3", scan_options=options)
    with running_gate(config) as running:
        served = httpx.get(running.url + "/files/evilpkg/evilpkg-2.0.tar.gz")
        assert served.status_code == 200 and served.content == evil.data
        assert running.gate.store.get(evil.sha256).verdict == "clean"


def test_serve_command_runs_the_gate(upstream, tmp_path):
    """`distscan serve` itself, as a process on an ephemeral loopback port."""
    command = [sys.executable, "-m", "scanner", "serve", "--upstream", upstream.url,
               "--host", "127.0.0.1", "--port", "0", "--db", str(tmp_path / "v.sqlite3")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=clean_env(tmp_path))
    try:
        base = None
        deadline = time.monotonic() + 30
        lines = []
        while base is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "running on http://127.0.0.1:" in line:
                base = line.split("running on ", 1)[1].split()[0]
        assert base, "".join(lines)
        assert httpx.get(base + "/-/health").json()["status"] == "ok"
        refused = httpx.get(base + "/files/evilpkg/evilpkg-2.0.tar.gz", timeout=60)
        assert refused.status_code == 403 and "python." in refused.text
        assert httpx.post(base + "/-/allow", json={"sha256": "a" * 64, "reason": "x"}
                          ).status_code == 403  # no operator token: allowing is disabled
    finally:
        process.terminate()
        process.wait(20)
