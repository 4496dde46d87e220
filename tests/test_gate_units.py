"""The gate's parts without a server: page parsing and rendering, content negotiation,
upstream credentials, the verdict store, shared scans, decisions and metrics."""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.analyzers import Analyzer
from scanner.gate.blobs import Blob
from scanner.gate.config import GateConfig
from scanner.gate.decision import cooldown_decision, judge
from scanner.gate.metrics import Metrics
from scanner.gate.negotiate import TEXT_HTML, choose
from scanner.gate.scanning import Scanner
from scanner.gate.simple import (
    HTML_V1,
    JSON_V1,
    FileEntry,
    ProjectPage,
    parse_index_page,
    parse_project_page,
    render_index_html,
    render_project_html,
    render_project_json,
)
from scanner.gate.store import VerdictRecord, VerdictStore
from scanner.gate.upstream import parse_upstream, redact
from scanner.model import Confidence, Context, Finding, Severity
from scanner.pipeline import ScanOptions
from scanner.testing import wheel_bytes, wheel_filename

SHA = "a" * 64
PAGE_URL = "https://index.example/simple/demo/"


def _page() -> ProjectPage:
    return ProjectPage("demo", (
        FileEntry("demo-1.0.tar.gz", "https://files.example/demo-1.0.tar.gz", {"sha256": SHA},
                  requires_python=">=3.8,<4", yanked="bad \"release\" <oops>",
                  core_metadata={"sha256": "b" * 64}, gpg_sig=False, size=10,
                  upload_time="2024-05-01T10:00:00.123456Z"),
        FileEntry("demo-1.1-py3-none-any.whl", "https://files.example/demo-1.1.whl",
                  {"sha256": "c" * 64}, yanked=True, core_metadata=True, size=20,
                  upload_time="2024-06-01T10:00:00Z"),
    ), ("1.0", "1.1"), "1.1")


def _through_gate(page: ProjectPage) -> dict[str, tuple]:
    return {f.filename: (dict(f.hashes), f.requires_python, f.yanked,
                         dict(f.core_metadata) if isinstance(f.core_metadata, dict)
                         else f.core_metadata, f.gpg_sig) for f in page.files}


def test_json_render_then_parse_keeps_every_field():
    page = _page()
    document = json.loads(render_project_json(page))
    assert document["meta"]["api-version"] == "1.1" and document["versions"] == ["1.0", "1.1"]
    parsed = parse_project_page(render_project_json(page), JSON_V1, PAGE_URL, "demo")
    assert _through_gate(parsed) == _through_gate(page)
    assert [(f.size, f.upload_time) for f in parsed.files] == \
        [(f.size, f.upload_time) for f in page.files]
    # File URLs point at the gate, relative to the project page.
    assert parsed.files[0].url == "https://index.example/files/demo/demo-1.0.tar.gz"


def test_html_render_then_parse_keeps_every_field_and_escapes_attributes():
    page = _page()
    body = render_project_html(page)
    assert b'data-requires-python="&gt;=3.8,&lt;4"' in body
    assert b'data-yanked="bad &quot;release&quot; &lt;oops&gt;"' in body
    assert b'data-core-metadata="sha256=' + b"b" * 64 + b'"' in body
    assert b'data-dist-info-metadata="true"' in body  # PEP 714: both names, old and new
    parsed = parse_project_page(body, "text/html", PAGE_URL, "demo")
    assert _through_gate(parsed) == _through_gate(page)


def test_html_without_hashes_or_sizes_renders_api_1_0():
    body = (b'<a href="../../packages/demo-2.0.tar.gz#md5=00ff">demo-2.0.tar.gz</a>'
            b'<a href="https://elsewhere.example/demo-2.1.tar.gz" data-yanked>demo-2.1.tar.gz</a>')
    page = parse_project_page(body, "text/html; charset=utf-8", PAGE_URL, "Demo")
    assert page.name == "demo"
    assert page.files[0].url == "https://index.example/packages/demo-2.0.tar.gz"
    assert page.files[0].hashes == {"md5": "00ff"} and page.files[0].sha256 is None
    assert page.files[1].yanked is True and page.files[1].hashes == {}
    document = json.loads(render_project_json(page))
    assert document["meta"]["api-version"] == "1.0" and "versions" not in document
    assert "#md5=00ff" in render_project_html(page).decode()


def test_index_pages_parse_and_render():
    html = render_index_html(["Foo_Bar", "baz"])
    assert b'href="foo-bar/"' in html
    assert parse_index_page(html, "text/html") == ("Foo_Bar", "baz")
    body = json.dumps({"meta": {"api-version": "1.0"}, "projects": [{"name": "x"}]}).encode()
    assert parse_index_page(body, JSON_V1) == ("x",)


