"""The Dask backend gives the same stored results as the local worker pool."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_bulk import make_tree

from scanner.bulk import BulkConfig, run_bulk

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
