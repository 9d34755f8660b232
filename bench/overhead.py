"""Section 2: request overhead of the real app against a bare Chalice handler (the floor).

For each representative endpoint, one warm request through the app records its AWS calls; the
floor is a bare Chalice app in this process whose handler makes those same calls with plain
boto3 clients. Both are called through `chalice.test.Client`, in turns, against the same
serialized embedded AWS; the figure is the ratio of their medians (and of their p95s).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench import calls as operations
from bench.stack import Call, Stack, replay
from bench.stats import Figure, interleaved, median, percentile, ratio

TARGET = "<= 1.2"
ENDPOINTS = (
    "recipient lookup by email",
    "lookup",
    "spend",
    "claim create (1)",
    "rewards of a month",
)


def floor_app(recorded: dict[str, list[Call]]) -> Any:
    """A bare Chalice app: `GET /floor/{number}` makes the calls recorded for ENDPOINTS[number]."""
    from chalice import Chalice

    app = Chalice(app_name="floor")

    @app.route("/floor/{number}")
    def floor(number: str) -> dict[str, int]:
        return {"calls": replay(recorded[ENDPOINTS[int(number)]])}

    return app


def measure(stack: Stack, repetitions: int) -> list[Figure]:
    from chalice.test import Client

    requests: dict[str, Callable[[], Any]] = {}
    recorded: dict[str, list[Call]] = {}
    for name in ENDPOINTS:
        request = operations.OPERATIONS[name](stack)
        request()  # warm
        with stack.log.record() as made:
            request()
        requests[name], recorded[name] = request, made
    figures = []
    with Client(floor_app(recorded)) as floor_client:
        for number, name in enumerate(ENDPOINTS):
            path = f"/floor/{number}"
            samples = interleaved(
                {"app": requests[name], "floor": lambda path=path: floor_client.http.get(path)},
                repetitions,
            )
            app, floor = samples["app"], samples["floor"]
            detail = (
                f"median {median(app) * 1000:.1f} vs {median(floor) * 1000:.1f} ms, "
                f"p95 {percentile(app, 0.95) * 1000:.1f} vs {percentile(floor, 0.95) * 1000:.1f}"
                f" ms, {len(recorded[name])} AWS calls, n={repetitions}"
            )
            figures.append(
                Figure(
                    "2 overhead",
                    f"{name}: median",
                    ratio(median(app), median(floor)),
                    TARGET,
                    detail,
                )
            )
            figures.append(
                Figure(
                    "2 overhead",
                    f"{name}: p95",
                    ratio(percentile(app, 0.95), percentile(floor, 0.95)),
                    TARGET,
                )
            )
    return figures
