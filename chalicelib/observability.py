"""Business and request metrics as CloudWatch EMF lines (Powertools Metrics), one flush per
invocation.

Code anywhere (the domain too: no chalice import here) records with `add_metric`; every entry
point runs inside `invocation(service)` (the HTTP middleware `api.metrics`, the SQS consumer and
the schedules via `flushed`), which emits what was recorded once, when the invocation ends,
whatever happened. Metrics with the same dimensions share one EMF line, so one metric's
dimension (a reward's delivery, a request's route) never splits the others.

A metric never fails the work it measures: recording only appends to a list, and emitting logs
its failure instead of raising. Outside an invocation (the CLI, a test calling the domain)
nothing is recorded. The lines go to stdout (CloudWatch Logs in Lambda);
`POWERTOOLS_METRICS_DISABLED=true` silences them.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

NAMESPACE = "Rewards"

log = logging.getLogger(__name__)
Function = TypeVar("Function", bound=Callable[..., Any])


class Metric(StrEnum):
    REWARDS_ISSUED = "RewardsIssued"  # dimension `delivery`: email | url
    EMAILS_SENT = "EmailsSent"
    EMAILS_FAILED = "EmailsFailed"  # given up for good; retries are not failures
    EMAILS_REQUEUED = "EmailsRequeued"  # owed messages the outbox sweeper sent again
    POINTS_EARNED = "PointsEarned"
    POINTS_SPENT = "PointsSpent"
    CLAIMS_EXPIRED = "ClaimsExpired"
    COUPONS_EXPIRED = "CouponsExpired"
    POINT_BATCHES_EXPIRED = "PointBatchesExpired"
    REQUESTS = "Requests"  # dimensions `method`, `route` (template), `status_class` (2xx...)
    LATENCY = "Latency"  # same dimensions, milliseconds


@dataclass(frozen=True)
class _Recorded:
    name: str
    value: float
    unit: str
    dimensions: tuple[tuple[str, str], ...]


# The current invocation's metrics; None outside one. A context variable, so threads serving
# requests side by side (`chalice local`) keep theirs apart.
_recorded: ContextVar[list[_Recorded] | None] = ContextVar("rewards_metrics", default=None)
# Powertools keeps one metric set per process: one emitter at a time.
_emitting = threading.Lock()


def add_metric(metric: Metric, value: float = 1, unit: str = "Count", **dimensions: str) -> None:
    """Record `metric` for the end of the current invocation."""
    recorded = _recorded.get()
    if recorded is not None:
        recorded.append(_Recorded(metric.value, value, unit, tuple(sorted(dimensions.items()))))


@functools.lru_cache(maxsize=8)
def _metrics(service: str) -> Any:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=service)


def _emit(service: str, recorded: list[_Recorded]) -> None:
    """One EMF line per dimension set; a line that fails is logged and the others still go."""
    groups: dict[tuple[tuple[str, str], ...], list[_Recorded]] = defaultdict(list)
    for entry in recorded:
        groups[entry.dimensions].append(entry)
    with _emitting:
        metrics = _metrics(service)
        for dimensions, entries in groups.items():
            try:
                for name, value in dimensions:
                    metrics.add_dimension(name=name, value=value)
                for entry in entries:
                    metrics.add_metric(name=entry.name, unit=entry.unit, value=entry.value)
                metrics.flush_metrics()
            except Exception:
                log.warning("metrics not emitted: %s", [e.name for e in entries], exc_info=True)
            finally:
                # flush_metrics keeps the set when metrics are disabled: never carry it over.
                metrics.clear_metrics()


@contextmanager
def invocation(service: str) -> Iterator[None]:
    """Collect the metrics recorded inside; emit them once at the end, as `service`."""
    recorded: list[_Recorded] = []
    token = _recorded.set(recorded)
    try:
        yield
    finally:
        _recorded.reset(token)
        if recorded:
            try:
                _emit(service, recorded)
            except Exception:  # even the lock or the import: the invocation's answer stands
                log.warning("metrics not emitted", exc_info=True)


def flushed(service: str) -> Callable[[Function], Function]:
    """Decorate a Lambda entry point (SQS consumer, schedule) to run as one `invocation`."""

    def decorate(handler: Function) -> Function:
        @functools.wraps(handler)
        def run(*args: Any, **kwargs: Any) -> Any:
            with invocation(service):
                return handler(*args, **kwargs)

        return run  # type: ignore[return-value]

    return decorate
