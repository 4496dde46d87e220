"""Compiled Python (``.pyc``): shipped bytecode is code nobody can review.

Any ``.pyc`` in an sdist or a pure wheel is a finding by itself (installers compile their
own; fshec2 2023 hid its payload in one). When the magic number is the running
interpreter's, the code object is unmarshalled — never executed: ``marshal.loads`` only
builds objects, and nothing here calls them — and its names and constants, through every
nested code object, are checked against a capability vocabulary. The bytes of the ``.pyc``
also pass through the YARA content rules like every member (marshal stores strings
verbatim, so URLs and tokens in constants match there).
"""

from __future__ import annotations

import importlib.util
import marshal
import types
from dataclasses import dataclass

from ..model import Confidence, Context, Finding, Severity
from ..text import escape
from ..unpack import Entry, detect
from .binary import placement
from .interface import Analyzer, ArtifactHeader

MAX_PYC_BYTES = 16 * 1024 * 1024
MAX_CODE_OBJECTS = 20_000
HEADER_BYTES = 16

# Capability vocabulary: names (co_names: globals, attributes, imports) per capability.
CAPABILITY_NAMES: dict[str, frozenset[str]] = {
    "exec": frozenset({"exec", "eval", "compile", "__import__", "execfile", "run_path",
                       "run_module"}),
    "decode": frozenset({"b64decode", "b32decode", "b85decode", "a85decode", "b16decode",
                         "decodebytes", "decompress", "unhexlify", "fromhex", "loads",
                         "base64", "zlib", "lzma", "bz2", "marshal"}),
    "process": frozenset({"subprocess", "Popen", "system", "popen", "spawnl", "spawnv",
                          "spawnve", "execv", "execve", "execvp", "startfile", "check_output",
                          "check_call", "call", "run", "os_system"}),
    "network": frozenset({"socket", "urlopen", "urlretrieve", "urllib", "requests", "httpx",
                          "http", "HTTPConnection", "HTTPSConnection", "create_connection",
                          "connect", "aiohttp", "ftplib", "smtplib", "post"}),
    "environment": frozenset({"environ", "getenv", "getuser", "gethostname"}),
}
# Which name alone is enough to say the capability is there (others need a partner).
_DECISIVE = {
    "exec": frozenset({"exec", "eval", "__import__", "execfile"}),  # not compile: re.compile
    "decode": frozenset({"b64decode", "b32decode", "b85decode", "a85decode", "unhexlify",
                         "marshal"}),
    "process": frozenset({"subprocess", "Popen", "popen", "spawnv", "execv", "execve",
                          "startfile"}),
    "network": frozenset({"socket", "urlopen", "urlretrieve", "urllib", "requests", "httpx",
                          "HTTPConnection", "HTTPSConnection", "create_connection",
                          "aiohttp"}),
    "environment": frozenset({"environ", "getenv"}),
}
SECRET_MARKERS = (".ssh", ".aws", "id_rsa", ".kube", ".docker/config", "Login Data",
                  "Local State", "leveldb", ".git-credentials", "wallet", "discord",
                  "169.254.169.254", "/etc/passwd", "/etc/shadow")


@dataclass(frozen=True)
class PycContents:
    """Names and constants gathered from every code object of one ``.pyc``."""

    names: frozenset[str]
    strings: tuple[str, ...]
    code_objects: int
    truncated: bool
    module_names: frozenset[str] = frozenset()  # names used by module-level code (import time)


