"""`infra.package_zip.rewritten`: the package is replaced whole, or left as it was."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from infra.package_zip import copy_entry, rewritten


def _package(tmp_path: Path) -> Path:
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "app = 1\n")
    return package


def test_a_failed_rewrite_leaves_the_package_and_no_temporary_file(tmp_path: Path) -> None:
    package = _package(tmp_path)
    before = package.read_bytes()

    with pytest.raises(RuntimeError), rewritten(package) as (_, target):
        target.writestr("half.py", "")
        raise RuntimeError("a step failed")

    assert package.read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == ["deployment.zip"]


def test_a_rewrite_replaces_the_package_with_what_was_written(tmp_path: Path) -> None:
    package = _package(tmp_path)

    with rewritten(package) as (source, target):
        for info in source.infolist():
            copy_entry(source, target, info)
        target.writestr("added.py", "")

    with zipfile.ZipFile(package) as archive:
        assert archive.namelist() == ["app.py", "added.py"]
        assert archive.read("app.py") == b"app = 1\n"
