"""Shipped .pyc files: placement findings and the capability vocabulary on unmarshalled code.

The .pyc files are made here with compile() + marshal.dumps + a 16-byte header: compiling
is not executing, and nothing in the scanner calls the code objects it reads.
"""

from __future__ import annotations

import importlib.util
import marshal

from scanner.analyzers import container, pyc, yara_rules
from scanner.model import Severity
from scanner.pipeline import ScanOptions, scan
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename

OPTIONS = ScanOptions(analyzers=(container.ANALYZER, yara_rules.ANALYZER, pyc.ANALYZER))

SPAWNER = '''
import subprocess, sys

def start():
    subprocess.Popen([sys.executable, "-c", "print(1)"], start_new_session=True)

class Agent:
    def run(self):
        def inner():
            return __import__("os").system("id")
        return inner()
'''
HARMLESS = '''
import re

WORD = re.compile(r"\\w+")

def words(text):
    return WORD.findall(text)
'''


def make_pyc(source: str, magic: bytes = importlib.util.MAGIC_NUMBER) -> bytes:
    code = compile(source, "<module>", "exec")
    return magic + b"\x00\x00\x00\x00" + b"\x00" * 8 + marshal.dumps(code)


def by_rule(result):
    return {f.rule: f for f in result.findings if f.rule.startswith("pyc.")}


def test_pyc_only_module_that_spawns_processes_is_flagged():
    data = wheel_bytes("demo", "1.0", {"demo/__init__.pyc": make_pyc(SPAWNER)})
    result = scan(data, OPTIONS, filename=wheel_filename("demo", "1.0"))
    found = by_rule(result)
    assert found["pyc.shipped"].path == "demo/__init__.pyc"
    capabilities = found["pyc.capabilities"]
    assert capabilities.severity is Severity.HIGH
    assert "process" in capabilities.message and "Popen" in capabilities.evidence
    assert "system" in capabilities.evidence  # found in a nested function's code object
    assert result.verdict.level.rank >= 1


def test_harmless_pyc_in_sdist_only_gets_the_placement_finding():
    data = sdist_bytes("demo", "1.0", {"setup.py": "from setuptools import setup\nsetup()\n",
                                       "demo/words.pyc": make_pyc(HARMLESS)})
    result = scan(data, OPTIONS, filename=sdist_filename("demo", "1.0"))
    found = by_rule(result)
    assert set(found) == {"pyc.shipped"}
    assert found["pyc.shipped"].severity is Severity.MEDIUM


def test_pyc_strings_reach_the_content_rules():
    source = 'HOOK = "https://discord.com/api/webhooks/123456789012345678/' + "x" * 60 + '"\n'
    data = wheel_bytes("demo", "1.0", {"demo/cfg.pyc": make_pyc(source)})
    result = scan(data, OPTIONS, filename=wheel_filename("demo", "1.0"))
    hooks = [f for f in result.findings if f.rule == "content.exfil.discord-webhook"]
    assert hooks and hooks[0].severity is Severity.HIGH  # a .pyc is code


def test_other_python_version_is_not_unmarshalled_but_still_flagged():
    other = (3413).to_bytes(2, "little") + b"\r\n"  # Python 3.8's magic
    assert other != importlib.util.MAGIC_NUMBER
    data = wheel_bytes("demo", "1.0", {"demo/old.pyc": other + b"\x00" * 12 + b"\xe3garbage"})
    result = scan(data, OPTIONS, filename=wheel_filename("demo", "1.0"))
    found = by_rule(result)
    assert "pyc.shipped" in found and "pyc.unreadable-version" in found
    assert "pyc.capabilities" not in found


def test_garbage_after_current_magic_is_harmless():
    assert pyc.read_pyc(importlib.util.MAGIC_NUMBER + b"\x00" * 12 + b"\xff\xfe junk") is None
    assert pyc.read_pyc(importlib.util.MAGIC_NUMBER + b"\x00" * 12
                        + marshal.dumps(("not", "code"))) is None


def test_pyc_in_platform_wheel_is_at_most_low():
    data = wheel_bytes("demo", "1.0", {"demo/__init__.pyc": make_pyc(SPAWNER)},
                       tag="cp311-cp311-manylinux_2_17_x86_64")
    result = scan(data, OPTIONS,
                  filename=wheel_filename("demo", "1.0", "cp311-cp311-manylinux_2_17_x86_64"))
    found = by_rule(result)
    assert "pyc.shipped" not in found
    assert found["pyc.capabilities"].severity is Severity.LOW


def test_platform_system_is_not_os_system():
    contents = pyc.read_pyc(make_pyc("import platform, os\nplatform.system()\n"))
    assert "process" not in pyc.capabilities(contents)
    contents = pyc.read_pyc(make_pyc("import os\nos.system('id')\n"))
    assert "process" in pyc.capabilities(contents)
