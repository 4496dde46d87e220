"""Every corpus sample, built into a real wheel or sdist, gets its expected verdict and rules."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from scanner.pipeline import scan
from scanner.targets import expand

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _load_build():
    spec = importlib.util.spec_from_file_location("corpus_build", CORPUS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("corpus_build", module)
    spec.loader.exec_module(module)
    return module


build = _load_build()
SAMPLES = list(build.samples(CORPUS))


def test_corpus_covers_threats_and_look_alikes():
    labels = [s.label for s in SAMPLES]
    assert labels.count("malicious") >= 18
    assert labels.count("benign") >= 10
    for sample in SAMPLES:
        assert sample.expected.verdict == "clean" or sample.label == "malicious", sample.id
        markers = {"setup.py", "pyproject.toml", "PKG-INFO"}
        assert markers & {p.name for p in sample.folder.iterdir()}, sample.id


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_sample_verdict(sample):
    filename, data = build.build_sample(sample)
    result = scan(data, filename=filename)
    rules = {f.rule for f in result.findings}
    detail = f"{sample.id}: {result.verdict.level} {result.verdict.score} rules={sorted(rules)}"
    assert result.artifact.kind == sample.expected.kind, detail
    assert str(result.verdict.level) == sample.expected.verdict, detail
    for rule in sample.expected.must_have:
        assert rule in rules, detail
    for rule in sample.expected.must_not_have:
        assert rule not in rules, detail
    if sample.expected.verdict != "clean":
        assert result.verdict.reasons, detail


def test_build_writes_labels(tmp_path):
    labels = build.build_all(tmp_path, CORPUS)
    assert len(labels) == len(SAMPLES)
    assert all((tmp_path / entry["artifact"]).is_file() for entry in labels)
    assert (tmp_path / "labels.json").is_file()


def test_scan_corpus_folder_finds_one_target_per_sample():
    targets = expand([str(CORPUS)])
    assert sorted(t.path.name for t in targets) == sorted(s.folder.name for s in SAMPLES)
