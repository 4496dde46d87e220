"""From scopes to contexts: which function bodies run when the module itself runs.

Module-level code runs in the file's context (install for setup.py, startup for modules a
``.pth`` imports, import otherwise). So does every function module-level code calls, directly
or through other functions of the module, threads, atexit or callbacks. In install files the
methods of setuptools command subclasses (``cmdclass``) run at install too. Everything else is
``runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...model import Context
from . import names
from .hits import MAIN_SCOPE, MODULE_SCOPE, ModuleFacts


@dataclass(frozen=True)
class Role:
    """How a file runs. ``install_hooks``: setuptools command subclasses count as entry points.
    ``main_runs``: its ``if __name__ == '__main__'`` block runs too (setup.py is run as main)."""

    context: Context
    install_hooks: bool = False
    main_runs: bool = False
    all_functions_run: bool = False  # helper modules setup.py imports to call
    # When known: the function names the install files call; only those (and what they
    # call) of a helper module run at install, not every function it defines.
    entry_points: frozenset[str] | None = None


def install_classes(facts: ModuleFacts) -> set[str]:
    """Classes deriving (transitively, within the module) from setuptools commands."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for cls, bases in facts.class_bases.items():
            if cls in found:
                continue
            for base in bases:
                last = base.split(".")[-1]
                # A bare ``Command`` subclass is a custom verb (upload, test, release) that
                # runs only when someone names it, never during pip install.
                if last in names.INSTALL_COMMANDS or last.lstrip("_") in names.INSTALL_COMMANDS \
                        or base.startswith(("setuptools.command.", "distutils.command.")) \
                        or base in found or last in found:
                    found.add(cls)
                    changed = True
                    break
    return found


def contexts(facts: ModuleFacts, role: Role) -> dict[str, Context]:
    roots = {MODULE_SCOPE} | facts.roots
    if role.all_functions_run and role.entry_points is None:
        roots |= facts.functions
    elif role.all_functions_run:
        roots |= {fn for fn in facts.functions
                  if fn.split(".")[-1] in role.entry_points or fn in role.entry_points}
    if role.main_runs:
        roots.add(MAIN_SCOPE)
    if role.install_hooks:
        hooks = install_classes(facts)
        roots |= {fn for fn in facts.functions if fn.split(".")[0] in hooks}
    reached = set(roots)
    frontier = list(roots)
    while frontier:
        scope = frontier.pop()
        for callee in facts.edges.get(scope, ()):
            for target in _targets(callee, facts):
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
    table = {scope: role.context for scope in reached}
    if not role.main_runs:
        table.setdefault(MAIN_SCOPE, Context.RUNTIME)
    return table


def _targets(callee: str, facts: ModuleFacts) -> list[str]:
    if callee in facts.functions:
        return [callee]
    # ``obj.method()`` on an unknown receiver: any class's method of that name in the module
    # could be meant; only follow it when it is unique, to stay precise.
    if "." in callee:
        method = callee.rsplit(".", 1)[-1]
        owner = callee.rsplit(".", 1)[0]
        if owner in facts.class_bases:
            return [f for f in facts.functions if f == f"{owner}.{method}"]
    return []


def context_of(scope: str, table: dict[str, Context]) -> Context:
    return table.get(scope, Context.RUNTIME)
