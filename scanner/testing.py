"""Assembling real wheels and sdists from a map of files, without running any build backend.

Tests, the corpus build and benchmarks use this: corpus samples carry (defanged) install
hooks, so building them with setuptools would run their setup.py. Here nothing is executed;
files are only written into archives.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

FileMap = Mapping[str, bytes | str]


def _bytes(content: bytes | str) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def dist_name(name: str) -> str:
    """The escaped project name used in wheel and .dist-info file names."""
    return str(canonicalize_name(name)).replace("-", "_")


def core_metadata(name: str, version: str, summary: str = "", requires: tuple[str, ...] = (),
                  extra: str = "") -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if summary:
        lines.append(f"Summary: {summary}")
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n" + extra + "\n"


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel_bytes(name: str, version: str, files: FileMap, *, tag: str = "py3-none-any",
                entry_points: str | None = None, requires: tuple[str, ...] = (),
                summary: str = "", record: bool = True, extra_record: FileMap | None = None,
                purelib: bool | None = None) -> bytes:
    """A wheel holding ``files`` (paths relative to the wheel root) plus valid .dist-info.

    ``extra_record`` files are added *after* RECORD is written, so they are missing from it.
    """
    dist_info = f"{dist_name(name)}-{version}.dist-info"
    pure = purelib if purelib is not None else tag.endswith("-any")
    meta: dict[str, bytes] = {
        f"{dist_info}/METADATA": core_metadata(name, version, summary, requires).encode(),
        f"{dist_info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: distscan-tests\n"
                               f"Root-Is-Purelib: {'true' if pure else 'false'}\n"
                               f"Tag: {tag}\n").encode(),
    }
    if entry_points:
        meta[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    contents = {path: _bytes(data) for path, data in files.items()} | meta
    rows = [record_line(path, data) for path, data in contents.items()]
    rows.append(f"{dist_info}/RECORD,,")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in contents.items():
            zf.writestr(_zinfo(path), data)
        if record:
            zf.writestr(_zinfo(f"{dist_info}/RECORD"), "\n".join(rows) + "\n")
        for path, data in (extra_record or {}).items():
            zf.writestr(_zinfo(path), _bytes(data))
    return buf.getvalue()


def wheel_filename(name: str, version: str, tag: str = "py3-none-any") -> str:
    return f"{dist_name(name)}-{version}-{tag}.whl"


def sdist_bytes(name: str, version: str, files: FileMap, *, pkg_info: bool = True,
                fmt: str = "gz", summary: str = "") -> bytes:
    """An sdist (``tar.gz`` by default; fmt ``zip`` for a zip sdist) with one top folder."""
    root = f"{dist_name(name)}-{version}"
    contents = {f"{root}/{path}": _bytes(data) for path, data in files.items()}
    if pkg_info:
        contents[f"{root}/PKG-INFO"] = core_metadata(name, version, summary).encode()
    return archive_bytes(contents, fmt)


def sdist_filename(name: str, version: str, fmt: str = "gz") -> str:
    return f"{dist_name(name)}-{version}." + ("zip" if fmt == "zip" else f"tar.{fmt}")


def archive_bytes(contents: FileMap, fmt: str = "gz") -> bytes:
    """A plain tar (fmt gz/bz2/xz/"" for uncompressed) or zip (fmt ``zip``) of ``contents``."""
    buf = io.BytesIO()
    if fmt == "zip":
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path, data in contents.items():
                zf.writestr(_zinfo(path), _bytes(data))
        return buf.getvalue()
    mode = f"w:{fmt}" if fmt else "w"
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:
        for path, data in contents.items():
            raw = _bytes(data)
            info = tarfile.TarInfo(path)
            info.size = len(raw)
            info.mtime = 1_700_000_000
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(raw))
    return buf.getvalue()


def tree_files(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root``, keyed by its relative POSIX path."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def _zinfo(path: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=time.gmtime(1_700_000_000)[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info
