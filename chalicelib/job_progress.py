"""`jobs follow`: a bulk job's progress in a terminal, until it ends.

Reads the job as `GET /jobs/{id}` shows it (`domain.bulk_jobs.view`), every `interval`
seconds, and redraws one line: a bar, the percent, the rows handled and the state. On a
terminal the line is redrawn in place; elsewhere (a log, a pipe) a line is printed only when it
changed. The exit status tells how the job ended: 0 done, 1 failed or cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

BAR_WIDTH = 30


def progress_line(job: dict[str, Any]) -> str:
    """`[#########.....]  30%  300/1000 rows (290 applied, 10 failed)  running`"""
    filled = BAR_WIDTH * job["percent"] // 100
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    handled = job["applied"] + job["failed"]
    return (
        f"[{bar}] {job['percent']:3d}%  {handled}/{job['rows']} rows "
        f"({job['applied']} applied, {job['failed']} failed)  {job['state']}"
    )


def follow(
    read: Callable[[], dict[str, Any]],
    out: TextIO,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Show the job `read` returns until it ends; 0 when it is done, else 1."""
    from chalicelib.storage.jobs import ENDED  # the job states that end it

    in_place = out.isatty()
    shown = None
    while True:
        job = read()
        line = progress_line(job)
        if line != shown:
            out.write(f"\r{line}" if in_place else f"{line}\n")
            out.flush()
            shown = line
        if job["state"] in ENDED:
            if in_place:
                out.write("\n")
            return 0 if job["state"] == "done" else 1
        sleep(interval)
