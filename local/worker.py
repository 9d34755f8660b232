"""The local stand-in for Lambda's event sources: SQS messages and schedules go to the app.

`chalice local` serves HTTP routes only. This worker reads the app's declared event sources and
calls the entry points Lambda would call (`app.handler_map[name](event, context)`) with events
shaped like Lambda's, and deletes SQS messages as the SQS event source mapping does: all of them
on success, all but the reported `batchItemFailures`, or none when the handler raises (they
come back after the visibility timeout and reach the dead-letter queue by the redrive policy).

SES: moto publishes no notifications of the emails it takes; `local.ses_feedback` reports them
to the notification queue as SES's configuration set would (each round, on an embedded AWS).

Schedules: `rate(N unit)` runs every N units (times REWARDS_SCHEDULE_SCALE, e.g. 0.01 to run a
daily job about every 15 minutes); `cron(...)` runs at each matching minute (UTC), except for the
L, W and # forms, which are skipped locally.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from chalice.app import Chalice, ScheduledEventConfig, ScheduleExpression, SQSEventConfig

from local.ses_feedback import SesFeedback

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]

ACCOUNT_ID = "123456789012"
REPO_ROOT = Path(__file__).resolve().parents[1]
IDLE_SLEEP_SECONDS = 1.0
LAMBDA_TIMEOUT_SECONDS = 60.0
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
NOTIFICATION_CONSUMER = "record_email_notifications"  # chalicelib.jobs.email_notifications
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]  # EventBridge: 1-7 from Sunday


def load_app() -> Chalice:
    """The service's Chalice app, from the top-level `app.py`."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from app import app

    return app


@dataclass
class LambdaContext:
    """What a handler may ask of Lambda's context object."""

    function_name: str
    timeout_seconds: float = LAMBDA_TIMEOUT_SECONDS
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = ""
    invoked_function_arn: str = ""
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{self.function_name}"
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# -- cron ----------------------------------------------------------------------------------
def _cron_number(text: str, names: list[str], first: int) -> int:
    upper = text.upper()
    return names.index(upper) + first if upper in names else int(text)


def _cron_field(spec: str, low: int, high: int, names: list[str]) -> set[int] | None:
    """The values a cron field allows; None for any. ValueError for L, W and #."""
    if spec in ("*", "?"):
        return None
    values: set[int] = set()
    for part in spec.split(","):
        part, _, step_text = part.partition("/")
        step = int(step_text or 1)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start, end = (_cron_number(p, names, low) for p in part.split("-", 1))
        else:
            start = _cron_number(part, names, low)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return values


