"""The real pip / uv command and its environment, with the gate as the only place to fetch from.

Three layers keep files away from the installer unless the gate scanned them:
1. the command line and requirements files are checked (scanner.preinstall.arguments);
2. the index comes only from the command line we build: pip gets ``--index-url GATE`` last
   (optparse: the last value wins) plus PIP_INDEX_URL=GATE, and PIP_EXTRA_INDEX_URL /
   PIP_FIND_LINKS set to a single space, which pip reads as an empty list that overrides every
   configuration file (an empty string would be skipped, and config extras would leak in;
   tested with pip 26). uv runs with UV_NO_CONFIG=1 and without its index variables. The final
   pip command is parsed again by pip's own parser and must come out with exactly the gate;
3. every other host is unreachable: HTTP(S)_PROXY / ALL_PROXY point at a loopback port that is
   bound but never listens, and only 127.0.0.1 bypasses it. That catches what no argument
   check can see: direct-URL dependencies declared in a local project's or an index package's
   metadata, setup_requires downloads, a build backend fetching things.

Caches: pip gets ``--no-cache-dir`` and uv ``--no-cache``. Their caches may hold files (and
wheels built from sdists) fetched earlier without the gate, and a cache hit never reaches the
gate, so it would never be scanned. A cache dedicated to distscan runs would be faster but must
never be shared with plain installer runs; not caching is the simple sound choice, and the
gate's verdict cache (by sha256) still saves the scans.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .arguments import InstallerArgs, pip_options, proxy_settings
from .requirements import Refusal

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
_UV_INDEX_VARIABLES = ("UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX", "UV_EXTRA_INDEX_URL",
                       "UV_FIND_LINKS", "UV_CONFIG_FILE")


@dataclass(frozen=True)
class InstallerCommand:
    command: tuple[str, ...]
    env: dict[str, str]


@contextlib.contextmanager
def unreachable_proxy() -> Iterator[str]:
    """A proxy URL on a loopback port that is bound (so nobody else gets it) but never listens:
    every connection to it is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def confined_env(env: Mapping[str, str], proxy_url: str) -> dict[str, str]:
    child = {k: v for k, v in env.items()
             if k.upper() not in (*_PROXY_VARIABLES, "NO_PROXY")}
    for name in _PROXY_VARIABLES:
        child[name] = child[name.lower()] = proxy_url
    # Only the address itself: reqwest (uv) matches NO_PROXY by host, not host:port.
    child["NO_PROXY"] = child["no_proxy"] = "127.0.0.1"
    return child


def http_timeout_s(scan_timeout_s: float) -> str:
    # A file response waits for its scan: the installer must wait at least as long.
    return str(int(scan_timeout_s * 1.1 + 30))


def pip_command(parsed: InstallerArgs, gate_index: str, env: Mapping[str, str],
                proxy_url: str, scan_timeout_s: float) -> InstallerCommand:
    child = confined_env(env, proxy_url)
    # PIP_NO_CACHE_DIR too: pip's build-environment subprocess inherits the environment, not
    # our --no-cache-dir.
    child.update({"PIP_INDEX_URL": gate_index, "PIP_EXTRA_INDEX_URL": " ",
                  "PIP_FIND_LINKS": " ", "PIP_NO_CACHE_DIR": "1",
                  "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    child.setdefault("PIP_TIMEOUT", http_timeout_s(scan_timeout_s))
    if "--isolated" in parsed.args:
        # Isolated pip ignores PIP_* variables (ours too) but still reads PIP_CONFIG_FILE.
        child["PIP_CONFIG_FILE"] = os.devnull
    args = list(parsed.args)
    end = args.index("--") if "--" in args else len(args)
    args[end:end] = ["--index-url", gate_index, "--no-cache-dir"]  # after the user's: wins
    options, _ = pip_options(parsed.subcommand[0], args, child)
    # pip's own reading of what it will be given: exactly the gate, nothing else.
    if (options.index_url != gate_index or options.extra_index_urls or options.find_links
            or proxy_settings(options) or options.cache_dir is not False):
        raise Refusal("pip's configuration still names another source than the gate (index "
                      f"{options.index_url!r}, extra {options.extra_index_urls!r}, find-links "
                      f"{options.find_links!r}); refusing to run it")
    return InstallerCommand((sys.executable, "-m", "pip", *parsed.subcommand, *args), child)


def uv_binary() -> str:
    try:
        import uv

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise Refusal("uv is not installed (pip install uv)") from None
        return found


def uv_command(parsed: InstallerArgs, gate_index: str, env: Mapping[str, str],
               proxy_url: str, scan_timeout_s: float) -> InstallerCommand:
    child = {k: v for k, v in confined_env(env, proxy_url).items()
             if k not in _UV_INDEX_VARIABLES}
    child["UV_NO_CONFIG"] = "1"
    child.setdefault("UV_HTTP_TIMEOUT", http_timeout_s(scan_timeout_s))
    args = list(parsed.args)
    if "--cache-dir" in args or any(a.startswith("--cache-dir=") for a in args):
        raise Refusal("--cache-dir is refused: a cache filled without the gate could hand uv "
                      "files that were never scanned; distscan runs uv with --no-cache")
    # clap refuses a flag given twice, so add ours only when missing. --no-sources: a
    # project's [tool.uv.sources] may point at git or URLs that do not pass the gate.
    extra = ["--index-url", gate_index]
    for flag, short in (("--no-cache", "-n"), ("--no-sources", None)):
        if flag not in args and (short is None or short not in args):
            extra.append(flag)
    end = args.index("--") if "--" in args else len(args)
    args[end:end] = extra
    return InstallerCommand((uv_binary(), *parsed.subcommand, *args), child)
