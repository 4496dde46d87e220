"""``distscan pip install`` / ``distscan uv pip install`` and resolution through the gate, end
to end: a static upstream index on loopback, the real CLI entry point, real pip and uv.

Nothing here leaves 127.0.0.1. The malicious sample is an sdist whose setup.py would write a
marker file if it ran; every test that could reach it checks that the marker never appears.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from index_support import (
    Dist,
    Upstream,
    clean_env,
    malicious_setup_py,
    running_upstream,
    sample_dists,
)

from scanner.preinstall.arguments import pip_options, read_pip_args, read_uv_args
from scanner.preinstall.index_config import IndexChoice, pip_index, uv_index
from scanner.preinstall.installers import pip_command
from scanner.preinstall.local_gate import FileOutcome
from scanner.preinstall.report import RunReport, write_text
from scanner.preinstall.requirements import Refusal, read_requirements_file
from scanner.preinstall.resolve import ResolutionError, resolve
from scanner.preinstall.run import FrontOptions, front
from scanner.testing import sdist_bytes, wheel_bytes, wheel_filename

EVIL_SDIST = "evilpkg-2.0.tar.gz"


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    with running_upstream(sample_dists()) as up:
        yield up


def distscan(tmp: Path, *args: str, env: dict[str, str] | None = None):
    """The real CLI entry point, in the confined test environment."""
    return subprocess.run([sys.executable, "-m", "scanner", *args], cwd=tmp,
                          env=env or clean_env(tmp), capture_output=True, text=True,
                          timeout=180)


def installer_args(installer: str, upstream: Upstream, tmp: Path, *rest: str) -> list[str]:
    if installer == "pip":
        return ["pip", "--cache-dir", str(tmp / "cache"), "install", "--no-deps",
                "--target", str(tmp / "target"), "--index-url", upstream.url, *rest]
    return ["uv", "--cache-dir", str(tmp / "cache"), "pip", "install", "--no-deps",
            "--python", sys.executable, "--target", str(tmp / "target"),
            "--index-url", upstream.url, *rest]


def installed(tmp: Path, module: str) -> str | None:
    init = tmp / "target" / module / "__init__.py"
    return init.read_text().split("'")[1] if init.is_file() else None


def blocked_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip().startswith("BLOCKED")]


def _front(tmp: Path, installer: str, argv: list[str], env: dict[str, str] | None = None,
           use_cache: bool = True):
    """front() in this process (what the CLI calls), with the report as JSON."""
    out, err = io.StringIO(), io.StringIO()
    options = FrontOptions(cache_dir=tmp / "cache", use_cache=use_cache, output_format="json")
    code = front(installer, argv, options, env=env or clean_env(tmp), cwd=tmp, out=out,
                 err=err)
    return code, out.getvalue(), err.getvalue()


# -- the CLI, pip and uv -----------------------------------------------------------------------

@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_benign_set_installs_and_the_withheld_malicious_release_fails_the_run(
        upstream, tmp_path, installer):
    (tmp_path / "req.txt").write_text("demo-pkg\nevilpkg\n")
    result = distscan(tmp_path, *installer_args(installer, upstream, tmp_path, "-r", "req.txt"))
    output = result.stdout + result.stderr
    # The installer succeeded with the previous clean release, but a file was blocked: exit 1.
    assert result.returncode == 1, output
    assert installed(tmp_path, "demo_pkg") == "1.1"
    assert installed(tmp_path, "evilpkg") == "1.0"
    assert not (tmp_path / "marker").exists()
    [line] = blocked_lines(result.stdout)
    assert EVIL_SDIST in line and "malicious" in line and "python." in line, output
    assert "fetched  clean      demo_pkg-1.1-py3-none-any.whl" in result.stdout
    # The verdicts went to the cache named by --cache-dir.
    with sqlite3.connect(tmp_path / "cache" / "verdicts.sqlite3") as db:
        rows = dict(db.execute("SELECT filename, verdict FROM verdicts"))
    assert rows[EVIL_SDIST] == "malicious"
    assert rows["demo_pkg-1.1-py3-none-any.whl"] == "clean"


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_pinned_malicious_sdist_is_blocked_before_its_hook_runs(upstream, tmp_path, installer):
    (tmp_path / "req.txt").write_text("demo-pkg\nevilpkg==2.0\n")
    env = clean_env(tmp_path) | {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    args = installer_args(installer, upstream, tmp_path, "-r", "req.txt")
    args.remove("--cache-dir")
    args.remove(str(tmp_path / "cache"))
    result = distscan(tmp_path, *args, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert not (tmp_path / "marker").exists()
    assert installed(tmp_path, "evilpkg") is None
    [line] = blocked_lines(result.stdout)
    assert EVIL_SDIST in line, output
    assert (tmp_path / "xdg" / "distscan" / "verdicts.sqlite3").is_file()  # XDG_CACHE_HOME


def test_benign_install_reports_json_and_exits_with_the_installers_code(upstream, tmp_path,
                                                                       capfd):
    argv = ["install", "--no-deps", "--target", str(tmp_path / "target"),
            "--index-url", upstream.url, "demo-pkg"]
    code, out, _ = _front(tmp_path, "pip", argv, use_cache=False)
    assert code == 0, out
    report = json.loads(out)
    # pip's own output went to standard error, so that standard output is the report alone.
    assert "Successfully installed demo-pkg-1.1" in capfd.readouterr().err
    assert report["blocked"] == [] and report["installer_exit_code"] == 0
    [served] = [f for f in report["files"] if f["served"]]
    assert (served["filename"], served["verdict"]) == ("demo_pkg-1.1-py3-none-any.whl", "clean")
    assert not (tmp_path / "cache").exists()  # --no-cache: a temporary verdict store


# -- refusals: nothing may reach the installer around the gate ---------------------------------

REFUSED = [
    ("pip", ["install", "--extra-index-url", "http://127.0.0.1:9/simple/", "x"],
     "--extra-index-url is refused"),
    ("pip", ["install", "--extra-ind", "http://127.0.0.1:9/simple/", "x"],  # abbreviation
     "--extra-index-url is refused"),
    ("pip", ["install", "-f", "http://127.0.0.1:9/links/", "x"], "--find-links is refused"),
    ("pip", ["install", "--find-links=/tmp", "x"], "--find-links is refused"),
    ("pip", ["install", "git+https://secret@example.invalid/x.git"], "direct URL or VCS"),
    ("pip", ["install", "https://example.invalid/x-1.0-py3-none-any.whl"], "direct URL or VCS"),
    ("pip", ["install", "x @ https://u:secret@example.invalid/x-1.0.tar.gz"],
     "direct URL or VCS"),
    ("pip", ["install", "-e", "git+https://example.invalid/x.git#egg=x"], "direct URL or VCS"),
    ("pip", ["install", "--proxy", "http://127.0.0.1:9", "x"], "--proxy and --no-proxy-env"),
    ("pip", ["install", "--proxy=", "x"], "--proxy and --no-proxy-env"),
    ("pip", ["install", "--no-proxy-e", "x"], "--proxy and --no-proxy-env"),
    ("pip", ["install", "-r", "extra.txt"], "extra.txt:2: --extra-index-url is refused"),
    ("pip", ["install", "-r", "nested.txt"], "links.txt:1: --find-links is refused"),
    ("pip", ["install", "-r", "index.txt"], "index.txt:1: -i is refused"),
    ("pip", ["install", "-r", "abbrev.txt"], "not one distscan knows to be safe"),
    ("pip", ["install", "-r", "envurl.txt"], "direct URL or VCS"),
    ("pip", ["install", "-r", "https://example.invalid/r.txt"], "remote requirements files"),
    ("pip", ["install", "-r", "remote.txt"], "remote requirements files"),
    ("pip", ["--isolated", "install", "x"], "fronts install, download, wheel"),
    ("uv", ["pip", "install", "--extra-index-url", "http://127.0.0.1:9/simple/", "x"],
     "--extra-index-url is refused"),
    ("uv", ["pip", "install", "--index", "other=http://127.0.0.1:9/simple/", "x"],
     "--index is refused"),
    ("uv", ["pip", "install", "-f", "/tmp", "x"], "--find-links is refused"),
    ("uv", ["pip", "install", "--config-file", "uv.toml", "x"], "--config-file is refused"),
    ("uv", ["pip", "install", "-r", "extra.txt"], "--extra-index-url is refused"),
    ("uv", ["pip", "install", "git+https://example.invalid/x.git"], "direct URL or VCS"),
    ("uv", ["pip", "sync", "extra.txt"], "--extra-index-url is refused"),
    ("uv", ["pip", "install", "--cache-dir", "/tmp/uv-cache", "x"], "--cache-dir is refused"),
    ("pip", ["install", "--group", "dev"], "--group is refused"),
]


@pytest.mark.parametrize("installer, argv, message", REFUSED,
                         ids=[" ".join(a) for _, a, _ in REFUSED])
def test_ways_around_the_gate_are_refused_before_anything_runs(upstream, tmp_path, installer,
                                                               argv, message):
    (tmp_path / "extra.txt").write_text("demo-pkg\n--extra-index-url http://127.0.0.1:9/s/\n")
    (tmp_path / "nested.txt").write_text("# a comment\ndemo-pkg \\\n  >=1.0\n-r sub/links.txt\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "links.txt").write_text("--find-links http://127.0.0.1:9/links/\n")
    (tmp_path / "index.txt").write_text("-i http://127.0.0.1:9/simple/\ndemo-pkg\n")
    (tmp_path / "abbrev.txt").write_text("--extra-ind http://127.0.0.1:9/simple/\n")
    (tmp_path / "envurl.txt").write_text("${PKG_URL}\n")
    (tmp_path / "remote.txt").write_text("-r https://secret@example.invalid/r.txt\n")
    env = clean_env(tmp_path) | {"PKG_URL": "https://example.invalid/x-1.0.tar.gz"}
    before = len(upstream.requests)
    code, out, err = _front(tmp_path, installer, argv, env)
    assert code == 2, err
    assert message in err
    assert "secret" not in err  # credentials in URLs are never echoed
    assert out == ""  # no gate, no installer, no report
    assert len(upstream.requests) == before


def test_refusal_through_the_cli_is_a_usage_error(tmp_path):
    result = distscan(tmp_path, "pip", "install", "--extra-index-url",
                      "http://127.0.0.1:9/simple/", "demo-pkg")
    assert result.returncode == 2
    assert "distscan fronts exactly one index" in result.stderr


def test_requirements_file_reader_follows_pip_syntax(tmp_path):
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wheels" / "a-1.0-py3-none-any.whl").write_bytes(b"")
    (tmp_path / "inner.txt").write_text("./wheels/a-1.0-py3-none-any.whl --hash=sha256:00\n")
    (tmp_path / "req.txt").write_text("demo-pkg>=1 ; python_version >= '3'  # why\n"
                                      "evil\\\npkg==1.0\n-r inner.txt\n--pre\n"
                                      "-e file://" + str(tmp_path / "src") + "\n")
    content = read_requirements_file(Path("req.txt"), {}, cwd=tmp_path)
    assert content.index_requirements == ("demo-pkg>=1 ; python_version >= '3'",
                                          "evilpkg==1.0")
    assert [str(x.path) for x in content.locals] == ["wheels/a-1.0-py3-none-any.whl",
                                                     str(tmp_path / "src")]
    assert content.locals[1].editable
    (tmp_path / "loop.txt").write_text("-r loop.txt\nnot a requirement\n")
    with pytest.raises(Refusal, match="neither a requirement"):
        read_requirements_file(Path("loop.txt"), {}, cwd=tmp_path)


def _pip_reads(path: Path) -> list[str]:
    from pip._internal.network.session import PipSession
    from pip._internal.req.req_file import parse_requirements

    return [r.requirement for r in parse_requirements(str(path), session=PipSession())]


def test_a_backslash_continued_line_is_read_as_pip_reads_it(tmp_path, monkeypatch):
    # pip strips backslashes from both ends of a continued line: "\./evil \" is "./evil" to
    # pip. Read otherwise, distscan saw a path "\./evil" that does not exist and scanned
    # nothing while pip installed ./evil.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil").mkdir()
    (tmp_path / "req.txt").write_text("\\./evil \\\n\n")
    content = read_requirements_file(Path("req.txt"), {}, cwd=tmp_path)
    assert _pip_reads(tmp_path / "req.txt") == ["./evil"]
    assert [str(x.path) for x in content.locals] == ["evil"]
    parsed = read_pip_args(["install", "-r", "req.txt"], {"PIP_CONFIG_FILE": os.devnull},
                           tmp_path)
    assert [x.path for x in parsed.locals] == [Path("evil")]


@pytest.mark.parametrize("content, message", [
    # utf-7 turns "+AAo-" into a newline: a comment to distscan, a requirement line to pip.
    (b"# -*- coding: utf-7 -*-\ndemo-pkg # +AAo-./evil\n", "declares the encoding 'utf-7'"),
    (b"# coding: no-such-codec\ndemo-pkg\n", "declares the encoding"),
    (b"\xff\xfed\x00e\x00m\x00o\x00\n\x00", "UTF-16/UTF-32"),
    (b"demo-pkg\xff\n", "not UTF-8"),
    # pip reads "-r=x.txt" as the file "=x.txt", uv as "x.txt".
    (b"-r=x.txt\n", "read -r=VALUE differently"),
    (b"-e=./evil\n", "read -e=VALUE differently"),
], ids=["utf-7", "unknown-codec", "utf-16", "latin-1 bytes", "-r=", "-e="])
def test_requirements_files_that_pip_and_uv_could_read_otherwise_are_refused(
        tmp_path, content, message):
    (tmp_path / "x.txt").write_text("demo-pkg\n")
    (tmp_path / "req.txt").write_bytes(content)
    with pytest.raises(Refusal, match=message):
        read_requirements_file(Path("req.txt"), {}, cwd=tmp_path)


def test_a_harmless_coding_line_and_a_utf8_mark_are_accepted(tmp_path):
    (tmp_path / "req.txt").write_bytes(b"\xef\xbb\xbf# -*- coding: latin-1 -*-\ndemo-pkg\n")
    content = read_requirements_file(Path("req.txt"), {}, cwd=tmp_path)
    assert content.index_requirements == ("demo-pkg",)


@pytest.mark.parametrize("installer, argv", [
    ("pip", ["install", "./missing-1.0.tar.gz"]),
    ("pip", ["install", "-e", "./missing-src"]),
    ("uv", ["pip", "install", "-r", "req.txt"]),
])
def test_a_local_path_that_does_not_exist_is_refused(tmp_path, installer, argv):
    (tmp_path / "req.txt").write_text("./missing/\n")
    read = read_pip_args if installer == "pip" else read_uv_args
    with pytest.raises(Refusal, match="does not exist"):
        read(argv, clean_env(tmp_path), tmp_path)


def test_refusal_messages_cannot_drive_the_terminal(tmp_path):
    # A requirements file name (from a repository) is printed as part of the message.
    (tmp_path / "req.txt").write_text("-r inner\x1b[2J.txt\n")
    code, out, err = _front(tmp_path, "pip", ["install", "-r", "req.txt"])
    assert code == 2
    assert "\x1b" not in err and "\\x1b" in err


# -- local artifacts and source trees ----------------------------------------------------------

@pytest.fixture
def local_evil(tmp_path) -> Path:
    dist = tmp_path / "dist"
    dist.mkdir()
    sdist = dist / EVIL_SDIST
    sdist.write_bytes(sdist_bytes("evilpkg", "2.0", {"setup.py": malicious_setup_py(),
                                                     "evilpkg/__init__.py": "X = 1\n"}))
    tree = tmp_path / "evil-src"
    (tree / "evilpkg").mkdir(parents=True)
    (tree / "setup.py").write_text(malicious_setup_py())
    (tree / "evilpkg" / "__init__.py").write_text("X = 1\n")
    (tmp_path / "local.txt").write_text(f"./dist/{EVIL_SDIST}\n")
    # uv reads paths in a requirements file relative to the file, pip relative to the working
    # folder: both places are scanned.
    (dist / "req.txt").write_text(f"./{EVIL_SDIST}\n")
    return sdist


LOCAL = [
    ("pip", ["install", f"./dist/{EVIL_SDIST}"]),
    ("pip", ["install", EVIL_SDIST.replace("evil", "dist/evil")]),
    ("pip", ["install", "-e", "./evil-src"]),
    ("pip", ["install", "-r", "local.txt"]),
    ("uv", ["pip", "install", "--python", sys.executable, f"./dist/{EVIL_SDIST}"]),
    ("uv", ["pip", "install", "--python", sys.executable, "-e", "evil-src/"]),
    ("uv", ["pip", "install", "--python", sys.executable, "-r", "dist/req.txt"]),
]


@pytest.mark.parametrize("installer, argv", LOCAL, ids=[" ".join(a) for _, a in LOCAL])
def test_malicious_local_artifact_or_tree_blocks_the_run_before_the_installer(
        upstream, tmp_path, local_evil, installer, argv):
    before = len(upstream.requests)
    argv = [*argv, "--target", str(tmp_path / "target"), "--index-url", upstream.url]
    code, out, err = _front(tmp_path, installer, argv)
    assert code == 1, err
    report = json.loads(out)
    assert report["installer_exit_code"] is None  # the installer never ran
    [blocked] = report["blocked"]
    assert blocked.endswith(("evil-src", EVIL_SDIST))
    [local] = report["local"]
    assert local["result"]["verdict"] == "malicious"
    assert not (tmp_path / "marker").exists()
    assert not (tmp_path / "target").exists()
    assert len(upstream.requests) == before  # not even the gate started


def test_hosts_other_than_the_gate_are_unreachable_for_the_installer(upstream, tmp_path):
    """A direct-URL dependency hidden in a local wheel's metadata names the upstream by another
    host name: no argument check sees it, the confinement proxy stops it."""
    port = upstream.server.server_address[1]
    url = f"http://localhost:{port}/files/demo_pkg-1.0-py3-none-any.whl"
    wheel = tmp_path / wheel_filename("urldep", "1.0")
    wheel.write_bytes(wheel_bytes("urldep", "1.0", {"urldep/__init__.py": "X = 1\n"},
                                  requires=(f"demo-pkg @ {url}",)))
    env = clean_env(tmp_path) | {"PIP_RETRIES": "0"}
    code, out, err = _front(tmp_path, "pip", ["install", "--target", str(tmp_path / "target"),
                                              "--index-url", upstream.url, f"./{wheel.name}"],
                            env)
    report = json.loads(out)
    assert report["local"][0]["result"]["verdict"] == "clean"
    assert report["installer_exit_code"] not in (0, None)
    assert code == report["installer_exit_code"]
    assert upstream.downloads("demo_pkg-1.0-py3-none-any.whl") == 0


def test_a_file_refused_at_download_is_named_and_fails_the_run(tmp_path):
    """An old release is not scanned for its page (only the newest is): pip sees the
    malicious sdist, asks for it and gets a 403 before a byte of it is sent."""
    evil = sdist_bytes("oldevil", "1.0", {"setup.py": malicious_setup_py().replace(
        "evilpkg", "oldevil"), "oldevil/__init__.py": "X = 1\n"})
    clean = wheel_bytes("oldevil", "2.0", {"oldevil/__init__.py": "X = 2\n"})
    dists = [Dist("oldevil", "oldevil-1.0.tar.gz", evil),
             Dist("oldevil", wheel_filename("oldevil", "2.0"), clean)]
    with running_upstream(dists) as index:
        argv = ["install", "--no-deps", "--no-build-isolation", "--target",
                str(tmp_path / "target"), "--index-url", index.url, "oldevil==1.0"]
        code, out, err = _front(tmp_path, "pip", argv, clean_env(tmp_path) | {"PIP_RETRIES": "0"})
    report = json.loads(out)
    assert code == 1 and report["installer_exit_code"] not in (0, None)
    [refused] = [f for f in report["files"] if f["refused"]]
    assert refused["filename"] == "oldevil-1.0.tar.gz" and refused["blocked"]
    assert refused["verdict"] == "malicious" and "403" not in refused["reason"]
    assert report["blocked"] == ["oldevil-1.0.tar.gz"]
    assert not (tmp_path / "marker").exists()
    assert not (tmp_path / "target").exists()


# -- configuration cannot add sources ----------------------------------------------------------

@pytest.fixture(scope="module")
def second_index() -> Iterator[Upstream]:
    leak = wheel_bytes("leakpkg", "1.0", {"leakpkg/__init__.py": "X = 1\n"})
    with running_upstream([Dist("leakpkg", wheel_filename("leakpkg", "1.0"), leak)]) as up:
        yield up


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_configured_extra_indexes_and_find_links_are_switched_off(
        upstream, second_index, tmp_path, installer):
    env = clean_env(tmp_path)
    files = second_index.url.replace("/simple/", "/files/")
    if installer == "pip":
        conf = tmp_path / "pip.conf"
        conf.write_text(f"[global]\nextra-index-url = {second_index.url}\n"
                        f"[install]\nfind-links = {files}\n")
        env |= {"PIP_CONFIG_FILE": str(conf)}
    else:
        env |= {"UV_EXTRA_INDEX_URL": second_index.url, "UV_FIND_LINKS": files,
                "UV_INDEX": second_index.url}
    argv = installer_args(installer, upstream, tmp_path, "leakpkg")[3:]  # after distscan's
    code, out, err = _front(tmp_path, installer, argv, env)
    assert code not in (0, 2), out + err
    assert json.loads(out)["installer_exit_code"] == code  # the installer's failure
    assert "ignoring extra indexes / find-links from the configuration" in err
    assert second_index.url in err
    assert second_index.requests == []
    assert installed(tmp_path, "leakpkg") is None


# -- resolution through the gate ---------------------------------------------------------------

def test_unpinned_requirements_resolve_to_files_through_the_gate(upstream, tmp_path):
    db = tmp_path / "verdicts.sqlite3"
    resolution = resolve(["demo-pkg", "evilpkg"], upstream.url, db_path=db,
                         env=clean_env(tmp_path))
    by_name = {f.name: f for f in resolution.files}
    assert {n: f.version for n, f in by_name.items()} == {"demo-pkg": "1.1", "evilpkg": "1.0"}
    dists = {d.filename: d for d in upstream.dists}
    for f in resolution.files:
        assert f.sha256 == dists[f.filename].sha256
        assert f.url == upstream.url.replace("/simple/", "/files/") + f.filename
    assert EVIL_SDIST in {b.filename for b in resolution.blocked}

    with pytest.raises(ResolutionError, match=EVIL_SDIST) as caught:
        resolve(["evilpkg==2.0"], upstream.url, db_path=db, env=clean_env(tmp_path))
    assert EVIL_SDIST in {b.filename for b in caught.value.blocked}
    assert not (tmp_path / "marker").exists()
    with pytest.raises(ValueError, match="direct URL"):
        resolve(["x @ https://example.invalid/x.whl"], upstream.url, db_path=db)


# -- units: where the index comes from, what the installer is given, what counts as blocked ----

def test_the_users_index_comes_from_the_command_line_then_configuration(tmp_path):
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://cfg.example/simple/\n"
                    "extra-index-url = https://extra.example/simple/\n")
    env = clean_env(tmp_path) | {"PIP_CONFIG_FILE": str(conf)}
    parsed = read_pip_args(["install", "x"], env, tmp_path)
    assert pip_index(parsed, env) == IndexChoice("https://cfg.example/simple/",
                                                 "pip configuration",
                                                 ("https://extra.example/simple/",))
    env_var = env | {"PIP_INDEX_URL": "https://env.example/simple/"}
    assert pip_index(parsed, env_var).source == "PIP_INDEX_URL"
    typed = read_pip_args(["install", "-ihttps://cli.example/simple/", "x"], env, tmp_path)
    choice = pip_index(typed, env)
    assert (choice.url, choice.source) == ("https://cli.example/simple/", "command line")
    assert pip_index(read_pip_args(["install", "x"], clean_env(tmp_path), tmp_path),
                     clean_env(tmp_path)).url == "https://pypi.org/simple/"

    (tmp_path / "uv.toml").write_text(
        '[[index]]\nurl = "https://uv-default.example/simple/"\ndefault = true\n'
        '[[index]]\nurl = "https://uv-extra.example/simple/"\n')
    uv_env = {"HOME": str(tmp_path)}
    uv_parsed = read_uv_args(["pip", "install", "x"], uv_env, tmp_path)
    choice = uv_index(uv_parsed, uv_env, tmp_path)
    assert choice == IndexChoice("https://uv-default.example/simple/",
                                 str(tmp_path / "uv.toml"),
                                 ("https://uv-extra.example/simple/",))
    assert uv_index(uv_parsed, uv_env | {"UV_INDEX_URL": "https://e.example/"},
                    tmp_path).source == "UV_INDEX_URL"
    cli = read_uv_args(["pip", "install", "--default-index", "https://c.example/", "x"],
                       uv_env, tmp_path)
    assert cli.index_url == "https://c.example/" and "--default-index" not in cli.args


def test_the_final_pip_command_names_only_the_gate_even_when_isolated(tmp_path):
    conf = tmp_path / "pip.conf"
    conf.write_text("[install]\nextra-index-url = https://extra.example/simple/\n"
                    "find-links = https://links.example/\ncache-dir = /tmp/other-cache\n")
    env = clean_env(tmp_path) | {"PIP_CONFIG_FILE": str(conf)}
    gate = "http://127.0.0.1:1/simple/"
    for extra in ([], ["--isolated"]):  # isolated pip ignores PIP_* variables, not the file
        parsed = read_pip_args(["install", *extra, "-i", "https://user.example/s/", "x"], env,
                               tmp_path)
        command = pip_command(parsed, gate, env, "http://127.0.0.1:2", 10.0)
        assert command.command[-3:] == ("--index-url", gate, "--no-cache-dir")
        options, _ = pip_options("install", list(command.command[4:]), command.env)
        assert (options.index_url, options.extra_index_urls, options.find_links,
                options.cache_dir) == (gate, [], [], False)
        assert command.env["HTTPS_PROXY"] == "http://127.0.0.1:2"
        assert command.env["NO_PROXY"] == "127.0.0.1"


def _outcome(filename: str, *, allowed=True, served=False, refused=False) -> FileOutcome:
    name, version = filename.split("-")[:2]
    return FileOutcome(filename, name, version.removesuffix(".tar.gz"), None, None, None, (),
                       allowed, served, refused, "", None)


def test_an_older_withheld_release_is_reported_but_does_not_fail_the_run():
    files = (_outcome("a-1.1-py3-none-any.whl", served=True),
             _outcome("a-1.0.tar.gz", allowed=False),          # older than what was installed
             _outcome("a-1.1.tar.gz", allowed=False),          # a sibling of the installed one
             _outcome("b-2.0.tar.gz", allowed=False),          # b: nothing installed
             _outcome("c-1.0-py3-none-any.whl", refused=True))  # download refused
    report = RunReport("pip install", "https://x/simple/", "default", (), files, 0)
    assert [f.filename for f in report.counted_blocks()] == [
        "a-1.1.tar.gz", "b-2.0.tar.gz", "c-1.0-py3-none-any.whl"]
    assert report.exit_code() == 1
    quiet = RunReport("pip install", "https://x/simple/", "default", (), files[:2], 0)
    assert quiet.exit_code() == 0
    text = io.StringIO()
    write_text(quiet, text)
    assert "withheld" in text.getvalue() and "BLOCKED" not in text.getvalue()


def test_one_pip_parse_does_not_leak_into_the_next(tmp_path):
    # optparse appends to list defaults in place; pip's option objects are process-wide.
    env = {"PIP_CONFIG_FILE": os.devnull}
    first, _ = pip_options("install", ["-r", "a.txt", "--group", "dev", "x"], env)
    assert first.requirements == ["a.txt"]
    again, _ = pip_options("install", ["x"], env)
    assert again.requirements == [] and not getattr(again, "dependency_groups", [])


# -- release diffing through the pre-install gate ----------------------------------------------

_PLAIN = {"plainpkg/__init__.py": "from .core import add\n__version__ = '1.0'\n",
          "plainpkg/core.py": "def add(a, b):\n    return a + b\n"}
# An import-time spawn: ordinary alone, new behaviour against 1.0.
_INJECTED = "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'print(1)'])\n"


@pytest.mark.parametrize("baseline", [None, "previous"])
def test_baseline_previous_blocks_a_release_whose_new_behaviour_drifts(tmp_path, baseline):
    hijacked = dict(_PLAIN, **{"plainpkg/__init__.py": _PLAIN["plainpkg/__init__.py"]
                               + _INJECTED})
    dists = [Dist("plainpkg", wheel_filename("plainpkg", version),
                  wheel_bytes("plainpkg", version, files))
             for version, files in (("1.0", _PLAIN), ("1.1", hijacked))]
    with running_upstream(dists) as index:
        args = ["pip", "--no-cache", *(["--baseline", baseline] if baseline else []),
                "install", "--no-deps", "--target", str(tmp_path / "target"),
                "--index-url", index.url, "plainpkg==1.1"]
        result = distscan(tmp_path, *args)
    output = result.stdout + result.stderr
    if baseline is None:
        assert result.returncode == 0, output
        assert (tmp_path / "target" / "plainpkg" / "__init__.py").is_file()
        return
    assert result.returncode == 1, output
    assert not (tmp_path / "target" / "plainpkg").exists()
    [line] = blocked_lines(result.stdout)
    assert "plainpkg-1.1-py3-none-any.whl" in line and "drift" in line, output


def test_a_baseline_that_is_not_a_version_is_a_usage_error(tmp_path):
    result = distscan(tmp_path, "pip", "--baseline", "yesterday", "install", "x")
    assert result.returncode == 2
    assert "--baseline must be 'previous' or a version" in result.stderr


def test_a_local_artifact_reuses_a_cached_result_only_under_the_same_name(tmp_path):
    from scanner.cache import ResultCache, scan_fingerprint
    from scanner.pipeline import ScanOptions
    from scanner.preinstall.local_scan import scan_locals
    from scanner.preinstall.requirements import LocalPath

    options = ScanOptions()
    cache = ResultCache(tmp_path / "verdicts.sqlite3", scan_fingerprint(options))
    data = wheel_bytes("tagged", "1.0", {"tagged/__init__.py": "X = 1\n"})
    first = tmp_path / wheel_filename("tagged", "1.0")
    other = tmp_path / wheel_filename("tagged", "1.0", "py2-none-any")
    first.write_bytes(data)
    other.write_bytes(data)
    scan_locals((LocalPath(first, "argument 1"),), (tmp_path,), options, cache, False)
    assert cache.stores == 1 and cache.hits == 0
    scan_locals((LocalPath(first, "argument 1"),), (tmp_path,), options, cache, False)
    assert cache.hits == 1
    scan_locals((LocalPath(other, "argument 1"),), (tmp_path,), options, cache, False)
    assert cache.hits == 1 and cache.stores == 2  # same bytes, other wheel tags: scanned
    cache.close()


def test_variables_distscan_sets_for_the_installer_are_refused_in_requirements(tmp_path):
    # The installer's NO_PROXY is 127.0.0.1: "./${NO_PROXY}" is ./127.0.0.1 to pip, whatever
    # it is in the user's environment when distscan reads the file.
    (tmp_path / "127.0.0.1").mkdir()
    (tmp_path / "localhost").mkdir()
    (tmp_path / "req.txt").write_text("./${NO_PROXY}\n# ${HTTP_PROXY} in a comment is fine\n")
    env = clean_env(tmp_path) | {"NO_PROXY": "localhost"}
    with pytest.raises(Refusal, match=r"\$\{NO_PROXY\} has another value"):
        read_requirements_file(Path("req.txt"), env, cwd=tmp_path)
    (tmp_path / "req.txt").write_text("demo-pkg==${PIP_VERSION}\n")
    with pytest.raises(Refusal, match="PIP_VERSION"):
        read_requirements_file(Path("req.txt"), env, cwd=tmp_path)


def test_a_source_tree_linking_outside_itself_blocks_the_run(tmp_path):
    # setup.py is a link to a file outside the tree: the folder scan cannot read it (it only
    # notes the link, a suspicious finding), but pip would run it.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text(malicious_setup_py())
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("X = 1\n")
    (tree / "setup.py").symlink_to("../outside/evil.py")
    code, out, err = _front(tmp_path, "pip", ["install", "--target", str(tmp_path / "t"),
                                              "-e", "./tree"])
    report = json.loads(out)
    assert code == 1, err
    assert report["installer_exit_code"] is None  # the installer never ran
    (local,) = report["local"]
    assert local["blocked"] and local["result"]["verdict"] != "malicious"
    assert "container.link-escape" in {f["rule"] for f in local["result"]["findings"]}
    assert not (tmp_path / "marker").exists()


def test_an_unusable_cache_gives_a_warning_and_the_install_goes_on(upstream, tmp_path, capfd):
    (tmp_path / "cache").write_text("not a folder")  # what _front names as --cache-dir
    argv = ["install", "--no-deps", "--target", str(tmp_path / "target"),
            "--index-url", upstream.url, "demo-pkg"]
    code, out, err = _front(tmp_path, "pip", argv)
    assert code == 0, err
    report = json.loads(out)
    assert report["installer_exit_code"] == 0 and report["blocked"] == []
    assert "unusable" in capfd.readouterr().err + err  # the cache's one warning
    assert installed(tmp_path, "demo_pkg") == "1.1"


def test_a_run_stopped_before_the_installer_does_not_blame_the_installer():
    report = RunReport("pip install", "http://127.0.0.1:9/simple/", "command line", (), (), 2,
                       installer_ran=False)
    buffer = io.StringIO()
    write_text(report, buffer)
    assert "the installer was not run" in buffer.getvalue()
    assert "(the installer's)" not in buffer.getvalue()
    assert report.exit_code() == 2 and report.to_dict()["installer_exit_code"] is None


def test_indexes_named_by_a_cloned_projects_configuration_are_printed_escaped(
        upstream, tmp_path):
    # A repository's pyproject.toml is not the user's: its extra indexes are switched off and
    # named on standard error, without the control characters it may hold.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uv]\nextra-index-url = ["http://127.0.0.1:9/\\u001b[2Jsimple/"]\n')
    argv = ["pip", "install", "--no-deps", "--python", sys.executable, "--target",
            str(tmp_path / "target"), "--index-url", upstream.url, "demo-pkg"]
    env = {k: v for k, v in clean_env(tmp_path).items() if k != "UV_NO_CONFIG"}
    code, out, err = _front(tmp_path, "uv", argv, env)
    assert code == 0, err
    assert "ignoring extra indexes" in err and "\\x1b[2Jsimple" in err
    assert "\x1b" not in err


def test_every_archive_name_pip_takes_for_a_local_file_is_scanned_as_one(tmp_path):
    from pip._internal.utils.filetypes import ARCHIVE_EXTENSIONS

    from scanner.preinstall.requirements import classify

    for suffix in ARCHIVE_EXTENSIONS:
        name = f"evil-1.0{suffix}"
        (tmp_path / name).write_bytes(b"")
        local = classify(name, "argument 1", (tmp_path,))
        assert local is not None and local.path == Path(name), suffix
