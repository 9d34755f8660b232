"""A process that called `die_with_parent` ends when its parent is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local.lifeline import PARENT_ENV

REPO_ROOT = Path(__file__).resolve().parents[2]
GONE_SECONDS = 10

CHILD = """
import time
import local.lifeline as lifeline
if {fallback}:
    lifeline._set_parent_death_signal = lambda signum: False  # as where prctl does not exist
lifeline.die_with_launcher()
print("ready", flush=True)
time.sleep(60)
"""

PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", {child!r}], stdout=subprocess.PIPE)
assert child.stdout.readline().strip() == b"ready"
print(child.pid, flush=True)
time.sleep(60)
"""


def alive(pid: int) -> bool:
    """Running (a zombie nobody has reaped yet counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("fallback", [False, True], ids=["parent-death signal", "pid watcher"])
def test_a_child_dies_with_its_sigkilled_parent(fallback: bool) -> None:
    child = CHILD.format(fallback=fallback)
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT.format(child=child)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, PARENT_ENV: ""},
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert alive(child_pid)

    parent.send_signal(signal.SIGKILL)
    parent.wait()

    deadline = time.monotonic() + GONE_SECONDS
    while alive(child_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(child_pid):
        os.kill(child_pid, signal.SIGKILL)
        pytest.fail("the child outlived its parent")
