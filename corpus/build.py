"""Build every corpus sample into a real wheel or sdist, WITHOUT running any build backend.

    python corpus/build.py OUTDIR

Each sample folder (``corpus/<label>/<technique>/``) holds the package files plus
``expected.toml``. Samples carry (defanged) install hooks, so setuptools/build must never touch
them: :mod:`scanner.testing` only writes the files into archives.

For ``kind = "wheel"`` the folder's files go to the wheel root, except ``expected.toml``,
``pyproject.toml`` (the folder's marker for ``distscan scan corpus/``; its [project.scripts]
become the wheel's ``entry_points.txt``) and ``entry_points.txt`` (copied to ``.dist-info/``
as is); files named in ``unrecorded`` are
added after RECORD was written. For ``kind = "sdist"`` every file but ``expected.toml`` goes
under the sdist's top folder, with a generated PKG-INFO unless the sample ships one.

OUTDIR receives ``<label>/<artifact file>`` and ``labels.json`` (one entry per artifact with
its expected verdict, rule ids and family).
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
if str(CORPUS.parent) not in sys.path:  # running as a script from a checkout
    sys.path.insert(0, str(CORPUS.parent))

from scanner import testing  # noqa: E402

VERDICTS = ("clean", "suspicious", "malicious")
KINDS = ("wheel", "sdist")
WHEEL_SKIP = ("expected.toml", "pyproject.toml", "entry_points.txt")


class SampleError(ValueError):
    """A sample folder is malformed."""


@dataclass(frozen=True)
class Expected:
    verdict: str
    kind: str
    name: str
    version: str
    family: str
    must_have: tuple[str, ...] = ()
    must_not_have: tuple[str, ...] = ()
    unrecorded: tuple[str, ...] = ()
    tag: str = "py3-none-any"


@dataclass(frozen=True)
class Sample:
    folder: Path
    label: str  # malicious | benign
    expected: Expected

    @property
    def id(self) -> str:
        return f"{self.label}/{self.folder.name}"


def read_expected(folder: Path) -> Expected:
    try:
        data = tomllib.loads((folder / "expected.toml").read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SampleError(f"{folder}: cannot read expected.toml: {exc}") from None
    if data.get("verdict") not in VERDICTS:
        raise SampleError(f"{folder}: verdict must be one of {VERDICTS}")
    if data.get("kind") not in KINDS:
        raise SampleError(f"{folder}: kind must be one of {KINDS}")
    for key in ("name", "version"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise SampleError(f"{folder}: {key} is required")
    return Expected(
        verdict=data["verdict"], kind=data["kind"], name=data["name"], version=data["version"],
        family=data.get("family", folder.name),
        must_have=tuple(data.get("must_have", ())),
        must_not_have=tuple(data.get("must_not_have", ())),
        unrecorded=tuple(data.get("unrecorded", ())),
        tag=data.get("tag", "py3-none-any"),
    )


def samples(root: Path = CORPUS) -> Iterator[Sample]:
    """Every sample folder, malicious first, in name order."""
    for label in ("malicious", "benign"):
        for folder in sorted((root / label).iterdir() if (root / label).is_dir() else ()):
            if folder.is_dir():
                yield Sample(folder, label, read_expected(folder))


def build_sample(sample: Sample) -> tuple[str, bytes]:
    """(artifact file name, artifact bytes) for one sample."""
    exp = sample.expected
    files = testing.tree_files(sample.folder)
    if exp.kind == "wheel":
        entry_points = files.get("entry_points.txt", b"").decode() or _scripts_from_pyproject(
            files.get("pyproject.toml"))
        content = {p: d for p, d in files.items() if p not in WHEEL_SKIP}
        late = {p: content.pop(p) for p in exp.unrecorded if p in content}
        data = testing.wheel_bytes(
            exp.name, exp.version, content, tag=exp.tag, entry_points=entry_points or None,
            extra_record=late or None)
        return testing.wheel_filename(exp.name, exp.version, exp.tag), data
    content = {p: d for p, d in files.items() if p != "expected.toml"}
    data = testing.sdist_bytes(exp.name, exp.version, content,
                               pkg_info="PKG-INFO" not in content)
    return testing.sdist_filename(exp.name, exp.version), data


def _scripts_from_pyproject(raw: bytes | None) -> str:
    """entry_points.txt text for the [project.scripts] / [project.gui-scripts] tables."""
    project = tomllib.loads(raw.decode("utf-8")).get("project", {}) if raw else {}
    sections = []
    for table, group in (("scripts", "console_scripts"), ("gui-scripts", "gui_scripts")):
        scripts = project.get(table, {})
        if scripts:
            sections.append(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items()))
    return "\n".join(sections)


def build_all(outdir: Path, root: Path = CORPUS) -> list[dict]:
    labels = []
    for sample in samples(root):
        filename, data = build_sample(sample)
        target = outdir / sample.label / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        labels.append({"sample": sample.id, "artifact": str(target.relative_to(outdir)),
                       "label": sample.label} | asdict(sample.expected))
    (outdir / "labels.json").write_text(json.dumps(labels, indent=2) + "\n", "utf-8")
    return labels


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python corpus/build.py OUTDIR", file=sys.stderr)
        return 2
    labels = build_all(Path(argv[0]))
    print(f"built {len(labels)} artifacts into {argv[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
