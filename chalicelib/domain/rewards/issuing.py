"""Mokugift issuing: rewards sent free to recipients, one or a thousand per call, and read back.

A recipient is given either by email (with first and last name) or by `unique_id`, the ID the
caller's own system knows them by, stored as the customer's public key so the recipients API
finds them too. Issuing goes through `rewards.acquire`, the one function that also sells a
campaign, so the campaign's activity, limits, limit per user and coupon pool are enforced by the
same conditions everywhere.

A bulk call costs, whatever its size: one GetItem for the campaign, BatchGetItem (100 keys a
call) on the email / public-key guards to find the recipients who are customers already, and
`acquire`'s transactions, which pack many recipients each. Recipients not yet customers are
created in the transaction that gives them their reward. A recipient named twice in one call gets
a reward per mention: repeats go in a later round of `acquire`, once the first mention's
customer exists (an item may appear only once per transaction).

Email delivery: the rewards are written with email status `queued` and marked as owing their
message (the outbox, in the same transaction), then one message per reward goes on the queue
(`mail.outbox`, ten per SendMessageBatch), in that order, so a message never names a reward that
does not exist. A message SQS refused, or never got because the process died, is sent later by
the sweeper (`owed_emails`): the reward stays `queued` meanwhile.

Each issuing call is one transaction (Mokugift's `transaction_id`, `new_transaction_id`), stored
on every reward it creates, so `transaction_rewards` finds them. A keyed call derives it from its
Idempotency-Key, so a resumed run names the same transaction as the run it finishes.

The original Mokugift contract names its recipients in one `recipient_list` field
(`parse_recipient_list`): comma-separated entries, each `address` or `Name <address>`, the name
in double quotes when it holds a comma (`"Smith, John" <john@example.com>`); whitespace around
entries is ignored, and so are empty entries (`a@x.com,,b@x.com`, a trailing comma). An entry
that is neither form is refused alone (the other entries are issued); a recipient listed twice
gets a reward per mention, as in the JSON contract. Its names are optional; `Name` becomes the
first name (its first word) and the last name (the rest), `"Last, First"` as written.

A call made with the campaign's sandbox passcode (`sandbox=True`) validates the same way and
then makes sandbox rewards instead (chalicelib/domain/rewards/sandbox.py): nothing used up, created,
sent or counted; the readings below take `sandbox` to list those instead of the live ones.

Reading: a campaign's rewards, all of them or those created in one UTC month, come from the
campaign + creation-time index, oldest first: every one (the Query's pages read as the answer is
built), or a page when the caller gives `limit`.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from chalicelib.domain.access import auth
from chalicelib.domain.catalog.campaigns import ensure_active, get_campaign
from chalicelib.domain.customers.records import new_customer
from chalicelib.domain.errors import (
    ConflictError,
    InvalidInputError,
    MalformedRequestError,
    RewardsError,
    TooManyItemsError,
    error_record,
    recorded_error,
)
from chalicelib.domain.paging import decode_cursor, encode_cursor
from chalicelib.domain.rewards import sandbox as sandbox_rewards
from chalicelib.domain.rewards.handout import Grant, Recipient, acquire, recorded_rewards
from chalicelib.domain.validation import (
    Email,
    InputModel,
    SingleLine,
    errors_of,
    number_type,
    validate,
)
from chalicelib.mail import outbox
from chalicelib.observability import Metric, add_metric
from chalicelib.storage import credentials
from chalicelib.storage.campaigns import CampaignModel, pool_key
from chalicelib.storage.customers import (
    UniqueValueModel,
    unique_email_pk,
    unique_public_key_pk,
)
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress
from chalicelib.storage.paging import start_key
from chalicelib.storage.rewards import (
    EMAIL_QUEUED,
    ISSUED,
    RewardModel,
    sandbox_partition,
)

MAX_RECIPIENTS = 1000
MAX_MESSAGE_LENGTH = 2000
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
FIRST_YEAR, LAST_YEAR = 2000, 2999


class InvalidRecipientError(InvalidInputError):
    code = "invalid_recipient"
    default_message = "The recipient is invalid."


class RecipientMissingError(InvalidRecipientError):
    """No email (or unique ID) for the recipient; the same code, told apart by Mokugift."""


class InvalidEmailError(InvalidRecipientError):
    """The recipient's email is not an address; the same code, told apart by Mokugift."""


