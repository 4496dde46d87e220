"""``pypi:NAME`` and ``pypi:NAME==VERSION`` target specs: a release on the index named by
``--index-url`` (PyPI by default), whatever the prefix says."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PREFIX = "pypi:"


class SpecError(ValueError):
    """A ``pypi:`` spec that cannot be understood."""


@dataclass(frozen=True)
class PackageSpec:
    name: str  # normalized
    version: str | None  # None: the latest release
    text: str  # as the user wrote it

    @property
    def label(self) -> str:
        return f"{PREFIX}{self.name}" + (f"=={self.version}" if self.version else "")


def is_index_spec(text: str) -> bool:
    return text.startswith(PREFIX)


def parse_spec(text: str) -> PackageSpec:
    """Read ``pypi:NAME`` or ``pypi:NAME==VERSION``. Raises SpecError."""
    if not is_index_spec(text):
        raise SpecError(f"{text!r}: an index spec starts with {PREFIX!r}")
    body = text[len(PREFIX):].strip()
    try:
        requirement = Requirement(body)
    except InvalidRequirement:
        raise SpecError(f"{text!r}: expected {PREFIX}NAME or {PREFIX}NAME==VERSION") from None
    if requirement.url or requirement.marker or requirement.extras:
        raise SpecError(f"{text!r}: expected {PREFIX}NAME or {PREFIX}NAME==VERSION")
    specifiers = list(requirement.specifier)
    version = None
    if specifiers:
        if len(specifiers) != 1 or specifiers[0].operator not in ("==", "===") \
                or "*" in specifiers[0].version:
            raise SpecError(f"{text!r}: only an exact version (==VERSION) can be named")
        try:
            version = str(Version(specifiers[0].version))
        except InvalidVersion:
            raise SpecError(f"{text!r}: {specifiers[0].version!r} is not a valid "
                            "version") from None
    return PackageSpec(str(canonicalize_name(requirement.name)), version, text)
