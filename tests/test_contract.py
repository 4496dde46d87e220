"""The result contract other tools depend on: ``--format json`` and ``--format jsonl`` output
validates against the shipped JSON Schema (Draft 2020-12) and says what the artifact really is."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from scanner import __version__
from scanner.cli import app
from scanner.report.jsonout import load_schema
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

RULE_ID = r"^[a-z0-9_-]+(\.[a-z0-9_-]+)+$"


@pytest.fixture(scope="module")
def schema() -> dict:
    loaded = load_schema()
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


@pytest.fixture(scope="module")
def document_validator(schema):
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def result_validator(schema):
    return jsonschema.Draft202012Validator(
        {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/result"})


@pytest.fixture
def artifacts(tmp_path) -> dict[str, Path]:
    """One clean wheel, one clean sdist, one wheel with container findings, one corrupt file."""
    made = {
        "clean": (wheel_filename("Demo.Pkg", "1.0"),
                  wheel_bytes("Demo.Pkg", "1.0", {"demo_pkg/__init__.py": "VALUE = 1\n"})),
        "sdist": (sdist_filename("demo", "2.0"),
                  sdist_bytes("demo", "2.0", {"demo/__init__.py": "VALUE = 2\n"})),
        "suspicious": (wheel_filename("tampered", "1.0"),
                       wheel_bytes("tampered", "1.0", {"tampered/__init__.py": "A = 1\n"},
                                   extra_record={"../escape.py": "A = 2\n",
                                                 "tampered/\x1b[31m\u202e.py": "A = 3\n"})),
    }
    paths = {}
    for key, (name, data) in made.items():
        paths[key] = tmp_path / name
        paths[key].write_bytes(data)
    # Garbage after a gzip header: unreadable. (A truncated zip is salvaged from its local
    # headers instead, so it would not give an error.)
    paths["error"] = tmp_path / "garbage-1.0.tar.gz"
    paths["error"].write_bytes(b"\x1f\x8b\x08\x00" + b"\xff" * 300)
    return paths


def run_json(*paths: Path, fmt: str = "json"):
    outcome = CliRunner().invoke(app, ["scan", *map(str, paths), "--format", fmt])
    assert outcome.exit_code in (0, 1, 3), outcome.output
    return outcome


def test_json_document_validates_for_clean_suspicious_and_error(artifacts, document_validator):
    order = [artifacts[k] for k in ("clean", "sdist", "suspicious", "error")]
    document = json.loads(run_json(*order).stdout)
    document_validator.validate(document)
    assert document["schema_version"] == 1
    assert document["tool"] == {"name": "distscan", "version": __version__}
    results = document["results"]
    assert [r["target"] for r in results] == [str(p) for p in order]
    verdicts = [r["verdict"] for r in results]
    assert verdicts[:2] == ["clean", "clean"]
    assert verdicts[2] in ("suspicious", "malicious")
    assert verdicts[3] == "error"
    summary = document["summary"]
    assert summary["artifacts"] == 4
    assert sum(summary[k] for k in ("clean", "suspicious", "malicious", "error")) == 4
    assert summary["clean"] == 2 and summary["error"] == 1


def test_jsonl_lines_each_validate_as_a_result(artifacts, result_validator):
    outcome = run_json(*artifacts.values(), fmt="jsonl")
    lines = outcome.stdout.splitlines()
    assert len(lines) == len(artifacts)
    for line in lines:
        result_validator.validate(json.loads(line))


def test_artifact_block_tells_what_the_file_is(artifacts):
    results = {Path(r["target"]).name: r for r in
               json.loads(run_json(artifacts["clean"], artifacts["sdist"]).stdout)["results"]}
    wheel = results[artifacts["clean"].name]["artifact"]
    data = artifacts["clean"].read_bytes()
    assert wheel == {"filename": artifacts["clean"].name,
                     "sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                     "kind": "wheel", "name": "demo-pkg", "version": "1.0"}
    sdist = results[artifacts["sdist"].name]["artifact"]
    assert (sdist["kind"], sdist["name"], sdist["version"]) == ("sdist", "demo", "2.0")


def test_error_result_says_why_and_keeps_identity(artifacts):
    (result,) = json.loads(run_json(artifacts["error"]).stdout)["results"]
    assert result["verdict"] == "error"
    assert result["error"] and isinstance(result["error"], str)
    assert result["findings"] == []
    data = artifacts["error"].read_bytes()
    assert result["artifact"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert result["artifact"]["size"] == len(data)


def test_findings_are_well_formed_and_evidence_is_escaped(artifacts):
    (result,) = json.loads(run_json(artifacts["suspicious"]).stdout)["results"]
    assert result["error"] is None
    assert result["findings"], "the tampered wheel must produce findings"
    for finding in result["findings"]:
        assert jsonschema.Draft202012Validator({"pattern": RULE_ID}).is_valid(finding["rule"])
        assert finding["line"] is None or finding["line"] >= 1
        assert "\x1b" not in finding["evidence"] and "\u202e" not in finding["evidence"]
    assert set(result["reasons"]) <= {f["rule"] for f in result["findings"]}
    assert 0 < result["score"] <= 100


@pytest.mark.parametrize(("where", "bad"), [
    (("verdict",), "dangerous"),
    (("score",), 101),
    (("artifact", "sha256"), "not-a-digest"),
    (("artifact", "kind"), "rpm"),
    (("findings",), [{"rule": "NoDots", "category": "x", "severity": "high",
                      "confidence": "high", "context": "install", "path": None, "line": 1,
                      "message": "", "evidence": ""}]),
    (("findings",), [{"rule": "a.b", "category": "x", "severity": "high", "confidence": "high",
                      "context": "install", "path": None, "line": 0, "message": "",
                      "evidence": ""}]),
])
def test_schema_rejects_broken_results(artifacts, result_validator, where, bad):
    """The schema has teeth: a result that breaks the contract does not validate."""
    (result,) = json.loads(run_json(artifacts["clean"]).stdout)["results"]
    result_validator.validate(result)
    broken = copy.deepcopy(result)
    target = broken
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = bad
    assert not result_validator.is_valid(broken)


def test_schema_ships_inside_the_package():
    from importlib import resources

    assert resources.files("scanner").joinpath("schema/result.schema.json").is_file()


def test_json_escapes_characters_that_reorder_text_but_keeps_values(tmp_path):
    """Member names are attacker-chosen: a bidi override or C1 control must not reach a
    terminal raw when someone runs ``cat report.json``, yet the parsed value is unchanged."""
    hostile = "demo/\u202eyp.txt\u2066\x9b31m.py"
    wheel = tmp_path / wheel_filename("demo", "1.0")
    wheel.write_bytes(wheel_bytes("demo", "1.0", {"demo/__init__.py": "A = 1\n"},
                                  extra_record={hostile: "B = 2\n"}))
    for fmt in ("json", "jsonl"):
        outcome = run_json(wheel, fmt=fmt)
        for char in ("\u202e", "\u2066", "\x9b", "\x1b"):
            assert char not in outcome.stdout
        assert "\\u202e" in outcome.stdout
        results = ([json.loads(line) for line in outcome.stdout.splitlines()] if fmt == "jsonl"
                   else json.loads(outcome.stdout)["results"])
        paths = {f["path"] for r in results for f in r["findings"]}
        assert hostile in paths, "the finding about the unlisted member keeps its exact name"
