"""The generic Fixit-style test: every rule's malicious examples fire it, benign ones do not.

Each example is placed in a real artifact (an sdist for ``setup.py`` examples, a wheel
otherwise) and scanned through the whole pipeline.
"""

from __future__ import annotations

import pytest

from scanner.analyzers.python import ANALYZER
from scanner.analyzers.python.rules import RULES, Example, Rule
from scanner.pipeline import ScanOptions, scan
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

OPTIONS = ScanOptions(analyzers=(ANALYZER,))


def scan_example(example: Example):
    files = {example.path: example.code, **dict(example.extra)}
    if example.path == "setup.py":
        files.setdefault("PKG-INFO", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
        data, name = sdist_bytes("demo", "1.0", files), sdist_filename("demo", "1.0")
    else:
        data, name = wheel_bytes("demo", "1.0", files), wheel_filename("demo", "1.0")
    return scan(data, OPTIONS, filename=name)


def _cases(kind: str):
    for rule in RULES:
        for index, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.id}-{kind}-{index}")


@pytest.mark.parametrize(("rule", "example"), list(_cases("invalid")))
def test_malicious_example_fires(rule: Rule, example: Example) -> None:
    result = scan_example(example)
    rules = {f.rule for f in result.findings}
    assert rule.id in rules, f"{rule.id} did not fire; got {sorted(rules)}"


@pytest.mark.parametrize(("rule", "example"), list(_cases("valid")))
def test_benign_example_is_quiet(rule: Rule, example: Example) -> None:
    result = scan_example(example)
    fired = [f for f in result.findings if f.rule == rule.id]
    assert not fired, f"{rule.id} fired on a benign example: {fired[0].evidence}"


def test_every_rule_has_both_kinds_of_examples() -> None:
    for rule in RULES:
        assert rule.invalid and rule.valid, rule.id


def test_threat_rows_are_covered() -> None:
    covered = {row for rule in RULES for row in rule.threats}
    assert {1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 16} <= covered
