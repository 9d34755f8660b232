"""`POST /campaign/{campaign}/coupons`: replace or append the pool, in batches, duplicates
reported."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import coupons
from tests.fixtures.clients import STORE, body_of, jwt_headers, token_for
from tests.fixtures.factories import make_campaign

FORM = "application/x-www-form-urlencoded"


def post_coupons(
    client: Any,
    campaign_id: str,
    body: str,
    content_type: str | None = None,
    prefer: str | None = "return=representation",
) -> Any:
    """The upload; by default asking for the summary of what changed (else: 204, no body)."""
    headers = jwt_headers(token_for(Role.ADMIN))
    if prefer:
        headers["Prefer"] = prefer
    if content_type:
        headers["Content-Type"] = content_type
    return client.post(f"/api/{STORE}/campaign/{campaign_id}/coupons", body=body, headers=headers)


def test_five_thousand_codes_go_in_batches_of_25(aws_calls: Any, client: Any) -> None:
    campaign = make_campaign()
    codes = [f"CODE-{n:05d}" for n in range(5000)]
    aws_calls.reset()

    response = post_coupons(client, campaign.campaign_id, json.dumps({"coupons": codes}))

    assert response.status_code == 200, response.body
    assert body_of(response) == {
        "campaignId": campaign.campaign_id,
        "added": 5000,
        "duplicates": [],
        "removed": 0,
        "available": 5000,
        "total": 5000,
    }
    assert aws_calls.count("BatchWriteItem") == math.ceil(5000 / 25)
    assert aws_calls.count("Scan") == 0
    assert len(coupons.codes_of(STORE, campaign.campaign_id)) == 5000


def test_the_upload_answers_204_as_the_document_does(client: Any) -> None:
    campaign = make_campaign()
    body = urlencode([("coupons[0]", "123"), ("coupons[1]", "1234"), ("append", "0")])

    response = post_coupons(client, campaign.campaign_id, body, FORM, prefer=None)
    asked_otherwise = post_coupons(
        client, campaign.campaign_id, body, FORM, prefer="respond-async, return=minimal"
    )

    assert (response.status_code, response.body) == (204, b"")
    assert asked_otherwise.status_code == 204
    assert coupons.codes_of(STORE, campaign.campaign_id) == ["123", "1234"]


def test_codes_come_back_in_the_order_they_were_sent(client: Any) -> None:
    campaign = make_campaign()
    first = [f"Z{n:03d}" for n in range(150, 0, -1)]  # descending, over several chunks

    post_coupons(client, campaign.campaign_id, json.dumps({"coupons": first, "append": True}))
    post_coupons(client, campaign.campaign_id, json.dumps({"coupons": ["B", "A"], "append": True}))

    assert coupons.codes_of(STORE, campaign.campaign_id) == [*first, "B", "A"]


def test_duplicates_are_reported_not_doubled_and_append_keeps_the_pool(client: Any) -> None:
    campaign = make_campaign(codes=["A", "B"])
    body = urlencode(
        [("coupons[0]", "B"), ("coupons[1]", "C"), ("coupons[2]", "C"), ("append", "1")]
    )

    response = post_coupons(client, campaign.campaign_id, body, FORM)

    assert body_of(response)["added"] == 1
    assert body_of(response)["duplicates"] == ["C", "B"]
    assert (body_of(response)["available"], body_of(response)["total"]) == (3, 3)
    assert coupons.codes_of(STORE, campaign.campaign_id) == ["A", "B", "C"]


def test_replace_drops_the_unused_codes(client: Any) -> None:
    campaign = make_campaign(codes=["A", "B"])

    response = post_coupons(
        client, campaign.campaign_id, json.dumps({"coupons": ["B", "X"], "append": False})
    )

    assert body_of(response)["removed"] == 1
    assert coupons.codes_of(STORE, campaign.campaign_id) == ["B", "X"]
    details = client.get(
        f"/api/{STORE}/campaign/{campaign.campaign_id}", headers=jwt_headers(token_for(Role.ADMIN))
    )
    assert body_of(details)["coupons"] == ["B", "X"]
    assert body_of(details)["usageLeft"] == 2


def test_missing_or_bad_codes_are_400_and_change_nothing(client: Any) -> None:
    campaign = make_campaign(codes=["A"])

    missing = post_coupons(client, campaign.campaign_id, json.dumps({"append": True}))
    blank = post_coupons(client, campaign.campaign_id, json.dumps({"coupons": ["ok", " "]}))

    assert missing.status_code == 400
    assert body_of(missing)["form"]["children"]["coupons"]["errors"]
    assert blank.status_code == 400
    assert body_of(blank)["form"]["children"]["coupons"]["children"]["1"]["errors"]
    assert coupons.codes_of(STORE, campaign.campaign_id) == ["A"]


def test_coupons_of_a_missing_campaign_is_404(client: Any) -> None:
    response = post_coupons(client, "nope", json.dumps({"coupons": ["A"]}))

    assert response.status_code == 404
    assert body_of(response)["error"] == {"code": 404, "message": "Not Found"}
