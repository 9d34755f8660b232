"""The erasure of a recipient dies between two of its writes, or races a posting: nothing is
left half-erased, and the retry (or the erasure itself) finishes with every count right."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.customers.records import customers_count
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.storage.targeting import SegmentMemberModel, SegmentModel, segment_key
from tests.fixtures.aws import hooked_clients
from tests.fixtures.clients import STORE, bearer, body_of
from tests.fixtures.crashes import Crash, CrashPoint
from tests.fixtures.recipients import PERSONAL, WALLACE, created, entries, grant, held_anywhere
from tests.fixtures.targeting_api import add_members, create_segment

# Its writes, each a TransactWriteItems: one per segment it leaves, then the erasure itself.
CRASH_POINTS = {
    "between-the-two-segments": 1,
    "before-the-erasure": 2,
}


def in_two_segments(client: Any) -> tuple[str, list[str]]:
    recipient = created(client)
    grant(client, WALLACE["email"], 300)
    segments = [create_segment(client, name) for name in ("Gold", "Local")]
    for segment_id in segments:
        assert add_members(client, segment_id, recipient["id"]).status_code == 200
    return recipient["id"], segments


def assert_erased(recipient_id: str, segments: list[str], forfeits: list[tuple[str, int]]) -> None:
    assert held_anywhere(PERSONAL) == []
    assert [(entry.kind, int(entry.amount)) for entry in entries(recipient_id)] == forfeits
    assert customers_count(STORE) == 0
    for segment_id in segments:
        assert int(SegmentModel.get(STORE, segment_id).customers_count) == 0
        assert list(SegmentMemberModel.query(segment_key(STORE, segment_id))) == []


@pytest.mark.parametrize("at", list(CRASH_POINTS.values()), ids=list(CRASH_POINTS))
def test_a_crash_mid_erasure_leaves_it_whole_and_the_retry_finishes(client: Any, at: int) -> None:
    recipient_id, segments = in_two_segments(client)
    path = f"/recipients/{recipient_id}"

    with hooked_clients(CrashPoint("TransactWriteItems", at)), pytest.raises(Crash):
        client.delete(path, headers=bearer())

    # Not half-erased: still found by every identifier, with its points and data.
    for ref in (recipient_id, WALLACE["email"], WALLACE["public_key"]):
        found = client.get(f"/recipients/{ref}", headers=bearer())
        assert body_of(found)["balance"] == 300
        assert body_of(found)["email"] == WALLACE["email"]
    assert client.delete(path, headers=bearer()).status_code == 204
    assert_erased(recipient_id, segments, [("adjust", 300), ("expire", -300)])


class PostingMeanwhile:
    """Before the erasure's transaction, once: a posting of `amount` lands on the recipient."""

    def __init__(self, recipient_id: str, amount: int) -> None:
        self.posting = Posting(STORE, recipient_id, amount, EntryKind.ADJUST)
        self.done = False

    def __call__(self, model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems" and not self.done:
            self.done = True
            ledger.post(self.posting)


def test_points_posted_during_the_erasure_are_forfeited_too(client: Any) -> None:
    recipient = created(client)
    grant(client, WALLACE["email"], 300)

    with hooked_clients(PostingMeanwhile(recipient["id"], 25)):
        response = client.delete(f"/recipients/{recipient['id']}", headers=bearer())

    assert response.status_code == 204, response.body
    assert_erased(recipient["id"], [], [("adjust", 300), ("adjust", 25), ("expire", -325)])
