"""Module-wide combinations of events the call handlers recorded.

Direct flows (a secret inside the very call that sends it) are found by the call handlers;
here the weaker co-occurrence versions are added — source and sink in the same module, same
scope being stronger — each naming both ends with their lines.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .calls import MAX_CALL_SITES, CallWalker, fixed_command
from .fold import fold


def combine(walker: CallWalker) -> None:
    _parameter_spawns(walker)
    _star_detached(walker)
    _obfuscator_mentions(walker)
    _source_to_sink(walker, "secret", "python.flow.secret-to-network")
    _source_to_sink(walker, "fingerprint", "python.flow.fingerprint-to-network")
    _download_execute(walker)
    _reverse_shell(walker)


def _parameter_spawns(walker: CallWalker) -> None:
    """A helper that runs the program its caller names (versioneer's ``run_command``) spawns
    a build tool when every call site in the module names one (``GITS = ['git']``), or the
    project's own script under this interpreter."""
    pending = getattr(walker, "param_spawns", ())  # the token-level fallback has none
    quiet = {(line, scope) for line, scope, params in pending
             if all(walker.resolve_param_spawn(scope, p) or walker.param_runs_own_script(
                 scope, p) for p in params)}
    if quiet:
        walker.facts.hits = [h for h in walker.facts.hits if not (
            h.rule == "python.process.spawn" and (h.line, h.scope) in quiet)]


def _star_detached(walker: CallWalker) -> None:
    """``def launch(*argv): Popen(argv, stdout=DEVNULL, ...)`` called only as
    ``launch('Xvfb', ':1')``: every call site names a fixed system program, so the detached
    spawn is a lead, as it is when the command is written at the spawn itself."""
    pending = getattr(walker, "star_detached", ())  # the token-level fallback has none
    if pending and len(walker.call_sites) >= MAX_CALL_SITES:
        return  # the call-site table filled up: a later site may name anything
    for line, scope in pending:
        _star, index = walker.star_params[scope]
        params = walker.function_params.get(scope, ())
        sites = walker.call_sites.get(scope.split(".")[-1], [])
        saved = walker.scopes
        fixed = bool(sites)
        try:
            for call, scopes in sites:
                walker.scopes = list(scopes)
                at = index - (1 if params and params[0] in ("self", "cls") else 0)
                positional = [a for a in call.args if a.keyword is None]
                if any(a.star for a in positional) or at < 0:
                    fixed = False
                    break
                argv = [fold(a.value, walker.fold_env) for a in positional[at:]]
                if not fixed_command(argv):
                    fixed = False
                    break
        finally:
            walker.scopes = saved
        if fixed:
            walker.facts.hits = [replace(h, strong=False, weak=True) if (
                h.rule == "python.process.detached" and h.line == line and h.scope == scope)
                else h for h in walker.facts.hits]


PYARMOR_NAMES = re.compile(r"pyarmor|pytransform", re.IGNORECASE)


def runs_obfuscator_runtime(facts) -> bool:
    """Whether a module imports PyArmor's runtime or calls it (``from pytransform import
    pyarmor_runtime``, ``from pyarmor_runtime_000000 import __pyarmor__``, ``__pyarmor__(...)``):
    what protected code does, and what a tool that only detects protected code does not."""
    return any(PYARMOR_NAMES.search(m) for m in facts.imports | facts.relative_imports) or any(
        h.rule == "python.obfuscation.commercial" and h.evidence.startswith("calls ")
        for h in facts.hits)


def _obfuscator_mentions(walker: CallWalker) -> None:
    """PyArmor named in strings of a module that never imports or calls its runtime (a
    profiler listing the runtime's module names to recognise protected code) is a lead."""
    if runs_obfuscator_runtime(walker.facts):
        return
    walker.facts.hits = [replace(h, strong=False, weak=True) if (
        h.rule == "python.obfuscation.commercial" and PYARMOR_NAMES.search(h.evidence))
        else h for h in walker.facts.hits]


def _already(walker: CallWalker, rule: str) -> bool:
    return any(h.rule == rule and h.strong for h in walker.facts.hits)


def _source_to_sink(walker: CallWalker, kind: str, rule: str) -> None:
    """Source and sink in one function (medium confidence); in different functions only for
    real credential stores (low confidence): copying the environment is everyday code."""
    if _already(walker, rule):
        return
    # A module that names the cloud metadata service and makes requests is a metadata client
    # (SDKs, error reporters): only a direct flow of what it returned to another host counts.
    sources = [s for s in walker.sources if s[0] == kind and s[3] != "cloud-metadata"]
    if not sources or not walker.sinks:
        return
    pair = next(((s, k) for s in sources for k in walker.sinks if s[2] == k[1]), None)
    weak = pair is None
    if pair is None:
        distinctive = [s for s in sources if s[3] not in ("environment", "env-token", "cwd")]
        if not distinctive:
            return
        pair = (distinctive[0], walker.sinks[0])
    source, sink = pair
    walker.hit(rule, sink[0], f"{source[3]} (line {source[1]}) … {sink[2]} (line {sink[0]})"
               f"{' in different functions' if weak else ''}", strong=False, scope=sink[1],
               weak=weak)


# A written file that is meant to run: executables and scripts, or the places droppers use.
_RUNNABLE_TARGET = re.compile(r"\.(?:exe|scr|bat|cmd|ps1|vbs|js|jar|msi|dll|sh|bin|elf)\b|"
                              r"[/\\]tmp[/\\]|\btemp\b|appdata|startup", re.IGNORECASE)


_CHAINS_COMMANDS = re.compile(r"[|;&`]|\$\(")
_CUT = 120  # the walker keeps this much of a command: a longer one may chain more, unseen
# Programs that copy, move, unpack or list files: they run none of the files they touch.
_FILE_UTILITIES = frozenset({"cp", "mv", "rm", "ln", "mkdir", "tar", "unzip", "gunzip",
                             "ls", "cat", "touch", "patch", "sha256sum", "md5sum", "diff"})


_AUTOSTART = re.compile(r"startup|\.bashrc|\.profile|\.zshrc|systemd|launchagents|"
                        r"launchdaemons|cron|currentversion", re.IGNORECASE)
# Programs that run the file or code they are given: a download handed to them is run.
_RUNNERS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python2", "python3",
                      "pythonw", "py", "node", "nodejs", "deno", "bun", "perl", "ruby", "php",
                      "powershell", "pwsh", "cmd", "wscript", "cscript", "mshta", "rundll32",
                      "regsvr32", "msiexec", "java", "osascript", "open", "start", "env",
                      "xdg-open", "nohup", "setsid", "sudo", "exec", "timeout", "nice",
                      "source", "eval", "wine", "mono", "dotnet", "bazel", "bazelisk"})


