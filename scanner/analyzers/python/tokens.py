"""Token-level scanning: the cheap pre-pass that decides who gets a tree, and the fallback
for code libcst cannot parse (Python 2, deliberate syntax errors, NUL bytes).

The fallback works line by line with regular expressions. It cannot see scopes, so in
install/startup files every line counts as module code, elsewhere only unindented lines do;
its hits are marked ``fallback`` and lose one confidence step when they become findings.
"""

from __future__ import annotations

import re

from . import decoders
from .calls import STEALER_SECRETS, STRING_RULES
from .hits import MODULE_SCOPE, Hit, ModuleFacts, Payload
from .indicators import labels_in

# Tokens that make a file worth a syntax tree on their own.
STRONG = re.compile(
    rb"(?<![.\w])(?:exec|eval|execfile)\s*\(|(?<![.\w])compile\s*\(|__import__\s*\(|"
    rb"\bexec\s+['\"]|b(?:64|32|85|16)decode|a85decode|decodebytes|unhexlify|\.fromhex|"
    rb"marshal\.loads?|pickle\.loads|os\.system|os\.popen|Popen\s*\(|startfile|os\.exec[lv]|"
    rb"os\.spawn|urlretrieve|webhook|api\.telegram|pyarmor|pytransform|__builtins__|"
    rb"join\(\s*(?:map\(\s*)?chr|codecs\.decode|/dev/tcp|xmrig|stratum\+|169\.254\.169\.254|"
    rb"crontab|systemctl|CurrentVersion\\\\Run|pynput|pyperclip|ImageGrab|"
    rb"[ \t]{150,}\S|discord|Login Data|leveldb|getattr\(\s*builtins|importlib\.import_module|"
    rb"pty\.spawn|os\.dup2|\.decrypt\(|Fernet|gethostbyname|cmdclass|atexit|\bdns\.resolver",
    re.IGNORECASE)
# Strings that matter on their own (drop boxes, stealer targets, persistence, anti-VM).
INDICATOR_TOKENS = re.compile(
    rb"pipedream|webhook\.site|oastify|burpcollab|interact\.sh|ngrok|requestbin|canarytoken|"
    rb"dnslog|ceye\.io|herokuapp|pastebin|transfer\.sh|paste\.ee|hastebin|anonfiles|"
    rb"discordapp|https?://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|id_rsa|\.ssh/|wallet|"
    rb"Local State|Login Data|systemd|\.bashrc|\.zshrc|\.bash_profile|Startup|schtasks|"
    rb"LaunchAgents|\.pth['\"]|vbox|vmtoolsd|vmware|wireshark|sandboxie|rm\s+-rf|rmtree|"
    rb"sleep\(\s*\d{2,}|except\s*(?:Exception\s*)?:\s*pass|ipinfo\.io|ipify|ifconfig\.me|"
    rb"/etc/passwd|/etc/shadow|\.git-credentials|\.kube/config|\.docker/config|"
    rb"169\.254|kubernetes\.io/serviceaccount|keylogger|ImageGrab|screenshot|getpass\.getuser|"
    rb"gethostname|getlogin",
    re.IGNORECASE)
NETWORK = re.compile(rb"requests\.|urlopen|urllib|http\.client|httplib|httpx|aiohttp|socket\.|"
                     rb"smtplib|ftplib|pycurl|websocket", re.IGNORECASE)
SOURCES = re.compile(rb"environ|gethostname|getuser|getlogin|getcwd|platform\.|\.ssh|\.aws|"
                     rb"\.kube|\.docker|\.netrc|\.pgpass|/etc/passwd|\.git-credentials|wallet|"
                     rb"cookies|uname|getnode", re.IGNORECASE)
MODULE_LEVEL_WEAK = re.compile(
    rb"(?m)^(?!import\b|from\b|def\b|class\b|@|#|\s)[^\n]*(?:requests\.|urlopen|subprocess\.|"
    rb"socket\.|os\.environ|Thread\(|shutil\.rmtree|os\.remove)")
BARE_CALL = re.compile(rb"(?m)^[A-Za-z_][\w.]*\(")
WEAK = re.compile(rb"subprocess|requests\.|urlopen|socket|os\.environ|Thread\(|rmtree|"
                  rb"os\.remove|os\.chmod", re.IGNORECASE)


def needs_tree(data: bytes) -> bool:
    """The pre-pass: whether any behaviour worth a syntax tree may be in this source."""
    if STRONG.search(data) or INDICATOR_TOKENS.search(data):
        return True
    if NETWORK.search(data) and SOURCES.search(data):
        return True
    if MODULE_LEVEL_WEAK.search(data):
        return True
    return bool(WEAK.search(data) and BARE_CALL.search(data))