def read_pyc(data: bytes) -> PycContents | None:
    """Unmarshal a ``.pyc`` written by this interpreter's version, or None.

    The size is bounded before unmarshalling; the resulting code objects are walked, never
    called.
    """
    if len(data) > MAX_PYC_BYTES or not data.startswith(importlib.util.MAGIC_NUMBER):
        return None
    try:
        code = marshal.loads(data[HEADER_BYTES:])
    except (ValueError, EOFError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(code, types.CodeType):
        return None
    names: set[str] = set()
    strings: list[str] = []
    stack = [code]
    seen = 0
    while stack and seen < MAX_CODE_OBJECTS:
        current = stack.pop()
        seen += 1
        names.update(current.co_names)
        names.add(current.co_name)
        for const in current.co_consts:
            if isinstance(const, types.CodeType):
                stack.append(const)
            elif isinstance(const, str):
                strings.append(const)
            elif isinstance(const, bytes):
                strings.append(const.decode("latin-1"))
            elif isinstance(const, (tuple, frozenset)):
                strings += [c for c in const if isinstance(c, str)]
    return PycContents(frozenset(names), tuple(strings), seen, bool(stack),
                       frozenset(code.co_names))


def capabilities(contents: PycContents) -> dict[str, list[str]]:
    """Capability -> the names or constants that show it."""
    found: dict[str, list[str]] = {}
    for capability, vocabulary in CAPABILITY_NAMES.items():
        hits = sorted(contents.names & vocabulary)
        if contents.names & _DECISIVE[capability]:
            found[capability] = hits
    if "system" in contents.names and "os" in contents.names and \
            "platform" not in contents.names:  # os.system, not platform.system
        found.setdefault("process", []).append("os.system")
    for text in contents.strings:
        for module in ("subprocess", "socket", "urllib", "requests", "base64", "marshal",
                       "zlib"):
            if text == module:  # __import__("subprocess") style
                capability = {"subprocess": "process", "socket": "network",
                              "urllib": "network", "requests": "network"}.get(module, "decode")
                found.setdefault(capability, []).append(repr(text))
    secrets = sorted({m for m in SECRET_MARKERS for s in contents.strings if m in s})
    if secrets:
        found["secrets"] = secrets
    return found


def severity_of(found: dict[str, list[str]]) -> Severity:
    has = found.__contains__
    if (has("exec") and has("decode")) or has("process") or (
            has("network") and (has("secrets") or has("environment"))):
        return Severity.HIGH
    if has("network") or has("exec") or has("secrets"):
        return Severity.MEDIUM
    return Severity.LOW


def analyze_member(header: ArtifactHeader, entry: Entry) -> list[Finding]:
    data = entry.data
    if data is None or entry.format != detect.PYC or "::" in entry.member.path:
        return []
    path = entry.member.path
    where = placement(header, path)
    findings: list[Finding] = []
    version = int.from_bytes(data[:2], "little")
    name = path.rsplit("/", 1)[-1]
    if where.pure_wheel or where.sdist:
        findings.append(Finding(
            "pyc.shipped", "integrity", Severity.MEDIUM, Confidence.HIGH, Context.CONTAINER,
            "compiled Python shipped in a " + ("pure wheel" if where.pure_wheel else "sdist")
            + ": installers compile their own, so shipped bytecode only hides code from "
            "review", path, None, escape(f"{name} (magic {version})")))
    contents = read_pyc(data)
    if contents is None:
        if data.startswith(importlib.util.MAGIC_NUMBER) or not findings:
            return findings
        findings.append(Finding(
            "pyc.unreadable-version", "integrity", Severity.INFO, Confidence.HIGH,
            Context.CONTAINER, f"bytecode for another Python version (magic {version}) was "
            "not decoded; only its raw bytes were content-scanned", path, None, escape(name)))
        return findings
    found = capabilities(contents)
    if found:
        severity = severity_of(found)
        # Module-level names run when the module is imported; the rest inside functions.
        at_import = capabilities(PycContents(contents.module_names, (), 1, False))
        context = Context.IMPORT if severity_of(at_import) >= Severity.HIGH else Context.RUNTIME
        confidence = Confidence.HIGH
        if not (where.pure_wheel or where.sdist):
            # Platform builds may ship bytecode; the vocabulary alone is then a weak hint.
            severity, confidence = min(severity, Severity.LOW), Confidence.MEDIUM
        evidence = "; ".join(f"{cap}: {', '.join(hits[:6])}" for cap, hits in found.items())
        findings.append(Finding(
            "pyc.capabilities", "execution", severity, confidence, context,
            "compiled Python whose names and constants show " + ", ".join(found)
            + f" capabilities ({contents.code_objects} code objects read)", path, None,
            escape(evidence)))
    return findings


ANALYZER = Analyzer("pyc", on_member=analyze_member,
                    description="shipped .pyc files: placement and capability vocabulary")
