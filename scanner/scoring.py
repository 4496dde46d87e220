"""The scorer: findings in, a verdict out, with the few findings (and the chain) that decided it.

How a score is made (0-100; defaults in :class:`Thresholds`, tuned on the development sets):

1. Every finding has a *weight*: severity points x confidence factor x context factor
   (startup and install above import, import above runtime, runtime above data).
   A content-rule finding that could only say ``runtime`` takes the context another analyser
   gave the same file and line, and code of test modules counts as ``data``
   (:func:`resolve_contexts`).
2. Findings are grouped into *scopes*: one per file (decoded payloads ``setup.py::decoded[1]``
   belong to their origin file), one for everything that runs at install time and one for
   everything that runs at interpreter start-up. In each scope the findings' *capabilities*
   (decode, exec, network, process, secret, write, persistence, drop-site, ...; read from the
   words of the rule id and category) are matched against :data:`CHAINS`: decode->exec,
   secret->network, download->write->run, network->exec, install-time network or process, a
   ``.pth`` that spawns/decodes/execs/connects, reverse shells, persistence, miners, hidden
   processes, obfuscator runtimes, messenger/paste/catcher endpoints, and (artifact-wide) a
   disguised binary next to code that runs things. A chain scores its points scaled by the
   quality of its weakest link and by when it runs; chains seen only as co-occurrence inside
   function bodies count for less than an analyser's explicit flow finding
   (``python.flow.*``), which forms a chain alone when it is strong and is never a partial link.
3. The score is the strongest chain or finding, plus a small capped share of the next few
   *distinct* signals: volume alone cannot make a verdict (hundreds of weak capability
   findings add at most ``Thresholds.volume_cap`` points, and never lift data such as a test
   suite's fixtures over the suspicious line).
4. Metadata signals (typosquat names, shadowed commands, absurd versions) are weak alone; they
   amplify a score only when real behaviour is present. A console script shadowing a system
   tool plus network, secret, exec or persistence behaviour anywhere is command-jacking and
   decides ``suspicious``.
5. Findings saying the scan was incomplete (``limits.*``, ``scanner.*``, severity >= medium)
   keep the verdict from being ``clean``.

The verdict's reasons start with a synthetic ``score.chain.<name>`` finding when a chain
decided it (its message names the links), followed by the findings that formed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .model import Confidence, Context, Finding, Severity, Verdict, VerdictLevel

SEVERITY_POINTS = {Severity.INFO: 0.0, Severity.LOW: 4.0, Severity.MEDIUM: 15.0,
                   Severity.HIGH: 40.0, Severity.CRITICAL: 75.0}
CONFIDENCE_FACTOR = {Confidence.LOW: 0.4, Confidence.MEDIUM: 0.7, Confidence.HIGH: 1.0}
CONTEXT_FACTOR = {Context.STARTUP: 1.3, Context.INSTALL: 1.2, Context.IMPORT: 1.0,
                  Context.RUNTIME: 0.7, Context.DATA: 0.6, Context.CONTAINER: 1.0}
# How much a chain is worth depending on when it runs. Runtime chains are common in big benign
# libraries (an HTTP client reading proxy settings from the environment), so they count little.
CHAIN_CONTEXT_FACTOR = {Context.STARTUP: 1.15, Context.INSTALL: 1.1, Context.IMPORT: 1.0,
                        Context.RUNTIME: 0.55, Context.DATA: 0.35, Context.CONTAINER: 0.8}
# A chain that one finding proves by itself (an analyser's flow finding): the analyser already
# lowered its severity for code in function bodies, so the context counts only once.
SINGLE_CHAIN_CONTEXT_FACTOR = {Context.STARTUP: 1.15, Context.INSTALL: 1.1, Context.IMPORT: 1.0,
                               Context.RUNTIME: 0.85, Context.DATA: 0.5, Context.CONTAINER: 0.8}
# Quality of one link: a weak, unsure finding makes a weak chain.
LINK_SEVERITY = {Severity.INFO: 0.0, Severity.LOW: 0.6, Severity.MEDIUM: 0.85,
                 Severity.HIGH: 1.0, Severity.CRITICAL: 1.1}
LINK_CONFIDENCE = {Confidence.LOW: 0.6, Confidence.MEDIUM: 0.85, Confidence.HIGH: 1.0}
RUNTIME_CO_OCCURRENCE_FACTOR = 0.6
CODE_CONTEXT_ORDER = {Context.STARTUP: 0, Context.INSTALL: 1, Context.IMPORT: 2,
                      Context.RUNTIME: 3}
VOLUME_SHARE = 0.15  # share of each next distinct signal added to the strongest one
MALWARE_ONLY = frozenset({"drop-site", "disguised", "miner", "shell", "unreviewable"})
CORROBORATION_POINTS = 30.0
# Flows the Python analyser rates critical only when download, save and run share one
# function: then the function is the dropper, called or not (see _proven_in_function).
PROVEN_IN_ONE_FUNCTION = frozenset({"python.flow.download-execute"})
IMPORTED_TEST_MODULE = "python.import.test-module"
# A chain plus an independent malware-only witness (drop site, obfuscator runtime...).
WITNESS_POINTS = 10.0  # an independent signal this strong lets one finding be malicious
# Command-jacking: a shadowing console script plus any of these capabilities decides suspicious.
COMMAND_HIJACK_POINTS = 40.0
HIJACK_ACCOMPLICES = frozenset({"network", "secret", "exec", "persistence"})
INCOMPLETE_PREFIXES = ("limits.", "scanner.")
# Content that could not be read to its end: what was not read cannot be called clean.
INCOMPLETE_RULES = frozenset({"container.truncated", "container.corrupt-member",
                              "container.corrupt", "container.no-central-directory"})
METADATA_CATEGORIES = frozenset({"metadata"})

# Capabilities, recognised from the words of a finding's rule id and category. Words, not
# substrings: ``exec`` must not match ``executable``.
CAPABILITY_WORDS: dict[str, frozenset[str]] = {
    "decode": frozenset({
        "decode", "decoded", "b64", "b64decode", "base64", "b32", "base32", "b85", "a85",
        "base85", "hex", "unhexlify", "zlib", "lzma", "bz2", "gzip", "decompress", "marshal",
        "rot13", "obfuscation", "obfuscated", "obfuscator", "encoded", "encoding", "payload",
        "entropy", "blob", "pyarmor", "pytransform", "reverse", "reversed", "xor", "fernet",
        "stego", "steganography", "chr", "layered", "packed", "cipher", "decrypt",
        "bytecode"}),
    "exec": frozenset({
        "exec", "eval", "compile", "execution", "execute", "code-exec", "dynamic", "import",
        "importlib", "builtin", "builtins", "runpy", "loads", "deserialize"}),
    "network": frozenset({
        "network", "http", "https", "url", "urllib", "urlopen", "urlretrieve", "request",
        "requests", "socket", "download", "fetch", "webhook", "telegram", "discord", "dns",
        "curl", "wget", "beacon", "exfil", "exfiltration", "c2", "post", "upload", "sink",
        "catcher", "ngrok", "pipedream", "oast", "ftp", "smtp", "connect", "udp", "tcp",
        "remote", "messenger", "ip-lookup", "paste", "tunnel"}),
    "process": frozenset({
        "process", "subprocess", "popen", "spawn", "system", "shell", "powershell", "cmd",
        "command", "os-system", "startfile", "detached", "daemon", "fork", "execve",
        "execution"}),
    "secret": frozenset({
        "secret", "secrets", "credential", "credentials", "env", "environ", "environment",
        "ssh", "aws", "token", "tokens", "wallet", "browser", "cookie", "cookies", "password",
        "passwords", "keyring", "imds", "kube", "kubeconfig", "recon", "hostname", "getuser",
        "username", "sysinfo", "fingerprint", "clipboard", "keylogger", "screenshot",
        "collection", "harvest", "stealer", "gcloud", "netrc", "pgpass", "history",
        "surveillance", "capture", "host-info", "credential-store"}),
    "write": frozenset({
        "write", "drop", "dropper", "chmod", "executable", "tmp", "tempfile", "save", "writes",
        "shell-download"}),
    "persistence": frozenset({
        "persistence", "systemd", "crontab", "cron", "autorun", "schtasks", "startup-folder",
        "run-key", "registry", "launchagent", "bashrc"}),
    "binary": frozenset({"binary", "pe", "elf", "macho", "mach-o", "dll", "exe", "native"}),
    "shell": frozenset({"reverse-shell", "revshell", "bind-shell", "dev-tcp", "dup2"}),
    "miner": frozenset({"miner", "xmrig", "stratum", "mining", "cryptominer"}),
    # Where stolen data goes or payloads come from: messenger bots and webhooks, request
    # catchers, tunnels, paste and anonymous file hosts, bare IP addresses.
    "drop-site": frozenset({"messenger", "webhook", "telegram", "discord", "catcher",
                            "request-catcher", "tunnel", "paste", "paste-site", "file-host",
                            "file-sharing", "free-app-host", "raw-ip", "ngrok", "pipedream",
                            "hidden-endpoint"}),
    # A binary under a name that hides what it is (a PE named .png).
    "disguised": frozenset({"misnamed", "disguised"}),
    # Code that cannot be reviewed: a commercial obfuscator's runtime.
    "unreviewable": frozenset({"pyarmor", "pytransform", "commercial", "obfuscator"}),
    # Hiding what runs: detached or silenced processes, network errors swallowed.
    "stealth": frozenset({"detached", "silent", "silenced", "evasion", "hidden", "devnull",
                          "daemon-thread"}),
    # Behaviour new since the previous release (scanner.diff's drift findings).
    "drift": frozenset({"drift"}),
}


@dataclass(frozen=True)
class ChainRule:
    """A combination of capabilities that weighs more than its parts.

    needs: every capability must be present in the scope (a set of alternatives per slot).
    contexts: the chain counts only when some link runs in one of these contexts (None: any).
    points: the chain's worth before context and link quality.
    artifact_wide: match over the whole artifact (for links that are files, not code: a
        disguised binary and the code that runs it live in different members).
    """

    name: str
    needs: tuple[frozenset[str], ...]
    points: float
    description: str
    contexts: frozenset[Context] | None = None
    artifact_wide: bool = False  # links may sit anywhere in the artifact, not in one file


def _any(*caps: str) -> frozenset[str]:
    return frozenset(caps)


_RUNS = frozenset({Context.STARTUP, Context.INSTALL})
CHAINS: tuple[ChainRule, ...] = (
    ChainRule("startup-hook", (_any("startup"), _any("process", "decode", "exec", "network",
                                                     "shell", "secret")),
              95.0, "a start-up hook (.pth) that spawns, decodes, execs or touches the network",
              frozenset({Context.STARTUP})),
    ChainRule("decode-exec", (_any("decode"), _any("exec")), 85.0,
              "decoded content is executed"),
    ChainRule("secret-network", (_any("secret"), _any("network")), 80.0,
              "secrets or host information flow to the network"),
    ChainRule("download-write-run", (_any("network"), _any("write"), _any("process", "exec")),
              85.0, "something is downloaded, written and run"),
    ChainRule("download-exec", (_any("network"), _any("exec")), 85.0,
              "code fetched from the network is executed"),
    ChainRule("network-process", (_any("network"), _any("process")), 65.0,
              "the network is used and a process is started as soon as the package is imported",
              frozenset({Context.STARTUP, Context.IMPORT})),
    ChainRule("reverse-shell", (_any("shell"),), 90.0, "a shell wired to a network connection"),
    ChainRule("persistence", (_any("persistence"), _any("process", "write", "network")), 85.0,
              "installs itself to run again later"),
    ChainRule("miner", (_any("miner"), _any("process", "network", "write")), 85.0,
              "runs a cryptocurrency miner"),
    ChainRule("stealth", (_any("stealth"), _any("process", "network")), 60.0,
              "a process or connection is started and hidden from the user",
              frozenset({Context.STARTUP, Context.INSTALL, Context.IMPORT})),
    ChainRule("drop-site", (_any("drop-site"),), 45.0,
              "code addresses a messenger bot, webhook, request catcher or paste host, where "
              "stolen data goes and payloads come from"),
    ChainRule("unreviewable-code", (_any("unreviewable"),), 45.0,
              "the code runs through an obfuscator's runtime and cannot be reviewed",
              frozenset({Context.STARTUP, Context.INSTALL, Context.IMPORT})),
    ChainRule("install-network", (_any("install"), _any("network")), 85.0,
              "the network is used while the package installs", _RUNS),
    ChainRule("install-process", (_any("install"), _any("process", "exec", "binary")), 65.0,
              "processes are run or code is executed while the package installs", _RUNS),
    ChainRule("decode-process", (_any("decode"), _any("process")), 60.0,
              "decoded content reaches a process"),
    ChainRule("binary-run", (_any("binary"), _any("process", "write")), 60.0,
              "a shipped or decoded binary is written or run"),
    ChainRule("disguised-binary", (_any("disguised"), _any("process", "exec", "write")), 85.0,
              "a binary disguised under another name ships with code that runs or writes files",
              frozenset({Context.STARTUP, Context.INSTALL, Context.IMPORT}), artifact_wide=True),
    # Only with a baseline release (scanner.diff): a hijacked release adds a loader to code
    # that was clean the release before.
    ChainRule("release-drift", (_any("drift"), _any("process", "exec", "decode", "network",
                                                    "secret", "persistence", "shell", "miner",
                                                    "unreviewable", "drop-site")),
              85.0, "behaviour new since the previous release runs at start-up, install or "
              "import", frozenset({Context.STARTUP, Context.INSTALL, Context.IMPORT})),
)


@dataclass(frozen=True)
class Thresholds:
    """Verdict cut-offs and the knobs of the scorer (tuned on the development sets).

    suspicious / malicious: score (0-100) at or above which a verdict is given.
    volume_cap: most points that the findings after the strongest signal can add together.
    metadata_boost_cap: most points metadata signals add to real behaviour.
    min_link_weight: findings weaker than this (LINK_SEVERITY x LINK_CONFIDENCE) are no chain
        link: 0.7 lets medium/medium and stronger findings link, never low-severity ones.
    min_single_link: an analyser's flow finding, or a single finding in a function body, forms
        a chain on its own only at this quality or above (high severity, medium+ confidence).
    runtime_only_suspicious: when no signal worth ``suspicious`` runs at start-up, install or
        import (everything sits in function bodies), the verdict is at most suspicious: SDKs
        send tokens to their APIs and test helpers download tools inside functions too.
    """

    suspicious: float = 30.0
    malicious: float = 70.0
    volume_cap: float = 6.0
    metadata_boost_cap: float = 20.0
    min_link_weight: float = 0.7
    min_single_link: float = 0.85
    runtime_only_suspicious: bool = True


def weight(finding: Finding) -> float:
    return (SEVERITY_POINTS[finding.severity] * CONFIDENCE_FACTOR[finding.confidence]
            * CONTEXT_FACTOR[finding.context])


_SPLIT = re.compile(r"[._/\s]+")


def words(finding: Finding) -> frozenset[str]:
    """The words of a finding's rule id and category, whole and split on hyphens."""
    out: set[str] = set()
    for part in _SPLIT.split(f"{finding.rule} {finding.category}".lower()):
        if part:
            out.add(part)
            out.update(p for p in part.split("-") if p)
    return frozenset(out)


