"""The kinds of bulk job: each applies a chunk's rows with its single call's own code and
answers each row as that call would (its result body, or its error body).

`points.instant` is Coggins' INSTANT edit (`domain.points.accounts.instant_edit`, which records
each row's answer with its posting); `claims.create` its point claims request
(`domain.points.claims.create_claims`, each claim written with its row's record);
`recipients.import` is Alpha's recipient create (`domain.customers.recipients.create_recipient`),
each recipient written with its row's record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from chalicelib.api.alpha.recipients import render_error
from chalicelib.api.alpha.recipients_schemas import Recipient
from chalicelib.api.coggins.claims_schemas import ClaimCreated, ClaimRefused
from chalicelib.api.coggins.points_schemas import InstantError, InstantResult
from chalicelib.api.routes import shaped
from chalicelib.domain.bulk_jobs import Chunk, Kind, RowOutcome, present_fields
from chalicelib.domain.customers import recipients
from chalicelib.domain.customers.recipient_input import REQUIRED_ON_CREATE
from chalicelib.domain.errors import RewardsError, error_record, recorded_error
from chalicelib.domain.points import accounts, claim_rules, claims
from chalicelib.storage.customers import RECIPIENT_FIELDS
from chalicelib.storage.idempotency import ItemRecord


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
}
