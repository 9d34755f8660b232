"""`make run`: the whole service on this machine, as `python -m local.run`.

Starts the embedded AWS (`local.aws_server`, a subprocess) and waits for it, creates the
resources of `infra/resources.json`, seeds the demo store, serves the API with `chalice local`
(a subprocess) and feeds SQS messages and schedules to the handlers (`local.worker`, a thread).
Ctrl-C or SIGTERM stops everything. Settings come from the environment only:

  AWS_PORT (5000), REWARDS_PORT (8000), REWARDS_DATA_DIR (.local),
  REWARDS_RESOURCE_PREFIX (rewards-local-), REWARDS_DEMO_API_KEY (else kept in the data dir),
  REWARDS_DEMO_ADMIN_EMAIL (admin@example.com), REWARDS_DEMO_ADMIN_PASSWORD (admin123),
  REWARDS_AWS_PERSIST=0 to start empty each time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from local import bootstrap
from local.ports import port_open

REPO_ROOT = Path(__file__).resolve().parents[1]
STORE_CODE = "DEFAULT"
REGION = "us-east-1"
AWS_START_SECONDS = 300  # a long recording takes a while to replay
API_START_SECONDS = 120
STOP_SECONDS = 10


class Stopped(Exception):
    """Ctrl-C or SIGTERM arrived while starting."""


@dataclass(frozen=True)
class StackSettings:
    aws_port: int
    api_port: int
    data_dir: Path
    prefix: str
    admin_email: str
    admin_password: str
    passcode: str

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def recording(self) -> Path:
        return Path(
            os.environ.get("REWARDS_AWS_RECORDING") or self.data_dir / "aws-recording.jsonl"
        )

    @classmethod
    def from_env(cls) -> StackSettings:
        env = os.environ
        return cls(
            aws_port=int(env.get("AWS_PORT") or 5000),
            api_port=int(env.get("REWARDS_PORT") or 8000),
            data_dir=Path(env.get("REWARDS_DATA_DIR") or REPO_ROOT / ".local").resolve(),
            prefix=env.get("REWARDS_RESOURCE_PREFIX") or "rewards-local-",
            admin_email=env.get("REWARDS_DEMO_ADMIN_EMAIL") or "admin@example.com",
            admin_password=env.get("REWARDS_DEMO_ADMIN_PASSWORD") or "admin123",
            passcode=env.get("REWARDS_DEMO_PASSCODE") or "demo-passcode",
        )

    def service_env(self) -> dict[str, str]:
        """What the API, the worker and the seeding see: the embedded AWS and this stage."""
        return {
            "AWS_ENDPOINT_URL": self.aws_url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "REWARDS_STAGE": "local",
            "REWARDS_RESOURCE_PREFIX": self.prefix,
            "REWARDS_PUBLIC_BASE_URL": self.api_url,
            "REWARDS_AWS_RECORDING": str(self.recording),
            "AWS_PORT": str(self.aws_port),
            "PYTHONUNBUFFERED": "1",
        }


def demo_api_key(data_dir: Path) -> str:
    """REWARDS_DEMO_API_KEY, else the key kept in the data dir (made once), so restarts reuse it."""
    key = os.environ.get("REWARDS_DEMO_API_KEY")
    if key:
        return key
    path = data_dir / "demo-api-key"
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    key = secrets.token_urlsafe(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


# What the CLI needs to reach this stack (chalicelib.cli.reach_local_stack).
STACK_FILE_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "REWARDS_STAGE",
    "REWARDS_RESOURCE_PREFIX",
    "REWARDS_PUBLIC_BASE_URL",
)


def write_stack_file(settings: StackSettings) -> Path:
    """Say in the data dir where this stack serves, for the CLI; removed when it stops."""
    from chalicelib.cli import LOCAL_STACK_FILE  # imported late, as in `seed`

    environment = settings.service_env()
    stack = {
        "pid": os.getpid(),
        "api_url": settings.api_url,
        "aws_url": settings.aws_url,
        "environment": {name: environment[name] for name in STACK_FILE_VARIABLES},
    }
    path = settings.data_dir / LOCAL_STACK_FILE
    temp = path.with_name(path.name + ".new")
    temp.write_text(json.dumps(stack, indent=2) + "\n")
    temp.replace(path)  # a reader never sees half of it
    return path


def spawn(args: list[str]) -> subprocess.Popen[bytes]:
    # Own process group: stopping it also stops anything the child started.
    return subprocess.Popen(args, cwd=REPO_ROOT, env=dict(os.environ), process_group=0)


def stop_child(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group, SIGKILL it if it lingers."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(child.pid, signum)
        try:
            child.wait(STOP_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until(
    ready: Callable[[], bool],
    what: str,
    child: subprocess.Popen[bytes],
    stop: threading.Event,
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if stop.is_set():
            raise Stopped
        if child.poll() is not None:
            raise RuntimeError(f"{what} exited with status {child.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within {timeout:.0f} s")
        time.sleep(0.2)


def chalice_command(settings: StackSettings) -> list[str]:
    found = Path(sys.executable).with_name("chalice")
    chalice = str(found) if found.exists() else shutil.which("chalice")
    if chalice is None:
        raise RuntimeError("chalice is not installed in this environment")
    # No autoreload: its watcher polls every file under the project (the venv, and the AWS
    # recording, which changes on each write and would restart the server every time).
    options = ["--host", "127.0.0.1", "--port", str(settings.api_port), "--stage", "local"]
    return [chalice, "local", *options, "--no-autoreload"]


def seed(settings: StackSettings, api_key: str) -> None:
    from chalicelib.cli import seed_demo  # imported late: settings come from os.environ

    seed_demo(
        store_code=STORE_CODE,
        api_key=api_key,
        admin_email=settings.admin_email,
        admin_password=settings.admin_password,
        passcode=settings.passcode,
    )


def banner(settings: StackSettings, api_key: str) -> str:
    persist = os.environ.get("REWARDS_AWS_PERSIST", "1") not in {"0", "false", "no", "off"}
    kept = f"{settings.recording} (delete it to start afresh)" if persist else "off"
    auth = f'-H "Authorization: Bearer {api_key}"'
    wallace = (
        '{"email": "wallace@example.com", "public_key": "dQw4w9WgXcQ", "firstname": "Wallace", '
        '"surname": "Wensleydale", "address1": "62 West Wallaby Street", "town": "Wigan", '
        '"postcode": "WG7 7FU", "country_code": "gb"}'
    )
    from chalicelib.cli import DEMO_CAMPAIGN_ID  # imported late, as in `seed`

    reward = '{"email": "wallace@example.com", "first_name": "Wallace", "last_name": "W"}'
    return "\n".join(
        [
            "",
            "Rewards is running locally.",
            f"  API             {settings.api_url}",
            f"  AWS endpoint    {settings.aws_url}  (moto, one call at a time)",
            f"  AWS recording   {kept}",
            f"  Resources       prefix {settings.prefix}",
            f"  Demo store      {STORE_CODE}",
            f"  API key         {api_key}",
            f"  Admin login     {settings.admin_email} / {settings.admin_password}",
            f"  Demo campaign   {DEMO_CAMPAIGN_ID}  (passcode {settings.passcode})",
            "  Try:",
            f"    curl {settings.api_url}/health",
            f"    curl {auth} {settings.api_url}/recipients",
            f"    curl -X POST {auth} -H 'Content-Type: application/json' \\",
            f"         -d '{wallace}' {settings.api_url}/recipients",
            f"    curl -X POST -H 'X-Passcode: {settings.passcode}' \\",
            "         -H 'Content-Type: application/json' \\",
            f"         -d '{reward}' {settings.api_url}/api/reward/{DEMO_CAMPAIGN_ID}",
            "Press Ctrl-C to stop.",
            "",
        ]
    )


def run(settings: StackSettings, stop: threading.Event) -> int:
    """Start everything, serve until `stop` is set or a part dies, then stop everything."""
    children: dict[str, subprocess.Popen[bytes]] = {}
    worker_thread: threading.Thread | None = None
    stack_file: Path | None = None
    try:
        for port in (settings.aws_port, settings.api_port):
            if port_open(port):
                raise RuntimeError(f"port {port} is in use (is the stack already running?)")
        os.environ.update(settings.service_env())
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):  # real credentials have no place here
            os.environ.pop(name, None)
        api_key = demo_api_key(settings.data_dir)

        children["embedded AWS"] = aws = spawn([sys.executable, "-m", "local.aws_server"])
        wait_until(
            lambda: port_open(settings.aws_port), "embedded AWS", aws, stop, AWS_START_SECONDS
        )
        template = bootstrap.load_template()
        bootstrap.create_resources(template, settings.prefix, bootstrap.env_parameters(template))
        seed(settings, api_key)

        children["chalice local"] = api = spawn(chalice_command(settings))
        wait_until(
            lambda: port_open(settings.api_port), "chalice local", api, stop, API_START_SECONDS
        )

        from local.worker import Worker

        worker = Worker()
        worker_thread = threading.Thread(
            target=worker.run_forever, args=(stop,), name="worker", daemon=True
        )
        worker_thread.start()
        stack_file = write_stack_file(settings)
        print(banner(settings, api_key), flush=True)

        while not stop.wait(0.5):
            for name, child in children.items():
                if child.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {child.returncode}")
        return 0
    except Stopped:
        return 0
    except Exception as error:
        logging.getLogger("local.run").error("%s; stopping", error)
        return 1
    finally:
        stop.set()
        if stack_file is not None:
            stack_file.unlink(missing_ok=True)
        # The API first, then the worker, then the AWS they both talk to.
        if "chalice local" in children:
            stop_child(children["chalice local"])
        if worker_thread is not None:
            worker_thread.join(STOP_SECONDS)
        if "embedded AWS" in children:
            stop_child(children["embedded AWS"])
        print("Rewards stopped.", flush=True)


def main() -> int:
    # Our own progress at INFO; libraries (botocore, pynamodb) only when something is wrong.
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("local").setLevel(logging.INFO)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return run(StackSettings.from_env(), stop)


if __name__ == "__main__":
    sys.exit(main())