def capabilities(finding: Finding) -> frozenset[str]:
    """What behaviour a finding stands for, plus pseudo-capabilities for its context."""
    if finding.severity is Severity.INFO or finding.category in METADATA_CATEGORIES:
        # Metadata describes the package, not something that runs: never a chain link.
        return frozenset()
    found = {cap for cap, vocab in CAPABILITY_WORDS.items() if words(finding) & vocab}
    # "import" names the import context in many rule ids (python.import.*); it is an exec
    # capability only next to a dynamic word.
    if "exec" in found and not (words(finding) & (CAPABILITY_WORDS["exec"] - {"import"})):
        found.discard("exec")
    if finding.context is Context.INSTALL:
        found.add("install")
    if finding.context is Context.STARTUP or (finding.path or "").endswith(".pth"):
        found.add("startup")
    return frozenset(found)


def scope_keys(finding: Finding) -> list[str]:
    """The scopes a finding belongs to: its file (origin file for decoded payloads) and, for
    install- and start-up-time code, the whole install or start-up phase."""
    keys = []
    if finding.path:
        keys.append("file:" + finding.path.split("::", 1)[0])
    if finding.context is Context.INSTALL:
        keys.append("phase:install")
    if finding.context is Context.STARTUP:
        keys.append("phase:startup")
    return keys


