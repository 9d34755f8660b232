"""The service's version is set once (chalicelib.__version__) and reported everywhere it shows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from chalicelib import __version__
from tests.fixtures.clients import body_of

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_a_release_number() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_health_and_the_openapi_document_report_it(client: Any) -> None:
    health = body_of(client.get("/health"))
    document = body_of(client.get("/openapi.json"))

    assert health["versions"]["rewards"] == __version__
    assert document["info"]["version"] == __version__


def test_pyproject_reads_it_from_the_one_place() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())

    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "chalicelib.__version__"}


def test_the_changelog_keeps_a_changelog_with_a_section_for_it() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", changelog, re.M)

    assert releases[0] == ("Unreleased", "")
    assert (__version__, releases[1][1]) == releases[1], "the newest release is this version"
    assert releases[1][1], "a release has its date"
