"""What one requirement asks the installer to fetch, and what a requirements file holds.

A requirement is one of three things to distscan:
- an index requirement (``name[extra]>=1 ; marker``): fetched through the gate;
- a local path (an artifact or a source tree, given as a path or a ``file:`` URL): scanned
  here before the installer starts;
- anything else (``https://…``, ``git+…``, ``name @ https://…``, text that is neither a name nor
  a path): it would be fetched without passing the gate, so it is refused.

Requirements files are read the way pip reads them (continuation lines, ``#`` comments,
``${VAR}`` expansion, nested ``-r``/``-c``), and only options on an allow-list are accepted:
an unknown option may be an abbreviation pip would honour (``--extra-index``), so refusing
what is not recognised is the only sound rule.
"""

from __future__ import annotations

import codecs
import os
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from packaging.requirements import InvalidRequirement, Requirement

from ..gate.upstream import redact

# Every name pip (pip._internal.utils.filetypes.ARCHIVE_EXTENSIONS) or uv (its source
# distribution extensions) takes for a local archive file when such a file exists: a suffix
# missing here made "x-1.0.tar.lz" an index requirement to distscan and a local file to pip.
ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar",
                    ".zip", ".egg", ".tlz", ".tar.lz", ".tar.lzma", ".tar.zst", ".tzst")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_VCS = re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
_EXTRAS = re.compile(r"\[[^\]]*\]$")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")  # pip expands only this form
_COMMENT = re.compile(r"(^|\s+)#.*$")
_CODING = re.compile(rb"coding[:=]\s*([-\w.]+)")  # pip honours PEP 263 lines in requirements files
ONE_INDEX = "distscan fronts exactly one index"
# Variables distscan sets for the installer (scanner.preinstall.installers): ${VAR} in a
# requirements file expands to another value there than here.
_CONFINED_VARIABLES = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"})

# Options a requirements file may carry (pip's names; uv reads the same format). Values are
# whether the option takes a value.
_NESTED = {"-r": "requirement", "--requirement": "requirement", "-c": "constraint",
           "--constraint": "constraint"}
_EDITABLE = {"-e", "--editable"}
_SAFE_FILE_OPTIONS = {
    "--hash": True, "--pre": False, "--prefer-binary": False, "--only-binary": True,
    "--no-binary": True, "--require-hashes": False, "--trusted-host": True,
    "--use-feature": True, "--config-settings": True, "-C": True, "--global-option": True,
    "--no-index": False,
}
_INDEX_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--index",
                  "--default-index"}


class Refusal(ValueError):
    """Something the installer was asked to do that would bypass the gate."""


@dataclass(frozen=True)
class LocalPath:
    """A local artifact or source tree the installer would read."""

    path: Path
    origin: str  # where it was named (argument, file:line), for messages
    editable: bool = False
    bases: tuple[Path, ...] = ()  # folders a relative path may be relative to


def refuse_index_option(option: str, origin: str) -> Refusal:
    return Refusal(f"{origin}: {option} is refused: {ONE_INDEX} (the gate), so extra indexes "
                   "and find-links would let files reach the installer unscanned; give the one "
                   "index with --index-url")


def classify(spec: str, origin: str, bases: tuple[Path, ...]) -> LocalPath | None:
    """None for an index requirement; a LocalPath for a local one; Refusal otherwise.

    ``bases`` are the folders a relative path may be relative to (pip and uv differ for paths
    inside requirements files): the LocalPath keeps them, and every candidate that exists is
    scanned (:func:`local_candidates`), so the difference never lets an unscanned tree through.
    """
    text = spec.strip()
    head = re.split(r"\s+;|;\s", text, maxsplit=1)[0].strip()
    if _URL.match(head) or _VCS.match(head) or head.lower().startswith("file:"):
        return _from_url(head, origin, bases)
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        if _looks_like_path(head, bases):
            return LocalPath(Path(_EXTRAS.sub("", head)), origin, bases=bases)
        raise Refusal(f"{origin}: {spec!r} is neither a requirement distscan can send through "
                      "the gate nor a local path; refused") from None
    if requirement.url:
        return _from_url(requirement.url, origin, bases, name=requirement.name)
    if _looks_like_path(head, bases):  # pip: an existing "x.whl" is a file, not a name
        return LocalPath(Path(_EXTRAS.sub("", head)), origin, bases=bases)
    return None


