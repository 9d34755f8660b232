"""One customer's purchases, as Open Loyalty's clients read and settle them.

- The bought list of one customer (`GET /admin/customer/{customer}/campaign/bought`, the
  seller's twin path, and the customer's own `GET /customer/campaign/bought`): the rows of the
  store's bought list (chalicelib/domain/catalog/bought.py) that are the customer's, read from the
  rewards' and payouts' customer indexes, under `campaigns` as Open Loyalty answers;
  `includeDetails=true` adds each row's campaign as the caller's role sees campaigns.
- Marking many bought coupons used or unused at once (`POST /admin/campaign/coupons/
  mark_as_used`): every coupon under the same rules as one (`bought.usage_change`), all in one
  DynamoDB transaction, so either all change or none does; one that is unknown, not that
  customer's or campaign's, of another code, or refused by the rules is a 400 naming it. The
  coupons marked used are listed by one `coupon.used` event in the same transaction. A
  transaction holds at most 100 items, that event one of them, so a request marks at most 99
  coupons (Open Loyalty has no such cap; one event per coupon would halve it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator, model_validator

from chalicelib.domain.catalog import bought, coupon_usage, entries
from chalicelib.domain.catalog.bought_query import BoughtQuery
from chalicelib.domain.catalog.campaign_form import FORM_CONFIG, Flag, line_text
from chalicelib.domain.catalog.forms import OpenLoyaltyForm
from chalicelib.domain.catalog.views import campaign_view
from chalicelib.domain.customers import records
from chalicelib.domain.errors import InvalidInputError
from chalicelib.domain.events import event_log
from chalicelib.domain.validation import InputModel
from chalicelib.storage.errors import TransactionCancelledError
from chalicelib.storage.rewards import RewardModel
from chalicelib.storage.transactions import Transaction

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit of items in one transaction
MAX_COUPONS = MAX_TRANSACTION_ITEMS - 1  # and one for the `coupon.used` event
NonBlank = StringConstraints(min_length=1)
Key = Annotated[line_text(bought.MAX_ID_LENGTH), NonBlank]


class CustomerBoughtQuery(BoughtQuery):
    """The bought list's query string, and `includeDetails` with how the campaigns are shown
    (`_locale`, `format`)."""

    includeDetails: Flag = None
    locale: str | None = Field(None, alias="_locale")
    format: str | None = None


@dataclass(frozen=True)
class CustomerBought:
    """A page of one customer's bought rows (with their `campaign` when asked) and how many
    match."""

    rows: list[bought.BoughtRow]
    total: int


def customer_bought(
    store_code: str, customer_id: str, wanted: CustomerBoughtQuery, internal: bool
) -> CustomerBought:
    """A page of the customer's bought campaigns and how many match (404 for a customer the
    store does not have); `internal`: campaigns in the admin's view."""
    records.get_customer(store_code, customer_id)
    page = bought.bought_page(store_code, wanted, customer_id)
    rows = page.rows
    if wanted.includeDetails:
        shown = [campaign for campaign in page.campaigns if campaign is not None]
        shape = {"_locale": wanted.locale, "format": wanted.format}
        view = entries.list_query({k: v for k, v in shape.items() if v is not None}).view(internal)
        lookups = entries.Lookups.of(store_code, shown)
        rows = [
            replace(row, campaign=campaign_view(campaign, view, lookups))
            if campaign is not None
            else row
            for row, campaign in zip(rows, page.campaigns, strict=True)
        ]
    return CustomerBought(rows, page.total)


class CouponMark(InputModel):
    model_config = FORM_CONFIG

    customerId: Key
    campaignId: Key
    couponId: Key
    code: Annotated[line_text(255), NonBlank]
    used: bool


class CouponMarks(OpenLoyaltyForm):
    """`coupons[i][customerId|campaignId|couponId|code|used]`: at most `MAX_COUPONS`, each
    coupon once."""

    coupons: list[CouponMark]

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise InvalidInputError({"coupons": ["Send the coupons as coupons[i][...]."]})
        return data

    @field_validator("coupons")
    @classmethod
    def _bounded(cls, coupons: list[CouponMark]) -> list[CouponMark]:
        if not coupons:
            raise ValueError("Send at least one coupon.")
        if len(coupons) > MAX_COUPONS:
            raise ValueError(f"At most {MAX_COUPONS} coupons per request.")
        return coupons

    @model_validator(mode="after")
    def _each_once(self) -> CouponMarks:
        seen: dict[str, int] = {}
        for index, mark in enumerate(self.coupons):
            if mark.couponId in seen:
                message = f"The same coupon as coupons[{seen[mark.couponId]}]."
                raise InvalidInputError({f"coupons.{index}.couponId": [message]})
            seen[mark.couponId] = index
        return self


@dataclass(frozen=True)
class Marked:
    """A coupon as it is now: the mark sent, and when it was used (None: unused)."""

    customer_id: str
    campaign_id: str
    coupon_id: str
    code: str
    used: bool
    usage_date: datetime | None


def mark_coupons(store_code: str, form: CouponMarks, now: datetime | None = None) -> list[Marked]:
    """Mark every coupon of the form used or unused, all or none; InvalidInputError (400)
    naming the first coupon refused."""
    marks = form.coupons
    now = now or datetime.now(UTC)
    transaction = Transaction()
    try:
        with transaction:
            for mark in marks:
                actions, condition = coupon_usage.usage_change(
                    mark.customerId, mark.campaignId, mark.used, now
                )
                transaction.update(
                    RewardModel(store_code, mark.couponId),
                    actions=actions,
                    condition=condition & (RewardModel.coupon_code == mark.code),
                    return_values="ALL_OLD",
                )
            used = [
                event_log.used_coupon(mark.couponId, mark.campaignId, mark.customerId)
                for mark in marks
                if mark.used
            ]
            if used:
                event_log.coupons_used(transaction, store_code, used, now)
    except TransactionCancelledError as error:
        refused = error.refused(RewardModel)
        if not refused:
            raise  # only busy: nothing was written, and the answer says to retry
        index = next(i for i, m in enumerate(marks) if m.couponId == refused[0].key["reward_id"])
        raise InvalidInputError(
            {f"coupons.{index}.couponId": [_why(marks[index], refused[0].old_item, now)]}
        ) from error
    return [
        Marked(
            mark.customerId,
            mark.campaignId,
            mark.couponId,
            mark.code,
            mark.used,
            now if mark.used else None,
        )
        for mark in marks
    ]


def _why(mark: CouponMark, reward: RewardModel | None, now: datetime) -> str:
    if reward is not None and (reward.coupon_code or "") != mark.code:
        reward = None  # another coupon's id: as unknown as one that does not exist
    return coupon_usage.usage_refusal(reward, mark.customerId, mark.campaignId, now).message
