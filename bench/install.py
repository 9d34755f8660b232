"""Section 7: cold install, a fresh clone to the first 200 from /health with `make run`.

A scratch copy of HEAD (`git archive`, what a clone has: no venv, no .local, no bytecode) runs
`make run` with pip's cache off, on free ports, as a user's shell would (python3 from PATH);
the time from the command to the first 200 from /health includes making the venv, installing
requirements-local.txt and starting everything. Downloads make it depend on the network too.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from bench import served
from bench.stack import REPO_ROOT
from bench.stats import Figure

TARGET = "<= 20"
TIMEOUT_SECONDS = 600


def scratch_copy(destination: Path) -> None:
    """The committed files of HEAD in `destination`, as a fresh clone has them."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)


def measure() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="rewards-cold-install-") as scratch:
        root = Path(scratch) / "rewards"
        root.mkdir()
        scratch_copy(root)
        environment = served.user_environment(
            PIP_NO_CACHE_DIR="1", PIP_CACHE_DIR=str(Path(scratch) / "pip-cache")
        )
        load = os.getloadavg()[0]
        command = ["make", "run"]
        stack, seconds = served.start(command, root, environment, TIMEOUT_SECONDS, Path(scratch))
        stack.stop()
    detail = (
        f"make run in a git archive of HEAD, no pip cache: {seconds:.1f} s to /health 200 "
        f"(load average {load:.1f} on {os.cpu_count()} CPUs)"
    )
    name = "fresh clone to first /health 200 (s)"
    return [Figure("7 cold install", name, seconds, TARGET, detail)]