def _named_tool(command: str, written: list[str]) -> bool:
    """A command whose program is a plain tool name (``gcloud ...``, ``buildifier x``): not a
    path or file name, not a shell or interpreter that runs what it is given, naming no file
    the module writes and chaining no other command. It cannot be the file downloaded."""
    words = command.split()
    if not words or _CHAINS_COMMANDS.search(command) or len(command) >= _CUT:
        return False
    program = words[0].lower()
    if not re.fullmatch(r"[a-z][a-z0-9_+-]*", program) or \
            re.sub(r"[\d.]+$", "", program) in _RUNNERS:
        return False
    return not any(name in command for name in written)


def _moves_files(command: str) -> bool:
    words = command.split()
    return bool(words) and words[0] in _FILE_UTILITIES and len(command) < _CUT and \
        not _CHAINS_COMMANDS.search(command)


def _opaque_spawns(walker: CallWalker) -> list:
    """Spawns of a program the code computes, less helpers that every caller hands the
    project's own script to run with this interpreter (``run([sys.executable, 'tests.py'])``)."""
    own = {(line, scope) for line, scope, params in getattr(walker, "param_spawns", ())
           if all(walker.param_runs_own_script(scope, p) for p in params)}
    return [s for s in getattr(walker, "opaque_spawns", []) if (s[0], s[1]) not in own]


