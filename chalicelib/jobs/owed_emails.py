"""The outbox sweeper, every minute: reward emails whose queue message was lost are sent again.

The work is `owed_emails.sweep`: a Query on each shard of the sparse email-owed index, one
conditional update per reward owed longer than the grace period, and SendMessageBatch for the
ones it claimed. It is idempotent, so a run that crashed or timed out is finished by the next.
"""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint, Rate

from chalicelib.observability import flushed

log = logging.getLogger(__name__)

jobs = Blueprint(__name__)


@jobs.schedule(Rate(1, unit=Rate.MINUTES))
@flushed("rewards-outbox")
def sweep_owed_emails(event: Any) -> dict[str, int]:
    from chalicelib.domain.rewards import owed_emails  # see chalicelib/jobs/__init__.py

    run = owed_emails.sweep()
    log.info(
        "owed reward emails: requeued %d, failed %d, skipped %d, refused %d",
        run.requeued,
        run.failed,
        run.skipped,
        run.refused,
    )
    return {
        "requeued": run.requeued,
        "failed": run.failed,
        "skipped": run.skipped,
        "refused": run.refused,
    }