@dataclass
class CronSpec:
    """An EventBridge cron expression: minutes hours day-of-month month day-of-week year."""

    fields: list[set[int] | None]

    @classmethod
    def parse(cls, body: str) -> CronSpec:
        parts = body.split()
        if len(parts) != 6:
            raise ValueError(f"cron needs 6 fields, got {body!r}")
        limits = [(0, 59, []), (0, 23, []), (1, 31, []), (1, 12, _MONTHS), (1, 7, _DAYS)]
        limits.append((1970, 2199, []))
        pairs = zip(parts, limits, strict=True)
        return cls([_cron_field(part, low, high, names) for part, (low, high, names) in pairs])

    def matches(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7 + 1  # Monday is 0 in Python, 2 in EventBridge
        now = [moment.minute, moment.hour, moment.day, moment.month, weekday, moment.year]
        pairs = zip(self.fields, now, strict=True)
        return all(allowed is None or value in allowed for allowed, value in pairs)


# -- sources -------------------------------------------------------------------------------
@dataclass
class Schedule:
    name: str
    handler: Handler
    expression: str
    interval: float | None = None  # seconds, for rate()
    cron: CronSpec | None = None
    next_run: float = 0.0
    last_minute: int | None = None  # epoch minute a cron last fired in

    def due(self, now: float) -> bool:
        if self.interval is not None:
            if now < self.next_run:
                return False
            self.next_run = max(self.next_run + self.interval, now)
            return True
        minute = int(now // 60)
        if self.cron is None or minute == self.last_minute:
            return False
        if not self.cron.matches(datetime.fromtimestamp(now, UTC)):
            return False
        self.last_minute = minute
        return True


@dataclass
class QueueSource:
    function: str  # the handler's name, as Lambda's function
    name: str  # the queue's
    handler: Handler
    batch_size: int
    url: str | None = None
    arn: str | None = None


def _expression(config: ScheduledEventConfig) -> str:
    expression = config.schedule_expression
    if isinstance(expression, ScheduleExpression):
        return expression.to_string()
    return str(expression)


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """An SQS API message attribute in the shape Lambda events use."""
    converted: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return converted


def _failed_ids(result: Any, messages: list[dict[str, Any]]) -> set[str]:
    """Message ids a handler reported as failed (ReportBatchItemFailures semantics)."""
    every = {m["MessageId"] for m in messages}
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failures = result["batchItemFailures"]
    failed = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
    # Lambda treats a malformed or unknown identifier as a failure of the whole batch.
    if not all(isinstance(i, str) and i in every for i in failed):
        return every
    return {str(i) for i in failed}


class Worker:
    """Feeds the app's SQS queues and schedules to its handlers."""

    def __init__(
        self,
        app: Chalice | None = None,
        sqs: Any | None = None,
        clock: Callable[[], float] = time.time,
        schedule_scale: float | None = None,
    ) -> None:
        self.app = app if app is not None else load_app()
        self.sqs = sqs if sqs is not None else boto3.client("sqs", region_name=_region())
        self.region: str = self.sqs.meta.region_name
        self.clock = clock
        scale = schedule_scale
        if scale is None:
            scale = float(os.environ.get("REWARDS_SCHEDULE_SCALE") or 1)
        self.queues: list[QueueSource] = []
        self.schedules: list[Schedule] = []
        for config in self.app.event_sources:
            handler = self.app.handler_map[config.name]
            if isinstance(config, SQSEventConfig):
                name = config.queue or str(config.queue_arn).rsplit(":", 1)[-1]
                batch = max(1, min(config.batch_size, 10))  # one receive returns at most 10
                self.queues.append(QueueSource(config.name, name, handler, batch))
            elif isinstance(config, ScheduledEventConfig):
                self._add_schedule(config, handler, scale)
            else:
                log.info("%s: %s events are not fed locally", config.name, type(config).__name__)
        self.feedback = self._ses_feedback()

    def _ses_feedback(self) -> SesFeedback | None:
        """SES's notifications, stood in for when the AWS is the embedded one."""
        aws_url = os.environ.get("AWS_ENDPOINT_URL")
        queue = next((q for q in self.queues if q.function == NOTIFICATION_CONSUMER), None)
        if not aws_url or queue is None:
            return None
        return SesFeedback(self.sqs, aws_url, lambda: queue.url if self._resolve(queue) else None)

    def _add_schedule(self, config: ScheduledEventConfig, handler: Handler, scale: float) -> None:
        expression = _expression(config)
        rate, cron = _RATE.match(expression), _CRON.match(expression)
        schedule = Schedule(config.name, handler, expression)
        try:
            if rate:
                schedule.interval = int(rate[1]) * _UNIT_SECONDS[rate[2].lower()] * scale
                schedule.next_run = self.clock() + schedule.interval  # EventBridge waits one
            elif cron:
                schedule.cron = CronSpec.parse(cron[1])
            else:
                raise ValueError("neither rate() nor cron()")
        except ValueError as error:
            log.warning("%s: schedule %s skipped locally (%s)", config.name, expression, error)
            return
        self.schedules.append(schedule)

    # -- SQS -------------------------------------------------------------------------------
    def _resolve(self, queue: QueueSource) -> bool:
        if queue.url is None:
            try:
                url = self.sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
                found = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            except Exception as error:  # the queue may not exist yet; try again next poll
                log.warning("queue %s not available: %s", queue.name, error)
                return False
            queue.url, queue.arn = url, found["Attributes"]["QueueArn"]
        return True

    def _record(self, queue: QueueSource, message: dict[str, Any]) -> dict[str, Any]:
        record = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {
                name: _lambda_attribute(value)
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue.arn,
            "awsRegion": self.region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def poll(self, queue: QueueSource) -> int:
        """Receive one batch and hand it to the queue's handler; returns messages received."""
        if not self._resolve(queue):
            return 0
        received = self.sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=queue.batch_size,
            WaitTimeSeconds=0,  # a long poll would hold the embedded AWS's lock
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if not messages:
            return 0
        function = queue.function
        event = {"Records": [self._record(queue, m) for m in messages]}
        try:
            result = queue.handler(event, LambdaContext(function))
        except Exception:
            log.exception("%s failed; %d message(s) stay queued", function, len(messages))
            return len(messages)
        failed = _failed_ids(result, messages)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=queue.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        if failed:
            log.warning("%s: %d message(s) failed and stay queued", function, len(failed))
        return len(messages)

    # -- schedules -------------------------------------------------------------------------
    def fire(self, schedule: Schedule, now: float) -> None:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{ACCOUNT_ID}:rule/{schedule.name}"],
            "detail": {},
        }
        try:
            schedule.handler(event, LambdaContext(schedule.name))
        except Exception:
            log.exception("scheduled %s failed", schedule.name)

    # -- loops -----------------------------------------------------------------------------
    def run_once(self) -> int:
        """Poll every queue once and run every schedule that is due; returns messages seen."""
        received = 0
        for queue in self.queues:
            try:
                received += self.poll(queue)
            except Exception:  # e.g. the embedded AWS restarting; the next round retries
                log.exception("polling %s failed", queue.name)
        if self.feedback is not None:
            try:
                received += self.feedback.run_once()
            except Exception:  # the embedded AWS restarting; the next round reports them
                log.exception("reporting SES notifications failed")
        now = self.clock()
        for schedule in self.schedules:
            if schedule.due(now):
                self.fire(schedule, now)
        return received

    def run_forever(self, stop: threading.Event, idle_sleep: float = IDLE_SLEEP_SECONDS) -> None:
        """Run rounds until `stop` is set, resting between rounds that found no message."""
        names = [q.name for q in self.queues] + [s.expression for s in self.schedules]
        log.info("worker feeding %s", ", ".join(names) or "nothing")
        while not stop.is_set():
            if self.run_once() == 0:
                stop.wait(idle_sleep)


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="worker: %(message)s")
    log.setLevel(logging.INFO)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    Worker().run_forever(stop)


if __name__ == "__main__":
    main()
