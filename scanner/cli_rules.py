"""``distscan rules``: list the content rules, test a rule folder on its fixtures, and
generate ``rules/README.md`` from the rules' meta.

A rule folder's fixtures live next to it: ``<folder>/fixtures/<rule id>/match/*`` must make
that rule fire, ``<folder>/fixtures/<rule id>/nomatch/*`` must not. Fixture file names matter
(``x.py`` is code, ``x.md`` is text), because rules say which kinds of member they apply to.

    python -m scanner.cli_rules readme [--check]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from .rulesets import RuleError, RuleMeta, RuleSet, bundled_rules_dir, load

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

rules_app = typer.Typer(name="rules", help="List, test and document the YARA content rules.",
                        no_args_is_help=True, add_completion=False,
                        pretty_exceptions_enable=False)


def all_rules(ruleset: RuleSet) -> list[RuleMeta]:
    """YARA rules plus the built-in content checks, sorted by id."""
    from .analyzers.yara_rules import BUILTIN_RULES

    return sorted((*ruleset.rules, *BUILTIN_RULES), key=lambda r: r.id)


def load_or_exit(extra_dirs: tuple[str, ...] = (), *, bundled: bool = True) -> RuleSet:
    try:
        return load(extra_dirs, bundled=bundled)
    except RuleError as exc:
        typer.echo(f"distscan: error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


def scan_analyzers(rule_dirs: tuple[str, ...]):
    """The registered analysers with the content rules also loading ``rule_dirs``.

    Compiles the rules here, in the parent process, so that a broken rule is a usage error
    naming its file and line before any artifact is scanned. Raises RuleError.
    """
    from .analyzers import registered
    from .analyzers.yara_rules import with_rule_dirs

    dirs = tuple(str(Path(d).resolve()) for d in rule_dirs)
    load(dirs)
    return with_rule_dirs(registered(), dirs)


@rules_app.command("list")
def list_rules(
    rules: list[str] = typer.Option([], "--rules", help="Also load this rule folder "
                                    "(repeatable)."),
) -> None:
    """Print every rule with its meta."""
    ruleset = load_or_exit(tuple(rules))
    for meta in all_rules(ruleset):
        severity = str(meta.severity)
        if meta.data_severity != meta.severity:
            severity += f" (data: {meta.data_severity})"
        typer.echo(f"{meta.id}\n  category={meta.category} severity={severity} "
                   f"confidence={meta.confidence} applies_to={meta.applies_to}\n"
                   f"  {meta.description}\n  reference: {meta.reference}\n"
                   f"  defined in {meta.file}:{meta.line}")
    typer.echo(f"{len(all_rules(ruleset))} rules")


@dataclass(frozen=True)
class FixtureFailure:
    rule: str
    fixture: str
    problem: str


def run_fixtures(folder: Path, ruleset: RuleSet, rule_metas: list[RuleMeta]) -> tuple[
        int, list[FixtureFailure]]:
    """Run every fixture under ``folder/fixtures``; a rule with no fixtures of either kind
    fails too. Returns (fixtures run, failures)."""
    from .analyzers.yara_rules import content_findings

    fixtures_root = folder / "fixtures"
    failures: list[FixtureFailure] = []
    count = 0
    for meta in rule_metas:
        for expected in ("match", "nomatch"):
            directory = fixtures_root / meta.id / expected
            samples = sorted(p for p in directory.glob("*") if p.is_file()) \
                if directory.is_dir() else []
            if not samples:
                failures.append(FixtureFailure(meta.id, str(directory),
                                               f"no '{expected}' fixture"))
            for sample in samples:
                count += 1
                fired = {f.rule for f in content_findings(ruleset, sample.name,
                                                          sample.read_bytes())}
                if (meta.id in fired) != (expected == "match"):
                    failures.append(FixtureFailure(
                        meta.id, str(sample),
                        "did not match" if expected == "match" else "matched"))
    return count, failures


def stray_fixtures(folder: Path, known: set[str]) -> list[FixtureFailure]:
    """Fixture folders named after no rule (a renamed rule left its fixtures behind)."""
    root = folder / "fixtures"
    if not root.is_dir():
        return []
    return [FixtureFailure(p.name, str(p), "fixtures for a rule that does not exist")
            for p in sorted(root.iterdir()) if p.is_dir() and p.name not in known]


@rules_app.command("test")
def test_rules(folder: Path = typer.Argument(..., help="Rule folder with a fixtures/ "
                                             "subfolder.")) -> None:
    """Run a rule folder against its fixtures (match/ must fire, nomatch/ must not)."""
    folder = folder.resolve()
    bundled = folder == bundled_rules_dir().resolve()
    ruleset = load_or_exit(() if bundled else (str(folder),), bundled=True)
    metas = [m for m in all_rules(ruleset)
             if (bundled and (m.namespace == "builtin" or _under(m.file, folder)))
             or (not bundled and _under(m.file, folder))]
    count, failures = run_fixtures(folder, ruleset, metas)
    failures += stray_fixtures(folder, {m.id for m in all_rules(ruleset)})
    for failure in failures:
        typer.echo(f"FAIL {failure.rule}: {failure.fixture}: {failure.problem}")
    typer.echo(f"{len(metas)} rules, {count} fixtures, {len(failures)} failures")
    raise typer.Exit(EXIT_FAILED if failures else EXIT_OK)


def _under(path: str, folder: Path) -> bool:
    try:
        return Path(path).resolve().parent == folder
    except OSError:
        return False


def readme_text(ruleset: RuleSet) -> str:
    """rules/README.md, generated from the rules' meta (do not edit the output by hand)."""
    metas = all_rules(ruleset)
    lines = [
        "# distscan content rules",
        "",
        "<!-- Generated by `python -m scanner.cli_rules readme` from the rules' meta. "
        "Do not edit by hand: tests fail when this file is stale. -->",
        "",
        "YARA rules (`*.yar`) that run over every member of an artifact and over every decoded "
        "payload, compiled once per process and matched once per member. Each rule's `meta:` "
        "carries `id`, `category`, `severity`, `confidence`, `description`, `reference` and "
        "`applies_to` (`code`, `text`, `binary` or `any`); the optional `data_severity` is used "
        "when the match is in a non-code member (documentation, data). Built-in checks are "
        "content rules that YARA cannot run fast; they follow the same conventions.",
        "",
        "Every rule has fixtures in `fixtures/<rule id>/match/` (must fire) and "
        "`fixtures/<rule id>/nomatch/` (must not); `distscan rules test rules/` runs them. "
        "Add your own folder with `distscan scan --rules DIR` (a rule that does not compile is "
        "an error naming its file and line). `known_launchers.sha256` lists the Windows launcher "
        "stubs of setuptools and distlib that the binary analyser recognises.",
        "",
        f"{len(metas)} rules.",
        "",
        "| id | category | severity (data) | confidence | applies to | description |",
        "|---|---|---|---|---|---|",
    ]
    for m in metas:
        severity = str(m.severity) + (f" ({m.data_severity})" if m.data_severity != m.severity
                                      else "")
        source = "built-in" if m.namespace == "builtin" else Path(m.file).name
        lines.append(f"| `{m.id}` | {m.category} | {severity} | {m.confidence} | "
                     f"{m.applies_to} | {_cell(m.description)} ({source}; "
                     f"ref: {_cell(m.reference)}) |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@rules_app.command("readme")
def readme(check: bool = typer.Option(False, "--check", help="Exit 1 if rules/README.md is "
                                      "stale instead of writing it.")) -> None:
    """Write rules/README.md from the bundled rules' meta."""
    ruleset = load_or_exit()
    target = bundled_rules_dir() / "README.md"
    text = readme_text(ruleset)
    current = target.read_text("utf-8") if target.exists() else ""
    if check:
        if current != text:
            typer.echo(f"{target} is stale: run `python -m scanner.cli_rules readme`", err=True)
            raise typer.Exit(EXIT_FAILED)
        typer.echo(f"{target} is up to date")
        return
    target.write_text(text, "utf-8")
    typer.echo(f"wrote {target}")


if __name__ == "__main__":
    rules_app()
