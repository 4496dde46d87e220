"""Where each Python file of an artifact runs: the cross-file view.

- ``setup.py`` at the top of an sdist (or of a loose source tree) runs at install, and so
  does every local module it imports (transitively) and the in-tree PEP 517 backend that
  ``pyproject.toml`` names with ``backend-path``.
- Modules a ``.pth`` file imports run at interpreter start-up.
- Everything else runs when imported.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping

from ..interface import ArtifactView

PY_SUFFIXES = (".py", ".pyw")


def relative(path: str, root: str | None) -> str:
    """Path inside the distribution (the sdist's top folder stripped)."""
    if root and path.startswith(root + "/"):
        return path[len(root) + 1:]
    return path


def source_root(view: ArtifactView) -> str | None:
    if view.sdist_root:
        return view.sdist_root
    tops = {p.split("/", 1)[0] for p in view.texts if "/" in p and "!/" not in p}
    if len(tops) == 1:
        top = next(iter(tops))
        if f"{top}/setup.py" in view.texts or f"{top}/pyproject.toml" in view.texts:
            return top
    return None


def setup_scripts(view: ArtifactView, root: str | None) -> list[str]:
    candidates = [f"{root}/setup.py"] if root else []
    candidates.append("setup.py")
    return [p for p in candidates if p in view.texts]


def module_files(texts: Iterable[str], root: str | None, module: str) -> list[str]:
    """Files that ``import module`` could load from the source tree (root, src/)."""
    parts = module.split(".")
    out = []
    for base in ([root, f"{root}/src"] if root else ["", "src"]):
        prefix = f"{base}/" if base else ""
        for depth in range(1, len(parts) + 1):
            stem = prefix + "/".join(parts[:depth])
            for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
                if candidate in texts:
                    out.append(candidate)
    return out


def backend_files(view: ArtifactView, root: str | None) -> list[str]:
    """The in-tree build backend named by pyproject's ``backend-path``."""
    path = f"{root}/pyproject.toml" if root else "pyproject.toml"
    data = view.texts.get(path)
    if not data:
        return []
    try:
        config = tomllib.loads(data.decode("utf-8", "replace"))
    except (tomllib.TOMLDecodeError, ValueError):
        return []
    system = config.get("build-system", {}) if isinstance(config, dict) else {}
    backend = system.get("build-backend") if isinstance(system, dict) else None
    paths = system.get("backend-path", []) if isinstance(system, dict) else []
    if not isinstance(backend, str) or not isinstance(paths, list):
        return []
    module = backend.split(":")[0].strip()
    out = []
    for entry in paths:
        if not isinstance(entry, str):
            continue
        base = "/".join(p for p in (root, entry.strip("./")) if p)
        out += module_files(view.texts, base or None, module)
    return out


def shipped_modules(paths: Iterable[str], root: str | None) -> set[str]:
    """Top-level importable names the artifact installs (for .pth classification)."""
    names: set[str] = set()
    for path in paths:
        if "!/" in path:
            continue
        inner = relative(path, root)
        parts = inner.split("/")
        if len(parts) > 2 and parts[0].endswith(".data") and parts[1] in ("purelib",
                                                                           "platlib"):
            parts = parts[2:]
        if parts and parts[0] == "src" and len(parts) > 1:
            parts = parts[1:]
        head = parts[0]
        if head.endswith(".dist-info") or head.endswith(".data"):
            continue
        if len(parts) == 1:
            stem = head.split(".")[0]
            if head.endswith((".py", ".pyc", ".so", ".pyd")):
                names.add(stem)
        else:
            names.add(head)
    return names


def local_imports(imports: Iterable[str], texts: Mapping[str, bytes],
                  root: str | None) -> list[str]:
    out: list[str] = []
    # Sorted: the names come from a set, and the order decides which install helper is
    # analysed first (and so the order of findings): it must not change between runs.
    for module in sorted(imports):
        out += module_files(texts, root, module)
    return out
