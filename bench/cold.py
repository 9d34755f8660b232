"""Section 3: cold start, a fresh interpreter's import of `app` plus its first request, against
a fresh import of chalice + boto3 + one client making the same AWS calls (the floor).

Each side runs in its own subprocess (`python -m bench.cold app|floor CALLS_FILE`), in turns;
the time is taken inside the process, from before the first import to the answer, so the
interpreter's own start (the same for both) is left out. The app side is called as Lambda calls
it, `app(event, context)` with the API Gateway event of the request, and not through
`chalice.test`, whose own import (chalice's local server and deployer) no Lambda pays.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import calls as operations
from bench.stack import API_KEY, Stack, child_answer
from bench.stats import Figure, median, ratio

TARGET = "<= 1.5"
STARTED = time.perf_counter()  # before any other import of this process


class _LambdaContext:
    """What the Lambda runtime passes beside the event, as far as the app reads it."""

    function_name = "rewards-dev"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:rewards-dev"
    aws_request_id = "bench-cold-start"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def _app_side(event: dict[str, Any]) -> int:
    from app import app

    return int(app(event, _LambdaContext())["statusCode"])


def _floor_side(calls: list[dict[str, Any]]) -> int:
    import boto3
    import chalice  # noqa: F401  (the framework, as the app imports it)

    dynamodb = boto3.client("dynamodb")
    for call in calls:
        getattr(dynamodb, call["method"])(**call["params"])
    return 200


def main() -> None:
    side, spec = sys.argv[1], json.loads(Path(sys.argv[2]).read_text())
    status = _app_side(spec["event"]) if side == "app" else _floor_side(spec["calls"])
    print(json.dumps({"seconds": time.perf_counter() - STARTED, "status": status}))


def _run(side: str, spec_file: str, environment: dict[str, str]) -> float:
    answer = child_answer("bench.cold", [side, spec_file], f"cold {side}", environment)
    return float(answer["seconds"])


def _event(method: str, path: str) -> dict[str, Any]:
    """The API Gateway proxy event of a request, as `chalice local` builds it."""
    from chalice.local import LambdaEventConverter, RouteMatcher

    from app import app

    converter = LambdaEventConverter(RouteMatcher(list(app.routes)))
    return dict(converter.create_lambda_event(method, path, {}))


def measure(stack: Stack, repetitions: int) -> list[Figure]:
    from botocore import xform_name  # not at the top: the floor's process must import it itself

    _, email = operations.new_recipient(stack, 10)
    path = f"/api/v1/points/{API_KEY}/email/{email}/Full"
    stack.client.get(path)
    with stack.log.record() as made:
        stack.client.get(path)
    spec = {
        "event": _event("GET", path),
        "calls": [
            {"method": xform_name(call.operation), "params": json.loads(call.body)} for call in made
        ],
    }
    # Bytecode is written (by the unmeasured first runs) and read, as in a deployed package.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec_file:
        json.dump(spec, spec_file)
    samples: dict[str, list[float]] = {"app": [], "floor": []}
    try:
        for side in samples:  # once each unmeasured: bytecode caches written
            _run(side, spec_file.name, environment)
        for _ in range(repetitions):
            for side, taken in samples.items():
                taken.append(_run(side, spec_file.name, environment))
    finally:
        Path(spec_file.name).unlink()
    app, floor = median(samples["app"]), median(samples["floor"])
    detail = (
        f"median {app * 1000:.0f} vs {floor * 1000:.0f} ms (import + first points lookup, "
        f"{len(made)} AWS calls), n={repetitions}"
    )
    return [Figure("3 cold start", "import app + first request", ratio(app, floor), TARGET, detail)]


if __name__ == "__main__":
    main()
