"""Section 5: growth, whether a page costs the same with 100 and with 10,000 items behind it.

A store of its own gets one real recipient and one real reward through the API; copies of
those items (new keys) are written with BatchWriteItem straight to the tables until the store
has 100 customers and its campaign 100 rewards this month and 100 users (usage items), then
10,000 of each. Every customer holds one level and is in one segment, which two campaigns
target (so each is offered to every customer: its `visibleForCustomersCount` is 100, then
10,000). At each size
the recipient list, the rewards of the month, the admin campaign list and the list of the
two targeted campaigns are timed, in turns
with their floor: the request's own page Query made again with a plain client. moto's Query
reads the whole partition, so even the floor slows as the table grows; the latency figure is
the app's growth over the floor's growth, (app large / app small) / (floor large / floor
small). The items-read figure counts what DynamoDB would bill: items examined per request.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.bulk import raw_batch_write
from bench.stack import Stack, jwt, plain_client, replay
from bench.stats import Figure, interleaved, median, ratio
from chalicelib.storage.campaigns import pool_key

TARGET = "<= 1.3"
STORE = "GROW"
API_KEY = "bench-grow-api-key-0123456789"
PASSCODE = "bench-grow-passcode"
SIZES = (100, 10_000)
PAGE = 20
TARGETED_TYPE = "discount_code"  # the two targeted campaigns, listed on their own


def _raw_item(table: str, key: dict[str, str]) -> dict[str, Any]:
    answer = plain_client("dynamodb").get_item(
        TableName=table, Key={name: {"S": value} for name, value in key.items()}
    )
    return dict(answer["Item"])


def _copies(item: dict[str, Any], count: int, unique: Callable[[str], dict[str, Any]]) -> Any:
    return [{**item, **unique(uuid.uuid4().hex)} for _ in range(count)]


class Seeded:
    """The store's one customer and one reward, and how many of each it has so far."""

    def __init__(self, stack: Stack) -> None:
        from chalicelib.config import get_settings
        from chalicelib.domain.access import auth, stores
        from tests.fixtures.factories import make_campaign

        stores.create_store(STORE, country_code="gb")
        auth.create_api_key(STORE, key=API_KEY)
        self.campaign_id = make_campaign(STORE, name="Growth").campaign_id
        auth.set_passcode(STORE, self.campaign_id, passcode=PASSCODE)
        headers = {"X-Passcode": PASSCODE, "Content-Type": "application/json"}
        person = {"email": "grow@example.com", "first_name": "Grow", "last_name": "Th"}
        issued = stack.client.post(
            f"/api/reward_url/{self.campaign_id}", headers=headers, body=json.dumps(person)
        )
        reward_id = json.loads(issued.body)["rewardId"]
        settings = get_settings()
        self.levels_table = settings.table_name("levels")
        self.segments_table = settings.table_name("segments")
        self.members_table = settings.table_name("segment-members")
        self.audiences_table = settings.table_name("audiences")
        self.customers_table = settings.table_name("customers")
        self.rewards_table = settings.table_name("rewards")
        self.counts_table = settings.table_name("customer-counts")
        self.usage_table = settings.table_name("campaign-usage")
        self.campaigns_table = settings.table_name("campaigns")
        self.reward = _raw_item(self.rewards_table, {"store_code": STORE, "reward_id": reward_id})
        self._target(self.reward["customer_id"]["S"])  # before the customer item is copied
        self.customer = _raw_item(
            self.customers_table,
            {"store_code": STORE, "customer_id": self.reward["customer_id"]["S"]},
        )
        self.usage = _raw_item(
            self.usage_table,
            {
                "pool": pool_key(STORE, self.campaign_id),
                "customer_id": self.reward["customer_id"]["S"],
            },
        )
        self.member = _raw_item(
            self.members_table,
            {
                "segment_key": f"{STORE}#{self.segment_id}",
                "customer_id": self.customer["customer_id"]["S"],
            },
        )
        self.count = 1

    def _target(self, customer_id: str) -> None:
        """The customer in a level and a segment, each targeted by a campaign (as an admin
        makes them: the counts kept from the start)."""
        from chalicelib.domain.catalog import audiences, targeting
        from tests.fixtures.factories import make_campaign

        self.level_id = targeting.create_level(
            STORE, targeting.LevelInput.of(name="Growth")
        ).level_id
        segment = targeting.create_segment(STORE, targeting.SegmentInput.of(name="Growth"))
        self.segment_id = segment.segment_id
        self.audience_id = audiences.audience_id([self.segment_id])
        targeting.set_customer_level(
            STORE, customer_id, targeting.LevelChoice(levelId=self.level_id)
        )
        targeting.add_members(
            STORE, self.segment_id, targeting.MembersInput(customers=[customer_id])
        )
        for name, target in (("By level", "level"), ("By segment", "segment")):
            make_campaign(
                STORE,
                name=name,
                reward=TARGETED_TYPE,
                target=target,
                levels=[self.level_id] if target == "level" else [],
                segments=[self.segment_id] if target == "segment" else [],
            )
        targeting.count_audience(STORE, "segment", [self.segment_id])

    def grow_to(self, size: int) -> None:
        more = size - self.count
        ids = [uuid.uuid4().hex for _ in range(more)]
        customers = [
            {
                **self.customer,
                "customer_id": {"S": new},
                "email": {"S": f"{new}@example.com"},
                "email_key": {"S": f"{STORE}#{new}@example.com"},
            }
            for new in ids
        ]
        usage = [{**self.usage, "customer_id": {"S": new}} for new in ids]
        members = [{**self.member, "customer_id": {"S": new}} for new in ids]
        rewards = _copies(
            self.reward, more, lambda new: {"reward_id": {"S": new}, "token": {"S": new}}
        )
        raw_batch_write([(self.customers_table, item) for item in customers])
        raw_batch_write([(self.usage_table, item) for item in usage])
        raw_batch_write([(self.rewards_table, item) for item in rewards])
        raw_batch_write([(self.members_table, item) for item in members])
        # The copies counted, as the creating transactions do: in the store's customer count
        # and in the campaign's count of users.
        dynamodb = plain_client("dynamodb")
        dynamodb.update_item(
            TableName=self.counts_table,
            Key={"store_code": {"S": STORE}, "shard": {"N": "0"}},
            UpdateExpression="ADD customers :more",
            ExpressionAttributeValues={":more": {"N": str(more)}},
        )
        dynamodb.update_item(
            TableName=self.campaigns_table,
            Key={"store_code": {"S": STORE}, "campaign_id": {"S": self.campaign_id}},
            UpdateExpression="ADD users_count :more",
            ExpressionAttributeValues={":more": {"N": str(more)}},
        )
        # Each copy holds the level and is in the segment (copied with the customer item).
        for table, key in (
            (self.levels_table, {"store_code": STORE, "level_id": self.level_id}),
            (self.segments_table, {"store_code": STORE, "segment_id": self.segment_id}),
            (self.audiences_table, {"store_code": STORE, "audience_id": self.audience_id}),
        ):
            dynamodb.update_item(
                TableName=table,
                Key={name: {"S": value} for name, value in key.items()},
                UpdateExpression="ADD customers_count :more",
                ExpressionAttributeValues={":more": {"N": str(more)}},
            )
        self.count = size


