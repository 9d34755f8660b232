"""Mokugift issuing: rewards sent free to recipients, one or a thousand per call; the
campaign's passcodes and whether it answers public queries.

A recipient (chalicelib/domain/rewards/recipients.py) is given either by email or by
`unique_id`, the ID the caller's own system knows them by, stored as the customer's public key
so the recipients API finds them too. Issuing goes through `handout.acquire`, the one
function that also sells a campaign, so the campaign's activity, limits, limit per user and
coupon pool are enforced by the same conditions everywhere.

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

A call made with the campaign's sandbox passcode (`sandbox=True`) validates the same way and
then makes sandbox rewards instead (chalicelib/domain/rewards/sandbox.py): nothing used up, created,
sent or counted; the readings (chalicelib/domain/rewards/queries.py) take `sandbox` to list
those instead of the live ones.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from chalicelib.domain.access import auth
from chalicelib.domain.catalog.campaigns import ensure_active, get_campaign
from chalicelib.domain.customers.records import new_customer
from chalicelib.domain.errors import ConflictError, RewardsError, error_record, recorded_error
from chalicelib.domain.rewards import sandbox as sandbox_rewards
from chalicelib.domain.rewards.grants import Grant, Recipient
from chalicelib.domain.rewards.handout import acquire, recorded_rewards
from chalicelib.domain.rewards.recipients import Delivery
from chalicelib.domain.rewards.reward import Reward, reward_of
from chalicelib.domain.validation import InputModel
from chalicelib.mail import outbox
from chalicelib.observability import Metric, add_metric
from chalicelib.storage import credentials
from chalicelib.storage.campaigns import CampaignModel
from chalicelib.storage.customers import UniqueValueModel, unique_email_pk, unique_public_key_pk
from chalicelib.storage.idempotency import NO_PROGRESS, BulkProgress
from chalicelib.storage.rewards import EMAIL_QUEUED, ISSUED, RewardModel


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
class _Settled:
    """One recipient of a request while it is issued: its reward, or why it got none."""

    reward: RewardModel | None = None
    error: RewardsError | None = None


@dataclass(frozen=True)
class IssueOutcome:
    """One recipient of a request, at its place (`index`, from 0): its reward, or why it got
    none."""

    index: int
    reward: Reward | None
    error: RewardsError | None

    @property
    def created(self) -> bool:
        return self.reward is not None


@dataclass(frozen=True)
class Issued:
    """What an issuing call did: its transaction and one outcome per recipient, in order."""

    transaction_id: str
    outcomes: list[IssueOutcome]

    @property
    def created(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.created)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.created


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
    outcomes: list[_Settled],
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


def _recorded(store_code: str, answers: dict[int, Any], outcomes: list[_Settled]) -> None:
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
    recipients: Sequence[Recipient | RewardsError],
    delivery: Delivery,
    actor: str | None = None,
    correlation_id: str | None = None,
    progress: BulkProgress = NO_PROGRESS,
    sandbox: bool = False,
    transaction_id: str | None = None,
) -> Issued:
    """A reward for every recipient (`recipients.parse_recipients`; one that is an error did
    not parse and is refused with it); outcomes in the order of `recipients`.

    The call's transaction (`transaction_id`, else `new_transaction_id`: a bulk job names its
    own) is stored on every reward created; `sandbox`:
    sandbox rewards, nothing used up or sent (chalicelib/domain/rewards/sandbox.py). A missing
    or inactive campaign refuses the whole call; anything else (an invalid recipient, a limit
    reached, no coupon left) refuses only the recipients it concerns. With a keyed request's
    `progress`, each recipient's reward is recorded in the transaction that writes it (a
    refusal after its round), and a retry after a crash answers the recipients an earlier run
    settled as it did, issuing only the others.
    """
    transaction_id = transaction_id or new_transaction_id(progress)
    campaign = get_campaign(store_code, campaign_id)
    ensure_active(campaign, datetime.now(UTC))
    outcomes = [_Settled(error=r if isinstance(r, RewardsError) else None) for r in recipients]
    valid = {index: r for index, r in enumerate(recipients) if isinstance(r, Recipient)}
    emails = delivery is Delivery.EMAIL
    if sandbox:
        made = sandbox_rewards.issue(campaign, valid, emails, actor, progress, transaction_id)
        for index, made_one in made.items():
            if isinstance(made_one, RewardsError):
                outcomes[index].error = made_one
            else:
                outcomes[index].reward = made_one
    else:
        _issue_live(
            campaign, valid, outcomes, emails, actor, correlation_id, progress, transaction_id
        )
    return Issued(
        transaction_id,
        [
            IssueOutcome(index, None if o.reward is None else reward_of(o.reward), o.error)
            for index, o in enumerate(outcomes)
        ],
    )


def _issue_live(
    campaign: CampaignModel,
    recipients: dict[int, Recipient],
    outcomes: list[_Settled],
    emails: bool,
    actor: str | None,
    correlation_id: str | None,
    progress: BulkProgress,
    transaction_id: str,
) -> None:
    """`issue`'s live rewards: what an earlier run settled, then the others, then their
    emails queued."""
    done = progress.done(recipients)
    _recorded(campaign.store_code, done, outcomes)
    # Emailed rewards of the earlier run whose message may not have gone out (the consumer
    # sends each reward once, however many messages name it).
    unsent = [
        reward
        for i in done
        if (reward := outcomes[i].reward) is not None and reward.email_status == EMAIL_QUEUED
    ]
    pending = {index: r for index, r in recipients.items() if index not in done}
    created: list[RewardModel] = []
    if pending:
        status = EMAIL_QUEUED if emails else None
        _acquire_all(campaign, pending, outcomes, status, actor, progress, transaction_id)
        created = [r for i in pending if (r := outcomes[i].reward) is not None]
        if created:
            add_metric(Metric.REWARDS_ISSUED, len(created), delivery="email" if emails else "url")
    if emails and (created or unsent):
        outbox.enqueue_owed([*unsent, *created], correlation_id)


def issue_one(
    store_code: str,
    campaign_id: str,
    recipient: Recipient,
    delivery: Delivery,
    actor: str | None = None,
    correlation_id: str | None = None,
    progress: BulkProgress = NO_PROGRESS,
    sandbox: bool = False,
) -> Issued:
    """An issuing call for one recipient: its one outcome has the reward, every refusal is
    raised. Resumable as a list of one."""
    issued = issue(
        store_code, campaign_id, [recipient], delivery, actor, correlation_id, progress, sandbox
    )
    [outcome] = issued.outcomes
    if outcome.error is not None:
        raise outcome.error
    return issued


def new_transaction_id(progress: BulkProgress = NO_PROGRESS) -> str:
    """The id of one issuing call: random, or from a keyed request's progress (a resumed run
    is the same transaction as the run it finishes)."""
    if progress.request is not None:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"issue-transaction:{progress.request}"))
    return str(uuid.uuid4())


def transaction_rewards(store_code: str, transaction_id: str) -> list[Reward]:
    """The store's rewards one issuing call created, oldest first (a Query per page)."""
    return [
        reward_of(reward)
        for reward in RewardModel.by_issue_transaction.query(transaction_id)
        # The transaction index is not keyed by store: another store's id finds nothing here.
        if reward.store_code == store_code
    ]


