"""Cheaper member reads give the same results and read the archive in the same pieces.

``Budget.read_member`` skips the empty read that confirms a zip or tar member's end, and asks
tarfile for the rest of a member rather than a whole chunk. Neither may change what a walk
produces, nor how the compressed stream is read (the decompressor's read-ahead is what the
expansion-ratio checks and their evidence report).
"""

from __future__ import annotations

import io
import random
import tarfile

import pytest

from scanner.model import Limits
from scanner.testing import archive_bytes
from scanner.unpack import budget, open_artifact, tarstream

KB = 1024
# Sizes around the tar member reader's buffer (8 KiB) and around the chunk size used below.
SIZES = [0, 1, 511, 8191, 8192, 8193, 16383, 16384, 16385, 40000, 65536 + 3, 200_000]


def _members() -> dict[str, bytes]:
    rng = random.Random(5)
    return {f"pkg/m{i}_{size}.bin": bytes(rng.randrange(60, 64) for _ in range(size))
            for i, size in enumerate(SIZES)}


def _plain_read_member(monkeypatch):
    """Budget.read_member as it was: every read asks for a whole chunk, and the end of a
    member is confirmed by an empty read."""
    original = budget.Budget.read_member

    def read_member(self, stream, path, stored_bytes=None, **kwargs):
        kwargs.pop("short_read_ends", None)
        kwargs.pop("size_cap", None)
        return original(self, stream, path, stored_bytes, **kwargs)

    monkeypatch.setattr(budget.Budget, "read_member", read_member)


def _walk(data: bytes, name: str, limits: Limits, monkeypatch) -> tuple[list, list, list]:
    """Entries, anomalies and the sizes of every read of the decompressed tar stream: those
    tarfile makes (of its buffered reader) and those that reach the decompressor."""
    reads: list[tuple[str, int]] = []
    original_read = tarstream.GuardedStream.read
    original_open = tarstream.open_stream

    def recording_read(self, size=-1):
        reads.append(("decompressor", size))
        return original_read(self, size)

    class RecordingBuffer(io.BufferedReader):
        def read(self, size=-1):
            reads.append(("tarfile", size))
            return super().read(size)

    unused: list = []  # the buffer open_stream made would close the stream when collected

    def recording_open(fp, budget_):
        raw, guard, buffered = original_open(fp, budget_)
        unused.append(buffered)
        return raw, guard, RecordingBuffer(guard, tarstream._BUFFER_BYTES)

    with monkeypatch.context() as patch:
        patch.setattr(tarstream.GuardedStream, "read", recording_read)
        patch.setattr(tarstream, "open_stream", recording_open)
        opened = open_artifact(data, limits, filename=name)
        entries = [(e.member, e.sha256, e.read_size, e.complete, e.format, e.data)
                   for e in opened.entries()]
    return entries, [(a.rule, a.message, a.path, a.evidence) for a in opened.anomalies], reads


@pytest.mark.parametrize("kind,name", [("gz", "pkg-1.0.tar.gz"), ("", "pkg-1.0.tar"),
                                       ("bz2", "pkg-1.0.tar.bz2")])
@pytest.mark.parametrize("limits", [
    Limits(chunk_bytes=16 * KB),
    Limits(chunk_bytes=12_000),  # not a multiple of the reader's buffer
    Limits(chunk_bytes=16 * KB, max_member_bytes=50_000),
    Limits(chunk_bytes=16 * KB, ratio_floor_bytes=30_000, max_ratio=2.0),
    Limits(),
], ids=["16k", "12000", "member-limit", "ratio-limit", "default"])
def test_tar_members_read_the_same_in_the_same_pieces(monkeypatch, kind, name, limits):
    data = archive_bytes(_members(), kind)
    fast = _walk(data, name, limits, monkeypatch)
    with monkeypatch.context() as patch:
        _plain_read_member(patch)
        plain = _walk(data, name, limits, monkeypatch)
    assert fast == plain
    assert fast[0] and fast[2]
    if limits.max_ratio == 2.0 and kind:  # compressed, it expands more than twice: cut short
        assert len(fast[0]) < len(SIZES)
        assert [rule for rule, *_ in fast[1]] == ["container.compression-bomb"]
    else:
        assert len(fast[0]) == len(SIZES)


@pytest.mark.parametrize("cut", [20_000, 50_000, 80_000, 100_000])
def test_truncated_tar_gives_the_same_partial_result(monkeypatch, cut):
    data = archive_bytes(_members(), "gz")[:cut]
    fast = _walk(data, "pkg-1.0.tar.gz", Limits(chunk_bytes=16 * KB), monkeypatch)
    with monkeypatch.context() as patch:
        _plain_read_member(patch)
        plain = _walk(data, "pkg-1.0.tar.gz", Limits(chunk_bytes=16 * KB), monkeypatch)
    assert fast == plain
    assert any(rule == "container.truncated" for rule, *_ in fast[1])


def test_zip_members_read_the_same(monkeypatch):
    data = archive_bytes(_members(), "zip")
    for limits in (Limits(chunk_bytes=16 * KB), Limits()):
        opened = open_artifact(data, limits, filename="pkg-1.0.zip")
        fast = [(e.member, e.sha256, e.read_size, e.complete, e.data) for e in opened.entries()]
        with monkeypatch.context() as patch:
            _plain_read_member(patch)
            opened = open_artifact(data, limits, filename="pkg-1.0.zip")
            plain = [(e.member, e.sha256, e.read_size, e.complete, e.data)
                     for e in opened.entries()]
        assert fast == plain
        assert [len(entry[-1]) for entry in fast] == SIZES


def test_a_member_reader_never_asks_for_more_than_a_chunk():
    limits = Limits(chunk_bytes=16 * KB)
    asked: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size=-1):
            asked.append(size)
            return super().read(size)

    for size in SIZES:
        asked.clear()
        result = budget.Budget(limits).read_member(Recording(b"x" * size), "m",
                                                   short_read_ends=True, size_cap=size)
        assert result.size == size and result.complete
        assert all(0 < n <= limits.chunk_bytes for n in asked)
        assert len(asked) == size // limits.chunk_bytes + 1  # no read after the short one


def test_tarfile_member_reads_are_capped_at_the_header_size():
    """What size_cap relies on: tarfile never returns more than a member's header size."""
    payload = b"a" * 5000 + b"b" * 5000
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("x")
        info.size = 5000
        archive.addfile(info, io.BytesIO(payload))
    buffer.seek(0)
    with tarfile.open(fileobj=buffer, mode="r:") as archive:
        member = archive.extractfile(archive.next())
        assert member.read(1 << 20) == b"a" * 5000
        assert member.read(1 << 20) == b""
