"""The reward link's page `/r/{token}`: HTML for every answer, escaped, first opening once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.rewards.links import reward_token
from chalicelib.storage.rewards import CANCELLED, RewardModel
from tests.fixtures.emails import MARKDOWN_TRANSLATIONS, issue, reload
from tests.fixtures.factories import make_campaign

HTML = "text/html; charset=utf-8"


def page(client: Any, reward: RewardModel) -> Any:
    return client.get(f"/r/{reward_token(reward)}")


def text_of(response: Any) -> str:
    assert response.headers["Content-Type"] == HTML
    return response.body.decode("utf-8")


def test_the_page_shows_the_campaign_the_coupon_and_how_to_use_it(client: Any) -> None:
    campaign = make_campaign(codes=["GIFT-0001"], days_valid=30)
    [reward] = issue(1, campaign, enqueue=False, message="Happy birthday!", sender_name="Bob")

    response = page(client, reward)

    assert response.status_code == 200
    html = text_of(response)
    assert "<h1>Welcome gift</h1>" in html
    assert '<p class="coupon" id="coupon-code">GIFT-0001</p>' in html
    assert "For Ann0 Smith, from Bob" in html
    assert "Happy birthday!" in html
    for text in ("A gift for you", "Show the code at the till", "Valid once", "Acme Stores"):
        assert text in html
    since, until = reward.active_since, reward.active_to
    assert f"from {since.day} {since:%B %Y} until {until.day} {until:%B %Y} (UTC)." in html


def test_a_reward_without_an_end_says_it_does_not_expire(client: Any) -> None:
    [reward] = issue(1, enqueue=False)
    assert "; it does not expire." in text_of(page(client, reward))


def test_a_reward_not_usable_yet_says_from_when(client: Any) -> None:
    [reward] = issue(1, make_campaign(codes=["LATER"], days_inactive=3), enqueue=False)
    since = reward.active_since

    html = text_of(page(client, reward))

    assert f"This reward can be used from {since.day} {since:%B %Y} (UTC)." in html
    assert "LATER" in html


def test_names_and_messages_are_text_not_markup(client: Any) -> None:
    campaign = make_campaign(codes=["C1"], name="<i>Gift</i>")
    [reward] = issue(
        1,
        campaign,
        enqueue=False,
        firstname="<script>alert('x')</script>",
        message="<img src=x onerror=alert(1)>",
        sender_name="<b>Bob</b>",
    )

    html = text_of(page(client, reward))

    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Bob" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<h1>&lt;i&gt;Gift&lt;/i&gt;</h1>" in html


def test_markdown_descriptions_render_safely(client: Any) -> None:
    campaign = make_campaign(codes=["MD-1"], translations=MARKDOWN_TRANSLATIONS)
    [reward] = issue(1, campaign, enqueue=False)

    html = text_of(page(client, reward))

    assert "<p><strong>Big</strong> day</p>" in html and "**" not in html
    assert '<li>Show <a href="https://shop.example/use">the code</a></li>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "[x](javascript:alert(1))" in html and 'href="javascript' not in html


def test_the_first_opening_is_recorded_once(aws_calls: Any, client: Any) -> None:
    [reward] = issue(1, enqueue=False)
    assert reload(reward).first_opened_at is None
    aws_calls.reset()

    assert page(client, reward).status_code == 200

    first = reload(reward).first_opened_at
    assert first is not None
    assert aws_calls.count("Query") == 1
    assert aws_calls.count("TransactWriteItems") == 1  # the opening and its reward.redeemed
    aws_calls.reset()

    assert page(client, reward).status_code == 200

    assert reload(reward).first_opened_at == first
    # One Query on the token index and the campaign's GetItem; nothing written.
    assert (aws_calls.count("Query"), aws_calls.count("UpdateItem")) == (1, 0)
    assert aws_calls.count("GetItem") == 1 + 1  # the campaign, and reload() above


def test_an_unknown_token_is_a_404_page(aws_calls: Any, client: Any) -> None:
    issue(1, enqueue=False)

    response = client.get("/r/" + "A" * 32)

    assert response.status_code == 404
    assert "<h1>Reward not found</h1>" in text_of(response)
    aws_calls.reset()
    malformed = client.get("/r/%3Cscript%3E")
    assert malformed.status_code == 404
    assert "<script>" not in text_of(malformed)
    assert aws_calls.count() == 0  # not a token: no need to look


def test_a_cancelled_reward_is_a_410_page_that_says_so(client: Any) -> None:
    [reward] = issue(1, enqueue=False)
    reward.update(actions=[RewardModel.status.set(CANCELLED)])

    response = page(client, reward)

    assert response.status_code == 410
    html = text_of(response)
    assert "<h1>This reward has been cancelled</h1>" in html
    assert "CODE-0000" not in html
    assert reload(reward).first_opened_at is None


def test_an_expired_reward_is_a_410_page_with_the_day_it_ended(client: Any) -> None:
    [reward] = issue(1, enqueue=False)
    ended = datetime(2024, 2, 29, 12, tzinfo=UTC)
    reward.update(
        actions=[
            RewardModel.active_since.set(ended - timedelta(days=10)),
            RewardModel.active_to.set(ended),
        ]
    )

    response = page(client, reward)

    assert response.status_code == 410
    html = text_of(response)
    assert "<h1>This reward has expired</h1>" in html
    assert "This reward expired on 29 February 2024 (UTC)." in html
    assert "CODE-0000" not in html
