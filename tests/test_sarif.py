"""``--format sarif``: valid against the official SARIF 2.1.0 schema (vendored in tests/data,
see sarif-schema-2.1.0.json.source), with rule metadata and locations GitHub accepts."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from scanner.analyzers.python.rules import RULES
from scanner.cli import app
from scanner.model import (
    ArtifactInfo,
    Confidence,
    Context,
    Finding,
    ScanResult,
    Severity,
    Verdict,
    VerdictLevel,
)
from scanner.report.sarif import NOT_SCANNED, document, level

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "corpus" / "malicious" / "reverse-shell"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text("utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def sarif_of(*args) -> tuple[int, dict]:
    outcome = CliRunner().invoke(app, ["scan", *map(str, args), "--format", "sarif",
                                       "--no-cache"])
    return outcome.exit_code, json.loads(outcome.stdout)


def test_malicious_sample_as_sarif_is_valid_and_complete(validator, monkeypatch):
    monkeypatch.chdir(REPO)  # a relative target: its URI is the repository path
    code, log = sarif_of(SAMPLE.relative_to(REPO))
    assert code == 1
    validator.validate(log)
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "distscan" and driver["version"] and driver["informationUri"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert run["results"]
    for i, result in enumerate(run["results"]):
        rule = rules[result["ruleId"]]
        assert driver["rules"][result["ruleIndex"]] is rule
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert result["level"] in ("error", "warning", "note")
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["region"]["startLine"] >= 1
        assert physical["artifactLocation"]["uri"].startswith("corpus/malicious/reverse-shell")
        assert result["partialFingerprints"]["distscanFinding/v1"], i
        assert result["properties"]["verdict"] == "malicious"
    assert run["properties"]["artifacts"][0]["verdict"] == "malicious"
    assert run["properties"]["summary"]["malicious"] == 1
    # The rules come from the catalogue, not from one finding's wording.
    python_rules = {r.id: r for r in RULES}
    shown = [rid for rid in rules if rid in python_rules]
    for rid in shown:
        assert python_rules[rid].category in rules[rid]["fullDescription"]["text"]
    assert any(r["properties"]["security-severity"] for r in driver["rules"])


def _result(findings, verdict=VerdictLevel.MALICIOUS, error=None, target="/abs/x.whl"):
    info = ArtifactInfo("x-1.0-py3-none-any.whl", "a" * 64, 10, "wheel", "x", "1.0")
    return ScanResult(target, info, Verdict(verdict, 90.0, tuple(findings[:1])),
                      tuple(findings), error)


def test_lines_are_clamped_paths_sanitized_and_errors_reported(validator):
    hostile = Finding("python.exec.remote-code", "execution", Severity.CRITICAL,
                      Confidence.HIGH, Context.IMPORT, "remote code", "../../etc/passwd", 0,
                      "exec(urlopen(...))")
    wide = Finding("container.something-new", "container", Severity.LOW, Confidence.LOW,
                   Context.CONTAINER, "an artifact-wide note", None, None)
    broken = _result([], VerdictLevel.ERROR, "unreadable zip", target="pypi:x==1.0/x.whl")
    log = document([_result([hostile, wide]), broken])
    validator.validate(log)
    (run,) = log["runs"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    uri = by_rule["python.exec.remote-code"]["locations"][0]["physicalLocation"]
    assert uri["region"]["startLine"] == 1
    assert uri["artifactLocation"]["uri"] == "x-1.0-py3-none-any.whl/_/_/etc/passwd"
    assert by_rule["python.exec.remote-code"]["level"] == "error"
    assert by_rule["python.exec.remote-code"]["properties"]["decisive"] is True
    assert by_rule["container.something-new"]["level"] == "note"
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["container.something-new"]["shortDescription"]["text"] == \
        "An artifact-wide note."  # no catalogue entry: the finding's own message
    error = by_rule[NOT_SCANNED]
    assert error["level"] == "error" and "unreadable zip" in error["message"]["text"]
    assert error["properties"]["target"] == "pypi:x==1.0/x.whl"
    assert run["invocations"][0]["executionSuccessful"] is False
    assert [level(s) for s in Severity] == ["note", "note", "warning", "error", "error"]


def test_sarif_of_nothing_found_is_valid(validator, tmp_path):
    from scanner.testing import wheel_bytes, wheel_filename

    wheel = tmp_path / wheel_filename("plain", "1.0")
    wheel.write_bytes(wheel_bytes("plain", "1.0", {"plain/__init__.py": "X = 1\n"}))
    code, log = sarif_of(wheel)
    assert code == 0
    validator.validate(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_many_artifacts_with_hostile_names_keep_github_rules(validator):
    """GitHub code scanning: every ruleId among the rules, relative URIs, startLine >= 1; and
    no terminal control characters or absolute paths of the runner in any message."""
    hostile = Finding("python.exec.remote-code", "execution", Severity.HIGH, Confidence.HIGH,
                      Context.IMPORT, "runs \x1b]0;owned\x07 code", "/pkg/\x1b[2Jx.py", -4,
                      "exec(x)")
    custom = Finding("custom.rule-\x1b", "other", Severity.MEDIUM, Confidence.LOW,
                     Context.DATA, "custom \x1b[31mred", None, None)
    results = [_result([hostile, custom], target=f"/home/runner/work/dist/x{i}.whl")
               for i in range(30)]
    results.append(_result([], VerdictLevel.ERROR, "member \x1b[2J is unreadable",
                           target="C:\\runner\\dist\\x.whl"))
    log = document(results)
    validator.validate(log)
    (run,) = log["runs"]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(ids) == len(set(ids))
    assert len(run["results"]) == 61
    for result in run["results"]:
        assert result["ruleId"] in ids
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        physical = result["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith("/") and ":" not in uri and ".." not in uri.split("/")
        assert physical["region"]["startLine"] >= 1
    texts = [r["message"]["text"] for r in run["results"]]
    texts += [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    texts += [r["shortDescription"]["text"] for r in run["tool"]["driver"]["rules"]]
    for text in texts:
        assert not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in text), text
        assert "/home/runner" not in text and "C:\\runner" not in text
    assert any("\\x1b[2J" in t for t in texts)  # shown, escaped
