"""SHA-256 on helper threads (``scanner.unpack.hashing``): the same digests, entries and
anomalies as hashing in place, in the same order, also when a limit cuts the walk short or a
process forks."""

from __future__ import annotations

import hashlib
import io
import os
import random
import select
import zipfile

import pytest

from scanner.analyzers.container import ANALYZER
from scanner.model import Anomaly, Limits
from scanner.pipeline import ScanOptions, scan
from scanner.testing import archive_bytes, sdist_bytes, sdist_filename, wheel_bytes, wheel_filename
from scanner.unpack import hashing, open_artifact

MB = 1024 * 1024


def _noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


# Members on both sides of the hand-over size, and one of several chunks.
FILES = {
    "demo/__init__.py": b"x = 1\n",
    "demo/big.bin": _noise(3 * MB + 17, 1),
    "demo/fake.png": b"not an image",  # a finding while the member before it is held
    "demo/mid.bin": _noise(hashing.OFFLOAD_BYTES + 1, 2),
    "demo/edge.bin": _noise(hashing.OFFLOAD_BYTES - 1, 3),
    "demo/small.py": b"import os\n" * 50,
    "demo/inner.zip": archive_bytes({"a.bin": _noise(200_000, 4), "b.txt": b"hi"}, "zip"),
    "demo/last.bin": _noise(MB, 5),
}


def _walk(data: bytes, filename: str, limits: Limits | None = None, every: bool = True):
    opened = open_artifact(data, limits, filename=filename, digest_every_member=every)
    entries = [(e.member, e.sha256, e.read_size, e.complete, e.format, e.data)
               for e in opened.entries()]
    return entries, [(a.rule, a.message, a.path, a.evidence) for a in opened.anomalies], \
        opened.sha256


def _in_place(monkeypatch, *args, **kwargs):
    """The same walk with every digest computed on the reading thread."""
    with monkeypatch.context() as patch:
        patch.setattr(hashing, "OFFLOAD_BYTES", 1 << 62)
        patch.setattr(hashing, "OFFLOAD_ARTIFACT_BYTES", 1 << 62)
        return _walk(*args, **kwargs)


ARTIFACTS = [
    (wheel_bytes("demo", "1.0", FILES), wheel_filename("demo", "1.0")),
    (sdist_bytes("demo", "1.0", FILES), sdist_filename("demo", "1.0")),
    (archive_bytes(FILES, "zip"), "demo-1.0.zip"),
]


@pytest.mark.parametrize("data,filename", ARTIFACTS, ids=[name for _, name in ARTIFACTS])
def test_digests_and_entries_match_hashing_in_place(monkeypatch, data, filename):
    entries, anomalies, digest = _walk(data, filename)
    assert (entries, anomalies, digest) == _in_place(monkeypatch, data, filename)
    assert digest == hashlib.sha256(data).hexdigest()
    by_name = {member.path.rsplit("/", 1)[-1]: sha for member, sha, *_ in entries}
    for path, content in FILES.items():
        assert by_name[path.rsplit("/", 1)[-1]] == hashlib.sha256(content).digest(), path
    assert by_name["a.bin"] == hashlib.sha256(_noise(200_000, 4)).digest()  # nested
    assert all(isinstance(sha, bytes) for _, sha, *_ in entries if sha is not None)


@pytest.mark.parametrize("limits", [
    Limits(max_total_bytes=4 * MB),  # stops inside big.bin's successors
    Limits(max_member_bytes=2 * MB),  # cuts big.bin, the walk goes on
    Limits(max_members=4),
])
def test_a_limit_still_reports_the_member_held_for_its_digest(monkeypatch, limits):
    data, filename = ARTIFACTS[0]
    walked = _walk(data, filename, limits)
    assert walked == _in_place(monkeypatch, data, filename, limits)
    assert any(rule.startswith("limits.") for rule, *_ in walked[1])
    # The member read just before the limit (hashed on the helper) is there, with its digest.
    assert all(sha is not None for _, sha, *rest in walked[0] if rest[-1] is not None)


