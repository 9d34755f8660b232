"""The coupons and rewards kinds of bulk job, a job's end event, its results as a link, and a
job's dry run."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from chalicelib.domain import bulk_files, bulk_jobs
from chalicelib.domain.events import event_log
from chalicelib.domain.rewards import issuing
from chalicelib.storage.campaigns import CampaignModel
from tests.fixtures.clients import STORE, bearer, body_of
from tests.fixtures.dry_run import customer, moto_state
from tests.fixtures.factories import make_campaign
from tests.fixtures.jobs import drain, job_of, new_upload, queued, results, start, upload


def create(client: Any, kind: str, rows: Any, campaign: str | None = None, query: str = "") -> Any:
    body: dict[str, Any] = {"kind": kind, "rows": rows}
    if campaign is not None:
        body["campaignId"] = campaign
    return client.post(f"/jobs{query}", headers=bearer(), body=json.dumps(body))


def test_a_coupons_upload_fills_the_pool_and_refuses_duplicates_and_bad_codes(
    client: Any,
) -> None:
    campaign = make_campaign(codes=["OLD-1"])
    rows = [{"code": "NEW-1"}, {"code": "OLD-1"}, {"code": "NEW-1"}, {"code": ""}, {"x": 1}]
    rows += [{"code": f"BULK-{n}"} for n in range(bulk_jobs.CHUNK_ROWS)]

    job = body_of(create(client, "coupons.upload", rows, campaign.campaign_id))
    drain()

    shown = body_of(job_of(client, job["id"]))
    assert (shown["state"], shown["applied"], shown["failed"]) == ("done", 101, 4)
    lines = results(client, job["id"])
    assert lines[0] == {"row": 1, "applied": True, "result": {"code": "NEW-1"}}
    assert [line["error"]["code"] for line in lines[1:5]] == [
        "duplicate_code",
        "duplicate_code",
        "validation_failed",
        "validation_failed",
    ]
    campaign.refresh()  # recounted once, when the job ended
    assert (campaign.coupons_total, campaign.coupons_available) == (102, 102)


def test_a_job_naming_no_campaign_or_another_stores_is_refused(client: Any) -> None:
    missing = create(client, "coupons.upload", [{"code": "A"}])
    foreign = create(client, "rewards.reward_url", [], make_campaign("OTHER").campaign_id)

    assert missing.status_code == 422 and "campaignId" in body_of(missing)["errors"]
    assert foreign.status_code == 404
    assert queued() == 0


@pytest.mark.parametrize(
    ("call", "row"),
    [
        ("reward", {"email": "r@example.com", "first_name": "Rae", "last_name": "Lin"}),
        ("reward_url", {"email": "r@example.com", "first_name": "Rae", "last_name": "Lin"}),
        ("reward_url2", {"unique_id": "crm-1"}),
    ],
)
def test_a_rewards_job_issues_each_row_as_its_single_call(
    client: Any, call: str, row: dict[str, Any]
) -> None:
    campaign = make_campaign(codes=["GIFT-1"])
    rows = [row, {"email": "not-an-email"}, row]  # the third finds no coupon left

    job = body_of(create(client, f"rewards.{call}", rows, campaign.campaign_id))
    drain()

    lines = results(client, job["id"])
    assert [line["applied"] for line in lines] == [True, False, False]
    assert lines[0]["result"]["campaignId"] == campaign.campaign_id
    assert lines[2]["error"]["code"] == "no_coupons_left"
    [reward] = issuing.transaction_rewards(STORE, lines[0]["result"]["transactionId"])
    assert reward.reward_id == lines[0]["result"]["rewardId"]
    assert queued() == 0  # drained: a `reward` job's email went to its own queue


def test_a_rewards_job_rerun_issues_nothing_twice(client: Any) -> None:
    campaign = make_campaign(codes=["A-1", "A-2", "A-3"])
    rows = [{"email": f"p{n}@example.com", "first_name": "P", "last_name": "Q"} for n in range(2)]
    job = body_of(create(client, "rewards.reward_url", rows, campaign.campaign_id))
    message = _take_message()

    bulk_jobs.run_chunk(message, _kinds())
    bulk_jobs.run_chunk(message, _kinds())  # delivered again

    campaign.refresh()
    assert campaign.coupons_available == 1
    assert body_of(job_of(client, job["id"]))["applied"] == 2


def _kinds() -> Any:
    from chalicelib.api.admin.job_kinds import KINDS

    return KINDS


def _take_message() -> bulk_files.ChunkMessage:
    from chalicelib import aws
    from chalicelib.storage.jobs import QUEUE

    sqs = aws.client("sqs")
    url = aws.queue_url(QUEUE)
    message = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bulk_files.ChunkMessage.parse(message["Body"])


def test_a_job_that_ends_records_its_event_with_its_counts(client: Any) -> None:
    job = body_of(create(client, "points.instant", [{"amount": 5, "email": "e@example.com"}]))
    drain()
    cancelled = body_of(create(client, "points.instant", [{"amount": 5, "email": "e@x.com"}]))
    client.post(f"/jobs/{cancelled['id']}/cancel", headers=bearer())

    found = event_log.list_events(STORE, {"type": "job.finished"}).events
    by_job = {event.data["id"]: event.data for event in found}
    assert by_job[job["id"]]["state"] == "done"
    assert (by_job[job["id"]]["applied"], by_job[job["id"]]["rows"]) == (1, 1)
    assert by_job[cancelled["id"]]["state"] == "cancelled"


def test_a_csv_field_may_hold_a_line_break(client: Any) -> None:
    campaign = make_campaign(codes=["CSV-1", "CSV-2"])
    job = client.post(
        "/jobs",
        headers=bearer(),
        body=json.dumps(
            {"kind": "rewards.reward_url", "format": "csv", "campaignId": campaign.campaign_id}
        ),
    )
    upload(
        body_of(job),
        "email,first_name,last_name,message\r\n"
        'a@example.com,Ann,Lee,"Happy birthday,\r\nfrom all of us"\r\n'
        'b@example.com,Bo,Ray,"Two\n""quoted""\nlines"\r\n',
    )

    assert body_of(start(client, body_of(job)))["rows"] == 2
    drain()

    lines = results(client, body_of(job)["id"])
    assert [line["applied"] for line in lines] == [True, True]
    rewards = {
        reward.email: reward.message
        for reward in issuing.transaction_rewards(STORE, lines[0]["result"]["transactionId"])
    }
    assert rewards == {
        "a@example.com": "Happy birthday,\r\nfrom all of us",
        "b@example.com": 'Two\n"quoted"\nlines',
    }


def test_a_large_jobs_results_are_a_presigned_link_once_done(client: Any) -> None:
    job = new_upload(client, "points.instant", "csv")
    rows = bulk_jobs.LINK_ROWS + 1
    upload(job, "email,amount\n" + "".join(f"r{i % 7}@example.com,1\n" for i in range(rows)))
    start(client, job)
    drain()

    for form in ("csv", "jsonl"):
        answer = client.get(f"/jobs/{job['id']}/results?format={form}", headers=bearer())
        assert answer.status_code == 303
        assert answer.headers["Location"] == body_of(answer)["downloadUrl"]
        text = requests.get(answer.headers["Location"], timeout=10).text
        lines = text.splitlines()
        assert len(lines) == rows + (1 if form == "csv" else 0)
    assert json.loads(lines[-1]) == {
        "row": rows,
        "applied": True,
        "result": {
            "email": f"r{(rows - 1) % 7}@example.com",
            "amount": 1,
            "applied": True,
            "AvailablePoints": rows // 7 + (1 if (rows - 1) % 7 < rows % 7 else 0),
            "UsedPoints": 0,
        },
    }


def test_a_jobs_dry_run_answers_its_counts_and_outcomes_and_applies_nothing(
    client: Any,
) -> None:
    email = "rich@example.com"
    customer(email, 20)
    rows = [
        {"amount": 10, "email": "dry@example.com"},
        {"amount": -15, "email": email},
        {"amount": "x", "email": "dry@example.com"},
        {"amount": -25, "email": email},  # only 20: refused
    ]
    before = moto_state()

    dry = create(client, "points.instant", rows, query="?dryRun=true")

    assert moto_state() == before
    shown = body_of(dry)
    assert dry.status_code == 201 and shown["dryRun"] is True
    assert (shown["state"], shown["rows"], shown["applied"], shown["failed"]) == ("done", 4, 2, 2)
    assert shown["results"][3]["error"]["code"] == "insufficient_points"
    real = body_of(create(client, "points.instant", rows))
    drain()
    assert [line["applied"] for line in shown["results"]] == [
        line["applied"] for line in results(client, real["id"])
    ]
    assert (body_of(job_of(client, real["id"]))["applied"]) == 2


def test_a_dry_run_of_an_upload_job_checks_it_and_hands_out_no_url(client: Any) -> None:
    campaign = make_campaign()
    before = moto_state()

    dry = client.post(
        "/jobs?dryRun=true",
        headers=bearer(),
        body=json.dumps({"kind": "coupons.upload", "campaignId": campaign.campaign_id}),
    )

    assert dry.status_code == 201
    assert body_of(dry)["state"] == "awaiting_upload" and "uploadUrl" not in body_of(dry)
    assert moto_state() == before
    assert CampaignModel.get(STORE, campaign.campaign_id).coupons_total in (None, 0)
