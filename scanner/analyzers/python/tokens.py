"""Token-level scanning: the token families the pre-pass (:mod:`.gate`, which finds them with
one YARA scan) decides on, and the fallback for code libcst cannot parse (Python 2,
deliberate syntax errors, NUL bytes). ``needs_tree`` is the earlier regex-only pre-pass, kept
for when YARA cannot answer and as the benchmarks' point of comparison.

The fallback works line by line with regular expressions. It cannot see scopes, so in
install/startup files every line counts as module code, elsewhere only unindented lines do;
its hits are marked ``fallback`` and lose one confidence step when they become findings.
"""

from __future__ import annotations

import io
import re
import tokenize
import unicodedata

from . import decoders
from .calls import STEALER_SECRETS, STRING_RULES
from .casefold import Folded
from .hits import MODULE_SCOPE, Hit, ModuleFacts, Payload
from .indicators import labels_in

# The pre-pass looks for capability tokens by family and sends a file to libcst only for
# combinations (exec + decoder, spawn + network...), module-level use, or strong indicators.
EXEC_T = re.compile(rb"(?<![.\w])(?:exec|eval|execfile)\s*\(|\bexec\s+['\"]")
DECODE_T = re.compile(rb"b(?:64|32|85|16)decode|a85decode|decodebytes|unhexlify|\.fromhex|"
                      rb"zlib\.decompress|marshal\.loads?|codecs\.decode|rot.?13|\bchr\s*\(|"
                      rb"\.decrypt\(|pickle\.loads|\[::-1\]")
SPAWN_T = re.compile(rb"os\.system|os\.popen|Popen\s*\(|subprocess\.(?:run|call|check_|get)|"
                     rb"(?<![\w.])system\s*\(|"
                     rb"startfile|os\.exec[lv]|os\.spawn|pty\.spawn|ShellExecute")
NET_T = re.compile(rb"requests\.|urlopen|urlretrieve|http\.client|httplib|socket\.socket|"
                   rb"httpx|aiohttp|urllib3|smtplib|create_connection|gethostbyname|sendto|"
                   rb"dns\.resolver|\bcurl\b|\bwget\b|powershell|Invoke-WebRequest")
SRC_T = re.compile(rb"environ|gethostname|getuser|getlogin|getcwd|\.ssh|\.aws|\.kube|"
                   rb"\.docker|\.netrc|\.pgpass|/etc/passwd|\.git-credentials|wallet|"
                   rb"Login Data|Local State|leveldb|uname|getnode|ipinfo|ipify", re.IGNORECASE)
# Strings and names that matter wherever they are.
IND_T = re.compile(
    rb"pipedream|webhook\.site|oastify|burpcollab|interact\.sh|ngrok|requestbin|canarytoken|"
    rb"\.onrender\.com|\.pythonanywhere\.com|"
    rb"dnslog|ceye\.io|discord(?:app)?\.com/api/webhooks|api\.telegram\.org/bot|"
    rb"pastebin\.com/raw|transfer\.sh|cdn\.discordapp\.com/attachments|stratum\+|xmrig|"
    rb"/dev/tcp/|pyarmor|pytransform|CurrentVersion\\\\Run|systemctl\s+--user|"
    rb"systemd/user|crontab|vboxservice|vmtoolsd|[ \t]{150,}\S|getattr\(\s*__builtins__|"
    rb"__builtins__\s*[\[.]|\.__str__\(\)\[|__import__\s*\(\s*['\"](?:os|subprocess|"
    rb"base64|zlib|builtins|socket)|https?://(?!127\.|0\.0|10\.|192\.168)\d+\.\d+\.\d+\.\d+|"
    rb"Fernet\(|ImageGrab|pynput|pyperclip\.paste|rm\s+-rf\s+[/~]|\.pth['\"]|"
    rb"readframes|169\.254\.169\.254|marshal\.loads?\(|Login Data|Local State|leveldb|"
    rb"wallet\.dat|id_rsa|\.ssh/|\.aws/credentials|['\"]\.(?:aws|ssh|kube|docker)['\"]|"
    rb"/etc/shadow|dict\(os\.environ\)|['\"]aHR0c(?:HM6Ly|DovL)|"
    rb"json\.dumps\(os\.environ|str\(os\.environ\)|sleep\(\s*\d{3,}|"
    rb"(?m:=\s*(?:exec|eval|__builtins__)\s*$)|"
    rb"(?:b64decode|b32decode|b85decode|unhexlify)\(\s*b?['\"][A-Za-z0-9+/=]{40,}",
    re.IGNORECASE)
MATH_LETTERS = re.compile("[\U0001D400-\U0001D7FF\uFF21-\uFF5A]{2,}")
# Their UTF-8 lead bytes (U+1D400-1D7FF: F0 9D; U+FF21-FF5A: EF BC / EF BD). Decoding with
# errors ignored never joins bytes across an invalid one, so a source without these pairs
# cannot hold the letters and needs no decoding to tell.
_MATH_LEADS = (b"\xf0\x9d", b"\xef\xbc", b"\xef\xbd")


