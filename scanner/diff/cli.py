"""``distscan diff OLD NEW``: what changed from one release to the next, and the new release's
verdict with that change taken into account.

OLD and NEW are local artifacts (files or unpacked folders) or ``pypi:NAME==VERSION`` specs
(``pypi:NAME`` is the latest release) on the index named by ``--index-url``. For a spec the
file compared is a wheel (pure-Python first) or, with ``--prefer sdist``, the sdist; the other
side uses its file of the same kind and closest tags.
"""

from __future__ import annotations

import enum
import sys
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console

from ..model import Limits, VerdictLevel
from ..pipeline import ScanOptions
from ..policy import PolicyError, load_policy
from ..sources import DEFAULT_INDEX_URL, IndexClient, NotFound, SourceError
from ..sources.specs import SpecError, is_index_spec, parse_spec
from ..text import escape
from .baseline import Fetcher, matching_file, preferred_file
from .engine import Release, ReleaseDiff, diff_releases
from .report import print_diff, render_json

EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


class DiffFormat(str, enum.Enum):
    text = "text"
    json = "json"


class DiffFailOn(str, enum.Enum):
    suspicious = "suspicious"
    malicious = "malicious"


class Prefer(str, enum.Enum):
    wheel = "wheel"
    sdist = "sdist"


class UsageError(Exception):
    pass


def diff_command(
    old: str = typer.Argument(..., help="The earlier release: a file, an unpacked folder, or "
                              "pypi:NAME==VERSION."),
    new: str = typer.Argument(..., help="The later release, named the same ways."),
    format: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f", help="text or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    fail_on: DiffFailOn = typer.Option(DiffFailOn.malicious, "--fail-on",
                                       help="Lowest verdict of the new release (judged against "
                                       "the old one) that makes the exit code 1."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Text: also list changed files "
                                 "and behaviour that is gone."),
    index_url: str = typer.Option(DEFAULT_INDEX_URL, "--index-url",
                                  help="Simple index for pypi: specs."),
    prefer: Prefer = typer.Option(Prefer.wheel, "--prefer", help="For pypi: specs, diff the "
                                  "wheels (default) or the sdists."),
    policy_file: Path | None = typer.Option(None, "--policy", help="Policy file (TOML), as "
                                            "for `scan --policy`."),
    timeout: float = typer.Option(300.0, "--timeout", min=0.1, help="Seconds per artifact."),
) -> None:
    """Compare two releases of a project: files, .pth files, binaries, entry points, metadata
    and behaviour new since the old one; re-score the new one with that drift."""
    options = ScanOptions(limits=Limits(timeout_s=timeout))
    if policy_file is not None:
        try:
            policy = load_policy(policy_file)
        except PolicyError as exc:
            _fail_usage(str(exc))
        options = replace(options, policy=policy, thresholds=policy.thresholds)
    try:
        diff = run_diff(old, new, options, index_url, prefer.value)
    except UsageError as exc:
        _fail_usage(escape(str(exc), 2000))
    except SourceError as exc:
        typer.echo(f"distscan: error: {escape(str(exc), 2000)}", err=True)
        raise typer.Exit(EXIT_INCOMPLETE) from None
    except KeyboardInterrupt:
        typer.echo("distscan: interrupted", err=True)
        raise typer.Exit(130) from None
    try:
        stream = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
    except OSError as exc:
        _fail_usage(f"cannot write {output}: {exc.strerror}")
    if format is DiffFormat.json:
        stream.write(render_json(diff))
    else:
        console = Console(file=stream, highlight=False, soft_wrap=True,
                          force_terminal=None if output is None else False)
        print_diff(console, diff, verbose)
    if output:
        stream.close()
    raise typer.Exit(exit_code(diff, fail_on.value))


def exit_code(diff: ReleaseDiff, fail_on: str) -> int:
    level = diff.result.verdict.level
    if level.rank >= VerdictLevel(fail_on).rank:
        return EXIT_FOUND
    if level is VerdictLevel.ERROR or diff.comparison is None:
        return EXIT_INCOMPLETE
    return EXIT_OK


def run_diff(old: str, new: str, options: ScanOptions, index_url: str = DEFAULT_INDEX_URL,
             prefer: str = "wheel") -> ReleaseDiff:
    """Diff two named releases. Raises UsageError (missing file, bad spec, unknown release)
    and SourceError (the index cannot be reached, a download failed)."""
    for name in (old, new):
        if not is_index_spec(name) and not Path(name).exists():
            raise UsageError(f"no such file or folder: {name!r}")
    if not (is_index_spec(old) or is_index_spec(new)):
        return diff_releases(Release(Path(old), old), Release(Path(new), new), options)
    try:
        with IndexClient(index_url) as client, Fetcher(client) as fetcher:
            new_side = (_remote(client, fetcher, new, prefer,
                                None if is_index_spec(old) else Path(old).name)
                        if is_index_spec(new) else Release(Path(new), new))
            like = new_side.filename or Path(new).name
            old_side = (_remote(client, fetcher, old, prefer, like) if is_index_spec(old)
                        else Release(Path(old), old))
            return diff_releases(old_side, new_side, options)
    except (SpecError, NotFound) as exc:
        raise UsageError(str(exc)) from None


def _remote(client: IndexClient, fetcher: Fetcher, text: str, prefer: str,
            like: str | None) -> Release:
    """The release file a spec names (the one most like ``like`` when given), downloaded."""
    spec = parse_spec(text)
    release = client.release_files(spec.name, spec.version)
    chosen = (matching_file(release.files, like) if like else None) or preferred_file(
        release.files, prefer)
    if chosen is None:
        raise UsageError(f"{release.project}=={release.version} on the index has no files")
    label = f"pypi:{release.project}=={release.version}/{chosen.filename}"
    return Release(fetcher.fetch(chosen), label, chosen.filename)


def _fail_usage(message: str):
    typer.echo(f"distscan: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)
