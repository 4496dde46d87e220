"""The one place analysers are registered. Order matters only for output order."""

from __future__ import annotations

from .interface import Analyzer, ArtifactHeader, ArtifactView, Derived, MemberDigest


def registered() -> tuple[Analyzer, ...]:
    """Every analyser the pipeline runs, imported lazily so start-up stays cheap."""
    from . import container

    return (container.ANALYZER,)


__all__ = ["Analyzer", "ArtifactHeader", "ArtifactView", "Derived", "MemberDigest", "registered"]