@dataclass(frozen=True)
class ChainMatch:
    rule: ChainRule
    links: tuple[Finding, ...]
    points: float
    context: Context


def _link_quality(finding: Finding) -> float:
    return LINK_SEVERITY[finding.severity] * LINK_CONFIDENCE[finding.confidence]


_PSEUDO = frozenset({"install", "startup"})


def _match(rule: ChainRule, caps_of: list[tuple[Finding, frozenset[str]]],
           thresholds: Thresholds) -> list[ChainMatch]:
    """The best way ``rule`` is met in one scope (as a list: empty or one match).

    An analyser's flow finding (``*.flow.*``, naming two capabilities) forms the chain alone
    when it is strong, and is never used as a partial link: a weak flow plus its own parts
    must not add up to a strong chain.
    """
    real = [slot for slot in rule.needs if not slot <= _PSEUDO]
    if not real:
        return []
    composite = {f for f, caps in caps_of if "flow" in words(f)
                 and sum(bool(caps & slot) for slot in real) >= 2}
    options: list[ChainMatch] = []
    for f, caps in caps_of:
        if len(real) >= 2 and f in composite and all(caps & slot for slot in real):
            pseudo = [next((g for g, c in caps_of if c & slot), None)
                      for slot in rule.needs if slot <= _PSEUDO]
            if None not in pseudo and _link_quality(f) >= thresholds.min_single_link:
                options.append(_chain(rule, [f, *pseudo], [f]))
    links: list[Finding] = []
    behaviour: list[Finding] = []
    for slot in rule.needs:
        candidates = [f for f, caps in caps_of if caps & slot and f not in composite]
        if not candidates:
            links = []
            break
        # Prefer the link that runs earliest and is strongest.
        best = max(candidates, key=lambda f: (_link_quality(f) * CHAIN_CONTEXT_FACTOR[f.context]))
        links.append(best)
        if not slot <= _PSEUDO:
            behaviour.append(best)
    if links:
        quality = min(_link_quality(f) for f in behaviour)
        # One finding in a function body that names a whole chain (deserialising a blob) is
        # common in benign code; its own severity says enough unless it is strong.
        alone_at_runtime = len(set(behaviour)) == 1 and behaviour[0].context in (
            Context.RUNTIME, Context.DATA)
        if quality >= (thresholds.min_single_link if alone_at_runtime
                       else thresholds.min_link_weight):
            options.append(_chain(rule, links, behaviour))
    options = [m for m in options if rule.contexts is None
               or any(f.context in rule.contexts for f in m.links)]
    # One match per rule and scope: separate weak findings must not witness a flow they restate.
    return [max(options, key=lambda m: m.points)] if options else []


