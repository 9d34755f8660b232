"""Mokugift rewards API: issue rewards by email or URL, one or in bulk; passcodes; queries.

- `POST /api/reward/{campaign_id}`, `/api/reward_url/...`, `/api/reward_url2/...`: one
  recipient, the reward out (201). Issuing needs the campaign's passcode (`passcode` form
  field, query parameter or JSON body field, or the `X-Passcode` header).
- `POST /api/multi_rewards/{campaign_id}`, `/api/multi_reward_urls/...`,
  `/api/multi_reward_urls2/...`: many recipients, one result each.
- `GET /api/rewards_in_month/{campaign_id}[/{month}/{year}]` (none: this UTC month),
  `GET /api/all_rewards/{campaign_id}`: `<summary>` (`reward_count`, `tree_count`) and every
  reward of the campaign. Asked with the store's API key, an admin JWT or the campaign's
  passcode (header, query or form field), or with nothing when the campaign answers public
  queries (`PUT /api/{storeCode}/campaign/{campaign}/public_queries`, admin; off by
  default). An answer that would pass `MAX_ANSWER_BYTES` (under Lambda's 6 MB) holds the
  first rewards and `next_cursor` (`nextCursor`): the same call with `cursor=<it>` continues.
  `limit` (1-100) asks for a page.
- `POST /api/{storeCode}/campaign/{campaign}/passcode` (admin): a new passcode, shown once;
  `.../sandbox_passcode`: a new sandbox passcode, shown once.

The sandbox: every call made with the campaign's sandbox passcode is the same call, validated
and answered alike, on sandbox rewards (chalicelib/domain/rewards/sandbox.py): nothing is used up,
created or sent, and its queries answer only the sandbox rewards (the live passcode's, the
store key's, an admin's and public queries only the live ones). A sandbox reward's email, as
rendered, is read back with `GET /api/sandbox_email/{campaign_id}/{reward_id}`
(chalicelib/api/mokugift/rewards.py).

The issuing calls speak two contracts on the same paths, parsed into one `IssueCall` and
answered from one `Issued` result:
- the original Mokugift's (docs/spec section 000): form fields (or a query string)
  `recipient_email`, `recipient_id`, `recipient_name`, `recipient_list`, answered with the XML
  `<result>` document when `Accept` is absent, `*/*` or an XML type;
- this service's JSON contract: a JSON body (`email`, `first_name`, ... or `recipients`), or
  any request whose `Accept` names `application/json` first, answered in JSON.

Every creating call has a `transaction_id` (`transactionId` in JSON), stored on its rewards.
A request of the original contract gets every failure as `<error><code>` with the original's
codes, its own (a handler's) and the shared pipeline's alike (`original_error`: a credential, the
Idempotency-Key, throttling, a body too large, and the framework's 405, 415 and 500), with the
HTTP status the JSON contract gives the same error; a JSON-contract request keeps JSON:

| code | meaning | from | HTTP |
|---|---|---|---|
| 100 | wrong HTTP method | a GET on an issuing path, any method a path does not take | 405 |
| 101 | invalid campaign id | campaign not found | 404 |
| 102 | incorrect passcode | no, a wrong or another campaign's passcode or credential | 401 / 403 |
| 103 | campaign disabled | switched off | 409 |
| 104 | campaign expired | outside its dates, its limit (or limit per user) reached | 409 |
| 105 | balance cannot pay | no coupons left | 409 |
| 110 | internal error | busy, in progress, throttled, a fault (1) | 409 / 503 / 500 |
| 111 | recipient missing | no email / id / recipient_list | 422 |
| 112 | invalid email | an email that is not an address | 422 |
| 113 | invalid parameters | other invalid fields and bodies (2) | 400 / 413 / 415 / 422 |
| 114 | too many recipients | more than 1,000 | 422 |

(1) the campaign stayed busy (409), the same Idempotency-Key's request still running (409),
DynamoDB still throttling (503; both with `Retry-After`), any other fault (500).
(2) a bad field or list entry (422), a body that does not parse (400), an Idempotency-Key too
long (400) or reused with another request (422), a body over 6 MB (413), a body neither a
form nor JSON (415).

A multi call answers 200 with `Success`, `Part_Failed` or `Failed` (no reward created): each
refused recipient is in `<unsent_rewards>` with its own `<error>`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalice import Response
from chalice.app import Request
from pydantic import Field

from chalicelib.api import xml
from chalicelib.api.errors import (
    MethodNotAllowedError,
    default_error_body,
    error_headers,
    status_of,
)
from chalicelib.api.logging import correlation_id
from chalicelib.api.mokugift.issuing_schemas import (
    IssuedReward,
    IssueResults,
    Passcode,
    PublicQueries,
    RewardsPage,
)
from chalicelib.api.request import (
    FORM_TYPES,
    JSON_TYPES,
    ApiRequest,
    check_body_size,
    media_type,
)
from chalicelib.api.routes import JSON, Routes
from chalicelib.api.security import authenticate
from chalicelib.domain.access.auth import ISSUER_ONLY, Role
from chalicelib.domain.access.stores import get_store
from chalicelib.domain.catalog.campaigns import (
    CampaignInactiveError,
    CampaignNotFoundError,
    CampaignOutOfDatesError,
)
from chalicelib.domain.errors import (
    AuthenticationError,
    ConflictError,
    IdempotencyKeyReusedError,
    InvalidInputError,
    MalformedRequestError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RewardsError,
    UnsupportedMediaTypeError,
)
from chalicelib.domain.rewards import issuing
from chalicelib.domain.rewards.handout import (
    LimitPerUserReachedError,
    LimitReachedError,
    NoCouponsLeftError,
    reward_url,
)
from chalicelib.domain.rewards.issuing import Delivery, IssueOutcome
from chalicelib.domain.validation import InputModel
from chalicelib.storage.rewards import RewardModel, store_of
from chalicelib.timefmt import UTC_SECONDS

ISSUER = ISSUER_ONLY
# The store's API key, an admin, or the campaign's own passcode; anyone when the campaign
# answers public queries (`query_store`).
QUERY_ROLES = (Role.STORE, Role.ADMIN, Role.ISSUER)
NO_CREDENTIAL = AuthenticationError.default_message
TIME_FORMAT = UTC_SECONDS
XML = "application/xml"
XML_TYPES = (XML, "text/xml")
VERSION = "1.0"


class WrongMethodError(MethodNotAllowedError):
    default_message = "This call is made with POST."


# What refuses a whole issuing call; a bulk call reports each recipient's refusal in its results.
CAMPAIGN_ERRORS = (CampaignNotFoundError, CampaignInactiveError)
ISSUE_ONE_ERRORS = (
    *CAMPAIGN_ERRORS,
    issuing.InvalidRecipientError,
    LimitReachedError,
    LimitPerUserReachedError,
    NoCouponsLeftError,
    ConflictError,  # the campaign stayed busy: retry
)
ISSUE_MANY_ERRORS = (*CAMPAIGN_ERRORS, issuing.TooManyRecipientsError)
# Bad `limit`/`month`/`year`, a cursor that is not ours, another store's campaign.
QUERY_ERRORS = (InvalidInputError, MalformedRequestError, CampaignNotFoundError)

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
    (issuing.TooManyRecipientsError, 114),
    (issuing.RecipientMissingError, 111),
    (issuing.InvalidEmailError, 112),
    (InvalidInputError, 113),
    (MalformedRequestError, 113),
    (UnsupportedMediaTypeError, 113),
    (PayloadTooLargeError, 113),
    (IdempotencyKeyReusedError, 113),
)
INTERNAL = 110

routes = Routes(__name__)


def error_code(error: RewardsError) -> int:
    """The original's `<error><code>` for a service error."""
    return next((code for kind, code in ERROR_CODES if isinstance(error, kind)), INTERNAL)


