"""Where an archive's links lead once it is unpacked: to another member, or out of it.

The unpacker flags every link whose target climbs (``..``) or is absolute, because it sees one
member at a time. With the whole archive in view the target can be resolved the way an
extractor resolves it: from the link's folder, through the other links of the same archive,
inside the folder the installer unpacks into (pip strips an sdist's single top folder, so that
folder is the limit). tarfile's ``data`` filter (PEP 706), which pip applies when it unpacks
sdists, refuses exactly the links that leave that folder. A link that lands on another member
(``docs/CHANGELOG.md -> ../CHANGELOG.md``) reads nothing outside the archive; one that leaves,
that cannot be resolved in a few hops, or that points at one of its own parent folders (a loop
that sends tree walkers round for ever) stays an escape.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Member, MemberType

MAX_HOPS = 40  # Linux gives up after 40 symlinks too (ELOOP)
_LINKS = (MemberType.SYMLINK, MemberType.HARDLINK)


def _split(path: str) -> tuple[str, str]:
    """(archive prefix, path inside that archive) for ``outer.tar.gz!/inner/path``."""
    prefix, sep, inner = path.rpartition("!/")
    return (prefix + sep, inner)


def _parts(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]


class ArchiveLinks:
    """The links of every archive in an artifact (the artifact and nested archives)."""

    def __init__(self, members: Iterable[Member]) -> None:
        self._links: dict[str, dict[tuple[str, ...], tuple[str, bool]]] = {}
        tops: dict[str, set[str]] = {}
        for member in members:
            prefix, inner = _split(member.path)
            parts = _parts(inner)
            if not parts:
                continue
            tops.setdefault(prefix, set()).add(parts[0] if len(parts) > 1 or
                                               member.type is MemberType.DIRECTORY else "")
            if member.type in _LINKS and member.link_target is not None:
                self._links.setdefault(prefix, {})[tuple(parts)] = (
                    member.link_target, member.type is MemberType.HARDLINK)
        # One top folder holding everything: the installer unpacks into it (pip strips it).
        self._roots = {prefix: [next(iter(t))] if len(t) == 1 and "" not in t else []
                       for prefix, t in tops.items()}

    def stays_inside(self, path: str) -> bool:
        """Whether the link at ``path`` resolves to a place inside its archive's unpack folder
        that is not one of its own parent folders. False when unsure."""
        prefix, inner = _split(path)
        links = self._links.get(prefix, {})
        own = tuple(_parts(inner))
        if own not in links:
            return False
        root = self._roots.get(prefix, [])
        if own[:len(root)] != tuple(root):
            return False
        target, hard = links[own]
        if target.startswith(("/", "\\")) or (len(target) > 1 and target[1] == ":"):
            return False
        # Tar hard links name their target from the archive's top; symlinks from their folder.
        pending = _parts(target) if hard else [*own[:-1], *_parts(target)]
        resolved: list[str] = []
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                if len(resolved) <= len(root):
                    return False  # climbs out of the unpack folder
                resolved.pop()
                continue
            resolved.append(part)
            step = links.get(tuple(resolved))
            if step is None:
                continue
            hops += 1
            if hops > MAX_HOPS:
                return False
            next_target, next_hard = step
            if next_target.startswith(("/", "\\")) or (len(next_target) > 1 and
                                                       next_target[1] == ":"):
                return False
            base = [] if next_hard else resolved[:-1]
            pending = [*base, *_parts(next_target), *pending]
            resolved = []
        if tuple(resolved) == own[:len(resolved)]:
            return False  # the link's own folder or one above it: a loop
        return len(resolved) > len(root) or (not root and bool(resolved))
