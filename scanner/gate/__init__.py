"""``distscan serve``: a PEP 503/691 index in front of another index that scans every file
before a client can fetch it. Modules: upstream (client), simple (pages), store (verdicts),
blobs (downloads), scanning (executor), decision, service (behaviour), app (HTTP), metrics."""

from __future__ import annotations

from .config import GateConfig

__all__ = ["GateConfig", "check_upstream", "create_app", "serve"]


def check_upstream(url: str) -> None:
    """ValueError when the upstream URL is unusable (said without echoing credentials)."""
    from .upstream import parse_upstream

    parse_upstream(url)


def create_app(config: GateConfig, **kwargs):
    from .app import create_app as _create_app

    return _create_app(config, **kwargs)


def serve(config: GateConfig, host: str = "127.0.0.1", port: int = 8080,
          log_level: str = "info") -> None:
    """Run the gate until interrupted."""
    import logging

    import uvicorn

    # The gate's own lines (scans, blocks, operator actions) beside uvicorn's. No line carries
    # upstream credentials: URLs are logged through upstream.redact.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    gate_log = logging.getLogger("distscan.gate")
    gate_log.addHandler(handler)
    gate_log.setLevel(log_level.upper())

    uvicorn.run(create_app(config), host=host, port=port, log_level=log_level,
                server_header=False)