def local_candidates(local: LocalPath, bases: tuple[Path, ...] = ()) -> list[Path]:
    """Every existing path a relative LocalPath can mean (absolute paths: just itself), under
    its own bases and ``bases``."""
    if local.path.is_absolute():
        return [local.path]
    found = []
    for base in (*local.bases, *bases):
        candidate = (base / local.path).resolve()
        if candidate.exists() and candidate not in found:
            found.append(candidate)
    return found


def require_existing(locals_: tuple[LocalPath, ...] | list[LocalPath],
                     bases: tuple[Path, ...]) -> None:
    """Refusal for a local path that names nothing: there is nothing to scan, and an installer
    that reads the line otherwise than distscan did (see :func:`logical_lines`) may find a
    real path in it. A missing path would make the installer fail anyway."""
    for local in locals_:
        if not local_candidates(local, bases):
            raise Refusal(f"{local.origin}: the local path {str(local.path)!r} does not exist, "
                          "so distscan cannot scan it; refused")


def _looks_like_path(head: str, bases: tuple[Path, ...]) -> bool:
    # pip's rule: a path separator or a leading dot, or an archive name that exists.
    bare = _EXTRAS.sub("", head)
    if os.sep in bare or (os.altsep and os.altsep in bare) or bare.startswith("."):
        return True
    return bare.lower().endswith(ARCHIVE_SUFFIXES) and any((b / bare).is_file() for b in bases)


def _from_url(url: str, origin: str, bases: tuple[Path, ...],
              name: str | None = None) -> LocalPath:
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        if parts.netloc not in ("", "localhost"):
            raise Refusal(f"{origin}: {redact(url)!r} names a file on another host; refused")
        return LocalPath(Path(url2pathname(unquote(parts.path))), origin, bases=bases)
    shown = redact(url)  # tokens hide in user info (git+https://TOKEN@host/...)
    what = f"{name} @ {shown}" if name else shown
    raise Refusal(f"{origin}: {what!r} is a direct URL or VCS requirement: the installer would "
                  "fetch it without passing the gate, so it is refused; publish it on the index, "
                  "or download it and give the local file (distscan scans local files first)")


# -- requirements files ------------------------------------------------------------------------

@dataclass(frozen=True)
class RequirementsContent:
    """What a requirements file (and the files it includes) asks for."""

    files: tuple[Path, ...]
    locals: tuple[LocalPath, ...]
    index_requirements: tuple[str, ...]


def read_requirements_file(location: str | Path, env: Mapping[str, str],
                           *, cwd: Path) -> RequirementsContent:
    """Read a requirements file (``location`` relative to ``cwd``) and what it includes;
    Refusal on anything unsafe."""
    files: list[Path] = []
    locals_: list[LocalPath] = []
    names: list[str] = []
    _read(str(location), cwd, env, cwd, files, locals_, names)
    return RequirementsContent(tuple(files), tuple(locals_), tuple(names))


def _read(location: str, relative_to: Path, env, cwd, files, locals_, names) -> None:
    # A string until checked: Path("https://x/r.txt") would fold the "//" and pass for a path.
    if _URL.match(location) or location.lower().startswith("file:"):
        raise Refusal(f"{redact(location)}: remote requirements files are refused (they are "
                      "fetched without passing the gate); download it and give the local file")
    path = Path(location)
    path = (relative_to / path).resolve() if not path.is_absolute() else path
    if path in files:
        return  # included twice (or a cycle): pip reads it again, we need not
    name = path.name.lower()
    if name.endswith((".toml", ".py", ".cfg")):
        raise Refusal(f"{path}: only requirements.txt-format files are checked by distscan; "
                      f"{path.name} may name sources it cannot see (refused)")
    try:
        text = decode_requirements(path.read_bytes(), str(path))
    except OSError as exc:
        raise Refusal(f"{path}: cannot read the requirements file ({exc.strerror})") from None
    files.append(path)
    for _, line in logical_lines(text, {}):  # unexpanded: ${VAR} is still there
        for variable in _ENV_VAR.findall(line):
            if variable in _CONFINED_VARIABLES or variable.startswith(("PIP_", "UV_")):
                raise Refusal(f"{path}: ${{{variable}}} has another value for the installer "
                              "than here (distscan sets it to confine the installer), so the "
                              "line would not say what distscan checked; refused")
    bases = (cwd, path.parent)
    for number, line in logical_lines(text, env):
        origin = f"{path}:{number}"
        try:
            tokens = shlex.split(line)
        except ValueError:
            raise Refusal(f"{origin}: cannot read this line (unbalanced quotes)") from None
        if not tokens:
            continue
        if not line.startswith("-"):
            # A requirement, then per-requirement options (pip: the first token starting with
            # "-" begins the options).
            spec_words = line.split()
            cut = next((i for i, w in enumerate(spec_words) if w.startswith("-")),
                       len(spec_words))
            spec = " ".join(spec_words[:cut])
            _check_options(shlex.split(" ".join(spec_words[cut:])), origin)
            local = classify(spec, origin, bases)
            if local is None:
                names.append(spec)
            else:
                locals_.append(local)
            continue
        option, value = _split_option(tokens)
        if option in _NESTED:
            # pip: relative to the including file.
            _read(value, path.parent, env, cwd, files, locals_, names)
        elif option in _EDITABLE:
            local = classify(value, origin, bases)
            if local is None:
                raise Refusal(f"{origin}: -e {value!r} is not a local path; refused")
            locals_.append(LocalPath(local.path, origin, editable=True, bases=bases))
        else:
            _check_options(tokens, origin)


