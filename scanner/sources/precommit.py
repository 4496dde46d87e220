"""The ``distscan-requirements`` pre-commit hook: ``distscan scan`` with each staged
requirements or lock file given as ``-r FILE`` or ``--lock FILE``.

pre-commit appends the staged file names after the hook's own ``args``, so the names cannot go
straight to ``distscan scan`` (they would be scanned as artifacts). Arguments that name an
existing requirements or lock file are turned into the matching option; everything else (the
hook's ``args``: ``--index-url``, ``--fail-on``...) is passed on unchanged.

    python -m scanner.sources.precommit [distscan scan options] FILE...
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_LOCK = re.compile(r"^(uv\.lock|pylock(\.[^/]+)?\.toml)$")
_REQUIREMENTS = re.compile(r"^.*requirements[^/]*\.(txt|in)$|^.*\.txt$")


def scan_arguments(argv: list[str]) -> list[str]:
    args = ["scan"]
    files: list[str] = []
    takes_value = _value_options()
    previous = ""
    for arg in argv:
        name = Path(arg).name
        is_file = not arg.startswith("-") and previous not in takes_value and Path(arg).is_file()
        if is_file and _LOCK.match(name):
            files += ["--lock", arg]
        elif is_file and _REQUIREMENTS.match(name):
            files += ["-r", arg]
        else:
            args.append(arg)
        previous = arg
    return args + files


def _value_options() -> set[str]:
    """``distscan scan``'s options that take a value (``--policy FILE``, ``-o FILE``): the
    argument after one is its value, never a staged file, even when it names a .txt file."""
    import typer.main

    from ..cli import app

    scan = typer.main.get_command(app).commands["scan"]  # type: ignore[attr-defined]
    return {name for param in scan.params
            if param.param_type_name == "option" and not getattr(param, "is_flag", False)
            for name in param.opts}


def main(argv: list[str] | None = None) -> None:
    from ..cli import app

    arguments = scan_arguments(sys.argv[1:] if argv is None else argv)
    if len(arguments) == 1 or not any(a in ("-r", "--lock") for a in arguments):
        return  # no requirements or lock file staged: nothing to check
    app(args=arguments, prog_name="distscan")


if __name__ == "__main__":
    main()