class TooManyRecipientsError(TooManyItemsError):
    code = "too_many_recipients"


class Delivery(StrEnum):
    """How a reward reaches its recipient, and so who the recipient is."""

    EMAIL = "email"  # emailed now: /reward, /multi_rewards
    URL = "url"  # the caller passes the URL on: /reward_url, /multi_reward_urls
    UNIQUE_ID = "unique_id"  # URL, recipient known by the caller's ID: /reward_url2, ...2


# -- recipients ----------------------------------------------------------------------------
Text = Annotated[str, StringConstraints(max_length=255), SingleLine]
Message = Annotated[str, StringConstraints(max_length=MAX_MESSAGE_LENGTH)]


class _RecipientInput(InputModel):
    # Numbers are taken as text: callers' IDs are often numeric. Unknown fields are ignored.
    model_config = ConfigDict(str_strip_whitespace=True, coerce_numbers_to_str=True)

    message: Message | None = None
    sender_name: Text | None = None


class EmailRecipientInput(_RecipientInput):
    email: Email
    first_name: Text
    last_name: Text


class AddressRecipientInput(EmailRecipientInput):
    """The original contract's recipient by email: the name is optional."""

    first_name: Text | None = None
    last_name: Text | None = None


class UniqueIdRecipientInput(_RecipientInput):
    unique_id: Text
    first_name: Text | None = None
    last_name: Text | None = None


class EmailRecipients(InputModel):
    """A bulk request by email: up to `MAX_RECIPIENTS`, each answered in its place."""

    recipients: Annotated[list[EmailRecipientInput], Field(max_length=MAX_RECIPIENTS)]


class UniqueIdRecipients(InputModel):
    """A bulk request by unique ID: up to `MAX_RECIPIENTS`, each answered in its place."""

    recipients: Annotated[list[UniqueIdRecipientInput], Field(max_length=MAX_RECIPIENTS)]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _model(delivery: Delivery, named: bool) -> type[_RecipientInput]:
    if delivery is Delivery.UNIQUE_ID:
        return UniqueIdRecipientInput
    return EmailRecipientInput if named else AddressRecipientInput


def parse_recipient(item: Any, delivery: Delivery, named: bool = True) -> Recipient:
    """The recipient of one reward, validated; blank fields count as missing. `named`: the
    JSON contract's email recipients need a first and a last name. An item that is already an
    error (a `recipient_list` entry that did not parse) is that recipient's refusal."""
    if isinstance(item, RewardsError):
        raise item
    if not isinstance(item, dict):
        raise InvalidRecipientError({"body": ["The recipient must be an object."]})
    try:
        parsed = _model(delivery, named).model_validate(
            {k: v for k, v in item.items() if not _blank(v)}
        )
    except PydanticValidationError as error:
        errors = errors_of(error)
        who = "unique_id" if delivery is Delivery.UNIQUE_ID else "email"
        if who in errors and _blank(item.get(who)):
            raise RecipientMissingError(errors) from error
        if "email" in errors:
            raise InvalidEmailError(errors) from error
        raise InvalidRecipientError(errors) from error
    return Recipient(
        email=getattr(parsed, "email", None),
        public_key=getattr(parsed, "unique_id", None),
        firstname=parsed.first_name,
        surname=parsed.last_name,
        message=parsed.message,
        sender_name=parsed.sender_name,
    )


def recipients_of(body: Any) -> list[Any]:
    """The `recipients` list of a bulk request; more than `MAX_RECIPIENTS` writes nothing."""
    recipients = body.get("recipients") if isinstance(body, dict) else None
    if not isinstance(recipients, list) or not recipients:
        raise InvalidInputError({"recipients": ["The recipients field must be a non-empty list."]})
    if len(recipients) > MAX_RECIPIENTS:
        raise TooManyRecipientsError(
            {"recipients": [f"At most {MAX_RECIPIENTS} recipients per request."]},
            f"Too many recipients: {len(recipients)}; nothing was created.",
        )
    return recipients


