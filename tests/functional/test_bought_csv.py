"""`GET /campaign/bought/export/csv`: the document's header and rows, parsed back with the csv
module; thousands of rows page by page; filters; who may export."""

from __future__ import annotations

import csv
import io
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import bought_export, coupon_usage
from chalicelib.domain.customers.records import new_customer_id
from chalicelib.storage.customers import CustomerModel
from chalicelib.storage.rewards import BOUGHT, ISSUED, RewardModel, customer_key
from tests.fixtures.aws import AwsCalls
from tests.fixtures.bought import admin, buy, new_customer
from tests.fixtures.clients import OTHER_STORE, STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign

EXPORT = f"/api/{STORE}/campaign/bought/export/csv"
# The document's example, as printed (its leading spaces are the page's indentation).
DOCUMENT_HEADER = (
    '0.Name,1.Date,2.Cost,"3.Tax value",4.email,5.phone,6.Firstname,7.Surname,'
    '"8.Points balance","9.Is used"'
)
DOCUMENT_ROWS = """\
"Percentage discount code","2019-03-14 10:29:05",0,,maxnowacki690711@test.pl,,Max,Nowacki,100,
"Percentage discount code","2019-03-14 10:30:18",0,,maxnowacki974845@test.pl,,Max,Nowacki,340,
"Percentage discount code","2019-03-14 10:20:01",0,,test@test.pl,,alajna,user,100,
"Percentage discount code","2019-03-14 10:29:32",0,,maxnowacki856039@test.pl,,Max,Nowacki,340,
 gift123,"2019-03-15 08:40:24",3,,maxnowacki209528@test.pl,,Max,Nowacki,95,1
 test,"2019-03-15 08:15:14",10,,maxnowacki160093@test.pl,,Max,Nowacki,290,
 testowe,"2019-03-14 10:28:20",10,,maxnowacki160093@test.pl,,Max,Nowacki,300,
 "Percentage discount code","2019-03-14 09:29:50",0,,user-return@example.com,,TestUser,ForCouponTest,2410,
 cashback,"2019-03-14 13:45:21",0,,maxnowacki209528@test.pl,,Max,Nowacki,100,
"Percentage discount code","2019-03-14 13:48:11",0,,test@test.pl,,alajna,user,100,
"""  # noqa: E501 (the document's lines, unwrapped)
TYPES = {"Percentage discount code": "percentage_discount_code", "cashback": "cashback"}


def export(client: Any, query: dict[str, str] | None = None, **headers: str) -> Any:
    path = EXPORT + (f"?{urlencode(query)}" if query else "")
    return client.get(path, headers=headers or admin())


def parsed(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.body.decode("utf-8"), newline="")))


def document_lines() -> list[str]:
    return [line.strip() for line in DOCUMENT_ROWS.splitlines()]


