"""Accuracy over labelled sets: confusion table, recall (per sample and family-macro), precision,
false-positive rate per verdict level, misses and false positives by name.

    python3 benchmarks/accuracy.py [--sets corpus,malware,benign] [--workers 2] [--limit N]
    python3 benchmarks/accuracy.py --rescore      # re-score saved findings, no re-scan

Sets:
- ``corpus``: ``corpus/`` built into a temporary folder with ``corpus/build.py``; truth is the
  sample's folder (malicious/ or benign/), the expected verdict is checked too.
- ``malware``: the development malware, ``/tmp/mal/malware-dev`` when present, else
  ``../shared/malware/malware-dev.zip`` extracted to a temporary folder. Family = manifest
  ``family`` column. Samples the manifest marks ``CORRUPT`` must come out ``error`` and are left
  out of recall (reported separately).
- ``benign``: the popular packages cached by ``benchmarks/fetch_benign.py`` under
  ``~/.cache/distscan-bench/benign/`` (whatever ``index.json`` lists and is on disk).

Scanned findings are saved to ``benchmarks/out/findings-<set>.jsonl`` so that scorer changes can
be measured with ``--rescore`` in seconds. The report goes to stdout and
``benchmarks/out/accuracy.json``.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scanner.model import Confidence, Context, Finding, Severity  # noqa: E402
from scanner.pipeline import ScanOptions  # noqa: E402
from scanner.runner import scan_many  # noqa: E402
from scanner.scoring import Thresholds, score  # noqa: E402
from scanner.targets import Target  # noqa: E402

OUT = REPO / "benchmarks" / "out"
MALWARE_DIR = Path("/tmp/mal/malware-dev")
MALWARE_ZIP = REPO.parent / "shared" / "malware" / "malware-dev.zip"
BENIGN_DIR = Path.home() / ".cache" / "distscan-bench" / "benign"
LEVELS = ("clean", "suspicious", "malicious", "error")


@dataclass(frozen=True)
class Item:
    """One labelled artifact. truth: malicious|benign; expected: a verdict (corpus only)."""

    path: Path
    name: str
    truth: str
    family: str
    expected: str | None = None
    unscannable: bool = False


# ------------------------------------------------------------------------- the sets

def corpus_items(workdir: Path) -> list[Item]:
    spec = importlib.util.spec_from_file_location("corpus_build", REPO / "corpus" / "build.py")
    build = importlib.util.module_from_spec(spec)
    sys.modules["corpus_build"] = build  # dataclasses look their module up while defining
    spec.loader.exec_module(build)
    labels = build.build_all(workdir / "corpus")
    return [Item(workdir / "corpus" / e["artifact"], e["sample"], e["label"], e["family"],
                 e["verdict"]) for e in labels]


def malware_root(workdir: Path) -> Path | None:
    if (MALWARE_DIR / "manifest.csv").is_file():
        return MALWARE_DIR
    if not MALWARE_ZIP.is_file():
        return None
    dest = workdir / "malware"
    dest.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["unzip", "-q", "-P", "infected", str(MALWARE_ZIP), "-d", str(dest)],
                       check=True)
    except (OSError, subprocess.CalledProcessError):
        with zipfile.ZipFile(MALWARE_ZIP) as zf:
            zf.extractall(dest, pwd=b"infected")
    return dest / "malware-dev"


def malware_items(workdir: Path) -> list[Item]:
    root = malware_root(workdir)
    if root is None:
        print("malware: no development set found; skipped", file=sys.stderr)
        return []
    items = []
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fp:
        for row in csv.DictReader(fp):
            folder = root / row["sample_id"]
            path = folder / row["artifact_filename"]
            if not path.exists():
                files = [p for p in folder.iterdir()] if folder.is_dir() else []
                path = files[0] if len(files) == 1 else folder
            items.append(Item(path, f"{row['sample_id']} {row['package_name']} {row['version']}",
                              "malicious", row["family"],
                              unscannable="CORRUPT" in row["notes"]))
    return items


def benign_items(_workdir: Path) -> list[Item]:
    index = BENIGN_DIR / "index.json"
    if not index.is_file():
        print(f"benign: no cache at {BENIGN_DIR}; skipped", file=sys.stderr)
        return []
    items = []
    for entry in json.loads(index.read_text("utf-8")):
        path = BENIGN_DIR / entry["file"]
        if path.is_file():
            items.append(Item(path, entry["file"], "benign", entry["project"]))
    return items


SETS = {"corpus": corpus_items, "malware": malware_items, "benign": benign_items}


# ------------------------------------------------------------------------- scanning

def _finding_from(d: dict) -> Finding:
    return Finding(d["rule"], d["category"], Severity[d["severity"].upper()],
                   Confidence[d["confidence"].upper()], Context(d["context"]), d["message"],
                   d["path"], d["line"], d["evidence"])


def findings_path(name: str, tag: str = "") -> Path:
    """Where a set's findings are saved; a tag keeps concurrent runs from overwriting each
    other's files (``findings-malware-<tag>.jsonl``)."""
    return OUT / f"findings-{name}{'-' + tag if tag else ''}.jsonl"