@dataclass(frozen=True)
class ListEntry:
    """One entry of a `recipient_list`: its text, and the recipient item or why it is none."""

    text: str
    address: str | None
    item: dict[str, str] | RewardsError


# `Name <address>` or `"Name, with comma" <address>` (backslash escapes in quotes).
_ENTRY = re.compile(
    r'\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<plain>[^<>"]*?))\s*<(?P<address>[^<>"]*)>\s*'
)
_BARE = re.compile(r'[^<>"]+')
_ESCAPE = re.compile(r"\\(.)")


def _split_entries(text: str) -> list[str]:
    """Split at the commas outside double quotes (no address holds a comma)."""
    entries, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            entries.append("".join(current))
            current = []
            continue
        current.append(char)
    entries.append("".join(current))
    return [entry.strip() for entry in entries if entry.strip()]


def split_name(name: str | None) -> dict[str, str]:
    """`John Smith` (and `Smith, John`) as first name `John`, last name `Smith`; no name, no
    fields."""
    last, comma, first = (name or "").partition(",")
    if not comma:
        first, _, last = (name or "").strip().partition(" ")
    return {k: v.strip() for k, v in (("first_name", first), ("last_name", last)) if v.strip()}


def recipient_item(address: str | None, name: str | None, delivery: Delivery) -> dict[str, str]:
    """The recipient item of the original contract's `recipient_*` fields (or a list entry)."""
    who = "unique_id" if delivery is Delivery.UNIQUE_ID else "email"
    return {who: (address or "").strip(), **split_name(name)}


def _entry(text: str, delivery: Delivery) -> ListEntry:
    match = _ENTRY.fullmatch(text)
    if match is not None:
        quoted = match.group("quoted")
        name = _ESCAPE.sub(r"\1", quoted) if quoted is not None else match.group("plain")
        address = match.group("address").strip()
        return ListEntry(text, address, recipient_item(address, name, delivery))
    if _BARE.fullmatch(text):
        return ListEntry(text, text, recipient_item(text, None, delivery))
    error = InvalidRecipientError(
        {"recipient_list": [f"The entry is neither `address` nor `Name <address>`: {text[:80]}"]}
    )
    return ListEntry(text, None, error)


def parse_recipient_list(text: Any, delivery: Delivery) -> list[ListEntry]:
    """The entries of a `recipient_list` (see the module docstring), in order; none, or more
    than `MAX_RECIPIENTS`, refuses the call."""
    entries = _split_entries(text) if isinstance(text, str) else []
    if not entries:
        raise RecipientMissingError({"recipient_list": ["The recipient list field is required."]})
    if len(entries) > MAX_RECIPIENTS:
        raise TooManyRecipientsError(
            {"recipient_list": [f"At most {MAX_RECIPIENTS} recipients per request."]},
            f"Too many recipients: {len(entries)}; nothing was created.",
        )
    return [_entry(entry, delivery) for entry in entries]


def _guard_pk(store_code: str, recipient: Recipient) -> str:
    """The guard item that names the customer this recipient already is, if any."""
    if recipient.public_key is not None:
        return unique_public_key_pk(store_code, recipient.public_key)
    assert recipient.email is not None
    return unique_email_pk(store_code, recipient.email)


def _owners(pks: set[str]) -> dict[str, str]:
    """Customer id by guard key, for the keys that have a customer (BatchGet, 100 a call)."""
    if not pks:
        return {}
    return {
        guard.pk: guard.owner_id
        for guard in UniqueValueModel.batch_get(list(pks), consistent_read=True)
    }


# -- issuing -------------------------------------------------------------------------------
@dataclass
class IssueOutcome:
    """One recipient of a request: its reward, or why it got none."""

    reward: RewardModel | None = None
    error: RewardsError | None = None


def _grant(store_code: str, recipient: Recipient, owner: str | None, item: int | None) -> Grant:
    if owner is not None:
        return Grant(owner, recipient=recipient, item=item)
    customer = new_customer(
        store_code,
        recipient.email,
        public_key=recipient.public_key,
        firstname=recipient.firstname,
        surname=recipient.surname,
    )
    return Grant(customer.customer_id, new_customer=customer, recipient=recipient, item=item)


