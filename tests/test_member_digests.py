"""Member sha256 digests are computed only where something needs them (see
``scanner.unpack.open_artifact``): a wheel's RECORD check, a policy allowing members by digest,
release inventories. These tests pin that every consumer still gets its digests."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

import pytest

from scanner.analyzers.container import ANALYZER
from scanner.diff.inventory import take_inventory
from scanner.pipeline import ScanOptions, open_for_scan, scan
from scanner.policy import parse_policy
from scanner.testing import (
    archive_bytes,
    sdist_bytes,
    sdist_filename,
    wheel_bytes,
    wheel_filename,
)
from scanner.unpack import open_artifact

CONTAINER_ONLY = ScanOptions(analyzers=(ANALYZER,))


# A zip named .png: the container analyser reports the member (extension-mismatch).
DISGUISED = archive_bytes({"a.txt": b"hello"}, "zip")
DISGUISED_SHA256 = hashlib.sha256(DISGUISED).hexdigest()


def _digests(data: bytes, filename: str, *, every: bool) -> dict[str, bytes | None]:
    opened = open_artifact(data, filename=filename, digest_every_member=every)
    return {e.member.path: e.sha256 for e in opened.entries() if e.data is not None}


def test_sdist_members_are_not_hashed_by_default_but_are_on_request():
    data = sdist_bytes("demo", "1.0", {"demo/__init__.py": b"x = 1\n"})
    name = sdist_filename("demo", "1.0")
    assert set(_digests(data, name, every=False).values()) == {None}
    hashed = _digests(data, name, every=True)
    assert hashed["demo-1.0/demo/__init__.py"] == hashlib.sha256(b"x = 1\n").digest()
    # The default of open_artifact is unchanged: every member hashed.
    assert None not in {e.sha256 for e in open_artifact(data, filename=name).entries()
                        if e.data is not None}


def test_a_zip_listing_a_record_hashes_every_member_nested_ones_too():
    files = {"demo/__init__.py": b"", "demo/inner.zip": DISGUISED}
    data = wheel_bytes("demo", "1.0", files)
    digests = _digests(data, wheel_filename("demo", "1.0"), every=False)
    assert "demo/inner.zip!/a.txt" in digests
    assert None not in digests.values()
    assert digests["demo/inner.zip"] == hashlib.sha256(DISGUISED).digest()
    # A plain zip (no RECORD) is not hashed.
    assert set(_digests(archive_bytes(files, "zip"), "x.zip", every=False).values()) == {None}


def test_scan_with_default_options_hashes_wheels_not_sdists():
    wheel = open_for_scan(wheel_bytes("demo", "1.0", {"demo/a.py": b"a = 1\n"}), ScanOptions())
    assert None not in {e.sha256 for e in wheel.entries() if e.data is not None}
    sdist = open_for_scan(sdist_bytes("demo", "1.0", {"demo/a.py": b"a = 1\n"}), ScanOptions())
    assert {e.sha256 for e in sdist.entries() if e.data is not None} == {None}


@pytest.mark.parametrize("allow", [False, True])
def test_record_hash_mismatch_is_still_found(allow):
    """Tampered wheel: the RECORD check runs with and without a policy allow list."""
    wheel = wheel_bytes("demo", "1.0", {"demo/__init__.py": b"x = 1\n"})
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(wheel)) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, b"import os\n" if info.filename ==
                            "demo/__init__.py" else content)
    policy = parse_policy({"allow": [{"sha256": "b" * 64, "reason": "unrelated"}]}) \
        if allow else None
    options = ScanOptions(analyzers=(ANALYZER,), policy=policy)
    result = scan(buffer.getvalue(), filename=wheel_filename("demo", "1.0"), options=options)
    mismatches = [f for f in result.findings if f.rule == "wheel.record-hash-mismatch"]
    actual = base64.urlsafe_b64encode(hashlib.sha256(b"import os\n").digest()).rstrip(b"=")
    assert [f.path for f in mismatches] == ["demo/__init__.py"]
    assert f"actual sha256={actual.decode()}" in mismatches[0].evidence
    untouched = scan(wheel, filename=wheel_filename("demo", "1.0"), options=CONTAINER_ONLY)
    assert not any(f.rule.startswith("wheel.record") for f in untouched.findings)


@pytest.mark.parametrize("fmt", ["gz", "zip"])
def test_policy_member_sha256_allow_entry_works_on_an_sdist(fmt):
    data = sdist_bytes("demo", "1.0", {"demo/__init__.py": b"", "demo/logo.png": DISGUISED},
                       fmt=fmt)
    name = sdist_filename("demo", "1.0", fmt)
    path = "demo-1.0/demo/logo.png"
    plain = scan(data, filename=name, options=CONTAINER_ONLY)
    assert ("container.extension-mismatch", path) in {(f.rule, f.path) for f in plain.findings}
    policy = parse_policy({"allow": [{"sha256": DISGUISED_SHA256, "reason": "our logo"}]})
    allowed = scan(data, filename=name, options=ScanOptions(analyzers=(ANALYZER,),
                                                             policy=policy))
    rules = {(f.rule, f.path) for f in allowed.findings}
    assert ("container.extension-mismatch", path) not in rules
    assert ("policy.allowed-member", path) in rules


def test_release_inventory_keeps_every_digest():
    data = archive_bytes({"demo-1.0/PKG-INFO": b"Name: demo\n", "demo-1.0/a.py": b"a = 1\n"})
    inventory = take_inventory(data, filename="demo-1.0.tar.gz")
    digests = {entry.path: entry.sha256 for entry in inventory.files.values()}
    assert digests["demo-1.0/a.py"] == hashlib.sha256(b"a = 1\n").hexdigest()
    assert None not in digests.values()