@pytest.mark.parametrize(("accept", "chosen"), [
    (None, TEXT_HTML),
    ("", TEXT_HTML),
    ("*/*", TEXT_HTML),
    ("text/html", TEXT_HTML),
    (f"{JSON_V1}, {HTML_V1}; q=0.1, text/html; q=0.01", JSON_V1),  # pip
    ("application/vnd.pypi.simple.latest+json", JSON_V1),
    ("application/vnd.pypi.simple.latest+html", HTML_V1),
    (f"text/html;q=0.5, {JSON_V1};q=0.4", TEXT_HTML),
    (f"{JSON_V1};q=0, */*", TEXT_HTML),
    ("application/*", HTML_V1),
    ("application/json", None),
    ("image/png, text/plain", None),
])
def test_content_negotiation(accept, chosen):
    assert choose(accept) == chosen


def test_format_query_parameter_overrides_accept():
    assert choose("text/html", "json") == JSON_V1
    assert choose(None, "nonsense") is None


def test_upstream_credentials_leave_the_url_and_go_only_to_the_index_origin():
    upstream = parse_upstream("https://alice:p%40ss@index.example:8443/private/simple")
    assert upstream.base == "https://index.example:8443/private/simple/"
    assert (upstream.username, upstream.password) == ("alice", "p@ss")
    assert upstream.auth_for("https://index.example:8443/private/files/x.whl") is not None
    assert upstream.auth_for("https://files.example/x.whl") is None
    token_only = parse_upstream("https://TOKEN123@fury.example/me/")
    assert token_only.username == "TOKEN123" and "TOKEN123" not in token_only.base
    assert redact("https://u:secret@h.example/simple/?token=abc") == "https://h.example/simple/?…"
    with pytest.raises(ValueError):
        parse_upstream("ftp://h.example/")


def test_store_is_wal_durable_and_keyed_by_fingerprint(tmp_path):
    path = tmp_path / "v.sqlite3"
    record = VerdictRecord(SHA, "x.whl", "malicious", 97.0, ("python.a", "python.b"), None, 3.0,
                           time.time(), "fp1")
    store = VerdictStore(path, "fp1")
    assert store.journal_mode() == "wal"
    store.put(record)
    store.allow("b" * 64, "reviewed")
    store.close()
    reopened = VerdictStore(path, "fp1")
    assert reopened.get(SHA) == record
    assert reopened.allowed("b" * 64).reason == "reviewed"
    assert [r.sha256 for r in reopened.verdicts(("malicious",))] == [SHA]
    reopened.close()
    assert VerdictStore(path, "fp2").get(SHA) is None  # another scanner config: stale


def test_fingerprint_changes_with_scanner_configuration(tmp_path):
    base = GateConfig(upstream="http://127.0.0.1:1/simple/", db_path=tmp_path / "x")
    assert base.fingerprint() == GateConfig(upstream="http://127.0.0.1:2/simple/",
                                            db_path=tmp_path / "y").fingerprint()
    other = GateConfig(upstream="http://127.0.0.1:1/simple/", db_path=tmp_path / "x",
                       scan_options=ScanOptions(analyzers=()))
    assert other.fingerprint() != base.fingerprint()


def test_decisions(tmp_path):
    config = GateConfig(upstream="http://127.0.0.1:1/simple/", db_path=tmp_path / "x")
    def record(verdict):
        return VerdictRecord(SHA, "x.whl", verdict, 50.0, ("rule.one",), "broken zip", 1.0,
                             0.0, "fp")
    assert not judge(record("malicious"), None, config).allowed
    assert "rule.one" in judge(record("malicious"), None, config).reason
    assert judge(record("suspicious"), None, config).allowed
    strict = GateConfig(upstream=config.upstream, db_path=config.db_path, block_suspicious=True)
    assert not judge(record("suspicious"), None, strict).allowed
    assert not judge(record("error"), None, config).allowed  # fail closed
    lenient = GateConfig(upstream=config.upstream, db_path=config.db_path, block_errors=False)
    assert judge(record("error"), None, lenient).allowed
    from scanner.gate.store import AllowRecord
    assert judge(record("malicious"), AllowRecord(SHA, "ok", 0.0), config).allowed


def test_cooldown_uses_upload_time(tmp_path):
    config = GateConfig(upstream="http://127.0.0.1:1/simple/", db_path=tmp_path / "x",
                        cooldown_hours=48)
    now = datetime(2024, 6, 2, 12, 0, tzinfo=UTC)
    young = FileEntry("a.whl", "u", upload_time="2024-06-01T12:00:00Z")
    old = FileEntry("b.whl", "u", upload_time="2024-05-01T12:00:00.5Z")
    unknown = FileEntry("c.whl", "u")
    assert "held back until 2024-06-03 12:00" in cooldown_decision(young, config, now).reason
    assert cooldown_decision(old, config, now) is None
    assert cooldown_decision(unknown, config, now) is None