def may_hold_math_letters(data: bytes) -> bool:
    return any(lead in data for lead in _MATH_LEADS)
# Marks obfuscators leave in comments or code; exact spellings, so ordinary words stay quiet.
OBFUSCATOR_MARKS = re.compile(r"BlankOBF|Blank-c/|Obfuscated (?:with|by) |pyobfuscate\.com|"
                              r"PyObfuscate|Pyarmor|PyArmor|__pyarmor__|pytransform")
EXCEPT_PASS = re.compile(rb"except\s*(?:Exception\s*)?:\s*(?:\n\s*)?pass")
MODULE_LEVEL = re.compile(
    rb"(?m)^(?!import\b|from\b|def\b|class\b|@|#|\s)[^\n]*(?:requests\.|urlopen|"
    rb"subprocess\.|os\.system|os\.popen|Popen|socket\.|Thread\(|(?<![.\w])exec\s*\(|"
    rb"(?<![.\w])eval\s*\(|shutil\.rmtree|__import__\s*\(|os\.chmod)")
BARE_CALL = re.compile(rb"(?m)^[A-Za-z_]\w*\(")
LONG_LITERAL = re.compile(rb"['\"][A-Za-z0-9+/=]{200,}")
# Per-statement selection in big files: any capability token keeps a definition.
STRONG = re.compile(b"|".join(p.pattern for p in (EXEC_T, DECODE_T, SPAWN_T, NET_T, IND_T)),
                    re.IGNORECASE)


SMALL_FILE = 8 * 1024


def lookalike_identifier(text: str) -> tuple[int, str] | None:
    """(line, name) of the first identifier written in look-alike letters that Python reads
    as other (NFKC-normalised) letters. Strings and comments do not count: full-width text in
    a Japanese stemmer's data is not obfuscation."""
    if not MATH_LETTERS.search(text):
        return None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if (token.type == tokenize.NAME and not token.string.isascii()
                    and unicodedata.normalize("NFKC", token.string) != token.string):
                return token.start[0], token.string
    except (tokenize.TokenError, SyntaxError, ValueError):
        found = MATH_LETTERS.search(text)  # cannot tell strings apart: judge the letters
        return text.count("\n", 0, found.start()) + 1, found.group(0)
    return None


IND_FOLDED = Folded(IND_T)
STRONG_FOLDED = Folded(STRONG)
SRC_FOLDED = Folded(SRC_T)


def needs_tree(data: bytes) -> bool:
    """The pre-pass: whether any behaviour worth a syntax tree may be in this source."""
    # Identifiers may be written in look-alike letters (𝗿𝗲𝙦𝘂𝙚𝘀𝘁𝘀); Python reads them NFKC.
    if not data.isascii() and may_hold_math_letters(data) and \
            MATH_LETTERS.search(data.decode("utf-8", "ignore")):
        return True
    lowered = data.lower()
    if IND_FOLDED.search(lowered) or MODULE_LEVEL.search(data):
        return True
    if len(data) <= SMALL_FILE and (STRONG_FOLDED.search(lowered) or SRC_FOLDED.search(lowered)):
        return True  # small files are cheap to parse; most malware modules are small
    exec_ = EXEC_T.search(data) is not None
    decode = DECODE_T.search(data) is not None
    spawn = SPAWN_T.search(data) is not None
    net = NET_T.search(data) is not None
    if exec_ and (decode or net or spawn):
        return True
    if decode and LONG_LITERAL.search(data):
        return True
    if spawn and (net or decode):
        return True
    if net and EXCEPT_PASS.search(data):
        return True
    if (net or spawn) and SRC_FOLDED.search(lowered):
        return True
    return (exec_ or spawn or net) and BARE_CALL.search(data) is not None


_LINE_RULES: tuple[tuple[re.Pattern, str, bool], ...] = (
    (re.compile(r"(?:exec|eval|compile)\b.*(?:b64decode|b32decode|b85decode|decodebytes|"
                r"unhexlify|decompress|marshal\.loads|rot13|fromhex|\[::-1\])"),
     "python.exec.decoded-payload", True),
    # ``.read()`` counts as remote unless it is the read of a local ``open(...)`` (Python 2's
    # ``exec compile(open(fname).read(), ...)`` runs a local file, not a download).
    (re.compile(r"(?:exec|eval)\b(?:.*(?:urlopen|requests\.get)|"
                r"(?!.*\bopen\([^()]*\)\.read\(\)).*\.read\(\))"),
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
    (re.compile(r"getattr\(\s*__builtins__|__builtins__\.__dict__\[|__import__\(['\"]builtins"),
     "python.obfuscation.hidden-builtin", True),
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
            scope: str | None = None, weak: bool = False) -> None:
        key = (rule, line)
        if key in self._keys:
            return
        self._keys.add(key)
        self.facts.hits.append(Hit(rule, line, scope or self._scope(line), evidence[:240],
                                   fallback=True, strong=strong, weak=weak))

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
        for label in sorted(labels):  # a fixed order: the first label of a line is its evidence
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
