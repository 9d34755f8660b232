"""The idempotency table: Powertools' request records, and the progress of bulk requests.

Request records are read and written by `aws_lambda_powertools.utilities.idempotency` (only
their key is declared here, so the table is deployed and bootstrapped like every other one).

A bulk request sent with an Idempotency-Key records what each of its items answered in an item
of its own (`progress#<request>#<part>`), written in the same transaction as the item's effect
under `attribute_not_exists`. A retry of a request that died part-way reads them back
(`BulkProgress.done`), skips those items and answers them as recorded: one effect per item,
and the answer one uninterrupted run would have given. They expire with the request record.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.transactions import TransactWrite

from chalicelib.storage.base import FailedItem, table
from chalicelib.storage.tables import TableModel

BATCH_GET = 100  # BatchGetItem's limit


class ProgressTakenError(Exception):
    """Another run of the same request recorded this item first (it outlived its lease)."""


@table("idempotency", ttl_attribute="expiration")
class IdempotencyRecordModel(TableModel):
    class Meta:
        pass

    id = UnicodeAttribute(hash_key=True)
    # Progress items only (Powertools' own records have more, undeclared, attributes).
    answer = UnicodeAttribute(null=True)  # JSON: what the item answered
    expiration = NumberAttribute(null=True)  # epoch seconds; DynamoDB's TTL deletes it later


@dataclass(frozen=True)
class BulkProgress:
    """Where one keyed bulk request records its items' answers; `NO_PROGRESS` when unkeyed.

    `request` identifies (principal, Idempotency-Key, request fingerprint), so progress is
    never shared by two principals or two different requests.
    """

    request: str | None = None
    ttl_seconds: int = 0

    @property
    def active(self) -> bool:
        return self.request is not None

    @property
    def actions_per_item(self) -> int:
        """How many transaction actions recording one item costs."""
        return 1 if self.active else 0

    def part(self, name: str) -> BulkProgress:
        """The progress of one phase of the request (its own item numbering)."""
        if self.request is None:
            return self
        return BulkProgress(f"{self.request}#{name}", self.ttl_seconds)

    def _key(self, index: int) -> str:
        return f"progress#{self.request}#{index}"

    def _item(self, index: int, answer: Any) -> IdempotencyRecordModel:
        return IdempotencyRecordModel(
            self._key(index),
            answer=json.dumps(answer, separators=(",", ":")),
            expiration=int(time.time()) + self.ttl_seconds,
        )

    def _condition(self) -> Any:
        # An expired record not yet deleted by the TTL counts as absent.
        return IdempotencyRecordModel.id.does_not_exist() | (
            IdempotencyRecordModel.expiration < int(time.time())
        )

    def done(self, indexes: Iterable[int]) -> dict[int, Any]:
        """The recorded answers among `indexes` (BatchGetItem, 100 a call); {} when unkeyed."""
        if self.request is None:
            return {}
        by_key = {self._key(index): index for index in indexes}
        keys = list(by_key)
        now = int(time.time())
        answers: dict[int, Any] = {}
        for start in range(0, len(keys), BATCH_GET):
            for item in IdempotencyRecordModel.batch_get(
                keys[start : start + BATCH_GET], consistent_read=True
            ):
                if item.answer is not None and (item.expiration or 0) >= now:
                    answers[by_key[item.id]] = json.loads(item.answer)
        return answers

    def record(self, transaction: TransactWrite, index: int, answer: Any) -> None:
        """Record item `index`'s answer in the transaction that makes its effect."""
        if self.request is not None:
            transaction.save(self._item(index, answer), condition=self._condition())

    def record_now(self, index: int, answer: Any) -> None:
        """Record the answer of an item that had no effect (a refusal that depends on state)."""
        if self.request is None:
            return
        try:
            self._item(index, answer).save(condition=self._condition())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise ProgressTakenError() from error
            raise

    @staticmethod
    def raise_if_taken(failures: Iterable[FailedItem], cause: Exception) -> None:
        """`ProgressTakenError` when a transaction was cancelled because another run recorded
        one of its items (that run applied it; this one must not)."""
        if any(
            f.model is IdempotencyRecordModel and f.code == "ConditionalCheckFailed"
            for f in failures
        ):
            raise ProgressTakenError() from cause


NO_PROGRESS = BulkProgress()


def request_digest(*parts: str | bytes) -> str:
    """One SHA-256 of `parts`, each delimited, so no key or body is kept in plain."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()