def _slow(view):
    time.sleep(0.4)
    yield Finding("test.slow", "test", Severity.INFO, Confidence.HIGH, Context.DATA, "slow")


def test_concurrent_verdicts_for_one_content_share_one_scan(tmp_path):
    data = wheel_bytes("demo", "1.0", {"demo/__init__.py": "X = 1\n"})
    path = tmp_path / "demo.whl"
    path.write_bytes(data)
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    store = VerdictStore(tmp_path / "v.sqlite3", "fp")
    options = ScanOptions(analyzers=(Analyzer("slow", on_artifact=_slow),))
    scanner = Scanner(store, options, Metrics(), executor="thread", workers=4, timeout_s=30)

    async def many():
        blobs = [Blob(path, sha, len(data)).acquire() for _ in range(6)]
        records = await asyncio.gather(*(scanner.verdict(b, wheel_filename("demo", "1.0"))
                                         for b in blobs))
        return blobs, records

    try:
        blobs, records = asyncio.run(many())
    finally:
        scanner.close()
    assert scanner.scans_started == 1
    assert len({r.scanned_at for r in records}) == 1 and records[0].verdict == "clean"
    assert store.get(sha) == records[0]
    assert path.exists() and all(b.users == 1 for b in blobs)  # the scan let go of its hold


def test_scan_timeout_is_an_unstored_error(tmp_path):
    path = tmp_path / "demo.whl"
    path.write_bytes(wheel_bytes("demo", "1.0", {"demo/__init__.py": "X = 1\n"}))
    store = VerdictStore(tmp_path / "v.sqlite3", "fp")
    options = ScanOptions(analyzers=(Analyzer("slow", on_artifact=_slow),))
    # In a thread the pipeline's own SIGALRM deadline cannot fire: the gate's wait must.
    scanner = Scanner(store, options, Metrics(), executor="thread", timeout_s=0.1,
                      grace_s=0.0)
    blob = Blob(path, "d" * 64, 1).acquire()
    try:
        record = asyncio.run(scanner.verdict(blob, "demo-1.0-py3-none-any.whl"))
    finally:
        scanner.close()
    assert record.verdict == "error" and "longer than" in record.error
    assert store.get("d" * 64) is None  # a timeout may be transient: try again next time


def _die(view):
    os._exit(3)  # a worker killed mid-scan (out of memory, a crash in a C extension)


def test_dead_worker_gives_an_unstored_error_and_a_fresh_pool(tmp_path):
    path = tmp_path / "demo.whl"
    path.write_bytes(wheel_bytes("demo", "1.0", {"demo/__init__.py": "X = 1\n"}))
    store = VerdictStore(tmp_path / "v.sqlite3", "fp")
    dying = ScanOptions(analyzers=(Analyzer("dies", on_artifact=_die),))
    scanner = Scanner(store, dying, Metrics(), executor="process", timeout_s=60)

    async def twice():
        first = await scanner.verdict(Blob(path, "e" * 64, 1).acquire(), "demo.whl")
        scanner._options = ScanOptions(analyzers=())  # the next scan is harmless
        second = await scanner.verdict(Blob(path, "e" * 64, 1).acquire(), "demo.whl")
        return first, second

    try:
        first, second = asyncio.run(twice())
    finally:
        scanner.close()
    assert first.verdict == "error" and "worker died" in first.error
    assert second.verdict == "clean"  # a new pool took over, and the error was not stored
    assert store.get("e" * 64) == second


def test_metrics_render_prometheus_text():
    metrics = Metrics()
    metrics.inc("distscan_gate_scans_total", verdict="clean")
    metrics.inc("distscan_gate_blocks_total", reason='odd"reason')
    metrics.observe_scan(0.3)
    text = metrics.render()
    assert '# TYPE distscan_gate_scans_total counter' in text
    assert 'distscan_gate_scans_total{verdict="clean"} 1' in text
    assert 'distscan_gate_blocks_total{reason="odd\\"reason"} 1' in text
    assert 'distscan_gate_scan_seconds_bucket{le="0.5"} 1' in text
    assert 'distscan_gate_scan_seconds_bucket{le="0.25"} 0' in text
    assert "distscan_gate_scan_seconds_count 1" in text


def test_serve_command_is_wired(tmp_path):
    from typer.testing import CliRunner

    from scanner.cli import app

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--upstream" in result.output
    bad = CliRunner().invoke(app, ["serve", "--upstream", "ftp://u:hunter2@x.example/",
                                   "--db", str(tmp_path / "v.sqlite3")])
    assert bad.exit_code == 2 and "hunter2" not in bad.output


def test_blob_is_deleted_when_its_last_user_lets_go(tmp_path):
    path = Path(tmp_path / "blob")
    path.write_bytes(b"x")
    blob = Blob(path, SHA, 1).acquire()
    blob.acquire()
    blob.release()
    assert path.exists()
    blob.release()
    assert not path.exists()
