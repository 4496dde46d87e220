"""Scanning what an index, a requirements file or a lock file names: ``distscan scan
pypi:NAME[==VERSION]``, ``-r``, ``--lock``, against a loopback upstream (tests/index_support.py).

Nothing here leaves 127.0.0.1 except the test marked ``network``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import pytest
from index_support import Dist, malicious_setup_py, running_upstream
from typer.testing import CliRunner

from scanner.cli import app
from scanner.gate.simple import HTML_V1, FileEntry
from scanner.sources import HashMismatch, IndexClient, NotFound
from scanner.sources.index import FetchError
from scanner.sources.locks import LockError, parse_lock
from scanner.sources.requirements import RequirementsError, parse_requirements
from scanner.sources.specs import SpecError, parse_spec
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

# -- a small index: mixpkg 1.0 has a clean wheel and a malicious sdist -------------------------


def _wheel(name: str, version: str, body: str = "VALUE = 1\n", **kw) -> Dist:
    data = wheel_bytes(name, version, {f"{name}/__init__.py": body})
    return Dist(name, wheel_filename(name, version), data, **kw)


def _evil_sdist(name: str, version: str) -> Dist:
    data = sdist_bytes(name, version, {"setup.py": malicious_setup_py(),
                                       f"{name}/__init__.py": "VALUE = 1\n"})
    return Dist(name, sdist_filename(name, version), data)


def index_dists() -> list[Dist]:
    return [
        _wheel("mixpkg", "0.9"),
        _wheel("mixpkg", "1.0"),
        _evil_sdist("mixpkg", "1.0"),
        _wheel("mixpkg", "1.1", yanked="broken"),
        _wheel("mixpkg", "2.0rc1"),
        _wheel("cleanpkg", "3.0"),
        _wheel("tampered", "1.0", tamper=True),
    ]


@pytest.fixture(scope="module")
def upstream():
    with running_upstream(index_dists()) as index:
        yield index


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Downloads go to the system temporary folder: point it here to see what is left."""
    folder = tmp_path / "systmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def dist(upstream, filename: str) -> Dist:
    return next(d for d in upstream.dists if d.filename == filename)


def run(*args, cache: Path | None = None):
    extra = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    return CliRunner().invoke(app, ["scan", *map(str, args), *extra])


def results_of(outcome) -> dict[str, dict]:
    document = json.loads(outcome.stdout)
    return {r["artifact"]["filename"]: r for r in document["results"]}


# -- specs ---------------------------------------------------------------------------------------


def test_specs_are_normalized_and_only_exact_pins_are_accepted():
    assert parse_spec("pypi:Six").name == "six" and parse_spec("pypi:Six").version is None
    spec = parse_spec("pypi:Zope.Interface==5.0")
    assert (spec.name, spec.version, spec.label) == ("zope-interface", "5.0",
                                                     "pypi:zope-interface==5.0")
    for bad in ("pypi:", "pypi:six>=1", "pypi:six==1.*", "pypi:six[x]==1", "six==1",
                "pypi:six==not a version"):
        with pytest.raises(SpecError):
            parse_spec(bad)


# -- the index client ------------------------------------------------------------------------------


def test_latest_release_skips_yanked_and_pre_releases(upstream):
    with IndexClient(upstream.url) as client:
        assert client.versions("MixPkg") == ["0.9", "1.0", "1.1", "2.0rc1"]
        latest = client.release_files("mixpkg")
        assert latest.version == "1.0"
        assert sorted(f.filename for f in latest.files) == [
            "mixpkg-1.0-py3-none-any.whl", "mixpkg-1.0.tar.gz"]
        assert client.release_files("mixpkg", "1.1").files[0].yanked == "broken"  # pinned
        assert client.previous_release("mixpkg", "1.0").version == "0.9"
        assert client.previous_release("mixpkg", "1.1").version == "1.0"
        assert client.previous_release("mixpkg", "2.0rc1").version == "1.0"  # 1.1 is yanked
        assert client.previous_release("mixpkg", "0.9") is None
        with pytest.raises(NotFound, match="no release 7.0"):
            client.release_files("mixpkg", "7.0")
        with pytest.raises(NotFound, match="'nosuchpkg' not found"):
            client.release_files("nosuchpkg")


