"""The ``distscan`` command line. I/O lives here; scanning is scanner.pipeline.scan."""

from __future__ import annotations

import enum
import sys
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console

from . import __version__, collector
from .bulk.cli import bulk_app
from .cli_rules import rules_app, scan_analyzers
from .diff.baseline import ScanRebase, parse_baseline
from .diff.cli import diff_command
from .model import Limits, ScanResult, VerdictLevel
from .pipeline import ScanOptions
from .policy import PolicyError, load_policy
from .preinstall.cli import register as register_preinstall
from .report.jsonout import render_json, render_jsonl_line
from .report.text import print_result, print_summary
from .rulesets import RuleError
from .sources.scanning import scan_targets
from .targets import TargetError, expand

EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3

app = typer.Typer(
    name="distscan",
    help="Static malicious-code scanner for Python package artifacts. It never runs, imports, "
    "builds or installs what it scans.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, enum.Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    sarif = "sarif"


class FailOn(str, enum.Enum):
    suspicious = "suspicious"
    malicious = "malicious"


def exit_code(results: list[ScanResult], fail_on: FailOn) -> int:
    """0: nothing at or above --fail-on; 1: something is; 3: nothing is, but some artifact
    could not be scanned."""
    threshold = VerdictLevel(fail_on.value).rank
    if any(r.verdict.level.rank >= threshold for r in results):
        return EXIT_FOUND
    if any(r.verdict.level is VerdictLevel.ERROR for r in results):
        return EXIT_INCOMPLETE
    return EXIT_OK


@app.command()
def scan(
    targets: list[str] = typer.Argument(None, help="Artifact files, folders of artifacts, "
                                        "unpacked package folders, globs, or pypi:NAME / "
                                        "pypi:NAME==VERSION (every file of that release on "
                                        "--index-url; the latest release without a version)."),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f",
                                        help="text, json (one document), jsonl (a line per "
                                        "artifact as it finishes) or sarif (SARIF 2.1.0)."),
    requirement_files: list[Path] = typer.Option(
        [], "--requirement", "-r", help="Scan the files a requirements file pins (repeatable). "
        "name==version without --hash options means every file of that release on "
        "--index-url; with --hash options only the files whose hash is listed, and a download "
        "that matches none is an error. Unpinned requirements are resolved through the gate "
        "(as by distscan pip install)."),
    lock_files: list[Path] = typer.Option([], "--lock", help="Scan every file a uv.lock or "
                                          "pylock.toml (PEP 751) lists, checking its hashes "
                                          "(repeatable)."),
    index_url: str = typer.Option("https://pypi.org/simple/", "--index-url",
                                  help="Simple index for pypi: specs and requirements "
                                  "(credentials in the URL are never printed)."),
    baseline: str | None = typer.Option(None, "--baseline", help="Also compare each release "
                                        "with an earlier one on --index-url ('previous' or a "
                                        "version) and weigh what is new in it (distscan diff)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the "
                                  "verdict cache."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Verdict cache folder "
                                          "(default $XDG_CACHE_HOME/distscan or "
                                          "~/.cache/distscan)."),
    fail_on: FailOn = typer.Option(FailOn.malicious, "--fail-on",
                                   help="Lowest verdict that makes the exit code 1."),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes (0 = all cores).",
                         min=0),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds allowed per artifact.",
                                  min=0.1),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here "
                                          "instead of standard output."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Text: show every finding."),
    max_total_mb: int = typer.Option(Limits.max_total_bytes // 2**20, "--max-total-mb",
                                     help="Uncompressed MiB read per artifact.", min=1),
    max_member_mb: int = typer.Option(Limits.max_member_bytes // 2**20, "--max-member-mb",
                                      help="Uncompressed MiB read per member.", min=1),
    max_members: int = typer.Option(Limits.max_members, "--max-members",
                                    help="Members read per artifact.", min=1),
    max_ratio: float = typer.Option(Limits.max_ratio, "--max-ratio",
                                    help="Largest expansion ratio a member may have.", min=1),
    max_depth: int = typer.Option(Limits.max_depth, "--max-depth",
                                  help="Nested archive levels opened.", min=0),
    policy_file: Path | None = typer.Option(None, "--policy", help="Policy file (TOML): "
                                            "thresholds, disabled rules, severity overrides, "
                                            "allow entries by sha256."),
    rule_dirs: list[Path] = typer.Option([], "--rules", help="Also apply the YARA rules in "
                                         "this folder (repeatable)."),
) -> None:
    """Scan artifacts and print a verdict for each."""
    from .sources.specs import is_index_spec

    targets = targets or []
    try:
        found = expand([t for t in targets if not is_index_spec(t)])
    except TargetError as exc:
        _fail_usage(str(exc))
    limits = Limits(max_total_bytes=max_total_mb * 2**20, max_member_bytes=max_member_mb * 2**20,
                    max_members=max_members, max_ratio=max_ratio, max_depth=max_depth,
                    timeout_s=timeout)
    options = _options_with_policy(ScanOptions(limits=limits), policy_file)
    if rule_dirs:
        try:
            options = replace(options, analyzers=scan_analyzers(tuple(map(str, rule_dirs))))
        except RuleError as exc:
            _fail_usage(str(exc))
    plan = _remote_plan([t for t in targets if is_index_spec(t)], requirement_files,
                        lock_files, index_url, options,
                        None if no_cache else _cache_db(cache_dir))
    if not found and not plan.items:
        _fail_usage("no artifacts found in the named targets" if targets or plan.notes else
                    "name artifacts, pypi:NAME[==VERSION], -r REQUIREMENTS or --lock LOCKFILE")
    try:
        stream = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
    except OSError as exc:
        _fail_usage(f"cannot write {output}: {exc.strerror}")
    console = Console(file=stream, highlight=False, soft_wrap=True,
                      force_terminal=None if output is None else False)
    try:
        rebase = baseline and ScanRebase(baseline, found, plan.items, plan.client, index_url,
                                         options)
    except ValueError as exc:
        _fail_usage(str(exc))
    cache = None if no_cache else _open_cache(options, cache_dir)
    total = len(found) + len(plan.items)
    results: list[ScanResult | None] = [None] * total
    scanning = scan_targets(found, plan.items, options, workers, cache=cache, client=plan.client)
    try:
        for index, result in scanning:
            result = rebase(index, result) if rebase else result
            results[index] = result
            if format is OutputFormat.jsonl:
                stream.write(render_jsonl_line(result))
                stream.flush()
            elif format is OutputFormat.text:
                print_result(console, result, verbose)
    except KeyboardInterrupt:
        scanning.close()  # stops the worker processes now (they ignore SIGINT themselves)
        done = [r for r in results if r is not None]
        sys.stderr.write(f"interrupted after {len(done)} of {total} artifacts\n")
        raise typer.Exit(130) from None
    finally:
        if plan.client is not None:
            plan.client.close()
        if cache is not None:
            cache.close()
        if rebase:
            rebase.close()
    finished = [r for r in results if r is not None]
    if format is OutputFormat.json:
        stream.write(render_json(finished))
    elif format is OutputFormat.sarif:
        from .report.sarif import render_sarif

        stream.write(render_sarif(finished))
    elif format is OutputFormat.text:
        print_summary(console, finished)
    if output:
        stream.close()
    raise typer.Exit(exit_code(finished, fail_on))


