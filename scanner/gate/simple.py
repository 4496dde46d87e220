"""The simple repository API as data: parsing an upstream's pages (PEP 503 HTML or PEP 691
JSON) and rendering the gate's own pages in either form.

What is carried per file: hashes (PEP 503/691), requires-python (PEP 503/691), yanked and its
reason (PEP 592), the core-metadata file and its hashes (PEP 658, renamed by PEP 714), gpg-sig,
size and upload-time (PEP 700). The project's version list (PEP 700) is carried too. Anything
else an upstream says (provenance URLs and the like) is dropped: it would point past the gate.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
# Served when every file has a size (PEP 700 makes size required from 1.1 on).
API_VERSION_WITH_SIZES = "1.1"
API_VERSION_BASIC = "1.0"


class PageError(ValueError):
    """An upstream page cannot be understood."""


@dataclass(frozen=True)
class FileEntry:
    """One distribution file as an index lists it.

    url: absolute upstream URL without fragment (never shown to clients).
    hashes: algorithm -> lowercase hex digest, as the upstream published them.
    yanked: False, True, or the yank reason (a non-empty string).
    core_metadata: False, True (present, no hash known) or a mapping of hashes (PEP 658/714).
    upload_time: ISO 8601 string as published (PEP 700), or None.
    """

    filename: str
    url: str
    hashes: Mapping[str, str] = field(default_factory=dict)
    requires_python: str | None = None
    yanked: bool | str = False
    core_metadata: bool | Mapping[str, str] = False
    gpg_sig: bool | None = None
    size: int | None = None
    upload_time: str | None = None

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")


@dataclass(frozen=True)
class ProjectPage:
    name: str  # normalized
    files: tuple[FileEntry, ...]
    versions: tuple[str, ...] | None = None  # PEP 700, when the upstream gave it
    api_version: str = API_VERSION_BASIC

    def file(self, filename: str) -> FileEntry | None:
        return next((f for f in self.files if f.filename == filename), None)


# -- parsing -----------------------------------------------------------------------------------

def parse_project_page(body: bytes, content_type: str, page_url: str,
                       name: str) -> ProjectPage:
    """Read an upstream project page; relative file URLs are resolved against ``page_url``."""
    if "json" in content_type.split(";", 1)[0]:
        return _parse_project_json(body, page_url, name)
    return _parse_project_html(body, page_url, name)


def parse_index_page(body: bytes, content_type: str) -> tuple[str, ...]:
    """Project names listed on an upstream's root index."""
    if "json" in content_type.split(";", 1)[0]:
        try:
            data = json.loads(body)
            return tuple(str(p["name"]) for p in data.get("projects", []))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise PageError(f"index JSON is malformed: {exc.__class__.__name__}") from None
    parser = _AnchorParser()
    parser.feed(body.decode("utf-8", "replace"))
    return tuple(text.strip() for _, text in parser.anchors if text.strip())


def _parse_project_json(body: bytes, page_url: str, name: str) -> ProjectPage:
    try:
        data = json.loads(body)
        files = tuple(_json_file(item, page_url) for item in data.get("files", []))
        versions = data.get("versions")
        api_version = str(data.get("meta", {}).get("api-version", API_VERSION_BASIC))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PageError(f"project JSON is malformed: {exc.__class__.__name__}: {exc}") from None
    return ProjectPage(str(canonicalize_name(data.get("name") or name)), files,
                       tuple(map(str, versions)) if isinstance(versions, list) else None,
                       api_version)


def _json_file(item: Mapping, page_url: str) -> FileEntry:
    url, _ = urldefrag(urljoin(page_url, item["url"]))
    metadata = item.get("core-metadata", item.get("dist-info-metadata", False))
    size = item.get("size")
    return FileEntry(
        filename=str(item["filename"]),
        url=url,
        hashes={str(k).lower(): str(v).lower() for k, v in (item.get("hashes") or {}).items()},
        requires_python=item.get("requires-python") or None,
        yanked=_yanked(item.get("yanked", False)),
        core_metadata=_metadata_value(metadata),
        gpg_sig=item.get("gpg-sig"),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        upload_time=item.get("upload-time") or None,
    )


def _yanked(value: object) -> bool | str:
    if isinstance(value, str):
        return value if value else True  # PEP 691: a string, even empty, means yanked
    return bool(value)


def _metadata_value(value: object) -> bool | Mapping[str, str]:
    if isinstance(value, Mapping):
        return {str(k).lower(): str(v).lower() for k, v in value.items()}
    return bool(value)


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self.api_version: str | None = None
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open, self._text = dict(attrs), []
        elif tag == "meta":
            values = dict(attrs)
            if values.get("name") == "pypi:repository-version":
                self.api_version = values.get("content")

    def handle_data(self, data):
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text)))
            self._open = None


def _parse_project_html(body: bytes, page_url: str, name: str) -> ProjectPage:
    parser = _AnchorParser()
    parser.feed(body.decode("utf-8", "replace"))
    files = []
    for attrs, text in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, fragment = urldefrag(urljoin(page_url, href))
        hashes = _fragment_hashes(fragment)
        metadata_attr = ("data-core-metadata" if "data-core-metadata" in attrs
                         else "data-dist-info-metadata")
        filename = text.strip() or url.rsplit("/", 1)[-1]
        yanked: bool | str = False
        if "data-yanked" in attrs:
            yanked = attrs["data-yanked"] or True
        files.append(FileEntry(
            filename=filename,
            url=url,
            hashes=hashes,
            requires_python=attrs.get("data-requires-python") or None,
            yanked=yanked,
            core_metadata=_html_metadata(attrs, metadata_attr),
            gpg_sig=(attrs["data-gpg-sig"] == "true") if "data-gpg-sig" in attrs else None,
        ))
    return ProjectPage(str(canonicalize_name(name)), tuple(files), None,
                       parser.api_version or API_VERSION_BASIC)


