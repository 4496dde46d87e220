"""HTTP for the gate (starlette): the simple API, file downloads and the operator endpoints.

Routes:
  GET /simple/                       project index (HTML or JSON, PEP 691 negotiation)
  GET /simple/<project>/             project page without blocked files
  GET /files/<project>/<file>        a scanned, allowed file (403 with a reason otherwise)
  GET /files/<project>/<file>.metadata   its PEP 658 metadata file, byte for byte
  GET /-/health                      liveness (always open)
  GET /-/blocked                     JSON list of blocked files with reasons (token)
  POST /-/allow                      {"sha256": ..., "reason": ...} lets one file through (token)
  GET /-/metrics                     Prometheus text (token)
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import re
import time

from packaging.utils import canonicalize_name
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from .blobs import Blob
from .config import GateConfig
from .negotiate import JSON_V1, TEXT_HTML, choose
from .service import Gate, Refused
from .simple import (
    render_index_html,
    render_index_json,
    render_project_html,
    render_project_json,
)

log = logging.getLogger("distscan.gate")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# PEP 508 project names; anything else is not a project and never reaches the upstream.
PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
CHUNK = 256 * 1024


def create_app(config: GateConfig, *, transport=None) -> Starlette:
    """The ASGI application. ``transport`` replaces httpx's network transport (tests)."""
    @contextlib.asynccontextmanager
    async def lifespan(app):
        gate = Gate(config, transport=transport)
        app.state.gate = gate
        try:
            yield
        finally:
            await gate.aclose()

    def gate_of(request: Request) -> Gate:
        return request.app.state.gate

    async def index(request: Request) -> Response:
        media = choose(request.headers.get("accept"), request.query_params.get("format"))
        if media is None:
            return _not_acceptable()
        gate = gate_of(request)
        try:
            names = await gate.index()
        except Exception as exc:
            return _refusal(gate, "index", Refused(getattr(exc, "status", 502), str(exc)))
        body = render_index_json(names) if media == JSON_V1 else render_index_html(names)
        return _page(gate, "index", body, media)

    async def project(request: Request) -> Response:
        raw = request.path_params["project"]
        if not PROJECT_NAME.match(raw):
            return PlainTextResponse("not a project name\n", status_code=404)
        normalized = str(canonicalize_name(raw))
        if raw != normalized or not request.url.path.endswith("/"):
            # PEP 503: a non-normalized name redirects to the normalized URL.
            target = request.url.path[: request.url.path.rfind(raw)] + normalized + "/"
            if request.url.query:
                target += "?" + request.url.query
            return RedirectResponse(target, status_code=301, headers={"Vary": "Accept"})
        media = choose(request.headers.get("accept"), request.query_params.get("format"))
        if media is None:
            return _not_acceptable()
        gate = gate_of(request)
        try:
            page = await gate.visible_page(normalized)
        except Exception as exc:
            log.warning("page for %s failed: %s", normalized, exc.__class__.__name__)
            return _refusal(gate, "project", Refused(getattr(exc, "status", 502),
                                                     _safe_message(exc)))
        if page is None:
            return _refusal(gate, "project", Refused(404, f"no project named {normalized}"))
        body = render_project_json(page) if media == JSON_V1 else render_project_html(page)
        return _page(gate, "project", body, media)

    async def file(request: Request) -> Response:
        gate = gate_of(request)
        if not PROJECT_NAME.match(request.path_params["project"]):
            return PlainTextResponse("not a project name\n", status_code=404)
        project_name = str(canonicalize_name(request.path_params["project"]))
        filename = request.path_params["filename"]
        try:
            if filename.endswith(".metadata") and not await gate.lists(project_name, filename):
                data = await gate.metadata_file(project_name, filename[: -len(".metadata")])
                gate.metrics.inc("distscan_gate_requests_total", endpoint="metadata",
                                 status="200")
                return Response(data, media_type="application/octet-stream")
            return await _serve_file(gate, project_name, filename)
        except Refused as refusal:
            return _refusal(gate, "file", refusal)

    async def health(request: Request) -> Response:
        gate = gate_of(request)
        return JSONResponse({"status": "ok", "verdicts": gate.store.count(),
                             "journal_mode": gate.store.journal_mode()})

    async def blocked(request: Request) -> Response:
        gate = gate_of(request)
        denied = _operator_check(request, config, write=False)
        if denied:
            return denied
        return JSONResponse({"blocked": gate.blocked()})

    async def allow(request: Request) -> Response:
        gate = gate_of(request)
        denied = _operator_check(request, config, write=True)
        if denied:
            return denied
        try:
            body = json.loads(await request.body())
            sha256 = str(body["sha256"]).strip().lower()
            reason = str(body["reason"]).strip()
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'send {"sha256": "<64 hex>", "reason": "..."}'},
                                status_code=400)
        if not SHA256.match(sha256) or not reason:
            return JSONResponse({"error": "sha256 must be 64 hex digits and reason non-empty"},
                                status_code=400)
        record = gate.store.allow(sha256, reason)
        log.warning("operator allowed sha256=%s: %s", sha256, reason)
        return JSONResponse({"allowed": record.sha256, "reason": record.reason,
                             "allowed_at": record.allowed_at})

    async def metrics(request: Request) -> Response:
        gate = gate_of(request)
        denied = _operator_check(request, config, write=False)
        if denied:
            return denied
        return PlainTextResponse(gate.metrics.render(),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    routes = [
        Route("/simple/", index),
        Route("/simple", lambda request: RedirectResponse("/simple/", status_code=301)),
        Route("/simple/{project}/", project),
        Route("/simple/{project}", project),
        Route("/files/{project}/{filename:path}", file),
        Route("/-/health", health),
        Route("/-/blocked", blocked),
        Route("/-/allow", allow, methods=["POST"]),
        Route("/-/metrics", metrics),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _serve_file(gate: Gate, project: str, filename: str) -> Response:
    started = time.perf_counter()
    blob = await gate.open_file(project, filename)
    gate.metrics.inc("distscan_gate_requests_total", endpoint="file", status="200")
    log.info("serving %s (%d bytes, ready in %.0f ms)", filename, blob.size,
             (time.perf_counter() - started) * 1000)
    lease = _Lease(blob)
    # Released when the body is done or abandoned (generator cleanup), or after a response
    # whose body was never read (HEAD): whichever comes first, once.
    return StreamingResponse(_stream(lease), media_type=_file_type(filename),
                             headers={"Content-Length": str(blob.size),
                                      "X-Distscan-Sha256": blob.sha256},
                             background=BackgroundTask(lease.release))


class _Lease:
    def __init__(self, blob: Blob) -> None:
        self.blob = blob
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self.blob.release()


async def _stream(lease: _Lease):
    """The verified bytes from the blob."""
    try:
        with open(lease.blob.path, "rb") as fp:
            while chunk := fp.read(CHUNK):
                yield chunk
    finally:
        lease.release()


def _file_type(filename: str) -> str:
    if filename.endswith((".whl", ".zip", ".egg")):
        return "application/zip"
    if filename.endswith((".tar.gz", ".tgz")):
        return "application/x-tar"
    return "application/octet-stream"


def _page(gate: Gate, endpoint: str, body: bytes, media: str) -> Response:
    gate.metrics.inc("distscan_gate_requests_total", endpoint=endpoint, status="200")
    content_type = "text/html; charset=utf-8" if media == TEXT_HTML else media
    return Response(body, headers={"Content-Type": content_type, "Vary": "Accept"})


def _refusal(gate: Gate, endpoint: str, refusal: Refused) -> Response:
    gate.metrics.inc("distscan_gate_requests_total", endpoint=endpoint,
                     status=str(refusal.status))
    return PlainTextResponse(refusal.reason + "\n", status_code=refusal.status,
                             headers={"Vary": "Accept"})


def _not_acceptable() -> Response:
    return PlainTextResponse("none of the accepted media types is offered; ask for "
                             "application/vnd.pypi.simple.v1+json or text/html\n",
                             status_code=406, headers={"Vary": "Accept"})


def _safe_message(exc: Exception) -> str:
    # Upstream errors are written without URLs; anything else is named by its type only.
    return str(exc) if isinstance(exc, Refused) or hasattr(exc, "status") else \
        f"gate error: {exc.__class__.__name__}"


def _operator_check(request: Request, config: GateConfig, *, write: bool) -> Response | None:
    token = config.operator_token
    if token is None:
        if write:
            return JSONResponse({"error": "operator actions are disabled: start the gate with "
                                          "an operator token"}, status_code=403)
        return None
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(),
                                                             token.encode()):
        return JSONResponse({"error": "operator token required"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    return None