def write_document_rows() -> None:
    """Each example row bought as the document shows it. The document's server printed the
    balance at purchase (one customer appears with two balances); here the balance is the
    customer's current one, so each row gets a customer record of its own."""
    campaigns: dict[str, Any] = {}
    for values in csv.reader(document_lines()):
        name, date, cost, _, email, _, firstname, surname, balance, used = values
        if name not in campaigns:
            campaigns[name] = make_campaign(name=name, reward=TYPES.get(name, "gift_code"))
        buyer = new_customer(
            email=email, points=int(balance) + int(cost), firstname=firstname, surname=surname
        )
        when = datetime.strptime(date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        reward = buy(campaigns[name], buyer, now=when, cost=int(cost))
        if used:
            coupon_usage.set_coupon_usage(
                STORE,
                buyer.customer_id,
                campaigns[name].campaign_id,
                reward.reward_id,
                True,
                when + timedelta(minutes=1),
            )


def test_the_documents_rows_export_and_parse_back_to_the_same_values(client: Any) -> None:
    write_document_rows()

    response = export(client)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    by_date = sorted(csv.reader(document_lines()), key=lambda values: values[1])
    assert parsed(response) == [list(bought_export.CSV_HEADER), *by_date]
    # Byte for byte as the document prints them, in purchase order.
    lines = response.body.decode("utf-8").split("\r\n")
    assert lines[0] == DOCUMENT_HEADER
    assert lines[1:] == [*sorted(document_lines(), key=lambda line: line.split(",")[1]), ""]


def test_the_export_is_an_attachment_named_with_the_prefix_and_the_time(client: Any) -> None:
    """Open Loyalty's own test: the header starts `attachment; filename="<prefix>`."""
    before = datetime.now(UTC).replace(microsecond=0)
    response = export(client)
    after = datetime.now(UTC)

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="{bought_export.CSV_FILENAME_PREFIX}')
    name = disposition.removeprefix('attachment; filename="').removesuffix('"')
    stamp = datetime.strptime(
        name.removeprefix(bought_export.CSV_FILENAME_PREFIX), "%Y%m%d_%H%M%S.csv"
    ).replace(tzinfo=UTC)
    assert before <= stamp <= after


def test_awkward_values_survive_the_round_trip(client: Any) -> None:
    name = 'The "best", really\nbest gift'
    campaign = make_campaign(name=name)
    buyer = new_customer(
        email="o'neil@x.com", firstname=" Zoë ", surname="Smith, Jr.", telephone="+44 20 7946"
    )
    buy(campaign, buyer)

    [header, row] = parsed(export(client))

    assert header == list(bought_export.CSV_HEADER)
    assert row[0] == name and row[4:8] == ["o'neil@x.com", "+44 20 7946", " Zoë ", "Smith, Jr."]


def test_a_value_that_would_be_a_spreadsheet_formula_is_exported_as_text(client: Any) -> None:
    campaign = make_campaign(name='=HYPERLINK("http://evil.example")')
    buyer = new_customer(email="f@x.com", firstname="@SUM(A1)", surname="-2+3", telephone="+44 1")
    buy(campaign, buyer)

    [_, row] = parsed(export(client))

    assert row[0] == '\'=HYPERLINK("http://evil.example")'
    assert row[5:8] == ["+44 1", "'@SUM(A1)", "'-2+3"]


def test_the_purchase_dates_bound_the_export(client: Any) -> None:
    campaign = make_campaign(name="Gift")
    buyer = new_customer(email="d@x.com")
    for day in (9, 10, 11, 12):
        buy(campaign, buyer, now=datetime(2024, 3, day, 12, tzinfo=UTC))

    rows = parsed(export(client, {"purchasedAtFrom": "2024-03-10", "purchasedAtTo": "2024-03-11"}))

    assert [row[1] for row in rows[1:]] == ["2024-03-10 12:00:00", "2024-03-11 12:00:00"]


def test_a_bad_date_is_a_400_and_no_csv(client: Any) -> None:
    response = export(client, {"purchasedAtTo": "soon"})

    assert response.status_code == 400
    assert body_of(response)["form"]["children"]["purchasedAtTo"]["errors"]


def _bulk(campaigns: list[Any], buyers: list[CustomerModel], count: int, source: str) -> None:
    """`count` rewards written straight to the table (buying thousands would take minutes)."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with RewardModel.batch_write() as batch:
        for n in range(count):
            buyer = buyers[n % len(buyers)]
            campaign = campaigns[n % len(campaigns)]
            batch.save(
                RewardModel(
                    STORE,
                    str(uuid.uuid4()),
                    campaign_id=campaign.campaign_id,
                    campaign_key=f"{STORE}#{campaign.campaign_id}",
                    customer_id=buyer.customer_id,
                    customer_key=customer_key(STORE, buyer.customer_id),
                    token_digest=uuid.uuid4().hex,
                    source=source,
                    coupon_code=f"CODE-{n}",
                    cost_in_points=n % 7,
                    used=n % 5 == 0,
                    created_at=start + timedelta(seconds=n * 7 + (source == ISSUED)),
                )
            )


def test_thousands_of_rows_are_read_page_by_page(aws_calls: AwsCalls, client: Any) -> None:
    count, issued = 3000, 200
    campaigns = [make_campaign(name=f"Campaign {n}") for n in range(3)]
    now = datetime.now(UTC)
    buyers = [
        CustomerModel(
            STORE,
            new_customer_id(),
            email=f"bulk{n}@x.com",
            firstname="Bulk",
            surname=str(n),
            points_available=n,
            created_at=now,
            updated_at=now,
        )
        for n in range(40)
    ]
    with CustomerModel.batch_write() as batch:
        for buyer in buyers:
            batch.save(buyer)
    _bulk(campaigns, buyers, count, BOUGHT)
    _bulk(campaigns, buyers, issued, ISSUED)
    aws_calls.reset()

    response = export(client)

    rows = parsed(response)
    assert len(rows) == count + 1
    assert [row[1] for row in rows[1:]] == sorted(row[1] for row in rows[1:])
    assert sum(1 for row in rows[1:] if row[9] == "1") == count // 5
    assert {row[0] for row in rows[1:]} == {"Campaign 0", "Campaign 1", "Campaign 2"}
    pages = math.ceil((count + issued) / bought_export.EXPORT_PAGE_SIZE)
    assert aws_calls.count("Query") in (pages, pages + 1)  # + an empty last page, maybe
    # Per chunk of rows, one BatchGetItem of its customers; campaigns once for the export.
    chunks = math.ceil(count / bought_export.EXPORT_PAGE_SIZE)
    assert aws_calls.count("BatchGetItem") == chunks + 1
    assert aws_calls.count("Scan") == 0


def test_another_stores_admin_exports_nothing_of_this_store(client: Any) -> None:
    buy(make_campaign(), new_customer(email="mine@x.com"))

    foreign = export(client, **admin(OTHER_STORE))
    own = client.get(f"/api/{OTHER_STORE}/campaign/bought/export/csv", headers=admin(OTHER_STORE))

    assert foreign.status_code == 403 and b"mine@x.com" not in foreign.body
    assert parsed(own) == [list(bought_export.CSV_HEADER)]


@pytest.mark.parametrize("role", [Role.SELLER, Role.CUSTOMER])
def test_only_an_admin_exports(client: Any, role: Role) -> None:
    buy(make_campaign(), new_customer(email="mine@x.com"))

    response = export(client, **jwt_headers(token_for(role)))

    assert response.status_code == 403 and b"mine@x.com" not in response.body
