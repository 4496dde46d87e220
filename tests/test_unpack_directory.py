"""Scanning an unpacked package folder (and odd files given as artifacts): FIFOs never block,
links are reported and never followed, unreadable parts keep the verdict from being clean."""

from __future__ import annotations

import os
import threading

import pytest

from scanner.model import VerdictLevel
from scanner.pipeline import scan

PY = b"import os\n"


def _scan_with_watchdog(run, seconds: float = 15.0):
    """Run ``run()`` in a thread; fail instead of hanging the suite if it blocks."""
    box: dict = {}
    worker = threading.Thread(target=lambda: box.setdefault("result", run()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "scan blocked"
    return box["result"]


def _package(root):
    (root / "demo").mkdir(parents=True)
    (root / "setup.py").write_bytes(PY)
    (root / "demo" / "__init__.py").write_bytes(PY)
    return root


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_inside_a_folder_is_reported_and_not_opened(tmp_path, container_scan):
    root = _package(tmp_path / "pkg")
    os.mkfifo(root / "demo" / "pipe.py")
    result = _scan_with_watchdog(lambda: container_scan(root))
    devices = [f for f in result.findings if f.rule == "container.device-member"]
    assert [f.path for f in devices] == ["demo/pipe.py"]
    assert result.verdict.level is VerdictLevel.SUSPICIOUS


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_given_as_the_artifact_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "demo-1.0.tar.gz"
    os.mkfifo(fifo)
    result = _scan_with_watchdog(lambda: scan(fifo))
    assert result.verdict.level is VerdictLevel.ERROR
    assert "not a regular file" in result.error


def test_device_given_as_the_artifact_is_an_error(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    result = _scan_with_watchdog(lambda: scan("/dev/zero"))
    assert result.verdict.level is VerdictLevel.ERROR


def test_symlink_loops_and_escapes_are_reported_not_followed(tmp_path, container_scan):
    root = _package(tmp_path / "pkg")
    (root / "demo" / "loop").symlink_to("..")  # a folder loop
    (root / "demo" / "self").symlink_to("self")  # a link to itself
    (root / "demo" / "secrets").symlink_to("/etc/passwd")
    result = _scan_with_watchdog(lambda: container_scan(root))
    rules = {(f.rule, f.path) for f in result.findings}
    assert ("container.link", "demo/loop") not in rules  # ".." escapes the folder
    assert ("container.link-escape", "demo/loop") in rules
    assert ("container.link", "demo/self") in rules
    assert ("container.link-escape", "demo/secrets") in rules
    assert result.error is None


def test_unreadable_file_keeps_the_verdict_from_being_clean(tmp_path, monkeypatch,
                                                            container_scan):
    import scanner.unpack as unpack

    root = _package(tmp_path / "pkg")
    real_open = unpack._open_regular

    def refuse(path):
        if path.name == "__init__.py":
            raise PermissionError(13, "Permission denied")
        return real_open(path)

    monkeypatch.setattr(unpack, "_open_regular", refuse)
    result = container_scan(root)
    unreadable = [f for f in result.findings if f.rule == "limits.unreadable-member"]
    assert [f.path for f in unreadable] == ["demo/__init__.py"]
    assert result.verdict.level is not VerdictLevel.CLEAN


def test_unlistable_folder_keeps_the_verdict_from_being_clean(tmp_path, monkeypatch,
                                                              container_scan):
    root = _package(tmp_path / "pkg")
    real_scandir = os.scandir

    def refuse(path="."):
        if os.fspath(path).endswith("demo"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    result = container_scan(root)
    unreadable = [f for f in result.findings if f.rule == "limits.unreadable-member"]
    assert [f.path for f in unreadable] == ["demo"]
    assert result.verdict.level is not VerdictLevel.CLEAN


def test_undecodable_file_name_in_a_folder_is_reported(tmp_path, container_scan):
    root = _package(tmp_path / "pkg")
    try:
        (root / os.fsdecode(b"demo/bad\xff.py")).write_bytes(PY)
    except (OSError, UnicodeError):
        pytest.skip("file system refuses non-UTF-8 names")
    result = container_scan(root)
    assert any(f.rule == "container.undecodable-name" and "bad" in f.evidence
               for f in result.findings)
