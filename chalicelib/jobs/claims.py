"""Scheduled claim expiry: every `claim_expiry_rate_minutes`, mark due pending claims expired.

The work is `claim_expiry.expire_due_claims`: a Query on the sparse pending-expiry index, page by
page, and one conditional update per due claim. It is idempotent, so a run that crashed or
timed out is finished by the next one.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from chalicelib.config import get_settings
from chalicelib.jobs import report_expiry
from chalicelib.observability import Metric, flushed

jobs = Blueprint(__name__)


@jobs.schedule(Rate(get_settings().claim_expiry_rate_minutes, unit=Rate.MINUTES))
@flushed("rewards-claims")
def expire_claims(event: Any) -> dict[str, int]:
    from chalicelib.domain.points import claim_expiry  # see chalicelib/jobs/__init__.py

    return report_expiry(claim_expiry.expire_due_claims(), Metric.CLAIMS_EXPIRED, "claims")
