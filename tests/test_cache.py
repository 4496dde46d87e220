"""The verdict cache shared by distscan scan, distscan pip and the gate: results are reused for
unchanged content under an unchanged configuration, and only then."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from index_support import Dist, running_upstream
from typer.testing import CliRunner

from scanner.analyzers import Analyzer, registered
from scanner.cache import ResultCache, default_cache_dir, scan_fingerprint
from scanner.cli import app
from scanner.gate import GateConfig
from scanner.gate.store import VerdictRecord, VerdictStore
from scanner.model import Confidence, Context, Finding, Severity
from scanner.pipeline import ScanOptions
from scanner.testing import wheel_bytes, wheel_filename

CALLS: list[str] = []


def _counting(view):
    """Counts the artifacts it sees; flags a marker so that results have evidence."""
    CALLS.append(view.filename if hasattr(view, "filename") else "artifact")
    for path, data in view.texts.items():
        if b"MARK" in data:
            yield Finding("test.cache.marker", "test", Severity.HIGH, Confidence.HIGH,
                          Context.IMPORT, "a marker", path, 2, "MARK")


COUNTING = Analyzer("counting", on_artifact=_counting)


@pytest.fixture
def counting(monkeypatch):
    CALLS.clear()
    monkeypatch.setattr("scanner.pipeline.registered", lambda: (COUNTING,))
    return CALLS


def write_wheel(folder: Path, name: str = "cachepkg", body: str = "X = 1\n# MARK\n") -> Path:
    path = folder / wheel_filename(name, "1.0")
    path.write_bytes(wheel_bytes(name, "1.0", {f"{name}/__init__.py": body}))
    return path


def scan(*args, cache: Path | None = None):
    extra = ["--cache-dir", str(cache)] if cache is not None else []
    outcome = CliRunner().invoke(app, ["scan", *map(str, args), "-f", "json", *extra])
    return outcome, (json.loads(outcome.stdout)["results"] if outcome.stdout.strip() else [])


def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "distscan"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/not/allowed")
    assert default_cache_dir() == Path.home() / ".cache" / "distscan"


def test_second_scan_is_served_from_the_cache(tmp_path, counting):
    wheel = write_wheel(tmp_path)
    cache = tmp_path / "cache"
    first, (fresh,) = scan(wheel, cache=cache)
    assert [f["rule"] for f in fresh["findings"]] == ["test.cache.marker"]
    assert len(counting) == 1
    again, (cached,) = scan(wheel, cache=cache)
    assert again.exit_code == first.exit_code
    assert len(counting) == 1  # the analyser did not run again
    assert cached.pop("cached") is True and "cached" not in fresh
    assert cached == fresh  # everything else, evidence included, is the same
    # Same content under another name is reported under the name given now... and a
    # different file name (wheel tags can change findings) is not a hit.
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / wheel.name).write_bytes(wheel.read_bytes())
    _, (moved,) = scan(copy / wheel.name, cache=cache)
    assert moved["cached"] is True and moved["target"] == str(copy / wheel.name)
    renamed = tmp_path / wheel_filename("cachepkg", "1.0", "py2-none-any")
    renamed.write_bytes(wheel.read_bytes())
    _, (other,) = scan(renamed, cache=cache)
    assert "cached" not in other and len(counting) == 2


def test_configuration_changes_invalidate_and_no_cache_bypasses(tmp_path, counting):
    wheel = write_wheel(tmp_path)
    cache = tmp_path / "cache"
    scan(wheel, cache=cache)
    assert len(counting) == 1
    _, (limited,) = scan(wheel, "--max-depth", "1", cache=cache)  # another reading limit
    assert "cached" not in limited and len(counting) == 2
    policy = tmp_path / "policy.toml"
    policy.write_text('[rules]\ndisable = ["test.cache.marker"]\n')
    _, (with_policy,) = scan(wheel, "--policy", policy, cache=cache)
    assert "cached" not in with_policy and with_policy["findings"] == []
    assert len(counting) == 3
    _, (bypassed,) = scan(wheel, "--no-cache", cache=cache)
    assert "cached" not in bypassed and len(counting) == 4
    # A new version of the file is new content: scanned again.
    write_wheel(tmp_path, body="X = 2\n")
    _, (changed,) = scan(wheel, cache=cache)
    assert "cached" not in changed and changed["verdict"] == "clean" and len(counting) == 5


def test_fingerprint_names_analysers_rules_and_limits(tmp_path):
    base = scan_fingerprint(ScanOptions())
    assert base == scan_fingerprint(ScanOptions())
    assert base == GateConfig(upstream="http://127.0.0.1:1/simple/",
                              db_path=tmp_path / "g").fingerprint()  # gate and scan agree
    assert base != scan_fingerprint(ScanOptions(analyzers=registered()[:2]))
    from dataclasses import replace

    from scanner.analyzers.yara_rules import with_rule_dirs

    rules = tmp_path / "rules"
    rules.mkdir()
    rule = rules / "x.yar"
    rule.write_text("rule a { condition: false }\n")
    with_rules = ScanOptions(analyzers=with_rule_dirs(registered(), (str(rules),)))
    first = scan_fingerprint(with_rules)
    rule.write_text("rule a { condition: true }\n")
    assert scan_fingerprint(with_rules) != first != base  # an edited rule file counts
    timeout_only = ScanOptions(limits=replace(ScanOptions().limits, timeout_s=5))
    assert scan_fingerprint(timeout_only) == base  # finished results do not depend on it


def test_fingerprint_follows_distscans_own_code(monkeypatch):
    import scanner.cache as cache_module

    base = scan_fingerprint(ScanOptions())
    monkeypatch.setattr(cache_module, "code_digest", lambda: "an edited analyser")
    assert scan_fingerprint(ScanOptions()) != base  # same version number, other code


def test_a_corrupt_cache_file_is_survived(tmp_path, counting):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "verdicts.sqlite3").write_bytes(b"this is not a database" * 100)
    wheel = write_wheel(tmp_path)
    outcome, (result,) = scan(wheel, cache=cache)
    assert outcome.exit_code in (0, 1) and len(counting) == 1
    assert [f["rule"] for f in result["findings"]] == ["test.cache.marker"]
    assert "verdict cache" in outcome.stderr and "continuing without it" in outcome.stderr
    assert outcome.stderr.count("warning") == 1


def test_old_gate_databases_gain_the_result_column(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""CREATE TABLE verdicts (sha256 TEXT PRIMARY KEY, filename TEXT NOT NULL,
        verdict TEXT NOT NULL, score REAL NOT NULL, rules TEXT NOT NULL, error TEXT,
        elapsed_ms REAL NOT NULL, scanned_at REAL NOT NULL, fingerprint TEXT NOT NULL);
        CREATE TABLE allows (sha256 TEXT PRIMARY KEY, reason TEXT NOT NULL,
        allowed_at REAL NOT NULL);""")
    db.execute("INSERT INTO verdicts VALUES (?, 'x.whl', 'clean', 0, '', NULL, 1, 1, 'fp')",
               ("a" * 64,))
    db.commit()
    db.close()
    store = VerdictStore(path, "fp")
    old = store.get("a" * 64)
    assert old is not None and old.result is None  # a gate verdict: no full result
    store.put(VerdictRecord("b" * 64, "y.whl", "clean", 0.0, (), None, 1.0, time.time(), "fp",
                            '{"x": 1}'))
    assert store.get("b" * 64).result == '{"x": 1}'
    store.close()
    again = VerdictStore(path, "fp")  # opening twice does not migrate twice
    assert again.get("b" * 64).result == '{"x": 1}'
    again.close()
    # A verdict-only row is a miss for distscan scan (it needs the findings to print).
    cache = ResultCache(path, "fp")
    assert cache.get("a" * 64, "t") is None and cache.enabled
    cache.close()


