"""Family-level recall of the Python analyser on the malware development set.

Scans every sample under ``--root`` (default ``/tmp/mal/malware-dev``, extracted read-only by
the lead) with only the Python analyser and the current scorer, and prints per-family results
and the misses. Never imports or runs the samples: they are only read as archives.

    nice python3 benchmarks/python_recall.py [--root DIR] [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scanner.analyzers.python import ANALYZER
from scanner.pipeline import ScanOptions, scan

OPTIONS = ScanOptions(analyzers=(ANALYZER,))


def scan_one(args: tuple[str, str]) -> dict:
    sample_id, path = args
    result = scan(path, OPTIONS)
    top = sorted(result.findings, key=lambda f: (f.severity, f.confidence), reverse=True)[:3]
    return {"sample": sample_id, "verdict": str(result.verdict.level),
            "score": result.verdict.score, "error": result.error,
            "top": [f"{f.rule}/{f.severity}/{f.context}" for f in top]}


def samples(root: Path) -> list[tuple[dict, str]]:
    out = []
    with open(root / "manifest.csv", newline="") as fp:
        for row in csv.DictReader(fp):
            folder = root / row["sample_id"]
            if not folder.is_dir():
                continue
            files = sorted(p for p in folder.iterdir() if p.is_file())
            if files:
                out.append((row, str(files[0])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default="/tmp/mal/malware-dev")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/out/python_recall.json")
    args = parser.parse_args()
    rows = samples(Path(args.root))
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(scan_one, [(r["sample_id"], p) for r, p in rows],
                                chunksize=8))
    elapsed = time.perf_counter() - started
    families: dict[str, list] = defaultdict(list)
    for (row, _), result in zip(rows, results):
        families[row["family"]].append((row, result))
    flagged = {"suspicious", "malicious"}
    family_hit = {f for f, items in families.items()
                  if any(r["verdict"] in flagged for _, r in items)}
    sample_hit = sum(r["verdict"] in flagged for r in results)
    misses = sorted(set(families) - family_hit)
    report = {
        "samples": len(results), "families": len(families),
        "samples_flagged": sample_hit, "families_flagged": len(family_hit),
        "family_recall": round(len(family_hit) / max(1, len(families)), 4),
        "sample_recall": round(sample_hit / max(1, len(results)), 4),
        "errors": sum(1 for r in results if r["error"]),
        "elapsed_s": round(elapsed, 1),
        "missed_families": [
            {"family": f, "samples": [(row["sample_id"], row["package_name"], r["score"],
                                       r["error"], r["top"]) for row, r in families[f][:2]]}
            for f in misses],
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "missed_families"}, indent=1))
    for miss in report["missed_families"]:
        print("MISS", miss["family"], miss["samples"][0])


if __name__ == "__main__":
    main()
