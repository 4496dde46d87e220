"""PEP 691 content negotiation: which form of a simple page a client asked for."""

from __future__ import annotations

from .simple import HTML_V1, JSON_V1

TEXT_HTML = "text/html"
# Server preference on ties, and for a bare */* (PEP 691: text/html is the safe default).
OFFERS = (TEXT_HTML, HTML_V1, JSON_V1)
ALIASES = {"application/vnd.pypi.simple.latest+json": JSON_V1,
           "application/vnd.pypi.simple.latest+html": HTML_V1}
FORMAT_PARAM = {"json": JSON_V1, "html": HTML_V1}


def choose(accept: str | None, format_param: str | None = None) -> str | None:
    """The media type to answer with, or None when nothing the client accepts is offered."""
    if format_param:
        return FORMAT_PARAM.get(format_param) or ALIASES.get(format_param) or (
            format_param if format_param in OFFERS else None)
    if not accept or not accept.strip():
        return TEXT_HTML
    best: tuple[float, int, int] | None = None
    chosen = None
    for rank, offer in enumerate(OFFERS):
        q, specificity = _quality(accept, offer)
        if q <= 0:
            continue
        key = (q, specificity, -rank)
        if best is None or key > best:
            best, chosen = key, offer
    return chosen


def _quality(accept: str, offer: str) -> tuple[float, int]:
    """q of the most specific range in ``accept`` that matches ``offer`` (0 when none)."""
    found: tuple[int, float] | None = None
    offer_type, offer_sub = offer.split("/")
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        media = ALIASES.get(media.lower(), media.lower())
        if "/" not in media:
            continue
        kind, sub = media.split("/", 1)
        if media == offer:
            specificity = 2
        elif kind == offer_type and sub == "*":
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        if found is None or specificity > found[0]:
            found = (specificity, q)
    return (found[1], found[0]) if found else (0.0, -1)
