"""Each process of the local stack dies with the one that started it.

`make run` is make, then the launcher (`local.run`), then the embedded AWS and the API server.
A SIGKILL (of make or of the launcher) gives the killed process no chance to stop its children,
and an orphaned moto server or API server keeps its port: the next `make run` then refuses to
start. So every process asks, as it starts, for a SIGTERM when its parent dies (Linux's
parent-death signal), where it stops as it would on Ctrl-C; where that signal does not exist, a
thread watches the parent's pid instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_SECONDS = 0.5
# The launcher names itself to its children: a child checks it still has that parent, since a
# parent that died before the child asked for the signal would never send it.
PARENT_ENV = "REWARDS_LAUNCHER_PID"


def _set_parent_death_signal(signum: int) -> bool:
    """Ask the kernel for `signum` when the parent dies; False where there is no such thing."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int, signum: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os.kill(os.getpid(), signum)


def die_with_parent(parent: int | None = None, signum: int = signal.SIGTERM) -> None:
    """Receive `signum` when the process `parent` (default: the current parent) ends.

    The parent-death signal where the kernel has it, else a daemon thread polling the parent's
    pid. Either way, a parent already gone is noticed at once.
    """
    parent = parent if parent is not None else os.getppid()
    if not _set_parent_death_signal(signum):
        threading.Thread(target=_watch, args=(parent, signum), name="lifeline", daemon=True).start()
    if os.getppid() != parent:
        log.warning("the process that started this one is gone; stopping")
        os.kill(os.getpid(), signum)


def die_with_launcher() -> None:
    """`die_with_parent` for a child of the launcher, which names itself in PARENT_ENV."""
    named = os.environ.get(PARENT_ENV)
    die_with_parent(int(named) if named else None)
