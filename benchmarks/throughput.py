"""Bulk-scan throughput on real packages: the bare floor against distscan's full scan.

Usage:
    python3 benchmarks/throughput.py [--first 300] [--every 1] [--cache DIR] [--workers 1,2]
                                     [--phases floor,scan,scan-noreuse,scan-parts,pool]
                                     [--out FILE]

Input: the latest wheel and sdist of the first N projects (by rank) in the benchmark cache that
``benchmarks/fetch_benign.py`` fills (``~/.cache/distscan-bench/benign/index.json``); only
files that are present with the size the index records are used, and the JSON says how many.

Phases, each over the same files:
- ``floor``: one process reads and decompresses every member (zipfile / tarfile, 1 MiB reads)
  and does nothing else. No scanner can be faster than this.
- ``scan``: one process runs ``scanner.pipeline.scan`` with every registered analyser on each
  file, after a warm-up scan (rules compiled). Reported as a share of the floor's rate.
- ``scan-parts``: the same as ``scan``, with every analyser hook timed (``cpu_s_by_part``:
  CPU seconds per hook, and the rest as unpacking and pipeline). The timers cost about a
  microsecond per hook call (``time.process_time`` is a system call), so ``scan`` itself runs
  without them.
- ``scan-noreuse``: the same as ``scan``, with the reuse of results for identical files switched off
  (Python import-time results, ``scanner.analyzers.python.memo``; content-rule findings,
  ``scanner.analyzers.yara_rules``): every file is analysed again.
- ``pool``: ``distscan bulk`` (``run_bulk`` into a fresh results store) with 1, then 2, ...
  local worker processes. Reports the speed-up, each worker's peak resident memory, and the
  CPU the workers got (a speed-up below the worker count with CPU use well below 100% per
  worker means the machine was busy, not that the pool does not scale).

The load average is recorded before and after every phase: on a shared machine, figures taken
under load understate the scanner. Writes JSON (``--out``) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# The same floor as the unpack benchmark: plain reads of every member, no checks.
from unpack import floor_read  # noqa: E402  (benchmarks/ is on sys.path as the script's folder)

from scanner import __version__  # noqa: E402
from scanner.analyzers import Analyzer, registered, yara_rules  # noqa: E402
from scanner.analyzers.python import memo  # noqa: E402
from scanner.bulk import BulkConfig, run_bulk  # noqa: E402
from scanner.bulk.worker import warm_up  # noqa: E402
from scanner.pipeline import ScanOptions, scan  # noqa: E402

DEFAULT_CACHE = Path.home() / ".cache" / "distscan-bench" / "benign"
DEFAULT_OUT = REPO / "benchmarks" / "out" / "throughput.json"


def select(cache: Path, first: int, every: int = 1) -> tuple[list[Path], dict]:
    """Files of the first ``first`` ranks that are present and complete (every ``every``-th
    of them, in rank order, for a quicker sample)."""
    index = json.loads((cache / "index.json").read_text())
    chosen, missing = [], 0
    for entry in index:
        if entry["rank"] > first:
            continue
        path = cache / entry["file"]
        if path.is_file() and path.stat().st_size == entry["size"]:
            chosen.append((entry["rank"], entry["kind"], path))
        else:
            missing += 1
    chosen.sort()
    chosen = chosen[::every]
    paths = [p for _, _, p in chosen]
    info = {
        "first_ranks": first,
        "sample_every": every,
        "projects": len({r for r, _, _ in chosen}),
        "artifacts": len(paths),
        "wheels": sum(1 for _, k, _ in chosen if k == "wheel"),
        "sdists": sum(1 for _, k, _ in chosen if k == "sdist"),
        "indexed_but_missing": missing,
        "compressed_bytes": sum(p.stat().st_size for p in paths),
    }
    return paths, info


# CPU seconds per analyser hook, filled by _Timed during the single-process scan.
SPENT: Counter = Counter()


@dataclass(frozen=True)
class _Timed:
    """Wraps an analyser hook to charge its CPU time (generators included) to ``key``."""

    inner: Callable
    key: str

    def __call__(self, *args):
        started = time.process_time()
        try:
            return list(self.inner(*args) or ())
        finally:
            SPENT[self.key] += time.process_time() - started


def timed(analyzers: tuple[Analyzer, ...]) -> tuple[Analyzer, ...]:
    return tuple(replace(
        a,
        on_member=_Timed(a.on_member, f"{a.name}.on_member") if a.on_member else None,
        on_artifact=_Timed(a.on_artifact, f"{a.name}.on_artifact") if a.on_artifact else None)
        for a in analyzers)


def _rates(count: int, compressed: int, wall: float) -> dict:
    return {"wall_s": round(wall, 2), "artifacts_per_s": round(count / wall, 2),
            "mb_per_s": round(compressed / wall / 1e6, 2)}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def phase_floor(paths: list[Path], compressed: int) -> dict:
    load_before = _load()
    cpu = time.process_time()
    started = time.perf_counter()
    uncompressed, failures = 0, 0
    for path in paths:
        try:
            uncompressed += floor_read(path)
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError):
            failures += 1
    wall = time.perf_counter() - started
    return {**_rates(len(paths), compressed, wall), "cpu_s": round(time.process_time() - cpu, 2),
            "uncompressed_bytes": uncompressed, "unreadable": failures,
            "load_before": load_before, "load_after": _load()}


def phase_scan(paths: list[Path], compressed: int, reuse: bool = True,
               parts: bool = False) -> dict:
    options = ScanOptions(analyzers=timed(registered()) if parts else registered())
    warm_up(options)
    SPENT.clear()
    # Identical files are analysed once per process (scanner.analyzers.python.memo, the
    # content rules' reuse); start empty, and let ``reuse=False`` show the speed without it.
    memo.clear()
    yara_rules.clear_reuse()
    memo.ENABLED = yara_rules.REUSE_ENABLED = reuse
    load_before = _load()
    cpu = time.process_time()
    started = time.perf_counter()
    verdicts: dict[str, int] = {}
    slowest: list[tuple[float, str]] = []
    for path in paths:
        result = scan(path, options, target=str(path))
        verdicts[str(result.verdict.level)] = verdicts.get(str(result.verdict.level), 0) + 1
        slowest.append((result.elapsed_ms, path.name))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    slowest.sort(reverse=True)
    # Where the CPU went: each analyser hook, and the rest (unpacking, hashing, scoring).
    breakdown = {key: round(spent, 2) for key, spent in SPENT.most_common()}
    if parts:
        breakdown["unpack_and_pipeline"] = round(cpu - sum(SPENT.values()), 2)
    memo.ENABLED = yara_rules.REUSE_ENABLED = True
    return {**_rates(len(paths), compressed, wall), "cpu_s": round(cpu, 2),
            "reuse_identical_files": reuse,
            **({"cpu_s_by_part": breakdown} if parts else {}), "verdicts": verdicts,
            "slowest_ms": [[n, round(ms)] for ms, n in slowest[:10]],
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load_before": load_before, "load_after": _load()}


def phase_pool(paths: list[Path], compressed: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="distscan-bench-") as tmp:
        listing = Path(tmp) / "paths.txt"
        listing.write_text("".join(f"{p}\n" for p in paths))
        cpu_by_worker: dict[str, float] = {}
        rss_by_worker: dict[str, int] = {}

        def on_result(item, outcome) -> None:
            cpu_by_worker[outcome.worker] = cpu_by_worker.get(outcome.worker, 0) + outcome.cpu_s
            rss_by_worker[outcome.worker] = max(rss_by_worker.get(outcome.worker, 0),
                                                outcome.peak_rss_kb)

        load_before = _load()
        parent_cpu = time.process_time()
        started = time.perf_counter()
        report = run_bulk(listing, Path(tmp) / "results.db", BulkConfig(workers=workers),
                          on_result=on_result)
        wall = time.perf_counter() - started
        parent_cpu = time.process_time() - parent_cpu
    worker_cpu = sum(cpu_by_worker.values())
    return {**_rates(report.scanned, compressed, wall), "workers": workers,
            "scanned": report.scanned, "verdicts": dict(report.verdicts),
            "worker_cpu_s": round(worker_cpu, 2),
            # The coordinating process (listing, store writes, progress): should be tiny.
            "parent_cpu_s": round(parent_cpu, 2),
            # CPU the workers got per second of wall time, per worker (1.0 = a whole core each).
            "cpu_share_per_worker": round(worker_cpu / wall / workers, 2),
            "peak_rss_mib_per_worker": sorted(round(v / 1024) for v in rss_by_worker.values()),
            "load_before": load_before, "load_after": _load()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--first", type=int, default=300)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--every", type=int, default=1,
                        help="measure every N-th artifact only (a quick sample; default 1)")
    parser.add_argument("--workers", default="1,2", help="pool sizes to time, comma-separated")
    parser.add_argument("--phases", default="floor,scan,pool")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="JSON output (default: benchmarks/out/throughput.json)")
    args = parser.parse_args()
    if not (args.cache / "index.json").is_file():
        print(f"no benchmark cache at {args.cache}; run benchmarks/fetch_benign.py",
              file=sys.stderr)
        return 2
    paths, inputs = select(args.cache, args.first, max(1, args.every))
    if not paths:
        print("no cached artifacts to measure", file=sys.stderr)
        return 2
    phases = set(args.phases.split(","))
    compressed = inputs["compressed_bytes"]
    doc: dict = {
        "tool": {"name": "distscan", "version": __version__},
        "analyzers": [a.name for a in registered()],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "inputs": inputs,
    }
    print(f"{inputs['artifacts']} artifacts ({inputs['wheels']} wheels, {inputs['sdists']} "
          f"sdists) of {inputs['projects']} projects, {compressed / 1e6:,.0f} MB; load "
          f"{_load()}", flush=True)
    if "floor" in phases:
        doc["floor"] = phase_floor(paths, compressed)
        print(f"floor: {_line(doc['floor'])}", flush=True)
    if "scan" in phases:
        doc["scan"] = phase_scan(paths, compressed)
        print(f"full scan, 1 process: {_line(doc['scan'])}", flush=True)
    if "scan-parts" in phases:
        doc["scan_parts"] = phase_scan(paths, compressed, parts=True)
        print(f"full scan, 1 process, every analyser hook timed: {_line(doc['scan_parts'])}",
              flush=True)
        print(f"  CPU s by part: {doc['scan_parts']['cpu_s_by_part']}", flush=True)
    if "scan-noreuse" in phases:
        doc["scan_noreuse"] = phase_scan(paths, compressed, reuse=False)
        print(f"full scan, 1 process, identical files analysed again: "
              f"{_line(doc['scan_noreuse'])}", flush=True)
    for key, label in (("scan", ""), ("scan_noreuse", "_noreuse")):
        if "floor" in doc and key in doc:
            share = doc[key]["artifacts_per_s"] / doc["floor"]["artifacts_per_s"]
            doc[f"scan_share_of_floor{label}"] = round(share, 3)
            # The same ratio in CPU time, which a busy machine disturbs less than wall time.
            by_cpu = doc["floor"]["cpu_s"] / max(doc[key]["cpu_s"], 1e-9)
            doc[f"scan_share_of_floor_by_cpu{label}"] = round(by_cpu, 3)
            print(f"full scan{' without reuse' if label else ''} runs at {share:.0%} of the "
                  f"floor's rate ({by_cpu:.0%} by CPU time; target: at least 25%)")
    if "pool" in phases:
        doc["pool"] = [phase_pool(paths, compressed, int(w)) for w in args.workers.split(",")]
        for run in doc["pool"]:
            print(f"bulk, {run['workers']} worker(s): {_line(run)}; CPU per worker "
                  f"{run['cpu_share_per_worker']:.0%}; peak RSS per worker "
                  f"{run['peak_rss_mib_per_worker']} MiB", flush=True)
        by_workers = {run["workers"]: run for run in doc["pool"]}
        if 1 in by_workers and 2 in by_workers:
            speedup = by_workers[1]["wall_s"] / by_workers[2]["wall_s"]
            doc["speedup_1_to_2_workers"] = round(speedup, 2)
            print(f"1 -> 2 workers: {speedup:.2f}x (target: at least 1.7x)")
    doc["finished_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


def _line(phase: dict) -> str:
    return (f"{phase['artifacts_per_s']:.2f} artifacts/s, {phase['mb_per_s']:.1f} MB/s "
            f"({phase['wall_s']:.1f} s wall, load {phase['load_before']} -> "
            f"{phase['load_after']})")


if __name__ == "__main__":
    sys.exit(main())
