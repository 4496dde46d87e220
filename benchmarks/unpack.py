"""How close distscan's unpacking comes to the cost of plainly reading every member.

Usage:
    python3 benchmarks/unpack.py DIR [--limit N] [--repeat R] [--json OUT]

For every artifact under DIR (the benign cache written by fetch_benign.py; with its
``index.json`` the artifacts are taken in popularity order, so ``--limit 300`` means the first
packages), in one single-threaded process, measure:

  (a) the floor: ``zipfile`` / ``tarfile`` reading every member to its end, with no checks;
  (b) distscan: the artifact opened as ``scanner.pipeline.scan`` opens it with default
      options (``open_for_scan``), ``entries()`` consumed fully, with no analysers (this
      includes the artifact digest, which is waited for at the end as ``scan()`` reports it,
      member digests where the scan needs them (wheels, for the RECORD check), CRC checks,
      name and layout checks, bounded reads and nested archives).

The page cache is warmed first. The two are interleaved per artifact (alternating which goes
first) and each artifact is measured ``--repeat`` times, keeping the fastest time of each, so
that load from other processes on the machine disturbs the comparison as little as possible.
Wall time is what the ratio uses; CPU time (``time.process_time``, every thread of the
process) is reported next to it, because it is steadier on a loaded machine and shows what
distscan's helper thread for hashing costs in total.
Prints a summary and writes JSON (default ``benchmarks/out/unpack.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tarfile
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scanner.pipeline import ScanOptions, open_for_scan  # noqa: E402
from scanner.unpack import UnreadableArtifact  # noqa: E402
from scanner.unpack.detect import ZIP, sniff  # noqa: E402

SUFFIXES = (".whl", ".zip", ".egg", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")
CHUNK = 1 << 20


@dataclass(frozen=True)
class Measurement:
    file: str
    kind: str  # wheel or sdist
    compressed: int
    uncompressed: int  # bytes the floor read
    floor_s: float
    distscan_s: float
    distscan_bytes: int  # bytes distscan read, nested archives included
    floor_cpu_s: float = 0.0
    distscan_cpu_s: float = 0.0


def artifacts_in(folder: Path, limit: int | None) -> list[Path]:
    index = folder / "index.json"
    if index.is_file():
        entries = sorted(json.loads(index.read_text()), key=lambda e: (e["rank"], e["file"]))
        paths = [folder / e["file"] for e in entries]
        paths = [p for p in paths if p.is_file()]
    else:
        paths = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
    return paths[:limit] if limit else paths


def floor_read(path: Path) -> int:
    """Plain reads of every member to its end; returns the bytes produced."""
    produced = 0
    with open(path, "rb") as handle:
        is_zip = sniff(handle.read(8)) == ZIP
    if is_zip:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                with archive.open(info) as member:
                    while block := member.read(CHUNK):
                        produced += len(block)
        return produced
    with tarfile.open(path, mode="r|*") as archive:
        for info in archive:
            if not info.isfile():
                continue
            member = archive.extractfile(info)
            while block := member.read(CHUNK):
                produced += len(block)
    return produced


def distscan_read(path: Path, options: ScanOptions) -> int:
    produced = 0
    opened = open_for_scan(path, options)
    for entry in opened.entries():
        produced += entry.read_size
    # scan() reports the artifact's digest; a large one is hashed on a helper thread during
    # the walk, so wait for it here too.
    if opened.sha256 is None:
        raise ValueError(f"{path}: no artifact digest")
    return produced


def _timed(action, *args) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of every thread, what ``action`` returned)."""
    cpu = time.process_time()
    started = time.perf_counter()
    produced = action(*args)
    return time.perf_counter() - started, time.process_time() - cpu, produced


def measure(path: Path, root: Path, repeat: int, options: ScanOptions,
            turn: int) -> Measurement:
    floor_best = distscan_best = floor_cpu = distscan_cpu = float("inf")
    uncompressed = distscan_bytes = 0
    for attempt in range(repeat):
        # Alternate which goes first, so that neither always gets the warmer caches.
        if (turn + attempt) % 2 == 0:
            floor_s, floor_c, uncompressed = _timed(floor_read, path)
            distscan_s, distscan_c, distscan_bytes = _timed(distscan_read, path, options)
        else:
            distscan_s, distscan_c, distscan_bytes = _timed(distscan_read, path, options)
            floor_s, floor_c, uncompressed = _timed(floor_read, path)
        floor_best = min(floor_best, floor_s)
        distscan_best = min(distscan_best, distscan_s)
        floor_cpu = min(floor_cpu, floor_c)
        distscan_cpu = min(distscan_cpu, distscan_c)
    kind = "wheel" if path.name.endswith(".whl") else "sdist"
    return Measurement(str(path.relative_to(root)), kind, path.stat().st_size, uncompressed,
                       floor_best, distscan_best, distscan_bytes, floor_cpu, distscan_cpu)


