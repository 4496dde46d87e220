"""Module-wide combinations of events the call handlers recorded.

Direct flows (a secret inside the very call that sends it) are found by the call handlers;
here the weaker co-occurrence versions are added — source and sink in the same module, same
scope being stronger — each naming both ends with their lines.
"""

from __future__ import annotations

from .calls import CallWalker


def combine(walker: CallWalker) -> None:
    _source_to_sink(walker, "secret", "python.flow.secret-to-network")
    _source_to_sink(walker, "fingerprint", "python.flow.fingerprint-to-network")
    _download_execute(walker)
    _reverse_shell(walker)


def _already(walker: CallWalker, rule: str) -> bool:
    return any(h.rule == rule and h.strong for h in walker.facts.hits)


def _source_to_sink(walker: CallWalker, kind: str, rule: str) -> None:
    """Source and sink in one function (medium confidence); in different functions only for
    real credential stores (low confidence): copying the environment is everyday code."""
    if _already(walker, rule):
        return
    sources = [s for s in walker.sources if s[0] == kind]
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


def _download_execute(walker: CallWalker) -> None:
    if not walker.downloads or not walker.spawns:
        return
    staged = walker.writes or walker.chmods
    same = [d for d in walker.downloads
            if any(s[1] == d[1] for s in walker.spawns)]
    if not staged and not same:
        return
    download = (same or walker.downloads)[0]
    spawn = next((s for s in walker.spawns if s[1] == download[1]), walker.spawns[0])
    steps = [f"download {download[2]} (line {download[0]})"]
    if walker.writes:
        write = walker.writes[0]
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