def test_html_pages_are_read_when_json_is_not_offered(upstream):
    with IndexClient(upstream.url, accept=HTML_V1) as html, IndexClient(upstream.url) as js:
        from_html = html.release_files("mixpkg", "1.0")
        from_json = js.release_files("mixpkg", "1.0")
    assert [(f.filename, f.sha256) for f in from_html.files] == \
        [(f.filename, f.sha256) for f in from_json.files]
    assert from_json.files[0].size is not None and from_html.files[0].size is None  # JSON only


def test_fetch_checks_hashes_and_size_and_leaves_nothing_on_failure(upstream, tmp_path):
    with IndexClient(upstream.url) as client:
        good = client.release_files("cleanpkg").files[0]
        path = client.fetch(good, tmp_path)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == good.sha256
        bad = client.release_files("tampered", "1.0").files[0]
        (tmp_path / "x").mkdir()
        with pytest.raises(HashMismatch, match="tampered-1.0-py3-none-any.whl"):
            client.fetch(bad, tmp_path / "x")
        with pytest.raises(FetchError, match="larger than"):
            client.fetch(good, tmp_path / "x", max_bytes=10)
        with pytest.raises(HashMismatch, match="not among the pinned"):
            client.fetch(good, tmp_path / "x", pinned={"sha256": frozenset({"0" * 64})})
        with pytest.raises(FetchError, match="refusing"):
            client.fetch(FileEntry("..", good.url), tmp_path / "x")
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == []


def test_credentials_in_the_index_url_are_used_and_never_printed(tmp_path):
    with running_upstream([_wheel("cleanpkg", "3.0")], credentials=("alice", "s3cret")) as index:
        url = index.url.replace("http://", "http://alice:s3cret@")
        outcome = run("pypi:cleanpkg", "--index-url", url, "-f", "json")
        assert outcome.exit_code == 0, outcome.output
        missing = run("pypi:nosuchpkg", "--index-url", url)
    assert missing.exit_code == 2
    assert "s3cret" not in outcome.output + outcome.stderr + missing.output + missing.stderr
    assert "not found" in missing.stderr


# -- distscan scan pypi:... -----------------------------------------------------------------------


def test_scan_of_a_release_scans_every_file_and_deletes_them(upstream, private_tmp):
    outcome = run("pypi:mixpkg==1.0", "--index-url", upstream.url, "-f", "json")
    assert outcome.exit_code == 1, outcome.output  # the sdist is malicious
    found = results_of(outcome)
    assert set(found) == {"mixpkg-1.0-py3-none-any.whl", "mixpkg-1.0.tar.gz"}
    assert found["mixpkg-1.0-py3-none-any.whl"]["verdict"] == "clean"
    evil = found["mixpkg-1.0.tar.gz"]
    assert evil["verdict"] == "malicious"
    assert evil["target"] == "pypi:mixpkg==1.0/mixpkg-1.0.tar.gz"
    assert evil["artifact"]["sha256"] == dist(upstream, "mixpkg-1.0.tar.gz").sha256
    assert any(f["path"].endswith("setup.py") for f in evil["findings"])
    assert list(private_tmp.iterdir()) == []  # downloads deleted


def test_scan_without_a_version_takes_the_latest_release(upstream):
    outcome = run("pypi:MixPkg", "--index-url", upstream.url, "-f", "json")
    assert set(results_of(outcome)) == {"mixpkg-1.0-py3-none-any.whl", "mixpkg-1.0.tar.gz"}


def test_missing_project_or_version_is_a_usage_error(upstream):
    outcome = run("pypi:nosuchpkg", "--index-url", upstream.url)
    assert outcome.exit_code == 2 and "'nosuchpkg' not found" in outcome.stderr
    outcome = run("pypi:mixpkg==9.9", "--index-url", upstream.url)
    assert outcome.exit_code == 2 and "no release 9.9" in outcome.stderr
    outcome = run("pypi:mixpkg>=1", "--index-url", upstream.url)
    assert outcome.exit_code == 2 and "exact version" in outcome.stderr


def test_a_file_that_fails_its_hash_check_is_an_error_and_is_not_scanned(upstream):
    outcome = run("pypi:tampered==1.0", "--index-url", upstream.url, "-f", "json")
    assert outcome.exit_code == 3, outcome.output
    (result,) = results_of(outcome).values()
    assert result["verdict"] == "error" and result["findings"] == []
    assert "tampered-1.0-py3-none-any.whl: sha256 mismatch" in result["error"]


# -- requirements files ----------------------------------------------------------------------------


