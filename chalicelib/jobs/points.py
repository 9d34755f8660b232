"""Scheduled point batches: every `points_expiry_rate_minutes`, expire the batches past their
expiry day and make pending batches whose start day came available.

The work is `expiry.settle_due_batches`: a Query on the sparse due index, page by page,
and one conditional transaction per due batch. It is idempotent, so a run that crashed or timed
out is finished by the next one.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from chalice import Blueprint, Rate

from chalicelib.config import get_settings
from chalicelib.observability import Metric, add_metric, flushed

jobs = Blueprint(__name__)
log = logging.getLogger(__name__)


@jobs.schedule(Rate(get_settings().points_expiry_rate_minutes, unit=Rate.MINUTES))
@flushed("rewards-points")
def expire_points(event: Any) -> dict[str, int]:
    from chalicelib.domain.points import expiry  # see chalicelib/jobs/__init__.py

    run = expiry.settle_due_batches()
    add_metric(Metric.POINT_BATCHES_EXPIRED, run.expired)
    log.info(
        "point batches expired: %d, unlocked: %d, skipped: %d",
        run.expired,
        run.unlocked,
        run.skipped,
    )
    return asdict(run)
