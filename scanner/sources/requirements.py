"""requirements.txt as pip reads it, for what scanning needs: each requirement with its pin,
its ``--hash`` options and its environment marker, following ``-r`` includes.

Understood: comments (``#`` at the start or after whitespace), backslash line continuations,
``-r``/``--requirement`` (relative to the including file), ``--hash=ALG:HEX`` (repeatable,
also ``--hash ALG:HEX``), ``name @ URL`` direct references. Noted and skipped: ``-c``
constraints (they only narrow what other lines select), ``-e`` editables, index and build
options (``--index-url`` and the like: distscan uses its own ``--index-url``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..preinstall.requirements import (
    ARCHIVE_SUFFIXES,
    Refusal,
    classify,
    decode_requirements,
    local_candidates,
    logical_lines,
)

_INCLUDE = ("-r", "--requirement")
_CONSTRAINT = ("-c", "--constraint")
_EDITABLE = ("-e", "--editable")
# Options that take a value and say nothing about which files are installed.
_IGNORED_WITH_VALUE = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links",
                       "--trusted-host", "--only-binary", "--no-binary", "--use-feature",
                       "--config-settings", "--global-option", "--install-option")
_IGNORED_FLAGS = ("--no-index", "--pre", "--prefer-binary", "--require-hashes")


class RequirementsError(ValueError):
    """A requirements file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class RequirementLine:
    """One requirement.

    version: the pinned version (``==X`` without a wildcard, or ``===X``), else None.
    hashes: algorithm -> allowed hex digests, from ``--hash`` options.
    url: the URL of a direct reference (``name @ URL``), else None.
    """

    name: str  # normalized
    text: str  # the requirement as written, options removed
    origin: str  # "file:line"
    version: str | None = None
    hashes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    marker: str | None = None
    url: str | None = None

    @property
    def pinned(self) -> bool:
        return self.version is not None or self.url is not None


@dataclass(frozen=True)
class RequirementsFile:
    lines: tuple[RequirementLine, ...]
    notes: tuple[str, ...] = ()  # what was skipped, and why


def parse_requirements(path: str | Path) -> RequirementsFile:
    lines: list[RequirementLine] = []
    notes: list[str] = []
    _parse_into(Path(path), lines, notes, seen=())
    return RequirementsFile(tuple(lines), tuple(notes))


def _option_value(tokens: list[str], option: str, origin: str) -> tuple[str, list[str]]:
    """Value of an option written ``-r X``, ``-rX``, ``--requirement X`` or ``--requirement=X``;
    returns (value, remaining tokens)."""
    first = tokens[0]
    if first == option:
        if len(tokens) < 2:
            raise RequirementsError(f"{origin}: {option} needs a value")
        return tokens[1], tokens[2:]
    if first.startswith(option + "="):
        return first[len(option) + 1:], tokens[1:]
    return first[len(option):], tokens[1:]  # -rfile


def _matches(token: str, options: tuple[str, ...]) -> str | None:
    for option in options:
        if token == option or token.startswith(option + "=") or (
                not option.startswith("--") and token.startswith(option) and len(token) > 2):
            return option
    return None


def _parse_into(path: Path, lines: list[RequirementLine], notes: list[str],
                seen: tuple[Path, ...]) -> None:
    resolved = path.resolve()
    if resolved in seen:
        raise RequirementsError(f"{path}: included from itself (-r loop)")
    try:
        text = decode_requirements(path.read_bytes(), str(path))
    except OSError as exc:
        raise RequirementsError(f"cannot read {path}: {exc.strerror}") from None
    except Refusal as exc:
        raise RequirementsError(str(exc)) from None
    # Lines as pip makes them (continuations, comments, ${VAR} from the environment).
    for number, line in logical_lines(text, os.environ):
        origin = f"{path}:{number}"
        tokens = line.split()
        head = tokens[0]
        if (option := _matches(head, _INCLUDE)) is not None:
            value, _ = _option_value(tokens, option, origin)
            _parse_into(path.parent / value, lines, notes, (*seen, resolved))
        elif (option := _matches(head, _CONSTRAINT)) is not None:
            value, _ = _option_value(tokens, option, origin)
            notes.append(f"{origin}: constraints file {value} ignored (constraints only narrow "
                         "what other requirements select)")
        elif _matches(head, _EDITABLE) is not None:
            notes.append(f"{origin}: editable requirement not scanned (it is a source tree, "
                         f"not a distribution file; scan its folder): {line}")
        elif _matches(head, _IGNORED_WITH_VALUE) or head in _IGNORED_FLAGS:
            notes.append(f"{origin}: option {head.split('=', 1)[0]} ignored (distscan uses "
                         "its own --index-url)")
        elif head.startswith("-"):
            raise RequirementsError(f"{origin}: unknown option {head!r}")
        elif (local := _local_file(tokens[0], path, origin)) is not None:
            (notes if isinstance(local, str) else lines).append(local)
        else:
            lines.append(_requirement(tokens, origin))


def _local_file(word: str, requirements: Path, origin: str) -> RequirementLine | str | None:
    """A line naming a local artifact (``./dist/x-1.0.whl``, ``file:...``), read as pip reads
    it (relative to the working folder; uv: to the requirements file): a RequirementLine with
    a ``file:`` URL, scanned like a download. A source tree: a note (scan its folder). None:
    not a local path."""
    try:
        local = classify(word, origin, (Path.cwd(), requirements.parent))
    except Refusal:
        return None  # a URL or something else: the requirement parser has its say
    if local is None:
        return None
    found = local_candidates(local)
    files = [c for c in found if c.is_file()]
    if files and not files[0].name.lower().endswith(ARCHIVE_SUFFIXES):
        # Not something pip installs; and no reason to read (and quote) any other file.
        raise RequirementsError(f"{origin}: {word!r} is not a distribution file")
    if files:
        return RequirementLine(files[0].name, word, origin, url=files[0].as_uri())
    if found:
        return (f"{origin}: local source tree {word} not scanned (not a distribution file; "
                "scan its folder)")
    raise RequirementsError(f"{origin}: the local path {word!r} does not exist")


def _requirement(tokens: list[str], origin: str) -> RequirementLine:
    # Options follow the requirement; a marker may hold spaces but never a token like "--x".
    cut = next((i for i, t in enumerate(tokens) if t.startswith("--")), len(tokens))
    text = " ".join(tokens[:cut])
    hashes: dict[str, set[str]] = {}
    rest = tokens[cut:]
    while rest:
        token = rest.pop(0)
        if token == "--hash":
            if not rest:
                raise RequirementsError(f"{origin}: --hash needs a value")
            token = "--hash=" + rest.pop(0)
        if token.startswith("--hash="):
            algorithm, _, digest = token[len("--hash="):].partition(":")
            if not digest or not re.fullmatch(r"[0-9a-fA-F]+", digest):
                raise RequirementsError(f"{origin}: bad hash {token[7:]!r} (expected ALG:HEX)")
            hashes.setdefault(algorithm.lower(), set()).add(digest.lower())
        # other per-requirement options (--config-settings ...) do not change the files
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise RequirementsError(f"{origin}: invalid requirement {text!r}: {exc}") from None
    version = None
    specifiers = list(requirement.specifier)
    if len(specifiers) == 1 and specifiers[0].operator in ("==", "===") \
            and "*" not in specifiers[0].version:
        version = specifiers[0].version
    return RequirementLine(str(canonicalize_name(requirement.name)), text, origin, version,
                           {a: frozenset(d) for a, d in hashes.items()},
                           str(requirement.marker) if requirement.marker else None,
                           requirement.url or None)
