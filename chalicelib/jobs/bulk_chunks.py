"""The bulk job consumer: one SQS message of the `bulk-jobs` queue is one chunk of a job.

Each message of a batch is handled on its own; the ones that fail are returned in
`batchItemFailures` and delivered again, and `domain.bulk_jobs.run_chunk` resumes them without
applying a row twice. A message that cannot be read fails every time and ends in the
dead-letter queue.

`sweep_unsent_chunks` runs every five minutes: a job whose request died after writing it and
before sending its chunk messages gets them sent (`domain.bulk_jobs.sweep_unsent`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalice import Blueprint, Rate
from chalice.app import SQSEvent

from chalicelib import redaction
from chalicelib.config import get_settings
from chalicelib.jobs import sqs_batch_processor
from chalicelib.observability import flushed
from chalicelib.storage.jobs import QUEUE

SERVICE = "rewards-bulk-jobs"
LOG_KEYS = ["store_code", "job_id", "chunk", "sqs_message_id"]

jobs = Blueprint(__name__)


@lru_cache(maxsize=1)
def logger() -> Any:
    return redaction.json_logger(SERVICE)


def run_one(record: Any) -> str:
    """Handle one chunk's SQS record; raising reports it failed, so SQS delivers it again."""
    # Imported here: see chalicelib/jobs/__init__.py.
    from chalicelib.api.admin.job_kinds import KINDS
    from chalicelib.domain import bulk_files, bulk_jobs

    log = logger()
    try:
        message = bulk_files.ChunkMessage.parse(record.body)
    except (ValueError, KeyError, TypeError):
        log.error("unreadable bulk job message", sqs_message_id=record.message_id)
        raise
    log.append_keys(
        store_code=message.store_code,
        job_id=message.job_id,
        chunk=message.chunk,
        sqs_message_id=record.message_id,
    )
    try:
        outcome = bulk_jobs.run_chunk(message, KINDS)
        log.info("bulk job chunk", outcome=outcome)
        return outcome
    except Exception:
        log.exception("bulk job chunk failed")
        raise
    finally:
        log.remove_keys(LOG_KEYS)


@jobs.on_sqs_message(queue=get_settings().queue_name(QUEUE), batch_size=1)
@flushed(SERVICE)
def run_bulk_chunks(event: SQSEvent) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return process_partial_response(
        event=event.to_dict(),
        record_handler=run_one,
        processor=sqs_batch_processor(),
        context=event.context,
    )


@jobs.schedule(Rate(5, unit=Rate.MINUTES))
@flushed(SERVICE)
def sweep_unsent_chunks(event: Any) -> dict[str, int]:
    from chalicelib.api.admin.job_kinds import KINDS  # see chalicelib/jobs/__init__.py
    from chalicelib.domain import bulk_jobs

    swept = bulk_jobs.sweep_unsent(KINDS)
    logger().info("bulk jobs with unsent chunks", swept=swept)
    return {"swept": swept}
