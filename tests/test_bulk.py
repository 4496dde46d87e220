"""Bulk scans: sources, the resumable store, the worker pool's containment of bad artifacts,
the reports and the ``distscan bulk`` command line."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.analyzers import Analyzer, registered
from scanner.bulk import BulkConfig, run_bulk
from scanner.bulk.report import render_html, summarize
from scanner.bulk.sources import SourceError, discover
from scanner.bulk.store import ResultStore, StoreError, connect
from scanner.cli import app
from scanner.model import Confidence, Context, Finding, Limits, Severity
from scanner.pipeline import ScanOptions
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

PTH_EXEC = "import os, base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def make_tree(root: Path, count: int = 6) -> list[Path]:
    """``count`` real artifacts (wheels and sdists, one malicious) in a small folder tree."""
    paths = []
    for i in range(count):
        name = f"pkg{i}"
        files = {f"{name}/__init__.py": f"VALUE = {i}\n"}
        if i == 1:
            files[f"{name}_init.pth"] = PTH_EXEC
        if i % 2:
            paths.append(_write(root / name, wheel_filename(name, "1.0"),
                                wheel_bytes(name, "1.0", files)))
        else:
            paths.append(_write(root / "sdists" / name, sdist_filename(name, "1.0"),
                                sdist_bytes(name, "1.0", files)))
    return paths


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- analysers that misbehave, for the containment tests (module level: workers import them) --


def _stall_outside_python(header, entry):
    """Blocks SIGALRM, like native code that never returns to the interpreter."""
    if entry.member.name == "stall.txt":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    return ()


def _kill_own_worker(header, entry):
    if entry.member.name == "die.txt":
        os.kill(os.getpid(), signal.SIGKILL)
    return ()


def _allocate_too_much(view):
    if any(m.name == "hog.txt" for m in view.members):
        hog = bytearray(1024**3)  # past a 512 MiB ceiling
        return [Finding("test.hog", "test", Severity.INFO, Confidence.HIGH, Context.DATA,
                        f"allocated {len(hog)}")]
    return ()


MISBEHAVING = (Analyzer("stall", _stall_outside_python, None),
               Analyzer("die", _kill_own_worker, None),
               Analyzer("hog", None, _allocate_too_much))


# -- sources ---------------------------------------------------------------------------------


def test_folder_source_finds_archives_by_suffix_and_by_content(tmp_path):
    made = make_tree(tmp_path / "tree", 4)
    disguised = _write(tmp_path / "tree", "README", wheel_bytes("x", "1.0", {"x.py": "A=1\n"}))
    _write(tmp_path / "tree", "notes.txt", b"just text\n")
    _write(tmp_path / "tree" / ".git", "pack.zip", wheel_bytes("y", "1.0", {"y.py": "B=1\n"}))
    found = discover(tmp_path / "tree")
    assert found.kind == "folder"
    assert sorted(i.path for i in found.items) == sorted(str(p) for p in [*made, disguised])


def test_mirror_source_walks_web_packages_only(tmp_path):
    mirror = tmp_path / "mirror"
    release = _write(mirror / "web" / "packages" / "ab" / "cd" / ("e" * 60), "demo-1.0.tar.gz",
                     sdist_bytes("demo", "1.0", {"demo/__init__.py": "A=1\n"}))
    _write(mirror / "web" / "simple" / "demo", "index.html", b"<html></html>")
    _write(mirror / "web" / "json", "demo.zip", b"PK\x05\x06" + b"\0" * 18)
    for root in (mirror, mirror / "web", mirror / "web" / "packages"):
        found = discover(root)
        assert found.kind == "mirror"
        assert [i.path for i in found.items] == [str(release)]


def test_listing_source_resolves_relative_paths_and_reports_bad_lines(tmp_path):
    made = make_tree(tmp_path / "tree", 3)
    listing = tmp_path / "list.txt"
    listing.write_text(f"# artifacts\n\n{made[0]}\ntree/{made[1].relative_to(tmp_path / 'tree')}"
                       f"\n{made[0]}\nmissing.whl\n")
    found = discover(listing)
    assert found.kind == "listing"
    assert [i.path for i in found.items] == [str(made[0]), str(tmp_path / "tree" /
                                                               made[1].relative_to(tmp_path /
                                                                                   "tree"))]
    assert found.skipped == (("missing.whl", "not a regular file"),)
    with pytest.raises(SourceError):
        discover(tmp_path / "nowhere")


# -- store and resume ------------------------------------------------------------------------


def test_run_stores_one_row_per_artifact_and_finding_and_resumes(tmp_path):
    made = make_tree(tmp_path / "tree", 6)
    copy = _write(tmp_path / "tree" / "copy", made[1].name, made[1].read_bytes())
    db = tmp_path / "results.db"
    first = run_bulk(tmp_path / "tree", db, BulkConfig(workers=2))
    assert (first.discovered, first.skipped, first.scanned, first.new) == (7, 0, 7, 6)
    assert rows(db, "PRAGMA journal_mode") == [("wal",)]
    stored = dict(rows(db, "SELECT sha256, verdict FROM artifacts"))
    assert set(stored) == {sha(p) for p in made}
    assert stored[sha(made[1])] == "malicious"
    assert {stored[sha(p)] for p in made if p != made[1]} == {"clean"}
    # The duplicate content is one artifact seen at two paths.
    assert rows(db, f"SELECT count(*) FROM paths WHERE sha256 = '{sha(copy)}'") == [(2,)]
    findings = rows(db, f"SELECT rule, path, line FROM findings WHERE sha256='{sha(made[1])}'")
    assert ("python.startup.pth-exec", "pkg1_init.pth", 1) in findings
    count, reasons = rows(db, "SELECT finding_count, reasons FROM artifacts "
                          f"WHERE sha256='{sha(made[1])}'")[0]
    assert count == len(findings) and "python.startup.pth-exec" in json.loads(reasons)

    again = run_bulk(tmp_path / "tree", db, BulkConfig(workers=2))
    assert (again.skipped, again.scanned) == (7, 0)
    # A file that changed is scanned again and stored under its new digest.
    changed = wheel_bytes("pkg3", "1.0", {"pkg3/__init__.py": "VALUE = 'new'\n"})
    made[3].write_bytes(changed)
    third = run_bulk(tmp_path / "tree", db, BulkConfig(workers=1))
    assert (third.skipped, third.scanned, third.new) == (6, 1, 1)
    assert rows(db, "SELECT count(*) FROM artifacts") == [(7,)]
    assert [r[0] for r in rows(db, "SELECT status FROM runs")] == ["finished"] * 3


def test_unreadable_artifacts_are_recorded_as_errors_with_reasons(tmp_path):
    make_tree(tmp_path / "tree", 2)
    _write(tmp_path / "tree", "broken.whl", b"PK\x03\x04 this is not really a zip")
    db = tmp_path / "results.db"
    report = run_bulk(tmp_path / "tree", db, BulkConfig(workers=1))
    assert report.verdicts["error"] == 1
    (error,) = rows(db, "SELECT error FROM artifacts WHERE verdict = 'error'")
    assert error[0]
    # Errors are finished unless asked to retry them.
    assert run_bulk(tmp_path / "tree", db, BulkConfig(workers=1)).scanned == 0
    assert run_bulk(tmp_path / "tree", db, BulkConfig(workers=1, retry_errors=True)).scanned == 1
    assert rows(db, "SELECT count(*) FROM artifacts") == [(3,)]


def test_store_refuses_a_foreign_database(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t(x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError):
        ResultStore(other)
    with pytest.raises(StoreError):
        connect(tmp_path / "absent.db", readonly=True)


# -- containment -----------------------------------------------------------------------------


def test_one_pathological_artifact_never_stalls_or_sinks_the_run(tmp_path):
    make_tree(tmp_path / "tree", 3)
    stall = _write(tmp_path / "tree", "stall-1.0.tar.gz",
                   sdist_bytes("stall", "1.0", {"stall.txt": "x"}))
    die = _write(tmp_path / "tree", "die-1.0.tar.gz", sdist_bytes("die", "1.0", {"die.txt": "x"}))
    hog = _write(tmp_path / "tree", "hog-1.0.tar.gz", sdist_bytes("hog", "1.0", {"hog.txt": "x"}))
    options = ScanOptions(limits=Limits(timeout_s=0.5), analyzers=registered() + MISBEHAVING)
    db = tmp_path / "results.db"
    started = time.monotonic()
    report = run_bulk(tmp_path / "tree", db, BulkConfig(workers=2, options=options,
                                                         memory_mb=768))
    assert time.monotonic() - started < 40
    assert report.scanned == 6
    errors = dict(rows(db, "SELECT filename, error FROM artifacts WHERE verdict = 'error'"))
    assert set(errors) == {stall.name, die.name, hog.name}
    assert "hard deadline" in errors[stall.name]
    assert "worker process died" in errors[die.name] and "signal 9" in errors[die.name]
    assert "memory ceiling" in errors[hog.name]
    assert rows(db, "SELECT count(*) FROM artifacts WHERE verdict != 'error'") == [(3,)]
    assert all(r[0] for r in rows(db, "SELECT sha256 FROM artifacts"))


# -- reports and CLI -------------------------------------------------------------------------


def test_report_summarises_and_html_escapes_artifact_text(tmp_path):
    made = make_tree(tmp_path / "tree", 4)
    evil = _write(tmp_path / "tree", "<img src=x onerror=alert(1)>.whl",
                  wheel_bytes("evil", "1.0", {"evil_init.pth": PTH_EXEC}))
    db = tmp_path / "results.db"
    run_bulk(tmp_path / "tree", db, BulkConfig(workers=1))
    summary = summarize(db)
    assert summary.artifacts == len(made) + 1
    assert summary.verdicts["malicious"] == 2 and summary.verdicts["clean"] == 3
    assert ("python.startup.pth-exec", 2, 2) in summary.top_rules
    assert sum(count for _, count in summary.time_histogram) == 5
    assert {p for p, *_ in summary.flagged} == {str(made[1]), str(evil)}
    page = render_html(summary)
    assert page.count("<svg") == 3 and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.whl" in page


def test_cli_bulk_source_then_report(tmp_path):
    make_tree(tmp_path / "tree", 3)
    db, page = tmp_path / "r.db", tmp_path / "r.html"
    runner = CliRunner()
    result = runner.invoke(app, ["bulk", str(tmp_path / "tree"), "--out", str(db),
                                 "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "scanned 3 of 3" in result.output
    result = runner.invoke(app, ["bulk", "run", str(tmp_path / "tree"), "-o", str(db), "-q"])
    assert result.exit_code == 0 and "3 already stored" in result.output
    result = runner.invoke(app, ["bulk", "report", str(db), "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert "3 artifact(s)" in result.output and "1 malicious" in result.output
    assert page.read_text().startswith("<!doctype html>")
    result = runner.invoke(app, ["bulk", str(tmp_path / "absent"), "--out", str(db)])
    assert result.exit_code == 2


def test_files_of_one_project_go_to_one_worker(tmp_path):
    """A wheel and its sdist share their modules; one worker scans both, in turn, so the
    module analysed for the first is reused for the second (and a retry or a kill still
    leaves one result per file, as the tests above show)."""
    from scanner.bulk.pool import LocalPool, by_project, project_of

    assert project_of("/m/Foo_Bar-1.0.tar.gz") == project_of("x/foo.bar-1.0-py3-none-any.whl")
    assert by_project(["a-1.whl", "b-1.whl", "a-1.tar.gz", "b-2.whl"]) == [
        ["a-1.whl", "a-1.tar.gz"], ["b-1.whl", "b-2.whl"]]
    assert [len(g) for g in by_project([f"big-{i}.whl" for i in range(70)])] == [32, 32, 6]
    paths = []
    for i in range(12):
        name = f"proj{i}"
        files = {f"{name}/__init__.py": f"VALUE = {i}\n"}
        paths.append(_write(tmp_path, wheel_filename(name, "1.0"),
                            wheel_bytes(name, "1.0", files)))
    for i in range(12):  # sdists listed after every wheel, as a folder walk may give them
        name = f"proj{i}"
        paths.append(_write(tmp_path, sdist_filename(name, "1.0"),
                            sdist_bytes(name, "1.0", {f"{name}/__init__.py": f"VALUE = {i}\n"})))
    outcomes = list(LocalPool(2, ScanOptions()).run([str(p) for p in paths]))
    assert sorted(o.path for o in outcomes) == sorted(str(p) for p in paths)
    worker_of = {Path(o.path).name: o.worker for o in outcomes}
    # (Which worker is ready first is up to the machine; pairs must never be split.)
    for i in range(12):
        assert worker_of[wheel_filename(f"proj{i}", "1.0")] == \
            worker_of[sdist_filename(f"proj{i}", "1.0")]
