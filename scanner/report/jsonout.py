"""The result contract: one JSON document, or one JSON object per line."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from importlib import resources

from .. import __version__
from ..model import ScanResult

SCHEMA_VERSION = 1


def summary(results: Sequence[ScanResult]) -> dict:
    counts = Counter(str(r.verdict.level) for r in results)
    return {"artifacts": len(results), **{k: counts.get(k, 0)
                                          for k in ("clean", "suspicious", "malicious", "error")}}


def document(results: Sequence[ScanResult]) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "distscan", "version": __version__},
        "results": [r.to_dict() for r in results],
        "summary": summary(results),
    }


def render_json(results: Sequence[ScanResult]) -> str:
    return json.dumps(document(results), indent=2, ensure_ascii=False) + "\n"


def render_jsonl_line(result: ScanResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"


def load_schema() -> dict:
    text = resources.files("scanner").joinpath("schema/result.schema.json").read_text("utf-8")
    return json.loads(text)
