"""Opening artifacts safely: format by content, bounded reads, nothing written to disk.

``open_artifact`` returns an :class:`OpenedArtifact` whose :meth:`OpenedArtifact.entries`
walks every member once, in memory, descending into nested archives up to
``Limits.max_depth``. Problems with the container itself are collected as
:class:`~scanner.model.Anomaly` records instead of being raised; only an artifact that
cannot be opened at all raises :class:`UnreadableArtifact`.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Anomaly, Limits, Member, MemberType, Severity
from ..text import escape
from . import detect
from .budget import Budget, LimitExceeded, ReadResult
from .paths import name_anomalies, normalize
from .ziplayout import layout_anomalies

__all__ = ["Entry", "OpenedArtifact", "UnreadableArtifact", "open_artifact", "LimitExceeded"]

_READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError,
                NotImplementedError, ValueError, RuntimeError, KeyError, OverflowError,
                IndexError, UnicodeDecodeError, MemoryError)
try:  # lzma and bz2 are optional in minimal Pythons
    import lzma

    _READ_ERRORS += (lzma.LZMAError,)
except ImportError:  # pragma: no cover
    pass


class UnreadableArtifact(Exception):
    """The artifact cannot be opened at all (not an archive we can read, truncated, empty)."""


@dataclass(frozen=True)
class Entry:
    """One member as the walk produced it.

    data: the leading bytes analysers see (None for directories, links and unread members).
    sha256 / read_size: digest and count of every byte actually read.
    complete: False when a limit or an error cut the read short.
    format: what the content is by its magic bytes (``detect.sniff``), or None.
    """

    member: Member
    data: bytes | None
    sha256: bytes | None = None
    read_size: int = 0
    complete: bool = True
    format: str | None = None


@dataclass
class OpenedArtifact:
    """An artifact ready to walk. ``anomalies`` grows while :meth:`entries` runs."""

    filename: str
    size: int
    sha256: str | None
    format: str  # zip, tar, file, directory
    limits: Limits
    _path: Path | None = None
    _data: bytes | None = None
    anomalies: list[Anomaly] = field(default_factory=list)
    budget: Budget | None = None

    def entries(self) -> Iterator[Entry]:
        """Walk every member once. Stops early (with an anomaly) when a limit is hit."""
        self.budget = Budget(self.limits)
        try:
            if self.format == "directory":
                yield from _walk_directory(self._path, self.budget, self.anomalies)
            elif self.format == "file":
                yield from _walk_single_file(self, self.budget)
            else:
                with self._open() as fp:
                    walker = _walk_zip if self.format == "zip" else _walk_tar
                    yield from walker(fp, self.size, "", 0, self.budget, self.anomalies,
                                      self.filename)
        except LimitExceeded as stop:
            self.anomalies.append(stop.anomaly)

    def _open(self):
        if self._data is not None:
            return io.BytesIO(self._data)
        return open(self._path, "rb")  # noqa: SIM115 - closed by the caller's with-block


def open_artifact(source: str | os.PathLike | bytes, limits: Limits | None = None,
                  filename: str | None = None) -> OpenedArtifact:
    """Identify ``source`` (a path or the artifact's bytes) and prepare it for walking.

    Raises UnreadableArtifact when it is not something distscan can open.
    """
    limits = limits or Limits()
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return _identify(filename or "<bytes>", len(data), hashlib.sha256(data).hexdigest(),
                         io.BytesIO(data), limits, data=data)
    path = Path(source)
    if path.is_dir():
        return OpenedArtifact(path.name or str(path), 0, None, "directory", limits, _path=path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fp:
            digest = hashlib.file_digest(fp, "sha256").hexdigest()
            fp.seek(0)
            return _identify(filename or path.name, size, digest, fp, limits, path=path)
    except OSError as exc:
        raise UnreadableArtifact(f"cannot read file: {exc.strerror or exc}") from exc


def _identify(filename: str, size: int, digest: str, fp, limits: Limits, *,
              path: Path | None = None, data: bytes | None = None) -> OpenedArtifact:
    if size == 0:
        raise UnreadableArtifact("empty file")
    head = fp.read(1024)
    fmt = detect.sniff(head)
    anomalies: list[Anomaly] = []
    if fmt == detect.ZIP:
        container = "zip"
    elif fmt in (detect.GZIP, detect.BZIP2, detect.XZ, detect.TAR):
        container = "tar"
    else:
        fp.seek(0)
        if fmt is None and zipfile.is_zipfile(fp):
            container = "zip"  # a zip behind a prefix; the layout check reports the prefix
        elif fmt in (detect.ZSTD, detect.SEVENZIP, detect.RAR):
            raise UnreadableArtifact(f"unsupported archive format: {fmt}")
        else:
            container = "file"
    promised = detect.contradiction(filename, {"zip": detect.ZIP, "tar": fmt}.get(container, fmt))
    if promised and container != "file":
        anomalies.append(Anomaly(
            "container.extension-mismatch", f"artifact is {promised}: tools that trust the name "
            "may treat it differently", None, escape(filename), Severity.LOW))
    return OpenedArtifact(filename, size, digest, container, limits, _path=path, _data=data,
                          anomalies=anomalies)


def _member_checks(name: str, display: str, seen: set[str], anomalies: list[Anomaly]) -> None:
    anomalies.extend(name_anomalies(name, display))
    key = normalize(name)
    if key in seen:
        anomalies.append(Anomaly(
            "container.duplicate-name", "two members have the same name: which one an installer "
            "keeps depends on the tool", display, escape(name), Severity.HIGH))
    seen.add(key)


def _finish_entry(member: Member, result: ReadResult, anomalies: list[Anomaly]) -> Entry:
    if result.anomaly is not None:
        anomalies.append(result.anomaly)
    fmt = detect.sniff(result.data[:1024])
    why = detect.contradiction(member.inner_path, fmt)
    if why:
        anomalies.append(Anomaly(
            "container.extension-mismatch", f"member is {why}", member.path, escape(member.name),
            Severity.MEDIUM))
    return Entry(member, result.data, result.sha256, result.size, result.complete, fmt)


def _nested(entry: Entry, depth: int, budget: Budget, anomalies: list[Anomaly]) -> Iterator[Entry]:
    """Members of an archive stored inside the artifact, when depth allows."""
    if entry.format not in (detect.ZIP, detect.GZIP, detect.BZIP2, detect.XZ, detect.TAR):
        return
    if not entry.complete or entry.data is None:
        return
    if depth + 1 > budget.limits.max_depth:
        anomalies.append(Anomaly(
            "limits.nesting-depth", f"archive nested deeper than {budget.limits.max_depth} levels "
            "was not opened", entry.member.path, severity=Severity.MEDIUM))
        return
    prefix = entry.member.path + "!/"
    fp = io.BytesIO(entry.data)
    walker = _walk_zip if entry.format == detect.ZIP else _walk_tar
    try:
        yield from walker(fp, len(entry.data), prefix, depth + 1, budget, anomalies,
                          entry.member.path)
    except UnreadableArtifact as exc:
        if entry.format in (detect.GZIP, detect.BZIP2, detect.XZ):
            return  # a compressed single file, not a tar: its bytes were scanned already
        anomalies.append(Anomaly(
            "container.corrupt-nested-archive", f"nested archive cannot be opened: {exc}",
            entry.member.path, severity=Severity.LOW))


def _walk_zip(fp, size: int, prefix: str, depth: int, budget: Budget,
              anomalies: list[Anomaly], where: str) -> Iterator[Entry]:
    try:
        zf = zipfile.ZipFile(fp)
        infos = zf.infolist()
    except _READ_ERRORS as exc:
        if depth == 0:
            raise UnreadableArtifact(f"not a readable zip archive: {_describe(exc)}") from exc
        raise UnreadableArtifact(_describe(exc)) from exc
    try:
        anomalies.extend(layout_anomalies(fp, size, zf, where if depth else None))
    except _READ_ERRORS as exc:
        anomalies.append(Anomaly("container.corrupt", f"zip structure cannot be checked: "
                                 f"{_describe(exc)}", where if depth else None))
    seen: set[str] = set()
    for info in infos:
        display = prefix + info.filename
        budget.count_member(display)
        budget.check_time(display)
        _member_checks(info.filename, display, seen, anomalies)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode) and info.create_system == 3:
            target = _safe_read_small(zf, info)
            anomalies.append(_link_anomaly(display, target))
            yield Entry(Member(display, info.file_size, MemberType.SYMLINK, info.compress_size,
                               target, depth), None)
            continue
        if info.is_dir():
            yield Entry(Member(display, 0, MemberType.DIRECTORY, 0, None, depth), None)
            continue
        member = Member(display, info.file_size, MemberType.FILE, info.compress_size, None, depth)
        if info.flag_bits & 0x1:
            anomalies.append(Anomaly(
                "container.encrypted-member", "member is encrypted, so its content cannot be "
                "checked", display, escape(info.filename), Severity.HIGH))
            yield Entry(member, None, complete=False)
            continue
        try:
            with zf.open(info) as stream:
                result = budget.read_member(stream, display, info.compress_size)
        except LimitExceeded:
            raise
        except _READ_ERRORS as exc:
            anomalies.append(Anomaly(
                "container.corrupt-member", f"member cannot be read: {_describe(exc)}", display,
                escape(info.filename), Severity.MEDIUM))
            yield Entry(member, None, complete=False)
            continue
        entry = _finish_entry(member, result, anomalies)
        yield entry
        yield from _nested(entry, depth, budget, anomalies)


class _CountingReader(io.RawIOBase):
    """A read-only stream that counts the compressed bytes handed to the decompressor."""

    def __init__(self, fp):
        self._fp = fp
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._fp.read(size)
        self.consumed += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _walk_tar(fp, size: int, prefix: str, depth: int, budget: Budget,
              anomalies: list[Anomaly], where: str) -> Iterator[Entry]:
    raw = _CountingReader(fp)
    try:
        tf = tarfile.open(fileobj=raw, mode="r|*")
    except _READ_ERRORS as exc:
        raise UnreadableArtifact(f"not a readable tar archive: {_describe(exc)}") from exc
    seen: set[str] = set()
    count = 0
    iterator = iter(tf)
    while True:
        try:
            info = next(iterator)
        except StopIteration:
            break
        except _READ_ERRORS as exc:
            if count == 0 and depth == 0:
                raise UnreadableArtifact(f"not a readable tar archive: {_describe(exc)}") from exc
            anomalies.append(Anomaly(
                "container.truncated", f"archive ends early or is corrupt after {count} members: "
                f"{_describe(exc)}", where if depth else None, severity=Severity.MEDIUM))
            return
        count += 1
        display = prefix + info.name
        budget.count_member(display)
        budget.check_time(display)
        _member_checks(info.name, display, seen, anomalies)
        if info.issym() or info.islnk():
            kind = MemberType.SYMLINK if info.issym() else MemberType.HARDLINK
            anomalies.append(_link_anomaly(display, info.linkname, hard=info.islnk()))
            yield Entry(Member(display, 0, kind, None, info.linkname, depth), None)
            continue
        if info.ischr() or info.isblk() or info.isfifo():
            kind = MemberType.FIFO if info.isfifo() else MemberType.DEVICE
            anomalies.append(Anomaly(
                "container.device-member", "archive contains a device or FIFO entry; unpacking it "
                "can hang or touch hardware", display, escape(info.name), Severity.HIGH))
            yield Entry(Member(display, 0, kind, None, None, depth), None)
            continue
        if info.isdir():
            yield Entry(Member(display, 0, MemberType.DIRECTORY, None, None, depth), None)
            continue
        if not info.isfile():
            yield Entry(Member(display, info.size, MemberType.OTHER, None, None, depth), None)
            continue
        member = Member(display, info.size, MemberType.FILE, None, None, depth)
        try:
            stream = tf.extractfile(info)
            result = budget.read_member(stream, display, lambda: raw.consumed)
        except LimitExceeded:
            raise
        except _READ_ERRORS as exc:
            anomalies.append(Anomaly(
                "container.truncated", f"member cannot be read, archive is truncated or corrupt: "
                f"{_describe(exc)}", display, escape(info.name), Severity.MEDIUM))
            yield Entry(member, None, complete=False)
            return
        if result.complete and result.size < info.size:
            anomalies.append(Anomaly(
                "container.truncated", "member is shorter than its header says; the archive is "
                "truncated", display, f"{result.size} of {info.size} bytes", Severity.MEDIUM))
            result = ReadResult(result.data, result.sha256, result.size, False, None)
        entry = _finish_entry(member, result, anomalies)
        yield entry
        yield from _nested(entry, depth, budget, anomalies)
        if not entry.complete:
            return


def _walk_single_file(artifact: OpenedArtifact, budget: Budget) -> Iterator[Entry]:
    member = Member(artifact.filename, artifact.size)
    budget.count_member(member.path)
    with artifact._open() as fp:
        result = budget.read_member(fp, member.path, None)
    entry = _finish_entry(member, result, artifact.anomalies)
    yield entry
    yield from _nested(entry, 0, budget, artifact.anomalies)


def _walk_directory(root: Path, budget: Budget, anomalies: list[Anomaly]) -> Iterator[Entry]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        linked_dirs = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in sorted(filenames) + linked_dirs:
            full = Path(dirpath, name)
            rel = full.relative_to(root).as_posix()
            budget.count_member(rel)
            budget.check_time(rel)
            try:
                st = full.lstat()
            except OSError as exc:
                anomalies.append(Anomaly("container.corrupt-member", f"cannot stat: {exc.strerror}",
                                         rel, severity=Severity.LOW))
                continue
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(full)
                anomalies.append(_link_anomaly(rel, target))
                yield Entry(Member(rel, 0, MemberType.SYMLINK, None, target), None)
                continue
            if not stat.S_ISREG(st.st_mode):
                anomalies.append(Anomaly(
                    "container.device-member", "folder holds a device, socket or FIFO", rel,
                    escape(rel), Severity.HIGH))
                yield Entry(Member(rel, 0, MemberType.DEVICE), None)
                continue
            member = Member(rel, st.st_size)
            try:
                with open(full, "rb") as fp:
                    result = budget.read_member(fp, rel, None)
            except OSError as exc:
                anomalies.append(Anomaly("container.corrupt-member", f"cannot read: "
                                         f"{exc.strerror}", rel, severity=Severity.LOW))
                yield Entry(member, None, complete=False)
                continue
            entry = _finish_entry(member, result, anomalies)
            yield entry
            yield from _nested(entry, 0, budget, anomalies)


def _link_anomaly(display: str, target: str | None, hard: bool = False) -> Anomaly:
    target = target or ""
    escapes = target.startswith(("/", "\\")) or ".." in target.replace("\\", "/").split("/")
    kind = "hard link" if hard else "symbolic link"
    if escapes:
        return Anomaly("container.link-escape", f"{kind} points outside the archive: unpacking "
                       "it can read or overwrite files elsewhere", display,
                       f"-> {escape(target)}", Severity.HIGH)
    return Anomaly("container.link", f"archive contains a {kind}; installers handle links "
                   "differently", display, f"-> {escape(target)}", Severity.LOW)


def _safe_read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    try:
        with zf.open(info) as stream:
            return stream.read(4096).decode("utf-8", "replace")
    except _READ_ERRORS:
        return ""


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {escape(text, 160)}"
