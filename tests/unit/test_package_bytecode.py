"""`infra.package_bytecode`: the package carries the bytecode Lambda cannot write itself."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from infra import package_bytecode


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return package


def test_every_module_gets_bytecode_and_the_working_trees_is_dropped(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "app.py": "X = 1\n",
            "lib/mod.py": "Y = 2\n",
            "lib/__pycache__/mod.cpython-311.pyc": "stale",
            "lib/data.json": "{}",
            "lib/py2.py": "print 'old'\n",  # not Python 3: left as it is
        },
    )

    assert package_bytecode.add_bytecode(package) == (2, 1)

    tag = sys.implementation.cache_tag
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == sorted(
            [
                "app.py",
                f"__pycache__/app.{tag}.pyc",
                "lib/mod.py",
                f"lib/__pycache__/mod.{tag}.pyc",
                "lib/data.json",
                "lib/py2.py",
            ]
        )


def test_the_bytecode_is_used_without_looking_at_the_source(tmp_path: Path) -> None:
    package = _package(tmp_path, {"mod.py": "X = 'packaged'\n"})
    package_bytecode.add_bytecode(package)
    unpacked = tmp_path / "task"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(unpacked)
    # Unpacked, sources get new timestamps: a timestamp-checked pyc would be recompiled.
    (unpacked / "mod.py").write_text("X = 'edited'\n")

    done = subprocess.run(
        [sys.executable, "-S", "-B", "-c", "import mod; print(mod.X)"],
        cwd=unpacked,
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.strip() == "packaged"
