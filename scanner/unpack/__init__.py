"""Opening artifacts safely: format by content, bounded reads, nothing written to disk.

``open_artifact`` returns an :class:`OpenedArtifact` whose :meth:`OpenedArtifact.entries`
walks every member once, in memory, descending into nested archives up to
``Limits.max_depth``. Problems with the container itself are collected as
:class:`~scanner.model.Anomaly` records instead of being raised; only an artifact that
cannot be opened at all raises :class:`UnreadableArtifact`.

Module map: ``detect`` (formats by magic bytes), ``budget`` (bounded reads and limits),
``paths`` (member-name checks), ``ziplayout`` (central directory vs local headers, stray
bytes, end records), ``zipinplace`` (members read straight from a zip in memory),
``zipnames`` (names wrongly flagged UTF-8), ``zipsalvage`` (zips without a central
directory), ``tarstream`` (a tar stream tarfile cannot use to escape the limits, and faster
tar header parsing and member reads).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import lzma
import os
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Anomaly, Limits, Member, MemberType, Severity
from ..text import escape
from . import detect, hashing, tarstream, zipinplace, zipsalvage
from .budget import Budget, LimitExceeded, ReadResult
from .paths import name_anomalies, normalize
from .ziplayout import layout_anomalies
from .zipnames import relax_utf8_names

__all__ = ["Entry", "OpenedArtifact", "UnreadableArtifact", "open_artifact", "LimitExceeded"]

_READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError, NotImplementedError,
    ValueError, RuntimeError, KeyError, OverflowError, IndexError, UnicodeDecodeError,
    MemoryError, struct.error, lzma.LZMAError)
# Open a path without following a final symlink's surprises or blocking on a FIFO.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_IN_MEMORY_BYTES = 64 * 1024 * 1024  # artifacts up to this size are read into memory once
_ENCRYPTED_FLAGS = 0x1 | 0x40  # traditional and strong encryption
_AES_METHOD = 99
_PATCHED_DATA_FLAG = 0x20  # zipfile refuses these; leave that to it


class UnreadableArtifact(Exception):
    """The artifact cannot be opened at all (not an archive we can read, truncated, empty)."""


@dataclass(frozen=True)
class Entry:
    """One member as the walk produced it.

    data: the leading bytes analysers see (None for directories, links and unread members).
    sha256 / read_size: digest and count of every byte actually read; sha256 is None when the
        walk did not hash members (see ``open_artifact``'s ``digest_every_member``).
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
    _digest: str | hashing.Pending | None  # see ``sha256``
    format: str  # zip, tar, file, directory
    limits: Limits
    _path: Path | None = None
    _data: bytes | None = None
    anomalies: list[Anomaly] = field(default_factory=list)
    budget: Budget | None = None
    digest_every_member: bool = True

    @property
    def sha256(self) -> str | None:
        """Hex SHA-256 of the artifact (None for a folder). A large artifact in memory is
        hashed on a helper thread while it is walked; this waits for that digest."""
        digest = self._digest
        if isinstance(digest, hashing.Pending):
            digest = self._digest = digest.result()
        return digest

    def entries(self) -> Iterator[Entry]:
        """Walk every member once. Stops early (with an anomaly) when a limit is hit.

        A member whose digest the helper thread is still computing is held back until the
        next member has been read (or the walk ends), so that hashing one member overlaps
        reading the next. Entries still come out in walk order, each with its digest, and
        ``anomalies`` grows as if nothing were held: what the walk finds while reading the
        next member is staged and published only once the held entry has been handed out
        (the consumer may add anomalies of its own in between).
        """
        self.budget = Budget(self.limits, hash_members=self.digest_every_member)
        published = self.anomalies
        staged: list[Anomaly] = []

        def publish(count: int) -> None:
            published.extend(staged[:count])
            del staged[:count]

        produced = 0
        held: Entry | None = None
        held_mark = 0  # how many staged anomalies were found up to and with the held entry
        try:
            try:
                for entry in self._walk(self.budget, staged):
                    produced += 1
                    if held is not None:
                        publish(held_mark)
                        yield _with_digest(held)
                        held = None
                    if isinstance(entry.sha256, hashing.Pending):
                        held, held_mark = entry, len(staged)
                    else:
                        publish(len(staged))
                        yield entry
            except LimitExceeded as stop:
                if held is not None:
                    publish(held_mark)
                    yield _with_digest(held)
                    held = None
                publish(len(staged))
                if not produced and self.format != "directory":
                    # Nothing was read at all: there is no partial result to report on.
                    raise UnreadableArtifact(
                        f"{stop.anomaly.rule}: {stop.anomaly.message}") from None
                published.append(stop.anomaly)
            except Exception:
                if held is not None:  # what was read before the error is still reported
                    publish(held_mark)
                    yield _with_digest(held)
                    held = None
                raise
            if held is not None:
                publish(held_mark)
                yield _with_digest(held)
        finally:
            publish(len(staged))

    def _walk(self, budget: Budget, anomalies: list[Anomaly]) -> Iterator[Entry]:
        if self.format == "directory":
            yield from _walk_directory(self._path, budget, anomalies)
        elif self.format == "file":
            budget.consumed = lambda: self.size
            yield from _walk_single_file(self, budget, anomalies)
        else:
            with self._open() as fp:
                walker = _walk_zip if self.format == "zip" else _walk_tar
                if walker is _walk_zip:
                    # zipfile reads members in place: the file position is how far the read got.
                    budget.consumed = fp.tell
                yield from walker(fp, self.size, "", 0, budget, anomalies, self.filename)

    def _open(self):
        if self._data is not None:
            return io.BytesIO(self._data)
        try:
            return _open_regular(self._path)
        except OSError as exc:
            raise UnreadableArtifact(f"cannot read file: {exc.strerror or exc}") from exc


def _with_digest(entry: Entry) -> Entry:
    return dataclasses.replace(entry, sha256=entry.sha256.result())


def _open_regular(path: Path):
    """Open a regular file for reading; FIFOs and devices are refused instead of blocking."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def open_artifact(source: str | os.PathLike | bytes, limits: Limits | None = None,
                  filename: str | None = None, *,
                  digest_every_member: bool = True) -> OpenedArtifact:
    """Identify ``source`` (a path or the artifact's bytes) and prepare it for walking.

    digest_every_member: give every member's sha256 (``Entry.sha256``). When False, members
    are hashed only where the artifact itself needs their digests: a zip whose central
    directory lists a top-level ``*.dist-info/RECORD`` (the wheel RECORD check compares every
    file with it; the whole walk is then hashed, nested archives included) and a zip
    recovered without a central directory (it may still be a wheel). Elsewhere
    ``Entry.sha256`` is None. SHA-256 of every member is a sixth of unpacking's CPU time, and
    sdists, which are most of the bytes, have nothing to check it against; callers that need
    digests anyway (a policy allowing members by sha256, release inventories) keep the default.

    Raises UnreadableArtifact when it is not something distscan can open.
    """
    opened = _open_artifact(source, limits or Limits(), filename)
    opened.digest_every_member = digest_every_member
    return opened


def _open_artifact(source: str | os.PathLike | bytes, limits: Limits,
                   filename: str | None) -> OpenedArtifact:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return _identify(filename or "<bytes>", len(data), hashing.artifact_digest(data),
                         io.BytesIO(data), limits, data=data)
    path = Path(source)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise UnreadableArtifact(f"cannot read file: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(mode):
        return OpenedArtifact(path.name or str(path), 0, None, "directory", limits, _path=path)
    try:
        with _open_regular(path) as fp:
            size = os.fstat(fp.fileno()).st_size
            if size <= _IN_MEMORY_BYTES:
                # One read serves the digest and the walk (in-memory reads are much cheaper
                # than thousands of small seeks and reads on a file).
                # Sized by fstat, not by the cap: read(64 MiB) allocates the cap and copies
                # the result down (160 ms for a 20 MB wheel instead of 13 ms).
                data = fp.read(size + 1)
                if len(data) <= size:  # else the file grew while we read it: stream it
                    return _identify(filename or path.name, len(data),
                                     hashing.artifact_digest(data), io.BytesIO(data), limits,
                                     path=path, data=data)
                fp.seek(0)
            digest = hashlib.file_digest(fp, "sha256").hexdigest()
            size = fp.tell()
            fp.seek(0)
            return _identify(filename or path.name, size, digest, fp, limits, path=path)
    except OSError as exc:
        raise UnreadableArtifact(f"cannot read file: {exc.strerror or exc}") from exc


def _identify(filename: str, size: int, digest: str | hashing.Pending, fp, limits: Limits, *,
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
        # A zip behind a prefix (an executable, an image) is still a zip to pip and to
        # Python's zipimport; read it as one. The layout check reports the prefix. A file
        # named as text (a .py or .pth with a zip appended) stays a file: its text is what
        # runs; the single-file walk opens the zip inside it as a nested archive.
        named_text = detect.extension(filename) in detect.TEXT_EXTENSIONS
        if fmt not in (detect.ZSTD, detect.SEVENZIP, detect.RAR) and not named_text \
                and _is_zip(fp):
            container = "zip"
        elif fmt in (detect.ZSTD, detect.SEVENZIP, detect.RAR):
            raise UnreadableArtifact(f"unsupported archive format: {fmt}")
        elif detect.extension(filename) in _PACKAGE_EXTENSIONS:
            # Installers would refuse it; scanning it as a lone file would call it clean.
            raise UnreadableArtifact(f"named {detect.extension(filename)} but the content is "
                                     f"not an archive ({fmt or 'unrecognised bytes'})")
        else:
            container = "file"
    promised = detect.contradiction(filename, {"zip": detect.ZIP, "tar": fmt}.get(container, fmt))
    if promised and container != "file":
        anomalies.append(Anomaly(
            "container.extension-mismatch", f"artifact is {promised}: tools that trust the name "
            "may treat it differently", None, escape(filename), Severity.LOW))
    return OpenedArtifact(filename, size, digest, container, limits, _path=path, _data=data,
                          anomalies=anomalies)


# Names that promise a package archive (wheel, egg, sdist).
_PACKAGE_EXTENSIONS = frozenset({".whl", ".egg", ".zip", ".tar.gz", ".tgz", ".tar.bz2",
                                 ".tar.xz", ".tar"})


def _is_zip(fp) -> bool:
    """Whether ``fp`` holds a zip that zipfile can open, wherever it starts in the file.

    Finding an end record is not enough: four bytes at the end of a text file can look like
    one, and a file that is not a zip must then still be scanned as a file.
    """
    try:
        fp.seek(0)
        if not zipfile.is_zipfile(fp):
            return False
        fp.seek(0)
        with zipfile.ZipFile(fp) as zf:
            return bool(zf.infolist())
    except (*_READ_ERRORS, UnicodeError):
        return False


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
    # The extension of ``path`` is that of ``inner_path`` (the same last component).
    why = detect.contradiction(member.path, fmt)
    if why:
        anomalies.append(Anomaly(
            "container.extension-mismatch", f"member is {why}", member.path, escape(member.name),
            Severity.MEDIUM))
    return Entry(member, result.data, result.sha256, result.size, result.complete, fmt)


def _nested(entry: Entry, depth: int, budget: Budget, anomalies: list[Anomaly], *,
            embedded_zip: bool = False) -> Iterator[Entry]:
    """Members of an archive stored inside the artifact, when depth allows.

    embedded_zip: the member is a zip behind a prefix (no zip signature at its start).
    """
    if not embedded_zip and entry.format not in detect.ARCHIVE_FORMATS:
        return
    if not entry.complete or entry.data is None:
        return
    if depth + 1 > budget.limits.max_depth:
        anomalies.append(Anomaly(
            "limits.nesting-depth", f"archive nested deeper than {budget.limits.max_depth} levels "
            "was not opened", entry.member.path, severity=Severity.MEDIUM))
        return
    if entry.read_size > len(entry.data):
        anomalies.append(Anomaly(
            "limits.nested-archive-size", f"nested archive is larger than the "
            f"{budget.limits.analysis_window}-byte analysis window and was not opened",
            entry.member.path, f"{entry.read_size} bytes", Severity.MEDIUM))
        return
    prefix = entry.member.path + "!/"
    fp = io.BytesIO(entry.data)
    walker = _walk_zip if embedded_zip or entry.format == detect.ZIP else _walk_tar
    try:
        yield from walker(fp, len(entry.data), prefix, depth + 1, budget, anomalies,
                          entry.member.path)
    except UnreadableArtifact as exc:
        if entry.format in (detect.GZIP, detect.BZIP2, detect.XZ):
            return  # a compressed single file, not a tar: its bytes were scanned already
        anomalies.append(Anomaly(
            "container.corrupt-nested-archive", f"nested archive cannot be opened: {exc}",
            entry.member.path, severity=Severity.LOW))


def _open_zip(fp, depth: int, display_where: str | None,
              anomalies: list[Anomaly]) -> tuple[zipfile.ZipFile, object, int]:
    """zipfile over ``fp``; names wrongly flagged UTF-8 are read as cp437 and reported."""
    try:
        zf = zipfile.ZipFile(fp)
        return zf, fp, -1
    except UnicodeDecodeError:
        pass
    except _READ_ERRORS as exc:
        prefix = "not a readable zip archive: " if depth == 0 else ""
        raise UnreadableArtifact(f"{prefix}{_describe(exc)}") from exc
    fp.seek(0)
    patched, bad_names = relax_utf8_names(fp.read())
    fp = io.BytesIO(patched)
    try:
        zf = zipfile.ZipFile(fp)
    except _READ_ERRORS as exc:
        raise UnreadableArtifact(f"not a readable zip archive: {_describe(exc)}") from exc
    for raw in bad_names:
        anomalies.append(Anomaly(
            "container.undecodable-name", "member name is flagged UTF-8 but is not valid UTF-8; "
            "unpackers decode it differently", display_where, escape(raw), Severity.MEDIUM))
    return zf, fp, len(patched)


def _walk_zip(fp, size: int, prefix: str, depth: int, budget: Budget,
              anomalies: list[Anomaly], where: str) -> Iterator[Entry]:
    where_path = where if depth else None
    try:
        zf, fp, patched_size = _open_zip(fp, depth, where_path, anomalies)
    except UnreadableArtifact as exc:
        fp.seek(0)
        blob = fp.read()
        if not blob.startswith(b"PK\x03\x04"):
            raise
        if depth == 0:
            budget.hash_members = True  # what is recovered may be a wheel with a RECORD
        yield from _salvage_zip(blob, prefix, depth, budget, anomalies, where_path, str(exc))
        return
    if patched_size >= 0:
        size = patched_size
    infos = zf.infolist()
    if depth == 0 and not budget.hash_members and any(map(_is_record, infos)):
        budget.hash_members = True  # the wheel RECORD check needs every member's digest
    limits = budget.limits
    if len(infos) > limits.max_members:
        infos = infos[: limits.max_members + 1]  # the walk stops at the limit anyway
    # Members whose local header agrees with the central directory are read in place when
    # the zip is in memory (see zipinplace); the others through zipfile, as before.
    in_place: dict[int, int] | None = {} if isinstance(fp, io.BytesIO) else None
    try:
        anomalies.extend(layout_anomalies(fp, size, zf, where_path, prefix, infos, in_place))
    except _READ_ERRORS as exc:
        anomalies.append(Anomaly("container.corrupt", f"zip structure cannot be checked: "
                                 f"{_describe(exc)}", where_path))
    view = memoryview(fp.getvalue()) if in_place else None
    head = _ReadHead(fp)
    if depth == 0:
        budget.consumed = head
    seen: set[str] = set()
    for info in infos:
        display = prefix + info.filename
        budget.count_member(display)
        budget.check_time(display)
        _member_checks(info.filename, display, seen, anomalies)
        # Never trust the declared compressed size for the ratio: it cannot exceed the zip.
        stored = max(0, min(info.compress_size, size))
        if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
            target = _safe_read_small(zf, info)
            anomalies.append(_link_anomaly(display, target))
            yield Entry(Member(display, info.file_size, MemberType.SYMLINK, stored, target,
                               depth), None)
            continue
        if info.filename.endswith("/"):  # ZipInfo.is_dir() fails on an empty name
            yield Entry(Member(display, 0, MemberType.DIRECTORY, 0, None, depth), None)
            continue
        member = Member(display, info.file_size, MemberType.FILE, stored, None, depth)
        if info.flag_bits & _ENCRYPTED_FLAGS or info.compress_type == _AES_METHOD:
            anomalies.append(Anomaly(
                "container.encrypted-member", "member is encrypted, so its content cannot be "
                "checked", display, escape(info.filename), Severity.HIGH))
            yield Entry(member, None, complete=False)
            continue
        start = in_place.get(info.header_offset) if in_place else None
        if (start is not None and info.compress_type in zipinplace.METHODS
                and not info.flag_bits & _PATCHED_DATA_FLAG):
            direct = zipinplace.InPlaceMember(view, start, info.compress_size, info.file_size,
                                              info.compress_type)
            head.member = direct
            result = budget.read_member(direct, display, direct.consumed, crc=True,
                                        errors=_READ_ERRORS, short_read_ends=True)
        else:
            head.member = None
            try:
                stream = zf.open(info)
            except _READ_ERRORS as exc:
                anomalies.append(Anomaly(
                    "container.corrupt-member", f"member cannot be read: {_describe(exc)}",
                    display, escape(info.filename), Severity.MEDIUM))
                yield Entry(member, None, complete=False)
                continue
            with stream:
                # Read past a bad CRC (we check it ourselves): some installers ignore it, so
                # the bytes must still be analysed.
                if hasattr(stream, "_expected_crc"):
                    stream._expected_crc = None
                result = budget.read_member(stream, display, _ZipConsumed(stream, stored),
                                            crc=True, errors=_READ_ERRORS, short_read_ends=True)
        if result.error is not None:
            anomalies.append(Anomaly(
                "container.corrupt-member", f"member cannot be read to its end: "
                f"{_describe(result.error)}", display, escape(info.filename), Severity.MEDIUM))
        elif result.complete and result.crc32 != info.CRC:
            anomalies.append(Anomaly(
                "container.crc-mismatch", "member content does not match its CRC-32: some "
                "unpackers refuse it, others install it", display,
                f"CRC {info.CRC:08x} declared, {result.crc32:08x} actual", Severity.HIGH))
        entry = _finish_entry(member, result, anomalies)
        yield entry
        if entry.format in detect.ARCHIVE_FORMATS:  # else _nested has nothing to do
            yield from _nested(entry, depth, budget, anomalies)


def _is_record(info: zipfile.ZipInfo) -> bool:
    """Whether the member is a top-level ``*.dist-info/RECORD``, the file the container
    analyser's RECORD check reads (its path as a member is exactly the zip name)."""
    name = info.filename
    return name.endswith(".dist-info/RECORD") and name.count("/") == 1


def _salvage_zip(blob: bytes, prefix: str, depth: int, budget: Budget, anomalies: list[Anomaly],
                 where_path: str | None, reason: str) -> Iterator[Entry]:
    """Members of a zip without a usable central directory, read from the local headers."""
    anomalies.append(Anomaly(
        "container.no-central-directory", "zip has no readable central directory (truncated or "
        "broken); members were recovered from their local headers, as streaming unzippers would",
        where_path, escape(reason), Severity.MEDIUM))
    seen: set[str] = set()
    for found in zipsalvage.local_members(blob, budget.limits.max_members + 1):
        display = prefix + found.name
        budget.count_member(display)
        budget.check_time(display)
        _member_checks(found.name, display, seen, anomalies)
        if found.name.endswith("/"):
            yield Entry(Member(display, 0, MemberType.DIRECTORY, 0, None, depth), None)
            continue
        member = Member(display, found.declared_size, MemberType.FILE, len(found.data), None,
                        depth)
        stream = None if found.flags & _ENCRYPTED_FLAGS else zipsalvage.opener(found)
        if stream is None:
            anomalies.append(Anomaly(
                "container.encrypted-member" if found.flags & _ENCRYPTED_FLAGS
                else "container.corrupt-member", "member cannot be read (encrypted or an "
                f"unsupported method {found.method})", display, escape(found.name),
                Severity.HIGH if found.flags & _ENCRYPTED_FLAGS else Severity.MEDIUM))
            yield Entry(member, None, complete=False)
            continue
        result = budget.read_member(stream, display, len(found.data), crc=True,
                                    errors=_READ_ERRORS)
        if result.error is not None or (not found.flags & 0x08 and result.complete
                                        and result.crc32 != found.crc):
            anomalies.append(Anomaly(
                "container.corrupt-member", "member is cut short or corrupt", display,
                escape(found.name), Severity.MEDIUM))
            result = ReadResult(result.data, result.sha256, result.size, False, result.anomaly)
        entry = _finish_entry(member, result, anomalies)
        yield entry
        if entry.format in detect.ARCHIVE_FORMATS:  # else _nested has nothing to do
            yield from _nested(entry, depth, budget, anomalies)


class _ReadHead:
    """How far into a zip the member reads have got, for the whole-artifact expansion ratio:
    the in-place reader's position, or the file position zipfile's reads leave behind."""

    __slots__ = ("fp", "member")

    def __init__(self, fp):
        self.fp = fp
        self.member: zipinplace.InPlaceMember | None = None

    def __call__(self) -> int:
        return self.member.position if self.member is not None else self.fp.tell()


@dataclass(frozen=True)
class _ZipConsumed:
    """Compressed bytes a zip member's stream has consumed so far: judging the expansion ratio
    on what was read, not on the whole stored size, stops a bomb after the ratio floor instead
    of after ``max_ratio`` times its size."""

    stream: object
    stored: int

    def __call__(self) -> int:
        left = getattr(self.stream, "_compress_left", None)
        if not isinstance(left, int):
            return self.stored
        # zipfile reads compressed data ahead; what the decompressor has not used yet is
        # not consumed.
        pending = getattr(getattr(self.stream, "_decompressor", None), "unconsumed_tail", b"")
        return max(0, min(self.stored, self.stored - left - len(pending)))


def _walk_tar(fp, size: int, prefix: str, depth: int, budget: Budget,
              anomalies: list[Anomaly], where: str) -> Iterator[Entry]:
    where_path = where if depth else None
    try:
        raw, stream, buffered = tarstream.open_stream(fp, budget)
        if depth == 0:
            budget.consumed = raw.counted
        tf = tarfile.open(fileobj=buffered, mode="r:", tarinfo=tarstream.BoundedTarInfo)
    except tarstream.OversizedHeader as exc:
        anomalies.append(tarstream.header_anomaly(exc, where_path))
        return
    except _READ_ERRORS as exc:
        raise UnreadableArtifact(f"not a readable tar archive: {_describe(exc)}") from exc
    seen: set[str] = set()
    count = 0
    while True:
        try:
            info = tf.next()
        except tarstream.OversizedHeader as exc:
            anomalies.append(tarstream.header_anomaly(exc, where_path))
            return
        except _READ_ERRORS as exc:
            if count == 0 and depth == 0:
                raise UnreadableArtifact(f"not a readable tar archive: {_describe(exc)}") from exc
            anomalies.append(Anomaly(
                "container.truncated", f"archive ends early or is corrupt after {count} members: "
                f"{_describe(exc)}", where_path, severity=Severity.MEDIUM))
            return
        if info is None:
            return
        tf.members.clear()  # tarfile would otherwise keep every header in memory
        count += 1
        display = prefix + info.name
        stream.current = display
        budget.count_member(display)
        budget.check_time(display)
        _member_checks(info.name, display, seen, anomalies)
        if info.type in _TAR_REGULAR:
            pass  # most members: none of the checks below applies
        elif info.issym() or info.islnk():
            kind = MemberType.SYMLINK if info.issym() else MemberType.HARDLINK
            anomalies.append(_link_anomaly(display, info.linkname, hard=info.islnk()))
            yield Entry(Member(display, 0, kind, None, info.linkname, depth), None)
            continue
        elif info.ischr() or info.isblk() or info.isfifo():
            kind = MemberType.FIFO if info.isfifo() else MemberType.DEVICE
            anomalies.append(Anomaly(
                "container.device-member", "archive contains a device or FIFO entry; unpacking it "
                "can hang or touch hardware", display, escape(info.name), Severity.HIGH))
            yield Entry(Member(display, 0, kind, None, None, depth), None)
            continue
        elif info.isdir():
            yield Entry(Member(display, 0, MemberType.DIRECTORY, None, None, depth), None)
            continue
        elif info.type not in tarfile.SUPPORTED_TYPES:
            # tarfile and GNU tar unpack unknown types as regular files: read them as such.
            anomalies.append(Anomaly(
                "container.unknown-member-type", "member has an unknown tar type and is unpacked "
                "as a regular file", display, f"type {escape(info.type)}", Severity.LOW))
        member = Member(display, info.size, MemberType.FILE, None, None, depth)
        try:
            data_stream = tarstream.member_stream(tf, info, budget.limits.chunk_bytes)
        except _READ_ERRORS:
            data_stream = None
        if data_stream is None:
            anomalies.append(Anomaly(
                "container.truncated", "member cannot be read, archive is truncated or corrupt",
                display, escape(info.name), Severity.MEDIUM))
            yield Entry(member, None, complete=False)
            return
        result = budget.read_member(data_stream, display, raw.counted, errors=_READ_ERRORS,
                                    short_read_ends=True,
                                    size_cap=info.size if info.size >= 0 else None)
        error = result.error
        if error is not None or result.size < info.size:
            why = _describe(error) if error is not None else f"{result.size} of {info.size} bytes"
            if result.complete or error is not None:
                anomalies.append(Anomaly(
                    "container.truncated", "member is shorter than its header says; the archive "
                    "is truncated or corrupt", display, why, Severity.MEDIUM))
                result = ReadResult(result.data, result.sha256, result.size, False, result.anomaly)
        entry = _finish_entry(member, result, anomalies)
        yield entry
        if entry.format in detect.ARCHIVE_FORMATS:  # else _nested has nothing to do
            yield from _nested(entry, depth, budget, anomalies)
        # Going on past a cut member means skipping its rest: fine after the member-size
        # limit (the stream guard still counts what is skipped), pointless after an error.
        if not entry.complete and (result.anomaly is None
                                   or result.anomaly.rule != "limits.member-size"):
            return


# Regular files (tarfile.REGULAR_TYPES): not links, devices, folders or unknown types.
_TAR_REGULAR = frozenset(tarfile.REGULAR_TYPES)


def _walk_single_file(artifact: OpenedArtifact, budget: Budget,
                      anomalies: list[Anomaly]) -> Iterator[Entry]:
    member = Member(artifact.filename, artifact.size)
    budget.count_member(member.path)
    with artifact._open() as fp:
        result = budget.read_member(fp, member.path, None, errors=_READ_ERRORS)
    if result.error is not None:
        anomalies.append(Anomaly(
            "limits.unreadable-member", f"file cannot be read to its end: "
            f"{_describe(result.error)}", member.path, severity=Severity.MEDIUM))
    entry = _finish_entry(member, result, anomalies)
    yield entry
    embedded = (entry.format is None and entry.complete and entry.read_size == len(entry.data)
                and _is_zip(io.BytesIO(entry.data)))
    yield from _nested(entry, 0, budget, anomalies, embedded_zip=embedded)


def _walk_directory(root: Path, budget: Budget, anomalies: list[Anomaly]) -> Iterator[Entry]:
    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename).relative_to(root).as_posix() if exc.filename else None
        anomalies.append(Anomaly(
            "limits.unreadable-member", f"folder cannot be listed: {exc.strerror or exc}; its "
            "files were not scanned", where, severity=Severity.MEDIUM))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
        dirnames.sort()
        linked_dirs = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in sorted(filenames) + linked_dirs:
            full = Path(dirpath, name)
            rel = full.relative_to(root).as_posix()
            budget.count_member(rel)
            budget.check_time(rel)
            anomalies.extend(name_anomalies(rel, rel))
            yield from _directory_member(full, rel, budget, anomalies)


def _directory_member(full: Path, rel: str, budget: Budget,
                      anomalies: list[Anomaly]) -> Iterator[Entry]:
    try:
        st = full.lstat()
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(full)
            anomalies.append(_link_anomaly(rel, target))
            yield Entry(Member(rel, 0, MemberType.SYMLINK, None, target), None)
            return
    except OSError as exc:
        anomalies.append(Anomaly("limits.unreadable-member", f"cannot stat: {exc.strerror}",
                                 rel, severity=Severity.MEDIUM))
        return
    if not stat.S_ISREG(st.st_mode):
        kind = MemberType.FIFO if stat.S_ISFIFO(st.st_mode) else MemberType.DEVICE
        anomalies.append(Anomaly(
            "container.device-member", "folder holds a device, socket or FIFO", rel,
            escape(rel), Severity.HIGH))
        yield Entry(Member(rel, 0, kind), None)
        return
    member = Member(rel, st.st_size)
    try:
        # O_NONBLOCK and the regular-file check again: the entry may have been swapped for a
        # FIFO since lstat, and opening a FIFO without a writer blocks for ever.
        fp = _open_regular(full)
    except OSError as exc:
        anomalies.append(Anomaly("limits.unreadable-member", f"cannot read: "
                                 f"{exc.strerror or exc}", rel, severity=Severity.MEDIUM))
        yield Entry(member, None, complete=False)
        return
    with fp:
        result = budget.read_member(fp, rel, None, errors=(OSError,))
    if result.error is not None:
        anomalies.append(Anomaly("limits.unreadable-member", f"cannot read: "
                                 f"{_describe(result.error)}", rel, severity=Severity.MEDIUM))
    entry = _finish_entry(member, result, anomalies)
    yield entry
    yield from _nested(entry, 0, budget, anomalies)


def _link_anomaly(display: str, target: str | None, hard: bool = False) -> Anomaly:
    target = target or ""
    parts = target.replace("\\", "/").split("/")
    escapes = (target.startswith(("/", "\\")) or ".." in parts
               or (len(target) > 1 and target[1] == ":"))
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