def _rounds(keys: dict[int, str]) -> list[list[int]]:
    """Indexes grouped so that no round names one recipient twice: the nth mention goes in
    round n."""
    rounds: list[list[int]] = []
    seen: dict[str, int] = defaultdict(int)
    for index, key in keys.items():
        mention = seen[key]
        seen[key] += 1
        if mention == len(rounds):
            rounds.append([])
        rounds[mention].append(index)
    return rounds


def _acquire_all(
    campaign: CampaignModel,
    recipients: dict[int, Recipient],
    outcomes: list[IssueOutcome],
    email_status: str | None,
    actor: str | None,
    progress: BulkProgress,
    transaction_id: str | None,
) -> None:
    store_code = campaign.store_code
    keys = {index: _guard_pk(store_code, recipient) for index, recipient in recipients.items()}
    owners = _owners(set(keys.values()))
    for round_indexes in _rounds(keys):
        grants = [
            _grant(
                store_code,
                recipients[i],
                owners.get(keys[i]),
                i if progress.active else None,
            )
            for i in round_indexes
        ]
        results = acquire(
            campaign,
            grants,
            source=ISSUED,
            actor=actor,
            email_status=email_status,
            progress=progress,
            issue_transaction=transaction_id,
        )
        refused = {}
        for index, result in zip(round_indexes, results, strict=True):
            if result.error is not None:
                outcomes[index].error = result.error
                refused[index] = {"error": error_record(result.error)}
                continue
            outcomes[index].reward = result.rewards[0]
            # Later mentions go to the customer this one got (new, or found by acquire).
            owners[keys[index]] = result.grant.customer_id
        progress.record_many(refused)


def _recorded(store_code: str, answers: dict[int, Any], outcomes: list[IssueOutcome]) -> None:
    """The outcomes an earlier, interrupted run of the same request recorded: its rewards
    (read back) or its refusals."""
    rewards = recorded_rewards(store_code, (a for a in answers.values() if "rewards" in a))
    for index, answer in answers.items():
        if "error" in answer:
            outcomes[index].error = recorded_error(answer["error"])
            continue
        [reward_id] = answer["rewards"]
        outcomes[index].reward = rewards[reward_id]


def issue(
    store_code: str,
    campaign_id: str,
    items: Sequence[Any],
    delivery: Delivery,
    actor: str | None = None,
    correlation_id: str | None = None,
    progress: BulkProgress = NO_PROGRESS,
    transaction_id: str | None = None,
    named: bool = True,
    sandbox: bool = False,
) -> list[IssueOutcome]:
    """A reward for every valid recipient of `items`; outcomes in the order of `items`.

    `transaction_id` is stored on every reward created; `named` as in `parse_recipient`;
    `sandbox`: sandbox rewards, nothing used up or sent (chalicelib/domain/rewards/sandbox.py).
    A missing or inactive campaign refuses the whole call; anything else (an invalid
    recipient, a limit reached, no coupon left) refuses only the recipients it concerns.
    With a keyed request's `progress`, each recipient's reward is recorded in the transaction
    that writes it (a refusal after its round), and a retry after a crash answers the
    recipients an earlier run settled as it did, issuing only the others.
    """
    campaign = get_campaign(store_code, campaign_id)
    ensure_active(campaign, datetime.now(UTC))
    outcomes = [IssueOutcome() for _ in items]
    recipients: dict[int, Recipient] = {}
    for index, item in enumerate(items):
        try:
            recipients[index] = parse_recipient(item, delivery, named)
        except InvalidRecipientError as error:
            outcomes[index].error = error
    if sandbox:
        emails = delivery is Delivery.EMAIL
        made = sandbox_rewards.issue(campaign, recipients, emails, actor, progress, transaction_id)
        for index, made_one in made.items():
            if isinstance(made_one, RewardsError):
                outcomes[index].error = made_one
            else:
                outcomes[index].reward = made_one
        return outcomes
    done = progress.done(recipients)
    _recorded(store_code, done, outcomes)
    emails = delivery is Delivery.EMAIL
    # Emailed rewards of the earlier run whose message may not have gone out (the consumer
    # sends each reward once, however many messages name it).
    unsent = [
        outcomes[i].reward
        for i in done
        if outcomes[i].reward is not None and outcomes[i].reward.email_status == EMAIL_QUEUED
    ]
    pending = {index: r for index, r in recipients.items() if index not in done}
    created: list[RewardModel] = []
    if pending:
        status = EMAIL_QUEUED if emails else None
        _acquire_all(campaign, pending, outcomes, status, actor, progress, transaction_id)
        created = [outcomes[i].reward for i in pending if outcomes[i].reward is not None]
        if created:
            add_metric(Metric.REWARDS_ISSUED, len(created), delivery="email" if emails else "url")
    if emails and (created or unsent):
        outbox.enqueue_owed([*unsent, *created], correlation_id)
    return outcomes


