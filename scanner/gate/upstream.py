"""The gate's only network client: the upstream index it fronts.

Credentials in the upstream URL (``https://user:secret@host/simple/`` or ``https://TOKEN@host/``)
are taken out of the URL once, sent as HTTP basic auth only to the upstream's own origin (never
to a file host elsewhere), and never appear in a log line or an error message.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from .simple import HTML_V1, JSON_V1, ProjectPage, parse_index_page, parse_project_page

log = logging.getLogger("distscan.gate")

# Prefer JSON (it carries sizes and upload times), but take HTML from simpler servers.
UPSTREAM_ACCEPT = f"{JSON_V1}, {HTML_V1};q=0.2, text/html;q=0.1"
CHUNK = 256 * 1024


class UpstreamError(Exception):
    """The upstream failed or answered something unusable. ``status`` is what the gate answers."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.status = status


class HashMismatch(UpstreamError):
    """The bytes the upstream sent are not the bytes its page published a hash for."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 502)


@dataclass(frozen=True)
class Upstream:
    base: str  # the simple index URL, credentials removed, ending in "/"
    username: str | None = None
    password: str | None = None

    @property
    def origin(self) -> tuple[str, str]:
        parts = urlsplit(self.base)
        return parts.scheme, parts.netloc

    def auth_for(self, url: str) -> httpx.BasicAuth | None:
        if self.username is None:
            return None
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self.origin:
            return None  # a file host elsewhere never sees the index's credentials
        return httpx.BasicAuth(self.username, self.password or "")


def parse_upstream(url: str) -> Upstream:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the upstream must be an http(s) URL of a simple index")
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        netloc += f":{parts.port}"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    base = urlunsplit((parts.scheme, netloc, path, parts.query, ""))
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return Upstream(base, username, password)


def redact(url: str) -> str:
    """A URL fit for a log line: no user info, no query string (tokens hide there too)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "…" if parts.query else "", ""))


def new_hashers(*algorithm_names) -> dict:
    """Hashers for a download: sha256 always (verdicts are keyed by it), plus every other named
    algorithm that hashlib knows (the others cannot be checked)."""
    hashers = {"sha256": hashlib.sha256()}
    for names in algorithm_names:
        for algorithm in names:
            if algorithm not in hashers and algorithm in hashlib.algorithms_available:
                hashers[algorithm] = hashlib.new(algorithm)
    return hashers


def first_mismatch(hashers: dict, published: dict[str, str]) -> tuple[str, str, str] | None:
    """(algorithm, published digest, actual digest) of the first published hash the download
    does not match; None when every checkable one matches."""
    for algorithm, digest in published.items():
        hasher = hashers.get(algorithm)
        if hasher is not None and hasher.hexdigest() != digest.lower():
            return algorithm, digest, hasher.hexdigest()
    return None


class UpstreamClient:
    def __init__(self, upstream: Upstream, *, timeout: float = 60.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.upstream = upstream
        # httpx logs every request URL at INFO; ours carry no credentials, but quiet it anyway.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)), follow_redirects=True,
            transport=transport, headers={"User-Agent": "distscan-gate"}, trust_env=False)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def index(self) -> tuple[str, ...]:
        response = await self._get(self.upstream.base, accept=UPSTREAM_ACCEPT)
        return parse_index_page(response.content, response.headers.get("content-type", ""))

    async def project(self, name: str) -> ProjectPage | None:
        """The project's page, or None when the upstream has no such project."""
        url = self.upstream.base + quote(name) + "/"
        response = await self._get(url, accept=UPSTREAM_ACCEPT, missing_ok=True)
        if response is None:
            return None
        try:
            return parse_project_page(response.content, response.headers.get("content-type", ""),
                                      str(response.url), name)
        except ValueError as exc:
            raise UpstreamError(f"upstream page for {name!r} is malformed: {exc}") from None

    async def small_file(self, url: str, limit: int = 16 * 1024 * 1024) -> bytes | None:
        """A small file (a PEP 658 metadata file) byte for byte, or None when missing."""
        response = await self._get(url, missing_ok=True)
        if response is None:
            return None
        if len(response.content) > limit:
            raise UpstreamError("upstream metadata file is too large")
        return response.content

    async def download(self, url: str, dest: Path, expected: dict[str, str],
                       max_bytes: int) -> tuple[str, int]:
        """Stream a file to ``dest``, checking every published hash hashlib knows.

        Returns (sha256, size). Raises HashMismatch when any published hash disagrees.
        """
        hashers = new_hashers(expected)
        size = 0
        try:
            async with self._client.stream("GET", url, auth=self.upstream.auth_for(url)) as resp:
                self._check_status(resp, url)
                with open(dest, "wb") as out:
                    async for chunk in resp.aiter_bytes(CHUNK):
                        size += len(chunk)
                        if size > max_bytes:
                            raise UpstreamError(f"upstream file is larger than the gate's limit "
                                                f"of {max_bytes} bytes", 502)
                        for hasher in hashers.values():
                            hasher.update(chunk)
                        out.write(chunk)
        except httpx.HTTPError as exc:
            raise UpstreamError(f"upstream download failed: {exc.__class__.__name__}") from None
        mismatch = first_mismatch(hashers, expected)
        if mismatch is not None:
            algorithm, digest, got = mismatch
            raise HashMismatch(f"upstream file does not match its published {algorithm}: "
                               f"expected {digest[:16]}…, got {got[:16]}…")
        return hashers["sha256"].hexdigest(), size

    async def _get(self, url: str, *, accept: str | None = None,
                   missing_ok: bool = False) -> httpx.Response | None:
        headers = {"Accept": accept} if accept else {}
        try:
            response = await self._client.get(url, headers=headers,
                                              auth=self.upstream.auth_for(url))
        except httpx.HTTPError as exc:
            log.warning("upstream request to %s failed: %s", redact(url),
                        exc.__class__.__name__)
            raise UpstreamError(f"upstream unreachable: {exc.__class__.__name__}") from None
        if missing_ok and response.status_code in (404, 410):
            return None
        self._check_status(response, url)
        return response

    @staticmethod
    def _check_status(response: httpx.Response, url: str) -> None:
        if response.status_code in (401, 403):
            log.warning("upstream refused %s with %d", redact(url), response.status_code)
            raise UpstreamError("upstream refused the gate's credentials", 502)
        if response.status_code == 404:
            raise UpstreamError("upstream has no such file", 404)
        if response.status_code >= 400:
            raise UpstreamError(f"upstream answered {response.status_code}", 502)
