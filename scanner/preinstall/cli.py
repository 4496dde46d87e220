"""``distscan pip …`` and ``distscan uv …``: the real installer behind a local scanning gate.

distscan's own options come before the installer's sub-command; everything from the
sub-command on is the installer's, passed through untouched (parsing stops at the first
argument that is not one of ours, so pip's ``--timeout`` after ``install`` stays pip's).
"""

from __future__ import annotations

import enum
from pathlib import Path

import typer

PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True,
                "allow_interspersed_args": False}


class ReportFormat(str, enum.Enum):
    text = "text"
    json = "json"


def _front(installer: str, ctx: typer.Context, policy_file: Path | None,
           block_suspicious: bool, timeout: float, no_cache: bool, cache_dir: Path | None,
           format: ReportFormat, baseline: str | None) -> None:
    from dataclasses import replace

    from ..cli import _options_with_policy
    from ..diff.baseline import parse_baseline
    from ..pipeline import ScanOptions
    from .run import FrontOptions, front

    try:
        baseline = parse_baseline(baseline) if baseline else None
    except ValueError as exc:
        typer.echo(f"distscan: error: {exc}", err=True)
        raise typer.Exit(2) from None
    scan_options = _options_with_policy(ScanOptions(), policy_file)
    scan_options = replace(scan_options, limits=replace(scan_options.limits, timeout_s=timeout))
    options = FrontOptions(scan_options=scan_options, block_suspicious=block_suspicious,
                           scan_timeout_s=timeout, cache_dir=cache_dir, use_cache=not no_cache,
                           output_format=format.value, baseline=baseline)
    raise typer.Exit(front(installer, list(ctx.args), options))


_POLICY = typer.Option(None, "--policy", help="Policy file (TOML), as for `scan --policy`.")
_BLOCK_SUSPICIOUS = typer.Option(False, "--block-suspicious",
                                 help="Also block files judged suspicious.")
_TIMEOUT = typer.Option(120.0, "--timeout", min=0.1, help="Seconds allowed per scan.")
_NO_CACHE = typer.Option(False, "--no-cache", help="Use a temporary verdict store for this "
                         "run instead of the shared cache.")
_CACHE_DIR = typer.Option(None, "--cache-dir", help="Verdict cache folder (default: "
                          "$XDG_CACHE_HOME/distscan or ~/.cache/distscan).")
_BASELINE = typer.Option(None, "--baseline", help="Also compare each file with the same "
                         "project's previous release ('previous') or a named version, and "
                         "judge what changed (release diffing).")
_FORMAT = typer.Option(ReportFormat.text, "--format", help="Report as text or json (json: the "
                       "installer's output goes to standard error).")


def pip_command(ctx: typer.Context, policy_file: Path | None = _POLICY,
                block_suspicious: bool = _BLOCK_SUSPICIOUS, timeout: float = _TIMEOUT,
                no_cache: bool = _NO_CACHE, cache_dir: Path | None = _CACHE_DIR,
                format: ReportFormat = _FORMAT, baseline: str | None = _BASELINE) -> None:
    """Run `pip install|download|wheel ARGS…` through a local scanning gate.

    Example: distscan pip --block-suspicious install -r requirements.txt. Exit 1 when any file
    was blocked, 2 when the arguments are refused, else pip's exit code.
    """
    _front("pip", ctx, policy_file, block_suspicious, timeout, no_cache, cache_dir, format,
           baseline)


def uv_command(ctx: typer.Context, policy_file: Path | None = _POLICY,
               block_suspicious: bool = _BLOCK_SUSPICIOUS, timeout: float = _TIMEOUT,
               no_cache: bool = _NO_CACHE, cache_dir: Path | None = _CACHE_DIR,
               format: ReportFormat = _FORMAT, baseline: str | None = _BASELINE) -> None:
    """Run `uv pip install|sync|compile ARGS…` through a local scanning gate.

    Example: distscan uv pip install -r requirements.txt. Exit codes as for `distscan pip`.
    """
    _front("uv", ctx, policy_file, block_suspicious, timeout, no_cache, cache_dir, format,
           baseline)


def register(app: typer.Typer) -> None:
    app.command("pip", context_settings=PASS_THROUGH)(pip_command)
    app.command("uv", context_settings=PASS_THROUGH)(uv_command)
