"""However the launcher or make ends, SIGKILL included, nothing of the stack keeps running."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import requests

from local.ports import port_open
from tests.fixtures.stacks import Stack, start_stack

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc"),
]

GONE_SECONDS = 10
# A shell that stays the launcher's parent (`; true`: no exec), as make is `make run`'s.
MAKE_LIKE = ["sh", "-c", '"$@"; true', "make-like"]


def running(pid: int) -> bool:
    """Running (a zombie nobody has reaped yet counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def descendants(pid: int) -> set[int]:
    """Every process under `pid`, from each process's parent pid in /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (FileNotFoundError, ProcessLookupError):
                continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def assert_all_gone(stack: Stack, pids: set[int]) -> None:
    deadline = time.monotonic() + GONE_SECONDS
    while time.monotonic() < deadline and (
        port_open(stack.api_port) or port_open(stack.aws_port) or any(map(running, pids))
    ):
        time.sleep(0.2)
    left = sorted(pid for pid in pids if running(pid))
    for pid in left:  # leave nothing behind for the next test, then say what lingered
        os.kill(pid, signal.SIGKILL)
    assert not left, f"still running: {left}\n{stack.output()}"
    assert not port_open(stack.api_port), "the API server still serving"
    assert not port_open(stack.aws_port), "the embedded AWS still serving"


def test_sigkill_of_the_launcher_stops_its_children(tmp_path: Path) -> None:
    stack = start_stack(tmp_path / "data")
    children = descendants(stack.process.pid)
    assert len(children) >= 2, children  # the embedded AWS and the API server

    stack.process.send_signal(signal.SIGKILL)
    stack.process.wait()

    assert_all_gone(stack, children)


def test_sigkill_of_make_stops_the_launcher_and_its_children(tmp_path: Path) -> None:
    stack = start_stack(tmp_path / "data", parent=MAKE_LIKE)
    everything = descendants(stack.process.pid)
    assert len(everything) >= 3, everything  # the launcher, the embedded AWS, the API server
    assert requests.get(f"{stack.url}/health", timeout=5).status_code == 200

    stack.process.send_signal(signal.SIGKILL)
    stack.process.wait()

    assert_all_gone(stack, everything)
    assert "Rewards stopped." in stack.output()  # the launcher stopped as on SIGTERM