class PublicQueriesTakenError(ConflictError):
    code = "public_queries_taken"
    default_message = "Another store's campaign of this id answers public queries already."


class PublicQueriesInput(InputModel):
    enabled: bool = Field(description="Whether anyone may query the campaign's rewards.")


@dataclass(frozen=True)
class PublicQueries:
    """Whether anyone may query the campaign's rewards."""

    campaign_id: str
    public_queries: bool


def set_public_queries(
    store_code: str, campaign_id: str, enabled: Callable[[], bool]
) -> PublicQueries:
    """Let anyone query the campaign's rewards (Mokugift's queries asked for nothing), or stop
    it: a campaign setting, off by default. The new setting is returned. `enabled` gives the
    setting asked for once the campaign is known to be the store's: another store's campaign
    is not found, whatever the request's body."""
    get_campaign(store_code, campaign_id)
    setting = enabled()
    if not setting:
        credentials.delete_public_queries(store_code, campaign_id)
    elif not credentials.put_public_queries(store_code, campaign_id):
        raise PublicQueriesTakenError()
    return PublicQueries(campaign_id, setting)


def public_queries_store(campaign_id: str) -> str | None:
    """The store whose campaign of this id answers anyone's queries, if any."""
    return credentials.public_queries_store(campaign_id)


@dataclass(frozen=True)
class NewPasscode:
    """A campaign's new passcode, shown once."""

    campaign_id: str
    passcode: str


def rotate_passcode(store_code: str, campaign_id: str, sandbox: bool = False) -> NewPasscode:
    """A new issuing passcode (`sandbox`: sandbox passcode) for the store's campaign (the old
    one stops working)."""
    get_campaign(store_code, campaign_id)
    return NewPasscode(campaign_id, auth.set_passcode(store_code, campaign_id, sandbox=sandbox))
