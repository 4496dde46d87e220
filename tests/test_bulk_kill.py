"""A bulk run killed with SIGKILL midway and run again leaves exactly one row per artifact."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from scanner.testing import wheel_bytes, wheel_filename

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = 40


def _module(i: int, j: int) -> str:
    return "".join(f"def f{k}(x):\n    return x * {k + i} + len(str(x)) - {j}\n"
                   for k in range(80))


def _build(folder: Path) -> dict[str, Path]:
    made = {}
    for i in range(ARTIFACTS):
        name = f"killtest{i}"
        data = wheel_bytes(name, "1.0", {f"{name}/m{j}.py": _module(i, j) for j in range(4)})
        path = folder / wheel_filename(name, "1.0")
        path.write_bytes(data)
        made[hashlib.sha256(data).hexdigest()] = path
    return made


def _count(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM artifacts").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or its tables not yet
        return 0


def _bulk(source: Path, db: Path, workers: int = 1) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return [sys.executable, "-m", "scanner", "bulk", str(source), "--out", str(db),
            "--workers", str(workers), "--quiet"], env


def test_sigkill_midway_then_rerun_leaves_one_row_per_artifact(tmp_path):
    source = tmp_path / "artifacts"
    source.mkdir()
    made = _build(source)
    db = tmp_path / "results.db"
    command, env = _bulk(source, db)
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while _count(db) < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        at_kill = _count(db)
        os.kill(process.pid, signal.SIGKILL)  # the run itself; its worker is orphaned
        process.wait(timeout=30)
    finally:
        # Clean up the orphans now rather than let them notice the closed pipe on their own.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert 3 <= at_kill < ARTIFACTS, f"the run was not caught midway ({at_kill} rows)"
    survived = _count(db)
    assert survived < ARTIFACTS

    rerun = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                           timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{survived} already stored, {ARTIFACTS - survived} to scan" in rerun.stderr

    conn = sqlite3.connect(db)
    try:
        stored = conn.execute("SELECT sha256, path, verdict FROM artifacts").fetchall()
        paths = conn.execute("SELECT count(*), count(DISTINCT path) FROM paths").fetchone()
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY run_id")]
        orphans = conn.execute("SELECT count(*) FROM findings WHERE sha256 NOT IN "
                               "(SELECT sha256 FROM artifacts)").fetchone()[0]
    finally:
        conn.close()
    assert len(stored) == ARTIFACTS
    assert {sha: Path(path) for sha, path, _ in stored} == made
    assert {verdict for *_, verdict in stored} == {"clean"}
    assert paths == (ARTIFACTS, ARTIFACTS)
    assert statuses == ["running", "finished"]  # the killed run never got to say it ended
    assert orphans == 0


def test_ctrl_c_stops_cleanly_and_keeps_what_finished(tmp_path):
    source = tmp_path / "artifacts"
    source.mkdir()
    made = _build(source)
    db = tmp_path / "results.db"
    command, env = _bulk(source, db, workers=2)  # both workers are busy when Ctrl-C comes
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while _count(db) < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        _out, err = process.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err
    assert "interrupted after" in err and "Traceback" not in err
    conn = sqlite3.connect(db)
    try:
        status, scanned = conn.execute("SELECT status, scanned FROM runs").fetchone()
        stored = [r[0] for r in conn.execute("SELECT sha256 FROM artifacts")]
    finally:
        conn.close()
    assert status == "interrupted"
    assert 3 <= scanned == len(stored) < ARTIFACTS
    assert set(stored) <= set(made)