def _requests(stack: Stack, seeded: Seeded) -> dict[str, Callable[[], Any]]:
    today = datetime.now(UTC)
    key = {"Authorization": f"Bearer {API_KEY}"}
    admin = jwt("admin", STORE)
    month = f"/api/rewards_in_month/{seeded.campaign_id}/{today.month}/{today.year}"
    return {
        "recipient list": lambda: stack.client.get(f"/recipients?per_page={PAGE}", headers=key),
        "rewards of a month": lambda: stack.client.get(f"{month}?limit={PAGE}", headers=key),
        "campaign list": lambda: stack.client.get(
            f"/api/{STORE}/campaign?perPage={PAGE}", headers=admin
        ),
        "targeted campaign list": lambda: stack.client.get(
            f"/api/{STORE}/campaign?perPage={PAGE}&campaignType={TARGETED_TYPE}", headers=admin
        ),
    }


def _measure_size(
    stack: Stack, requests: dict[str, Callable[[], Any]], repetitions: int
) -> dict[str, tuple[float, float, int]]:
    """Per request: (app median, floor median, items read) at the table's current size."""
    actions: dict[str, Callable[[], Any]] = {}
    read: dict[str, int] = {}
    for name, request in requests.items():
        request()  # warm
        with stack.log.record() as made:
            request()
        read[name] = stack.log.read
        page_query = next(call for call in made if call.operation == "Query")
        actions[name] = request
        actions[f"{name} floor"] = lambda page_query=page_query: replay([page_query])
    samples = interleaved(actions, repetitions)
    return {
        name: (median(samples[name]), median(samples[f"{name} floor"]), read[name])
        for name in requests
    }


def measure(stack: Stack, repetitions: int) -> list[Figure]:
    seeded = Seeded(stack)
    requests = _requests(stack, seeded)
    results = {}
    for size in SIZES:
        seeded.grow_to(size)
        results[size] = _measure_size(stack, requests, repetitions)
    small, large = SIZES
    figures = []
    for name in requests:
        app_small, floor_small, read_small = results[small][name]
        app_large, floor_large, read_large = results[large][name]
        growth = ratio(ratio(app_large, app_small), ratio(floor_large, floor_small))
        detail = (
            f"app {app_small * 1000:.0f} -> {app_large * 1000:.0f} ms, page Query alone "
            f"{floor_small * 1000:.0f} -> {floor_large * 1000:.0f} ms ({small:,} -> "
            f"{large:,} items), n={repetitions}"
        )
        figures.append(Figure("5 growth", f"{name}: latency", growth, TARGET, detail))
        figures.append(
            Figure(
                "5 growth",
                f"{name}: items read",
                ratio(read_large, read_small),
                TARGET,
                f"{read_small} -> {read_large} items read per request",
            )
        )
    return figures
