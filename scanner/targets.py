"""Turning what the user names (files, folders, globs) into artifacts to scan."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from .unpack import detect

ARTIFACT_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".zip",
                     ".egg", ".tar")
# A folder holding one of these at its top is an unpacked package, scanned as one artifact.
PACKAGE_MARKERS = ("setup.py", "pyproject.toml", "setup.cfg", "PKG-INFO")


class TargetError(Exception):
    """A named target does not exist or matches nothing."""


@dataclass(frozen=True)
class Target:
    path: Path
    label: str  # what to show as ``target`` in results


def is_unpacked_package(folder: Path) -> bool:
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return any(n in PACKAGE_MARKERS or n.endswith((".dist-info", ".egg-info")) for n in names)


def sniffs_as_archive(path: Path) -> bool:
    """Whether the file's first bytes are an archive's, whatever its name."""
    try:
        with open(path, "rb") as fp:
            head = fp.read(512)
    except OSError:
        return False
    return detect.sniff(head) in detect.ARCHIVE_FORMATS


def _looks_like_artifact(path: Path) -> bool:
    return path.name.lower().endswith(ARTIFACT_SUFFIXES) or sniffs_as_archive(path)


def expand_folder(folder: Path) -> list[Target]:
    """Artifacts under ``folder``: archive files, and unpacked package folders as wholes."""
    if is_unpacked_package(folder):
        return [Target(folder, str(folder))]
    found: list[Target] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        here = Path(dirpath)
        keep = []
        for d in dirnames:
            sub = here / d
            if sub.is_symlink():
                continue
            if is_unpacked_package(sub):
                found.append(Target(sub, str(sub)))
            else:
                keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            path = here / name
            if path.is_file() and not path.is_symlink() and _looks_like_artifact(path):
                found.append(Target(path, str(path)))
    return found


def expand(names: list[str]) -> list[Target]:
    """Every artifact the user named, in order, without duplicates."""
    targets: list[Target] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            targets += expand_folder(path)
        elif path.is_file():
            targets.append(Target(path, name))
        elif path.exists():
            # A FIFO or device would hang the digest that opening starts with (/dev/zero).
            raise TargetError(f"not a regular file or folder: {name!r}")
        elif glob.has_magic(name):
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                raise TargetError(f"no file matches {name!r}")
            for match in matches:
                m = Path(match)
                if m.is_dir():
                    targets += expand_folder(m)
                elif m.is_file():
                    targets.append(Target(m, match))
        else:
            raise TargetError(f"no such file or folder: {name!r}")
    seen: set[Path] = set()
    unique = []
    for t in targets:
        key = t.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(t)
    return unique
