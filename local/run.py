"""`make run`: the whole service on this machine, as `python -m local.run`.

Starts the embedded AWS (`local.aws_server`, a subprocess) and waits for it, creates the
resources of `infra/resources.json`, seeds the demo store, serves the API with Chalice's local
server (`local.api_server`, a subprocess: `chalice local` with its access log redacted) and
feeds SQS messages and schedules to the handlers (`local.worker`, a thread). Nothing it prints
shows a credential: the banner says where the demo's are. Ctrl-C or SIGTERM stops everything;
so does the end of the process that started it (make), and each child dies with this one even
when it is SIGKILLed (local/lifeline.py).
Settings come from the environment only:

  AWS_PORT (5000), REWARDS_PORT (8000), REWARDS_DATA_DIR (.local),
  REWARDS_RESOURCE_PREFIX (rewards-local-), REWARDS_DEMO_API_KEY (else kept in the data dir,
  beside the install's own JWT and link-token secrets),
  REWARDS_DEMO_ADMIN_EMAIL (admin@example.com), REWARDS_DEMO_ADMIN_PASSWORD (admin123),
  REWARDS_DEMO_SELLER_EMAIL / _PASSWORD (seller@example.com, seller123),
  REWARDS_DEMO_CUSTOMER_EMAIL / _PASSWORD (customer@example.com, customer123),
  REWARDS_AWS_PERSIST=0 to start empty each time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chalicelib.redaction import protect
from chalicelib.secrets_store import local_secret
from local import bootstrap
from local.lifeline import PARENT_ENV, die_with_parent
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
    sandbox_passcode: str = "demo-sandbox-passcode"  # REWARDS_DEMO_SANDBOX_PASSCODE

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
            sandbox_passcode=env.get("REWARDS_DEMO_SANDBOX_PASSCODE") or cls.sandbox_passcode,
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
            # Where the API and the worker keep this install's own secrets (the JWT's).
            "REWARDS_DATA_DIR": str(self.data_dir),
            "REWARDS_PUBLIC_BASE_URL": self.api_url,
            "REWARDS_AWS_RECORDING": str(self.recording),
            "AWS_PORT": str(self.aws_port),
            "PYTHONUNBUFFERED": "1",
        }


def demo_api_key(data_dir: Path) -> str:
    """REWARDS_DEMO_API_KEY, else the key kept in the data dir (made once), so restarts reuse it."""
    return os.environ.get("REWARDS_DEMO_API_KEY") or local_secret(data_dir, "demo-api-key")


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
    # Own process group: stopping it also stops anything the child started. The child dies with
    # this process however it ends, SIGKILL included (local/lifeline.py).
    env = {**os.environ, PARENT_ENV: str(os.getpid())}
    return subprocess.Popen(args, cwd=REPO_ROOT, env=env, process_group=0)


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


def api_command(settings: StackSettings) -> list[str]:
    # `chalice local --no-autoreload` with its access log redacted (local/api_server.py). No
    # autoreload: its watcher polls every file under the project (the venv, and the AWS
    # recording, which changes on each write and would restart the server every time).
    options = ["--host", "127.0.0.1", "--port", str(settings.api_port), "--stage", "local"]
    return [sys.executable, "-m", "local.api_server", *options]


def seed(settings: StackSettings, api_key: str) -> None:
    from chalicelib.cli import demo_login, seed_demo  # late: settings come from os.environ

    seed_demo(
        store_code=STORE_CODE,
        api_key=api_key,
        admin_email=settings.admin_email,
        admin_password=settings.admin_password,
        passcode=settings.passcode,
        seller=demo_login("SELLER"),
        customer=demo_login("CUSTOMER"),
        sandbox_passcode=settings.sandbox_passcode,
    )


def _shown(path: Path) -> str:
    """A path as a newcomer types it: relative to the repository when inside it."""
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def banner(settings: StackSettings) -> str:
    """Where everything is; no credential itself (a terminal's scrollback and a captured
    output are logs too): the curls read the key from its file. The one exception is the demo
    campaign's sandbox passcode, which creates only sandbox rewards (nothing used up, nothing
    sent), printed so that a client can be tried against the sandbox at once."""
    persist = os.environ.get("REWARDS_AWS_PERSIST", "1") not in {"0", "false", "no", "off"}
    kept = f"{settings.recording} (delete it to start afresh)" if persist else "off"
    key_file = _shown(settings.data_dir / "demo-api-key")
    where_key = "REWARDS_DEMO_API_KEY" if os.environ.get("REWARDS_DEMO_API_KEY") else key_file
    key = "$REWARDS_DEMO_API_KEY" if where_key != key_file else f"$(cat {key_file})"
    auth = f'-H "Authorization: Bearer {key}"'
    wallace = (
        '{"email": "wallace@example.com", "public_key": "dQw4w9WgXcQ", "firstname": "Wallace", '
        '"surname": "Wensleydale", "address1": "62 West Wallaby Street", "town": "Wigan", '
        '"postcode": "WG7 7FU", "country_code": "gb"}'
    )
    from chalicelib.cli import DEMO_CAMPAIGN_ID, DEMO_CUSTOMER_POINTS, demo_login  # as `seed`

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
            f"  API key         in {where_key}",
            f"  Admin login     {settings.admin_email}, password REWARDS_DEMO_ADMIN_PASSWORD"
            " (default: README, Demo credentials)",
            f"  Seller login    {demo_login('SELLER').email}, password REWARDS_DEMO_SELLER_PASSWORD"
            " (default: README)",
            f"  Customer login  {demo_login('CUSTOMER').email}, password"
            f" REWARDS_DEMO_CUSTOMER_PASSWORD (default: README); {DEMO_CUSTOMER_POINTS} points",
            f"  Demo campaign   {DEMO_CAMPAIGN_ID}, passcode REWARDS_DEMO_PASSCODE"
            " (default: README) until rotated",
            f"  Demo sandbox    passcode {settings.sandbox_passcode} until rotated"
            " (sandbox rewards: nothing used up, no email sent)",
            "  Try:",
            f"    curl {settings.api_url}/health",
            f"    curl {auth} {settings.api_url}/recipients",
            f"    curl -X POST {auth} -H 'Content-Type: application/json' \\",
            f"         -d '{wallace}' {settings.api_url}/recipients",
            "    PASSCODE=...  # REWARDS_DEMO_PASSCODE if you set it, else the README's default",
            "    curl -X POST -H \"X-Passcode: $PASSCODE\" -H 'Content-Type: application/json' \\",
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

        children["chalice local"] = api = spawn(api_command(settings))
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
        print(banner(settings), flush=True)

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
    protect(logging.getLogger())  # the worker's lines too: they run the app's handlers
    logging.getLogger("local").setLevel(logging.INFO)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # Make (or whatever started this) killed with SIGKILL: stop as on SIGTERM, children too.
    die_with_parent()
    return run(StackSettings.from_env(), stop)


if __name__ == "__main__":
    sys.exit(main())