def _chain(rule: ChainRule, links: list[Finding], behaviour: list[Finding]) -> ChainMatch:
    quality = min(_link_quality(f) for f in behaviour)
    # A chain runs when its latest link runs: take the weakest context among the links that
    # are code (a data file such as a disguised binary runs when code runs it).
    code = [f for f in links if f.context not in (Context.DATA, Context.CONTAINER)] or links
    context = min((f.context for f in code), key=lambda c: CHAIN_CONTEXT_FACTOR[c])
    unique: list[Finding] = []
    for f in links:
        if f not in unique:
            unique.append(f)
    alone = len(set(behaviour)) == 1
    factors = SINGLE_CHAIN_CONTEXT_FACTOR if alone else CHAIN_CONTEXT_FACTOR
    points = rule.points * quality * factors[context]
    if not alone and context in (Context.RUNTIME, Context.DATA):
        # Two capabilities in one file's functions are not proof of a flow between them (an
        # HTTP client also reads proxy settings); an analyser's explicit flow finding is.
        points *= RUNTIME_CO_OCCURRENCE_FACTOR
    return ChainMatch(rule, tuple(unique), points, context)


def find_chains(findings: Iterable[Finding], thresholds: Thresholds) -> list[ChainMatch]:
    scopes: dict[str, list[tuple[Finding, frozenset[str]]]] = {}
    for f in findings:
        caps = capabilities(f)
        if not caps - {"install", "startup"}:
            continue
        for key in scope_keys(f):
            scopes.setdefault(key, []).append((f, caps))
    matches: list[ChainMatch] = []
    everything = [item for key, items in scopes.items() if key.startswith("file:")
                  for item in items]
    for members in scopes.values():
        for rule in CHAINS:
            if not rule.artifact_wide:
                matches += _match(rule, members, thresholds)
    for rule in CHAINS:
        if rule.artifact_wide:
            matches += _match(rule, everything, thresholds)
    matches.sort(key=lambda m: m.points, reverse=True)
    return matches


