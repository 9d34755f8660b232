"""The kinds of bulk job: each applies a chunk's rows with its single call's own code and
answers each row as that call would (its result body, or its error body).

`points.instant` is Coggins' INSTANT edit (`domain.points.accounts.instant_edit`, which records
each row's answer with its posting); `claims.create` its point claims request
(`domain.points.claims.create_claims`, each claim written with its row's record);
`recipients.import` is Alpha's recipient create (`domain.customers.recipients.create_recipient`),
each recipient written with its row's record. `coupons.upload` appends a row's `code` to the job
campaign's pool as the coupons call does (`domain.catalog.coupons.put_codes`, each write with
its record; a code the pool has already is that row's error), the pool recounted once when the
job ends. `rewards.<call>` is Mokugift's single issuing call of that name (`reward`: create and
send by email, `reward_url`, `reward_url2`: by unique ID), each row one recipient given to
`domain.rewards.issuing.issue` (its reward recorded with it); the job id is the Mokugift
transaction of every reward it issues.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from chalicelib.api.alpha.recipients import render_error
from chalicelib.api.alpha.recipients_schemas import Recipient
from chalicelib.api.coggins.claims_schemas import ClaimCreated, ClaimRefused
from chalicelib.api.coggins.points_schemas import InstantError, InstantResult
from chalicelib.api.errors import default_error_body
from chalicelib.api.mokugift import issuing as mokugift
from chalicelib.api.mokugift.issuing_schemas import IssuedReward
from chalicelib.api.routes import shaped
from chalicelib.domain.bulk_jobs import Chunk, Kind, RowOutcome, present_fields
from chalicelib.domain.catalog import coupons
from chalicelib.domain.catalog.campaigns import get_campaign
from chalicelib.domain.customers import recipients
from chalicelib.domain.customers.recipient_input import REQUIRED_ON_CREATE
from chalicelib.domain.errors import (
    InvalidInputError,
    RewardsError,
    error_record,
    recorded_error,
)
from chalicelib.domain.points import accounts, claim_rules, claims
from chalicelib.domain.rewards import issuing
from chalicelib.domain.rewards import recipients as reward_recipients
from chalicelib.domain.rewards.recipients import Delivery
from chalicelib.storage.customers import RECIPIENT_FIELDS
from chalicelib.storage.idempotency import ItemRecord
from chalicelib.storage.jobs import JobModel


def instant_rows(chunk: Chunk, rows: list[Any]) -> list[RowOutcome]:
    outcomes = accounts.instant_edit(
        chunk.store_code, rows, chunk.actor, chunk.reference, chunk.progress
    )
    return [
        RowOutcome(True, shaped(InstantResult, outcome))
        if outcome.error is None
        else RowOutcome(False, shaped(InstantError, outcome.error))
        for outcome in outcomes
    ]


def _recipient_answer(store_code: str, answer: dict[str, Any]) -> RowOutcome:
    """A row recorded by an earlier run: its recipient as it is now, or its error."""
    if "error" in answer:
        return RowOutcome(False, render_error(recorded_error(answer["error"])))
    return RowOutcome(True, shaped(Recipient, recipients.get_recipient(store_code, answer["id"])))


def import_recipients(chunk: Chunk, rows: list[Any]) -> list[RowOutcome]:
    progress = chunk.progress
    done = progress.done(range(len(rows)))
    outcomes = []
    for index, row in enumerate(rows):
        if index in done:
            outcomes.append(_recipient_answer(chunk.store_code, done[index]))
            continue

        def record(customer_id: str, index: int = index) -> ItemRecord:
            return ItemRecord(progress, index, {"id": customer_id})

        try:
            customer = recipients.create_recipient(chunk.store_code, row, record)
        except RewardsError as error:
            # A taken email depends on the state: recorded, so a rerun answers the same.
            progress.record_now(index, {"error": error_record(error)})
            outcomes.append(RowOutcome(False, render_error(error)))
        else:
            outcomes.append(RowOutcome(True, shaped(Recipient, customer)))
    return outcomes


def claim_rows(chunk: Chunk, rows: list[Any]) -> list[RowOutcome]:
    outcomes = claims.create_claims(chunk.store_code, rows, chunk.actor, progress=chunk.progress)
    return [
        RowOutcome(True, shaped(ClaimCreated, outcome))
        if outcome.claim is not None
        else RowOutcome(False, shaped(ClaimRefused, outcome))
        for outcome in outcomes
    ]


class DuplicateCodeError(InvalidInputError):
    code = "duplicate_code"
    default_message = "The code is in the campaign's pool already, or earlier in the job."


def upload_coupons(chunk: Chunk, rows: list[Any]) -> list[RowOutcome]:
    assert chunk.campaign_id is not None  # the kind names its campaign
    outcomes: dict[int, RowOutcome] = {}
    codes: dict[int, str] = {}
    for index, row in enumerate(rows):
        try:
            if not isinstance(row, dict) or set(row) != {"code"}:
                raise InvalidInputError({"code": ["A row is one `code`, and nothing else."]})
            [codes[index]] = coupons.clean_codes([row["code"]])
        except InvalidInputError as error:
            outcomes[index] = RowOutcome(False, default_error_body(error))
    change = coupons.put_codes(
        chunk.store_code,
        chunk.campaign_id,
        list(codes.values()),
        append=True,
        progress=chunk.progress,
        recount_after=False,  # once, when the job ends (`recount_pool`)
    )
    added = set(change.added)
    for index, code in codes.items():
        if code in added:
            added.discard(code)  # its first mention; a later one is a duplicate
            outcomes[index] = RowOutcome(True, {"code": code})
        else:
            duplicate = DuplicateCodeError({"code": [f"{code} is in the pool already."]})
            outcomes[index] = RowOutcome(False, default_error_body(duplicate))
    return [outcomes[index] for index in range(len(rows))]


def recount_pool(job: JobModel) -> None:
    assert job.campaign_id is not None
    coupons.recount(get_campaign(job.store_code, job.campaign_id))


def reward_rows(delivery: Delivery) -> Callable[[Chunk, list[Any]], list[RowOutcome]]:
    """The rows of a `rewards.<call>` job, each one recipient of that single call."""

    def issue(chunk: Chunk, rows: list[Any]) -> list[RowOutcome]:
        assert chunk.campaign_id is not None  # the kind names its campaign
        try:
            issued = issuing.issue(
                chunk.store_code,
                chunk.campaign_id,
                reward_recipients.parse_recipients(rows, delivery),
                delivery,
                actor=chunk.actor,
                progress=chunk.progress,
                transaction_id=str(uuid.UUID(chunk.job_id)),
            )
        except RewardsError as error:
            # The campaign itself refused (gone, inactive): every row, as the call would.
            return [RowOutcome(False, mokugift.routes.render_error(error)) for _ in rows]
        return [
            RowOutcome(True, shaped(IssuedReward, outcome.reward))
            if outcome.reward is not None
            else RowOutcome(False, mokugift.routes.render_error(outcome.error))  # type: ignore[arg-type]
            for outcome in issued.outcomes
        ]

    return issue


def _whole_numbers(*names: str) -> Callable[[dict[str, str]], dict[str, Any]]:
    """A CSV row as the JSON call sends it: the columns `names` whole numbers (a cell that is
    not one stays text, for the call to refuse)."""

    def convert(row: dict[str, str]) -> dict[str, Any]:
        body = present_fields(row)
        for name in names:
            value = body.get(name)
            if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
                body[name] = int(value)
        return body

    return convert


KINDS: dict[str, Kind] = {
    "points.instant": Kind(
        instant_rows,
        frozenset(accounts.InstantEdit.model_fields),
        frozenset({"amount", "email"}),
        _whole_numbers("amount"),
    ),
    "claims.create": Kind(
        claim_rows,
        frozenset(claim_rules.ClaimRequest.model_fields),
        frozenset({"amount"}),
        _whole_numbers("amount", "expires"),
    ),
    "recipients.import": Kind(
        import_recipients, frozenset(RECIPIENT_FIELDS), frozenset(REQUIRED_ON_CREATE)
    ),
    "coupons.upload": Kind(
        upload_coupons, frozenset({"code"}), frozenset({"code"}), campaign=True, finish=recount_pool
    ),
    **{
        f"rewards.{call}": Kind(
            reward_rows(delivery),
            frozenset(model.model_fields),
            frozenset({"unique_id" if delivery is Delivery.UNIQUE_ID else "email"}),
            campaign=True,
        )
        for call, delivery, model in (
            ("reward", Delivery.EMAIL, reward_recipients.EmailRecipientInput),
            ("reward_url", Delivery.URL, reward_recipients.EmailRecipientInput),
            ("reward_url2", Delivery.UNIQUE_ID, reward_recipients.UniqueIdRecipientInput),
        )
    },
}
