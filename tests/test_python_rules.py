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


def test_substitution_cipher_payload_is_decoded_and_analysed() -> None:
    """An atbash-style cipher over string.ascii_letters folds to source that is analysed again:
    the socket it opens is reported inside the decoded payload."""
    from scanner.analyzers.python.rules import ATBASH

    code = ("import string\na = string.ascii_letters\nb = a[::-1]\n"
            f"exec(''.join([b[a.index(c)] if c in b else c for c in \"{ATBASH}\"]))\n")
    result = scan_example(Example(code))
    inner = [f for f in result.findings if "::decoded[" in (f.path or "")]
    assert any(f.rule == "python.network.socket" for f in inner), [f.rule for f in inner]
    assert "203.0.113.9" in " ".join(f.evidence for f in inner)


def test_helper_decoded_layers_form_a_decode_exec_chain() -> None:
    """exec of a lambda helper's result names the helper's decoders in the chain."""
    from scanner.analyzers.python.rules import ZB64_REVERSED

    code = (f"_ = lambda __ : __import__('zlib').decompress(__import__('base64')."
            f"b64decode(__[::-1]));exec((_)(b'{ZB64_REVERSED}'))\n")
    result = scan_example(Example(code, "setup.py"))
    decoded = [f for f in result.findings if f.rule == "python.exec.decoded-payload"]
    assert decoded and "reverse → base64 → zlib → exec" in decoded[0].evidence
    assert decoded[0].context.value == "install"
    assert result.verdict.level.value == "malicious"


def test_mixed_tab_indentation_still_gets_a_syntax_tree() -> None:
    """Python 2 style indentation (a tab where the block used spaces) is re-read with tabs as
    8 columns instead of falling back to the token scan."""
    from scanner.analyzers.python.rules import B64_HELLO

    code = ("import base64, os\ntry:\n    if os.name:\n\tx = 1\nexcept Exception:\n    pass\n"
            f"exec(base64.b64decode('{B64_HELLO}'))\n")
    result = scan_example(Example(code))
    rules = {f.rule for f in result.findings}
    assert "python.parse.fallback" not in rules, rules
    assert "python.exec.decoded-payload" in rules, rules