def chain_finding(match: ChainMatch) -> Finding:
    """A synthetic finding that explains a chain in reports."""
    first = match.links[0]
    steps = " -> ".join(f"{f.rule}" + (f" ({f.path}:{f.line})" if f.line else
                                       f" ({f.path})" if f.path else "") for f in match.links)
    severity = Severity.CRITICAL if match.points >= 70 else Severity.HIGH
    return Finding(f"score.chain.{match.rule.name}", "chain", severity, Confidence.HIGH,
                   match.context, f"{match.rule.description}: {steps}", first.path, first.line,
                   " + ".join(f.rule for f in match.links)[:200])


def _inferred_flow(finding: Finding) -> bool:
    """An analyser's flow finding below full severity and confidence (often co-occurrence of a
    source and a sink in different functions): a lead, not proof."""
    return "flow" in words(finding) and _link_quality(finding) < 1.0


def _corroborated(total: float, best: tuple, signals: list[tuple],
                  thresholds: Thresholds, reached_tests: frozenset[str] = frozenset()) -> float:
    """One finding alone in a function body (code that runs only when called), or one flow
    inferred at import with less than full severity and confidence, is not enough for
    malicious: it needs an independent second signal, a chain or rule sharing no rule with it
    and not itself an inferred flow, worth ``CORROBORATION_POINTS``. Other code that runs
    at start-up, install or import (or a container-level finding) needs no second witness."""
    _points, _kind, links, _match = best
    if total < thresholds.malicious or len(set(links)) > 1:
        return total
    (finding,) = set(links)
    if finding.context not in (Context.RUNTIME, Context.DATA) and not (
            _inferred_flow(finding) and finding.context is Context.IMPORT):
        return total
    if _proven_in_function(finding, reached_tests):
        return total  # one function doing the whole thing is its own witness
    rules = {f.rule for f in links}
    for other_points, _other_kind, other_links, _m in signals[1:]:
        if (other_points >= CORROBORATION_POINTS
                and not {f.rule for f in other_links} & rules
                and not all(_inferred_flow(f) for f in other_links)):
            return total
    return min(total, thresholds.malicious - 0.1)


