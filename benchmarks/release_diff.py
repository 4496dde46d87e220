"""Release diffing on real projects: consecutive releases must show no new high-severity drift.

Usage:
    python3 benchmarks/release_diff.py [--projects a,b,c] [--kinds wheel,sdist]
                                       [--dest DIR] [--index-url URL] [--out FILE]

For each project, the latest two final releases on the index (PyPI by default) are compared
with scanner.diff, once per kind (the pure-Python wheel, else any wheel; the sdist): files,
new behaviour, drift findings and the new release's verdict alone and against the old one.
Files are downloaded with distscan's own index client (hashes checked) into
``DEST/<project>/`` (default ``~/.cache/distscan-bench/releases``) and reused on later runs.
Prints one JSON document and writes it to ``benchmarks/out/release_diff.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # running as a script from a checkout
    sys.path.insert(0, str(REPO))

from scanner.diff import Release, diff_releases  # noqa: E402
from scanner.diff.baseline import matching_file, preferred_file  # noqa: E402
from scanner.model import Severity  # noqa: E402
from scanner.sources import DEFAULT_INDEX_URL, IndexClient  # noqa: E402

DEFAULT_PROJECTS = ("requests", "urllib3", "attrs", "packaging", "click")
DEFAULT_DEST = Path.home() / ".cache" / "distscan-bench" / "releases"


def latest_two(client: IndexClient, project: str) -> tuple[str, str] | None:
    finals = [v for v in client.versions(project) if not Version(v).is_prerelease]
    usable = [v for v in finals if any(not f.yanked for f in
                                       client.release_files(project, v).files)]
    return (usable[-2], usable[-1]) if len(usable) >= 2 else None


def cached_fetch(client: IndexClient, entry, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / entry.filename
    if not path.is_file():
        path = client.fetch(entry, folder)
    return path


def diff_pair(client: IndexClient, project: str, old: str, new: str, kind: str,
              dest: Path) -> dict | None:
    new_entry = preferred_file(client.release_files(project, new).files, kind)
    if new_entry is None or (kind == "sdist") != (not new_entry.filename.endswith(".whl")):
        return None
    old_entry = matching_file(client.release_files(project, old).files, new_entry.filename)
    if old_entry is None:
        return None
    old_path = cached_fetch(client, old_entry, dest / project)
    new_path = cached_fetch(client, new_entry, dest / project)
    started = time.perf_counter()
    diff = diff_releases(Release(old_path, old_entry.filename),
                         Release(new_path, new_entry.filename))
    elapsed = time.perf_counter() - started
    c = diff.comparison
    behaviour = {}
    for group in (c.new_behaviour if c else ()):
        behaviour.setdefault(str(group.context), []).append(
            {"path": group.path, "rules": list(group.rules)})
    return {
        "project": project, "kind": kind, "old": old_entry.filename, "new": new_entry.filename,
        "verdict_old": str(diff.old.verdict.level), "verdict_new_alone":
        str(diff.new.verdict.level), "verdict_new_vs_old": str(diff.result.verdict.level),
        "score_new_alone": diff.new.verdict.score, "score_new_vs_old": diff.result.verdict.score,
        "files": {"added": len(c.added), "removed": len(c.removed), "changed": len(c.changed),
                  "renamed": len(c.renamed), "unchanged": c.unchanged} if c else None,
        "new_behaviour": behaviour,
        "drift": [{"rule": f.rule, "severity": str(f.severity), "path": f.path,
                   "message": f.message} for f in diff.drift],
        "high_drift": sum(1 for f in diff.drift if f.severity >= Severity.HIGH),
        "error": diff.error, "elapsed_s": round(elapsed, 2),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--projects", default=",".join(DEFAULT_PROJECTS))
    parser.add_argument("--kinds", default="wheel,sdist")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    parser.add_argument("--index-url", default=DEFAULT_INDEX_URL)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" /
                        "release_diff.json")
    args = parser.parse_args(argv)
    pairs, failures = [], []
    with IndexClient(args.index_url) as client:
        for project in [p.strip() for p in args.projects.split(",") if p.strip()]:
            try:
                versions = latest_two(client, project)
                if versions is None:
                    failures.append({"project": project, "error": "fewer than two releases"})
                    continue
                for kind in args.kinds.split(","):
                    row = diff_pair(client, project, *versions, kind.strip(), args.dest)
                    if row is not None:
                        pairs.append(row)
            except Exception as exc:  # one project's trouble must not end the benchmark
                failures.append({"project": project, "error": f"{exc.__class__.__name__}: "
                                                              f"{exc}"})
    document = {
        "pairs": pairs, "failures": failures,
        "summary": {
            "pairs": len(pairs),
            "pairs_with_high_drift": sum(1 for p in pairs if p["high_drift"]),
            "drift_findings": sum(len(p["drift"]) for p in pairs),
            "verdict_raised": sum(1 for p in pairs
                                  if p["verdict_new_vs_old"] != p["verdict_new_alone"]),
            "not_clean_vs_old": sum(1 for p in pairs if p["verdict_new_vs_old"] != "clean"),
            "total_s": round(sum(p["elapsed_s"] for p in pairs), 2),
        },
    }
    text = json.dumps(document, indent=2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