def iso_time(moment: datetime | None) -> str | None:
    """How every reward time is shown: UTC to the second, `2025-03-01T09:30:00Z`."""
    return None if moment is None else moment.astimezone(UTC).strftime(TIME_FORMAT)


def reward_link(reward: RewardModel) -> str:
    """The reward's page, under its store's public base URL (a sandbox reward's too)."""
    return reward_url(get_store(store_of(reward.store_code)), reward)


def reward_body(reward: RewardModel) -> dict[str, Any]:
    return {
        "rewardId": reward.reward_id,
        "campaignId": reward.campaign_id,
        "transactionId": reward.issue_transaction,
        "url": reward_link(reward),
        "couponCode": reward.coupon_code,
        "email": reward.email,
        "uniqueId": reward.public_key,
        "firstName": reward.firstname,
        "lastName": reward.surname,
        "message": reward.message,
        "senderName": reward.sender_name,
        "status": reward.status,
        "emailStatus": reward.email_status,
        "emailError": reward.email_error,
        "used": reward.used,
        "openedAt": iso_time(reward.first_opened_at),
        "createdAt": iso_time(reward.created_at),
        "validFrom": iso_time(reward.active_since),
        "validTo": iso_time(reward.active_to),
    }


def result_body(index: int, outcome: IssueOutcome) -> dict[str, Any]:
    if outcome.reward is not None:
        return {"index": index, "created": True, "reward": reward_body(outcome.reward)}
    assert outcome.error is not None
    return {"index": index, "created": False, **default_error_body(outcome.error)}


