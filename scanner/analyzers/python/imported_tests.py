"""Modules named like tests that the package's own code imports (they run at import) or that
an entry point names (a command runs them).

The scorer counts test modules (``scoring.is_test_code``: a ``tests/`` folder, ``test_*.py``,
``*_test.py``, ``conftest.py``) as data, because they run when someone runs the tests. A
module with such a name that another module of the package imports at module level runs
whenever the package is imported, and then the name is a disguise, not a reason: that module
gets a ``python.import.test-module`` finding, which keeps its code in its real context.

Imports are resolved to files the way Python would find them in the artifact: absolute names
from the import roots (the wheel's top, an sdist's folder and its ``src/``), relative ones
from the importing file's folder, packages' ``__init__.py`` included. Only unindented import
statements count (``def test(): from .tests import run`` runs the tests on request, as old
packages offer).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ...model import Context, Finding
from ...scoring import is_test_code
from . import emit, roles
from .hits import MODULE_SCOPE, Hit
from .lines import matches_on_lines, occurrences

RULE = "python.import.test-module"
_IMPORT = re.compile(rb"(?m)^(?:from[ \t]+([.\w]+)[ \t]+import[ \t]+\(?([\w \t,]+)"
                     rb"|import[ \t]+([\w. \t,]+))")


def _bound(words: bytes | None) -> list[str]:
    """``a.b as c, d`` -> ["a.b", "d"]."""
    out = []
    for word in (words or b"").split(b","):
        parts = word.split()
        if parts:
            out.append(parts[0].decode("ascii", "ignore"))
    return out


def _files(texts: Mapping[str, bytes], root: str | None, importer: str,
           match: re.Match) -> set[str]:
    """The files of the artifact that the import statement loads."""
    module, imported, plain = match.groups()
    found: set[str] = set()
    if plain:
        for name in _bound(plain):
            found.update(roles.module_files(texts, root, name))
        return found
    source = module.decode("ascii", "ignore")
    level = len(source) - len(source.lstrip("."))
    names = _bound(imported)
    if not level:
        found.update(roles.module_files(texts, root, source))
        for name in names:  # ``from a import b`` may load the submodule a.b
            found.update(roles.module_files(texts, root, f"{source}.{name}"))
        return found
    base = importer.rsplit("/", 1)[0] if "/" in importer else ""
    for _ in range(level - 1):
        base = base.rsplit("/", 1)[0] if "/" in base else ""
    rest = source[level:]
    stem = "/".join(p for p in (base, rest.replace(".", "/")) if p)
    targets = [stem] if rest else []
    targets += [f"{stem}/{name}" if stem else name for name in names]
    for target in targets:
        for candidate in (f"{target}.py", f"{target}/__init__.py"):
            if candidate in texts:
                found.add(candidate)
    return found


def _imports_naming_test(data: bytes) -> list[re.Match]:
    """The unindented import statements (one line each) that contain "test", in file order:
    ``_IMPORT`` asked only of the lines that hold a "test"."""
    return [match for match in matches_on_lines(data, occurrences(data, b"test"), _IMPORT)
            if b"test" in match.group(0)]


def imported(texts: Mapping[str, bytes], python: Iterable[str], root: str | None,
             entry_points: Iterable[tuple[str, str, str]] = ()) -> dict[str, Finding]:
    """Each test-named module that a non-test module imports at module level, or that an
    entry point names (a command runs it), with the finding that says so."""
    python = list(python)
    tests = {p for p in python if is_test_code(p)}
    if not tests:
        return {}
    imported: dict[str, Finding] = {}
    for group, name, value in entry_points:
        module = value.split(":", 1)[0].strip()
        for test_path in sorted(set(roles.module_files(texts, root, module)) & tests):
            imported.setdefault(test_path, emit.finding(
                Hit(RULE, 1, MODULE_SCOPE,
                    f"named by entry point [{group}] {name} = {value}"[:200]),
                Context.RUNTIME, test_path))
    for path in python:
        data = texts[path]
        # Every test path has a part with "test" in it (tests/, test_*.py, conftest.py) that
        # a non-test importer can reach only by naming it: no "test", no test module.
        if path in tests or b"test" not in data:
            continue
        for match in _imports_naming_test(data):
            for test_path in sorted(_files(texts, root, path, match) & tests):
                if test_path in imported:
                    continue
                line = data.count(b"\n", 0, match.start()) + 1
                statement = match.group(0).decode("utf-8", "replace").strip()
                imported[test_path] = emit.finding(
                    Hit(RULE, 1, MODULE_SCOPE,
                        f"imported by {path} line {line}: {statement[:120]}"),
                    Context.IMPORT, test_path)
    return imported