def scan_set(name: str, items: list[Item], workers: int, options: ScanOptions | None = None,
             resume: bool = False, tag: str = "") -> list[dict]:
    """Scan a set; rows hold the name, error and every finding (for re-scoring). Rows are
    appended to ``findings-<set>[-<tag>].jsonl`` as they finish; ``resume`` keeps rows
    already there."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = findings_path(name, tag)
    saved = _read_rows(path) if resume else {}
    rows: list[dict | None] = [saved.get(item.name) for item in items]
    todo = [i for i, row in enumerate(rows) if row is None]
    targets = [Target(items[i].path, items[i].name) for i in todo]
    started = time.perf_counter()
    with open(path, "a" if resume else "w", encoding="utf-8") as fp:
        for done, (index, result) in enumerate(scan_many(targets, options or ScanOptions(),
                                                         workers), 1):
            row = {"name": items[todo[index]].name, "error": result.error,
                   "elapsed_ms": result.elapsed_ms,
                   "findings": [f.to_dict() for f in result.findings
                                if not f.rule.startswith("score.")]}
            rows[todo[index]] = row
            fp.write(json.dumps(row) + "\n")
            fp.flush()
            if done % 100 == 0:
                print(f"  {name}: {done}/{len(targets)} in {time.perf_counter() - started:.0f} s",
                      file=sys.stderr)
    return rows


def _read_rows(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    rows = {}
    for line in path.read_text("utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by an interrupted run
        rows[row["name"]] = row
    return rows


def load_saved(name: str, items: list[Item], tag: str = "") -> list[dict] | None:
    """Saved rows for ``items``; items never scanned are left out (with a note)."""
    saved = _read_rows(findings_path(name, tag))
    if not saved:
        return None
    missing = sum(item.name not in saved for item in items)
    if missing:
        print(f"  {name}: {missing} of {len(items)} artifacts have no saved findings; "
              "left out", file=sys.stderr)
    return [saved.get(item.name) for item in items]


# ------------------------------------------------------------------------- metrics

def verdict_of(row: dict, thresholds: Thresholds) -> tuple[str, float, list[str]]:
    if row["error"]:
        return "error", 0.0, []
    verdict = score([_finding_from(d) for d in row["findings"]], thresholds)
    return str(verdict.level), verdict.score, [f.rule for f in verdict.reasons]


def evaluate(name: str, items: list[Item], rows: list[dict], thresholds: Thresholds) -> dict:
    confusion: dict[str, Counter] = defaultdict(Counter)
    per_family: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    misses, false_positives, expectation_failures, unscannable = [], [], [], Counter()
    rule_causes: Counter = Counter()
    for item, row in zip(items, rows):
        if row is None:
            continue
        level, points, reasons = verdict_of(row, thresholds)
        confusion[item.truth][level] += 1
        if item.expected is not None and level != item.expected:
            expectation_failures.append({"name": item.name, "expected": item.expected,
                                         "got": level, "score": points, "reasons": reasons})
        if item.truth == "malicious":
            if item.unscannable:
                unscannable[level] += 1
                continue
            flagged = level in ("suspicious", "malicious")
            per_family[item.family].append((flagged, level == "malicious"))
            if level != "malicious":
                misses.append({"name": item.name, "family": item.family, "verdict": level,
                               "score": points, "reasons": reasons,
                               "error": row["error"],
                               "rules": sorted({f["rule"] for f in row["findings"]})})
        elif level in ("suspicious", "malicious"):
            cause = next((r for r in reasons if not r.startswith("score.")), "?")
            rule_causes[cause] += 1
            false_positives.append({"name": item.name, "verdict": level, "score": points,
                                    "reasons": reasons})
    report: dict = {"set": name, "artifacts": sum(row is not None for row in rows),
                    "confusion": {t: dict(c) for t, c in confusion.items()}}
    positives = [(f, m) for fam in per_family.values() for f, m in fam]
    if positives:
        report["recall"] = {
            "samples": len(positives), "families": len(per_family),
            "sample_suspicious_or_worse": _ratio(sum(f for f, _ in positives), len(positives)),
            "sample_malicious": _ratio(sum(m for _, m in positives), len(positives)),
            "family_macro_suspicious_or_worse": _mean(
                [sum(f for f, _ in fam) / len(fam) for fam in per_family.values()]),
            "family_macro_malicious": _mean(
                [sum(m for _, m in fam) / len(fam) for fam in per_family.values()]),
            "unscannable_by_manifest": dict(unscannable),
        }
        report["misses"] = sorted(misses, key=lambda m: (m["verdict"], m["name"]))
    negatives = confusion.get("benign")
    if negatives:
        n = sum(negatives.values())
        report["false_positive_rate"] = {
            "benign_artifacts": n,
            "suspicious_or_worse": _ratio(negatives["suspicious"] + negatives["malicious"], n),
            "suspicious": _ratio(negatives["suspicious"], n),
            "malicious": _ratio(negatives["malicious"], n),
            "error": _ratio(negatives["error"], n),
        }
        report["false_positives"] = false_positives
        report["false_positive_causes"] = dict(rule_causes.most_common())
    if item_expected := [i for i in items if i.expected is not None]:
        report["expected_verdicts_met"] = _ratio(len(item_expected) - len(expectation_failures),
                                                 len(item_expected))
        report["expectation_failures"] = expectation_failures
    return report


def precision(reports: list[dict]) -> dict:
    """Precision at each level over every set scanned (malicious truth vs benign truth)."""
    out = {}
    for level, hits in (("suspicious_or_worse", ("suspicious", "malicious")),
                        ("malicious", ("malicious",))):
        tp = sum(r["confusion"].get("malicious", {}).get(h, 0) for r in reports for h in hits)
        fp = sum(r["confusion"].get("benign", {}).get(h, 0) for r in reports for h in hits)
        out[level] = _ratio(tp, tp + fp)
    return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


# ------------------------------------------------------------------------- output

def print_report(report: dict) -> None:
    print(f"\n== {report['set']}: {report['artifacts']} artifacts")
    print(f"   {'truth':<10}" + "".join(f"{lv:>12}" for lv in LEVELS))
    for truth, counts in sorted(report["confusion"].items()):
        print(f"   {truth:<10}" + "".join(f"{counts.get(lv, 0):>12}" for lv in LEVELS))
    if "recall" in report:
        r = report["recall"]
        print(f"   recall, {r['samples']} samples / {r['families']} families: "
              f"sample >=suspicious {_pct(r['sample_suspicious_or_worse'])}, "
              f"malicious {_pct(r['sample_malicious'])}; family-macro >=suspicious "
              f"{_pct(r['family_macro_suspicious_or_worse'])}, malicious "
              f"{_pct(r['family_macro_malicious'])}")
        if r["unscannable_by_manifest"]:
            print(f"   manifest-CORRUPT samples (left out of recall): "
                  f"{r['unscannable_by_manifest']}")
        shown = [m for m in report["misses"] if m["verdict"] in ("clean", "error")]
        print(f"   misses (clean or error): {len(shown)}")
        for m in shown:  # every one: the list is what RESULTS.md explains
            print(f"     {m['verdict']:<6} {m['name']} [{m['family']}] "
                  f"{m['error'] or ', '.join(m['rules'][:6]) or 'no findings'}")
    if "false_positive_rate" in report:
        f = report["false_positive_rate"]
        print(f"   false positives: >=suspicious {_pct(f['suspicious_or_worse'])}, suspicious "
              f"{_pct(f['suspicious'])}, malicious {_pct(f['malicious'])}, error "
              f"{_pct(f['error'])} of {f['benign_artifacts']}")
        for fp in report["false_positives"][:60]:
            print(f"     {fp['verdict']:<10} {fp['score']:5.1f} {fp['name']}: "
                  f"{', '.join(fp['reasons'][:4])}")
    if "expectation_failures" in report:
        print(f"   expected verdicts met: {_pct(report['expected_verdicts_met'])}")
        for e in report["expectation_failures"]:
            print(f"     {e['name']}: expected {e['expected']}, got {e['got']} "
                  f"({e['score']}) {', '.join(e['reasons'][:4])}")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="corpus,malware,benign")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="first N artifacts of each set")
    parser.add_argument("--rescore", action="store_true",
                        help="re-score findings saved by an earlier run instead of scanning")
    parser.add_argument("--resume", action="store_true",
                        help="scan only artifacts without saved findings, then score all")
    parser.add_argument("--every", type=int, default=1,
                        help="take every Nth artifact of each set (a quick deterministic sample)")
    parser.add_argument("--per-family", type=int, default=0,
                        help="at most N artifacts per family (family-macro recall stays an "
                        "unbiased estimate at a fraction of the cost)")
    parser.add_argument("--tag", default="",
                        help="save/read findings as findings-<set>-<tag>.jsonl")
    parser.add_argument("--names", type=Path,
                        help="a file of artifact names (one a line, as the report prints "
                        "them): scan only those, e.g. the last run's false positives")
    parser.add_argument("--out", type=Path, default=OUT / "accuracy.json")
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = set(names) - set(SETS)
    if unknown:
        parser.error(f"unknown set(s): {', '.join(sorted(unknown))}")
    thresholds = Thresholds()
    reports = []
    with tempfile.TemporaryDirectory(prefix="distscan-acc-") as tmp:
        for name in names:
            items = SETS[name](Path(tmp))
            items = items[:: max(1, args.every)]
            if args.per_family:
                seen: Counter = Counter()
                items = [i for i in items if (seen.update([i.family]) or seen[i.family])
                         <= args.per_family]
            if args.names:
                wanted = {line.strip() for line in args.names.read_text("utf-8").splitlines()
                          if line.strip()}
                items = [i for i in items if i.name in wanted]
            if args.limit:
                items = items[: args.limit]
            if not items:
                continue
            rows = load_saved(name, items, args.tag) if args.rescore else None
            if rows is None:
                started = time.perf_counter()
                rows = scan_set(name, items, args.workers, resume=args.resume, tag=args.tag)
                print(f"  {name}: scanned {len(items)} in {time.perf_counter() - started:.0f} s",
                      file=sys.stderr)
            report = evaluate(name, items, rows, thresholds)
            print_report(report)
            reports.append(report)
    summary = {"thresholds": vars(thresholds), "precision": precision(reports), "sets": reports}
    print(f"\nprecision over all sets: >=suspicious "
          f"{_pct(summary['precision']['suspicious_or_worse'])}, malicious "
          f"{_pct(summary['precision']['malicious'])}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
