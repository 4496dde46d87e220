"""String indicators: what a literal (or folded constant) names, by regular expression.

Each indicator yields a *label* ``kind:detail``; the tree walker attaches labels to the
expression the string appears in, so that a credential path flowing into ``requests.post`` is a
flow, while the same path sitting in a default argument is only a weak capability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yara

from . import casefold
from .casefold import Folded


@dataclass(frozen=True)
class Indicator:
    kind: str  # secret, fingerprint, persistence, messenger, catcher, ...
    detail: str
    pattern: re.Pattern


def _i(kind: str, detail: str, regex: str) -> Indicator:
    return Indicator(kind, detail, re.compile(regex, re.IGNORECASE))


INDICATORS: tuple[Indicator, ...] = (
    _i("secret", "ssh-keys", r"\.ssh(?:[/\\]|\b)|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|authorized_keys"),
    _i("secret", "aws-credentials", r"\.aws[/\\](?:credentials|config)|AWS_SECRET_ACCESS_KEY"),
    _i("secret", "cloud-config",
       r"\.config[/\\]gcloud|\.azure[/\\]|application_default_credentials"),
    _i("secret", "kube-config", r"\.kube[/\\]config"),
    _i("secret", "docker-config", r"\.docker[/\\]config\.json"),
    _i("secret", "git-credentials", r"\.git-credentials|\.gitconfig"),
    _i("secret", "netrc-pgpass", r"[/\\~]\.netrc\b|\.pgpass\b|\b_netrc\b"),
    _i("secret", "shell-history", r"\.(?:bash|zsh)_history"),
    _i("secret", "browser-profile",
       r"(?-i:Login Data|[/\\]Cookies\b|Local State|Web Data|User Data[/\\])|Firefox[/\\]Profiles|"
       r"logins\.json|key[34]\.db|BraveSoftware|Opera Software|Yandex[/\\]YandexBrowser"),
    _i("secret", "discord-tokens", r"discord(?:canary|ptb)?[/\\]Local Storage|leveldb|"
       r"dQw4w9WgXcQ|\[\\w-\]\{24\}\\\.\[\\w-\]\{6\}|mfa\\\.\["),
    _i("secret", "crypto-wallets", r"wallet\.dat|\bExodus\b|\bElectrum\b|\bAtomic[/\\ ]Wallet|"
       r"Ethereum[/\\]keystore|nkbihfbeogaeaoehlefnkodbefgpgknn|\bMetaMask\b|\bcoinomi\b"),
    _i("secret", "system-passwords", r"/etc/(?:passwd|shadow)\b"),
    _i("secret", "cloud-metadata", r"169\.254\.169\.254|metadata\.google\.internal|"
       r"100\.100\.100\.200"),
    _i("secret", "k8s-token", r"/var/run/secrets/kubernetes\.io|serviceaccount/token"),
    _i("secret", "messenger-session", r"Telegram Desktop[/\\]tdata|\btdata\b"),
    _i("fingerprint", "ip-lookup", r"ipinfo\.io|api\.ipify\.org|ifconfig\.me|icanhazip|"
       r"ip-api\.com|checkip\.amazonaws|myexternalip|wtfismyip|ipapi\.co"),
    _i("messenger", "discord-webhook", r"discord(?:app)?\.com/api/webhooks/"),
    _i("messenger", "telegram-bot", r"api\.telegram\.org/bot"),
    _i("messenger", "slack-webhook", r"hooks\.slack\.com/services/"),
    _i("catcher", "request-catcher",
       r"webhook\.site|pipedream\.net|oastify\.com|burpcollaborator\.net|interact\.sh|"
       r"\boast\.(?:fun|me|pro|site|online|live)\b|requestbin|canarytokens|dnslog\.cn|"
       r"ceye\.io|beeceptor|requestcatcher\.com|\.oast\.|xss\.ht|requestrepo\.com"),
    _i("tunnel", "tunnel-or-free-host",
       r"ngrok(?:-free)?\.(?:io|app)|\.loca\.lt\b|trycloudflare\.com|\.repl\.co\b|"
       r"herokuapp\.com|serveo\.net|\.glitch\.me\b"),
    # Free app hosts where throw-away collectors live; projects host demos there too, so a
    # bare mention is a lead and only a request sent there is a beacon (calls._string).
    _i("tunnel", "free-app-host", r"\.onrender\.com\b|\.pythonanywhere\.com\b"),
    _i("paste", "paste-or-file-host",
       r"pastebin\.com/raw|paste\.ee/r|hastebin|transfer\.sh|anonfiles|cdn\.discordapp\.com/"
       r"attachments|rentry\.co|0x0\.st|file\.io\b|paste\.bingner|gofile\.io|filebin"),
    _i("rawip", "raw-ip-url",
       r"\b(?:https?|ftp|tcp)://(?!127\.|0\.0\.0\.0|10\.|192\.168\.|169\.254\.|"
       r"172\.(?:1[6-9]|2\d|3[01])\.)"
       r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"),
    _i("persistence", "systemd-user", r"\.config[/\\]systemd[/\\]user|systemctl\s+--user"),
    _i("persistence", "cron", r"\bcrontab\b|/etc/cron\.|/var/spool/cron"),
    _i("persistence", "run-key", r"CurrentVersion\\+Run|CurrentVersion/Run"),
    _i("persistence", "startup-folder", r"Start Menu\\+Programs\\+Startup|[/\\]Startup[/\\]|"
       r"shell:startup"),
    _i("persistence", "scheduled-task", r"\bschtasks\b"),
    _i("persistence", "launch-agent", r"LaunchAgents|LaunchDaemons"),
    _i("persistence", "rc-file", r"\.(?:bashrc|zshrc|bash_profile)\b|/etc/rc\.local|/etc/profile"),
    _i("download", "shell-download",
       r"\b(?:curl|wget)\s|Invoke-WebRequest|\biwr\s|DownloadString|DownloadFile|"
       r"certutil\s.*-urlcache|bitsadmin\s.*/transfer|Start-BitsTransfer|\bmshta\s"),
    _i("evalshell", "powershell-encoded",
       r"powershell(?:\.exe)?\s+.*-(?:e|enc|encodedcommand)\s|Invoke-Expression|\biex\s*\("),
    # An interactive shell reading its stdin (a socket's), not ``bash -i -c 'cmd'``.
    _i("revshell", "reverse-shell", r"/dev/tcp/|\b(?:ba)?sh\s+-i\b(?!\s+-c\b)|"
       r"\bnc(?:at)?\s+.*-e\s|"
       r"\bmkfifo\b.*\bnc\b"),
    _i("dnscmd", "dns-command", r"\b(?:nslookup|dig|host)\s+\S"),
    _i("mining", "crypto-miner", r"\bxmrig\b|stratum\+(?:tcp|ssl)|minexmr|nanopool\.org|"
       r"supportxmr|moneroocean|cryptonight|\bnicehash\b"),
    _i("vmcheck", "vm-or-sandbox", r"\bvboxservice|\bvboxtray|\bvmtoolsd|\bvmwaretray|"
       # The analysis tool's name, not its web address (a download of Wireshark's data).
       r"\bsandboxie|SbieDll|(?<![\w./])wireshark\b(?!\.(?:org|com|net)\b)|"
       r"\bprocesshacker|\bx64dbg|\bollydbg|\bfiddler\b|"
       r"WDAGUtilityAccount|\bqemu-ga\b|\bhttpdebuggerui"),
    _i("obfuscator", "commercial-obfuscator",
       r"__pyarmor__|pyarmor_runtime|\bpytransform\b|pyobfuscate|BlankOBF|\bHyperion\b|"
       r"Obfuscated (?:with|by)|\bclass\s+Kramer\b|\bKramer\s*\(|obfuscator\.\w+\("),
    _i("destroy", "wipe-command",
       r"\brm\s+-(?:rf|fr)\s+(?:/|~/?|\$HOME/?)(?:\s|$|\*)|\bformat\s+c:|"
       r"\bdel\s+/[fsq]\s.*[A-Z]:\\|vssadmin\s+delete"),
    _i("detach", "detach-command", r"\bnohup\b|\bsetsid\b|\bdisown\b|\bstart\s+/b\b|"
       r"pythonw(?:\.exe)?"),
)


# One pass decides whether any indicator can match; most strings match none.
_ANY = re.compile("|".join(f"(?:{ind.pattern.pattern})" for ind in INDICATORS), re.IGNORECASE)


_ANY_FOLDED = Folded(_ANY)

# Long ASCII strings (docstrings, embedded data) are first asked of YARA: its atoms scan them
# at memory speed, where the branches above are tried one by one over the whole string.
_LONG = 256
# Short strings repeat (keys, encodings, messages): their answers are kept.
_SHORT_CACHE_SIZE = 32_768


def _prefilter() -> yara.Rules | None:
    strings = []
    for index, branch in enumerate(casefold.split_alternatives(_ANY.pattern.encode())):
        widened = casefold.yara_superset(branch.decode())
        if widened is None:
            return None
        strings.append(f"$i{index} = /{widened}/ nocase")
    try:
        return yara.compile(source="rule indicators { strings: " + " ".join(strings)
                            + " condition: any of them }")
    except yara.Error:
        return None


_PREFILTER = _prefilter()


def labels_in(text: str, limit: int = 200_000) -> set[str]:
    """Every ``kind:detail`` label the text carries."""
    if len(text) > limit:
        text = text[:limit]
    if len(text) < 4:
        return set()
    if len(text) < _LONG:
        return set(_short_labels(text))
    if text.isascii() and _PREFILTER is not None:
        try:
            if not _PREFILTER.match(data=text.encode("ascii"), timeout=10):
                return set()
        except yara.Error:
            pass  # cannot tell: ask the patterns
    return set(_labels(text))


@lru_cache(maxsize=_SHORT_CACHE_SIZE)
def _short_labels(text: str) -> frozenset[str]:
    return _labels(text)


def _labels(text: str) -> frozenset[str]:
    if not (_ANY_FOLDED.search(text.lower()) if text.isascii() else _ANY.search(text)):
        return frozenset()
    return frozenset(f"{ind.kind}:{ind.detail}" for ind in INDICATORS
                     if ind.pattern.search(text))


def first_match(text: str, kind_detail: str) -> str | None:
    kind, _, detail = kind_detail.partition(":")
    for ind in INDICATORS:
        if ind.kind == kind and ind.detail == detail:
            found = ind.pattern.search(text)
            return found.group(0) if found else None
    return None
