"""The plugin's lower bounds are the versions the matrix's first cell installs, and the README says so."""

from __future__ import annotations

import re
import sys
import tomllib

from django import get_version as django_version
from packaging.requirements import Requirement
from packaging.version import Version
from wagtail import __version__ as wagtail_version

from tests.packaging.conftest import REPO

LOWEST = REPO / ".ci" / "lowest-versions.txt"
MATRIX = REPO / ".ci" / "plugin-matrix"


def lower_bounds() -> dict[str, str]:
    """``{distribution: version}`` of every ``>=`` bound in the plugin's dependencies."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    bounds = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        for spec in requirement.specifier:
            if spec.operator == ">=":
                bounds[requirement.name.lower()] = spec.version
    return bounds


def pinned_lowest() -> dict[str, str]:
    pins = {}
    for line in LOWEST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_every_lower_bound_of_the_plugin_is_the_version_the_lowest_cell_installs() -> None:
    bounds, pins = lower_bounds(), pinned_lowest()
    assert set(bounds) == set(pins)
    mismatched = {
        name: (bounds[name], pins[name]) for name in bounds if Version(bounds[name]) != Version(pins[name])
    }
    assert not mismatched, f"pyproject lower bound vs .ci/lowest-versions.txt: {mismatched}"


def test_the_plugin_caps_neither_python_nor_its_dependencies() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "<" not in project["requires-python"]
    capped = [line for line in project["dependencies"] if "<" in line and "protocol" not in line]
    assert not capped


def test_the_readme_lists_the_cells_the_matrix_runs() -> None:
    cells = re.findall(r'^\s+"(3\.1\d) (\S+) (\S+)"$', MATRIX.read_text(), re.M)
    assert {python for python, _, _ in cells} == {"3.11", "3.12", "3.13"}
    readme = (REPO / "README.md").read_text()
    table = readme.split("### Tested versions", 1)[1].split("\n## ", 1)[0]
    for python, wagtail, django in cells:
        if wagtail == "lowest":
            wagtail, django = pinned_lowest()["wagtail"], pinned_lowest()["django"]
        row = f"| {python} | {wagtail.rstrip('.*')} | {django.rstrip('.*')} |"
        assert row in table, f"README's tested versions lack {row}"


def test_the_readme_names_the_versions_the_full_suite_runs_on() -> None:
    """The matrix leaves out the cell `make test` covers, so the README's row for it must stay true."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    wagtail_line = ".".join(wagtail_version.split(".")[:2])
    django_line = ".".join(django_version().split(".")[:2])
    readme = (REPO / "README.md").read_text()
    assert f"| {python} | {wagtail_line} | {django_line} | the full suite (`make test`) |" in readme
