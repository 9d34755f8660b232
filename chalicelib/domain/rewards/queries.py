"""Reading a campaign's Mokugift rewards: all of them or those created in one UTC month, from
the campaign + creation-time index, oldest first: every one (the Query's pages read as the
answer is built), or a page when the caller gives `limit`, continued by a cursor. `sandbox`
reads the campaign's sandbox rewards (chalicelib/domain/rewards/sandbox.py) instead of its live
ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator

from chalicelib.domain.catalog.campaigns import get_campaign
from chalicelib.domain.errors import InvalidInputError, MalformedRequestError
from chalicelib.domain.paging import decode_cursor, encode_cursor
from chalicelib.domain.rewards.reward import Reward, reward_of
from chalicelib.domain.validation import InputModel, number_type
from chalicelib.storage.campaigns import pool_key
from chalicelib.storage.paging import start_key
from chalicelib.storage.rewards import RewardModel, sandbox_partition

MAX_PAGE_SIZE = 100
TREES_PER_REWARD = 1  # the original's unit of value: each reward here carries one
FIRST_YEAR, LAST_YEAR = 2000, 2999


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

    rewards: Iterator[Reward]
    limit: int | None


@dataclass(frozen=True)
class Summary:
    """What an answer of a listing sums up: its rewards and their units of value."""

    reward_count: int

    @property
    def tree_count(self) -> int:
        return self.reward_count * TREES_PER_REWARD


def month_span(year: int, month: int) -> tuple[datetime, datetime]:
    """The first and the last instant (to the microsecond) of a UTC month."""
    start = datetime(year, month, 1, tzinfo=UTC)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, following - timedelta(microseconds=1)


def cursor_after(reward: Reward) -> str:
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

    def rewards() -> Iterator[Reward]:
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
            yield reward_of(reward)
        if empty:
            # The index is keyed by store and campaign, so rewards found prove the campaign is
            # this store's; only an empty listing needs the read telling "none" from "not found".
            get_campaign(store_code, campaign_id)

    return RewardListing(rewards(), query.limit)


def campaign_rewards(
    store_code: str, campaign_id: str, query: PageQuery, sandbox: bool = False
) -> RewardListing:
    """Every reward of the campaign, or a page (`limit`), from `cursor` on; `sandbox`: its
    sandbox rewards instead of its live ones."""
    return _listing(store_code, campaign_id, query, None, sandbox)


def rewards_in_month(
    store_code: str,
    campaign_id: str,
    query: MonthQuery,
    now: datetime | None = None,
    sandbox: bool = False,
) -> RewardListing:
    """The campaign's rewards (`sandbox`: its sandbox rewards) created in a UTC month
    (`month`, `year`: both, or neither for the month of `now`), all or a page."""
    if (query.month is None) != (query.year is None):
        missing = "year" if query.year is None else "month"
        raise InvalidInputError({missing: [f"The {missing} field is required."]})
    if query.month is None or query.year is None:
        today = now or datetime.now(UTC)
        span = month_span(today.year, today.month)
    else:
        span = month_span(query.year, query.month)
    return _listing(store_code, campaign_id, query, span, sandbox)
