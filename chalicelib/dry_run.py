"""Dry runs: a request's writes rehearsed, its sends skipped, in one flag for the whole call.

A mutating call run with `dryRun=true` (chalicelib/api/routes.py) runs its handler, the same code
as the real call, inside `rehearsing()`. Nothing above this module knows about it: storage's one
connection turns DynamoDB writes into condition checks (chalicelib/storage/rehearsal.py), so
DynamoDB refuses exactly what it would refuse for the real call, and the AWS clients of
`chalicelib.aws` answer their sends (SQS, SES, S3 writes) without making them (`skipped_send`).
The flag is a context variable, so it holds for the request being served and nothing else.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

# How storage rehearses one DynamoDB call (chalicelib/storage/rehearsal.py `rehearse`): given
# the plan, the operation, its arguments and the way to really send it.
Rehearse = Callable[[dict[Any, Any], str, dict[str, Any], Callable[..., Any]], Any]


@dataclass
class Rehearsal:
    """One dry run in progress: `plan` is what its writes would have left, kept by storage so
    a read of an item the run wrote answers the written item (storage owns its content).
    `rehearse` and `operations` are the rehearsal of the DynamoDB calls it covers, handed in by
    whoever starts the dry run, so storage's connection needs no import of it."""

    rehearse: Rehearse
    operations: frozenset[str]
    plan: dict[Any, Any] = field(default_factory=dict)

    def covers(self, operation: str) -> bool:
        return operation in self.operations


_current: ContextVar[Rehearsal | None] = ContextVar("dry_run", default=None)


def current() -> Rehearsal | None:
    """The dry run the current call is in, or None for a real call."""
    return _current.get()


def active() -> bool:
    return _current.get() is not None


@contextlib.contextmanager
def rehearsing(rehearse: Rehearse, operations: frozenset[str]) -> Iterator[Rehearsal]:
    """Run the block as a dry run: nothing written, nothing sent; `rehearse` stands in for the
    DynamoDB calls named in `operations`."""
    token = _current.set(Rehearsal(rehearse, operations))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


# The calls that send or store something outside DynamoDB, per service, and what each answers
# when skipped (the keys callers read). Reads (GetObject, HeadObject, GetQueueUrl) still run.
_SENDS: dict[str, frozenset[str]] = {
    "sqs": frozenset({"SendMessage", "SendMessageBatch", "DeleteMessage", "DeleteMessageBatch"}),
    "ses": frozenset({"SendEmail", "SendRawEmail", "SendTemplatedEmail", "SendBulkTemplatedEmail"}),
    "s3": frozenset(
        {
            "PutObject",
            "DeleteObject",
            "DeleteObjects",
            "CopyObject",
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload",
        }
    ),
}


def _skipped_answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    made_up = f"dry-run-{uuid.uuid4().hex}"
    if operation.endswith("Batch"):
        return {
            "Successful": [
                {"Id": entry["Id"], "MessageId": made_up} for entry in params.get("Entries", [])
            ],
            "Failed": [],
        }
    if operation == "DeleteObjects":
        return {"Deleted": params.get("Delete", {}).get("Objects", [])}
    return {"MessageId": made_up, "ETag": f'"{made_up}"', "UploadId": made_up}


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["dry_run_params"] = params


def _skipped_send(model: Any, context: dict[str, Any], **_: Any) -> Any:
    """In a dry run, a send is answered as sent (200, a made-up id) and never reaches AWS;
    anything else runs."""
    if not active():
        return None
    service = model.service_model.service_name
    if model.name not in _SENDS.get(service, ()):
        return None
    from botocore.awsrequest import AWSResponse

    answer = _skipped_answer(model.name, context.get("dry_run_params", {}))
    return AWSResponse("", 200, {}, None), answer


def guard(client: Any) -> Any:
    """`client` with its sends skipped in a dry run (botocore hooks: the call's parameters are
    kept before they are serialised, and a send is answered before it is made)."""
    client.meta.events.register("before-parameter-build", _keep_params)
    client.meta.events.register_first("before-call", _skipped_send)
    return client
