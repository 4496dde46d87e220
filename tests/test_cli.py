"""The ``distscan scan`` command: what it accepts, what it prints, and its exit codes; and the
runner under it (worker pool, timeouts in workers, crashed workers, interruption)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner import runner as runner_module
from scanner.analyzers import Analyzer
from scanner.cli import app
from scanner.model import Confidence, Context, Finding, Limits, Severity, VerdictLevel
from scanner.pipeline import ScanOptions
from scanner.runner import scan_many
from scanner.targets import Target
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- artifacts


def write_wheel(folder: Path, name: str = "demo", version: str = "1.0",
                files: dict | None = None, **kwargs) -> Path:
    path = folder / wheel_filename(name, version)
    path.write_bytes(wheel_bytes(name, version, files or {f"{name}/__init__.py": "VALUE = 1\n"},
                                 **kwargs))
    return path


def write_sdist(folder: Path, name: str = "demo", version: str = "1.0") -> Path:
    path = folder / sdist_filename(name, version)
    path.write_bytes(sdist_bytes(name, version, {f"{name}/__init__.py": "VALUE = 1\n",
                                                 "pyproject.toml": "[project]\nname='demo'\n"}))
    return path


def write_corrupt(folder: Path, name: str = "broken") -> Path:
    """An sdist whose gzip stream is garbage after its header: nothing in it can be read.
    (A truncated *zip* is not enough: its members are salvaged from their local headers.)"""
    path = folder / sdist_filename(name, "1.0")
    path.write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 300)
    return path


def write_tampered(folder: Path) -> Path:
    """Container findings only: a '..' member, a duplicate name and a RECORD hash mismatch."""
    return write_wheel(folder, "tampered", files={"tampered/__init__.py": "VALUE = 1\n"},
                       extra_record={"../escape.py": "VALUE = 2\n",
                                     "tampered/__init__.py": "VALUE = 3\n"})


# Deterministic verdicts without depending on the real analysers: a test analyser that reacts
# to marker strings. It is a module-level function, so worker processes can unpickle it.

def _markers(header, entry):
    data = entry.data or b""
    if b"MARK-MALICIOUS" in data:
        yield Finding("test.malicious", "execution", Severity.CRITICAL, Confidence.HIGH,
                      Context.STARTUP, "marker", entry.member.path, 1, "MARK-MALICIOUS")
    if b"MARK-SUSPICIOUS" in data:
        yield Finding("test.suspicious", "execution", Severity.HIGH, Confidence.HIGH,
                      Context.IMPORT, "marker", entry.member.path, 1, "MARK-SUSPICIOUS")


def _sleep(view):
    time.sleep(30)
    return ()


def _sleep_if_marked(header, entry):
    if entry.data and b"MARK-SLEEP" in entry.data:
        time.sleep(30)
    return ()


def _sleep_unstoppable_if_marked(header, entry):
    # SIGALRM blocked: like a long call in C code that the in-worker deadline cannot stop.
    if entry.data and b"MARK-HANG" in entry.data:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)
    return ()


def _crash_if_marked(header, entry):
    if entry.data and b"MARK-CRASH" in entry.data:
        time.sleep(0.3)  # let the neighbour start, so that it is in flight when the pool breaks
        os.kill(os.getpid(), signal.SIGKILL)
    if entry.data and b"MARK-SLOWISH" in entry.data:
        time.sleep(1.5)
    return ()


MARKERS = Analyzer("markers", on_member=_markers)


@pytest.fixture
def markers_only(monkeypatch):
    """Run only the marker analyser in this process (use with --workers 1)."""
    monkeypatch.setattr("scanner.pipeline.registered", lambda: (MARKERS,))


def marked_wheel(folder: Path, name: str, marker: str) -> Path:
    return write_wheel(folder, name, files={f"{name}/__init__.py": f"# {marker}\n"})


def invoke(*args: str | Path):
    return CliRunner().invoke(app, ["scan", *map(str, args)])


def json_results(stdout: str) -> list[dict]:
    return json.loads(stdout)["results"]


# ---------------------------------------------------------------- entry points


def test_python_dash_m_scanner_help_works():
    proc = subprocess.run([sys.executable, "-m", "scanner", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "scan" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "scanner", "scan", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for option in ("--format", "--fail-on", "--workers", "--timeout", "--output"):
        assert option in proc.stdout


def test_subprocess_scan_reports_json_and_exit_code(tmp_path):
    wheel = write_wheel(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "scanner", "scan", str(wheel), "--format",
                           "json"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (result,) = json_results(proc.stdout)
    assert result["verdict"] == "clean" and result["artifact"]["kind"] == "wheel"


# ---------------------------------------------------------------- targets


def test_scans_a_single_file(tmp_path):
    wheel = write_wheel(tmp_path)
    outcome = invoke(wheel, "--format", "json")
    assert outcome.exit_code == 0, outcome.output
    (result,) = json_results(outcome.stdout)
    assert result["target"] == str(wheel)
    assert result["artifact"]["name"] == "demo" and result["artifact"]["version"] == "1.0"


def test_folder_of_artifacts_finds_archives_by_content_and_skips_other_files(tmp_path):
    write_wheel(tmp_path)
    write_sdist(tmp_path)
    (tmp_path / "notes.txt").write_text("not an artifact\n")
    nested = tmp_path / "more"
    nested.mkdir()
    disguised = nested / "payload.bin"  # a wheel without an artifact suffix
    disguised.write_bytes(wheel_bytes("other", "2.0", {"other/__init__.py": "A = 1\n"}))
    outcome = invoke(tmp_path, "--format", "json")
    assert outcome.exit_code == 0, outcome.output
    results = json_results(outcome.stdout)
    kinds = sorted((Path(r["target"]).name, r["artifact"]["kind"]) for r in results)
    assert kinds == [("demo-1.0-py3-none-any.whl", "wheel"), ("demo-1.0.tar.gz", "sdist"),
                     ("payload.bin", "wheel")]


def test_unpacked_package_folder_is_one_artifact(tmp_path):
    package = tmp_path / "demo-1.0"
    (package / "demo").mkdir(parents=True)
    (package / "setup.py").write_text("from setuptools import setup\nsetup(name='demo')\n")
    (package / "demo" / "__init__.py").write_text("VALUE = 1\n")
    outcome = invoke(package, "--format", "json")
    assert outcome.exit_code == 0, outcome.output
    (result,) = json_results(outcome.stdout)
    assert result["artifact"]["kind"] == "directory"
    # Inside a folder of artifacts too, the package folder is scanned whole, not walked into.
    write_wheel(tmp_path)
    results = json_results(invoke(tmp_path, "--format", "json").stdout)
    assert sorted(r["artifact"]["kind"] for r in results) == ["directory", "wheel"]


def test_glob_targets_expand_in_order_without_duplicates(tmp_path):
    first = write_wheel(tmp_path, "alpha")
    second = write_wheel(tmp_path, "beta")
    write_sdist(tmp_path, "gamma")
    outcome = invoke(str(tmp_path / "*.whl"), first, "--format", "json")
    assert outcome.exit_code == 0, outcome.output
    targets = [r["target"] for r in json_results(outcome.stdout)]
    assert targets == [str(first), str(second)]


# ---------------------------------------------------------------- formats and output


def test_text_format_shows_verdict_target_and_summary(tmp_path):
    wheel = write_wheel(tmp_path)
    outcome = invoke(wheel)
    assert outcome.exit_code == 0
    assert "CLEAN" in outcome.stdout and wheel.name in outcome.stdout
    assert "1 artifact(s): 0 malicious, 0 suspicious, 0 error, 1 clean" in outcome.stdout


def test_jsonl_prints_one_result_per_line(tmp_path):
    write_wheel(tmp_path, "alpha")
    write_wheel(tmp_path, "beta")
    write_corrupt(tmp_path)
    outcome = invoke(tmp_path, "--format", "jsonl")
    assert outcome.exit_code == 3
    lines = outcome.stdout.splitlines()
    assert len(lines) == 3
    verdicts = sorted(json.loads(line)["verdict"] for line in lines)
    assert verdicts == ["clean", "clean", "error"]


def test_output_file_gets_the_report_and_stdout_stays_empty(tmp_path):
    wheel = write_wheel(tmp_path)
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    outcome = invoke(wheel, "--format", "json", "-o", report)
    assert outcome.exit_code == 0
    assert outcome.stdout == ""
    assert json.loads(report.read_text())["summary"]["clean"] == 1
    text_report = tmp_path / "out" / "report.txt"
    assert invoke(wheel, "--output", text_report).exit_code == 0
    assert "CLEAN" in text_report.read_text()


def test_workers_2_gives_every_result_in_target_order(tmp_path):
    wheels = [write_wheel(tmp_path, f"pkg{i}") for i in range(5)]
    corrupt = write_corrupt(tmp_path)
    outcome = invoke(*wheels, corrupt, "--workers", "2", "--format", "json")
    assert outcome.exit_code == 3, outcome.output
    results = json_results(outcome.stdout)
    assert [r["target"] for r in results] == [str(p) for p in (*wheels, corrupt)]
    assert [r["verdict"] for r in results] == ["clean"] * 5 + ["error"]


# ---------------------------------------------------------------- exit codes


@pytest.mark.parametrize(("markers", "fail_on", "expected"), [
    (["MARK-NOTHING"], None, 0),
    (["MARK-SUSPICIOUS"], None, 0),
    (["MARK-SUSPICIOUS"], "malicious", 0),
    (["MARK-SUSPICIOUS"], "suspicious", 1),
    (["MARK-MALICIOUS"], None, 1),
    (["MARK-MALICIOUS"], "suspicious", 1),
    (["CORRUPT"], None, 3),
    (["CORRUPT", "MARK-NOTHING"], None, 3),
    (["CORRUPT", "MARK-SUSPICIOUS"], None, 3),
    (["CORRUPT", "MARK-SUSPICIOUS"], "suspicious", 1),
    (["CORRUPT", "MARK-MALICIOUS"], None, 1),
])
def test_exit_codes(tmp_path, markers_only, markers, fail_on, expected):
    paths = [write_corrupt(tmp_path) if marker == "CORRUPT"
             else marked_wheel(tmp_path, f"pkg{i}", marker) for i, marker in enumerate(markers)]
    args = [*paths, "--format", "json"] + (["--fail-on", fail_on] if fail_on else [])
    outcome = invoke(*args)
    assert outcome.exit_code == expected, outcome.output
    verdicts = {r["verdict"] for r in json_results(outcome.stdout)}
    assert ("malicious" in verdicts) == ("MARK-MALICIOUS" in markers)
    assert ("suspicious" in verdicts) == ("MARK-SUSPICIOUS" in markers)


@pytest.mark.filterwarnings("ignore:Duplicate name")  # the duplicate is the point
def test_real_container_findings_reach_suspicious_and_fail_the_gate(tmp_path):
    tampered = write_tampered(tmp_path)
    outcome = invoke(tampered, "--fail-on", "suspicious", "--format", "json")
    assert outcome.exit_code == 1, outcome.output
    (result,) = json_results(outcome.stdout)
    assert result["verdict"] in ("suspicious", "malicious")
    rules = {f["rule"] for f in result["findings"]}
    assert {"container.path-traversal", "container.duplicate-name",
            "wheel.record-hash-mismatch"} <= rules
    # The default gate fails only when the verdict is malicious.
    default = invoke(tampered, "--format", "json")
    assert default.exit_code == (1 if result["verdict"] == "malicious" else 0)


@pytest.mark.parametrize("args", [
    ["--no-such-option"],
    ["--format", "xml"],
    ["--fail-on", "clean"],
    ["--workers", "-1"],
    [],
])
def test_usage_errors_exit_2(tmp_path, args):
    wheel = write_wheel(tmp_path)
    outcome = invoke(*args, *([wheel] if args else []))
    assert outcome.exit_code == 2, outcome.output


def test_missing_targets_exit_2(tmp_path):
    assert invoke(tmp_path / "absent.whl").exit_code == 2
    assert invoke(str(tmp_path / "*.whl")).exit_code == 2  # glob matching nothing
    empty = tmp_path / "empty"
    empty.mkdir()
    outcome = invoke(empty)
    assert outcome.exit_code == 2
    assert "no artifacts" in outcome.stderr


def test_fifo_target_is_refused_instead_of_hanging(tmp_path):
    fifo = tmp_path / "pipe.whl"
    os.mkfifo(fifo)
    outcome = invoke(fifo)
    assert outcome.exit_code == 2
    assert "not a regular file" in outcome.stderr


def test_timeout_stops_a_slow_scan(tmp_path, monkeypatch):
    monkeypatch.setattr("scanner.pipeline.registered",
                        lambda: (Analyzer("sleepy", on_artifact=_sleep),))
    wheel = write_wheel(tmp_path)
    started = time.monotonic()
    outcome = invoke(wheel, "--timeout", "0.5", "--format", "json")
    assert time.monotonic() - started < 10
    (result,) = json_results(outcome.stdout)
    assert "limits.timeout" in {f["rule"] for f in result["findings"]}
    assert result["verdict"] != "clean"  # not fully analysed: never clean


# ---------------------------------------------------------------- untrusted text in output


def test_text_output_strips_terminal_control_characters(tmp_path, monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    hostile = "demo/\x1b[31mred\x1b]0;title\x07\u202etxt.py"
    wheel = write_wheel(tmp_path, files={"demo/__init__.py": "VALUE = 1\n", hostile: "A = 1\n"})
    report = tmp_path / "report.txt"
    outcome = invoke(wheel, "--verbose", "--fail-on", "suspicious", "-o", report)
    stdout = CliRunner().invoke(app, ["scan", str(wheel), "--verbose"]).stdout_bytes
    for raw in (report.read_bytes(), stdout):
        text = raw.decode("utf-8")
        assert "control-characters-in-name" in text  # the finding is shown ...
        assert "\\x1b[31mred" in text  # ... with its name escaped
        assert b"\x1b" not in raw and b"\x07" not in raw
        assert "\u202e" not in text and "\\u202e" in text
    assert outcome.exit_code in (0, 1)


# ---------------------------------------------------------------- runner


def _targets(paths: list[Path]) -> list[Target]:
    return [Target(p, str(p)) for p in paths]


def test_timeout_is_enforced_inside_worker_processes(tmp_path):
    paths = [marked_wheel(tmp_path, "slow", "MARK-SLEEP"), write_wheel(tmp_path, "fast"),
             marked_wheel(tmp_path, "slower", "MARK-SLEEP")]
    options = ScanOptions(limits=Limits(timeout_s=0.5),
                          analyzers=(Analyzer("sleepy", on_member=_sleep_if_marked),))
    started = time.monotonic()
    results = dict(scan_many(_targets(paths), options, workers=2))
    assert time.monotonic() - started < 15
    assert sorted(results) == [0, 1, 2]
    for index in (0, 2):
        assert "limits.timeout" in {f.rule for f in results[index].findings}
    assert results[1].verdict.level is VerdictLevel.CLEAN


def test_a_worker_crash_is_pinned_on_its_artifact_and_the_batch_goes_on(tmp_path):
    paths = [marked_wheel(tmp_path, "killer", "MARK-CRASH"),
             marked_wheel(tmp_path, "neighbour", "MARK-SLOWISH"),
             *(write_wheel(tmp_path, f"ok{i}") for i in range(3))]
    options = ScanOptions(analyzers=(Analyzer("crasher", on_member=_crash_if_marked),))
    results = dict(scan_many(_targets(paths), options, workers=2))
    assert sorted(results) == list(range(5))
    assert results[0].verdict.level is VerdictLevel.ERROR
    assert "worker process died" in results[0].error
    # The neighbour was in flight both times the pool broke: it is re-run alone, not blamed.
    assert all(results[i].verdict.level is VerdictLevel.CLEAN for i in range(1, 5))


def test_a_hang_that_ignores_the_deadline_is_killed_by_the_backstop(tmp_path, monkeypatch):
    monkeypatch.setattr(runner_module, "HARD_KILL_GRACE_S", 1.0)
    paths = [marked_wheel(tmp_path, "hang", "MARK-HANG"), write_wheel(tmp_path, "fine")]
    options = ScanOptions(limits=Limits(timeout_s=0.5),
                          analyzers=(Analyzer("hang", on_member=_sleep_unstoppable_if_marked),))
    started = time.monotonic()
    results = dict(scan_many(_targets(paths), options, workers=2))
    assert time.monotonic() - started < 20
    assert results[0].verdict.level is VerdictLevel.ERROR
    assert "timeout" in results[0].error
    assert results[1].verdict.level is VerdictLevel.CLEAN


def test_abandoning_a_pool_run_kills_its_workers(tmp_path):
    paths = [write_wheel(tmp_path, "fast"), marked_wheel(tmp_path, "slow1", "MARK-SLEEP"),
             marked_wheel(tmp_path, "slow2", "MARK-SLEEP")]
    options = ScanOptions(limits=Limits(timeout_s=60),
                          analyzers=(Analyzer("sleepy", on_member=_sleep_if_marked),))
    results = scan_many(_targets(paths), options, workers=2)
    index, _ = next(results)
    assert index == 0
    started = time.monotonic()
    results.close()  # what Ctrl-C does to the generator in the CLI
    assert time.monotonic() - started < 10
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert multiprocessing.active_children() == []


_INTERRUPT_SCRIPT = """
import sys, time
import scanner.pipeline
from scanner.analyzers import Analyzer

def _sleep(view):
    time.sleep(60)
    return ()

scanner.pipeline.registered = lambda: (Analyzer("sleepy", on_artifact=_sleep),)
from scanner.cli import app
sys.argv = ["distscan", "scan", *sys.argv[1:], "--workers", "2"]
print("scanning", flush=True)
app()
"""


def test_ctrl_c_exits_130_at_once_and_leaves_no_worker_behind(tmp_path):
    paths = [str(write_wheel(tmp_path, "one")), str(write_wheel(tmp_path, "two"))]
    proc = subprocess.Popen([sys.executable, "-c", _INTERRUPT_SCRIPT, *paths], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "scanning"
        time.sleep(3)  # both workers are now inside the 60 s analyser
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "interrupted after 0 of 2 artifacts" in stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)  # anything left in the session: a worker still running
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("worker processes outlived the interrupted scan")
