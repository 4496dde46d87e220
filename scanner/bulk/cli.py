"""``distscan bulk``: research scans of many artifacts into a resumable results store.

``distscan bulk SOURCE --out RESULTS`` is short for ``distscan bulk run SOURCE --out RESULTS``.
Click groups cannot take a positional argument and sub-commands at once (``bulk report X``
would read ``report`` as the SOURCE), so the group inserts ``run`` when its first word is not
one of its commands. A source folder literally named ``report`` needs ``bulk run report``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from typer.core import TyperGroup

from ..model import Limits
from ..pipeline import ScanOptions
from .pool import PoolError
from .runner import DEFAULT_MEMORY_MB, BulkConfig, RunReport, run_bulk
from .sources import SourceError
from .store import StoreError
from .worker import Outcome

EXIT_OK, EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 2, 3, 130


class _DefaultRunGroup(TyperGroup):
    """Routes ``bulk SOURCE ...`` to ``bulk run SOURCE ...``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


bulk_app = typer.Typer(
    cls=_DefaultRunGroup,
    help="Scan many artifacts (a folder tree, a bandersnatch mirror, or a file listing paths) "
    "into a resumable SQLite results store, and report on it. `distscan bulk SOURCE --out DB` "
    "is short for `distscan bulk run SOURCE --out DB`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _RateColumn(ProgressColumn):
    """Artifacts per second and MB per second since the start."""

    def __init__(self, started: float):
        super().__init__()
        self.started = started
        self.bytes = 0

    def render(self, task) -> Text:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return Text(f"{task.completed / elapsed:.1f} art/s {self.bytes / elapsed / 1e6:.1f} MB/s",
                    style="cyan")


@bulk_app.command("run")
def run(
    source: Path = typer.Argument(..., help="A folder tree of artifacts, a bandersnatch mirror "
                                  "root (web/packages/...), or a text file listing one path "
                                  "per line."),
    out: Path = typer.Option(..., "--out", "-o", help="Results store (SQLite). Created if "
                             "missing; artifacts it already holds are skipped."),
    workers: int = typer.Option(0, "--workers", "-w", help="Worker processes (0 = all cores).",
                                min=0),
    dask: str | None = typer.Option(None, "--dask", help="Run on this Dask scheduler "
                                    "(tcp://host:8786) instead of local processes; paths must "
                                    "be readable on its workers."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds allowed per artifact.",
                                  min=0.1),
    memory_mb: int = typer.Option(DEFAULT_MEMORY_MB, "--memory-mb", help="Address-space "
                                  "ceiling per scanning process (local worker, or the child each "
                                  "Dask worker thread scans in), MiB (0 = none).", min=0),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Scan again artifacts "
                                      "stored with an `error` verdict."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Scan every artifact of SOURCE not yet in the results store."""
    options = ScanOptions(limits=Limits(timeout_s=timeout))
    config = BulkConfig(workers=workers, options=options, memory_mb=memory_mb,
                        retry_errors=retry_errors, dask_address=dask)
    console = Console(stderr=True, highlight=False)
    started = time.monotonic()
    rate = _RateColumn(started)
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(24),
                        MofNCompleteColumn(), rate, TimeElapsedColumn(), TextColumn("eta"),
                        TimeRemainingColumn(), console=console, disable=quiet,
                        transient=False)
    task_id = None

    def on_start(report: RunReport) -> None:
        nonlocal task_id
        console.print(f"{report.discovered} artifact(s) in {report.source_kind} source, "
                      f"{report.skipped} already stored, {report.to_scan} to scan on "
                      f"{report.backend} ({report.workers} worker(s))")
        for path, reason in report.unlisted[:10]:
            console.print(Text(f"  skipped listing line {path!r}: {reason}", style="dim"))
        task_id = progress.add_task("scanning", total=report.to_scan)

    def on_result(item, outcome: Outcome) -> None:
        rate.bytes += item.size
        progress.advance(task_id)
        level = str(outcome.result.verdict.level)
        if level in ("malicious", "suspicious"):
            progress.console.print(Text(f"{level.upper():<10} {outcome.path}",
                                        style="red" if level == "malicious" else "yellow"))

    try:
        with progress:
            report = run_bulk(source, out, config, on_start=on_start, on_result=on_result)
    except (SourceError, StoreError) as exc:
        typer.echo(f"distscan: error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:  # before any work started, or while closing
        typer.echo("interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except PoolError as exc:
        typer.echo(f"distscan: error: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    elapsed = time.monotonic() - started
    counts = ", ".join(f"{report.verdicts.get(v, 0)} {v}"
                       for v in ("malicious", "suspicious", "error", "clean"))
    console.print(f"{'interrupted after' if report.interrupted else 'scanned'} "
                  f"{report.scanned} of {report.to_scan} artifact(s) in {elapsed:,.1f} s "
                  f"({counts}); peak worker memory {report.peak_rss_kb / 1024:,.0f} MiB; "
                  f"results in {out}")
    raise typer.Exit(EXIT_INTERRUPTED if report.interrupted else EXIT_OK)


@bulk_app.command("report")
def report(
    results: Path = typer.Argument(..., help="A results store written by `distscan bulk`."),
    html: Path | None = typer.Option(None, "--html", help="Also write a self-contained HTML "
                                     "report with charts to this file."),
) -> None:
    """Summarise a results store: verdicts, top rules, slowest artifacts, errors."""
    from .report import print_summary, render_html, summarize

    try:
        summary = summarize(results)
    except StoreError as exc:
        typer.echo(f"distscan: error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    print_summary(Console(highlight=False, soft_wrap=True), summary)
    if html is not None:
        try:
            html.write_text(render_html(summary, f"distscan bulk report: {results.name}"),
                            encoding="utf-8")
        except OSError as exc:
            typer.echo(f"distscan: error: cannot write {html}: {exc.strerror}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        print(f"HTML report written to {html}", file=sys.stderr)
