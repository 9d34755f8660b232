"""A campaign text that cannot render fails its email at once, and its message is not retried.

The templates are planted straight in the table, as if saved before saves were checked (today
they are refused when saved: tests/functional/test_email_templates.py). Before the bounded
sandbox, `include`/`import` raised a TypeError and huge ranges an OverflowError that the consumer
did not expect: the reward stayed `sending` and SQS brought the message back every visibility
timeout until the dead-letter queue; `'x' * 2000000` sent a 2 MB email.
"""

from __future__ import annotations

import pytest

from chalicelib import aws
from chalicelib.storage.rewards import EMAIL_FAILED, EMAIL_SENDING
from local.worker import Worker
from tests.fixtures.emails import DLQ, issue, reload, sent_emails, statuses, waiting
from tests.fixtures.factories import make_campaign

# A message not deleted comes back at once, so a retry would show in the next round.
pytestmark = pytest.mark.usefixtures("redelivered")

PLANTED = {
    "include": ('{% include "reward_email.html" %}', "{% include %} is not allowed"),
    "import": ('{% import "reward_email.html" as e %}', "{% import %} is not allowed"),
    "extends": ('{% extends "reward_email.html" %}', "{% extends %} is not allowed"),
    "huge range": ("{% for i in range(100000000) %}x{% endfor %}", "range() is limited"),
    "nested loops": (
        "{% for i in range(999) %}{% for j in range(999) %}{% endfor %}{% endfor %}",
        "the template takes more than",
    ),
    "huge text": ("{{ 'x' * 2000000 }}", "a value is longer than"),
    "data": ("{{ 1 / (message|length) }}", "ZeroDivisionError"),
}


@pytest.mark.parametrize("field", ["email_subject", "email_body"])
@pytest.mark.parametrize(("source", "reason"), PLANTED.values(), ids=PLANTED.keys())
def test_an_email_whose_campaign_text_cannot_render_fails_once_and_is_not_retried(
    field: str, source: str, reason: str
) -> None:
    from app import app

    [reward] = issue(1, make_campaign(codes=["X1"], **{field: source}), message="")
    worker = Worker(app, sqs=aws.client("sqs"))

    assert [worker.run_once() for _ in range(3)] == [1, 0, 0]

    assert (waiting(), waiting(DLQ)) == (0, 0)
    assert sent_emails() == []
    failed = reload(reward)
    assert (failed.email_status, failed.email_attempts) == (EMAIL_FAILED, 1)
    assert statuses(reward) == [EMAIL_SENDING, EMAIL_FAILED]
    assert failed.email_error.startswith("The email could not be rendered: ")
    assert reason in failed.email_error
    assert failed.email_history[-1].detail == failed.email_error