def _proven_in_function(finding: Finding, reached_tests: frozenset[str] = frozenset()) -> bool:
    """An analyser flow at critical severity and high confidence outside test code (a
    test-named module that package code imports or an entry point names is package code:
    ``reached_tests``), of a kind that is critical only when one function does the whole thing
    (downloads a file, saves it and runs it): what a dropper's function is, and what a tool
    installer's code spread over helpers, or a content rule's text match, is not."""
    return (finding.rule in PROVEN_IN_ONE_FUNCTION and finding.severity is Severity.CRITICAL
            and finding.confidence is Confidence.HIGH
            and (not is_test_code(finding.path) or finding.path in reached_tests))


def _malware_only_witness(findings: Sequence[Finding], thresholds: Thresholds,
                          exclude: set[Finding]) -> Finding | None:
    """A finding of at least medium severity and confidence, outside ``exclude``, for
    something benign packages do not carry (a webhook, paste or file-sharing drop site, a
    disguised binary, a miner, a reverse shell, an obfuscator's runtime), wherever it sits."""
    covered = frozenset().union(*(capabilities(f) for f in exclude)) if exclude else frozenset()
    return next((f for f in findings if f not in exclude
                 and capabilities(f) & MALWARE_ONLY - covered
                 and _link_quality(f) >= thresholds.min_link_weight), None)


