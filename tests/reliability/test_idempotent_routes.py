"""Every mutating route of the app keeps the Idempotency-Key promise.

The routes are read from the app's route table, so a new POST/PUT/PATCH/DELETE route fails here
until it has an example request in `EXAMPLES` and keeps the promise: the same request twice
under one key has one effect and one answer; another body under that key is a 422. That keys
are kept 24 hours is tested in tests/functional/test_idempotency.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from urllib3 import encode_multipart_formdata

from app import app
from chalicelib import aws
from chalicelib.api.idempotency import MUTATING_METHODS
from chalicelib.config import get_settings, reset_settings
from chalicelib.domain.access import auth, sessions
from chalicelib.domain.access.auth import Role
from chalicelib.domain.catalog import media
from chalicelib.domain.customers import recipients
from chalicelib.domain.events import event_log, webhooks
from chalicelib.domain.points import ledger
from chalicelib.domain.points.ledger import EntryKind, Posting
from chalicelib.storage.base import MODELS
from tests.fixtures.bought import buy, new_customer
from tests.fixtures.campaigns import campaign_json, png
from tests.fixtures.cashback import SECRET, cashback_campaign, message, sign
from tests.fixtures.clients import API_KEY, STORE, bearer, body_of, jwt_headers, token_for
from tests.fixtures.emails import issue
from tests.fixtures.factories import RECIPIENT, make_campaign
from tests.fixtures.imonggo import basic, make_customer
from tests.fixtures.points import make_claim

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
PASSWORD = "s3cret-pass"
PERSON = {"email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell"}
API = f"/api/{STORE}"


@dataclass(frozen=True)
class Call:
    """One request: what an example sends, twice."""

    path: str
    headers: dict[str, str]
    body: str | bytes = ""


@dataclass
class World:
    """What an example may use to make the records its request needs."""

    client: Any
    monkeypatch: pytest.MonkeyPatch

    def send(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
        """A request made to set the scene (no key); it must succeed."""
        response = self.client.request(method, path, headers=headers, body=body)
        assert response.status_code < 300, (path, response.body)
        return body_of(response)


def admin(content_type: str = JSON) -> dict[str, str]:
    return jwt_headers(token_for(Role.ADMIN), **{"Content-Type": content_type})


def as_customer(customer_id: str, content_type: str = JSON) -> dict[str, str]:
    token = token_for(Role.CUSTOMER, subject=customer_id)
    return jwt_headers(token, **{"Content-Type": content_type})


def form(**fields: Any) -> str:
    return urlencode(fields)


Example = Callable[[World], Call]
EXAMPLES: dict[tuple[str, str], Example] = {}


def example(method: str, route: str) -> Callable[[Example], Example]:
    """Register `make` as the example request of the route (its path as the app declares it)."""

    def register(make: Example) -> Example:
        EXAMPLES[(method, route)] = make
        return make

    return register


# -- what the examples need ----------------------------------------------------------------
def a_recipient() -> str:
    return recipients.create_recipient(STORE, RECIPIENT).customer_id


def a_customer(points: int = 0) -> str:
    return new_customer(points=points).customer_id


def a_campaign(**fields: Any) -> str:
    return make_campaign(codes=["C-1", "C-2"], **fields).campaign_id


def a_bought_coupon() -> tuple[str, str, str]:
    """(customer, campaign, reward) of a coupon a customer bought."""
    campaign = make_campaign(codes=["C-1"])
    customer = new_customer()
    return customer.customer_id, campaign.campaign_id, buy(campaign, customer).reward_id


def a_cashback_customer() -> tuple[str, str]:
    """(customer with 20 points, cashback campaign paying 2.00 a point)."""
    campaign = cashback_campaign("2", unlimited=False, limit=10, limit_per_user=3)
    return a_customer(points=20), campaign.campaign_id


def a_category(world: World) -> str:
    body = form(**{"campaign_category[name]": "Food", "campaign_category[active]": "1"})
    return world.send("POST", f"{API}/campaignCategory", body, admin(FORM))["campaignCategoryId"]


def a_level(world: World) -> str:
    body = form(**{"level[name]": "Gold", "level[conditionValue]": "10"})
    return world.send("POST", f"{API}/level", body, admin(FORM))["id"]


def a_segment(world: World) -> str:
    return world.send("POST", f"{API}/segment", form(**{"segment[name]": "VIP"}), admin(FORM))[
        "segmentId"
    ]


def a_customer_type(world: World) -> str:
    body = json.dumps({"name": "Gold", "pointToAmountRatio": "200"})
    return world.send("POST", f"{API}/customerType", body, bearer())["customerTypeId"]


# -- auth --------------------------------------------------------------------------------------
def _login(role: Role) -> Example:
    def make(world: World) -> Call:
        auth.create_user(STORE, role, f"{role.value}@example.com", PASSWORD)
        body = {"username": f"{role.value}@example.com", "password": PASSWORD}
        return Call(f"/api/{role.value}/login_check", {"Content-Type": JSON}, json.dumps(body))

    return make


for _role in (Role.ADMIN, Role.SELLER, Role.CUSTOMER):
    example("POST", f"/api/{_role.value}/login_check")(_login(_role))


def a_refresh_token() -> str:
    auth.create_user(STORE, Role.CUSTOMER, "customer@example.com", PASSWORD)
    return sessions.log_in(STORE, Role.CUSTOMER, "customer@example.com", PASSWORD).refresh_token


@example("POST", "/api/token/refresh")
def refresh_token(world: World) -> Call:
    body = json.dumps({"refresh_token": a_refresh_token()})
    return Call("/api/token/refresh", {"Content-Type": JSON}, body)


@example("POST", "/api/token/revoke")
def revoke_token(world: World) -> Call:
    return Call("/api/token/revoke", {"Content-Type": FORM}, form(refresh_token=a_refresh_token()))


# -- Open Loyalty: registration --------------------------------------------------------------
@example("POST", "/api/{storeCode}/seller/register")
def register_seller(world: World) -> Call:
    fields = {"firstName": "John", "lastName": "Doe", "email": "john@example.com"}
    body = form(**{f"seller[{k}]": v for k, v in {**fields, "plainPassword": PASSWORD}.items()})
    return Call(f"{API}/seller/register", admin(FORM), body)


@example("POST", "/api/{storeCode}/customer/register")
def register_customer(world: World) -> Call:
    fields = {"firstName": "Ann", "lastName": "Doe", "email": "ann@example.com"}
    body = form(**{f"customer[{k}]": v for k, v in {**fields, "plainPassword": PASSWORD}.items()})
    headers = jwt_headers(token_for(Role.SELLER), **{"Content-Type": FORM})
    return Call(f"{API}/customer/register", headers, body)


@example("POST", "/api/{storeCode}/admin/customer/{customer}/login")
def give_customer_login(world: World) -> Call:
    body = form(**{"customer[plainPassword]": PASSWORD})
    return Call(f"{API}/admin/customer/{a_recipient()}/login", admin(FORM), body)


# -- Mokugift: issuing with the campaign's passcode, and resending -----------------------------
def _issue(endpoint: str, body: Any) -> Example:
    def make(world: World) -> Call:
        campaign_id = a_campaign()
        headers = {"X-Passcode": auth.set_passcode(STORE, campaign_id), "Content-Type": JSON}
        return Call(f"/api/{endpoint}/{campaign_id}", headers, json.dumps(body))

    return make


for _endpoint, _body in (
    ("reward", PERSON),
    ("reward_url", PERSON),
    ("reward_url2", {"unique_id": "crm-1"}),
    ("multi_rewards", {"recipients": [PERSON]}),
    ("multi_reward_urls", {"recipients": [PERSON]}),
    ("multi_reward_urls2", {"recipients": [{"unique_id": "u-1"}]}),
):
    example("POST", f"/api/{_endpoint}/{{campaign_id}}")(_issue(_endpoint, _body))


@example("POST", "/api/{storeCode}/rewards/{reward}/resend")
def resend_reward(world: World) -> Call:
    return Call(f"{API}/rewards/{issue(1)[0].reward_id}/resend", bearer())


# -- Imonggo: spending by amount, customer types -----------------------------------------------
def _spend(suffix: str) -> Example:
    def make(world: World) -> Call:
        query = urlencode({"q": "spend", "customer_id": make_customer(100), "amount": "1"})
        return Call(f"/api/rewards{suffix}?{query}", basic())

    return make


for _suffix in ("", ".json", ".xml"):
    example("POST", f"/api/rewards{_suffix}")(_spend(_suffix))


@example("POST", "/api/{storeCode}/customerType")
def create_customer_type(world: World) -> Call:
    body = json.dumps({"name": "Gold", "pointToAmountRatio": "200"})
    return Call(f"{API}/customerType", bearer(), body)


@example("PUT", "/api/{storeCode}/customerType/{customerType}")
def update_customer_type(world: World) -> Call:
    body = json.dumps({"pointToAmountRatio": 150})
    return Call(f"{API}/customerType/{a_customer_type(world)}", bearer(), body)


@example("DELETE", "/api/{storeCode}/customerType/{customerType}")
def delete_customer_type(world: World) -> Call:
    return Call(f"{API}/customerType/{a_customer_type(world)}", bearer())


@example("PUT", "/api/{storeCode}/customerType/{customerType}/customers/{customer}")
def assign_customer_type(world: World) -> Call:
    return Call(f"{API}/customerType/{a_customer_type(world)}/customers/{a_customer()}", bearer())


@example("DELETE", "/api/{storeCode}/customerType/{customerType}/customers/{customer}")
def remove_customer_type(world: World) -> Call:
    path = f"{API}/customerType/{a_customer_type(world)}/customers/{a_customer()}"
    world.send("PUT", path, "", bearer())
    return Call(path, bearer())


# -- Coggins: claims and instant edits ---------------------------------------------------------
@example("POST", "/api/v1/points")
def create_claims(world: World) -> Call:
    return Call("/api/v1/points", bearer(), json.dumps([{"amount": 40, "email": "a@example.com"}]))


@example("POST", "/api/v1/points/{csapikey}/INSTANT")
def instant(world: World) -> Call:
    body = json.dumps([{"amount": 5, "email": "pat@example.com"}])
    return Call(f"/api/v1/points/{API_KEY}/INSTANT", {"Content-Type": JSON}, body)


@example("POST", "/api/v1/claims/{token}")
def claim_points(world: World) -> Call:
    body = json.dumps({"email": "c@example.com"})
    return Call(f"/api/v1/claims/{make_claim()}", {"Content-Type": JSON}, body)


@example("POST", "/claim/points/{token}")
def claim_from_page(world: World) -> Call:
    path = f"/claim/points/{make_claim().replace('-', '')}"
    return Call(path, {"Content-Type": FORM}, form(email="c@example.com"))


# -- Alpha: recipients -------------------------------------------------------------------------
@example("POST", "/recipients")
def create_recipient(world: World) -> Call:
    return Call("/recipients", bearer(), json.dumps(RECIPIENT))


example("PUT", "/recipients")(create_recipient)


@example("PATCH", "/recipients/{ref}")
def update_recipient(world: World) -> Call:
    return Call(f"/recipients/{a_recipient()}", bearer(), json.dumps({"town": "Wells"}))


example("PUT", "/recipients/{ref}")(update_recipient)


@example("DELETE", "/recipients/{ref}")
def delete_recipient(world: World) -> Call:
    return Call(f"/recipients/{a_recipient()}", bearer())


@example("POST", "/recipients/{ref}")
def delete_recipient_by_post(world: World) -> Call:
    """A client that can only POST: `_method` in a form."""
    headers = bearer(**{"Content-Type": FORM})
    return Call(f"/recipients/{a_recipient()}", headers, form(_method="DELETE"))


# -- Alpha: balances ---------------------------------------------------------------------------
@example("PUT", "/balances/{ref}")
def change_balance(world: World) -> Call:
    return Call(f"/balances/{a_recipient()}", bearer(), json.dumps({"balance": "+25"}))


@example("POST", "/balances/{ref}")
def change_balance_by_post(world: World) -> Call:
    """A client that can only POST: `_method=PUT` in a form."""
    headers = bearer(**{"Content-Type": FORM})
    return Call(f"/balances/{a_recipient()}", headers, form(_method="PUT", balance="+25"))


def under_v1(make: Example) -> Example:
    """The same request to the route's `/api/v1` twin, as the document's clients send it."""

    def make_v1(world: World) -> Call:
        call = make(world)
        return replace(call, path=f"/api/v1{call.path}")

    return make_v1


for (_method, _route), _make in list(EXAMPLES.items()):
    if _route.startswith(("/recipients", "/balances")):
        example(_method, f"/api/v1{_route}")(under_v1(_make))


# -- bulk jobs ---------------------------------------------------------------------------------
JOB = {
    "kind": "points.instant",
    "format": "jsonl",
    "rows": [{"amount": 5, "email": "j@example.com"}],
}


@example("POST", "/jobs")
def create_job(world: World) -> Call:
    return Call("/jobs", bearer(), json.dumps(JOB))


@example("POST", "/jobs/{job_id}/start")
def start_job(world: World) -> Call:
    body = json.dumps({"kind": "points.instant", "format": "jsonl"})
    job = world.send("POST", "/jobs", body, bearer())
    requests.put(job["uploadUrl"], data=json.dumps(JOB["rows"][0]).encode(), timeout=10)
    return Call(f"/jobs/{job['id']}/start", bearer())


@example("POST", "/jobs/{job_id}/cancel")
def cancel_job(world: World) -> Call:
    job = world.send("POST", "/jobs", json.dumps(JOB), bearer())["id"]
    return Call(f"/jobs/{job}/cancel", bearer())


# -- Open Loyalty: campaigns and their media ---------------------------------------------------
@example("POST", "/api/{storeCode}/campaign")
def create_campaign(world: World) -> Call:
    return Call(f"{API}/campaign", admin(), json.dumps(campaign_json()))


@example("PUT", "/api/{storeCode}/campaign/{campaign}")
def update_campaign(world: World) -> Call:
    body = json.dumps(campaign_json(translations={"en": {"name": "Renamed"}}))
    return Call(f"{API}/campaign/{a_campaign()}", admin(), body)


@example("POST", "/api/{storeCode}/campaign/{campaign}/active")
def activate_campaign(world: World) -> Call:
    return Call(f"{API}/campaign/{a_campaign(active=False)}/active", admin())


@example("POST", "/api/{storeCode}/campaign/{campaign}/inactive")
def deactivate_campaign(world: World) -> Call:
    return Call(f"{API}/campaign/{a_campaign()}/inactive", admin())


@example("POST", "/api/{storeCode}/campaign/{campaign}/passcode")
def rotate_passcode(world: World) -> Call:
    return Call(f"{API}/campaign/{a_campaign()}/passcode", admin())


@example("POST", "/api/{storeCode}/campaign/{campaign}/sandbox_passcode")
def rotate_sandbox_passcode(world: World) -> Call:
    return Call(f"{API}/campaign/{a_campaign()}/sandbox_passcode", admin())


@example("PUT", "/api/{storeCode}/campaign/{campaign}/public_queries")
def set_public_queries(world: World) -> Call:
    return Call(f"{API}/campaign/{a_campaign()}/public_queries", admin(), '{"enabled": true}')


@example("POST", "/api/{storeCode}/campaign/{campaign}/coupons")
def put_coupons(world: World) -> Call:
    body = urlencode([("coupons[0]", "NEW-1"), ("coupons[1]", "NEW-2"), ("append", "1")])
    return Call(f"{API}/campaign/{a_campaign()}/coupons", admin(FORM), body)


def _upload(kind: str) -> Example:
    def make(world: World) -> Call:
        body, content_type = encode_multipart_formdata([(f"{kind}[file]", ("a.png", png()))])
        return Call(f"{API}/campaign/{a_campaign()}/{kind}", admin(content_type), body)

    return make


example("POST", "/api/{storeCode}/campaign/{campaign}/photo")(_upload("photo"))
example("POST", "/api/{storeCode}/campaign/{campaign}/brand_icon")(_upload("brand_icon"))


@example("DELETE", "/api/{storeCode}/campaign/{campaign}/photo/{photoId}")
def remove_photo(world: World) -> Call:
    campaign_id = a_campaign()
    photo_id = media.add_photo(STORE, campaign_id, png(), "a.png").photo_id
    return Call(f"{API}/campaign/{campaign_id}/photo/{photo_id}", admin())


@example("DELETE", "/api/{storeCode}/campaign/{campaign}/brand_icon")
def remove_brand_icon(world: World) -> Call:
    campaign_id = a_campaign()
    media.set_brand_icon(STORE, campaign_id, png(), "a.png")
    return Call(f"{API}/campaign/{campaign_id}/brand_icon", admin())


# -- Open Loyalty: categories, levels, segments --------------------------------------------------
@example("POST", "/api/{storeCode}/campaignCategory")
def create_category(world: World) -> Call:
    body = form(**{"campaign_category[name]": "Food"})
    return Call(f"{API}/campaignCategory", admin(FORM), body)


@example("PUT", "/api/{storeCode}/campaignCategory/{campaignCategory}")
def update_category(world: World) -> Call:
    body = json.dumps({"campaign_category": {"name": "Dining", "sortOrder": 0}})
    return Call(f"{API}/campaignCategory/{a_category(world)}", admin(), body)


@example("DELETE", "/api/{storeCode}/campaignCategory/{campaignCategory}")
def delete_category(world: World) -> Call:
    return Call(f"{API}/campaignCategory/{a_category(world)}", admin())


@example("POST", "/api/{storeCode}/level")
def create_level(world: World) -> Call:
    body = form(**{"level[name]": "Gold", "level[conditionValue]": "1"})
    return Call(f"{API}/level", admin(FORM), body)


@example("PUT", "/api/{storeCode}/level/{level}")
def update_level(world: World) -> Call:
    body = json.dumps({"level": {"name": "Platinum"}})
    return Call(f"{API}/level/{a_level(world)}", admin(), body)


@example("DELETE", "/api/{storeCode}/level/{level}")
def delete_level(world: World) -> Call:
    return Call(f"{API}/level/{a_level(world)}", admin())


@example("POST", "/api/{storeCode}/customer/{customer}/level")
def set_customer_level(world: World) -> Call:
    body = json.dumps({"levelId": a_level(world)})
    return Call(f"{API}/customer/{a_customer()}/level", admin(), body)


@example("POST", "/api/{storeCode}/segment")
def create_segment(world: World) -> Call:
    return Call(f"{API}/segment", admin(FORM), form(**{"segment[name]": "VIP"}))


@example("PUT", "/api/{storeCode}/segment/{segment}")
def update_segment(world: World) -> Call:
    body = json.dumps({"segment": {"name": "VVIP"}})
    return Call(f"{API}/segment/{a_segment(world)}", admin(), body)


@example("DELETE", "/api/{storeCode}/segment/{segment}")
def delete_segment(world: World) -> Call:
    return Call(f"{API}/segment/{a_segment(world)}", admin())


@example("POST", "/api/{storeCode}/segment/{segment}/customers")
def add_segment_customers(world: World) -> Call:
    body = form(**{"customers[]": a_customer()})
    return Call(f"{API}/segment/{a_segment(world)}/customers", admin(FORM), body)


@example("DELETE", "/api/{storeCode}/segment/{segment}/customers/{customer}")
def remove_segment_customer(world: World) -> Call:
    path = f"{API}/segment/{a_segment(world)}/customers"
    customer_id = a_customer()
    world.send("POST", path, form(**{"customers[]": customer_id}), admin(FORM))
    return Call(f"{path}/{customer_id}", admin())


# -- Open Loyalty: buying, bought coupons, cashback ----------------------------------------------
@example("POST", "/api/{storeCode}/admin/customer/{customer}/campaign/{campaign}/buy")
def admin_buy(world: World) -> Call:
    path = f"{API}/admin/customer/{a_customer(100)}/campaign/{a_campaign()}/buy"
    return Call(path, admin(FORM))


@example("POST", "/api/{storeCode}/seller/customer/{customer}/campaign/{campaign}/buy")
def seller_buy(world: World) -> Call:
    path = f"{API}/seller/customer/{a_customer(100)}/campaign/{a_campaign()}/buy"
    headers = jwt_headers(token_for(Role.SELLER), **{"Content-Type": FORM})
    return Call(path, headers, form(quantity="1"))


@example("POST", "/api/{storeCode}/customer/campaign/{campaign}/buy")
def customer_buy(world: World) -> Call:
    return Call(f"{API}/customer/campaign/{a_campaign()}/buy", as_customer(a_customer(100)))


@example(
    "PUT", "/api/{storeCode}/admin/customer/{customer}/bought/coupon/{coupon}/changeDeliveryStatus"
)
def change_delivery_status(world: World) -> Call:
    customer_id, _, reward_id = a_bought_coupon()
    path = f"{API}/admin/customer/{customer_id}/bought/coupon/{reward_id}/changeDeliveryStatus"
    return Call(path, admin(FORM), form(**{"deliveryStatus[status]": "canceled"}))


@example("POST", "/api/{storeCode}/admin/customer/{customer}/campaign/{campaign}/coupon/{coupon}")
def mark_coupon(world: World) -> Call:
    customer_id, campaign_id, reward_id = a_bought_coupon()
    path = f"{API}/admin/customer/{customer_id}/campaign/{campaign_id}/coupon/{reward_id}"
    return Call(path, admin(FORM), form(used="1"))


@example("POST", "/api/{storeCode}/customer/campaign/{campaign}/coupon/{coupon}")
def mark_own_coupon(world: World) -> Call:
    customer_id, campaign_id, reward_id = a_bought_coupon()
    path = f"{API}/customer/campaign/{campaign_id}/coupon/{reward_id}"
    return Call(path, as_customer(customer_id), json.dumps({"used": 1}))


@example("POST", "/api/{storeCode}/admin/campaign/coupons/mark_as_used")
def mark_many_coupons(world: World) -> Call:
    customer_id, campaign_id, reward_id = a_bought_coupon()
    fields = {"customerId": customer_id, "campaignId": campaign_id, "couponId": reward_id}
    coupon = {**fields, "code": "C-1", "used": "1"}
    body = form(**{f"coupons[0][{key}]": value for key, value in coupon.items()})
    return Call(f"{API}/admin/campaign/coupons/mark_as_used", admin(FORM), body)


@example("POST", "/api/{storeCode}/admin/campaign/cashback/redeem")
def redeem_for_customer(world: World) -> Call:
    customer_id, campaign_id = a_cashback_customer()
    body = form(customerId=customer_id, cashbackId=campaign_id, pointsAmount="5")
    return Call(f"{API}/admin/campaign/cashback/redeem", admin(FORM), body)


@example("POST", "/api/{storeCode}/admin/campaign/cashback/simulate")
def simulate(world: World) -> Call:
    customer_id, campaign_id = a_cashback_customer()
    body = form(customerId=customer_id, cashbackId=campaign_id, pointsAmount="5")
    return Call(f"{API}/admin/campaign/cashback/simulate", admin(FORM), body)


@example("POST", "/api/{storeCode}/customer/campaign/cashback/redeem")
def redeem_own(world: World) -> Call:
    customer_id, campaign_id = a_cashback_customer()
    body = form(cashbackId=campaign_id, pointsAmount="5")
    return Call(f"{API}/customer/campaign/cashback/redeem", as_customer(customer_id, FORM), body)


@example("POST", "/api/{storeCode}/campaign/cashback/callback/{provider}")
def provider_callback(world: World) -> Call:
    world.monkeypatch.setenv("REWARDS_PAYTM_SECRET", SECRET)
    reset_settings()
    redeemed = redeem_for_customer(world)
    payout_id = world.send("POST", redeemed.path, redeemed.body, redeemed.headers)["payoutId"]
    customer_id = dict(parse_qsl(str(redeemed.body)))["customerId"]
    content = message(f"{customer_id}_{payout_id}")
    headers = {"Content-Type": JSON, "X-Paytm-Signature": sign(content)}
    return Call(f"{API}/campaign/cashback/callback/paytm", headers, content)


# -- webhooks ------------------------------------------------------------------------------------
WEBHOOK = {"url": "https://93.184.216.34/hooks", "events": ["points.spent"]}


def a_webhook() -> str:
    return webhooks.create(STORE, WEBHOOK)[0].id


@example("POST", "/webhooks")
def register_webhook(world: World) -> Call:
    return Call("/webhooks", bearer(), json.dumps(WEBHOOK))


@example("PUT", "/webhooks/{webhook_id}")
def replace_webhook(world: World) -> Call:
    return Call(f"/webhooks/{a_webhook()}", bearer(), json.dumps({**WEBHOOK, "enabled": False}))


@example("DELETE", "/webhooks/{webhook_id}")
def delete_webhook(world: World) -> Call:
    return Call(f"/webhooks/{a_webhook()}", bearer())


@example("POST", "/events/{event_id}/redeliver")
def redeliver_event(world: World) -> Call:
    a_webhook()  # subscribed to points.spent: the redelivery queues a message for it
    customer_id = a_customer(points=10)
    ledger.post(Posting(STORE, customer_id, -1, EntryKind.SPEND))
    event_id = event_log.list_events(STORE, {"type": "points.spent"}).events[0].id
    return Call(f"/events/{event_id}/redeliver", bearer())


@example("POST", "/webhooks/{webhook_id}/rotate_secret")
def rotate_webhook_secret(world: World) -> Call:
    return Call(f"/webhooks/{a_webhook()}/rotate_secret", bearer())


# -- the tests -----------------------------------------------------------------------------------
def mutating_routes() -> list[tuple[str, str]]:
    return sorted(
        (method, path)
        for path, methods in app.routes.items()
        for method in methods
        if method in MUTATING_METHODS
    )


def effects() -> dict[str, int]:
    """What a request may have changed, counted: items per table, media objects, messages."""
    settings = get_settings()
    dynamodb, s3, sqs = aws.client("dynamodb"), aws.client("s3"), aws.client("sqs")
    counts = {
        name: dynamodb.scan(TableName=name, Select="COUNT", ConsistentRead=True)["Count"]
        for name in (model.Meta.table_name for model in MODELS)  # type: ignore[attr-defined]
    }
    bucket = settings.bucket_name("media")
    counts[bucket] = s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0)
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        counts[url] = sum(int(value) for value in attributes.values())
    return counts


def another(body: str | bytes) -> str | bytes:
    """The same request with one more byte: a key is bound to the exact body it came with."""
    return body + (b" " if isinstance(body, bytes) else " ")


def test_every_example_is_of_a_mutating_route_of_the_app() -> None:
    assert set(EXAMPLES) - set(mutating_routes()) == set()


@pytest.mark.parametrize("route", mutating_routes(), ids=" ".join)
def test_a_repeat_under_one_key_has_one_effect_and_another_body_is_422(
    client: Any, monkeypatch: pytest.MonkeyPatch, route: tuple[str, str]
) -> None:
    method, path = route
    make = EXAMPLES.get(route)
    if make is None:
        pytest.fail(f"{method} {path} has no example request: add one to EXAMPLES")
    call = make(World(client, monkeypatch))
    headers = {**call.headers, "Idempotency-Key": f"once {method} {path}"[:255]}

    first = client.request(method, call.path, headers=headers, body=call.body)
    assert 200 <= first.status_code < 300, first.body  # an example must do what it asks
    if first.headers.get("Cache-Control") == "no-store":
        # It answers a secret (a token, a new passcode), which is never kept for a replay: the
        # retry runs again and answers a fresh one.
        again = client.request(method, call.path, headers=headers, body=call.body)
        assert again.status_code == first.status_code and "Idempotent-Replayed" not in again.headers
        return
    after_first = effects()
    second = client.request(method, call.path, headers=headers, body=call.body)
    changed = client.request(method, call.path, headers=headers, body=another(call.body))

    assert effects() == after_first
    assert (second.status_code, second.body) == (first.status_code, first.body)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert changed.status_code == 422
    assert body_of(changed)["code"] == "idempotency_key_reused"
