"""Counters and one latency histogram, rendered in the Prometheus text format.

Small on purpose: the gate needs a handful of series, not a client library.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

SCAN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
HELP = {
    "distscan_gate_requests_total": "HTTP requests answered, by endpoint and status",
    "distscan_gate_scans_total": "files scanned, by verdict",
    "distscan_gate_verdict_cache_hits_total": "files served from a stored verdict",
    "distscan_gate_blocks_total": "refusals, by reason",
    "distscan_gate_upstream_errors_total": "failed upstream requests and refused upstream files",
    "distscan_gate_scan_seconds": "time one scan took",
    "distscan_gate_scans_in_flight": "scans running now",
}


class Metrics:
    def __init__(self) -> None:
        self._counters: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(
            lambda: defaultdict(float))
        self._gauges: dict[str, float] = defaultdict(float)
        self._buckets = [0] * (len(SCAN_BUCKETS) + 1)
        self._sum = 0.0
        self._count = 0

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        self._counters[name][tuple(sorted(labels.items()))] += amount

    def value(self, name: str, **labels: str) -> float:
        return self._counters[name].get(tuple(sorted(labels.items())), 0.0)

    def total(self, name: str) -> float:
        return sum(self._counters[name].values())

    def gauge_add(self, name: str, amount: float) -> None:
        self._gauges[name] += amount

    def observe_scan(self, seconds: float) -> None:
        self._buckets[bisect.bisect_left(SCAN_BUCKETS, seconds)] += 1
        self._sum += seconds
        self._count += 1

    def render(self) -> str:
        lines: list[str] = []
        for name in sorted(self._counters):
            lines += _header(name, "counter")
            for labels, value in sorted(self._counters[name].items()):
                lines.append(f"{name}{_labels(labels)} {value:g}")
        for name in sorted(self._gauges):
            lines += _header(name, "gauge")
            lines.append(f"{name} {self._gauges[name]:g}")
        name = "distscan_gate_scan_seconds"
        lines += _header(name, "histogram")
        running = 0
        for bound, count in zip((*SCAN_BUCKETS, float("inf")), self._buckets):
            running += count
            le = "+Inf" if bound == float("inf") else f"{bound:g}"
            lines.append(f'{name}_bucket{{le="{le}"}} {running}')
        lines.append(f"{name}_sum {self._sum:.6f}")
        lines.append(f"{name}_count {self._count}")
        return "\n".join(lines) + "\n"


def _header(name: str, kind: str) -> list[str]:
    return [f"# HELP {name} {HELP.get(name, name)}", f"# TYPE {name} {kind}"]


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
