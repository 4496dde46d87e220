"""Metadata signals: shadowed commands, squatted names, absurd versions — weak alone."""

from __future__ import annotations

import pytest

from scanner.analyzers.metadata_signals import edit_distance, squat_target, top_projects
from scanner.model import VerdictLevel
from scanner.pipeline import scan
from scanner.testing import sdist_bytes, sdist_filename, wheel_bytes, wheel_filename


def _rules(result):
    return {f.rule for f in result.findings}


def _wheel_scan(name, version="1.0", entry_points=None):
    data = wheel_bytes(name, version, {f"{name.replace('-', '_')}/__init__.py": ""},
                       entry_points=entry_points)
    return scan(data, filename=wheel_filename(name, version))


def test_name_list_ships_as_package_data():
    names, ordered = top_projects()
    assert len(names) == 1000 and ordered[0] == "boto3" and "urllib3" in names


@pytest.mark.parametrize("name, target", [
    ("urlib3", "urllib3"), ("boto-3", "boto3"), ("colorama-py", "colorama"),
    ("setuptoools", "setuptools"), ("cryptograhpy", "cryptography")])
def test_squats_are_found(name, target):
    assert squat_target(name)[0] == target


@pytest.mark.parametrize("name", ["urllib3", "boto3", "pytest-cov", "my-own-thing", "abc"])
def test_popular_and_unrelated_names_are_not_squats(name):
    assert squat_target(name) is None


def test_edit_distance_counts_transpositions_once():
    assert edit_distance("requests", "reqeusts") == 1
    assert edit_distance("abc", "xyz", limit=1) == 2


def test_shadowing_console_script_is_reported_but_clean_alone():
    result = _wheel_scan("shady", entry_points="[console_scripts]\naws = shady:main\n"
                         "shady = shady:main\n")
    hits = [f for f in result.findings if f.rule == "metadata.console-script.shadows-system-tool"]
    assert len(hits) == 1 and "aws" in hits[0].evidence
    assert result.verdict.level is VerdictLevel.CLEAN


def test_owner_of_a_popular_command_is_not_flagged():
    result = _wheel_scan("pytest", entry_points="[console_scripts]\npytest = pytest:main\n")
    assert not any(r.startswith("metadata.console-script") for r in _rules(result))
    result = _wheel_scan("fastest", entry_points="[console_scripts]\npytest = fastest:main\n")
    assert "metadata.console-script.shadows-popular-command" in _rules(result)


def test_absurd_version_alone_is_clean():
    data = sdist_bytes("acme-auth", "99.0.1", {"setup.py": "from setuptools import setup\n"})
    result = scan(data, filename=sdist_filename("acme-auth", "99.0.1"))
    assert "metadata.version.absurd" in _rules(result)
    assert result.verdict.level is VerdictLevel.CLEAN
    normal = _wheel_scan("acme-auth", "2.0")
    assert "metadata.version.absurd" not in _rules(normal)


def test_typosquat_name_is_reported_on_real_artifact():
    result = _wheel_scan("urlib3")
    hit = [f for f in result.findings if f.rule == "metadata.name.typosquat"]
    assert hit and "urllib3" in hit[0].message
    assert result.verdict.level is VerdictLevel.CLEAN


@pytest.mark.parametrize("major, absurd", [(99, True), (999, True), (9999, True), (98, False),
                                           (2026, False), (20240101, False)])
def test_calendar_versions_are_not_absurd(major, absurd):
    from scanner.analyzers.metadata_signals import is_absurd

    assert is_absurd(major) is absurd