def issue_one(
    store_code: str,
    campaign_id: str,
    item: Any,
    delivery: Delivery,
    actor: str | None = None,
    correlation_id: str | None = None,
    progress: BulkProgress = NO_PROGRESS,
    transaction_id: str | None = None,
    named: bool = True,
    sandbox: bool = False,
) -> RewardModel:
    """One recipient's reward; every refusal is raised. Resumable as a list of one."""
    parse_recipient(item, delivery, named)  # an invalid body is refused before any read
    [outcome] = issue(
        store_code,
        campaign_id,
        [item],
        delivery,
        actor,
        correlation_id,
        progress,
        transaction_id,
        named,
        sandbox,
    )
    if outcome.error is not None:
        raise outcome.error
    assert outcome.reward is not None
    return outcome.reward


def new_transaction_id(progress: BulkProgress = NO_PROGRESS) -> str:
    """The id of one issuing call: random, or from a keyed request's progress (a resumed run
    is the same transaction as the run it finishes)."""
    if progress.request is not None:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"issue-transaction:{progress.request}"))
    return str(uuid.uuid4())


def transaction_rewards(store_code: str, transaction_id: str) -> list[RewardModel]:
    """The store's rewards one issuing call created, oldest first (a Query per page)."""
    return [
        reward
        for reward in RewardModel.by_issue_transaction.query(transaction_id)
        # The transaction index is not keyed by store: another store's id finds nothing here.
        if reward.store_code == store_code
    ]


class PublicQueriesTakenError(ConflictError):
    code = "public_queries_taken"
    default_message = "Another store's campaign of this id answers public queries already."


class PublicQueriesInput(InputModel):
    enabled: bool = Field(description="Whether anyone may query the campaign's rewards.")


def set_public_queries(store_code: str, campaign_id: str, params: Any) -> bool:
    """Let anyone query the campaign's rewards (Mokugift's queries asked for nothing), or stop
    it: a campaign setting, off by default. The new setting is returned."""
    get_campaign(store_code, campaign_id)  # another store's campaign: 404 whatever the body
    enabled = validate(PublicQueriesInput, params).enabled
    if not enabled:
        credentials.delete_public_queries(store_code, campaign_id)
    elif not credentials.put_public_queries(store_code, campaign_id):
        raise PublicQueriesTakenError()
    return enabled


def public_queries_store(campaign_id: str) -> str | None:
    """The store whose campaign of this id answers anyone's queries, if any."""
    return credentials.public_queries_store(campaign_id)


def rotate_passcode(store_code: str, campaign_id: str, sandbox: bool = False) -> str:
    """A new issuing passcode (`sandbox`: sandbox passcode) for the store's campaign (the old
    one stops working)."""
    get_campaign(store_code, campaign_id)
    return auth.set_passcode(store_code, campaign_id, sandbox=sandbox)


# -- reading -------------------------------------------------------------------------------
def _between(label: str, low: int, high: int) -> AfterValidator:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"The {label} must be between {low} and {high}.")
        return value

    return AfterValidator(check)


class PageQuery(InputModel):
    """`limit` asks for a page (1-100); without it every reward, from `cursor` on."""

    limit: Annotated[number_type(int), _between("limit", 1, MAX_PAGE_SIZE)] | None = None
    cursor: str | None = None


