"""THREATS.md's benign look-alikes, rebuilt as real artifacts: each must come out clean."""

from __future__ import annotations

import pytest

from scanner.analyzers.python import ANALYZER
from scanner.model import VerdictLevel
from scanner.pipeline import ScanOptions, scan
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

ONLY_PYTHON = ScanOptions(analyzers=(ANALYZER,))

LOOKALIKES = {
    "virtualenv-pth": ("wheel", {
        "_virtualenv.pth": "import _virtualenv\n",
        "_virtualenv.py": "import os, sys\nVIRTUALENV_PATCH_FILE = os.path.join(__file__)\n"
                          "def patch_dist(dist):\n    old = dist.parse_config_files\n",
    }),
    "pywin32-pth": ("wheel", {
        "pywin32.pth": "# .pth file for the PyWin32 extensions\nwin32\nwin32\\lib\nPythonwin\n"
                       "import pywin32_bootstrap\n",
        "pywin32_bootstrap.py": "import os\nfor p in []:\n    os.add_dll_directory(p)\n",
    }),
    "editable-pth": ("wheel", {
        "__editable__.demo-1.0.pth": "import __editable___demo_1_0_finder; "
                                     "__editable___demo_1_0_finder.install()\n",
        "__editable___demo_1_0_finder.py": "import sys\ndef install():\n"
                                           "    sys.meta_path.append(object())\n",
    }),
    "coverage-pth": ("wheel", {
        "coverage-subprocess.pth": "import coverage; coverage.process_startup()\n",
        "coverage/__init__.py": "import os\ndef process_startup():\n"
                                "    return os.environ.get('COVERAGE_PROCESS_START')\n",
    }),
    "execnet-bootstrap": ("wheel", {
        "execnet/gateway_io.py": "import sys\n"
                                 "def bootstrap():\n    exec(eval(sys.stdin.readline()))\n",
    }),
    "rl-thunk-from-argv": ("wheel", {
        "rl/thunk.py": "import sys, base64, zlib, pickle\n"
                       "if __name__ == '__main__':\n"
                       "    fn = pickle.loads(zlib.decompress(base64.b64decode(sys.argv[1])))\n"
                       "    fn()\n",
    }),
    "codegen-namedtuple-attrs": ("wheel", {
        "gen/__init__.py": "def make_init(fields):\n"
                           "    src = 'def __init__(self, %s): pass' % ', '.join(fields)\n"
                           "    ns = {}\n    exec(compile(src, '<gen>', 'exec'), ns)\n"
                           "    return ns['__init__']\n"
                           "class Point:\n    __init__ = None\n",
    }),
    "protobuf-descriptor": ("wheel", {
        "api/example_pb2.py": "from google.protobuf import descriptor_pool\n"
                              "DESCRIPTOR = descriptor_pool.Default().AddSerializedFile("
                              "b'\\n\\rexample.proto\\x12\\x07example\"\\x1a\\n\\x05Hello"
                              "\\x12\\x11\\n\\x04name\\x18\\x01 \\x01(\\t' * 20)\n",
    }),
    "boto-credentials": ("wheel", {
        "cloud/creds.py": "import os\nimport requests\n"
                          "SHARED = os.path.expanduser('~/.aws/credentials')\n"
                          "METADATA = 'http://169.254.169.254/latest/meta-data/'\n"
                          "def load():\n    return open(SHARED).read()\n"
                          "def metadata():\n    return requests.get(METADATA, timeout=1).text\n",
    }),
    "pyperclip-pynput": ("wheel", {
        "clip/__init__.py": "import subprocess\ndef paste():\n"
                            "    return subprocess.check_output(['xclip', '-o'])\n",
        "keys/__init__.py": "from pynput import keyboard\n"
                            "def listen(cb):\n    return keyboard.Listener(on_press=cb)\n",
    }),
    "cmake-build-ext": ("sdist", {
        "setup.py": "import os, subprocess\nfrom setuptools import setup\n"
                    "from setuptools.command.build_ext import build_ext\n"
                    "class CMakeBuild(build_ext):\n    def run(self):\n"
                    "        subprocess.check_call(['cmake', '-S', '.', '-B', 'build'])\n"
                    "        subprocess.check_call(['ninja', '-C', 'build'])\n"
                    "setup(name='x', cmdclass={'build_ext': CMakeBuild})\n",
    }),
    "version-exec-and-git": ("sdist", {
        "setup.py": "import subprocess\nfrom setuptools import setup\n"
                    "about = {}\nexec(open('pkg/__about__.py').read(), about)\n"
                    "rev = subprocess.check_output(['git', 'rev-parse', 'HEAD']).strip()\n"
                    "setup(name='x', version=about['__version__'])\n",
        "pkg/__about__.py": "__version__ = '1.0'\n",
    }),
}


@pytest.mark.parametrize("name", sorted(LOOKALIKES))
def test_lookalike_is_clean(name: str) -> None:
    kind, files = LOOKALIKES[name]
    if kind == "sdist":
        data, filename = sdist_bytes("demo", "1.0", files), sdist_filename("demo", "1.0")
    else:
        data, filename = wheel_bytes("demo", "1.0", files), wheel_filename("demo", "1.0")
    result = scan(data, ONLY_PYTHON, filename=filename)
    assert result.verdict.level is VerdictLevel.CLEAN, [f.to_dict() for f in result.findings]
