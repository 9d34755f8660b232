"""The original Mokugift contract (docs/spec section 000): which contract a request speaks, and
the XML `<result>` documents it is answered with, rendered from the same values the JSON
contract's models map (`issuing.Issued`, a listing's `Reward`s and `Summary`, a `RewardsError`).

A request speaks the original contract unless its body is JSON or its `Accept` names
`application/json` first (`answers_xml`). Its every failure is `<error><code>` with the
original's codes (`ERROR_CODES`; the table is in chalicelib/api/mokugift/issuing.py), its own
and the shared pipeline's alike (`original_error`), with the HTTP status the JSON contract gives
the same error.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalice import Response
from chalice.app import Request

from chalicelib.api import xml
from chalicelib.api.errors import MethodNotAllowedError, error_headers, status_of
from chalicelib.api.mokugift.issuing_schemas import iso_time
from chalicelib.api.request import FORM_TYPES, JSON_TYPES, media_type
from chalicelib.api.routes import JSON
from chalicelib.domain.catalog.campaigns import (
    CampaignInactiveError,
    CampaignNotFoundError,
    CampaignOutOfDatesError,
)
from chalicelib.domain.errors import (
    AuthenticationError,
    IdempotencyKeyReusedError,
    InvalidInputError,
    MalformedRequestError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RewardsError,
    UnsupportedMediaTypeError,
)
from chalicelib.domain.rewards.grants import (
    LimitPerUserReachedError,
    LimitReachedError,
    NoCouponsLeftError,
)
from chalicelib.domain.rewards.issuing import Issued
from chalicelib.domain.rewards.queries import TREES_PER_REWARD, Summary
from chalicelib.domain.rewards.recipients import (
    Delivery,
    InvalidEmailError,
    RecipientMissingError,
    TooManyRecipientsError,
)
from chalicelib.domain.rewards.reward import Reward

XML = "application/xml"
XML_TYPES = (XML, "text/xml")
VERSION = "1.0"

# The original's error codes, most specific first; anything else is 110, internal.
ERROR_CODES: tuple[tuple[type[RewardsError], int], ...] = (
    (MethodNotAllowedError, 100),
    (CampaignNotFoundError, 101),
    (AuthenticationError, 102),
    (PermissionDeniedError, 102),
    (CampaignOutOfDatesError, 104),
    (CampaignInactiveError, 103),
    (LimitReachedError, 104),
    (LimitPerUserReachedError, 104),
    (NoCouponsLeftError, 105),
    (TooManyRecipientsError, 114),
    (RecipientMissingError, 111),
    (InvalidEmailError, 112),
    (InvalidInputError, 113),
    (MalformedRequestError, 113),
    (UnsupportedMediaTypeError, 113),
    (PayloadTooLargeError, 113),
    (IdempotencyKeyReusedError, 113),
)
INTERNAL = 110


def error_code(error: RewardsError) -> int:
    """The original's `<error><code>` for a service error."""
    return next((code for kind, code in ERROR_CODES if isinstance(error, kind)), INTERNAL)


# -- which contract ----------------------------------------------------------------------------
def sends_json(request: Request) -> bool:
    """Whether the body is JSON (as `request.parse_body` reads it): the JSON contract."""
    raw = request.raw_body or b""
    if not raw.strip():
        return False
    kind = media_type(request)
    if kind in FORM_TYPES:
        return raw.lstrip().startswith((b"{", b"["))
    # Any other type is no body of either contract (a 415), answered as the Accept asks.
    return kind in JSON_TYPES or kind.endswith("+json") or not kind


def answers_xml(request: Request) -> bool:
    """The original contract's XML, unless the body is JSON or `Accept` names JSON first."""
    if sends_json(request):
        return False
    for part in (request.headers.get("accept") or "").split(","):
        kind = part.split(";")[0].strip().lower()
        if kind in XML_TYPES or kind == "*/*":
            return True
        if kind == JSON or kind.endswith("+json"):
            return False
    return True


# -- the documents -----------------------------------------------------------------------------
def _group(name: str, lines: list[str]) -> list[str]:
    return [f"<{name}>", *lines, f"</{name}>"]


