"""Module-wide combinations of events the call handlers recorded.

Direct flows (a secret inside the very call that sends it) are found by the call handlers;
here the weaker co-occurrence versions are added — source and sink in the same module, same
scope being stronger — each naming both ends with their lines.
"""

from __future__ import annotations

import re

from .calls import CallWalker


def combine(walker: CallWalker) -> None:
    _parameter_spawns(walker)
    _source_to_sink(walker, "secret", "python.flow.secret-to-network")
    _source_to_sink(walker, "fingerprint", "python.flow.fingerprint-to-network")
    _download_execute(walker)
    _reverse_shell(walker)


def _parameter_spawns(walker: CallWalker) -> None:
    """A helper that runs the program its caller names (versioneer's ``run_command``) spawns
    a build tool when every call site in the module names one (``GITS = ['git']``)."""
    pending = getattr(walker, "param_spawns", ())  # the token-level fallback has none
    quiet = {(line, scope) for line, scope, params in pending
             if all(walker.resolve_param_spawn(scope, p) for p in params)}
    if quiet:
        walker.facts.hits = [h for h in walker.facts.hits if not (
            h.rule == "python.process.spawn" and (h.line, h.scope) in quiet)]


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
    if not walker.downloads or not spawns:
        return
    commands = " ".join(s[2] for s in spawns)
    fetched = getattr(walker, "fetched_files", [])  # downloads that land in a file
    # Bytes saved to a file, and a program whose name the code computes (run_exe(path)).
    opaque = getattr(walker, "binary_writes", []) if getattr(walker, "opaque_spawns", []) \
        else []
    staged = walker.chmods or fetched or opaque or [
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
    kinds = {s[0] for s in walker.sources}
    if "dup2" in kinds and "socket" in kinds and walker.spawns:
        line = next(s[1] for s in walker.sources if s[0] == "dup2")
        walker.hit("python.process.reverse-shell", line,
                   "socket + os.dup2 + shell spawn: stdio of a shell bound to a socket",
                   strong=True, scope=next(s[2] for s in walker.sources if s[0] == "dup2"))