def _split_option(tokens: list[str]) -> tuple[str, str]:
    """('-r', 'x.txt') from ['-r', 'x.txt'], ['-rx.txt'] or ['--requirement=x.txt']."""
    first = tokens[0]
    if first.startswith("--"):
        option, eq, value = first.partition("=")
        return option, value if eq else (tokens[1] if len(tokens) > 1 else "")
    option, rest = first[:2], first[2:]
    if rest.startswith("="):
        # pip reads "-r=x.txt" as the file "=x.txt", uv as "x.txt": whichever distscan read,
        # the installer could read the other one.
        raise Refusal(f"{first!r}: write {option} VALUE or {option}VALUE (pip and uv read "
                      f"{option}=VALUE differently); refused")
    return option, rest if rest else (tokens[1] if len(tokens) > 1 else "")


def _check_options(tokens: list[str], origin: str) -> None:
    index = 0
    while index < len(tokens):
        token = tokens[index]
        option = token.split("=", 1)[0] if token.startswith("--") else token[:2]
        if option in _INDEX_OPTIONS:
            raise refuse_index_option(option, origin)
        if option not in _SAFE_FILE_OPTIONS:
            raise Refusal(f"{origin}: option {token!r} is not one distscan knows to be safe in "
                          "a requirements file; refused")
        takes_value = _SAFE_FILE_OPTIONS[option]
        attached = "=" in token or (not token.startswith("--") and len(token) > 2)
        index += 2 if takes_value and not attached else 1


def decode_requirements(data: bytes, origin: str) -> str:
    """The text of a requirements file, refused unless pip and uv read the same text from it.

    pip honours a byte-order mark and a PEP 263 ``coding`` line in the first two lines, uv reads
    UTF-8: a file that declares, say, utf-7 could hide a line from one reader inside a comment
    for the other. UTF-8 (with or without its mark) is what both read alike."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)):
        raise Refusal(f"{origin}: a UTF-16/UTF-32 requirements file; save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(f"{origin}: the requirements file is not UTF-8 text") from None
    for line in data.split(b"\n")[:2]:
        declared = _CODING.search(line) if line[:1] == b"#" else None
        if declared is None:
            continue
        codec = declared.group(1).decode("ascii")
        try:
            same = data.decode(codec) == text
        except (LookupError, UnicodeDecodeError):
            same = False
        if not same:
            raise Refusal(f"{origin}: declares the encoding {codec!r}, under which pip reads "
                          "other text than the UTF-8 that distscan and uv read; refused")
        break
    return text


def logical_lines(text: str, env: Mapping[str, str]) -> Iterator[tuple[int, str]]:
    """(first line number, line) as pip's preprocessing makes them: lines ending in a
    backslash joined (pip strips backslashes from both ends of such a line), then comments
    removed, then ``${VAR}`` expanded from ``env``. Reading it any other way would let a line
    mean one thing to distscan and another to pip."""
    joined: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        is_comment = _COMMENT.match(line) is not None
        if line.endswith("\\") and not is_comment:
            if not joined:
                start = number
            joined.append(line.strip("\\"))
            continue
        if is_comment:
            line = " " + line
        if joined:
            yield from _cleaned(start, "".join([*joined, line]), env)
            joined = []
        else:
            yield from _cleaned(number, line, env)
    if joined:
        yield from _cleaned(start, "".join(joined), env)


def _cleaned(number: int, line: str, env: Mapping[str, str]) -> Iterator[tuple[int, str]]:
    line = _COMMENT.sub("", line).strip()
    if line:
        yield number, _ENV_VAR.sub(lambda m: env.get(m.group(1), m.group(0)), line)
