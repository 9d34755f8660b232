"""Scheduled expiry of bought coupons: every `coupon_expiry_rate_minutes`, mark the active
bought coupons past their `active_to` expired.

The work is `coupon_expiry.expire_due_coupons`: a Query on the sparse bought-expiry index, page by
page, and one conditional update per due coupon. It is idempotent, so a run that crashed or
timed out is finished by the next one, and a second run changes nothing.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from chalicelib.config import get_settings
from chalicelib.jobs import report_expiry
from chalicelib.observability import Metric, flushed

jobs = Blueprint(__name__)


@jobs.schedule(Rate(get_settings().coupon_expiry_rate_minutes, unit=Rate.MINUTES))
@flushed("rewards-coupons")
def expire_coupons(event: Any) -> dict[str, int]:
    from chalicelib.domain.catalog import coupon_expiry  # see chalicelib/jobs/__init__.py

    return report_expiry(coupon_expiry.expire_due_coupons(), Metric.COUPONS_EXPIRED, "coupons")
