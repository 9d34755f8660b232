"""Scheduled expiry of bought coupons: every `coupon_expiry_rate_minutes`, mark the active
bought coupons past their `active_to` expired.

The work is `bought.expire_due_coupons`: a Query on the sparse bought-expiry index, page by
page, and one conditional update per due coupon. It is idempotent, so a run that crashed or
timed out is finished by the next one, and a second run changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint, Rate

from chalicelib.config import get_settings
from chalicelib.domain import bought
from chalicelib.observability import Metric, add_metric, flushed

log = logging.getLogger(__name__)

jobs = Blueprint(__name__)


@jobs.schedule(Rate(get_settings().coupon_expiry_rate_minutes, unit=Rate.MINUTES))
@flushed("rewards-coupons")
def expire_coupons(event: Any) -> dict[str, int]:
    run = bought.expire_due_coupons()
    add_metric(Metric.COUPONS_EXPIRED, run.expired)
    log.info("coupons expired: %d, skipped: %d", run.expired, run.skipped)
    return {"expired": run.expired, "skipped": run.skipped}