class MonthQuery(PageQuery):
    """A UTC month; neither `month` nor `year` given means this month."""

    month: Annotated[number_type(int), _between("month", 1, 12)] | None = None
    year: Annotated[number_type(int), _between("year", FIRST_YEAR, LAST_YEAR)] | None = None


@dataclass(frozen=True)
class RewardListing:
    """A campaign's rewards from the cursor on, oldest first, read as they are iterated; at
    most `limit + 1` when a page was asked for (the one past the page tells another follows)."""

    rewards: Iterator[RewardModel]
    limit: int | None


def month_span(year: int, month: int) -> tuple[datetime, datetime]:
    """The first and the last instant (to the microsecond) of a UTC month."""
    start = datetime(year, month, 1, tzinfo=UTC)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, following - timedelta(microseconds=1)


def cursor_after(reward: RewardModel) -> str:
    """The cursor that continues a listing after `reward`."""
    return encode_cursor(
        f"{RewardModel.created_at.serialize(reward.created_at)}|{reward.reward_id}"
    )


def _start_key(
    store_code: str, campaign_key: str, cursor: str, span: tuple[datetime, datetime] | None
) -> dict[str, Any]:
    """The index key to continue after; the partition always comes from the credential."""
    created, _, reward_id = decode_cursor(cursor).partition("|")
    try:
        moment = RewardModel.created_at.deserialize(created)
    except ValueError as error:
        raise MalformedRequestError("The cursor is not valid.", code="invalid_cursor") from error
    # DynamoDB refuses a start key outside the query's range: a cursor of another month.
    if not reward_id or (span is not None and not span[0] <= moment <= span[1]):
        raise MalformedRequestError("The cursor is not valid.", code="invalid_cursor")
    return start_key(
        RewardModel,
        store_code=store_code,
        reward_id=reward_id,
        campaign_key=campaign_key,
        created_at=moment,
    )


def _listing(
    store_code: str,
    campaign_id: str,
    query: PageQuery,
    span: tuple[datetime, datetime] | None,
    sandbox: bool,
) -> RewardListing:
    partition = sandbox_partition(store_code) if sandbox else store_code
    campaign_key = pool_key(partition, campaign_id)
    # A bad cursor is refused now, not once the answer has started.
    start = _start_key(partition, campaign_key, query.cursor, span) if query.cursor else None
    fetch = query.limit + 1 if query.limit is not None else None

    def rewards() -> Iterator[RewardModel]:
        # A page: one Query of one more than the page. All: the Query's own pages, in turn.
        results = RewardModel.by_campaign.query(
            campaign_key,
            RewardModel.created_at.between(*span) if span else None,
            limit=fetch,
            page_size=fetch,
            last_evaluated_key=start,
        )
        empty = True
        for reward in results:
            empty = False
            yield reward
        if empty:
            # The index is keyed by store and campaign, so rewards found prove the campaign is
            # this store's; only an empty listing needs the read telling "none" from "not found".
            get_campaign(store_code, campaign_id)

    return RewardListing(rewards(), query.limit)


def campaign_rewards(
    store_code: str, campaign_id: str, params: dict[str, Any], sandbox: bool = False
) -> RewardListing:
    """Every reward of the campaign, or a page (`limit`), from `cursor` on; `sandbox`: its
    sandbox rewards instead of its live ones."""
    return _listing(store_code, campaign_id, validate(PageQuery, params), None, sandbox)


def rewards_in_month(
    store_code: str,
    campaign_id: str,
    params: dict[str, Any],
    now: datetime | None = None,
    sandbox: bool = False,
) -> RewardListing:
    """The campaign's rewards (`sandbox`: its sandbox rewards) created in a UTC month
    (`month`, `year`: both, or neither for the month of `now`), all or a page."""
    query = validate(MonthQuery, params)
    if (query.month is None) != (query.year is None):
        missing = "year" if query.year is None else "month"
        raise InvalidInputError({missing: [f"The {missing} field is required."]})
    if query.month is None or query.year is None:
        today = now or datetime.now(UTC)
        span = month_span(today.year, today.month)
    else:
        span = month_span(query.year, query.month)
    return _listing(store_code, campaign_id, query, span, sandbox)
