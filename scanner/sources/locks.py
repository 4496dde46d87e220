"""Lock files as lists of files to fetch: ``uv.lock`` (uv's TOML: ``[[package]]`` with
``sdist`` and ``wheels`` entries carrying url or path, hash and size) and ``pylock.toml``
(PEP 751: ``[[packages]]`` with ``sdist``, ``wheels`` and ``archive`` carrying url or path
and ``hashes``). Local ``path`` entries become ``file:`` URLs relative to the lock file.

Packages with nothing to fetch (the project itself, editables, VCS or directory sources) are
reported in ``notes``; they are not distribution files.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

from ..gate.simple import FileEntry
from ..preinstall.requirements import ARCHIVE_SUFFIXES


class LockError(ValueError):
    """A lock file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class LockedFile:
    project: str  # normalized
    version: str | None
    file: FileEntry  # url (https: or file:) and the hashes the lock pins


@dataclass(frozen=True)
class LockFile:
    kind: str  # "uv.lock" or "pylock.toml"
    files: tuple[LockedFile, ...]
    notes: tuple[str, ...] = ()


def lock_kind(path: Path, data: Mapping) -> str:
    """By file name first (uv.lock, pylock.toml, pylock.NAME.toml), then by content."""
    name = path.name.lower()
    if name == "uv.lock":
        return "uv.lock"
    if name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml")):
        return "pylock.toml"
    if "lock-version" in data or "packages" in data:
        return "pylock.toml"
    if "package" in data:
        return "uv.lock"
    raise LockError(f"{path}: neither a uv.lock nor a pylock.toml (PEP 751) file")


def parse_lock(path: str | Path) -> LockFile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise LockError(f"cannot read {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LockError(f"{path}: not a TOML file: {exc}") from None
    kind = lock_kind(path, data)
    try:
        if kind == "uv.lock":
            return _uv_lock(path, data)
        return _pylock(path, data)
    except (TypeError, AttributeError, KeyError) as exc:
        raise LockError(f"{path}: unexpected {kind} layout ({exc.__class__.__name__}: "
                        f"{exc})") from None


def _uv_lock(path: Path, data: Mapping) -> LockFile:
    def source(package: Mapping) -> str:
        described = ", ".join(f"{k}={v}" for k, v in (package.get("source") or {}).items())
        return described or "no source"

    return _collect(path, "uv.lock", data.get("package", []), ("sdist", "wheels"),
                    lambda entry: _uv_hash(entry.get("hash")), source)


def _pylock(path: Path, data: Mapping) -> LockFile:
    def source(package: Mapping) -> str:
        return next((f"{k} source" for k in ("vcs", "directory") if k in package), "no file")

    return _collect(path, "pylock.toml", data.get("packages", []),
                    ("sdist", "wheels", "archive"),
                    lambda entry: {str(k).lower(): str(v).lower()
                                   for k, v in (entry.get("hashes") or {}).items()}, source)


def _uv_hash(value: object) -> dict[str, str]:
    if not isinstance(value, str) or ":" not in value:
        return {}
    algorithm, _, digest = value.partition(":")
    return {algorithm.lower(): digest.lower()}


def _collect(path: Path, kind: str, packages: list, keys: tuple[str, ...],
             hashes_of: Callable[[Mapping], dict[str, str]],
             source: Callable[[Mapping], str]) -> LockFile:
    """The files of every package: ``keys`` name its file entries (a table or a list of them);
    a package without any is noted with ``source`` saying what it is instead."""
    files: list[LockedFile] = []
    notes: list[str] = []
    for package in packages:
        name = str(canonicalize_name(package["name"]))
        entries = []
        for key in keys:
            value = package.get(key)
            entries += value if isinstance(value, list) else [value] if value else []
        if not entries:
            notes.append(f"{path}: {name} has no distribution files to scan ({source(package)})")
            continue
        for entry in entries:
            files.append(LockedFile(name, package.get("version"),
                                    _file_entry(path, entry, hashes_of(entry))))
    return LockFile(kind, tuple(files), tuple(notes))


def _file_entry(lock_path: Path, entry: Mapping, hashes: dict[str, str]) -> FileEntry:
    url = entry.get("url")
    local = entry.get("path")
    if url:
        filename = entry.get("filename") or entry.get("name") or unquote(
            urlsplit(url).path.rsplit("/", 1)[-1])
    elif local:
        target = (lock_path.parent / local).resolve()
        url = target.as_uri()
        filename = entry.get("filename") or entry.get("name") or target.name
    else:
        raise LockError(f"{lock_path}: a file entry has neither url nor path")
    if urlsplit(str(url)).scheme == "file" and not str(filename).lower().endswith(
            ARCHIVE_SUFFIXES):
        # A lock file from a cloned repository must not make distscan read (and quote in a
        # report) the user's other files: local entries are distribution files only.
        raise LockError(f"{lock_path}: the local entry {str(filename)!r} is not a "
                        "distribution file (wheel, sdist or archive)")
    size = entry.get("size")
    return FileEntry(str(filename), str(url), hashes,
                     size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                     upload_time=str(entry["upload-time"]) if "upload-time" in entry else None)
