"""The Python behaviour analyser: what code does, and when it runs.

Runs once per artifact (``on_artifact``) because context needs the cross-file view: which
setup.py imports which local module, which modules a ``.pth`` starts, which backend pyproject
names. Order: ``.pth`` files, then install-time files (setup.py and what it imports, the
in-tree backend), then every other Python file — those only when the token pre-pass finds
something worth a syntax tree, and never test modules that nothing in the package reaches
(test data: see :mod:`.imported_tests`).
"""

from __future__ import annotations

from dataclasses import replace

from ...model import Context
from ...scoring import is_test_code
from ..interface import Analyzer, ArtifactView
from . import imported_tests, memo, roles
from .engine import Engine, set_recursion_guard
from .pth import analyse_pth
from .reach import Role

MAX_INSTALL_FILES = 64
INSTALL_ROLE = Role(Context.INSTALL, install_hooks=True, main_runs=True)
# Local modules setup.py imports: it imports them to call them during the build.
INSTALL_HELPER_ROLE = Role(Context.INSTALL, install_hooks=True, all_functions_run=True)
STARTUP_ROLE = Role(Context.STARTUP)
IMPORT_ROLE = Role(Context.IMPORT)


def analyze(view: ArtifactView, engine: Engine | None = None) -> list:
    set_recursion_guard()
    engine = engine or Engine()
    out: list = []
    root = roles.source_root(view)
    python = [p for p in view.texts if p.endswith(roles.PY_SUFFIXES)]
    done: set[str] = set()

    shipped = roles.shipped_modules((m.path for m in view.members), root)
    startup: set[str] = set()
    for path in sorted(p for p in view.texts if p.endswith(".pth")):
        result = analyse_pth(engine, path, view.texts[path], shipped)
        out += result.findings + result.derived
        startup |= result.startup_modules
    for module in sorted(startup):
        for path in roles.module_files(view.texts, None if view.kind == "wheel" else root,
                                       module):
            if path not in done:
                done.add(path)
                result = engine.analyse(view.texts[path], path, STARTUP_ROLE)
                out += result.findings + result.derived

    scripts = roles.setup_scripts(view, root)
    backends = roles.backend_files(view, root)
    queue = scripts + backends
    called: set[str] = set()  # function names install files call (helpers run only those)
    while queue and len(done) < MAX_INSTALL_FILES:
        path = queue.pop(0)
        if path in done:
            continue
        done.add(path)
        role = INSTALL_ROLE if path in scripts else INSTALL_HELPER_ROLE if path in backends \
            else replace(INSTALL_HELPER_ROLE, entry_points=frozenset(called))
        result = engine.analyse(view.texts[path], path, role)
        out += result.findings + result.derived
        if result.facts is not None:
            # Every call an install file makes, from any of its functions: which of them run
            # at install is not always visible (a cmdclass entry whose base is a bare
            # Command), and missing one hides a dropper's payload function.
            called |= {_entry_name(c) for callees in result.facts.edges.values()
                       for c in callees}
            queue += [p for p in roles.local_imports(result.facts.imports, view.texts, root)
                      if p not in done]

    # Test-named modules that package code imports, or that an entry point names, run in that
    # context (see imported_tests). The others are test data: they run only when someone runs
    # the tests, the scorer counts what they do as data, and the content rules read every
    # byte of them; their behaviour gets no syntax tree.
    reached = imported_tests.imported(view.texts, python, None if view.kind == "wheel" else root,
                                      view.metadata.entry_points)
    for path in python:
        if path in done:
            continue
        if is_test_code(path) and path not in reached:
            engine.stats.files += 1
            engine.stats.bytes_total += len(view.texts[path])
            continue
        out += _import_time(engine, view.texts[path], path)
    out += reached.values()
    return out


def _import_time(engine: Engine, data: bytes, path: str) -> list:
    """A module's import-time findings, reused from an identical file analysed earlier in
    this process when nothing in it was decoded and followed (see :mod:`.memo`)."""
    found_key = memo.key(data)
    reused = memo.get(found_key, path)
    if reused is not None:
        findings, entry = reused
        engine.stats.files += 1
        engine.stats.bytes_total += len(data)
        engine.stats.bytes_tree += entry.bytes_tree
        engine.stats.fallbacks += entry.fallbacks
        return findings
    before = (engine.stats.bytes_tree, engine.stats.fallbacks, engine.counter,
              engine.payloads_left, len(engine.seen))
    result = engine.analyse(data, path, IMPORT_ROLE, force_tree=False)
    followed = (engine.counter, engine.payloads_left, len(engine.seen)) != before[2:] or \
        result.derived or (result.facts is not None and result.facts.payloads)
    if not followed and all(f.path == path for f in result.findings):
        memo.put(found_key, memo.Entry(tuple(result.findings),
                                       engine.stats.bytes_tree - before[0],
                                       engine.stats.fallbacks - before[1]))
    return result.findings + result.derived


def _entry_name(callee: str) -> str:
    """How a call made in one install file names a function of another: by its last name part
    (``helpers.run()`` -> ``run``), but a constructor by its class (``Conf()`` ->
    ``Conf.__init__``), so instantiating one class does not make every ``__init__`` run."""
    if callee.endswith(".__init__"):
        return callee.rsplit(".", 2)[-2] + ".__init__" if callee.count(".") > 1 else callee
    return callee.rsplit(".", 1)[-1]


ANALYZER = Analyzer("python", on_artifact=analyze,
                    description="libcst behaviour analysis of Python code with install/"
                                "import/startup context, decoding and flows")
