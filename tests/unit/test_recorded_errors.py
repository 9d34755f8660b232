"""A bulk item's refusal, recorded and read back by a resumed request, answers as it did."""

from __future__ import annotations

import json

import pytest

from chalicelib.api.errors import default_error_body, status_of
from chalicelib.domain.errors import InvalidInputError, RewardsError, error_record, recorded_error
from chalicelib.domain.points.ledger import InsufficientPointsError
from chalicelib.domain.rewards.handout import LimitReachedError, NoCouponsLeftError


@pytest.mark.parametrize(
    "error",
    [
        InsufficientPointsError(available=300, requested=900),
        LimitReachedError(),
        NoCouponsLeftError(left=2),
        InvalidInputError({"email": ["Not an email."]}),
        RewardsError("Odd.", code="odd_one"),
    ],
    ids=lambda error: error.code,
)
def test_a_recorded_error_keeps_its_class_status_and_fields(error: RewardsError) -> None:
    again = recorded_error(json.loads(json.dumps(error_record(error))))

    assert type(again) is type(error)
    assert status_of(again) == status_of(error)
    assert default_error_body(again) == default_error_body(error)
    assert vars(again) == vars(error)
