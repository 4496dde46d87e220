"""The one place analysers are registered. Order matters only for output order."""

from __future__ import annotations

from .interface import Analyzer, ArtifactHeader, ArtifactView, Derived, MemberDigest


def registered() -> tuple[Analyzer, ...]:
    """Every analyser the pipeline runs, imported lazily so start-up stays cheap."""
    from . import binary, container, metadata_signals, pyc, yara_rules
    from . import python as python_behaviour

    return (container.ANALYZER, metadata_signals.ANALYZER, python_behaviour.ANALYZER,
            yara_rules.ANALYZER, binary.ANALYZER, pyc.ANALYZER)


__all__ = ["Analyzer", "ArtifactHeader", "ArtifactView", "Derived", "MemberDigest", "registered"]