def resolve_contexts(findings: list[Finding]) -> tuple[list[Finding], dict[int, Finding]]:
    """Findings whose analyser could not tell when the code runs (content rules report code as
    ``runtime``) take the context another analyser established for the same file and line.
    Returns the findings to score and, for each changed one, the original (by ``id``)."""
    earliest: dict[tuple[str, int], Context] = {}
    for f in findings:
        if f.path and f.line and f.context in CODE_CONTEXT_ORDER:
            key = (f.path, f.line)
            if key not in earliest or CODE_CONTEXT_ORDER[f.context] < \
                    CODE_CONTEXT_ORDER[earliest[key]]:
                earliest[key] = f.context
    # Test-named modules that package code imports at module level run at import (the
    # Python analyser marks them, see analyzers/python/imported_tests.py).
    imported_tests = {f.path for f in findings if f.rule == IMPORTED_TEST_MODULE}
    out: list[Finding] = []
    original: dict[int, Finding] = {}
    for f in findings:
        better = earliest.get((f.path or "", f.line or 0))
        context = f.context
        if (better is not None and f.context is Context.RUNTIME
                and CODE_CONTEXT_ORDER[better] < CODE_CONTEXT_ORDER[Context.RUNTIME]):
            context = better
        if context in (Context.IMPORT, Context.RUNTIME) and is_test_code(f.path) and \
                f.path not in imported_tests:
            # Test modules run when someone runs the tests, not when the package is installed,
            # started or imported (a test module that install or start-up code reaches keeps
            # that context, whatever its folder). What they name is test data: SSRF block
            # lists of catcher hosts, mocked webhook and bot URLs, raw addresses of fake
            # servers. It counts as data, not as behaviour of the package.
            context = Context.DATA
        if context is not f.context:
            moved = replace(f, context=context)
            original[id(moved)] = f
            out.append(moved)
        else:
            out.append(f)
    return out, original


_TEST_DIRS = frozenset({"test", "tests", "testing", "unit_tests", "integration_tests"})


def is_test_code(path: str | None) -> bool:
    """Whether a member is a test module (a tests/ folder, test_*.py, *_test.py, conftest.py)."""
    if not path:
        return False
    parts = path.split("::", 1)[0].split("!/")[-1].split("/")
    name = parts[-1]
    return (any(p in _TEST_DIRS for p in parts[:-1]) or name.startswith("test_")
            or name.endswith("_test.py") or name == "conftest.py")


