"""The Dask backend gives the same stored results as the local worker pool, bounds each
artifact in time and memory as the pool does, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from test_bulk import MISBEHAVING, make_tree

from scanner.analyzers import Analyzer, registered
from scanner.bulk import BulkConfig, run_bulk
from scanner.model import Limits
from scanner.pipeline import ScanOptions
from scanner.testing import sdist_bytes

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed "
                                  "(pip install '.[dask]')")


def _stored(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        artifacts = {sha: rest for sha, *rest in conn.execute(
            "SELECT sha256, kind, name, version, verdict, score, error, finding_count, "
            "reasons FROM artifacts")}
        findings = sorted(conn.execute(
            "SELECT sha256, seq, rule, category, severity, confidence, context, path, line, "
            "message, evidence FROM findings"))
        paths = sorted(conn.execute("SELECT path, size, mtime_ns, sha256, error FROM paths"))
    finally:
        conn.close()
    return {"artifacts": artifacts, "findings": findings, "paths": paths}


def test_dask_local_cluster_matches_the_local_pool(tmp_path):
    made = make_tree(tmp_path / "tree", 8)
    (tmp_path / "tree" / "broken.whl").write_bytes(b"PK\x03\x04 not a zip at all")
    (tmp_path / "tree" / "dup").mkdir()
    (tmp_path / "tree" / "dup" / made[1].name).write_bytes(made[1].read_bytes())
    local_db, dask_db = tmp_path / "local.db", tmp_path / "dask.db"
    local = run_bulk(tmp_path / "tree", local_db, BulkConfig(workers=2))

    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        on_dask = run_bulk(tmp_path / "tree", dask_db,
                           BulkConfig(dask_address=cluster.scheduler_address))
        assert (on_dask.backend, on_dask.workers) == ("dask", 2)
        # A rerun on the cluster skips everything, as locally.
        again = run_bulk(tmp_path / "tree", dask_db,
                         BulkConfig(dask_address=cluster.scheduler_address))
        assert (again.skipped, again.scanned) == (10, 0)

    assert local.scanned == on_dask.scanned == 10 and local.new == on_dask.new == 9
    assert local.verdicts == on_dask.verdicts
    assert local.verdicts["malicious"] == 2 and local.verdicts["error"] == 1
    assert _stored(local_db) == _stored(dask_db)


# -- containment on Dask: the same bounds as the local pool ----------------------------------


def _sleep_in_python(header, entry):
    """Slow in Python code: the pipeline's SIGALRM deadline can stop it, in a main thread."""
    if entry.member.name == "slow.txt":
        time.sleep(60)
    return ()


def _rows(db: Path, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def one_thread_cluster():
    # One worker thread: an artifact that stalled it would stall the whole run.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_dask_bounds_each_artifact_in_time_and_memory(tmp_path, one_thread_cluster):
    make_tree(tmp_path / "tree", 2)
    tree = tmp_path / "tree"
    made = {name: tree / f"{name}-1.0.tar.gz" for name in ("stall", "slow", "die", "hog")}
    for name, path in made.items():
        path.write_bytes(sdist_bytes(name, "1.0", {f"{name}.txt": "x"}))
    options = ScanOptions(limits=Limits(timeout_s=0.5),
                          analyzers=registered() + MISBEHAVING
                          + (Analyzer("slow", _sleep_in_python, None),))
    db = tmp_path / "results.db"
    started = time.monotonic()
    report = run_bulk(tree, db, BulkConfig(options=options, memory_mb=768,
                                           dask_address=one_thread_cluster))
    assert time.monotonic() - started < 90
    assert report.backend == "dask" and report.scanned == 6
    errors = dict(_rows(db, "SELECT filename, error FROM artifacts WHERE verdict = 'error'"))
    assert set(errors) == {made["stall"].name, made["die"].name, made["hog"].name}
    # Blocked SIGALRM, as native code would: the child is killed at the hard deadline.
    assert "hard deadline" in errors[made["stall"].name]
    assert "worker process died" in errors[made["die"].name]
    assert "signal 9" in errors[made["die"].name]
    assert "memory ceiling" in errors[made["hog"].name]
    # Slow Python code is stopped by the pipeline's own deadline, with its finding.
    slow = _rows(db, "SELECT f.rule FROM findings f JOIN artifacts a ON a.sha256 = f.sha256 "
                 "WHERE a.filename = ?", made["slow"].name)
    assert ("limits.timeout",) in slow
    assert _rows(db, "SELECT count(*) FROM artifacts WHERE verdict != 'error'") == [(3,)]
    assert all(sha for (sha,) in _rows(db, "SELECT sha256 FROM artifacts"))


def test_dask_run_stops_cleanly_on_ctrl_c(tmp_path, one_thread_cluster):
    make_tree(tmp_path / "tree", 6)
    db = tmp_path / "results.db"
    seen = []

    def interrupt_after_two(item, outcome):
        seen.append(item.path)
        if len(seen) == 2:
            raise KeyboardInterrupt

    report = run_bulk(tmp_path / "tree", db, BulkConfig(dask_address=one_thread_cluster),
                      on_result=interrupt_after_two)
    assert report.interrupted and report.scanned == 2
    assert _rows(db, "SELECT status, scanned FROM runs") == [("interrupted", 2)]
    assert len(_rows(db, "SELECT sha256 FROM artifacts")) == 2
    # The rerun picks up exactly what was not stored.
    again = run_bulk(tmp_path / "tree", db, BulkConfig(dask_address=one_thread_cluster))
    assert (again.skipped, again.scanned) == (2, 4)
    assert len(_rows(db, "SELECT sha256 FROM artifacts")) == 6
