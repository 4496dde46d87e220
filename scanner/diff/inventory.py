"""What one release artifact contains, in a form two releases can be compared by.

An inventory is taken by walking the artifact once more with the same safe, bounded opener the
scanner uses (nothing is extracted or run). Paths are *normalized* so that the same file has
the same key in every release: the sdist's top folder (``pkg-1.0/``) is dropped and the
version in ``pkg-1.0.dist-info/`` and ``pkg-1.0.data/`` is replaced by ``*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.metadata import parse_email

from ..analyzers.binary import BINARY_SUFFIXES
from ..metadata import find_metadata
from ..model import Limits, Member, MemberType, Metadata
from ..pipeline import classify, wants_text
from ..unpack import open_artifact
from ..unpack.detect import EXECUTABLE_FORMATS

# Files that run outside Python's import system and that a pure-Python project rarely ships:
# a new one in a release (a bundled .js run by node, a shell script) is worth a look.
ASSET_SUFFIXES = (".js", ".mjs", ".cjs", ".sh", ".bash", ".bat", ".cmd", ".ps1", ".vbs",
                  ".jar", ".wasm", ".applescript", ".command")
_VERSIONED_DIR = re.compile(r"^(?P<name>[^/]+?)-[^-/]+\.(?P<kind>dist-info|data)$")
_DECODED = re.compile(r"::decoded\[\d+\]")
# Core-metadata fields that say who publishes the project and where it lives.
URL_FIELDS = ("home_page", "download_url", "project_urls")
AUTHOR_FIELDS = ("author", "author_email", "maintainer", "maintainer_email")


@dataclass(frozen=True)
class FileEntry:
    """One regular file member. ``key`` is the normalized path; ``path`` the stored one."""

    key: str
    path: str
    sha256: str | None
    size: int
    format: str | None = None

    @property
    def is_pth(self) -> bool:
        return self.key.endswith(".pth")

    @property
    def is_binary(self) -> bool:
        name = self.key.rsplit("/", 1)[-1].lower()
        return self.format in EXECUTABLE_FORMATS or name.endswith(BINARY_SUFFIXES) \
            or ".so." in name

    @property
    def is_asset(self) -> bool:
        return self.key.lower().endswith(ASSET_SUFFIXES)


@dataclass(frozen=True)
class Inventory:
    """Everything about one artifact that a release diff compares.

    files: normalized path -> file. pth_lines: for each .pth file, its executable lines (the
    ``import`` lines site.py runs at every interpreter start). metadata: the scanner's parsed
    metadata; urls / authors: the publishing fields of METADATA or PKG-INFO.
    """

    filename: str
    sha256: str | None
    kind: str
    root: str | None
    metadata: Metadata
    files: dict[str, FileEntry] = field(default_factory=dict)
    pth_lines: dict[str, tuple[str, ...]] = field(default_factory=dict)
    urls: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    complete: bool = True

    def runs_at_startup(self, entry: FileEntry) -> bool:
        """Whether a .pth file lands where site.py reads it: the top of a wheel (or its
        ``.data/purelib`` / ``platlib``); for sdists and other kinds, any .pth outside nested
        archives (a setup.py can install it anywhere)."""
        if not entry.is_pth or "!/" in entry.key:
            return False
        parts = entry.key.split("/")
        return self.kind != "wheel" or len(parts) == 1 or (
            len(parts) == 3 and parts[0].endswith(".data") and parts[1] in ("purelib", "platlib"))

    @property
    def top_level(self) -> frozenset[str]:
        """First path components that installing the artifact puts into site-packages (or
        the source tree's top, for sdists), metadata folders excluded."""
        tops = {key.split("/", 1)[0] for key in self.files if "!/" not in key}
        return frozenset(t for t in tops if not t.endswith((".dist-info", ".data", ".egg-info")))

    @property
    def console_scripts(self) -> dict[str, str]:
        return {name: value for group, name, value in self.metadata.entry_points
                if group in ("console_scripts", "gui_scripts")}

    def normalize(self, path: str | None) -> str | None:
        """The normalized key of a member path as findings name it (decoded-payload suffixes
        lose their running number, which changes when unrelated payloads are added)."""
        if path is None:
            return None
        base, sep, rest = path.partition("::")
        return normalize_path(base, self.root) + (_DECODED.sub("::decoded", sep + rest)
                                                  if sep else "")


def normalize_path(path: str, root: str | None) -> str:
    outer, bang, inner = path.partition("!/")
    if root and outer.startswith(root + "/"):
        outer = outer[len(root) + 1:]
    parts = outer.split("/")
    match = _VERSIONED_DIR.match(parts[0])
    if match:
        parts[0] = f"{match['name']}-*.{match['kind']}"
    return "/".join(parts) + bang + inner


def take_inventory(source: str | Path | bytes, limits: Limits | None = None, *,
                   filename: str | None = None) -> Inventory:
    """Walk an artifact and record its files, .pth lines and metadata.

    Raises ``scanner.unpack.UnreadableArtifact`` when it cannot be opened at all.
    """
    # Every member's digest: release diffs match and compare files by sha256.
    opened = open_artifact(source, limits or Limits(), filename=filename,
                           digest_every_member=True)
    members: list[Member] = []
    texts: dict[str, bytes] = {}
    raw: list[tuple[str, str | None, int, str | None]] = []
    complete = True
    for entry in opened.entries():
        members.append(entry.member)
        if entry.member.type is not MemberType.FILE:
            continue
        complete = complete and entry.complete
        raw.append((entry.member.path, entry.sha256.hex() if entry.sha256 else None,
                    entry.read_size, entry.format))
        if entry.data is not None and wants_text(entry.member, entry.data):
            texts[entry.member.path] = entry.data
    complete = complete and not opened.anomalies
    kind, root = classify(opened.format, members, texts)
    metadata = find_metadata(texts, kind, opened.filename)
    files = {}
    for path, digest, size, fmt in raw:
        key = normalize_path(path, root)
        files.setdefault(key, FileEntry(key, path, digest, size, fmt))
    urls, authors = _publishing_fields(texts, kind, root)
    inventory = Inventory(opened.filename, opened.sha256, kind, root, metadata, files, {}, urls,
                          authors, complete)
    inventory.pth_lines.update({key: _executable_lines(texts.get(entry.path, b""))
                                for key, entry in files.items()
                                if inventory.runs_at_startup(entry)})
    return inventory


def _executable_lines(data: bytes) -> tuple[str, ...]:
    text = data.decode("utf-8", "replace")
    return tuple(line.strip() for line in text.splitlines()
                 if line.startswith(("import ", "import\t")))


def _publishing_fields(texts: dict[str, bytes], kind: str,
                       root: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(URLs, authors) from the artifact's own core metadata file."""
    for path, data in texts.items():
        parts = path.split("/")
        own = (kind == "wheel" and len(parts) == 2 and parts[0].endswith(".dist-info")
               and parts[1] == "METADATA") or (
            kind == "sdist" and len(parts) == 2 and parts[0] == root and parts[1] == "PKG-INFO")
        if not own:
            continue
        fields, _ = parse_email(data.decode("utf-8", "replace"))
        urls: list[str] = []
        for name in URL_FIELDS:
            value = fields.get(name)
            if isinstance(value, dict):
                urls += [f"{label}, {url}" for label, url in value.items()]
            elif value:
                urls.append(f"{name.replace('_', '-')}, {value}")
        authors = [f"{name.replace('_', '-')}: {fields[name]}" for name in AUTHOR_FIELDS
                   if fields.get(name)]
        return tuple(sorted(urls)), tuple(authors)
    return (), ()
