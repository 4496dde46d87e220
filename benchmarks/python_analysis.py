"""Python analysis throughput on a folder of wheels, and the share of bytes libcst saw.

Runs the Python analyser's ``analyze`` directly on each artifact's view (built by the normal
pipeline walk) so the timing covers Python analysis only, not unpacking. Reports CPU seconds
(the machine is shared; the load average is printed next to them), the pre-pass alone
(``gate.reason`` over every Python file: MB/s and why files got a tree, by bytes), and the
share of Python bytes that reached libcst. Also lists every finding of severity >= high in
contexts install/startup/import — on popular benign packages each one is a false positive to
explain.

    nice python3 benchmarks/python_analysis.py [--sample N] [--regex-prepass] [FOLDER ...]
    (default folders: the benign cache and /tmp/wh2)

``--regex-prepass`` measures the earlier pre-pass (``tokens.needs_tree``) for comparison.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

from scanner import pipeline
from scanner.analyzers import ArtifactView
from scanner.analyzers.python import analyze, gate
from scanner.analyzers.python.engine import Engine
from scanner.model import Context, Severity
from scanner.pipeline import ScanOptions
from scanner.scoring import is_test_code

DEFAULT_FOLDERS = [Path.home() / ".cache/distscan-bench/benign", Path("/tmp/wh2")]
SERIOUS_CONTEXTS = {Context.INSTALL, Context.STARTUP, Context.IMPORT}


class _Capture:
    """An on_artifact analyser that only keeps the view the pipeline built."""

    def __init__(self) -> None:
        self.view: ArtifactView | None = None

    def __call__(self, view: ArtifactView):
        self.view = view
        return ()


def artifact_paths(folders: list[Path]) -> list[Path]:
    out = []
    for folder in folders:
        if folder.is_dir():
            out += sorted(p for p in folder.rglob("*") if p.suffix in (".whl", ".gz", ".zip"))
    return out


def main() -> None:
    args = sys.argv[1:]
    sample = 0
    if "--regex-prepass" in args:
        args.remove("--regex-prepass")
        gate._REGEX_PREPASS = True
    if args[:1] == ["--sample"]:  # an evenly spread subset, for a quicker run
        sample, args = int(args[1]), args[2:]
    folders = [Path(a) for a in args] or DEFAULT_FOLDERS
    from scanner.analyzers import Analyzer

    capture = _Capture()
    options = ScanOptions(analyzers=(Analyzer("capture", on_artifact=capture),))
    totals = {"artifacts": 0, "python_files": 0, "python_bytes": 0, "tree_bytes": 0,
              "fallback_files": 0, "seconds": 0.0, "prepass_seconds": 0.0}
    reasons: Counter = Counter()
    load_before = [round(x, 2) for x in os.getloadavg()]
    serious = []
    paths = artifact_paths(folders)
    if sample and len(paths) > sample:
        paths = paths[:: len(paths) // sample][:sample]
    for path in paths:
        capture.view = None
        pipeline.scan(str(path), options)
        view = capture.view
        if view is None:
            continue
        engine = Engine()
        started = time.process_time()
        output = analyze(view, engine)
        totals["seconds"] += time.process_time() - started
        started = time.process_time()
        for p, data in view.texts.items():
            if p.endswith((".py", ".pyw")):
                raw = data if isinstance(data, bytes) else data.encode("utf-8", "ignore")
                reasons["test data" if is_test_code(p) else
                        gate.reason(raw) or "no tree"] += len(raw)
        totals["prepass_seconds"] += time.process_time() - started
        totals["artifacts"] += 1
        py = [p for p in view.texts if p.endswith((".py", ".pyw", ".pth"))]
        totals["python_files"] += len(py)
        totals["python_bytes"] += sum(len(view.texts[p]) for p in py)
        totals["tree_bytes"] += engine.stats.bytes_tree
        totals["fallback_files"] += engine.stats.fallbacks
        for f in output:
            if getattr(f, "severity", None) is not None and f.severity >= Severity.HIGH \
                    and f.context in SERIOUS_CONTEXTS:
                serious.append({"artifact": path.name, "rule": f.rule, "path": f.path,
                                "line": f.line, "context": str(f.context),
                                "severity": str(f.severity), "evidence": f.evidence[:160]})
    mb = totals["python_bytes"] / 1e6
    report = {
        **totals,
        "prepass": "regex (tokens.needs_tree)" if gate._REGEX_PREPASS else "gate (YARA)",
        "seconds": round(totals["seconds"], 2),
        "prepass_seconds": round(totals["prepass_seconds"], 2),
        "python_mb": round(mb, 2),
        # CPU time: a busy machine disturbs it far less than wall time.
        "mb_per_s": round(mb / totals["seconds"], 2) if totals["seconds"] else None,
        "prepass_mb_per_s": round(mb / totals["prepass_seconds"], 1)
        if totals["prepass_seconds"] else None,
        "tree_share": round(totals["tree_bytes"] / max(1, totals["python_bytes"]), 4),
        # Why .py files got a tree (pre-pass answer for the import role; bytes before the
        # per-definition reduction). install/startup files get a tree whatever it says.
        "prepass_reasons_bytes": dict(reasons.most_common()),
        "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "high_findings_in_install_startup_import": serious,
    }
    os.makedirs("benchmarks/out", exist_ok=True)
    Path("benchmarks/out/python_analysis.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
