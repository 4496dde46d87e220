"""The installer's command line, read the way the installer reads it.

pip's arguments are parsed by pip's own option parser (the pip that ``sys.executable -m pip``
runs), so abbreviations (``--extra-ind``), attached values (``-iURL``) and configuration are
understood exactly as pip will understand them. uv's command line (clap: no abbreviations) is
read with a table of its value-taking options; an option missing from the table can only make
distscan look at a value as if it were a requirement, which fails closed.

The result says which index the user named, which local paths the installer would read
(scanned first), and raises Refusal for anything that would bypass the gate.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .requirements import (
    LocalPath,
    Refusal,
    classify,
    read_requirements_file,
    refuse_index_option,
    require_existing,
)

PIP_SUBCOMMANDS = ("install", "download", "wheel")
UV_SUBCOMMANDS = ("install", "sync", "compile")


@dataclass(frozen=True)
class InstallerArgs:
    """One installer invocation, checked.

    subcommand: the words before the installer's options (``install``; ``pip install`` for uv).
    args: the user's arguments after the sub-command, minus the index option (uv: a second
      index option is an error there; pip: the gate's --index-url is appended and wins).
    index_url: the index the user named on the command line, or None.
    locals: local artifacts and source trees the installer would read.
    bases: folders relative paths may be relative to.
    """

    installer: str
    subcommand: tuple[str, ...]
    args: tuple[str, ...]
    index_url: str | None
    locals: tuple[LocalPath, ...]
    bases: tuple[Path, ...]


# -- pip ---------------------------------------------------------------------------------------

def read_pip_args(argv: list[str], env: Mapping[str, str], cwd: Path) -> InstallerArgs:
    if not argv or argv[0] not in PIP_SUBCOMMANDS:
        raise Refusal(f"distscan pip fronts {', '.join(PIP_SUBCOMMANDS)}: write "
                      "`distscan pip [distscan options] install [pip arguments]` (pip's global "
                      "options go after the sub-command)")
    from pip._internal.models.index import PyPI

    subcommand, rest = argv[0], argv[1:]
    # The command line alone (no configuration): what the user typed is refused outright.
    typed, specs = pip_options(subcommand, rest, {"PIP_CONFIG_FILE": os.devnull})
    if typed.extra_index_urls:
        raise refuse_index_option("--extra-index-url", "command line")
    if typed.find_links:
        raise refuse_index_option("--find-links", "command line")
    if proxy_settings(typed):
        raise Refusal("--proxy and --no-proxy-env are refused: pip talks only to distscan's "
                      "gate on 127.0.0.1 (the gate fetches from the index itself), and every "
                      "other host must stay unreachable")
    # Requirements files, constraints and editables may also come from PIP_* variables and
    # pip.conf (PIP_REQUIREMENT, PIP_CONSTRAINT, ...): read them as pip will.
    effective, _ = pip_options(subcommand, rest, env)
    bases = (cwd,)
    locals_: list[LocalPath] = []
    for number, spec in enumerate(specs, 1):
        local = classify(spec, f"argument {number}", bases)
        if local is not None:
            locals_.append(local)
    for spec in _listed(effective, "editables"):
        local = classify(spec, "-e", bases)
        if local is None:
            raise Refusal(f"-e {spec!r} is not a local path; refused")
        locals_.append(LocalPath(local.path, f"-e {spec}", editable=True, bases=bases))
    files = [*_listed(effective, "requirements"), *_listed(effective, "constraints"),
             *_listed(effective, "build_constraints")]
    if getattr(effective, "dependency_groups", None):
        raise Refusal("--group is refused: distscan does not check dependency groups yet "
                      "(they may name direct URLs); list the requirements in a file")
    for name in files:
        locals_.extend(read_requirements_file(name, env, cwd=cwd).locals)
    require_existing(locals_, bases)
    index_url = typed.index_url if typed.index_url != PyPI.simple_url else None
    return InstallerArgs("pip", (subcommand,), tuple(rest), index_url, tuple(locals_), bases)


def proxy_settings(options) -> bool:
    """Whether pip was told how to use proxies: ``--proxy ""`` switches them off, and so does
    --no-proxy-env (pip 26); either would undo the confinement (scanner.preinstall.installers).
    """
    return getattr(options, "proxy", None) is not None or bool(
        getattr(options, "no_proxy_env", False))


def _listed(options, name: str) -> list[str]:
    # Not every sub-command has every option (pip download has no --editable).
    return list(getattr(options, name, None) or [])


def pip_options(subcommand: str, args: list[str], env: Mapping[str, str]):
    """(options, positional arguments) as pip parses them under ``env`` (its PIP_* variables
    and configuration files). Refusal when pip rejects the arguments."""
    from pip._internal.commands import create_command

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    errors = io.StringIO()
    try:
        command = create_command(subcommand, isolated="--isolated" in args)
        # optparse appends to a list default in place, and pip's option objects are shared by
        # every parser in the process: parse into copies, or one parse leaks into the next.
        parser = command.parser
        parser.defaults = {k: list(v) if isinstance(v, list) else v
                           for k, v in parser.defaults.items()}
        with contextlib.redirect_stderr(errors):
            return command.parse_args(list(args))
    except SystemExit:
        message = errors.getvalue().strip().splitlines()
        raise Refusal("pip rejects these arguments: " + (message[-1] if message else
                                                          "(no message)")) from None
    finally:
        os.environ.clear()
        os.environ.update(saved)


# -- uv ----------------------------------------------------------------------------------------

_UV_VALUE_OPTIONS = frozenset({
    "--requirements", "--editable", "--constraints", "--overrides", "--excludes",
    "--build-constraints", "--extra", "--cert", "--group", "--target", "--prefix",
    "--no-binary", "--only-binary", "--python-version", "--python-platform", "--output-format",
    "--torch-backend", "--index", "--default-index", "--index-url", "--extra-index-url",
    "--find-links", "--index-strategy", "--keyring-provider", "--upgrade-package",
    "--upgrade-group", "--resolution", "--prerelease", "--prerelease-package",
    "--fork-strategy", "--exclude-newer", "--exclude-newer-package", "--no-sources-package",
    "--reinstall-package", "--link-mode", "--config-setting", "--config-settings-package",
    "--no-build-isolation-package", "--cache-dir", "--refresh-package", "--python", "--color",
    "--allow-insecure-host", "--directory", "--project", "--config-file", "--output-file",
    "--format", "--annotation-style", "--custom-compile-command", "--no-emit-package",
    "--no-editable-package",
})
_UV_SHORT = {"r": "--requirements", "e": "--editable", "c": "--constraints",
             "b": "--build-constraints", "t": "--target", "i": "--index-url",
             "f": "--find-links", "P": "--upgrade-package", "C": "--config-setting",
             "p": "--python", "o": "--output-file"}
_UV_FILES = {"--requirements", "--constraints", "--overrides", "--build-constraints"}
# uv reads these files from the environment as well (constraints may name direct URLs).
_UV_FILE_VARIABLES = ("UV_CONSTRAINT", "UV_BUILD_CONSTRAINT", "UV_OVERRIDE")
_UV_REFUSED = {"--extra-index-url", "--find-links", "--index"}


def read_uv_args(argv: list[str], env: Mapping[str, str], cwd: Path) -> InstallerArgs:
    if len(argv) < 2 or argv[0] != "pip" or argv[1] not in UV_SUBCOMMANDS:
        raise Refusal(f"distscan uv fronts `uv pip {'|'.join(UV_SUBCOMMANDS)}`: write "
                      "`distscan uv [distscan options] pip install [uv arguments]`")
    subcommand, rest = argv[1], argv[2:]
    kept: list[str] = []
    values: list[tuple[str, str]] = []
    positional: list[str] = []
    index_url = None
    tokens = iter(rest)
    for token in tokens:
        if token == "--":
            remaining = list(tokens)
            positional.extend(remaining)
            kept.extend([token, *remaining])
            break
        option, value, consumed = _uv_option(token, tokens)
        if option is None:
            positional.append(token)
            kept.append(token)
            continue
        if option in _UV_REFUSED:
            raise refuse_index_option(option, "command line")
        if option == "--config-file":
            raise Refusal("--config-file is refused: uv runs without configuration files under "
                          "distscan, so that no extra index can come from one")
        if option == "--group":
            raise Refusal("--group is refused: distscan does not check dependency groups yet "
                          "(they may name direct URLs); list the requirements in a file")
        if option in ("--index-url", "--default-index"):
            index_url = value
            continue  # replaced by the gate
        kept.extend(consumed)
        if value is not None:
            values.append((option, value))
    directory = next((Path(v) for o, v in values if o == "--directory"), None)
    bases = (cwd,) if directory is None else (cwd, (cwd / directory).resolve())
    locals_: list[LocalPath] = []
    # sync and compile take requirements *files* as positional arguments.
    files = [v for o, v in values if o in _UV_FILES]
    files += [f for variable in _UV_FILE_VARIABLES for f in env.get(variable, "").split()]
    if subcommand == "install":
        for number, spec in enumerate(positional, 1):
            local = classify(spec, f"argument {number}", bases)
            if local is not None:
                locals_.append(local)
    else:
        files.extend(positional)
    for o, spec in values:
        if o == "--editable":
            local = classify(spec, "-e", bases)
            if local is None:
                raise Refusal(f"-e {spec!r} is not a local path; refused")
            locals_.append(LocalPath(local.path, f"-e {spec}", editable=True, bases=bases))
    for name in files:
        if name == "-":
            raise Refusal("requirements from standard input are refused: give a file")
        locals_.extend(read_requirements_file(name, env, cwd=bases[-1]).locals)
    require_existing(locals_, bases)
    return InstallerArgs("uv", ("pip", subcommand), tuple(kept), index_url, tuple(locals_),
                         bases)


def _uv_option(token: str, tokens) -> tuple[str | None, str | None, list[str]]:
    """(long option name, value, tokens used) for an option token, (None, None, []) for a
    positional argument. Clusters of short flags ending in a value option are understood."""
    if token.startswith("--"):
        name, eq, attached = token.partition("=")
        if name not in _UV_VALUE_OPTIONS:
            return name, None, [token]
        if eq:
            return name, attached, [token]
        value = next(tokens, None)
        return name, value, [token] if value is None else [token, value]
    if token.startswith("-") and len(token) > 1:
        for position, letter in enumerate(token[1:], 1):
            if letter in _UV_SHORT:
                name = _UV_SHORT[letter]
                if position != 1 and name in ("--index-url", "--find-links"):
                    raise Refusal(f"{token}: give {name} as an option of its own")
                attached = token[position + 1:]
                attached = attached[1:] if attached.startswith("=") else attached  # clap
                if attached:
                    return name, attached, [token]
                value = next(tokens, None)
                return name, value, [token] if value is None else [token, value]
        return token, None, [token]  # flags only (-q, -U, -n, -v)
    return None, None, []
