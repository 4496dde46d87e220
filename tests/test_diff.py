"""Release diffing: inventories, per-file behaviour comparison, drift findings and re-scoring,
the text and JSON reports, ``distscan diff`` and ``distscan scan --baseline`` against a
loopback index serving the corpus's clean -> hijacked release pair."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import tomllib
from dataclasses import replace
from pathlib import Path

import httpx
import jsonschema
import pytest
from index_support import Dist, running_gate, running_upstream, stand_in_config
from test_corpus import CORPUS, build  # the corpus builder, loaded once
from typer.testing import CliRunner

from scanner.cli import app
from scanner.diff import Release, diff_releases, take_inventory
from scanner.diff.baseline import (
    baseline_files,
    matching_file,
    parse_baseline,
    preferred_file,
)
from scanner.diff.report import document, print_diff, render_json
from scanner.gate.simple import FileEntry
from scanner.model import Severity, VerdictLevel
from scanner.pipeline import ScanOptions
from scanner.policy import parse_policy
from scanner.report.jsonout import load_schema
from scanner.testing import (
    core_metadata,
    sdist_bytes,
    sdist_filename,
    wheel_bytes,
    wheel_filename,
)

ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 57


HIJACKED = CORPUS / "malicious" / "release-pair-hijacked"
EXPECTED = tomllib.loads((HIJACKED / "expected.toml").read_text("utf-8"))["diff"]
CLEAN = CORPUS / EXPECTED["baseline"]


def _sample(folder: Path) -> tuple[str, bytes]:
    return build.build_sample(build.Sample(folder, folder.parent.name,
                                           build.read_expected(folder)))


@pytest.fixture(scope="module")
def pair():
    return _sample(CLEAN), _sample(HIJACKED)


@pytest.fixture(scope="module")
def hijack_diff(pair):
    (old_name, old_data), (new_name, new_data) = pair
    return diff_releases(Release(old_data, old_name, old_name), Release(new_data, new_name,
                                                                       new_name))


def _wheel(version: str, files: dict, name: str = "plainpkg", **kw) -> Release:
    return Release(wheel_bytes(name, version, files, **kw), f"{name} {version}",
                   wheel_filename(name, version))


PLAIN = {"plainpkg/__init__.py": "from .core import add\n__version__ = '1.0'\n",
         "plainpkg/core.py": "def add(a, b):\n    return a + b\n"}


# ---------------------------------------------------------------- the corpus pair


def test_pair_reports_exactly_the_injected_changes(hijack_diff):
    c = hijack_diff.comparison
    assert hijack_diff.error is None
    assert [e.key for e in c.added] == EXPECTED["added"]
    assert not c.removed and not c.renamed
    assert {(g.path, rule, str(g.context)) for g in c.new_behaviour for rule in g.rules} == {
        tuple(item) for item in EXPECTED["new_behaviour"]}
    assert {(f.rule, f.path) for f in hijack_diff.drift} == {
        tuple(item) for item in EXPECTED["drift"]}
    assert [e.key for e in c.new_pth] == ["quillmark-init.pth"]
    assert not c.new_binaries and not c.new_assets and not c.entry_points_added
    # render.py was refactored: its lines moved, its subprocess finding did not become new.
    assert "quillmark/render.py" in {n.key for _o, n in c.changed}
    old_spawn = [f for f in hijack_diff.old.findings if f.rule == "python.process.spawn"]
    new_spawn = [f for f in hijack_diff.new.findings if f.rule == "python.process.spawn"]
    assert old_spawn and new_spawn and old_spawn[0].line != new_spawn[0].line
    assert "quillmark-*.dist-info/METADATA" in {n.key for _o, n in c.changed}


def test_pair_verdict_is_malicious_and_names_the_new_files(hijack_diff):
    assert hijack_diff.old.verdict.level is VerdictLevel.CLEAN
    result = hijack_diff.result
    assert result.verdict.level is VerdictLevel.MALICIOUS
    assert result.verdict.score >= hijack_diff.new.verdict.score
    named = {f.path for f in result.verdict.reasons}
    assert {"quillmark-init.pth", "quillmark/__init__.py"} <= named
    assert {"diff.new-pth", "diff.new-behaviour.startup"} <= {f.rule for f in result.findings}
    assert hijack_diff.comparison.new_files == ("quillmark/__init__.py", "quillmark-init.pth")


def test_pair_json_and_text_reports(hijack_diff):
    doc = json.loads(render_json(hijack_diff))
    assert doc["schema"] == "distscan.diff/1"
    assert doc["files"]["added"][0]["path"] == "quillmark-init.pth"
    assert doc["pth"]["added"] == ["quillmark-init.pth"]
    assert [(g["path"], g["context"], g["rules"]) for g in doc["new_behaviour"]] == [
        ("quillmark/__init__.py", "startup", ["python.network.http"])]
    assert {d["rule"] for d in doc["drift"]} == {"diff.new-pth", "diff.new-behaviour.startup"}
    assert doc["result"]["verdict"] == "malicious" and doc["new"]["verdict"] == "malicious"
    assert doc["old"]["verdict"] == "clean"
    text = _text(hijack_diff)
    assert "new behaviour:" in text and "[startup] quillmark/__init__.py (changed)" in text
    assert "new .pth files:" in text and "quillmark-init.pth" in text
    assert "MALICIOUS" in text


def test_reverse_diff_has_no_new_behaviour(pair):
    (old_name, old_data), (new_name, new_data) = pair
    diff = diff_releases(Release(new_data, new_name, new_name),
                         Release(old_data, old_name, old_name))
    assert not diff.comparison.new_behaviour and not diff.drift
    assert [e.key for e in diff.comparison.removed] == ["quillmark-init.pth"]
    assert ("quillmark/__init__.py", "python.network.http", "startup") in \
        diff.comparison.gone_behaviour
    assert diff.result.verdict.level is VerdictLevel.CLEAN


def test_a_release_against_itself_changes_nothing(pair):
    name, data = pair[1]
    diff = diff_releases(Release(data, name, name), Release(data, name, name))
    c = diff.comparison
    assert not (c.added or c.removed or c.changed or c.new_behaviour or diff.drift)
    assert diff.result == diff.new


# ---------------------------------------------------------------- drift and scoring


def test_a_new_import_time_spawn_turns_a_clean_release_malicious():
    new = dict(PLAIN)
    new["plainpkg/__init__.py"] += ("import subprocess, sys\n"
                                    "subprocess.Popen([sys.executable, '-c', 'print(1)'])\n")
    diff = diff_releases(_wheel("1.0", PLAIN), _wheel("1.1", new))
    assert diff.new.verdict.level is VerdictLevel.CLEAN  # alone it looks like many packages
    assert [(f.rule, f.severity, f.path) for f in diff.drift] == [
        ("diff.new-behaviour.import", Severity.HIGH, "plainpkg/__init__.py")]
    assert diff.result.verdict.level is VerdictLevel.MALICIOUS
    assert diff.result.verdict.reasons[0].rule == "score.chain.release-drift"


def test_behaviour_the_project_already_had_elsewhere_weighs_less():
    beacon = "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'print(1)'])\n"
    old = dict(PLAIN, **{"plainpkg/_warm.py": beacon})
    new = dict(old, **{"plainpkg/_extra.py": beacon + "X = 1\n"})
    diff = diff_releases(_wheel("1.0", old), _wheel("1.1", new))
    assert [(f.rule, f.severity) for f in diff.drift] == [
        ("diff.new-behaviour.import", Severity.MEDIUM)]
    assert "already did this elsewhere" in diff.drift[0].message


def test_new_behaviour_inside_functions_is_listed_but_not_drift():
    new = dict(PLAIN)
    # A download-and-run chain inside one function: enough for the Python pre-pass to give
    # the file a syntax tree (a lone capability in a library function is not analysed), yet
    # only runtime behaviour, which is listed but is not drift.
    new["plainpkg/core.py"] += ("\n\ndef update(url):\n    import subprocess, urllib.request\n"
                                "    script = urllib.request.urlopen(url).read()\n"
                                "    return subprocess.run(script, shell=True)\n")
    diff = diff_releases(_wheel("1.0", PLAIN), _wheel("1.1", new))
    groups = diff.comparison.new_behaviour
    assert groups and all(str(g.context) == "runtime" for g in groups)
    assert not diff.drift
    assert diff.result == diff.new


def test_renamed_module_keeps_its_behaviour():
    spawn = "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'print(1)'])\n"
    old = dict(PLAIN, **{"plainpkg/_boot.py": spawn})
    new = dict(PLAIN, **{"plainpkg/_startup.py": spawn})
    diff = diff_releases(_wheel("1.0", old), _wheel("1.1", new))
    c = diff.comparison
    assert [(o.key, n.key) for o, n in c.renamed] == [("plainpkg/_boot.py",
                                                       "plainpkg/_startup.py")]
    assert not c.added and not c.removed and not c.new_behaviour and not diff.drift


def test_new_pth_binary_asset_entry_points_and_metadata():
    old = Release(wheel_bytes("plainpkg", "1.0", PLAIN, requires=("idna>=3",),
                              entry_points="[console_scripts]\nplain = plainpkg.core:add\n"),
                  "old", wheel_filename("plainpkg", "1.0"))
    new_files = dict(PLAIN, **{"plainpkg-paths.pth": "extra/path\n",
                               "plainpkg/_native.cpython-311-x86_64-linux-gnu.so": ELF,
                               "plainpkg/_ui/app.js": "console.log('hi');\n",
                               "plainpkg/docs/not-read-by-site.pth": "import plainpkg\n"})
    new = Release(wheel_bytes("plainpkg", "1.1", new_files, requires=("idna>=3", "httpx"),
                              entry_points="[console_scripts]\nplain = plainpkg.core:main\n"
                              "pip = plainpkg.core:add\n"),
                  "new", wheel_filename("plainpkg", "1.1"))
    diff = diff_releases(old, new)
    c = diff.comparison
    assert [e.key for e in c.new_pth] == ["plainpkg-paths.pth"]
    assert [e.key for e in c.new_binaries] == [
        "plainpkg/_native.cpython-311-x86_64-linux-gnu.so"]
    assert [e.key for e in c.new_assets] == ["plainpkg/_ui/app.js"]
    assert c.new_top_level == ("plainpkg-paths.pth",)
    assert c.entry_points_added == (("console_scripts", "pip", "plainpkg.core:add"),)
    assert c.entry_points_changed == (("console_scripts", "plain", "plainpkg.core:add",
                                       "plainpkg.core:main"),)
    assert c.requires_added == ("httpx",) and not c.requires_removed
    by_rule = {f.rule: f for f in diff.drift}
    # A .pth that only adds paths executes nothing: low. A first binary: medium.
    assert by_rule["diff.new-pth"].severity is Severity.LOW
    assert by_rule["diff.new-binary"].severity is Severity.MEDIUM
    assert by_rule["diff.new-asset"].severity is Severity.LOW
    # Drift alone is no chain: nothing here runs anything.
    assert diff.result.verdict.level is VerdictLevel.CLEAN
    assert not any(f.rule.startswith("score.chain") for f in diff.result.findings)
    # The same extension module built for another interpreter is a changed file, not new.
    rebuilt = {k.replace("cpython-311", "cpython-313"): v + b"313" if k.endswith(".so") else v
               for k, v in new_files.items()}
    again = diff_releases(new, Release(wheel_bytes("plainpkg", "1.2", rebuilt), "again",
                                       wheel_filename("plainpkg", "1.2")))
    assert [e.key for e in again.comparison.added] == [
        "plainpkg/_native.cpython-313-x86_64-linux-gnu.so"]
    assert not again.comparison.new_binaries


def test_record_anomalies_new_in_a_release_are_new_behaviour():
    late = Release(wheel_bytes("plainpkg", "1.1", PLAIN, extra_record={"plainpkg/late.py":
                                                                     "X = 1\n"}),
                   "late", wheel_filename("plainpkg", "1.1"))
    diff = diff_releases(_wheel("1.0", PLAIN), late)
    assert [(g.path, str(g.context), g.rules) for g in diff.comparison.new_behaviour] == [
        ("plainpkg/late.py", "container", ("wheel.file-not-in-record",))]


def test_pth_that_gains_an_executable_line_is_drift():
    old = dict(PLAIN, **{"plainpkg.pth": "extra\n"})
    new = dict(PLAIN, **{"plainpkg.pth": "extra\nimport plainpkg\n"})
    diff = diff_releases(_wheel("1.0", old), _wheel("1.1", new))
    assert [(f.rule, f.evidence) for f in diff.drift if f.rule.endswith("pth")] == [
        ("diff.changed-pth", "import plainpkg")]


def test_sdist_paths_are_normalized_and_urls_and_authors_compared():
    def sdist(version: str, author: str, url: str) -> Release:
        pkg_info = core_metadata("plainpkg", version, extra=f"Author-email: {author}\n"
                                 f"Project-URL: Homepage, {url}\n")
        files = dict(PLAIN, **{"PKG-INFO": pkg_info, "setup.py": "from setuptools import "
                               "setup\nsetup(name='plainpkg')\n"})
        return Release(sdist_bytes("plainpkg", version, files, pkg_info=False), version,
                       sdist_filename("plainpkg", version))

    diff = diff_releases(sdist("1.0", "dev@example.org", "https://example.org/plain"),
                         sdist("1.1", "new-owner@example.net", "https://example.net/plain"))
    c = diff.comparison
    assert c.old.kind == c.new.kind == "sdist"
    assert not c.added and not c.removed  # plainpkg-1.0/ and plainpkg-1.1/ are the same root
    assert {n.key for _o, n in c.changed} == {"PKG-INFO"}
    assert c.authors_added == ("author-email: new-owner@example.net",)
    assert c.urls_removed == ("Homepage, https://example.org/plain",)


def test_policy_can_switch_drift_off():
    new = dict(PLAIN)
    new["plainpkg/__init__.py"] += ("import subprocess, sys\n"
                                    "subprocess.Popen([sys.executable, '-c', 'print(1)'])\n")
    policy = parse_policy({"rules": {"disable": ["diff.*"]}})
    options = ScanOptions(policy=policy, thresholds=policy.thresholds)
    diff = diff_releases(_wheel("1.0", PLAIN), _wheel("1.1", new), options)
    assert diff.drift  # reported ...
    assert diff.result == diff.new  # ... but not weighed


def test_unreadable_baseline_keeps_the_new_verdict(tmp_path):
    broken = tmp_path / "plainpkg-1.0-py3-none-any.whl"
    broken.write_bytes(b"PK\x03\x04" + b"junk" * 10)
    diff = diff_releases(Release(broken, str(broken)), _wheel("1.1", PLAIN))
    assert diff.comparison is None and "baseline" in diff.error
    assert diff.result == diff.new


def test_text_report_escapes_control_characters():
    new = dict(PLAIN, **{"plainpkg/\x1b[31mred\x1b[0m.js": "x\n"})
    diff = diff_releases(_wheel("1.0", PLAIN), _wheel("1.1", new))
    text = _text(diff)
    assert "\x1b" not in text and "\\x1b[31mred" in text
    assert "\x1b" not in render_json(diff)


def test_two_projects_or_two_kinds_are_compared_with_a_note():
    other = {"otherpkg/__init__.py": PLAIN["plainpkg/__init__.py"]}
    diff = diff_releases(_wheel("1.0", PLAIN), _wheel("2.0", other, name="otherpkg"))
    assert diff.comparison is not None
    assert "two different projects (plainpkg and otherpkg)" in diff.error
    assert "two different projects" in _text(diff)
    sdist = Release(sdist_bytes("plainpkg", "1.1", PLAIN), "plainpkg 1.1 sdist",
                    sdist_filename("plainpkg", "1.1"))
    diff = diff_releases(_wheel("1.0", PLAIN), sdist)
    assert "different kinds of artifact (wheel and sdist)" in diff.error
    assert json.loads(render_json(diff))["error"] == diff.error
    assert diff_releases(_wheel("1.0", PLAIN), _wheel("1.1", PLAIN)).error is None


def test_inventory_of_the_corpus_wheel(pair):
    name, data = pair[1]
    inventory = take_inventory(data, filename=name)
    assert inventory.kind == "wheel" and inventory.metadata.version == "3.4.2"
    assert inventory.pth_lines == {"quillmark-init.pth": ("import quillmark",)}
    assert inventory.console_scripts == {"quillmark": "quillmark.cli:main"}
    assert inventory.top_level == {"quillmark", "quillmark-init.pth"}
    assert all(len(e.sha256) == 64 for e in inventory.files.values())


# ---------------------------------------------------------------- choosing baseline files


def _entry(filename: str, yanked: bool = False) -> FileEntry:
    return FileEntry(filename, f"http://127.0.0.1/files/{filename}", yanked=yanked)


def test_matching_file_prefers_same_kind_and_tags():
    files = [_entry("pkg-1.0.tar.gz"), _entry("pkg-1.0-py3-none-any.whl"),
             _entry("pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
             _entry("pkg-1.0-cp312-cp312-manylinux_2_17_x86_64.whl")]
    assert matching_file(files, "pkg-1.1-cp312-cp312-manylinux_2_17_x86_64.whl").filename == \
        "pkg-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
    assert matching_file(files, "pkg-1.1.tar.gz").filename == "pkg-1.0.tar.gz"
    assert matching_file(files[:1], "pkg-1.1-py3-none-any.whl") is None
    assert preferred_file(files).filename == "pkg-1.0-py3-none-any.whl"
    assert preferred_file(files, "sdist").filename == "pkg-1.0.tar.gz"
    assert matching_file([_entry("pkg-1.0.tar.gz", yanked=True), _entry("pkg-1.0.zip")],
                         "pkg-1.1.tar.gz").filename == "pkg-1.0.zip"
    # No identical tags: the same platform and architecture beat a newer interpreter.
    compiled = [_entry("pkg-1.0-cp39-cp39-win_amd64.whl"),
                _entry("pkg-1.0-cp310-cp310-macosx_10_9_x86_64.whl"),
                _entry("pkg-1.0-cp310-cp310-macosx_11_0_arm64.whl"),
                _entry("pkg-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")]
    assert matching_file(compiled, "pkg-1.1-cp310-cp310-macosx_10_15_x86_64.whl").filename == \
        "pkg-1.0-cp310-cp310-macosx_10_9_x86_64.whl"
    assert preferred_file(compiled).filename == compiled[3].filename


def test_baseline_release_is_the_newest_older_installable_final():
    files = [_entry("pkg-1.0.tar.gz"), _entry("pkg-1.1.tar.gz", yanked=True),
             _entry("pkg-1.2rc1.tar.gz"), _entry("pkg-1.2.tar.gz"), _entry("pkg-2.0.tar.gz")]
    version, chosen = baseline_files(files, "1.2", "previous")
    assert version == "1.0" and [f.filename for f in chosen] == ["pkg-1.0.tar.gz"]
    assert baseline_files(files, "1.3rc1", "previous")[0] == "1.2"
    assert baseline_files(files, "2.0", "1.1")[0] == "1.1"  # named: even when yanked
    assert baseline_files(files, "1.0", "previous") is None
    assert baseline_files(files, "2.0", "0.9") is None


def test_parse_baseline():
    assert parse_baseline("previous") == parse_baseline("PREVIOUS") == "previous"
    assert parse_baseline("2.32.02") == "2.32.2"
    with pytest.raises(ValueError):
        parse_baseline("last-good")


# ---------------------------------------------------------------- command line, loopback index


def _text(diff, verbose: bool = True) -> str:
    import io

    from rich.console import Console

    buffer = io.StringIO()
    print_diff(Console(file=buffer, width=200, force_terminal=False), diff, verbose)
    return buffer.getvalue()


@pytest.fixture
def pair_files(pair, tmp_path):
    paths = []
    for name, data in pair:
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def _dists(pair) -> list[Dist]:
    return [Dist("quillmark", name, data, metadata=core_metadata(
        "quillmark", name.split("-")[1]).encode()) for name, data in pair]


def test_cli_diff_local_files(pair_files):
    old, new = pair_files
    result = CliRunner().invoke(app, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["result"]["verdict"] == "malicious" and doc["pth"]["added"] == [
        "quillmark-init.pth"]
    text = CliRunner().invoke(app, ["diff", str(old), str(new)])
    assert "quillmark-init.pth" in text.stdout and text.exit_code == 1
    same = CliRunner().invoke(app, ["diff", str(old), str(old)])
    assert same.exit_code == 0 and "new vs old CLEAN" in same.stdout
    missing = CliRunner().invoke(app, ["diff", str(old), str(new.with_name("nope.whl"))])
    assert missing.exit_code == 2


def test_cli_diff_pypi_specs_on_a_loopback_index(pair):
    with running_upstream(_dists(pair)) as index:
        result = CliRunner().invoke(app, ["diff", "pypi:quillmark==3.4.1",
                                          "pypi:quillmark==3.4.2", "--index-url", index.url,
                                          "--format", "json"])
        assert result.exit_code == 1, result.output
        doc = json.loads(result.stdout)
        assert doc["old"]["target"] == "pypi:quillmark==3.4.1/quillmark-3.4.1-py3-none-any.whl"
        assert {d["rule"] for d in doc["drift"]} == {"diff.new-pth",
                                                     "diff.new-behaviour.startup"}
        unknown = CliRunner().invoke(app, ["diff", "pypi:quillmark==0.1",
                                           "pypi:quillmark==3.4.2", "--index-url", index.url])
        assert unknown.exit_code == 2


def test_scan_with_baseline_previous_on_a_loopback_index(pair, tmp_path):
    with running_upstream(_dists(pair)) as index:
        result = CliRunner().invoke(app, [
            "scan", "pypi:quillmark==3.4.2", "--baseline", "previous", "--index-url",
            index.url, "--format", "json", "--no-cache"])
        first = CliRunner().invoke(app, [
            "scan", "pypi:quillmark==3.4.1", "--baseline", "previous", "--index-url",
            index.url, "--format", "json", "--no-cache"])
        bad = CliRunner().invoke(app, ["scan", "pypi:quillmark==3.4.2", "--baseline",
                                       "yesterday", "--index-url", index.url])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, load_schema())
    (scanned,) = document["results"]
    assert scanned["verdict"] == "malicious"
    rules = {f["rule"] for f in scanned["findings"]}
    assert {"diff.new-pth", "diff.new-behaviour.startup", "diff.baseline"} <= rules
    reasons = [f for f in scanned["findings"] if f["rule"] in scanned["reasons"]]
    assert {"quillmark-init.pth", "quillmark/__init__.py"} <= {f["path"] for f in reasons}
    note = next(f for f in scanned["findings"] if f["rule"] == "diff.baseline")
    assert "quillmark-3.4.1-py3-none-any.whl" in note["message"]
    assert "quillmark-init.pth" in note["message"]
    # The first release has nothing to compare with: it keeps its own verdict, with a note.
    (alone,) = json.loads(first.stdout)["results"]
    assert alone["verdict"] == "clean"
    assert "diff.no-baseline" in {f["rule"] for f in alone["findings"]}
    assert bad.exit_code == 2


def test_scan_local_artifact_with_baseline_version(pair_files, pair):
    _old, new = pair_files
    with running_upstream(_dists(pair)) as index:
        result = CliRunner().invoke(app, ["scan", str(new), "--baseline", "3.4.1",
                                          "--index-url", index.url, "--format", "json",
                                          "--no-cache"])
    (scanned,) = json.loads(result.stdout)["results"]
    assert "diff.new-pth" in {f["rule"] for f in scanned["findings"]}
    assert scanned["target"] == str(new)


def test_document_without_comparison_has_no_file_lists(tmp_path):
    broken = tmp_path / "plainpkg-1.0-py3-none-any.whl"
    broken.write_bytes(b"PK\x03\x04" + b"junk" * 10)
    doc = document(diff_releases(Release(broken, str(broken)), _wheel("1.1", PLAIN)))
    assert "files" not in doc and doc["error"].startswith("the baseline")


# ---------------------------------------------------------------- the gate, opt-in


SPAWN = "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'print(1)'])\n"


def _plain_dists() -> list[Dist]:
    new = dict(PLAIN)
    new["plainpkg/__init__.py"] += SPAWN
    return [Dist("plainpkg", wheel_filename("plainpkg", version),
                 wheel_bytes("plainpkg", version, files))
            for version, files in (("1.0", PLAIN), ("1.1", new))]


@pytest.mark.parametrize("baseline", [None, "previous"])
def test_gate_opts_in_to_judging_against_the_previous_release(tmp_path, baseline):
    """The injected spawn looks ordinary alone (the gate lets it through); against the previous
    release it is new behaviour at import, and the gate blocks it naming the drift."""
    with running_upstream(_plain_dists()) as index:
        config = stand_in_config(index, tmp_path / "gate.sqlite3", cooldown_hours=0,
                                 baseline=baseline)
        with running_gate(config) as running:
            new = httpx.get(f"{running.url}/files/plainpkg/plainpkg-1.1-py3-none-any.whl")
            old = httpx.get(f"{running.url}/files/plainpkg/plainpkg-1.0-py3-none-any.whl")
            cached = running.gate.baseline_results
    assert old.status_code == 200
    if baseline is None:
        assert new.status_code == 200
        return
    assert new.status_code == 403
    assert "diff.new-behaviour.import" in new.text and "release-drift" in new.text
    old_sha = hashlib.sha256(_plain_dists()[0].data).hexdigest()
    assert cached.get(old_sha) is not None  # the baseline's own result, kept by sha256


def test_gate_fingerprint_keeps_baseline_verdicts_apart(tmp_path):
    from scanner.gate import GateConfig

    plain = GateConfig(upstream="http://127.0.0.1:1/simple/", db_path=tmp_path / "db")
    assert replace(plain, baseline="previous").fingerprint() != plain.fingerprint()


# ---------------------------------------------------------------- real releases (network)


@pytest.mark.network
@pytest.mark.parametrize("project", ["requests", "urllib3", "attrs", "packaging", "click"])
def test_consecutive_real_releases_show_no_new_high_severity_behaviour(project):
    """The latest two releases of popular projects, from PyPI (files cached as the benchmark
    caches them): no high-severity drift, and the verdict against the old release is the
    verdict of the new one alone."""
    bench = _load_benchmark()
    with bench.IndexClient() as client:
        versions = bench.latest_two(client, project)
        assert versions is not None
        rows = [bench.diff_pair(client, project, *versions, kind, bench.DEFAULT_DEST)
                for kind in ("wheel", "sdist")]
    for row in filter(None, rows):
        assert row["error"] is None, row
        assert row["high_drift"] == 0, row["drift"]
        assert row["verdict_new_vs_old"] == row["verdict_new_alone"], row


def _load_benchmark():
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "release_diff.py"
    spec = importlib.util.spec_from_file_location("release_diff_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ctrl_c_during_a_diff_exits_130_without_a_traceback(monkeypatch, tmp_path):
    import scanner.diff.cli as diff_cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(diff_cli, "run_diff", interrupted)
    outcome = CliRunner().invoke(app, ["diff", "pypi:a==1", "pypi:a==2"])
    assert outcome.exit_code == 130 and "interrupted" in outcome.stderr