def _error_lines(error: RewardsError) -> list[str]:
    description = error.message
    if isinstance(error, InvalidInputError) and error.errors:
        description = " ".join(text for texts in error.errors.values() for text in texts)
    return _group(
        "error", [xml.element("code", error_code(error)), xml.element("description", description)]
    )


def _who(delivery: Delivery, recipient: str | None) -> str:
    tag = "recipient_id" if delivery is Delivery.UNIQUE_ID else "recipient_email"
    return xml.element(tag, recipient or "")


def _reward_lines(delivery: Delivery, reward: Reward) -> list[str]:
    recipient = reward.public_key if delivery is Delivery.UNIQUE_ID else reward.email
    lines = [xml.element("id", reward.reward_id), _who(delivery, recipient)]
    if delivery is not Delivery.EMAIL:
        lines.append(xml.element("url", reward.url))
    return _group("reward", lines)


def _response(lines: list[str], status: int) -> Response:
    headers = {"Content-Type": "application/xml; charset=utf-8"}
    return Response(xml.document("result", lines), status_code=status, headers=headers)


def issued_xml(
    issued: Issued,
    delivery: Delivery,
    recipients: Sequence[str | None],
    many: bool,
    status: int,
) -> Response:
    """An issuing call's `<result>`: the rewards created, and for a multi call the refused ones,
    each named by `recipients` (the call's recipients as given, in order)."""
    created, failed = [], []
    for outcome, recipient in zip(issued.outcomes, recipients, strict=True):
        if outcome.reward is not None:
            created += _reward_lines(delivery, outcome.reward)
        else:
            assert outcome.error is not None
            who = _who(delivery, recipient)
            failed += _group("unsent_reward", [who, *_error_lines(outcome.error)])
    if not issued.failed:
        outcome_status = "Success"
    else:
        outcome_status = "Part_Failed" if issued.created else "Failed"
    lines = [
        xml.element("version", VERSION),
        xml.element("status", outcome_status),
        xml.element("transaction_id", issued.transaction_id),
    ]
    lines += _group("rewards", created) + _group("unsent_rewards", failed) if many else created
    return _response(lines, status)


def listed_reward(reward: Reward) -> str:
    """One reward of a query's `<rewards>`."""
    lines = [
        xml.element("id", reward.reward_id),
        xml.element("date", iso_time(reward.created_at)),
        xml.element("recipient_email", reward.email or ""),
    ]
    if reward.public_key is not None:
        lines.append(xml.element("recipient_id", reward.public_key))
    lines.append(xml.element("tree_count", TREES_PER_REWARD))
    return "\n".join(_group("reward", lines))


def listing_xml(summary: Summary, rendered: Sequence[str], next_cursor: str | None) -> Response:
    """A query's `<result>`: `<summary>`, its rewards (each rendered by `listed_reward`) and the
    cursor of the rest, if any."""
    lines = [
        xml.element("version", VERSION),
        xml.element("status", "Success"),
        *_group(
            "summary",
            [
                xml.element("reward_count", summary.reward_count),
                xml.element("tree_count", summary.tree_count),
            ],
        ),
        "<rewards>",
        *rendered,
        "</rewards>",
    ]
    if next_cursor is not None:
        lines.append(xml.element("next_cursor", next_cursor))
    return _response(lines, 200)


def error_xml(error: RewardsError) -> Response:
    """A failed call: `<status>Failed</status>` and its `<error>`."""
    lines = [xml.element("version", VERSION), xml.element("status", "Failed")]
    status = status_of(error)
    response = _response([*lines, *_error_lines(error)], status)
    response.headers.update(error_headers(error, status))
    return response


def original_error(request: Request, error: RewardsError) -> Response | None:
    """Every error of a request in the original contract, as its XML document: the handler's,
    the pipeline's (a credential, the Idempotency-Key, throttling, a body too large) and the
    framework's (405, 415, 500); None for the JSON contract, which answers JSON."""
    return error_xml(error) if answers_xml(request) else None
