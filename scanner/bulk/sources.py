"""What a bulk scan walks: a folder tree of artifacts, a bandersnatch mirror, or a listing file.

Every source gives the same thing, a list of :class:`SourceItem` (a path plus the ``stat``
facts the results store uses to skip finished artifacts without reading them again). Only
files are listed: a bulk scan is keyed by artifact sha256, which folders do not have.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..targets import ARTIFACT_SUFFIXES, sniffs_as_archive

# bandersnatch keeps release files at <root>/web/packages/<h2>/<h2>/<h60>/<filename>.
MIRROR_PACKAGES = Path("web") / "packages"
# Folders that never hold artifacts but can be huge (VCS metadata, virtual environments).
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", ".tox"})


class SourceError(Exception):
    """The source does not exist, or is a file that is neither an artifact nor a listing."""


@dataclass(frozen=True)
class SourceItem:
    """One artifact file to scan. ``size`` and ``mtime_ns`` identify this version of the file
    cheaply, so a rerun can skip it without hashing it again."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Discovery:
    """What a source held: the artifacts, how the source was read, and paths it had to drop."""

    kind: str  # "folder", "mirror", "listing" or "file"
    items: tuple[SourceItem, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason) for listing lines that failed


def discover(source: str | os.PathLike) -> Discovery:
    """List every artifact the source names, in a stable (sorted) order, without duplicates."""
    root = Path(source)
    if root.is_dir():
        packages = _mirror_packages(root)
        if packages is not None:
            return Discovery("mirror", tuple(_walk(packages, mirror=True)))
        return Discovery("folder", tuple(_walk(root, mirror=False)))
    if not root.exists():
        raise SourceError(f"no such file or folder: {str(root)!r}")
    if _is_artifact_file(root):
        item = _item(root)
        if item is None:
            raise SourceError(f"cannot read {str(root)!r}")
        return Discovery("file", (item,))
    return _read_listing(root)


def _mirror_packages(root: Path) -> Path | None:
    """The ``web/packages`` folder when ``root`` is a bandersnatch mirror (or its web/ or
    web/packages folder), else None."""
    for candidate in (root / MIRROR_PACKAGES, root / "packages"):
        if candidate.is_dir() and (candidate.parent.name == "web"):
            return candidate
    if root.name == "packages" and root.parent.name == "web":
        return root
    return None


def _walk(root: Path, *, mirror: bool) -> Iterator[SourceItem]:
    """Artifact files under ``root``. Symlinks are not followed: a tree can point anywhere.

    In a mirror every file under web/packages is a release file, so names decide (no reads);
    in a plain folder a file without an artifact suffix is sniffed by its first bytes, since
    malware ships archives under misleading names.
    """
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if mirror and not name.lower().endswith(ARTIFACT_SUFFIXES):
                continue
            item = _item(path)
            if item is None:
                continue
            if mirror or name.lower().endswith(ARTIFACT_SUFFIXES) or sniffs_as_archive(path):
                yield item


def _item(path: Path) -> SourceItem | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return SourceItem(str(path), st.st_size, st.st_mtime_ns)


def _is_artifact_file(path: Path) -> bool:
    return path.name.lower().endswith(ARTIFACT_SUFFIXES) or sniffs_as_archive(path)


def _read_listing(listing: Path) -> Discovery:
    """A text file with one artifact path per line. Blank lines and ``#`` comments are
    ignored; relative paths are relative to the listing's folder. Lines naming something that
    is not a regular file are reported back, not fatal: a long listing often has a few."""
    try:
        raw = listing.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {str(listing)!r}: {exc.strerror}") from None
    if b"\x00" in raw[:4096]:
        raise SourceError(f"{str(listing)!r} is neither an artifact nor a listing of paths")
    items: list[SourceItem] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    for line in raw.decode("utf-8", "surrogateescape").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        path = Path(line)
        if not path.is_absolute():
            path = listing.parent / path
        item = _item(path)
        if item is None:
            skipped.append((line, "not a regular file"))
        elif item.path not in seen:
            seen.add(item.path)
            items.append(item)
    return Discovery("listing", tuple(items), tuple(skipped))