def _download_execute(walker: CallWalker) -> None:
    """Download, stage, run. In one function the three steps are one story; spread over a
    module's functions they are only that when the staged file is made executable, is an
    executable or script (or sits where droppers put them), or the command names it: a tool
    that downloads data, writes a config file and runs ``docker`` is not a dropper."""
    tools = getattr(walker, "tool_spawns", set())
    # A build tool (make, nm, git) run next to a download runs what the package ships, unless
    # its command names the file that was written.
    spawns = [s for s in walker.spawns if s[0] not in tools or (
        len(s[2]) >= 4 and any(len(w[2]) >= 4 and w[2] in s[2] for w in walker.writes))]
    # A command that only fetches (``wget URL``) runs nothing it fetched; one that also runs
    # something (``curl URL | sh``, ``wget x && ./x``) is both ends of the story.
    fetch_only = getattr(walker, "fetch_only", set())
    spawns = [s for s in spawns if (s[0], s[1]) not in fetch_only and not _moves_files(s[2])]
    # A file written where the system runs it by itself (Startup folder, shell rc files) needs
    # no command of ours to run: a reboot or a new shell is the run step.
    if not any(_AUTOSTART.search(w[2]) for w in walker.writes):
        computed = {(s[0], s[1]) for s in getattr(walker, "opaque_spawns", ())}
        written_names = [w[2] for w in walker.writes if len(w[2]) >= 4]
        spawns = [s for s in spawns if (s[0], s[1]) in computed or not _named_tool(
            s[2], written_names)]
    if not walker.downloads or not spawns:
        return
    commands = " ".join(s[2] for s in spawns)
    fetched = getattr(walker, "fetched_files", [])  # downloads that land in a file
    # Bytes saved to a file, and a program whose name the code computes (run_exe(path)).
    opaque_spawns = _opaque_spawns(walker)
    opaque = getattr(walker, "binary_writes", []) if opaque_spawns else []
    # Across functions, a fetched file is the program run only when that program is computed
    # (``run(path)``): running ``gcloud`` elsewhere in the module does not run the download.
    staged = walker.chmods or (fetched if opaque_spawns else []) or opaque or [
        w for w in walker.writes if _RUNNABLE_TARGET.search(w[2]) or (
            len(w[2]) >= 4 and w[2] in commands)]
    # In one function: a download, something saved or made executable there, and a process
    # started there. A health check polled while a test starts docker saves nothing.
    saved_in = {w[1] for w in (*walker.writes, *walker.chmods, *fetched)}
    if not hasattr(walker, "fetched_files"):
        # The token-level fallback sees calls but not where bytes go: keep its looser
        # reading (download and run in one scope) rather than miss droppers it cannot parse.
        saved_in = {d[1] for d in walker.downloads}
    same = [d for d in walker.downloads if d[1] in saved_in
            and any(s[1] == d[1] for s in spawns)]
    if not staged and not same:
        return
    if not same and getattr(walker, "verifies", ()):
        # Steps spread over functions of a module that checks digests of what it fetches:
        # pinned build provisioning, not an unverified payload.
        return
    download = (same or walker.downloads)[0]
    spawn = next((s for s in spawns if s[1] == download[1]), spawns[0])
    steps = [f"download {download[2]} (line {download[0]})"]
    written = [w for w in staged if w in walker.writes] or walker.writes
    if written:
        write = written[0]
        steps.append(f"write {write[2][:60]} (line {write[0]})")
    if walker.chmods:
        steps.append(f"chmod +x (line {walker.chmods[0][0]})")
    steps.append(f"run {spawn[2][:60]} (line {spawn[0]})")
    walker.hit("python.flow.download-execute", spawn[0], " → ".join(steps),
               strong=bool(same), scope=spawn[1])


def _reverse_shell(walker: CallWalker) -> None:
    # A socketpair connects two local processes, never another host.
    kinds = {s[0] for s in walker.sources if s[3] != "socket.socketpair"}
    if "dup2" in kinds and "socket" in kinds and walker.spawns:
        line = next(s[1] for s in walker.sources if s[0] == "dup2")
        walker.hit("python.process.reverse-shell", line,
                   "socket + os.dup2 + shell spawn: stdio of a shell bound to a socket",
                   strong=True, scope=next(s[2] for s in walker.sources if s[0] == "dup2"))
