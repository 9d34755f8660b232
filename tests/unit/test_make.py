"""The Makefile's two install levels: `make run` installs the local stack only, the test and lint
targets add the dev tools, and a venv that has them serves `make run` as it is."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_TOOLS = {
    "pytest",
    "pytest-xdist",
    "ruff",
    "import-linter",
    "cfn-lint",
    "schemathesis",
    "openapi-spec-validator",
}


def requirement_names(path: Path) -> set[str]:
    """Distribution names a requirements file installs, following `-r`."""
    names: set[str] = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names |= requirement_names(path.parent / line[3:].strip())
        elif line:
            names.add(line.split("==", 1)[0].split("[", 1)[0].strip().lower())
    return names


def test_the_local_stack_installs_no_test_or_lint_tool() -> None:
    local = requirement_names(REPO_ROOT / "requirements-local.txt")
    dev = requirement_names(REPO_ROOT / "requirements-dev.txt")

    assert local & DEV_TOOLS == set()
    assert requirement_names(REPO_ROOT / "requirements.txt") < local
    assert {"chalice", "boto3", "moto", "flask"} <= local
    assert local | DEV_TOOLS <= dev
    # moto's server extra brings cfn-lint, docker, X-Ray...: for the tests only.
    assert "moto[server" not in (REPO_ROOT / "requirements-local.txt").read_text()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The Makefile and requirement files beside a venv whose python exists."""
    for name in ("Makefile", "requirements.txt", "requirements-local.txt", "requirements-dev.txt"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    return tmp_path


def planned(project: Path, target: str) -> str:
    """What `make TARGET` would run (make -n), with no base pip to ask; run from `make test`
    too, where make's own variables would make it a sub-make that prints its directory."""
    env = {k: v for k, v in os.environ.items() if k not in {"MAKELEVEL", "MAKEFLAGS", "MFLAGS"}}
    done = subprocess.run(
        ["make", "-n", target, "BASE_PIP="],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def stamp(project: Path, level: str) -> None:
    """Mark a level installed, as its recipe does (the names say the checksum)."""
    touched = planned(project, "run" if level == "local" else "test").splitlines()
    line = next(line for line in touched if line.startswith("touch "))
    for path in line.split()[1:]:
        (project / path).touch()


def test_make_run_in_a_new_venv_installs_the_local_stack_only(project: Path) -> None:
    plan = planned(project, "run")
    assert "-r requirements-local.txt" in plan
    assert "requirements-dev.txt" not in plan
    assert "--no-compile" in plan and "--disable-pip-version-check" in plan


def test_a_venv_made_by_make_run_gets_the_dev_tools_with_make_test(project: Path) -> None:
    stamp(project, "local")
    assert planned(project, "run").strip().splitlines() == [".venv/bin/python -m local.run"]

    plan = planned(project, "test")
    assert "-r requirements-dev.txt" in plan
    assert '"pip<26.3"' in plan  # chalice packages with the venv's pip


def test_make_run_in_a_dev_venv_installs_nothing(project: Path) -> None:
    stamp(project, "dev")
    assert planned(project, "run").strip().splitlines() == [".venv/bin/python -m local.run"]
    assert "install" not in planned(project, "lint")


def test_a_changed_requirement_installs_its_level_again(project: Path) -> None:
    stamp(project, "dev")
    with (project / "requirements-local.txt").open("a") as requirements:
        requirements.write("# changed\n")
    assert "-r requirements-local.txt" in planned(project, "run")
    assert "-r requirements-dev.txt" in planned(project, "test")


def test_make_lint_checks_the_import_contracts_of_pyproject(project: Path) -> None:
    stamp(project, "dev")
    plan = planned(project, "lint").strip().splitlines()

    assert plan[-1].startswith(".venv/bin/lint-imports")
    contracts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert {contract["type"] for contract in contracts["contracts"]} >= {"layers", "independence"}
