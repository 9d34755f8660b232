"""Event-driven functions: SQS consumers and EventBridge schedules, as Chalice blueprints.

app.py imports them to register them, and the API's cold start pays for whatever they import:
so each imports its domain module when it runs, not at the top.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from chalicelib.observability import Metric, add_metric

if TYPE_CHECKING:
    from chalicelib.domain.points.claim_expiry import ExpiryRun

log = logging.getLogger(__name__)


def report_expiry(run: ExpiryRun, metric: Metric, what: str) -> dict[str, int]:
    """What an expiry schedule did, as a metric, a log line and the function's result."""
    add_metric(metric, run.expired)
    log.info("%s expired: %d, skipped: %d", what, run.expired, run.skipped)
    return {"expired": run.expired, "skipped": run.skipped}


def sqs_batch_processor() -> Any:
    """A Powertools batch processor for an SQS consumer that answers partial batch failures.

    A batch where every message failed is answered like any other (all listed), not raised.
    A new one per invocation: a processor keeps the outcomes of the batch it handles.
    """
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
