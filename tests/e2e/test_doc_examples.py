"""Every request example of README.md and docs/ runs, as typed, against a fresh local stack.

One test per page: the stack `make run` starts (`python -m local.run`, free ports, its own data
dir, its own demo key as a newcomer's first run makes it), then the page's `sh` blocks in order,
each curl's answer checked against the page's answer block (doctools/examples.py says how).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from doctools import examples
from tests.fixtures.stacks import REPO_ROOT, Stack, start_stack

pytestmark = pytest.mark.e2e

PAGES = [
    page for page in examples.pages(REPO_ROOT) if examples.examples(page.name, page.read_text())
]


@pytest.fixture
def fresh_stack(tmp_path: Path) -> Iterator[tuple[Stack, Path]]:
    """A stack as a fresh `make run` has it, and the directory whose `.local/` it keeps."""
    stack = start_stack(tmp_path / ".local", api_key=None)
    try:
        yield stack, tmp_path
    finally:
        try:
            stack.stop()
        except subprocess.TimeoutExpired:
            os.killpg(stack.process.pid, signal.SIGKILL)


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(REPO_ROOT)) for page in PAGES])
def test_every_example_of_the_page_answers_as_shown(
    page: Path, fresh_stack: tuple[Stack, Path]
) -> None:
    stack, workdir = fresh_stack
    name = str(page.relative_to(REPO_ROOT))
    session = examples.Session(stack.url, workdir)
    timings = []
    for example in examples.examples(name, page.read_text()):
        started = time.perf_counter()
        reply = examples.run(example, session)
        if reply is not None:
            examples.check(example, reply, session)
        timings.append(time.perf_counter() - started)
    assert timings, f"{name} has no example"
