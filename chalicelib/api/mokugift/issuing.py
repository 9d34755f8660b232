"""Mokugift rewards API: issue rewards by email or URL, one or in bulk.

- `POST /api/reward/{campaign_id}`, `/api/reward_url/...`, `/api/reward_url2/...`: one
  recipient, the reward out (201). Issuing needs the campaign's passcode (`passcode` form
  field, query parameter or JSON body field, or the `X-Passcode` header).
- `POST /api/multi_rewards/{campaign_id}`, `/api/multi_reward_urls/...`,
  `/api/multi_reward_urls2/...`: many recipients, one result each.

The queries of a campaign's rewards are in chalicelib/api/mokugift/queries.py, its passcodes
and public queries in chalicelib/api/mokugift/passcodes.py.

The sandbox: every call made with the campaign's sandbox passcode is the same call, validated
and answered alike, on sandbox rewards (chalicelib/domain/rewards/sandbox.py): nothing is used up,
created or sent, and its queries answer only the sandbox rewards (the live passcode's, the
store key's, an admin's and public queries only the live ones). A sandbox reward's email, as
rendered, is read back with `GET /api/sandbox_email/{campaign_id}/{reward_id}`
(chalicelib/api/mokugift/rewards.py).

The issuing calls speak two contracts on the same paths, parsed into one `IssueCall` and
answered from the domain's one `Issued` result (the JSON contract through `IssuedReward` /
`IssueResults`, the original through chalicelib/api/mokugift/original.py):
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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice import Response
from pydantic import Field

from chalicelib.api.errors import MethodNotAllowedError
from chalicelib.api.logging import correlation_id
from chalicelib.api.mokugift.issuing_schemas import IssuedReward, IssueResults
from chalicelib.api.mokugift.original import (
    XML,
    answers_xml,
    issued_xml,
    original_error,
    sends_json,
)
from chalicelib.api.request import ApiRequest, check_body_size
from chalicelib.api.routes import Routes
from chalicelib.api.security import authenticate
from chalicelib.domain.access.auth import ISSUER_ONLY
from chalicelib.domain.catalog.campaigns import CampaignInactiveError, CampaignNotFoundError
from chalicelib.domain.errors import ConflictError, InvalidInputError, RewardsError
from chalicelib.domain.rewards import issuing, recipients
from chalicelib.domain.rewards.grants import (
    LimitPerUserReachedError,
    LimitReachedError,
    NoCouponsLeftError,
    Recipient,
)
from chalicelib.domain.rewards.issuing import Issued
from chalicelib.domain.rewards.recipients import Delivery
from chalicelib.domain.validation import InputModel


class WrongMethodError(MethodNotAllowedError):
    default_message = "This call is made with POST."


# What refuses a whole issuing call; a bulk call reports each recipient's refusal in its results.
CAMPAIGN_ERRORS = (CampaignNotFoundError, CampaignInactiveError)
ISSUE_ONE_ERRORS = (
    *CAMPAIGN_ERRORS,
    recipients.InvalidRecipientError,
    LimitReachedError,
    LimitPerUserReachedError,
    NoCouponsLeftError,
    ConflictError,  # the campaign stayed busy: retry
)
ISSUE_MANY_ERRORS = (*CAMPAIGN_ERRORS, recipients.TooManyRecipientsError)

routes = Routes(__name__)


# -- one parse: either contract into the same call --------------------------------------------
@dataclass(frozen=True)
class IssueCall:
    """One issuing request, whichever contract sent it: its recipients, each parsed or the
    error that refuses it alone (a bulk call's), and how each was named, as given."""

    recipients: list[Recipient | RewardsError]
    names: list[str | None]


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


def _items(
    request: ApiRequest, delivery: Delivery, many: bool
) -> tuple[list[Any], list[str | None]]:
    """The request's recipient items (a list entry that did not parse is its error), and how
    each names its recipient: a JSON body as is, the original's fields mapped."""
    if sends_json(request.raw):
        items = recipients.recipients_of(request.body) if many else [request.body]
        return items, [_named_by(item, delivery) for item in items]
    fields = _fields(request)
    if many:
        entries = recipients.parse_recipient_list(_text(fields, "recipient_list"), delivery)
        return [entry.item for entry in entries], [entry.address or entry.text for entry in entries]
    who = "recipient_id" if delivery is Delivery.UNIQUE_ID else "recipient_email"
    address = _text(fields, who)
    item = recipients.recipient_item(address, _text(fields, "recipient_name"), delivery)
    return [item], [address]


def parse_call(request: ApiRequest, delivery: Delivery, many: bool) -> IssueCall:
    """The request as one `IssueCall`. The JSON contract's email recipients need a first and a
    last name; a single call's bad recipient refuses the call, before anything is read."""
    items, names = _items(request, delivery, many)
    named = sends_json(request.raw)
    if many:
        return IssueCall(recipients.parse_recipients(items, delivery, named), names)
    return IssueCall([recipients.parse_recipient(items[0], delivery, named)], names)


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
def answer_issue(
    request: ApiRequest, campaign_id: str, delivery: Delivery, many: bool
) -> Issued | Response:
    """Run an issuing call and answer it in the contract the request speaks (see the module
    docstring; its errors too, `original_error`): the domain's `Issued`, which the JSON
    contract's models map, or the original's XML document of it."""
    check_body_size(request.raw)
    # Authenticated already when an Idempotency-Key came with it (`api.routes`).
    principal = request.principal = request.principal or authenticate(request, ISSUER_ONLY)
    call = parse_call(request, delivery, many)
    options: dict[str, Any] = {
        "actor": principal.actor,
        "correlation_id": correlation_id(request.raw),
        "progress": request.progress,
        "sandbox": principal.sandbox,
    }
    if many:
        issued = issuing.issue(
            request.store_code, campaign_id, call.recipients, delivery, **options
        )
    else:
        [recipient] = call.recipients
        assert isinstance(recipient, Recipient)  # a single call's refusal was raised
        issued = issuing.issue_one(request.store_code, campaign_id, recipient, delivery, **options)
    if answers_xml(request.raw):
        return issued_xml(issued, delivery, call.names, many, 200 if many else 201)
    return issued


def answer_one(request: ApiRequest, campaign_id: str, delivery: Delivery) -> Any:
    """A single call's answer: its one reward (JSON), or the original's document."""
    answer = answer_issue(request, campaign_id, delivery, False)
    return answer if isinstance(answer, Response) else answer.outcomes[0].reward


# -- issuing -------------------------------------------------------------------------------
def _issuing_route(
    path: str,
    summary: str,
    many: bool,
    request_model: Any,
    form_model: Any,
) -> Callable[[Any], Any]:
    # The body is parsed by `parse_call` (two contracts; a bulk call refuses each bad
    # recipient in its results), so its models are declared for the document only.
    return routes.route(
        path,
        methods=["POST"],
        handler_roles=ISSUER_ONLY,
        status=200 if many else 201,
        summary=summary,
        request_model=request_model,
        form_model=form_model,
        also_answers=(XML,),
        errors=ISSUE_MANY_ERRORS if many else ISSUE_ONE_ERRORS,
        answer_error=original_error,
    )


@_issuing_route(
    "/api/reward/{campaign_id}",
    "Create & send a reward by email (Mokugift)",
    False,
    recipients.EmailRecipientInput,
    OriginalRequest,
)
def create_and_send_reward(request: ApiRequest, campaign_id: str) -> IssuedReward:
    return answer_one(request, campaign_id, Delivery.EMAIL)


@_issuing_route(
    "/api/reward_url/{campaign_id}",
    "Create a reward, no send: its URL, no email sent (Mokugift)",
    False,
    recipients.EmailRecipientInput,
    OriginalRequest,
)
def create_reward_url(request: ApiRequest, campaign_id: str) -> IssuedReward:
    return answer_one(request, campaign_id, Delivery.URL)


@_issuing_route(
    "/api/reward_url2/{campaign_id}",
    "Create a reward, no send, no email address: by unique ID (Mokugift)",
    False,
    recipients.UniqueIdRecipientInput,
    OriginalUniqueIdRequest,
)
def create_reward_url_for_unique_id(request: ApiRequest, campaign_id: str) -> IssuedReward:
    return answer_one(request, campaign_id, Delivery.UNIQUE_ID)


@_issuing_route(
    "/api/multi_rewards/{campaign_id}",
    "Create & send multiple rewards by email (Mokugift)",
    True,
    recipients.EmailRecipients,
    OriginalMultiRequest,
)
def create_and_send_rewards(request: ApiRequest, campaign_id: str) -> IssueResults:
    return answer_issue(request, campaign_id, Delivery.EMAIL, True)


@_issuing_route(
    "/api/multi_reward_urls/{campaign_id}",
    "Create multiple rewards, no send: their URLs, no emails sent (Mokugift)",
    True,
    recipients.EmailRecipients,
    OriginalMultiRequest,
)
def create_reward_urls(request: ApiRequest, campaign_id: str) -> IssueResults:
    return answer_issue(request, campaign_id, Delivery.URL, True)


@_issuing_route(
    "/api/multi_reward_urls2/{campaign_id}",
    "Create multiple rewards, no send, no email addresses: by unique IDs (Mokugift)",
    True,
    recipients.UniqueIdRecipients,
    OriginalMultiRequest,
)
def create_reward_urls_for_unique_ids(request: ApiRequest, campaign_id: str) -> IssueResults:
    return answer_issue(request, campaign_id, Delivery.UNIQUE_ID, True)


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
