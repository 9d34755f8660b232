"""Section 8: restart after 10,000 operations against a restart of an empty store.

Two data folders of `python -m local.run`: one with only what the first start makes (the
resources, the demo store), one that has also seen `OPERATIONS` state-changing AWS calls of the
kinds the service makes, most of them overwriting or undoing earlier ones (items put and
updated, messages sent and deleted, objects put over). Each is restarted in turns; the figure is
the time from the command to the first 200 from /health, after history over empty.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import served
from bench.stack import REPO_ROOT
from bench.stats import Figure, median, ratio

OPERATIONS = 10_000
RATIO_TARGET = "<= 2"
SECONDS_TARGET = "<= 5"
TIMEOUT_SECONDS = 600
PREFIX = "rewards-local-"  # local.run's default
PAYLOAD = "x" * 2_000  # about what a reward or ledger item of the service weighs


def _keys(ddb: Any, table: str) -> Callable[[int], dict[str, Any]]:
    """Keys of `table` made of a number (a string where the key attribute is one)."""
    described = ddb.describe_table(TableName=table)["Table"]
    types = {a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]}
    schema = [k["AttributeName"] for k in described["KeySchema"]]

    def key(number: int) -> dict[str, Any]:
        return {
            name: {"N": str(number)} if types[name] == "N" else {"S": f"bench-{number}"}
            for name in schema
        }

    return key


def make_history(aws_url: str, operations: int) -> None:
    """`operations` recorded calls against the stack's AWS (see the module doc)."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    ddb, sqs, s3 = (session.client(s, endpoint_url=aws_url) for s in ("dynamodb", "sqs", "s3"))
    table = f"{PREFIX}customers"
    key = _keys(ddb, table)
    # The dead-letter queue: the worker consumes the reward queue, and these are no rewards.
    queue = sqs.get_queue_url(QueueName=f"{PREFIX}reward-email-dlq")["QueueUrl"]
    bucket = f"{PREFIX}media"
    for number in range(operations):
        turn, kind = divmod(number, 10)
        if kind < 5:  # 2,000 items, each put 2.5 times
            item = {**key((turn * 5 + kind) % 2_000), "notes": {"S": PAYLOAD}}
            ddb.put_item(TableName=table, Item={**item, "n": {"N": str(number)}})
        elif kind < 7:  # 100 balances, updated 20 times each
            ddb.update_item(
                TableName=table,
                Key=key(100_000 + (turn * 2 + kind - 5) % 100),
                UpdateExpression="ADD points :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
        elif kind == 7:
            sqs.send_message(QueueUrl=queue, MessageBody=PAYLOAD[:500] + str(number))
        elif kind == 8:  # every other message deleted again (a receive is not recorded)
            got = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=600).get("Messages", [])
            for message in got[:1]:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        else:  # 50 photos, each put 20 times
            s3.put_object(Bucket=bucket, Key=f"bench/{turn % 50}.png", Body=PAYLOAD.encode())


def _start(data_dir: Path) -> tuple[served.Served, float]:
    environment = served.user_environment(REWARDS_DATA_DIR=str(data_dir))
    command = [sys.executable, "-m", "local.run"]
    return served.start(command, REPO_ROOT, environment, TIMEOUT_SECONDS, data_dir)


def measure(repetitions: int) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="rewards-restart-") as scratch:
        folders = {"empty": Path(scratch) / "empty", "history": Path(scratch) / "history"}
        for folder in folders.values():  # first starts: resources and the demo store
            folder.mkdir()
            stack, _ = _start(folder)
            stack.stop()
        stack, _ = _start(folders["history"])
        make_history(stack.aws_url, OPERATIONS)
        recording = folders["history"] / "aws-recording.jsonl"
        history_bytes = recording.stat().st_size  # compacted past the threshold meanwhile
        stack.stop()
        compacted_bytes = recording.stat().st_size
        samples: dict[str, list[float]] = {name: [] for name in folders}
        for _ in range(repetitions):
            for name, folder in folders.items():
                stack, seconds = _start(folder)
                stack.stop()
                samples[name].append(seconds)
    empty, history = median(samples["empty"]), median(samples["history"])
    shown = {name: ", ".join(f"{t:.1f}" for t in taken) for name, taken in samples.items()}
    detail = (
        f"median {history:.1f} vs {empty:.1f} s to /health 200, n={repetitions}; recording "
        f"{history_bytes / 1e6:.1f} MB at the stop (compacted past the threshold meanwhile), "
        f"{compacted_bytes / 1e6:.1f} MB after"
    )
    name = f"after {OPERATIONS:,} operations"
    return [
        Figure("8 restart", f"{name} / empty", ratio(history, empty), RATIO_TARGET, detail),
        Figure(
            "8 restart",
            f"{name} (s)",
            history,
            SECONDS_TARGET,
            f"history {shown['history']} s; empty {shown['empty']} s",
        ),
    ]