def test_remote_files_known_to_the_cache_are_not_downloaded(tmp_path):
    data = wheel_bytes("cleanpkg", "3.0", {"cleanpkg/__init__.py": "X = 1\n"})
    dist = Dist("cleanpkg", wheel_filename("cleanpkg", "3.0"), data)
    cache = tmp_path / "cache"
    with running_upstream([dist]) as index:
        first, (fresh,) = scan("pypi:cleanpkg==3.0", "--index-url", index.url, cache=cache)
        again, (cached,) = scan("pypi:cleanpkg==3.0", "--index-url", index.url, cache=cache)
        assert index.downloads(dist.filename) == 1
    assert first.exit_code == again.exit_code == 0
    assert cached.pop("cached") is True and cached == fresh


def test_concurrent_processes_share_the_cache(tmp_path):
    import subprocess
    import sys

    from scanner.cache import code_digest

    code_before = code_digest.__wrapped__()
    wheels = [write_wheel(tmp_path, f"pkg{i}", f"X = {i}\n") for i in range(6)]
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "scanner", "scan", *map(str, wheels), "-f", "json",
               "--cache-dir", str(cache)]
    repo = Path(__file__).resolve().parents[1]
    runs = [subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(3)]
    outputs = [r.communicate(timeout=120) for r in runs]
    for (stdout, stderr), process in zip(outputs, runs):
        assert process.returncode == 0, stderr
        assert "warning" not in stderr
        assert len(json.loads(stdout)["results"]) == 6
    final = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120)
    cached = all(r.get("cached") for r in json.loads(final.stdout)["results"])
    # Only an edit of distscan's own code during the test (a new fingerprint) excuses a miss.
    assert cached or code_digest.__wrapped__() != code_before


def test_files_the_gate_scanned_are_reused_by_scan(tmp_path, counting):
    """One cache for all commands: a file the gate (serve / distscan pip) judged is not scanned
    again by `distscan scan`, and the reused result carries the gate scan's evidence."""
    import httpx
    from index_support import running_gate

    data = wheel_bytes("gatepkg", "1.0", {"gatepkg/__init__.py": "X = 1\n# MARK\n"})
    dist = Dist("gatepkg", wheel_filename("gatepkg", "1.0"), data)
    cache = tmp_path / "cache"
    with running_upstream([dist]) as index:
        config = GateConfig(upstream=index.url, db_path=cache / "verdicts.sqlite3",
                            executor="thread", scan_options=ScanOptions())
        with running_gate(config) as gate:
            served = httpx.get(f"{gate.url}/files/gatepkg/{dist.filename}")
    assert served.status_code == 200 and served.content == data
    assert len(counting) == 1
    local = tmp_path / dist.filename
    local.write_bytes(data)
    _, (result,) = scan(local, cache=cache)
    assert len(counting) == 1  # served from what the gate stored
    assert result["cached"] is True
    assert [f["rule"] for f in result["findings"]] == ["test.cache.marker"]
