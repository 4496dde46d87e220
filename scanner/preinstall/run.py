"""One fronted install: check the arguments, scan local paths, start the gate, run the real
installer against it, report.

Exit codes: 2 when the arguments are refused (or the gate cannot start), 1 when anything was
blocked (even if the installer then succeeded with another version), else the installer's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..cache import ResultCache, default_db_path, scan_fingerprint, store_opens
from ..gate import GateConfig, check_upstream
from ..gate.upstream import redact
from ..pipeline import ScanOptions
from ..text import escape
from .arguments import (
    InstallerArgs,
    pip_options,
    proxy_settings,
    read_pip_args,
    read_uv_args,
)
from .index_config import IndexChoice, pip_index, uv_index
from .installers import pip_command, unreachable_proxy, uv_command
from .local_gate import GateStartError, local_gate
from .local_scan import scan_locals
from .report import RunReport, write_json, write_text
from .requirements import Refusal

EXIT_USAGE = 2
_BUILDERS = {"pip": pip_command, "uv": uv_command}
_PLACEHOLDER = "http://127.0.0.1:1/simple/"


@dataclass(frozen=True)
class FrontOptions:
    """The wrapper's own settings. ``cache_dir`` None: the default cache; ``use_cache`` False:
    a temporary verdict store for this run only."""

    scan_options: ScanOptions = ScanOptions()
    block_suspicious: bool = False
    scan_timeout_s: float = 120.0
    cache_dir: Path | None = None
    use_cache: bool = True
    output_format: str = "text"
    workers: int = 2
    baseline: str | None = None  # "previous" or a version: judge each file against it too


def front(installer: str, argv: list[str], options: FrontOptions, *,
          env: Mapping[str, str] | None = None, cwd: Path | None = None,
          out: TextIO | None = None, err: TextIO | None = None) -> int:
    env = dict(os.environ if env is None else env)
    cwd = cwd or Path.cwd()
    out, err = out or sys.stdout, err or sys.stderr
    try:
        parsed, index = _checked(installer, argv, env, cwd)
        # The installer's command, built once before anything starts so that a refusal there
        # is a usage error too (the real one names the gate's port).
        _BUILDERS[installer](parsed, _PLACEHOLDER, env, _PLACEHOLDER, options.scan_timeout_s)
    except ImportError:
        err.write("distscan: error: pip is not installed for this Python "
                  f"({sys.executable})\n")
        return EXIT_USAGE
    except Refusal as refusal:
        err.write(f"distscan: error: {escape(str(refusal), 2000)}\n")
        return EXIT_USAGE
    if index.ignored:
        # Configuration may come from a cloned project's pyproject.toml: escaped.
        err.write("distscan: ignoring extra indexes / find-links from the configuration (the "
                  "gate fronts one index): "
                  + escape(", ".join(map(redact, index.ignored)), 2000) + "\n")
    with tempfile.TemporaryDirectory(prefix="distscan-pre-") as scratch:
        db_path = Path(scratch) / "verdicts.sqlite3"
        if options.use_cache and store_opens(default_db_path(options.cache_dir)):
            db_path = default_db_path(options.cache_dir)
        try:
            report = _run(installer, parsed, index, env, db_path, options, out, err)
        except KeyboardInterrupt:  # the installer got the signal too; the gate is stopped
            err.write("distscan: interrupted\n")
            return 130
    if options.output_format == "json":
        write_json(report, out)
    else:
        write_text(report, out)
    out.flush()
    return report.exit_code()


def _checked(installer: str, argv: list[str], env: dict[str, str],
             cwd: Path) -> tuple[InstallerArgs, IndexChoice]:
    if installer == "pip":
        parsed = read_pip_args(argv, env, cwd)
        index = pip_index(parsed, env)
        configured, _ = pip_options(parsed.subcommand[0], list(parsed.args), env)
        if proxy_settings(configured):
            raise Refusal("pip is configured with proxy settings (PIP_PROXY, PIP_NO_PROXY_ENV "
                          "or pip.conf): under distscan pip talks only to the gate on "
                          "127.0.0.1; unset them for this run")
    else:
        parsed = read_uv_args(argv, env, cwd)
        index = uv_index(parsed, env, cwd)
    try:
        check_upstream(index.url)
    except ValueError as exc:
        raise Refusal(f"index {redact(index.url)!r} ({index.source}): {exc}") from None
    return parsed, index


def _run(installer: str, parsed: InstallerArgs, index: IndexChoice, env: dict[str, str],
         db_path: Path, options: FrontOptions, out: TextIO, err: TextIO) -> RunReport:
    label = " ".join((installer, *parsed.subcommand))
    cache = (ResultCache(db_path, scan_fingerprint(options.scan_options))
             if parsed.locals else None)
    try:
        local = scan_locals(parsed.locals, parsed.bases, options.scan_options, cache,
                            options.block_suspicious)
    finally:
        if cache is not None:
            cache.close()
    if any(v.blocked for v in local):
        return RunReport(label, index.url, index.source, tuple(local), (), None)
    config = GateConfig(upstream=index.url, db_path=db_path,
                        block_suspicious=options.block_suspicious,
                        scan_timeout_s=options.scan_timeout_s, workers=options.workers,
                        scan_options=options.scan_options, baseline=options.baseline)
    build = _BUILDERS[installer]
    try:
        with unreachable_proxy() as proxy, local_gate(config) as gate:
            command = build(parsed, gate.index_url, env, proxy, options.scan_timeout_s)
            # The installer will say it looks in 127.0.0.1: say what that is.
            err.write(f"distscan: {label} through a scanning gate on {gate.index_url} in "
                      f"front of {escape(redact(index.url))} ({escape(index.source)})\n")
            err.flush()
            # The installer's output streams as it comes; with --format json it goes to
            # standard error so that standard output is the report alone.
            stdout = sys.stderr if options.output_format == "json" else None
            out.flush()
            completed = subprocess.run(command.command, env=command.env, cwd=parsed.bases[0],
                                       stdout=stdout, check=False)
            files = gate.recorder.outcomes()
    except Refusal as refusal:
        err.write(f"distscan: error: {escape(str(refusal), 2000)}\n")
        return RunReport(label, index.url, index.source, tuple(local), (), EXIT_USAGE,
                         installer_ran=False)
    except GateStartError as exc:
        err.write(f"distscan: error: {exc}\n")
        return RunReport(label, index.url, index.source, tuple(local), (), EXIT_USAGE,
                         installer_ran=False)
    return RunReport(label, index.url, index.source, tuple(local), tuple(files),
                     completed.returncode)