def _interleaved(data: bytes, filename: str) -> list[tuple[str, str | None]]:
    """Anomalies as a consumer that adds its own after each entry sees them (as the pipeline
    does when it stops retaining text)."""
    opened = open_artifact(data, Limits(max_member_bytes=2 * MB), filename=filename)
    for entry in opened.entries():
        opened.anomalies.append(Anomaly("consumer.saw", "", entry.member.path))
    return [(a.rule, a.path) for a in opened.anomalies]


@pytest.mark.parametrize("data,filename", ARTIFACTS, ids=[name for _, name in ARTIFACTS])
def test_anomalies_grow_in_walk_order_while_an_entry_is_held(monkeypatch, data, filename):
    seen = _interleaved(data, filename)
    with monkeypatch.context() as patch:
        patch.setattr(hashing, "OFFLOAD_BYTES", 1 << 62)
        assert seen == _interleaved(data, filename)
    # big.bin's own limit finding comes before the consumer's note on it, and after the one
    # on the member before it.
    order = [(rule, path.rsplit("/", 1)[-1]) for rule, path in seen if path]
    at = order.index(("limits.member-size", "big.bin"))
    assert order[at:at + 4] == [("limits.member-size", "big.bin"), ("consumer.saw", "big.bin"),
                                ("container.extension-mismatch", "fake.png"),
                                ("consumer.saw", "fake.png")]


def test_artifact_digest_of_a_file_is_waited_for(tmp_path):
    data, filename = ARTIFACTS[0]
    assert len(data) >= hashing.OFFLOAD_ARTIFACT_BYTES
    path = tmp_path / filename
    path.write_bytes(data)
    opened = open_artifact(path)
    assert isinstance(opened._digest, hashing.Pending)
    assert opened.sha256 == hashlib.sha256(data).hexdigest()
    assert opened.sha256 == hashlib.sha256(data).hexdigest()  # asked twice: same answer


def test_record_mismatch_in_a_large_member_is_found():
    wheel = wheel_bytes("demo", "1.0", {"demo/big.bin": _noise(2 * MB, 7)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(wheel)) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "demo/big.bin":
                content = content[:-1] + bytes([content[-1] ^ 1])
            target.writestr(info.filename, content)
    result = scan(buffer.getvalue(), filename=wheel_filename("demo", "1.0"),
                  options=ScanOptions(analyzers=(ANALYZER,)))
    mismatches = [f for f in result.findings if f.rule == "wheel.record-hash-mismatch"]
    assert [f.path for f in mismatches] == ["demo/big.bin"]
    clean = scan(wheel, filename=wheel_filename("demo", "1.0"),
                 options=ScanOptions(analyzers=(ANALYZER,)))
    assert not [f for f in clean.findings if f.rule.startswith("wheel.record")]


def test_a_failing_update_is_reported_to_the_waiter_and_the_helper_lives_on():
    broken = hashing.Offloaded(hashlib.sha256())
    broken.update(object())  # not bytes: hashlib raises TypeError on the helper thread
    with pytest.raises(TypeError):
        broken.digest().result()
    fine = hashing.Offloaded(hashlib.sha256())
    fine.update(b"x" * hashing.OFFLOAD_BYTES)
    assert fine.digest().result() == hashlib.sha256(b"x" * hashing.OFFLOAD_BYTES).digest()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_its_own_helpers():
    data = _noise(2 * MB, 9)
    expected = hashlib.sha256(data).hexdigest()
    assert hashing.artifact_digest(data).result() == expected  # helpers run in this process
    # A digest the parent's helper has not delivered yet when the process forks: the child
    # computes it itself instead of waiting for a thread it does not have.
    unfinished = hashing.Pending(lambda: expected)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: no helper threads were inherited
        try:
            ok = hashing.artifact_digest(data).result() == expected
            part = hashing.Offloaded(hashlib.sha256())
            part.update(data)
            ok = ok and part.digest().result() == hashlib.sha256(data).digest()
            ok = ok and unfinished.result() == expected
            os.write(write_end, b"ok" if ok else b"bad")
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        assert ready, "the child hung waiting for a digest"
        assert os.read(read_end, 16) == b"ok"
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
