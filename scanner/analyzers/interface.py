"""What an analyser is and what it sees.

An analyser is a pair of pure functions: ``on_member`` sees one member's bytes as the walk
reaches it (used for content scans over every byte), ``on_artifact`` sees the whole artifact
once the walk is done (members, digests, retained text, metadata). Either may be None.
Both return findings and may also return :class:`Derived` members — content the analyser
uncovered, such as a decoded payload — which the pipeline passes through every member
analyser again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..model import Anomaly, Context, Finding, Member, Metadata
from ..unpack import Entry


@dataclass(frozen=True)
class ArtifactHeader:
    """What is known about an artifact before its members are read.

    filename: the artifact's file name; format: zip, tar, file or directory.
    wheel_tags: tags from a valid wheel file name (empty otherwise).
    """

    filename: str
    format: str
    wheel_tags: frozenset = frozenset()

    @property
    def is_pure_wheel_name(self) -> bool:
        return bool(self.wheel_tags) and all(t.platform == "any" for t in self.wheel_tags)


@dataclass(frozen=True)
class MemberDigest:
    """A file member's digest and size as read.

    sha256: None where the scan did not hash members: only wheels (for their RECORD) and scans
    whose policy allows members by digest need it (see ``scanner.pipeline.open_for_scan``).
    """

    sha256: bytes | None
    size: int
    complete: bool
    format: str | None


@dataclass(frozen=True)
class ArtifactView:
    """Everything whole-artifact analysers may look at.

    members: every member in walk order (nested archive members included).
    digests: per file member, the digest and size of the bytes actually read (the digest may
        be None, see MemberDigest).
    texts: bytes of retained text members (Python, .pth, metadata, configs, scripts).
    anomalies: container problems met while opening and walking.
    kind: wheel, sdist, egg, zip, tar, file, directory.
    """

    header: ArtifactHeader
    kind: str
    metadata: Metadata
    members: tuple[Member, ...]
    digests: Mapping[str, MemberDigest]
    texts: Mapping[str, bytes]
    anomalies: tuple[Anomaly, ...]
    sdist_root: str | None = None
    wheel_info: Mapping[str, str] = field(default_factory=dict)  # WHEEL file fields

    @property
    def is_pure_wheel(self) -> bool:
        if self.kind != "wheel":
            return False
        if self.wheel_info.get("Root-Is-Purelib", "").strip().lower() == "true" and all(
                tag.strip().endswith("-any") for tag in self.wheel_info.get("Tag", "").split(",")
                if tag.strip()):
            return True
        return self.header.is_pure_wheel_name


@dataclass(frozen=True)
class Derived:
    """Content an analyser uncovered inside a member, to be analysed again.

    path: virtual member path, e.g. ``setup.py::decoded[1]``.
    chain: how it was obtained, e.g. ``("base64", "zlib")``.
    context: when the original code would run it.
    """

    path: str
    data: bytes
    origin: str
    chain: tuple[str, ...]
    context: Context
    line: int | None = None


Output = Iterable[Finding | Derived]


@dataclass(frozen=True)
class Analyzer:
    """A registered analyser. ``name`` appears in error findings."""

    name: str
    on_member: Callable[[ArtifactHeader, Entry], Output] | None = None
    on_artifact: Callable[[ArtifactView], Output] | None = None
    description: str = ""