def test_requirements_parsing(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.txt").write_text("Cleanpkg==3.0 ; python_version >= '3.8'\n")
    (tmp_path / "req.txt").write_text(
        "# a comment\n"
        "mixpkg==1.0 \\\n"
        "    --hash=sha256:" + "A" * 64 + " \\\n"
        "    --hash sha256:" + "b" * 64 + "  # trailing comment\n"
        "-r sub/more.txt\n"
        "-c constraints.txt\n"
        "--index-url https://example.invalid/simple/\n"
        "-e ./local\n"
        "loose>=1.0\n"
        "direct @ https://example.invalid/direct-1.0-py3-none-any.whl\n")
    parsed = parse_requirements(tmp_path / "req.txt")
    by_name = {line.name: line for line in parsed.lines}
    assert list(by_name) == ["mixpkg", "cleanpkg", "loose", "direct"]
    assert by_name["mixpkg"].version == "1.0"
    assert by_name["mixpkg"].hashes == {"sha256": frozenset({"a" * 64, "b" * 64})}
    assert by_name["mixpkg"].origin.endswith("req.txt:2")
    assert by_name["cleanpkg"].marker == 'python_version >= "3.8"'
    assert by_name["cleanpkg"].origin.endswith("more.txt:1")
    assert not by_name["loose"].pinned and by_name["direct"].pinned
    assert any("constraints.txt ignored" in n for n in parsed.notes)
    assert any("editable" in n for n in parsed.notes)
    assert any("--index-url ignored" in n for n in parsed.notes)
    (tmp_path / "loop.txt").write_text("-r loop.txt\n")
    with pytest.raises(RequirementsError, match="itself"):
        parse_requirements(tmp_path / "loop.txt")
    (tmp_path / "bad.txt").write_text("ok==1\nnot a requirement!!\n")
    with pytest.raises(RequirementsError, match="bad.txt:2"):
        parse_requirements(tmp_path / "bad.txt")


def test_requirements_with_hashes_scan_only_the_listed_files(upstream, tmp_path):
    wheel = dist(upstream, "mixpkg-1.0-py3-none-any.whl")
    req = tmp_path / "requirements.txt"
    req.write_text(f"mixpkg==1.0 --hash=sha256:{wheel.sha256}\ncleanpkg==3.0\n")
    before = upstream.downloads("mixpkg-1.0.tar.gz")
    outcome = run("-r", req, "--index-url", upstream.url, "-f", "json")
    assert outcome.exit_code == 0, outcome.output
    found = results_of(outcome)
    assert set(found) == {"mixpkg-1.0-py3-none-any.whl", "cleanpkg-3.0-py3-none-any.whl"}
    assert all(r["verdict"] == "clean" for r in found.values())
    assert upstream.downloads("mixpkg-1.0.tar.gz") == before  # not listed: not even fetched
    # Pinned without hashes: every file of the release, the malicious sdist included.
    req.write_text("mixpkg==1.0\n")
    outcome = run("-r", req, "--index-url", upstream.url, "-f", "json")
    assert outcome.exit_code == 1
    assert results_of(outcome)["mixpkg-1.0.tar.gz"]["verdict"] == "malicious"


def test_requirement_hash_mismatches_are_errors_naming_the_file(upstream, tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("mixpkg==1.0 --hash=sha256:" + "0" * 64 + "\n")
    outcome = run("-r", req, "--index-url", upstream.url, "-f", "json")
    assert outcome.exit_code == 3, outcome.output
    (result,) = results_of(outcome).values()
    assert result["verdict"] == "error"
    assert "no file of mixpkg==1.0" in result["error"] and "hashes pinned" in result["error"]
    # The index publishes the right hash, but serves other bytes.
    tampered = dist(upstream, "tampered-1.0-py3-none-any.whl")
    req.write_text(f"tampered==1.0 --hash=sha256:{tampered.sha256}\n")
    outcome = run("-r", req, "--index-url", upstream.url, "-f", "json")
    (result,) = results_of(outcome).values()
    assert outcome.exit_code == 3 and result["verdict"] == "error"
    assert "tampered-1.0-py3-none-any.whl" in result["error"] and "mismatch" in result["error"]


def test_unpinned_requirements_need_the_resolver(upstream, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "scanner.preinstall.resolve", None)  # as if absent
    req = tmp_path / "requirements.txt"
    req.write_text("cleanpkg>=1\n")
    outcome = run("-r", req, "--index-url", upstream.url)
    assert outcome.exit_code == 2
    assert "unpinned requirement 'cleanpkg>=1'" in outcome.stderr
    assert "pin it" in outcome.stderr and "distscan pip install" in outcome.stderr


# -- lock files ----------------------------------------------------------------------------------


def _uv_lock(upstream, good: Dist, evil: Dist, wrong_hash_for: Dist) -> str:
    base = upstream.url.replace("/simple/", "/files/")
    return (
        'version = 1\nrequires-python = ">=3.11"\n\n'
        '[[package]]\nname = "mixpkg"\nversion = "1.0"\n'
        'source = { registry = "' + upstream.url + '" }\n'
        f'sdist = {{ url = "{base}{evil.filename}", hash = "sha256:{evil.sha256}", '
        f'size = {len(evil.data)} }}\n'
        f'wheels = [\n    {{ url = "{base}{good.filename}", hash = "sha256:{good.sha256}", '
        f'size = {len(good.data)} }},\n]\n\n'
        '[[package]]\nname = "cleanpkg"\nversion = "3.0"\n'
        'source = { registry = "' + upstream.url + '" }\n'
        f'wheels = [\n    {{ url = "{base}{wrong_hash_for.filename}", hash = "sha256:'
        f'{"f" * 64}" }},\n]\n\n'
        '[[package]]\nname = "myproject"\nversion = "0.1.0"\nsource = { editable = "." }\n')


def _pylock(upstream, good: Dist, evil: Dist, wrong_hash_for: Dist) -> str:
    base = upstream.url.replace("/simple/", "/files/")
    return (
        'lock-version = "1.0"\ncreated-by = "test"\n\n'
        '[[packages]]\nname = "mixpkg"\nversion = "1.0"\nindex = "' + upstream.url + '"\n'
        f'sdist = {{ url = "{base}{evil.filename}", hashes = {{ sha256 = "{evil.sha256}" }} }}\n'
        f'wheels = [{{ name = "{good.filename}", url = "{base}{good.filename}", '
        f'hashes = {{ sha256 = "{good.sha256}" }} }}]\n\n'
        '[[packages]]\nname = "cleanpkg"\nversion = "3.0"\n'
        f'[packages.archive]\nurl = "{base}{wrong_hash_for.filename}"\n'
        f'hashes = {{ sha256 = "{"f" * 64}" }}\n\n'
        '[[packages]]\nname = "fromgit"\n'
        '[packages.vcs]\ntype = "git"\nurl = "https://example.invalid/x.git"\n'
        'commit-id = "0000000000000000000000000000000000000000"\n')


@pytest.mark.parametrize(("filename", "render"), [("uv.lock", _uv_lock),
                                                   ("pylock.toml", _pylock)])
def test_lock_files_scan_every_listed_file_and_check_hashes(upstream, tmp_path, filename,
                                                            render):
    good = dist(upstream, "mixpkg-1.0-py3-none-any.whl")
    evil = dist(upstream, "mixpkg-1.0.tar.gz")
    clean = dist(upstream, "cleanpkg-3.0-py3-none-any.whl")
    lock = tmp_path / filename
    lock.write_text(render(upstream, good, evil, clean))
    parsed = parse_lock(lock)
    assert parsed.kind == filename
    assert [f.file.filename for f in parsed.files] == [evil.filename, good.filename,
                                                       clean.filename]
    assert parsed.files[0].file.sha256 == evil.sha256
    assert len(parsed.notes) == 1  # the project itself / the VCS package: nothing to fetch
    outcome = run("--lock", lock, "-f", "json")
    assert outcome.exit_code == 1, outcome.output
    found = results_of(outcome)
    assert found[evil.filename]["verdict"] == "malicious"
    assert found[good.filename]["verdict"] == "clean"
    assert found[clean.filename]["verdict"] == "error"
    assert f"{clean.filename}: sha256 mismatch" in found[clean.filename]["error"]
    assert "no distribution files" in outcome.stderr


def test_lock_format_is_detected_by_content_and_local_paths_resolve(tmp_path):
    wheel = tmp_path / "dist" / wheel_filename("localpkg", "1.0")
    wheel.parent.mkdir()
    wheel.write_bytes(wheel_bytes("localpkg", "1.0", {"localpkg/__init__.py": "X = 1\n"}))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock = tmp_path / "requirements.lock.toml"
    lock.write_text('lock-version = "1.0"\n[[packages]]\nname = "localpkg"\nversion = "1.0"\n'
                    f'wheels = [{{ path = "dist/{wheel.name}", hashes = {{ sha256 = "{digest}" '
                    '} }]\n')
    parsed = parse_lock(lock)
    assert parsed.kind == "pylock.toml"
    assert parsed.files[0].file.url == wheel.resolve().as_uri()
    outcome = run("--lock", lock, "-f", "json")
    assert outcome.exit_code == 0, outcome.output
    assert results_of(outcome)[wheel.name]["artifact"]["sha256"] == digest
    (tmp_path / "other.toml").write_text("[tool]\nx = 1\n")
    with pytest.raises(LockError, match="neither"):
        parse_lock(tmp_path / "other.toml")


# -- the real index ------------------------------------------------------------------------------


@pytest.mark.network
def test_a_small_real_release_from_pypi_is_clean(tmp_path):
    outcome = run("pypi:six==1.16.0", "-f", "json")
    assert outcome.exit_code == 0, outcome.output
    found = results_of(outcome)
    assert {"six-1.16.0-py2.py3-none-any.whl", "six-1.16.0.tar.gz"} <= set(found)
    assert all(r["verdict"] == "clean" for r in found.values())


def test_unpinned_requirements_are_resolved_through_the_gate(upstream, tmp_path):
    pytest.importorskip("scanner.preinstall.resolve")
    req = tmp_path / "requirements.txt"
    req.write_text("cleanpkg>=1\n")
    outcome = run("-r", req, "--index-url", upstream.url, "-f", "json",
                  cache=tmp_path / "cache")
    assert outcome.exit_code == 0, outcome.output
    (result,) = results_of(outcome).values()
    assert result["artifact"]["filename"] == "cleanpkg-3.0-py3-none-any.whl"
    assert result["verdict"] == "clean" and result["target"].startswith("resolved:cleanpkg==3.0")


def test_pre_commit_hook_turns_staged_files_into_options(tmp_path, monkeypatch):
    from scanner.sources.precommit import scan_arguments

    monkeypatch.chdir(tmp_path)
    for name in ("requirements-dev.txt", "uv.lock", "pylock.prod.toml"):
        Path(name).write_text("")
    assert scan_arguments(["--fail-on", "suspicious", "requirements-dev.txt", "uv.lock",
                           "pylock.prod.toml"]) == [
        "scan", "--fail-on", "suspicious", "-r", "requirements-dev.txt", "--lock", "uv.lock",
        "--lock", "pylock.prod.toml"]


def test_ctrl_c_while_reading_the_index_exits_130_without_a_traceback(monkeypatch):
    import scanner.sources.remote as remote

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(remote, "plan_remote", interrupted)
    outcome = run("pypi:anything==1.0")
    assert outcome.exit_code == 130
    assert "interrupted before any artifact was scanned" in outcome.stderr
    assert not isinstance(outcome.exception, KeyboardInterrupt)


@pytest.mark.parametrize("content, message", [
    (b'[[package]]\nname = 3\n', "unexpected uv.lock layout"),
    (b'[[package]]\nname = "a"\nsdist = "str"\n', "unexpected uv.lock layout"),
    (b"garbage ]]]\n", "not a TOML file"),
    (b"x = 1\n", "neither a uv.lock nor a pylock.toml"),
], ids=["bad-name", "bad-sdist", "not-toml", "unknown-format"])
def test_malformed_lock_files_are_usage_errors_naming_the_file(tmp_path, content, message):
    lock = tmp_path / ("uv.lock" if b"package" in content else "deps.lock")
    lock.write_bytes(content)
    outcome = run("--lock", lock)
    assert outcome.exit_code == 2
    assert message in outcome.stderr and str(lock) in outcome.stderr


def test_pre_commit_hook_leaves_option_values_alone(tmp_path, monkeypatch):
    # "--policy policy.txt" is a hook argument, not a staged requirements file.
    from scanner.sources.precommit import scan_arguments

    monkeypatch.chdir(tmp_path)
    for name in ("policy.txt", "requirements.txt", "out.txt"):
        Path(name).write_text("")
    assert scan_arguments(["--policy", "policy.txt", "-o", "out.txt", "--no-cache",
                           "requirements.txt"]) == [
        "scan", "--policy", "policy.txt", "-o", "out.txt", "--no-cache", "-r",
        "requirements.txt"]


def test_notes_and_errors_quoting_a_cloned_lock_or_requirements_file_are_escaped(tmp_path):
    lock = tmp_path / "uv.lock"
    lock.write_text('[[package]]\nname = "a"\nversion = "1"\n'
                    'source = { git = "https://example.invalid/\\u001b]0;owned\\u0007" }\n')
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("-r missing\x1b[2J.txt\n")
    outcome = run("--lock", lock)
    assert outcome.exit_code == 2  # nothing to scan: the note, then a usage error
    assert "\\x1b]0;owned" in outcome.stderr
    outcome = run("-r", requirements)
    assert outcome.exit_code == 2 and "missing\\x1b[2J.txt" in outcome.stderr
    for text in (run("--lock", lock).stderr, outcome.stderr):
        assert "\x1b" not in text and "\x07" not in text


def test_a_release_the_resolver_passed_over_as_malicious_is_reported(tmp_path):
    # evilpkg 2.0 (a malicious sdist) is the newest release: the gate hides it and pip
    # resolves `evilpkg` to 1.0. A plain `pip install evilpkg` would run 2.0's setup.py, so
    # `scan -r` reports it as a result of its own, and fails.
    from index_support import MARKER_ENV, sample_dists

    pytest.importorskip("scanner.preinstall.resolve")
    req = tmp_path / "requirements.txt"
    req.write_text("evilpkg\n")
    marker = tmp_path / "marker"
    with running_upstream(sample_dists()) as index, pytest.MonkeyPatch.context() as mp:
        mp.setenv(MARKER_ENV, str(marker))
        outcome = run("-r", req, "--index-url", index.url, "-f", "json")
    found = results_of(outcome)
    assert outcome.exit_code == 1, outcome.output
    assert found["evilpkg-1.0-py3-none-any.whl"]["verdict"] == "clean"
    evil = found["evilpkg-2.0.tar.gz"]
    assert evil["verdict"] == "malicious"
    assert evil["target"] == "blocked-in-resolution:evilpkg==2.0/evilpkg-2.0.tar.gz"
    assert not marker.exists()


def test_local_files_in_a_requirements_file_are_scanned_and_trees_noted(tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dist").mkdir()
    wheel = tmp_path / "dist" / wheel_filename("localpkg", "1.0")
    wheel.write_bytes(wheel_bytes("localpkg", "1.0", {"localpkg/__init__.py": "X = 1\n"}))
    (tmp_path / "src").mkdir()
    req = tmp_path / "requirements.txt"
    req.write_text(f"./dist/{wheel.name}\n./src\n-e ./src\n")
    outcome = run("-r", req, "-f", "json")
    assert outcome.exit_code == 0, outcome.output
    assert results_of(outcome)[wheel.name]["verdict"] == "clean"
    assert "local source tree ./src not scanned" in outcome.stderr
    assert "{line}" not in outcome.stderr and "-e ./src" in outcome.stderr
    req.write_text("./dist/missing-1.0.tar.gz\n")
    outcome = run("-r", req)
    assert outcome.exit_code == 2 and "does not exist" in outcome.stderr


def test_an_index_page_cannot_make_distscan_read_local_files(tmp_path):
    # A page (remote, untrusted) listing file:///... must not have the user's own files read,
    # scanned and quoted in a report that may be uploaded (SARIF).
    import httpx

    secret = tmp_path / "credentials"
    secret.write_text("aws_secret_access_key = AKIA...\n")

    def handler(request):
        if request.url.path.endswith("/evil/"):
            body = f'<a href="{secret.as_uri()}">evil-1.0.tar.gz</a>'
            return httpx.Response(200, text=body, headers={"content-type": "text/html"})
        return httpx.Response(404)

    client = IndexClient("https://index.invalid/simple/",
                         transport=httpx.MockTransport(handler), accept=HTML_V1)
    (entry,) = client.release_files("evil").files
    with pytest.raises(FetchError, match="names a local file"):
        client.fetch(entry, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credentials"]


def test_a_lock_file_entry_must_name_a_distribution_file(tmp_path):
    (tmp_path / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    lock = tmp_path / "uv.lock"
    lock.write_text('[[package]]\nname = "a"\nversion = "1"\n'
                    'sdist = { path = "id_rsa" }\n')
    with pytest.raises(LockError, match="'id_rsa' is not a distribution file"):
        parse_lock(lock)
    (tmp_path / "requirements.txt").write_text("./id_rsa\n")
    with pytest.raises(RequirementsError, match="not a distribution file"):
        parse_requirements(tmp_path / "requirements.txt")
