"""The local stack as a user starts it (`make run`, `python -m local.run`), timed from the command
to the first 200 from /health, then stopped as Ctrl-C stops it. For the start-up sections."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local.ports import free_port

STOP_SECONDS = 60  # the AWS compacts its recording on the way out


@dataclass
class Served:
    """A running stack: its process group and ports."""

    process: subprocess.Popen[bytes]
    api_port: int
    aws_port: int
    log: Path

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def stop(self) -> None:
        """Ctrl-C, as a user stops it; SIGKILL if it hangs."""
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass  # already gone


def user_environment(**extra: str) -> dict[str, str]:
    """A user's shell: no AWS or REWARDS settings, no virtualenv of ours, no outer make."""
    venv_bin = str(Path(sys.executable).parent)
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "REWARDS_", "PIP_", "MAKE", "MFLAGS", "VIRTUAL_ENV"))
    }
    path = environment.get("PATH", "").split(os.pathsep)
    environment["PATH"] = os.pathsep.join(part for part in path if part != venv_bin)
    return {**environment, **extra}


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:  # not listening yet, or 503 while the tables are being made
        return False


def start(
    command: list[str], cwd: Path, environment: dict[str, str], timeout: float, logs: Path
) -> tuple[Served, float]:
    """Run `command` (a local stack) in `cwd` on free ports, its output in the folder `logs`;
    the running stack and the seconds to its first 200."""
    api_port, aws_port = free_port(), free_port()
    environment = {**environment, "AWS_PORT": str(aws_port), "REWARDS_PORT": str(api_port)}
    log = logs / f"stack-{api_port}.log"
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(process, api_port, aws_port, log)
    while not healthy(api_port):
        if process.poll() is not None or time.perf_counter() - started > timeout:
            served.stop()
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{' '.join(command)} did not serve /health:\n{tail}")
        time.sleep(0.1)
    return served, time.perf_counter() - started
