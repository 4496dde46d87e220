"""Policy files: parsing with clear errors, and their effect on real scans and on the CLI."""

from __future__ import annotations

import hashlib

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.model import VerdictLevel
from scanner.pipeline import ScanOptions, scan
from scanner.policy import PolicyError, load_policy, parse_policy
from scanner.testing import wheel_bytes, wheel_filename

ENTRY_POINTS = "[console_scripts]\ngit = shady.cli:main\n"
CLI_PY = b"def main():\n    return 0\n"


def _wheel(name="shady"):
    files = {"shady/__init__.py": "", "shady/cli.py": CLI_PY}
    return wheel_filename(name, "1.0"), wheel_bytes(name, "1.0", files, entry_points=ENTRY_POINTS)


def _rules(result):
    return {f.rule for f in result.findings}


def test_parse_full_policy(tmp_path):
    digest = "a" * 64
    path = tmp_path / "policy.toml"
    path.write_text(f"""
[thresholds]
suspicious = 20
malicious = 60

[rules]
disable = ["metadata.name.*"]
severity = {{ "metadata.console-script.shadows-system-tool" = "high" }}

[[allow]]
sha256 = "{digest.upper()}"
reason = "reviewed launcher"
name = "launchkit"
""")
    policy = load_policy(path)
    assert policy.thresholds.suspicious == 20 and policy.thresholds.malicious == 60
    assert policy.is_disabled("metadata.name.typosquat")
    assert not policy.is_disabled("metadata.version.absurd")
    assert policy.allow[0].sha256 == digest and policy.allow[0].reason == "reviewed launcher"


@pytest.mark.parametrize("data, message", [
    ({"allow": [{"name": "requests", "reason": "popular"}]}, "package name alone"),
    ({"allow": [{"sha256": "b" * 64}]}, "reason"),
    ({"allow": [{"sha256": "xyz", "reason": "r"}]}, "64-hex-digit"),
    ({"thresholds": {"suspicious": 80, "malicious": 40}}, "suspicious <= malicious"),
    ({"thresholds": {"paranoia": 1}}, "unknown threshold"),
    ({"rules": {"severity": {"python.x": "huge"}}}, "not one of"),
    ({"rules": {"disable": ["Not A Rule"]}}, "not a rule id"),
    ({"allowlist": []}, "unknown section"),
])
def test_invalid_policies_are_rejected_clearly(data, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(data, "p.toml")


def test_bad_toml_is_a_policy_error(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("[thresholds\n")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(path)


def test_disable_and_severity_override_change_the_scan():
    filename, data = _wheel()
    plain = scan(data, filename=filename)
    assert "metadata.console-script.shadows-system-tool" in _rules(plain)
    assert plain.verdict.level is VerdictLevel.CLEAN
    raised = parse_policy({"rules": {"severity": {
        "metadata.console-script.shadows-system-tool": "critical"}}})
    result = scan(data, ScanOptions(policy=raised), filename=filename)
    hit = [f for f in result.findings if f.rule == "metadata.console-script.shadows-system-tool"]
    assert hit and str(hit[0].severity) == "critical"
    disabled = parse_policy({"rules": {"disable": ["metadata.console-script.*"]}})
    result = scan(data, ScanOptions(policy=disabled), filename=filename)
    assert "metadata.console-script.shadows-system-tool" not in _rules(result)


def test_allow_by_member_sha256_drops_only_that_members_findings():
    filename, data = _wheel()
    plain = scan(data, filename=filename)
    ep = next(f.path for f in plain.findings if f.rule.startswith("metadata.console-script"))
    import zipfile
    from io import BytesIO

    member = zipfile.ZipFile(BytesIO(data)).read(ep)
    policy = parse_policy({"allow": [{"sha256": hashlib.sha256(member).hexdigest(),
                                      "reason": "we ship our own git wrapper"}]})
    result = scan(data, ScanOptions(policy=policy), filename=filename)
    assert "metadata.console-script.shadows-system-tool" not in _rules(result)
    note = [f for f in result.findings if f.rule == "policy.allowed-member"]
    assert note and "we ship our own git wrapper" in note[0].message and note[0].path == ep


def test_allow_by_artifact_sha256_makes_it_clean_with_a_note():
    filename, data = _wheel()
    policy = parse_policy({"allow": [{"sha256": hashlib.sha256(data).hexdigest(),
                                      "reason": "vendored build, reviewed"}]})
    result = scan(data, ScanOptions(policy=policy), filename=filename)
    assert result.verdict.level is VerdictLevel.CLEAN
    assert [f.rule for f in result.findings] == ["policy.allowed-artifact"]
    other_name, other_data = _wheel("shady2")
    other = scan(other_data, ScanOptions(policy=policy), filename=other_name)
    assert "policy.allowed-artifact" not in _rules(other)


def test_cli_policy_option(tmp_path):
    filename, data = _wheel()
    artifact = tmp_path / filename
    artifact.write_bytes(data)
    good = tmp_path / "good.toml"
    good.write_text('[rules]\nseverity = { "metadata.console-script.*" = "critical" }\n'
                    '[thresholds]\nmalicious = 50\n')
    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(artifact), "--policy", str(good)])
    assert result.exit_code == 1, result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[[allow]]\nname = "requests"\nreason = "popular"\n')
    result = runner.invoke(app, ["scan", str(artifact), "--policy", str(bad)])
    assert result.exit_code == 2
    assert "package name alone" in result.output
    result = runner.invoke(app, ["scan", str(artifact), "--policy", str(tmp_path / "none.toml")])
    assert result.exit_code == 2 and "cannot read policy file" in result.output
