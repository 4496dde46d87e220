"""The result contract: one JSON document, or one JSON object per line."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from importlib import resources

from .. import __version__
from ..model import ScanResult

SCHEMA_VERSION = 1
# Characters that reorder or hide text in a terminal or editor (C1 controls, bidi overrides,
# zero-width marks, line separators). json.dumps escapes C0 controls itself; with
# ensure_ascii=False it would print these raw, and member names are attacker-chosen.
_UNSAFE = re.compile("[\u0080-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


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


def _dumps(value: object, indent: int | None = None) -> str:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    # Outside strings JSON is pure ASCII, so these can only be inside strings: escaping them
    # there keeps the document valid and its values unchanged.
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render_json(results: Sequence[ScanResult]) -> str:
    return _dumps(document(results), indent=2) + "\n"


def render_jsonl_line(result: ScanResult) -> str:
    return _dumps(result.to_dict()) + "\n"


def load_schema() -> dict:
    text = resources.files("scanner").joinpath("schema/result.schema.json").read_text("utf-8")
    return json.loads(text)
