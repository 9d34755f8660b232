"""Reports the size of a deployment package and fails if a dev-only dependency got into it, or
if the app does not load from the package alone.

`python -m infra.package_check build/deployment.zip` (run by `make package`). The forbidden
modules are computed, not listed: every distribution requirements-dev.txt pulls in (with its
own requirements) that requirements.txt does not, e.g. moto, pytest, ruff, boto3 (the Lambda
runtime has its own). Chalice is one of them, but its packager always adds `chalice/app.py`,
the runtime the handlers are written against: those two files (and their bytecode) are allowed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from infra.package_bytecode import pyc_path
from infra.package_slim import SERVICES

ROOT = Path(__file__).resolve().parents[1]
CHALICE_SOURCES = ("chalice/__init__.py", "chalice/app.py")
CHALICE_RUNTIME = {*CHALICE_SOURCES, *(pyc_path(name) for name in CHALICE_SOURCES)}


def _requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def _closure(requirements: list[Requirement]) -> set[str]:
    """Canonical names of the installed distributions `requirements` need, transitively."""
    found: set[str] = set()
    pending = [(req, frozenset(req.extras)) for req in requirements]
    while pending:
        req, extras = pending.pop()
        name = canonicalize_name(req.name)
        if name in found:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue  # not installed here: nothing could vendor it
        found.add(name)
        for text in dist.requires or []:
            child = Requirement(text)
            wanted = {""} | set(extras)
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in wanted):
                pending.append((child, frozenset(child.extras)))
    return found


def forbidden_modules() -> dict[str, str]:
    """Top-level module name -> the dev-only distribution it comes from."""
    runtime = _closure(_requirements(ROOT / "requirements.txt"))
    dev_only = _closure(_requirements(ROOT / "requirements-dev.txt")) - runtime
    modules: dict[str, str] = {}
    for module, dists in metadata.packages_distributions().items():
        names = {canonicalize_name(dist) for dist in dists}
        if names and names <= dev_only:
            modules[module] = sorted(names)[0]
    for name in dev_only:  # a package's `*.dist-info` folder names it too
        modules[f"dist-info:{name}"] = name
    return modules


def _top_level(entry: str) -> str:
    first = entry.split("/", 1)[0]
    if first.endswith(".dist-info"):
        return "dist-info:" + canonicalize_name(re.sub(r"-[^-]+\.dist-info$", "", first))
    return first.split(".", 1)[0]  # `six.py`, `_cffi_backend.cpython-311-x86_64-linux-gnu.so`


def offending_entries(package: Path) -> dict[str, str]:
    """Entries of the zip that belong to a dev-only distribution -> that distribution."""
    forbidden = forbidden_modules()
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
    return {
        name: forbidden[_top_level(name)]
        for name in names
        if _top_level(name) in forbidden and name not in CHALICE_RUNTIME
    }


# Run with the package as the only import path besides the standard library (`-S`), as in
# Lambda, whose runtime adds only boto3 (not loaded here: nothing at import needs it). Every
# face is imported too: the app loads each on its first request (chalicelib/api/faces.py).
LOAD_CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
import app
from chalicelib.api import faces
faces.route_table()
import botocore.session
session = botocore.session.get_session()
for service in sys.argv[2:]:
    session.create_client(service, region_name="us-east-1")
print(len(app.app.routes), "routes")
"""


def load_error(package: Path) -> str | None:
    """Why the app, its faces and the clients of every service it calls fail to load from the
    package."""
    with tempfile.TemporaryDirectory() as unpacked:
        with zipfile.ZipFile(package) as archive:
            archive.extractall(unpacked)
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_ACCESS_KEY_ID": "check",
            "AWS_SECRET_ACCESS_KEY": "check",
        }
        done = subprocess.run(
            [sys.executable, "-S", "-c", LOAD_CHECK, unpacked, *sorted(SERVICES)],
            cwd=unpacked,  # `-c` puts the working directory on the path: the package, not the repo
            env=environment,
            capture_output=True,
            text=True,
        )
    return None if done.returncode == 0 else done.stderr.strip().splitlines()[-1]


def main(argv: list[str]) -> int:
    package = Path(argv[0] if argv else ROOT / "build" / "deployment.zip")
    with zipfile.ZipFile(package) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    print(
        f"{package}: {package.stat().st_size / 1e6:.1f} MB zipped, "
        f"{unpacked / 1e6:.1f} MB unzipped (Lambda allows 50 / 250 MB)"
    )
    offending = offending_entries(package)
    for dist in sorted(set(offending.values())):
        entries = sorted(name for name, owner in offending.items() if owner == dist)
        print(f"dev-only dependency {dist} in the package: {entries[0]} ...", file=sys.stderr)
    failed = load_error(package)
    if failed:
        print(f"the app does not load from the package: {failed}", file=sys.stderr)
    return 1 if offending or failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