_HASH = re.compile(r"^([a-z0-9_]+)=([0-9a-fA-F]+)$")


def _fragment_hashes(fragment: str) -> dict[str, str]:
    match = _HASH.match(fragment or "")
    return {match.group(1): match.group(2).lower()} if match else {}


def _html_metadata(attrs: Mapping[str, str | None], key: str) -> bool | Mapping[str, str]:
    if key not in attrs:
        return False
    value = attrs[key] or ""
    match = _HASH.match(value)
    if match:
        return {match.group(1): match.group(2).lower()}
    return value.lower() != "false"  # "true" or a bare attribute: present, hash unknown


# -- rendering ---------------------------------------------------------------------------------

def gate_file_url(project: str, filename: str) -> str:
    """Where the gate serves a file, relative to the project page ``/simple/<project>/``.

    Relative, so that a gate behind a reverse proxy with a path prefix still works.
    """
    return f"../../files/{project}/{filename}"


def api_version_for(page: ProjectPage) -> str:
    return (API_VERSION_WITH_SIZES if page.files and all(f.size is not None for f in page.files)
            else API_VERSION_BASIC)


def render_project_json(page: ProjectPage) -> bytes:
    version = api_version_for(page)
    files = []
    for f in page.files:
        item: dict[str, object] = {"filename": f.filename,
                                   "url": gate_file_url(page.name, f.filename),
                                   "hashes": dict(f.hashes)}
        if f.requires_python:
            item["requires-python"] = f.requires_python
        if f.core_metadata:
            value = dict(f.core_metadata) if isinstance(f.core_metadata, Mapping) else True
            item["core-metadata"] = value
            item["dist-info-metadata"] = value  # PEP 714: keep the old key for old clients
        if f.gpg_sig is not None:
            item["gpg-sig"] = f.gpg_sig
        if f.yanked:
            item["yanked"] = f.yanked
        if f.size is not None:
            item["size"] = f.size
        if f.upload_time:
            item["upload-time"] = f.upload_time
        files.append(item)
    document: dict[str, object] = {"meta": {"api-version": version}, "name": page.name,
                                   "files": files}
    if version != API_VERSION_BASIC:
        document["versions"] = list(page.versions if page.versions is not None
                                    else versions_from_files(page.files))
    return json.dumps(document, indent=1).encode()


def render_project_html(page: ProjectPage) -> bytes:
    rows = []
    for f in page.files:
        href = gate_file_url(page.name, f.filename)
        if f.sha256:
            href += f"#sha256={f.sha256}"
        elif f.hashes:
            algorithm, digest = sorted(f.hashes.items())[0]
            href += f"#{algorithm}={digest}"
        attrs = [f'href="{_attr(href)}"']
        if f.requires_python:
            attrs.append(f'data-requires-python="{_attr(f.requires_python)}"')
        if f.yanked:
            reason = f.yanked if isinstance(f.yanked, str) else ""
            attrs.append(f'data-yanked="{_attr(reason)}"')
        if f.core_metadata:
            value = _metadata_attr(f.core_metadata)
            attrs.append(f'data-core-metadata="{_attr(value)}"')
            attrs.append(f'data-dist-info-metadata="{_attr(value)}"')
        if f.gpg_sig is not None:
            attrs.append(f'data-gpg-sig="{"true" if f.gpg_sig else "false"}"')
        rows.append(f'    <a {" ".join(attrs)}>{html.escape(f.filename)}</a><br/>')
    return _html_document(f"Links for {page.name}", rows, API_VERSION_BASIC)


def versions_from_files(files: Iterable[FileEntry]) -> list[str]:
    """Versions named by wheel and sdist file names, for upstreams that do not list them."""
    found: dict[str, None] = {}
    for f in files:
        try:
            if f.filename.endswith(".whl"):
                version = parse_wheel_filename(f.filename)[1]
            else:
                version = parse_sdist_filename(f.filename)[1]
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
        found[str(version)] = None
    return list(found)


def render_index_json(names: Iterable[str]) -> bytes:
    projects = [{"name": name} for name in names]
    return json.dumps({"meta": {"api-version": API_VERSION_BASIC}, "projects": projects},
                      indent=1).encode()


def render_index_html(names: Iterable[str]) -> bytes:
    rows = [f'    <a href="{_attr(str(canonicalize_name(n)))}/">{html.escape(n)}</a><br/>'
            for n in names]
    return _html_document("Simple index", rows, API_VERSION_BASIC)


def _metadata_attr(value: bool | Mapping[str, str]) -> str:
    if isinstance(value, Mapping) and value:
        algorithm = "sha256" if "sha256" in value else sorted(value)[0]
        return f"{algorithm}={value[algorithm]}"
    return "true"


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _html_document(title: str, rows: list[str], api_version: str) -> bytes:
    return ("<!DOCTYPE html>\n<html>\n  <head>\n"
            f'    <meta name="pypi:repository-version" content="{api_version}">\n'
            f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
            f"    <h1>{html.escape(title)}</h1>\n" + "\n".join(rows) +
            "\n  </body>\n</html>\n").encode()


def without(page: ProjectPage, hidden: set[str]) -> ProjectPage:
    """The page with the named files removed, and versions that lost all files dropped."""
    kept = tuple(f for f in page.files if f.filename not in hidden)
    return replace(page, files=kept)
