"""Claim rules without AWS: the expiry date, request validation, tokens, masking, status."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from chalicelib.domain.access import link_tokens
from chalicelib.domain.points import claim_rules as claims
from chalicelib.domain.points.claim_rules import ClaimRequest
from chalicelib.domain.validation import errors_of
from chalicelib.storage.claims import CLAIMED, EXPIRED, PENDING, ClaimModel

TOKEN = "6037d53f-4088-43a2-8ab6-b5cdcd6de290"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- the expiry rule -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("created", "days", "expected"),
    [
        (utc(2024, 1, 1, 0, 0), 0, utc(2024, 1, 2)),  # through the end of today
        (utc(2024, 1, 1, 23, 59, 59), 0, utc(2024, 1, 2)),  # time of day not factored in
        (utc(2024, 1, 1, 9, 30), 1, utc(2024, 1, 3)),
        (utc(2024, 2, 27, 12), 2, utc(2024, 3, 1)),  # leap year
        (utc(2023, 12, 31, 12), 30, utc(2024, 1, 31)),
    ],
)
def test_expires_n_days_means_through_the_end_of_the_utc_day_n_days_later(
    created: datetime, days: int, expected: datetime
) -> None:
    assert claims.expires_at(created, days) == expected


def test_the_creation_day_is_the_utc_day() -> None:
    new_york_evening = datetime(2024, 1, 1, 21, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert claims.expires_at(new_york_evening, 0) == utc(2024, 1, 3)  # 2 Jan 02:00 UTC


def test_no_expiry_never_expires() -> None:
    assert claims.expires_at(utc(2024, 1, 1), None) is None


def test_the_last_claim_day_is_the_day_before_expiry() -> None:
    claim = ClaimModel(
        "a" * 32, expires_at=claims.expires_at(utc(2024, 1, 1, 15), 1), status=PENDING
    )
    assert claims.last_claim_day(claim) == date(2024, 1, 2)
    assert claims.last_claim_day(ClaimModel("b" * 32, status=PENDING)) is None


def test_iso_strings_sort_as_the_times_do() -> None:
    moments = [utc(2024, 1, 2), utc(2024, 1, 2, 0, 0, 0, 1), utc(2024, 1, 1, 23, 59, 59)]
    assert sorted(moments, key=claims.iso) == sorted(moments)
    assert claims.iso(utc(2024, 1, 2)) == "2024-01-02T00:00:00.000000Z"


# -- status --------------------------------------------------------------------------------
def test_a_pending_claim_is_expired_from_its_expiry_instant_on() -> None:
    claim = ClaimModel("a" * 32, status=PENDING, expires_at=utc(2024, 1, 2))
    assert claims.effective_status(claim, utc(2024, 1, 1, 23, 59, 59)) == PENDING
    assert claims.effective_status(claim, utc(2024, 1, 2)) == EXPIRED
    with pytest.raises(claims.ClaimExpiredError):
        claims.ensure_claimable(claim, utc(2024, 1, 2))
    claims.ensure_claimable(claim, utc(2024, 1, 1, 12))


def test_a_claimed_claim_stays_claimed_after_its_expiry() -> None:
    claim = ClaimModel("a" * 32, status=CLAIMED, expires_at=utc(2024, 1, 2))
    assert claims.effective_status(claim, utc(2030, 1, 1)) == CLAIMED
    with pytest.raises(claims.ClaimAlreadyClaimedError):
        claims.ensure_claimable(claim, utc(2024, 1, 1))


# -- tokens and masking --------------------------------------------------------------------
@pytest.mark.parametrize(
    "given", [TOKEN, TOKEN.replace("-", ""), TOKEN.upper(), f" {TOKEN.replace('-', '')} "]
)
def test_tokens_are_accepted_with_or_without_dashes_in_any_case(given: str) -> None:
    # The key is the digest of the 32 lowercase hex digits, however the token was written.
    expected = hashlib.sha256(b"6037d53f408843a28ab6b5cdcd6de290").hexdigest()
    assert claims.token_key(given) == expected


@pytest.mark.parametrize(
    "given", ["", "abc", "6037d53f408843a28ab6b5cdcd6de29", "g037d53f408843a28ab6b5cdcd6de290"]
)
def test_anything_but_a_uuid_is_not_found(given: str) -> None:
    with pytest.raises(claims.ClaimNotFoundError) as raised:
        claims.token_key(given)
    assert raised.value.code == "claim_not_found"


def _claim(claim_id: str = "c-1") -> ClaimModel:
    token = link_tokens.claim_token("S", claim_id)
    return ClaimModel(link_tokens.digest(token), claim_id=claim_id, store_code="S")


def test_the_api_shows_the_token_with_dashes() -> None:
    claim = _claim()
    hex_token = link_tokens.claim_token("S", "c-1")

    assert claims.claim_token(claim) == str(uuid.UUID(hex_token))
    assert claims.token_key(claims.claim_token(claim)) == claim.token_digest


def test_a_claim_whose_digest_does_not_match_its_id_shows_no_link() -> None:
    claim = _claim()
    claim.claim_id = "c-2"  # as if the link token secret had changed

    with pytest.raises(link_tokens.LinkTokenError):
        claims.claim_token(claim)


def test_a_bound_email_is_masked() -> None:
    assert claims.mask_email("test011@atest.com") == "t***@atest.com"


# -- validation ----------------------------------------------------------------------------
def errors_for(item: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(PydanticValidationError) as raised:
        ClaimRequest.model_validate(item)
    return errors_of(raised.value)


def test_the_documents_example_is_valid() -> None:
    parsed = ClaimRequest.model_validate(
        {"amount": 400, "email": "test011@atest.com", "customerType": "Internal", "expires": 1}
    )
    assert (parsed.amount, parsed.email, parsed.customerType, parsed.expires) == (
        400,
        "test011@atest.com",
        "Internal",
        1,
    )


@pytest.mark.parametrize("amount", ["400", 400.0, 1.5, True, None, [400]])
def test_amount_must_be_a_json_integer(amount: Any) -> None:
    assert errors_for({"amount": amount}) == {"amount": ["The amount must be an integer."]}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "The amount must be at least 1."),
        (-5, "The amount must be at least 1."),
        (claims.MAX_AMOUNT + 1, f"The amount may not be greater than {claims.MAX_AMOUNT}."),
    ],
)
def test_amount_must_be_positive_and_bounded(amount: int, message: str) -> None:
    assert errors_for({"amount": amount}) == {"amount": [message]}


def test_amount_is_required() -> None:
    assert errors_for({"email": "a@example.com"}) == {"amount": ["The amount field is required."]}


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        (-1, "The expires must be at least 0."),
        ("1", "The expires must be an integer."),
        (1.5, "The expires must be an integer."),
        (
            claims.MAX_EXPIRY_DAYS + 1,
            f"The expires may not be greater than {claims.MAX_EXPIRY_DAYS}.",
        ),
    ],
)
def test_expires_must_be_whole_days_from_zero(expires: Any, message: str) -> None:
    assert errors_for({"amount": 1, "expires": expires}) == {"expires": [message]}


def test_expires_zero_and_null_are_valid() -> None:
    assert ClaimRequest.model_validate({"amount": 1, "expires": 0}).expires == 0
    assert ClaimRequest.model_validate({"amount": 1, "expires": None}).expires is None


@pytest.mark.parametrize("email", ["not-an-email", "", "<script>@x.com", 5])
def test_email_must_be_valid(email: Any) -> None:
    assert "email" in errors_for({"amount": 1, "email": email})


def test_customer_type_is_a_short_string_and_blank_means_none() -> None:
    assert errors_for({"amount": 1, "customerType": "x" * 65}) == {
        "customerType": ["The customerType may not be greater than 64 characters."]
    }
    assert errors_for({"amount": 1, "customerType": 7}) == {
        "customerType": ["The customerType must be a string."]
    }
    assert ClaimRequest.model_validate({"amount": 1, "customerType": "  "}).customerType is None
    assert ClaimRequest.model_validate({"amount": 1, "customerType": " VIP "}).customerType == "VIP"


def test_every_bad_field_is_reported_at_once() -> None:
    errors = errors_for({"amount": "x", "email": "nope", "expires": -3})
    assert set(errors) == {"amount", "email", "expires"}
