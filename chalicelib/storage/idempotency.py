"""The idempotency table: one record per keyed request, and the progress of bulk requests.

A request record (`request#<scoped key>`) holds its key while the request runs (`INPROGRESS`,
for a lease: `in_progress_expiration`, epoch milliseconds), then the stored answer (`COMPLETED`,
`data`) or, when there is none to keep, nothing but the request's digest (`RELEASED`), until
`expiration` (epoch seconds; DynamoDB's TTL deletes it later). `validation` is
the digest of the request the key was first sent with; every condition is checked by DynamoDB
on the one conditional PutItem that takes the key, so two runs never hold it at once, and a
run whose lease ended (a crashed request) can be taken over only by the same request.

A bulk request sent with an Idempotency-Key records what each of its items answered in an item
of its own (`progress#<request>#<part>`), written in the same transaction as the item's effect
under `attribute_not_exists`. A retry of a request that died part-way reads them back
(`BulkProgress.done`), skips those items and answers them as recorded: one effect per item,
and the answer one uninterrupted run would have given. They expire with the request record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib.storage.base import table
from chalicelib.storage.errors import ConditionFailedError, FailedItem
from chalicelib.storage.tables import TableModel

BATCH_GET = 100  # BatchGetItem's limit
IN_PROGRESS = "INPROGRESS"
COMPLETED = "COMPLETED"
RELEASED = "RELEASED"  # ran without an answer to keep (a fault): the next run resumes it


class ProgressTakenError(Exception):
    """Another run of the same request recorded this item first (it outlived its lease)."""


class KeyReusedError(Exception):
    """The key was taken by a different request."""


class KeyHeldError(Exception):
    """The same request holds the key, and its lease has not ended."""


@table("idempotency", ttl_attribute="expiration")
class IdempotencyRecordModel(TableModel):
    class Meta:
        pass

    id = UnicodeAttribute(hash_key=True)
    expiration = NumberAttribute()  # epoch seconds
    # Request records.
    status = UnicodeAttribute(null=True)
    in_progress_expiration = NumberAttribute(null=True)  # epoch milliseconds: the lease
    validation = UnicodeAttribute(null=True)  # digest of the request
    data = UnicodeAttribute(null=True)  # JSON: the stored answer
    # Progress items.
    answer = UnicodeAttribute(null=True)  # JSON: what the item answered
    tally = NumberAttribute(null=True)  # a running count of a phase (`BulkProgress.add_up`)


@dataclass(frozen=True)
class Taken:
    """The key is this request's now; `resumed` when it was taken over from a run that died
    (its lease ended) and may have applied some items. `stored`: the answer it kept instead."""

    resumed: bool = False
    stored: Any = None


def take_key(record_id: str, validation: str, lease_until: int, ttl_seconds: int) -> Taken:
    """Hold the key for this request until `lease_until` (epoch ms), or find its answer.

    `KeyReusedError` when another request has the key, `KeyHeldError` when this one holds it
    and its lease has not ended. A fresh key costs one conditional PutItem.
    """
    now = time.time()
    model = IdempotencyRecordModel
    record = model(
        record_id,
        status=IN_PROGRESS,
        in_progress_expiration=lease_until,
        validation=validation,
        expiration=int(now) + ttl_seconds,
    )
    free = model.id.does_not_exist() | (model.expiration < int(now))
    dead = (model.validation == validation) & (
        (model.status == RELEASED)
        | ((model.status == IN_PROGRESS) & (model.in_progress_expiration < int(now * 1000)))
    )
    for condition, resumed in ((free, False), (dead, True)):
        with contextlib.suppress(ConditionFailedError):  # taken: look at who holds it
            record.save(condition=condition)
            return Taken(resumed=resumed)
        if resumed:
            break
        try:
            held = model.get(record_id, consistent_read=True)
        except DoesNotExist:  # released meanwhile: the caller's retry will take it
            break
        if held.validation != validation:
            raise KeyReusedError()
        if held.status == COMPLETED and held.data is not None:
            return Taken(stored=json.loads(held.data))
    raise KeyHeldError()


def store_answer(record_id: str, answer: Any, ttl_seconds: int) -> None:
    """Keep the answer of the request holding the key, for `ttl_seconds`."""
    model = IdempotencyRecordModel
    model(record_id).update(
        actions=[
            model.status.set(COMPLETED),
            model.data.set(json.dumps(answer, separators=(",", ":"))),
            model.expiration.set(int(time.time()) + ttl_seconds),
            model.in_progress_expiration.remove(),
        ]
    )


def release_key(record_id: str, lease_until: int) -> None:
    """Free the key of a request whose answer is not kept (a fault, a secret), so that a retry
    runs it again, resuming what it applied: the record stays, bound to this request. A key
    another run took over (with another lease) is left to that run."""
    model = IdempotencyRecordModel
    with contextlib.suppress(ConditionFailedError):  # another run holds it now
        model(record_id).update(
            actions=[model.status.set(RELEASED), model.in_progress_expiration.remove()],
            condition=(model.status == IN_PROGRESS) & (model.in_progress_expiration == lease_until),
        )


@dataclass(frozen=True)
class BulkProgress:
    """Where one keyed bulk request records its items' answers; `NO_PROGRESS` when unkeyed.

    `request` identifies (principal, Idempotency-Key, request fingerprint), so progress is
    never shared by two principals or two different requests.
    """

    request: str | None = None
    ttl_seconds: int = 0
    resumed: bool = False  # an earlier run may have recorded items; else none is read

    @property
    def active(self) -> bool:
        return self.request is not None

    @property
    def actions_per_item(self) -> int:
        """How many transaction actions recording one item costs."""
        return 1 if self.active else 0

    def _key(self, index: int | str) -> str:
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
        """The recorded answers among `indexes` (BatchGetItem, 100 a call); {} without a run
        before this one."""
        if self.request is None or not self.resumed:
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
        except ConditionFailedError as error:
            raise ProgressTakenError() from error

    def add_up(self, transaction: TransactWrite, name: str, amount: int) -> None:
        """Add `amount` to the tally `name` in the transaction whose effect it counts."""
        if self.request is not None:
            model = IdempotencyRecordModel
            transaction.update(
                model(self._key(name)),
                actions=[
                    model.tally.add(amount),
                    model.expiration.set(int(time.time()) + self.ttl_seconds),
                ],
            )

    def tallied(self, name: str) -> int:
        """What earlier runs of this request added up under `name`."""
        if self.request is None or not self.resumed:
            return 0
        try:
            item = IdempotencyRecordModel.get(self._key(name), consistent_read=True)
        except DoesNotExist:
            return 0
        return int(item.tally or 0)

    def record_many(self, answers: dict[int, Any]) -> None:
        """Record the answers of items that had no effect (refusals), BatchWriteItem 25 a call."""
        if self.request is None or not answers:
            return
        with IdempotencyRecordModel.batch_write() as batch:
            for index, answer in answers.items():
                batch.save(self._item(index, answer))

    @staticmethod
    def raise_if_taken(failures: Iterable[FailedItem], cause: Exception) -> None:
        """`ProgressTakenError` when a transaction was cancelled because another run recorded
        one of its items (that run applied it; this one must not)."""
        if any(f.model is IdempotencyRecordModel and f.condition_failed for f in failures):
            raise ProgressTakenError() from cause


NO_PROGRESS = BulkProgress()


@dataclass(frozen=True)
class ItemRecord:
    """One item's answer, to write with the transaction that applies the item."""

    progress: BulkProgress
    index: int
    answer: Any

    def add_to(self, transaction: TransactWrite) -> None:
        self.progress.record(transaction, self.index, self.answer)


def request_digest(*parts: str | bytes) -> str:
    """One SHA-256 of `parts`, each delimited, so no key or body is kept in plain."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()