def summarise(rows: list[Measurement]) -> dict:
    def block(selected: list[Measurement]) -> dict:
        floor = sum(r.floor_s for r in selected)
        ours = sum(r.distscan_s for r in selected)
        floor_cpu = sum(r.floor_cpu_s for r in selected)
        ours_cpu = sum(r.distscan_cpu_s for r in selected)
        compressed = sum(r.compressed for r in selected) / 1e6
        uncompressed = sum(r.uncompressed for r in selected) / 1e6
        return {
            "artifacts": len(selected),
            "compressed_mb": round(compressed, 1),
            "uncompressed_mb": round(uncompressed, 1),
            "floor": {"seconds": round(floor, 3),
                      "artifacts_per_s": round(len(selected) / floor, 1) if floor else None,
                      "mb_per_s_compressed": round(compressed / floor, 1) if floor else None,
                      "mb_per_s_uncompressed": round(uncompressed / floor, 1) if floor else None},
            "distscan": {"seconds": round(ours, 3),
                         "artifacts_per_s": round(len(selected) / ours, 1) if ours else None,
                         "mb_per_s_compressed": round(compressed / ours, 1) if ours else None,
                         "mb_per_s_uncompressed": round(uncompressed / ours, 1) if ours else None},
            # Throughput of distscan's unpack as a share of the floor's (target >= 0.8).
            "ratio": round(floor / ours, 3) if ours else None,
            "cpu_seconds": {"floor": round(floor_cpu, 3), "distscan": round(ours_cpu, 3)},
            "cpu_ratio": round(floor_cpu / ours_cpu, 3) if ours_cpu else None,
        }

    return {"all": block(rows), "wheel": block([r for r in rows if r.kind == "wheel"]),
            "sdist": block([r for r in rows if r.kind == "sdist"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="first N artifacts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per artifact; best kept")
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks" / "out" / "unpack.json",
                        dest="json_out")
    parser.add_argument("--top", type=int, default=10, help="slowest ratios to list")
    args = parser.parse_args(argv)

    paths = artifacts_in(args.folder, args.limit)
    if not paths:
        parser.error(f"no artifacts under {args.folder}")
    for path in paths:  # warm the page cache: measure CPU, not the disk
        path.read_bytes()
    options = ScanOptions()  # what `distscan scan` uses without a policy
    rows: list[Measurement] = []
    skipped: list[dict] = []
    started = time.monotonic()
    for turn, path in enumerate(paths):
        try:
            rows.append(measure(path, args.folder, args.repeat, options, turn))
        except (UnreadableArtifact, zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
            skipped.append({"file": str(path), "error": f"{exc.__class__.__name__}: {exc}"})
    summary = summarise(rows)
    slowest = sorted(rows, key=lambda r: r.floor_s / max(r.distscan_s, 1e-9))[: args.top]
    report = {
        "benchmark": "unpack",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "repeat": args.repeat,
        "wall_seconds": round(time.monotonic() - started, 1),
        "summary": summary,
        "slowest_ratio": [asdict(r) | {"ratio": round(r.floor_s / max(r.distscan_s, 1e-9), 3)}
                          for r in slowest],
        "skipped": skipped,
        "artifacts": [asdict(r) for r in rows],
    }
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(report, indent=1) + "\n")
    for name, block in summary.items():
        if not block["artifacts"]:
            continue
        print(f"{name:6} {block['artifacts']:5} artifacts {block['compressed_mb']:8.1f} MB "
              f"-> {block['uncompressed_mb']:8.1f} MB | floor {block['floor']['seconds']:7.2f} s "
              f"({block['floor']['artifacts_per_s']} art/s, "
              f"{block['floor']['mb_per_s_compressed']} MB/s) | distscan "
              f"{block['distscan']['seconds']:7.2f} s ({block['distscan']['artifacts_per_s']} "
              f"art/s, {block['distscan']['mb_per_s_compressed']} MB/s) | ratio {block['ratio']}"
              f" (CPU {block['cpu_ratio']})")
    print(f"skipped {len(skipped)}; load average {report['load_average']}; "
          f"JSON in {args.json_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