# -- one parse: either contract into the same call --------------------------------------------
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


@dataclass(frozen=True)
class IssueCall:
    """One issuing request, whichever contract sent it: its recipient items (an item may be
    the error of a list entry that did not parse), how each names its recipient, and whether
    email recipients need names (the JSON contract's)."""

    items: list[Any]
    named: bool
    recipients: list[str | None]


def _fields(request: ApiRequest) -> dict[str, Any]:
    """The original contract's fields: the query string, then the form (which wins)."""
    body = request.body
    return {**request.query, **(body if isinstance(body, dict) else {})}


def _text(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidInputError({name: [f"The {name} field must be text."]})


def _named_by(item: Any, delivery: Delivery) -> str | None:
    key = "unique_id" if delivery is Delivery.UNIQUE_ID else "email"
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


def parse_call(request: ApiRequest, delivery: Delivery, many: bool) -> IssueCall:
    """The request as one `IssueCall`: a JSON body as is, the original's fields mapped."""
    if sends_json(request.raw):
        items = issuing.recipients_of(request.body) if many else [request.body]
        return IssueCall(items, True, [_named_by(item, delivery) for item in items])
    fields = _fields(request)
    if many:
        entries = issuing.parse_recipient_list(_text(fields, "recipient_list"), delivery)
        named = [entry.address or entry.text for entry in entries]
        return IssueCall([entry.item for entry in entries], False, named)
    who = "recipient_id" if delivery is Delivery.UNIQUE_ID else "recipient_email"
    address = _text(fields, who)
    item = issuing.recipient_item(address, _text(fields, "recipient_name"), delivery)
    return IssueCall([item], False, [address])


# Document the original contract's form fields only: `parse_call` reads them.
PASSCODE_FIELD = Field(description="The campaign's passcode.")
NAME_FIELD = Field(None, description="`John Smith`: first name `John`, last name `Smith`.")


class OriginalRequest(InputModel):
    """The original contract's single call by email, as form fields."""

    passcode: str = PASSCODE_FIELD
    recipient_email: str
    recipient_name: str | None = NAME_FIELD


class OriginalUniqueIdRequest(InputModel):
    """The original contract's single call by the caller's own ID, as form fields."""

    passcode: str = PASSCODE_FIELD
    recipient_id: str = Field(description="The caller's own ID for the person.")
    recipient_name: str | None = NAME_FIELD


class OriginalMultiRequest(InputModel):
    """The original contract's multi call, as form fields."""

    passcode: str = PASSCODE_FIELD
    recipient_list: str = Field(
        description=(
            "Comma-separated entries, each `email` or `Name <email>` (`ID` or `Name <ID>` for "
            "`multi_reward_urls2`), a name with a comma in double quotes; at most 1,000. "
            "Empty entries are ignored; a recipient listed twice gets two rewards."
        )
    )


# -- one result, two renderings ---------------------------------------------------------------
@dataclass(frozen=True)
class Issued:
    """What an issuing call did: its transaction and one outcome per recipient."""

    transaction_id: str
    delivery: Delivery
    call: IssueCall
    outcomes: list[IssueOutcome]

    @property
    def created(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.reward is not None)


def _issue(request: ApiRequest, campaign_id: str, delivery: Delivery, many: bool) -> Issued:
    check_body_size(request.raw)
    # Authenticated already when an Idempotency-Key came with it (`api.routes`).
    request.principal = request.principal or authenticate(request, ISSUER)
    call = parse_call(request, delivery, many)
    transaction_id = issuing.new_transaction_id(request.progress)
    options: dict[str, Any] = {
        "actor": request.principal.actor,
        "correlation_id": correlation_id(request.raw),
        "progress": request.progress,
        "transaction_id": transaction_id,
        "named": call.named,
        "sandbox": request.principal.sandbox,
    }
    store_code, items = request.store_code, call.items
    if many:
        outcomes = issuing.issue(store_code, campaign_id, items, delivery, **options)
    else:
        [item] = items
        reward = issuing.issue_one(store_code, campaign_id, item, delivery, **options)
        outcomes = [IssueOutcome(reward)]
    return Issued(transaction_id, delivery, call, outcomes)


def issued_json(issued: Issued, many: bool) -> dict[str, Any]:
    if not many:
        [outcome] = issued.outcomes
        assert outcome.reward is not None
        return reward_body(outcome.reward)
    return {
        "transactionId": issued.transaction_id,
        "results": [result_body(index, outcome) for index, outcome in enumerate(issued.outcomes)],
        "created": issued.created,
        "failed": len(issued.outcomes) - issued.created,
    }


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


def _reward_lines(issued: Issued, reward: RewardModel) -> list[str]:
    recipient = reward.public_key if issued.delivery is Delivery.UNIQUE_ID else reward.email
    lines = [xml.element("id", reward.reward_id), _who(issued.delivery, recipient)]
    if issued.delivery is not Delivery.EMAIL:
        lines.append(xml.element("url", reward_link(reward)))
    return _group("reward", lines)


def _xml_response(lines: list[str], status: int) -> Response:
    headers = {"Content-Type": "application/xml; charset=utf-8"}
    return Response(xml.document("result", lines), status_code=status, headers=headers)


def issued_xml(issued: Issued, many: bool, status: int) -> Response:
    """The original's `<result>`: the rewards created, and for a multi call the refused ones."""
    created, failed = [], []
    for outcome, recipient in zip(issued.outcomes, issued.call.recipients, strict=True):
        if outcome.reward is not None:
            created += _reward_lines(issued, outcome.reward)
        else:
            assert outcome.error is not None
            who = _who(issued.delivery, recipient)
            failed += _group("unsent_reward", [who, *_error_lines(outcome.error)])
    if issued.created == len(issued.outcomes):
        outcome_status = "Success"
    else:
        outcome_status = "Part_Failed" if issued.created else "Failed"
    lines = [
        xml.element("version", VERSION),
        xml.element("status", outcome_status),
        xml.element("transaction_id", issued.transaction_id),
    ]
    lines += _group("rewards", created) + _group("unsent_rewards", failed) if many else created
    return _xml_response(lines, status)


def error_xml(error: RewardsError) -> Response:
    """A failed call: `<status>Failed</status>` and its `<error>`."""
    lines = [xml.element("version", VERSION), xml.element("status", "Failed")]
    status = status_of(error)
    response = _xml_response([*lines, *_error_lines(error)], status)
    response.headers.update(error_headers(error, status))
    return response


def original_error(request: Request, error: RewardsError) -> Response | None:
    """Every error of a request in the original contract, as its XML document: the handler's,
    the pipeline's (a credential, the Idempotency-Key, throttling, a body too large) and the
    framework's (405, 415, 500); None for the JSON contract, which answers JSON."""
    return error_xml(error) if answers_xml(request) else None


def answer_issue(
    request: ApiRequest, campaign_id: str, delivery: Delivery, many: bool
) -> Response | dict[str, Any]:
    """Run an issuing call in the contract the request speaks (see the module docstring);
    its errors too (`original_error`)."""
    issued = _issue(request, campaign_id, delivery, many)
    if not answers_xml(request.raw):
        return issued_json(issued, many)
    return issued_xml(issued, many, 200 if many else 201)


# -- issuing -------------------------------------------------------------------------------
IssueHandler = Callable[..., Any]


def _issuing_route(
    path: str,
    summary: str,
    many: bool,
    request_model: Any,
    form_model: Any,
) -> Callable[[IssueHandler], IssueHandler]:
    return routes.route(
        path,
        methods=["POST"],
        handler_roles=ISSUER,
        status=200 if many else 201,
        summary=summary,
        request_model=request_model,
        form_model=form_model,
        response_model=IssueResults if many else IssuedReward,
        also_answers=(XML,),
        errors=ISSUE_MANY_ERRORS if many else ISSUE_ONE_ERRORS,
        answer_error=original_error,
    )


@_issuing_route(
    "/api/reward/{campaign_id}",
    "Create & send a reward by email (Mokugift)",
    False,
    issuing.EmailRecipientInput,
    OriginalRequest,
)
def create_and_send_reward(request: ApiRequest, campaign_id: str) -> Any:
    return answer_issue(request, campaign_id, Delivery.EMAIL, False)


@_issuing_route(
    "/api/reward_url/{campaign_id}",
    "Create a reward, no send: its URL, no email sent (Mokugift)",
    False,
    issuing.EmailRecipientInput,
    OriginalRequest,
)
def create_reward_url(request: ApiRequest, campaign_id: str) -> Any:
    return answer_issue(request, campaign_id, Delivery.URL, False)


@_issuing_route(
    "/api/reward_url2/{campaign_id}",
    "Create a reward, no send, no email address: by unique ID (Mokugift)",
    False,
    issuing.UniqueIdRecipientInput,
    OriginalUniqueIdRequest,
)
def create_reward_url_for_unique_id(request: ApiRequest, campaign_id: str) -> Any:
    return answer_issue(request, campaign_id, Delivery.UNIQUE_ID, False)


@_issuing_route(
    "/api/multi_rewards/{campaign_id}",
    "Create & send multiple rewards by email (Mokugift)",
    True,
    issuing.EmailRecipients,
    OriginalMultiRequest,
)
def create_and_send_rewards(request: ApiRequest, campaign_id: str) -> Any:
    return answer_issue(request, campaign_id, Delivery.EMAIL, True)


@_issuing_route(
    "/api/multi_reward_urls/{campaign_id}",
    "Create multiple rewards, no send: their URLs, no emails sent (Mokugift)",
    True,
    issuing.EmailRecipients,
    OriginalMultiRequest,
)
def create_reward_urls(request: ApiRequest, campaign_id: str) -> Any:
    return answer_issue(request, campaign_id, Delivery.URL, True)


@_issuing_route(
    "/api/multi_reward_urls2/{campaign_id}",
    "Create multiple rewards, no send, no email addresses: by unique IDs (Mokugift)",
    True,
    issuing.UniqueIdRecipients,
    OriginalMultiRequest,
)
def create_reward_urls_for_unique_ids(request: ApiRequest, campaign_id: str) -> Any:
    return answer_issue(request, campaign_id, Delivery.UNIQUE_ID, True)


# -- queries -------------------------------------------------------------------------------
# Under Lambda's 6 MB response limit, with room for the headers and the document around.
MAX_ANSWER_BYTES = 5_000_000
TREES_PER_REWARD = 1  # the original's unit of value: each reward here carries one


@dataclass
class Listed:
    """The rewards one query answers (each rendered once), and where the next answer starts."""

    rendered: list[Any]
    next_cursor: str | None


def listed(listing: issuing.RewardListing, render: Callable[[RewardModel], Any]) -> Listed:
    """Every reward of the listing, or its page, rendered; an answer that would pass
    `MAX_ANSWER_BYTES` stops before it, with the cursor of the rest."""
    rendered: list[Any] = []
    size, last = 0, None
    for reward in listing.rewards:
        item = render(reward)
        size += len(item) if isinstance(item, str) else len(json.dumps(item))
        full = listing.limit is not None and len(rendered) == listing.limit
        if last is not None and (full or size > MAX_ANSWER_BYTES):
            return Listed(rendered, issuing.cursor_after(last))
        rendered.append(item)
        last = reward
    return Listed(rendered, None)


def _reward_xml(reward: RewardModel) -> str:
    lines = [
        xml.element("id", reward.reward_id),
        xml.element("date", iso_time(reward.created_at)),
        xml.element("recipient_email", reward.email or ""),
    ]
    if reward.public_key is not None:
        lines.append(xml.element("recipient_id", reward.public_key))
    lines.append(xml.element("tree_count", TREES_PER_REWARD))
    return "\n".join(_group("reward", lines))


def _reward_json(reward: RewardModel) -> dict[str, Any]:
    return {**reward_body(reward), "treeCount": TREES_PER_REWARD}


def _summary(count: int) -> dict[str, int]:
    return {"rewardCount": count, "treeCount": count * TREES_PER_REWARD}


def in_sandbox(request: ApiRequest) -> bool:
    """Whether the request came with a sandbox passcode: sandbox rewards only."""
    return request.principal is not None and request.principal.sandbox


def query_store(request: ApiRequest, campaign_id: str) -> str:
    """Whose campaign the query reads: the credential's store (the store's API key, an admin,
    the campaign's passcode), or with no credential at all, the store whose campaign of this
    id answers public queries."""
    try:
        request.principal = request.principal or authenticate(request, QUERY_ROLES)
    except AuthenticationError as error:
        # Only a request presenting nothing: a wrong credential stays refused.
        presented_nothing = error.message == NO_CREDENTIAL  # `security` found no credential
        public = issuing.public_queries_store(campaign_id) if presented_nothing else None
        if public is None:
            raise
        return public
    return request.store_code


def answer_query(
    request: ApiRequest, campaign_id: str, read: Callable[[str], issuing.RewardListing]
) -> Any:
    """Authenticate, read the listing and render it in the contract the request speaks (its
    errors too, `original_error`)."""
    listing = read(query_store(request, campaign_id))
    if not answers_xml(request.raw):
        found = listed(listing, _reward_json)
        return {
            "summary": _summary(len(found.rendered)),
            "rewards": found.rendered,
            "nextCursor": found.next_cursor,
        }
    found = listed(listing, _reward_xml)
    summary = _summary(len(found.rendered))
    lines = [
        xml.element("version", VERSION),
        xml.element("status", "Success"),
        *_group(
            "summary",
            [
                xml.element("reward_count", summary["rewardCount"]),
                xml.element("tree_count", summary["treeCount"]),
            ],
        ),
        "<rewards>",
        *found.rendered,
        "</rewards>",
    ]
    if found.next_cursor is not None:
        lines.append(xml.element("next_cursor", found.next_cursor))
    return _xml_response(lines, 200)


def _query_route(path: str, summary: str) -> Callable[[IssueHandler], IssueHandler]:
    return routes.route(
        path,
        handler_roles=QUERY_ROLES,
        summary=summary,
        query_model=issuing.PageQuery,  # `month` and `year` are in the path
        response_model=RewardsPage,
        also_answers=(XML,),
        errors=QUERY_ERRORS,
        answer_error=original_error,
    )


@_query_route(
    "/api/rewards_in_month/{campaign_id}/{month}/{year}",
    "Query rewards for the month: every reward of the campaign in a UTC month (Mokugift)",
)
def rewards_in_month(request: ApiRequest, campaign_id: str, month: str, year: str) -> Any:
    params = {**request.query, "month": month, "year": year}
    return answer_query(
        request,
        campaign_id,
        lambda store_code: issuing.rewards_in_month(
            store_code, campaign_id, params, sandbox=in_sandbox(request)
        ),
    )


@_query_route(
    "/api/rewards_in_month/{campaign_id}",
    "Query rewards for this month (UTC): every reward of the campaign (Mokugift)",
)
def rewards_this_month(request: ApiRequest, campaign_id: str) -> Any:
    return answer_query(
        request,
        campaign_id,
        lambda store_code: issuing.rewards_in_month(
            store_code, campaign_id, request.query, sandbox=in_sandbox(request)
        ),
    )


@_query_route(
    "/api/all_rewards/{campaign_id}",
    "Query all rewards ever created for the campaign: every one (Mokugift)",
)
def all_rewards(request: ApiRequest, campaign_id: str) -> Any:
    return answer_query(
        request,
        campaign_id,
        lambda store_code: issuing.campaign_rewards(
            store_code, campaign_id, request.query, sandbox=in_sandbox(request)
        ),
    )


# -- wrong methods -------------------------------------------------------------------------
def _refuse_get(path: str, name: str) -> None:
    """Declare GET on an issuing path, answering error 100 (405) in the contract asked for,
    with the message of the call. Any other method no route declares is the framework's 405,
    answered in the request's contract too (`original_error`)."""

    def refuse(request: ApiRequest, campaign_id: str) -> Response:
        raise WrongMethodError()

    refuse.__name__ = name
    refuse.__doc__ = "Error 100: issuing calls are made with POST (Mokugift)"
    routes.route(
        path,
        status=405,
        also_answers=(XML,),
        errors=(WrongMethodError,),
        answer_error=original_error,
    )(refuse)


for _path, _name in (
    ("/api/reward/{campaign_id}", "get_reward"),
    ("/api/reward_url/{campaign_id}", "get_reward_url"),
    ("/api/reward_url2/{campaign_id}", "get_reward_url2"),
    ("/api/multi_rewards/{campaign_id}", "get_multi_rewards"),
    ("/api/multi_reward_urls/{campaign_id}", "get_multi_reward_urls"),
    ("/api/multi_reward_urls2/{campaign_id}", "get_multi_reward_urls2"),
):
    _refuse_get(_path, _name)


# -- passcodes -----------------------------------------------------------------------------
@routes.route(
    "/api/{storeCode}/campaign/{campaign}/passcode",
    methods=["POST"],
    roles=(Role.ADMIN,),
    summary="A new passcode for creating the campaign's rewards, shown once (Mokugift)",
    response_model=Passcode,
    errors=(CampaignNotFoundError,),
    no_store=True,
)
def rotate_passcode(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, Any]:
    passcode = issuing.rotate_passcode(request.store_code, campaign)
    return {"campaignId": campaign, "passcode": passcode}


@routes.route(
    "/api/{storeCode}/campaign/{campaign}/sandbox_passcode",
    methods=["POST"],
    roles=(Role.ADMIN,),
    summary=(
        "A new sandbox passcode, shown once: the same calls, creating sandbox rewards that use "
        "nothing up and send nothing (Mokugift)"
    ),
    response_model=Passcode,
    errors=(CampaignNotFoundError,),
    no_store=True,
)
def rotate_sandbox_passcode(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, Any]:
    passcode = issuing.rotate_passcode(request.store_code, campaign, sandbox=True)
    return {"campaignId": campaign, "passcode": passcode}


@routes.route(
    "/api/{storeCode}/campaign/{campaign}/public_queries",
    methods=["PUT"],
    roles=(Role.ADMIN,),
    summary="Let anyone query the campaign's rewards, or stop it; off by default (Mokugift)",
    request_model=issuing.PublicQueriesInput,
    response_model=PublicQueries,
    errors=(CampaignNotFoundError, issuing.PublicQueriesTakenError),
)
def set_public_queries(request: ApiRequest, storeCode: str, campaign: str) -> dict[str, Any]:
    enabled = issuing.set_public_queries(request.store_code, campaign, request.body)
    return {"campaignId": campaign, "publicQueries": enabled}