def score(findings: Sequence[Finding], thresholds: Thresholds = Thresholds()) -> Verdict:
    # Metadata signals ship at low and medium severity; one raised by a policy counts in full.
    metadata = [f for f in findings if f.category in METADATA_CATEGORIES
                and f.severity < Severity.HIGH]
    behaviour, original = resolve_contexts(
        [f for f in findings if f not in metadata and not f.rule.startswith("policy.")])
    ranked = sorted(behaviour, key=weight, reverse=True)
    chains = find_chains(behaviour, thresholds)
    reached_tests = frozenset(f.path for f in findings if f.rule == IMPORTED_TEST_MODULE)

    # Signals: each chain and each single finding; the best decides, the next few add a little.
    signals: list[tuple[float, str, tuple[Finding, ...], ChainMatch | None]] = []
    for m in chains:
        signals.append((m.points, "chain:" + m.rule.name, m.links, m))
    for f in ranked:
        signals.append((weight(f), "rule:" + f.rule, (f,), None))
    signals.sort(key=lambda s: s[0], reverse=True)
    total = 0.0
    decided: list[Finding] = []
    if signals:
        best = signals[0]
        total = best[0]
        used = set(best[2])
        seen_kinds = {best[1]}
        extra = 0.0
        for points, kind, links, _m in signals[1:]:
            if kind in seen_kinds or set(links) <= used:
                continue
            seen_kinds.add(kind)
            used.update(links)
            extra += VOLUME_SHARE * points
            if len(seen_kinds) > 4:
                break
        total += min(thresholds.volume_cap, extra)
        if best[0] < thresholds.suspicious and all(f.context is Context.DATA for f in best[2]):
            # Data (a test suite's fixtures) whose strongest signal is below the line is not
            # lifted over it by the signals after it: volume alone makes no verdict.
            total = min(total, thresholds.suspicious - 0.1)
        witness = _malware_only_witness(behaviour, thresholds, exclude=set(best[2]))
        if best[3] is not None and witness is not None:
            # A chain plus an independent witness that benign packages do not carry: the
            # combination, not volume, is what makes the verdict.
            total += WITNESS_POINTS
            used.add(witness)
        total = _corroborated(total, best, signals, thresholds, reached_tests)
        if thresholds.runtime_only_suspicious and total >= thresholds.malicious and not any(
                points >= thresholds.suspicious and (
                    any(f.context not in (Context.RUNTIME, Context.DATA) for f in links)
                    or any(capabilities(f) & MALWARE_ONLY
                           or _proven_in_function(f, reached_tests) for f in links))
                for points, _kind, links, _m in signals) and witness is None:
            # Everything that points at malice sits in function bodies: code that runs only
            # when called, where SDKs also send tokens and download tools. Suspicious at most,
            # unless something benign packages do not carry (a webhook or paste drop site, a
            # disguised binary, a miner, a reverse shell) backs it up, or the analyser saw the
            # whole story inside one function of the package's own code.
            total = thresholds.malicious - 0.1
        decided = list(best[2])
        if best[3] is not None:
            decided.insert(0, chain_finding(best[3]))
        decided += [f for f in ranked[:3] if f not in decided and weight(f) > 0]

    # A console script that shadows a system tool or another project's command, in a package
    # that also talks to the network, runs processes or reads secrets: command-jacking.
    hijacks = [f for f in metadata if "shadows" in words(f)]
    accomplices = [f for f in ranked if capabilities(f) & HIJACK_ACCOMPLICES
                   and _link_quality(f) >= thresholds.min_link_weight]
    if hijacks and accomplices and total < COMMAND_HIJACK_POINTS:
        total = COMMAND_HIJACK_POINTS
        decided = [hijacks[0], accomplices[0], *[f for f in decided if f is not accomplices[0]]]
    # Metadata amplifies behaviour; weak alone.
    meta_points = sum(weight(f) for f in metadata)
    if metadata and total >= 10.0:
        boost = min(thresholds.metadata_boost_cap, meta_points)
        total += boost
        decided += sorted(metadata, key=weight, reverse=True)[:2]
    elif metadata:
        total = max(total, min(thresholds.suspicious - 1.0, meta_points))
        if not decided:
            decided = sorted(metadata, key=weight, reverse=True)[:2]
    total = min(100.0, total)

    level = VerdictLevel.CLEAN
    if total >= thresholds.malicious:
        level = VerdictLevel.MALICIOUS
    elif total >= thresholds.suspicious:
        level = VerdictLevel.SUSPICIOUS
    incomplete = [f for f in ranked if f.severity >= Severity.MEDIUM and (
        f.rule.startswith(INCOMPLETE_PREFIXES) or f.rule in INCOMPLETE_RULES)]
    if level is VerdictLevel.CLEAN and incomplete:
        level = VerdictLevel.SUSPICIOUS
        total = max(total, thresholds.suspicious)
    # Report the findings as the analysers made them, not as re-contexted here.
    reasons = tuple(original.get(id(f), f) for f in decided[:5])
    if incomplete and incomplete[0] not in reasons:
        reasons = (incomplete[0],) + reasons[:4]
    return Verdict(level, round(total, 1), reasons)
