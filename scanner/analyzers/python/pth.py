"""``.pth`` files: site.py adds each line to sys.path, except lines starting with ``import``,
which it executes at every interpreter start. Each such line is analysed as startup code.

A line that only imports modules of this artifact (or the standard library) and does not
spawn, decode, execute hidden code or touch the network is the normal shape (setuptools'
distutils-precedence, pytest-cov, namespace shims) and stays clean; the imported modules'
own files are then analysed as startup code too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...model import Context, Finding
from .emit import finding, rank, summary
from .engine import Engine
from .hits import MODULE_SCOPE, Hit
from .names import STDLIB_COMMON
from .reach import Role
from .source import to_text

LARGE_PTH = 4096
# Inner findings that do not make an executable .pth line suspicious on their own.
_HARMLESS = frozenset({"python.exec.literal-code", "python.parse.fallback",
                       "python.install.hook"})


@dataclass
class PthResult:
    findings: list[Finding] = field(default_factory=list)
    derived: list = field(default_factory=list)
    startup_modules: set[str] = field(default_factory=set)


def analyse_pth(engine: Engine, path: str, data: bytes, shipped: set[str]) -> PthResult:
    text, _ = to_text(data)
    out = PthResult()
    executable = 0
    role = Role(Context.STARTUP, main_runs=True)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith(("import ", "import\t")):
            continue
        executable += len(line)
        result = engine.analyse(line, path, role, line_offset=number - 1)
        out.findings += result.findings
        out.derived += result.derived
        imported = {m.split(".")[0] for m in (result.facts.imports if result.facts else ())}
        foreign = sorted(m for m in imported if m not in shipped and m not in STDLIB_COMMON)
        out.startup_modules |= {m for m in imported if m in shipped}
        serious = [f for f in result.findings if f.rule not in _HARMLESS]
        if serious:
            worst = max(serious, key=rank)
            out.findings.append(finding(
                Hit("python.startup.pth-exec", number, MODULE_SCOPE, line.strip()[:100]),
                Context.STARTUP, path, suffix=f" ⇒ {summary(worst)}"))
        elif foreign:
            out.findings.append(finding(
                Hit("python.startup.pth-code", number, MODULE_SCOPE,
                    f"imports {', '.join(foreign)} (not shipped in this artifact): "
                    f"{line.strip()[:160]}"), Context.STARTUP, path))
    if executable > LARGE_PTH:
        out.findings.append(finding(
            Hit("python.startup.pth-large", 1, MODULE_SCOPE,
                f"{executable} bytes of executable lines"), Context.STARTUP, path))
    return out