@app.command()
def version() -> None:
    """Print distscan's version."""
    typer.echo(f"distscan {__version__}")


@app.command()
def serve(
    upstream: str = typer.Option(..., "--upstream", help="Simple index to stand in front of, "
                                 "e.g. https://pypi.org/simple/ (credentials may be in the URL; "
                                 "they are passed on and never logged)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", min=0, max=65535),
    policy_file: Path | None = typer.Option(None, "--policy", help="Policy file (TOML), as for "
                                            "`scan --policy`."),
    db: Path = typer.Option(Path("distscan-gate.sqlite3"), "--db",
                            help="SQLite verdict store (created if missing)."),
    block_suspicious: bool = typer.Option(False, "--block-suspicious",
                                          help="Also block files judged suspicious."),
    fail_open: bool = typer.Option(False, "--fail-open", help="Let files through that could "
                                   "not be scanned (error verdicts, timeouts). Default: block."),
    cooldown_hours: float = typer.Option(0.0, "--cooldown-hours", min=0, help="Hold back files "
                                         "uploaded less than this many hours ago."),
    scan_timeout: float = typer.Option(120.0, "--scan-timeout", min=0.1,
                                       help="Seconds allowed per scan."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Scanner worker processes."),
    token: str | None = typer.Option(None, "--operator-token", envvar="DISTSCAN_GATE_TOKEN",
                                     help="Bearer token for the operator endpoints (/-/...); "
                                     "without it allowing files is disabled. Prefer the "
                                     "DISTSCAN_GATE_TOKEN environment variable."),
    baseline: str | None = typer.Option(None, "--baseline", help="Also judge each file "
                                        "against the matching file of the previous release "
                                        "('previous') or of a named version."),
) -> None:
    """Serve a scanning PEP 503/691 index in front of another index (pip/uv --index-url)."""
    from . import gate  # lazily: the server's dependencies are not needed to scan

    options = _options_with_policy(ScanOptions(), policy_file)
    try:
        config = gate.GateConfig(upstream=upstream, db_path=db, block_suspicious=block_suspicious,
                                 block_errors=not fail_open, cooldown_hours=cooldown_hours,
                                 scan_timeout_s=scan_timeout, workers=workers,
                                 operator_token=token or None, scan_options=options,
                                 baseline=parse_baseline(baseline) if baseline else None)
        gate.check_upstream(upstream)
    except ValueError as exc:
        _fail_usage(str(exc))
    gate.serve(config, host=host, port=port)


app.add_typer(bulk_app, name="bulk")
app.add_typer(rules_app, name="rules")
app.command(name="diff")(diff_command)
register_preinstall(app)  # distscan pip …, distscan uv …


def _remote_plan(specs: list[str], requirement_files: list[Path], lock_files: list[Path],
                 index_url: str, options: ScanOptions, cache_db: Path | None):
    """Files to fetch for pypi: specs, requirements and lock files; what cannot be found is a
    usage error. Notes (skipped lines) go to standard error. ``cache_db`` None (--no-cache):
    the gate that resolves unpinned requirements uses a temporary store."""
    from .sources.index import SourceError
    from .sources.remote import plan_remote
    from .text import escape

    try:
        plan = plan_remote(specs, requirement_files, lock_files, index_url,
                           scan_options=options, cache_db=cache_db)
    except (SourceError, ValueError) as exc:  # may quote a lock or requirements file: escaped
        _fail_usage(escape(str(exc), 2000))
    except KeyboardInterrupt:  # while reading the index or resolving: nothing scanned yet
        sys.stderr.write("interrupted before any artifact was scanned\n")
        raise typer.Exit(130) from None
    for note in plan.notes:
        typer.echo(f"distscan: note: {escape(note, 2000)}", err=True)
    return plan


def _open_cache(options: ScanOptions, cache_dir: Path | None):
    from .cache import open_cache

    return open_cache(options, cache_dir)


def _cache_db(cache_dir: Path | None) -> Path:
    from .cache import default_db_path

    return default_db_path(cache_dir)


def _options_with_policy(options: ScanOptions, policy_file: Path | None) -> ScanOptions:
    """``options`` with the site policy applied; a bad policy file is a usage error."""
    if policy_file is None:
        return options
    try:
        policy = load_policy(policy_file)
    except PolicyError as exc:
        _fail_usage(str(exc))
    return replace(options, policy=policy, thresholds=policy.thresholds)


def _fail_usage(message: str):
    typer.echo(f"distscan: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def main() -> None:
    collector.tune()
    app()


if __name__ == "__main__":
    main()
