"""Broken archives never crash or hang a scan.

Hypothesis starts from real small wheels and sdists and truncates them at random offsets,
flips bytes, splices two artifacts together or makes up random bytes, then hands the result
to ``scanner.pipeline.scan``: every example must give a result, fast, with no exception.
"""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.model import ScanResult, Severity, VerdictLevel
from scanner.pipeline import scan
from scanner.testing import archive_bytes, sdist_bytes, wheel_bytes

MAX_SECONDS = 5.0  # generous: the machine running the suite may be loaded
FILES = {"demo/__init__.py": "import os\nVALUE = os.environ.get('HOME')\n",
         "demo/util.py": "def f(x):\n    return x * 2\n" * 20,
         "demo/data.bin": bytes(range(256)) * 4}
SEEDS = [
    wheel_bytes("demo", "1.0", FILES, entry_points="[console_scripts]\ndemo = demo:f\n"),
    sdist_bytes("demo", "1.0", {"setup.py": "from setuptools import setup\nsetup()\n"} | FILES),
    sdist_bytes("demo", "1.0", {"setup.py": "print(1)\n"}, fmt="zip"),
    sdist_bytes("demo", "1.0", {"setup.py": "print(1)\n"}, fmt="bz2"),
    sdist_bytes("demo", "1.0", {"setup.py": "print(1)\n"}, fmt="xz"),
    archive_bytes({"demo-1.0/PKG-INFO": "Name: demo\n", "demo-1.0/setup.py": "x = 1\n"}, ""),
    wheel_bytes("demo", "1.0", {"demo/inner.zip": archive_bytes({"a.py": "x = 1\n"}, "zip"),
                                "demo/inner.tar.gz": archive_bytes({"b.py": "y = 2\n"})}),
]
NAMES = ["demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz", "demo-1.0.zip", "demo.pth",
         "setup.py", "x"]


@st.composite
def broken_artifacts(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["truncate", "flip", "splice", "insert", "overwrite"]))
        if how == "truncate" and len(data) > 1:
            del data[draw(st.integers(1, len(data) - 1)):]
        elif how == "flip" and data:
            for _ in range(draw(st.integers(1, 8))):
                i = draw(st.integers(0, len(data) - 1))
                data[i] ^= draw(st.integers(1, 255))
        elif how == "splice":
            other = draw(st.sampled_from(SEEDS))
            cut = draw(st.integers(0, len(data)))
            data = data[:cut] + other[draw(st.integers(0, len(other))):]
        elif how == "insert":
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif how == "overwrite" and len(data) > 8:
            # Headers hold sizes and offsets: overwrite 4 or 8 bytes with extreme values.
            at = draw(st.integers(0, len(data) - 8))
            width = draw(st.sampled_from([2, 4, 8]))
            value = draw(st.sampled_from([0, 1, 2**(8 * width) - 1, 2**(8 * width - 1)]))
            data[at:at + width] = value.to_bytes(width, "little")
    return bytes(data)


def _check(result: ScanResult, elapsed: float) -> None:
    assert isinstance(result, ScanResult)
    assert elapsed < MAX_SECONDS, (elapsed, result.error)
    json.dumps(result.to_dict())  # the result is reportable
    if result.verdict.level is VerdictLevel.ERROR:
        assert result.error
        return
    incomplete = [f for f in result.findings
                  if f.rule.startswith("limits.") and f.severity >= Severity.MEDIUM]
    if incomplete:
        assert result.verdict.level is not VerdictLevel.CLEAN


_SETTINGS = settings(deadline=None, max_examples=250, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_SETTINGS
@given(data=broken_artifacts(), name=st.sampled_from(NAMES))
def test_mutated_artifacts_always_give_a_result(data: bytes, name: str):
    started = time.monotonic()
    result = scan(data, filename=name)
    _check(result, time.monotonic() - started)


@settings(deadline=None, max_examples=100, derandomize=True)
@given(data=st.one_of(st.binary(max_size=2048),
                      st.binary(max_size=600).map(lambda b: b"PK\x03\x04" + b),
                      st.binary(max_size=600).map(lambda b: b"\x1f\x8b\x08\x00" + b),
                      st.binary(max_size=600).map(lambda b: b + b"PK\x05\x06" + bytes(18))),
       name=st.sampled_from(NAMES))
def test_random_bytes_always_give_a_result(data: bytes, name: str):
    started = time.monotonic()
    result = scan(data, filename=name)
    _check(result, time.monotonic() - started)
