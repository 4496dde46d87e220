"""Which index the user's installer would use, so that the gate can stand in front of it.

pip: the command line, else pip's own configuration (PIP_INDEX_URL, pip.conf and the rest,
read by pip's own parser), else PyPI. uv: the command line, else UV_DEFAULT_INDEX /
UV_INDEX_URL, else uv's configuration files (UV_CONFIG_FILE, or the nearest uv.toml or
pyproject.toml [tool.uv] from the working folder up, then the user's and the system's uv.toml),
else PyPI.

Extra indexes and find-links found in configuration are not an error (the user did not ask for
them on this command line), but they are switched off for the run and named in ``ignored``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .arguments import InstallerArgs, pip_options

PYPI = "https://pypi.org/simple/"


@dataclass(frozen=True)
class IndexChoice:
    url: str
    source: str  # where it came from, for the report
    ignored: tuple[str, ...] = ()  # configured extra indexes / find-links switched off


def pip_index(parsed: InstallerArgs, env: Mapping[str, str]) -> IndexChoice:
    from pip._internal.models.index import PyPI

    effective, _ = pip_options(parsed.subcommand[0], list(parsed.args), env)
    ignored = tuple(effective.extra_index_urls) + tuple(effective.find_links)
    if parsed.index_url:
        return IndexChoice(parsed.index_url, "command line", ignored)
    if effective.index_url and effective.index_url != PyPI.simple_url:
        source = "PIP_INDEX_URL" if env.get("PIP_INDEX_URL") else "pip configuration"
        return IndexChoice(effective.index_url, source, ignored)
    return IndexChoice(PYPI, "default", ignored)


def uv_index(parsed: InstallerArgs, env: Mapping[str, str], cwd: Path) -> IndexChoice:
    ignored = tuple(v for k in ("UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_FIND_LINKS")
                    for v in env.get(k, "").split() if v)
    found: list[tuple[str, str]] = []
    extras: list[str] = []
    if not _truthy(env.get("UV_NO_CONFIG", "")):
        for path, settings in _uv_config_files(env, cwd):
            url, more = _uv_settings_index(settings)
            extras.extend(more)
            if url:
                found.append((url, str(path)))
    ignored += tuple(extras)
    if parsed.index_url:
        return IndexChoice(parsed.index_url, "command line", ignored)
    for variable in ("UV_DEFAULT_INDEX", "UV_INDEX_URL"):
        if env.get(variable, "").strip():
            return IndexChoice(env[variable].strip(), variable, ignored)
    if found:
        url, path = found[0]
        return IndexChoice(url, path, ignored)
    return IndexChoice(PYPI, "default", ignored)


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _uv_config_files(env: Mapping[str, str], cwd: Path):
    """(path, settings) in uv's order of precedence, most important first."""
    explicit = env.get("UV_CONFIG_FILE")
    if explicit:
        yield from _load(Path(explicit), tool_table=False)
        return
    for folder in (cwd, *cwd.parents):
        uv_toml = folder / "uv.toml"
        if uv_toml.is_file():
            yield from _load(uv_toml, tool_table=False)
            break
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            loaded = list(_load(pyproject, tool_table=True))
            if loaded:
                yield from loaded
                break
    config_home = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser()
                                                    / ".config")
    yield from _load(Path(config_home) / "uv" / "uv.toml", tool_table=False)
    for folder in (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep):
        yield from _load(Path(folder) / "uv" / "uv.toml", tool_table=False)
    yield from _load(Path("/etc/uv/uv.toml"), tool_table=False)


def _load(path: Path, *, tool_table: bool):
    try:
        with open(path, "rb") as fp:
            data = tomllib.load(fp)
    except (OSError, tomllib.TOMLDecodeError):
        return
    if tool_table:
        data = data.get("tool", {}).get("uv")
        if not isinstance(data, dict):
            return
    yield path, data


def _uv_settings_index(settings: dict) -> tuple[str | None, list[str]]:
    """(default index URL or None, extra index and find-links URLs) of one uv settings table."""
    url = None
    extras: list[str] = []
    for table in (settings.get("pip") or {}, settings):
        if not isinstance(table, dict):
            continue
        url = url or table.get("index-url")
        extras.extend(_strings(table.get("extra-index-url")))
        extras.extend(_strings(table.get("find-links")))
    for index in settings.get("index") or []:
        if isinstance(index, dict) and isinstance(index.get("url"), str):
            if index.get("default") and url is None:
                url = index["url"]
            else:
                extras.append(index["url"])
    return (url if isinstance(url, str) else None), extras


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