_LINE_RULES: tuple[tuple[re.Pattern, str, bool], ...] = (
    (re.compile(r"(?:exec|eval|compile)\b.*(?:b64decode|b32decode|b85decode|decodebytes|"
                r"unhexlify|decompress|marshal\.loads|rot13|fromhex|\[::-1\])"),
     "python.exec.decoded-payload", True),
    (re.compile(r"(?:exec|eval)\b.*(?:urlopen|requests\.get|\.read\(\))"),
     "python.exec.remote-code", False),
    (re.compile(r"(?<![.\w])(?:exec|execfile)\b\s*[(\"'\w]"), "python.exec.dynamic", False),
    (re.compile(r"os\.system|os\.popen|subprocess\.\w+\(|Popen\(|commands\.get|os\.spawn|"
                r"os\.exec[lv]|os\.startfile|pty\.spawn"), "python.process.spawn", True),
    (re.compile(r"urllib2?\.urlopen|urlopen\(|requests\.(?:get|post|put|request)|httplib\.|"
                r"http\.client\.|urlretrieve|urllib\.request"), "python.network.http", False),
    (re.compile(r"socket\.socket\(|create_connection\("), "python.network.socket", False),
    (re.compile(r"gethostname|getpass\.getuser|getlogin|platform\.node|os\.uname|getcwd"),
     "python.fingerprint.host-info", False),
    (re.compile(r"dict\(os\.environ\)|os\.environ\.items|json\.dumps\(os\.environ|"
                r"str\(os\.environ\)"), "python.secrets.environment", False),
    (re.compile(r"ImageGrab|pyperclip\.paste|pynput|GetClipboardData"),
     "python.surveillance.capture", False),
)
_SPAWN_LINE = re.compile(r"os\.system|popen|subprocess|Popen|commands\.get|spawn|startfile")
_DECODE_LITERAL = re.compile(r"(b64decode|b32decode|b85decode|decodebytes|unhexlify|fromhex)"
                             r"\(\s*b?(['\"])([A-Za-z0-9+/=_\-\s]{24,}?)\2")
_LONG_LITERAL = re.compile(r"(['\"])([A-Za-z0-9+/=\s]{128,}?)\1")
_DECODER_NAME = {"b64decode": "base64", "b32decode": "base32", "b85decode": "base85",
                 "decodebytes": "base64", "unhexlify": "hex", "fromhex": "hex"}


class TokenScan:
    """Line-regex analysis with the same event lists :mod:`.flows` combines."""

    def __init__(self, text: str, all_module: bool) -> None:
        self.lines = text.splitlines()
        self.all_module = all_module
        self.facts = ModuleFacts(parsed=False)
        self.sources: list = []
        self.sinks: list = []
        self.downloads: list = []
        self.spawns: list = []
        self.writes: list = []
        self.chmods: list = []
        self._keys: set = set()

    def hit(self, rule: str, line: int, evidence: str, strong: bool = False,
            scope: str | None = None) -> None:
        key = (rule, line)
        if key in self._keys:
            return
        self._keys.add(key)
        self.facts.hits.append(Hit(rule, line, scope or self._scope(line), evidence[:240],
                                   fallback=True, strong=strong))

    def _scope(self, line: int) -> str:
        if self.all_module:
            return MODULE_SCOPE
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return MODULE_SCOPE if text[:1] not in (" ", "\t") else "<indented>"

    def run(self) -> ModuleFacts:
        for number, raw in enumerate(self.lines, 1):
            line = raw[:20_000]
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            self._line(number, line, stripped)
        from .flows import combine

        combine(self)  # type: ignore[arg-type]
        return self.facts

    def _line(self, number: int, line: str, stripped: str) -> None:
        scope = self._scope(number)
        for pattern, rule, strong in _LINE_RULES:
            if pattern.search(line):
                self.hit(rule, number, stripped, strong)
                if rule == "python.process.spawn":
                    self.spawns.append((number, scope, stripped[:120]))
                elif rule.startswith("python.network."):
                    self.sinks.append((number, scope, stripped[:60]))
                    if "urlretrieve" in line or "get(" in line or "urlopen" in line:
                        self.downloads.append((number, scope, stripped[:60]))
                elif rule == "python.fingerprint.host-info":
                    self.sources.append(("fingerprint", number, scope, stripped[:40]))
                elif rule == "python.secrets.environment":
                    self.sources.append(("secret", number, scope, "environment"))
        labels = labels_in(line)
        spawn_line = bool(_SPAWN_LINE.search(line))
        for label in labels:
            kind, _, detail = label.partition(":")
            if spawn_line and kind in ("download", "evalshell", "paste", "catcher", "rawip",
                                       "messenger"):
                self.hit("python.process.shell-download", number, stripped, True)
                self.downloads.append((number, scope, stripped[:60]))
            rule = STRING_RULES.get(kind)
            if rule:
                self.hit(rule, number, f"{detail}: {stripped}",
                         kind == "secret" and detail in STEALER_SECRETS)
                if kind in ("secret", "fingerprint"):
                    self.sources.append((kind, number, scope, detail))
        self._literals(number, line, scope)

    def _literals(self, number: int, line: str, scope: str) -> None:
        for found in _DECODE_LITERAL.finditer(line):
            name = _DECODER_NAME[found.group(1)]
            decoded = decoders.decode(name, found.group(3))
            if decoded is None:
                continue
            more_decoded, more = decoders.unwrap(decoded)
            if decoders.looks_like_code(more_decoded):
                self.facts.payloads.append(Payload(more_decoded, (name,) + more, number, scope))
        for found in _LONG_LITERAL.finditer(line):
            decoded, chain = decoders.unwrap(found.group(2))
            if chain and decoders.looks_like_code(decoded):
                self.hit("python.obfuscation.encoded-code", number,
                         f"literal decodes ({' → '.join(chain)}) to Python source")
                self.facts.payloads.append(Payload(decoded, chain, number, scope))
