"""Fetch the latest wheel and sdist of popular PyPI projects into a local benchmark cache.

Usage:
    python3 benchmarks/fetch_benign.py [--first N] [--dest DIR] [--jobs J] [--max-mb MB]

Reads ``../shared/benign/popular-odd-ranks.txt`` (relative to the repository), asks PyPI's JSON
API for each project's latest release, picks one wheel (``py3-none-any`` first, then a manylinux
x86_64 wheel for CPython 3.11 or abi3, then any) and one sdist, and downloads them into
``DEST/<project>/<file>`` after verifying sha256. Files already present with the right digest
are skipped, so the script can be re-run to resume. Projects are processed in rank order with a
few download threads, and ``DEST/index.json`` is rewritten as it goes so that other tools can
use the first packages while the rest are still downloading. Failures are reported in
``DEST/failures.json`` and on stderr; they never stop the run.

Standard library only: the benchmark must run wherever the scanner runs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_LIST = REPO.parent / "shared" / "benign" / "popular-odd-ranks.txt"
DEFAULT_DEST = Path.home() / ".cache" / "distscan-bench" / "benign"
JSON_API = "https://pypi.org/pypi/{name}/json"
USER_AGENT = "distscan-benchmark-fetch/0.1 (+https://pypi.org)"
ATTEMPTS = 3
CHUNK = 1 << 20


@dataclass(frozen=True)
class Candidate:
    filename: str
    url: str
    sha256: str
    size: int
    packagetype: str


@dataclass(frozen=True)
class Fetched:
    project: str
    file: str  # relative to DEST
    sha256: str
    size: int
    rank: int  # 1-based position in the list (the list holds odd popularity ranks)
    kind: str  # "wheel" or "sdist"


@dataclass(frozen=True)
class Failure:
    project: str
    rank: int
    reason: str


def _request(url: str, *, accept: str = "application/json", timeout: float = 60.0):
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": USER_AGENT})
    return urllib.request.urlopen(request, timeout=timeout)


def _with_retry(action, what: str):
    """Run ``action`` up to ATTEMPTS times; 404s are final, other errors back off and retry."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return action()
        except urllib.error.HTTPError as error:
            if error.code == 404 or attempt == ATTEMPTS:
                raise RuntimeError(f"{what}: HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            if attempt == ATTEMPTS:
                raise RuntimeError(f"{what}: {error}") from error
        time.sleep(2.0 * attempt)
    raise AssertionError("unreachable")


def release_files(project: str) -> list[Candidate]:
    api_url = JSON_API.format(name=project)

    def load() -> dict:
        with _request(api_url) as response:
            return json.load(response)

    document = _with_retry(load, f"metadata for {project}")
    # Mirrors answer with URLs relative to the API document; resolve them against it.
    return [
        Candidate(
            filename=item["filename"],
            url=urllib.parse.urljoin(api_url, item["url"]),
            sha256=item["digests"]["sha256"],
            size=int(item.get("size") or 0),
            packagetype=item["packagetype"],
        )
        for item in document.get("urls", [])
        if not item.get("yanked")
    ]


def _wheel_tags(filename: str) -> set[tuple[str, str, str]]:
    """Expanded (interpreter, abi, platform) triples; an empty set when the name is odd."""
    parts = filename[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        return set()
    interpreters, abis, platforms = parts[-3], parts[-2], parts[-1]
    return {
        (i, a, p)
        for i in interpreters.split(".")
        for a in abis.split(".")
        for p in platforms.split(".")
    }


def _wheel_preference(filename: str) -> int:
    """Lower is better: pure py3, then CPython 3.11 / abi3 / ABI-free manylinux x86_64, then
    anything."""
    tags = _wheel_tags(filename)
    if any(i in ("py3", "py311") and a == "none" and p == "any" for i, a, p in tags):
        return 0
    linux = [(i, a) for i, a, p in tags if p.startswith("manylinux") and p.endswith("x86_64")]
    if any(i == "cp311" and a == "cp311" for i, a in linux):
        return 1
    if any(a == "abi3" for _, a in linux):
        return 2
    if any(i in ("py3", "cp311") and a == "none" for i, a in linux):
        return 3  # binaries without a Python ABI (CUDA libraries and the like)
    if any(p == "any" for _, _, p in tags):
        return 4
    return 5


def choose(candidates: list[Candidate]) -> list[Candidate]:
    wheels = [c for c in candidates if c.packagetype == "bdist_wheel"]
    sdists = [c for c in candidates if c.packagetype == "sdist"]
    chosen = []
    if wheels:
        chosen.append(min(wheels, key=lambda c: (_wheel_preference(c.filename), c.filename)))
    if sdists:
        # .tar.gz is the PEP 625 form; older releases sometimes have a .zip beside it.
        chosen.append(min(sdists, key=lambda c: (not c.filename.endswith(".tar.gz"), c.filename)))
    return chosen


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def download(candidate: Candidate, target: Path) -> None:
    if (target.exists() and target.stat().st_size == candidate.size
            and _sha256_of(target) == candidate.sha256):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")

    def fetch() -> None:
        digest = hashlib.sha256()
        with _request(candidate.url, accept="*/*", timeout=120.0) as response, partial.open(
            "wb"
        ) as out:
            while block := response.read(CHUNK):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != candidate.sha256:
            partial.unlink(missing_ok=True)
            raise OSError(f"sha256 mismatch for {candidate.filename}")

    _with_retry(fetch, f"download of {candidate.filename}")
    os.replace(partial, target)


def fetch_project(
    project: str, rank: int, dest: Path, max_bytes: int
) -> tuple[list[Fetched], list[Failure]]:
    fetched: list[Fetched] = []
    failures: list[Failure] = []
    try:
        chosen = choose(release_files(project))
    except (RuntimeError, ValueError, KeyError) as error:
        return [], [Failure(project, rank, str(error))]
    if not chosen:
        return [], [Failure(project, rank, "latest release has no wheel or sdist")]
    for candidate in chosen:
        if os.sep in candidate.filename or candidate.filename.startswith("."):
            failures.append(Failure(project, rank, f"unsafe filename {candidate.filename!r}"))
            continue
        if candidate.size > max_bytes:
            failures.append(
                Failure(project, rank, f"skipped {candidate.filename}: {candidate.size} bytes")
            )
            continue
        relative = Path(project) / candidate.filename
        try:
            download(candidate, dest / relative)
        except (RuntimeError, ValueError) as error:
            failures.append(Failure(project, rank, str(error)))
            continue
        kind = "wheel" if candidate.packagetype == "bdist_wheel" else "sdist"
        fetched.append(
            Fetched(project, str(relative), candidate.sha256, candidate.size, rank, kind)
        )
    return fetched, failures


def _write_json_atomically(path: Path, payload: object) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(payload, indent=1) + "\n")
    os.replace(temporary, path)


def read_projects(path: Path, first: int) -> list[str]:
    names = [line.strip() for line in path.read_text().splitlines()]
    return [name for name in names if name and not name.startswith("#")][:first]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=100, help="how many projects, in rank order")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    parser.add_argument("--list", type=Path, default=DEFAULT_LIST, dest="project_list")
    parser.add_argument("--jobs", type=int, default=4, help="parallel downloads")
    parser.add_argument(
        "--max-mb", type=float, default=150.0, help="skip files larger than this (GPU wheels)"
    )
    args = parser.parse_args(argv)

    projects = read_projects(args.project_list, args.first)
    args.dest.mkdir(parents=True, exist_ok=True)
    max_bytes = int(args.max_mb * 1024 * 1024)
    lock = threading.Lock()
    done: dict[int, tuple[list[Fetched], list[Failure]]] = {}
    started = time.monotonic()

    # A re-run keeps the previous index entries of projects it has not reached yet, so that
    # readers never see a shrunken index.
    previous: dict[int, list[dict]] = {}
    if (args.dest / "index.json").exists():
        for entry in json.loads((args.dest / "index.json").read_text()):
            previous.setdefault(entry["rank"], []).append(entry)

    def flush() -> None:
        ordered = [done[rank] for rank in sorted(done)]
        entries = {rank: [asdict(f) for f in fetched] for rank, (fetched, _) in done.items()}
        kept = {rank: old for rank, old in previous.items() if rank not in done}
        _write_json_atomically(
            args.dest / "index.json",
            [entry for rank in sorted(entries | kept) for entry in (entries | kept)[rank]],
        )
        _write_json_atomically(
            args.dest / "failures.json", [asdict(f) for _, failures in ordered for f in failures]
        )

    # A small pool keeps work in rank order: early ranks finish first and are usable at once.
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            pool.submit(fetch_project, name, rank, args.dest, max_bytes): rank
            for rank, name in enumerate(projects, start=1)
        }
        for count, future in enumerate(concurrent.futures.as_completed(futures), start=1):
            rank = futures[future]
            fetched, failures = future.result()
            with lock:
                done[rank] = (fetched, failures)
                for failure in failures:
                    print(f"FAIL #{failure.rank} {failure.project}: {failure.reason}",
                          file=sys.stderr, flush=True)
                if count % 10 == 0 or count == len(futures):
                    flush()
                    elapsed = time.monotonic() - started
                    print(f"{count}/{len(futures)} projects in {elapsed:.0f}s", flush=True)

    files = sum(len(fetched) for fetched, _ in done.values())
    failed = sum(len(failures) for _, failures in done.values())
    print(f"done: {files} files, {failed} failures, index at {args.dest / 'index.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
