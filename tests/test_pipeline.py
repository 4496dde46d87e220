"""The pipeline's promises: analyser failures are contained, decoded payloads are re-analysed,
incomplete scans are never clean, and unreadable input gives an ``error`` verdict."""

from __future__ import annotations

import time

from scanner.analyzers import Analyzer, Derived
from scanner.analyzers import container as container_analyzer
from scanner.model import Confidence, Context, Finding, Limits, Severity, VerdictLevel
from scanner.pipeline import ScanOptions, scan
from scanner.testing import wheel_bytes, wheel_filename

WHEEL = wheel_bytes("demo", "1.0", {"demo/__init__.py": "VALUE = 1\n",
                                    "demo/blob.txt": "TOKEN-TO-DECODE\n"})
FILENAME = wheel_filename("demo", "1.0")


def _explode(view):
    raise RuntimeError("analyser bug")


def _marker(view):
    yield Finding("test.marker", "test", Severity.INFO, Confidence.HIGH, Context.DATA,
                  "the second analyser still ran")


def _derive(view):
    for path, data in view.texts.items():
        if b"TOKEN-TO-DECODE" in data:
            yield Derived(f"{path}::decoded[1]", b"HIDDEN-PAYLOAD", path, ("test",),
                          Context.STARTUP, 1)


def _spot_hidden(header, entry):
    if entry.data and b"HIDDEN-PAYLOAD" in entry.data:
        yield Finding("test.hidden", "execution", Severity.HIGH, Confidence.HIGH, Context.DATA,
                      "payload seen", entry.member.path, 1, "HIDDEN-PAYLOAD")


def _sleep_forever(view):
    time.sleep(30)
    return ()


def _options(*analyzers, limits=None):
    return ScanOptions(limits=limits or Limits(), analyzers=analyzers)


def test_analyzer_exception_becomes_finding_and_others_still_run():
    result = scan(WHEEL, _options(Analyzer("exploding", on_artifact=_explode),
                                  Analyzer("marker", on_artifact=_marker)), filename=FILENAME)
    rules = {f.rule for f in result.findings}
    assert "test.marker" in rules
    error = next(f for f in result.findings if f.rule == "scanner.analyzer-error")
    assert "exploding" in error.message and "RuntimeError" in error.message
    # An analyser that failed means the artifact was not fully analysed: never clean.
    assert result.verdict.level is VerdictLevel.SUSPICIOUS


def test_derived_payload_is_rescanned_with_origin_context():
    result = scan(WHEEL, _options(Analyzer("derive", on_artifact=_derive),
                                  Analyzer("spot", on_member=_spot_hidden)), filename=FILENAME)
    hidden = [f for f in result.findings if f.rule == "test.hidden"]
    assert len(hidden) == 1
    assert hidden[0].path == "demo/blob.txt::decoded[1]"
    assert hidden[0].context is Context.STARTUP  # inherited from the payload's origin


def test_timeout_stops_a_stuck_analyzer():
    started = time.monotonic()
    result = scan(WHEEL, _options(Analyzer("stuck", on_artifact=_sleep_forever),
                                  limits=Limits(timeout_s=1.0)), filename=FILENAME)
    assert time.monotonic() - started < 10
    assert any(f.rule == "limits.timeout" for f in result.findings)
    assert result.verdict.level is not VerdictLevel.CLEAN


def test_unreadable_input_is_an_error_verdict_with_reason():
    garbage = b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4  # a gzip header, then noise
    result = scan(garbage, _options(Analyzer("c", on_artifact=container_analyzer.analyze)),
                  filename="demo-1.0.tar.gz")
    assert result.verdict.level is VerdictLevel.ERROR
    assert result.error and "tar" in result.error
    assert result.artifact.name == "demo" and result.artifact.version == "1.0"


def test_truncated_wheel_is_never_clean():
    # Half a wheel: members are salvaged from local headers, but the rest was never read.
    result = scan(WHEEL[: len(WHEEL) // 2], _options(Analyzer("c", on_artifact=container_analyzer
                                                               .analyze)), filename=FILENAME)
    assert result.verdict.level is VerdictLevel.ERROR
    assert "central directory" in result.error
    assert any(f.rule == "container.no-central-directory" for f in result.findings)


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty-1.0.tar.gz"
    path.write_bytes(b"")
    result = scan(path)
    assert result.verdict.level is VerdictLevel.ERROR
    assert result.error == "empty file"


def _find_then_hang(view):
    yield Finding("test.early", "execution", Severity.HIGH, Confidence.HIGH, Context.INSTALL,
                  "found before the hang")
    time.sleep(30)


def test_timeout_keeps_findings_made_before_it():
    result = scan(WHEEL, _options(Analyzer("slow", on_artifact=_find_then_hang),
                                  limits=Limits(timeout_s=1.0)), filename=FILENAME)
    rules = {f.rule for f in result.findings}
    assert {"test.early", "limits.timeout"} <= rules


def test_package_name_over_non_archive_content_is_an_error():
    # pip would refuse such a file; calling it a clean lone file would hide that.
    result = scan(b"print('not a wheel')\n", filename=FILENAME)
    assert result.verdict.level is VerdictLevel.ERROR
    assert result.error and "not an archive" in result.error


def test_results_do_not_depend_on_the_hash_seed(tmp_path):
    """The same artifact gives the same findings in the same order, and the same verdict
    reasons, whatever PYTHONHASHSEED the process has (set iteration must not leak out)."""
    import os
    import subprocess
    import sys

    from scanner.testing import sdist_bytes, sdist_filename

    names = ("alpha", "beta", "gamma", "delta", "omega", "kappa")
    helpers = {f"build_{name}.py": (f"import os, subprocess\nfrom setuptools.command.install "
                                    f"import install\nclass {name.title()}(install):\n"
                                    f"    def run(self):\n"
                                    f"        subprocess.run(['make', '{name}'])\n"
                                    f"        os.system('echo {name}')\n")
               for name in names}
    setup = "".join(f"import build_{name}\n" for name in names) + \
        "from setuptools import setup\nsetup(name='demo')\n"
    path = tmp_path / sdist_filename("demo", "1.0")
    path.write_bytes(sdist_bytes("demo", "1.0", {"setup.py": setup, **helpers}))
    program = ("import sys, json\nfrom scanner.pipeline import scan\nr = scan(sys.argv[1])\n"
               "print(json.dumps([[f.rule, f.path, f.line] for f in r.findings]"
               " + [[f.rule, f.path, f.line] for f in r.verdict.reasons]))\n")
    outputs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", program, str(path)], env=env,
                              capture_output=True, text=True, check=True, timeout=120)
        outputs.append(done.stdout)
    assert "python.install.hook" in outputs[0]
    assert outputs[0] == outputs[1] == outputs[2]
