"""The embedded AWS of the local stack: moto's server, one call at a time, with a recording.

DynamoDB applies each call atomically; moto's threaded server runs a conditional write as a
read, a check and a write in Python with no lock, so two concurrent spends could both pass.
`LockedMotoApp` holds one lock for the whole call, response body included.

moto keeps its state in memory. So that local data survives a restart, every call that changed
state is appended to a JSON-lines recording, which is replayed in-process at the next start
before the socket opens. SQS message traffic is special: message ids and receipt handles are
random, so a replayed delete would miss; the recording keeps which messages were deleted, and
replay re-sends only the others.

So that a restart takes as long as the data and not its history, the recording is compacted
(`local.compaction`) at shutdown and whenever it has grown past REWARDS_AWS_COMPACT_BYTES (and
past twice its size after the last compaction): rewritten as the calls that recreate the state
held now, beside it, synced, then renamed over it, under the lock that serializes calls.

`python -m local.aws_server` serves on AWS_PORT (default 5000); `start_in_thread` is for tests.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import signal
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, quote

from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    EnvironHeaders,
    environ_key_for_header,
    should_preserve_original_header_name,
)
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server, run_simple
from werkzeug.test import EnvironBuilder

from local import compaction, moto_transactions
from local.lifeline import die_with_launcher

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

DEFAULT_PORT = 5000
DEFAULT_RECORDING = Path(".local") / "aws-recording.jsonl"
# About 1,200 calls of the service: a restart replays at most this much history beyond the state.
DEFAULT_COMPACT_BYTES = 4_000_000

# Operations that only read, by name prefix (DynamoDB, SQS, SES, ...). Anything else is recorded:
# replaying a needless call is harmless, skipping a write loses data.
_READ_PREFIXES = ("Get", "BatchGet", "List", "Describe", "Query", "Scan", "TransactGet")
_REST_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# SQS calls not replayed as sent: deletes are kept by message id instead (see module doc), and
# receives and visibility changes are not kept (after a restart every message is visible again).
_SQS_NOT_REPLAYED = {
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
}
_SQS_TRACKED = _SQS_NOT_REPLAYED | {"SendMessage", "SendMessageBatch"}
_SQS_TARGET = "AmazonSQS"
# Not kept: replay recomputes the length from the stored body; the rest are SDK bookkeeping that
# moto ignores. Authorization stays, moto routes a call by its credential scope.
_DROPPED_HEADERS = {
    "content-length",
    "transfer-encoding",
    "user-agent",
    "accept-encoding",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
}
_MAX_TRACKED_HANDLES = 100_000


@dataclass
class Call:
    """One request as the recorder sees it."""

    method: str
    uri: str  # path and query, percent-encoded, as sent
    headers: list[tuple[str, str]]
    body: bytes
    service: str | None  # X-Amz-Target prefix, e.g. "DynamoDB_20120810"
    operation: str | None

    @property
    def path(self) -> str:
        return self.uri.split("?", 1)[0]

    def to_record(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "uri": self.uri,
            "headers": [list(h) for h in self.headers],
            "body": base64.b64encode(self.body).decode("ascii"),
        }


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the whole request body and put it back so moto can read it again."""
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # chunked upload: no Content-Length
        body = stream.read()
    else:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = stream.read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("wsgi.input_terminated", None)
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return body


def _operation(environ: dict[str, Any], body: bytes) -> tuple[str | None, str | None]:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocol: DynamoDB, SQS
        service, _, operation = target.rpartition(".")
        return service, operation
    form = ""  # query protocol: SES v1 and older SQS clients
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = body.decode("utf-8", "replace")
    for source in (form, environ.get("QUERY_STRING", "")):
        action = parse_qs(source).get("Action")
        if action:
            return None, action[0]
    return None, None


def call_from_environ(environ: dict[str, Any]) -> Call:
    body = _read_body(environ)
    uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if not uri:
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        query = environ.get("QUERY_STRING", "")
        uri = quote(path) + (f"?{query}" if query else "")
    headers = [(k, v) for k, v in EnvironHeaders(environ) if k.lower() not in _DROPPED_HEADERS]
    service, operation = _operation(environ, body)
    return Call(environ["REQUEST_METHOD"], uri, headers, body, service, operation)


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def invoke(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call a WSGI app and materialise its whole response."""
    started: list[Any] = []
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return chunks.append  # the legacy write() callable

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return started[0], started[1], b"".join(chunks)


def _status_code(status: str) -> int:
    return int(status.split(" ", 1)[0])


class Recorder:
    """Appends the calls that changed state to a JSON-lines file, and replays them."""

    def __init__(self, path: Path | None, compact_bytes: int = DEFAULT_COMPACT_BYTES) -> None:
        self.path = path
        self.compact_bytes = compact_bytes
        # Called between writing the compacted file and renaming it over the recording (tests
        # inject a crash there).
        self.before_replace: Callable[[], None] | None = None
        self._file: IO[str] | None = None
        self._size = 0  # bytes in the recording
        self._compacted_size = 0  # bytes right after the last compaction (or attempt)
        self._changed = False  # whether the recording holds more than a compaction of the state
        # Ids of messages re-sent by replay -> their id when first sent (the id deletes name).
        self._first_ids: dict[str, str] = {}
        # Receipt handle -> first id of the message it was issued for.
        self._handles: OrderedDict[str, str] = OrderedDict()

    # -- writing ---------------------------------------------------------------------------
    def open(self) -> None:
        if self.path is not None and self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
            self._size = self._file.tell()
            if not self._changed:  # a compaction as replayed: the next when it has doubled
                self._compacted_size = self._size

    def close(self) -> None:
        """Compact what changed, then stop recording. Runs under the server lock."""
        if self._file is not None:
            self._compact_logging_errors()
            self._file.close()
            self._file = None

    def truncate(self) -> None:
        if self._file is not None:
            self._file.truncate(0)
            self._file.flush()
            self._size = self._compacted_size = 0
            self._changed = False

    def _write(self, record: dict[str, Any]) -> None:
        if self._file is not None:
            line = json.dumps(record, separators=(",", ":")) + "\n"
            self._file.write(line)
            self._file.flush()  # a crash loses at most the call in flight
            self._size += len(line.encode())
            self._changed = True

    # -- compaction ------------------------------------------------------------------------
    def compact(self) -> bool:
        """Rewrite the recording as the calls that recreate the state held now; whether it was.

        Runs under the server lock, so no call is recorded meanwhile. The new file is written
        beside the recording and synced before it replaces it: a crash at any point leaves
        either the old recording or the new one, whole.
        """
        if self.path is None or self._file is None or not self._changed:
            return False
        try:
            kept = [r for r in self._records() if "method" in r and not compaction.superseded(r)]
            state = compaction.state_records(self._first_id)
        except compaction.NotCompactable as why:
            log.warning("recording not compacted: %s", why)
            self._compacted_size = self._size  # try again when it has doubled
            return False
        records = [*state, *kept]  # kept calls after the state they may depend on
        temp = self.path.with_name(self.path.name + ".compacting")
        try:
            with temp.open("w", encoding="utf-8") as out:
                out.write(json.dumps({"compacted": len(records)}) + "\n")
                for record in records:
                    out.write(json.dumps(record, separators=(",", ":")) + "\n")
                out.flush()
                os.fsync(out.fileno())
            if self.before_replace is not None:
                self.before_replace()
            os.replace(temp, self.path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_directory(self.path.parent)  # the rename itself survives a power cut
        self._file.close()
        self._file = self.path.open("a", encoding="utf-8")
        self._size = self._compacted_size = self._file.tell()
        self._changed = False
        return True

    def _compact_logging_errors(self) -> None:
        """Compact; a failure leaves the recording as it was, which is still whole."""
        try:
            self.compact()
        except Exception:
            log.exception("compacting %s failed; the recording is kept as it was", self.path)
            self._compacted_size = self._size

    def _compact_if_grown(self) -> None:
        if self._size > max(self.compact_bytes, 2 * self._compacted_size):
            self._compact_logging_errors()

    def observe(self, call: Call, status: int, response: bytes) -> None:
        """Record `call` if it changed state. Runs under the server lock."""
        if self._file is None:
            return
        if call.path.startswith("/moto-api"):
            # moto's reset empties every backend; what was recorded must not come back.
            if call.method == "POST" and call.path.rstrip("/") == "/moto-api/reset":
                self.truncate()
            return
        if status >= 400:  # a failed AWS call changes nothing
            return
        if call.service == _SQS_TARGET and call.operation in _SQS_TRACKED:
            self._observe_sqs(call, response)
        elif call.operation is not None:
            operation = call.operation
            if not operation.startswith(_READ_PREFIXES) and operation not in _SQS_NOT_REPLAYED:
                self._write(call.to_record())
        elif call.method not in _REST_READ_METHODS:
            self._write(call.to_record())
        self._compact_if_grown()

    def _first_id(self, message_id: str) -> str:
        return self._first_ids.get(message_id, message_id)

    def _observe_sqs(self, call: Call, response: bytes) -> None:
        request, result = _json(call.body), _json(response)
        operation = call.operation
        if operation == "ReceiveMessage":
            for message in result.get("Messages", []):
                self._handles[message["ReceiptHandle"]] = self._first_id(message["MessageId"])
            while len(self._handles) > _MAX_TRACKED_HANDLES:
                self._handles.popitem(last=False)
        elif operation == "DeleteMessage":
            self._record_deleted([request.get("ReceiptHandle")])
        elif operation == "DeleteMessageBatch":
            done = {entry["Id"] for entry in result.get("Successful", [])}
            entries = request.get("Entries", [])
            self._record_deleted([e.get("ReceiptHandle") for e in entries if e.get("Id") in done])
        elif operation == "SendMessage":
            self._write({**call.to_record(), "sqs_sent": {"": result.get("MessageId")}})
        elif operation == "SendMessageBatch":
            sent = {e["Id"]: e["MessageId"] for e in result.get("Successful", [])}
            self._write({**call.to_record(), "sqs_sent": sent})

    def _record_deleted(self, handles: list[Any]) -> None:
        ids = [self._handles.pop(h) for h in handles if h in self._handles]
        if ids:
            self._write({"sqs_deleted": ids})

    # -- replay ----------------------------------------------------------------------------
    def _records(self) -> list[dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return []
        records = []
        with self.path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    records.append(json.loads(line))
                except ValueError:  # a line torn by a crash mid-write
                    log.warning("%s:%d: unreadable line skipped", self.path, number)
        return records

    def replay(self, app: WSGIApp) -> tuple[int, int]:
        """Re-run the recording against `app`; returns (calls replayed, calls that failed)."""
        records = self._records()
        # More than a compaction wrote: compact at shutdown even if nothing changes meanwhile.
        compacted = records[0].get("compacted", -1) if records else -1
        self._changed = len(records) > compacted + 1
        deleted = {i for r in records for i in r.get("sqs_deleted", ())}
        replayed = failed = 0
        for record in records:
            if "method" not in record:
                continue
            body: bytes | None = base64.b64decode(record["body"])
            sent = record.get("sqs_sent")
            if sent is not None:
                body, sent = _unsent_only(body or b"", sent, deleted)
                if body is None:
                    continue
            status, _, response = invoke(app, _replay_environ(record, body or b""))
            replayed += 1
            if _status_code(status) >= 400:
                failed += 1
                log.warning("replay of %s %s: %s", record["method"], record["uri"], status)
            elif sent:
                self._remember_resent(sent, _json(response))
        return replayed, failed

    def _remember_resent(self, sent: dict[str, str], result: dict[str, Any]) -> None:
        if "MessageId" in result:
            self._first_ids[result["MessageId"]] = sent[""]
        for entry in result.get("Successful", []):
            self._first_ids[entry["MessageId"]] = sent[entry["Id"]]


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _unsent_only(
    body: bytes, sent: dict[str, str], deleted: set[str]
) -> tuple[bytes | None, dict[str, str]]:
    """The send request without the messages deleted since (None when nothing is left)."""
    if "" in sent:  # SendMessage
        return (None, {}) if sent[""] in deleted else (body, sent)
    request = _json(body)
    keep = [e for e in request.get("Entries", []) if sent.get(e.get("Id"), "") not in deleted]
    keep = [e for e in keep if e.get("Id") in sent]  # entries that failed first time stay out
    if not keep:
        return None, {}
    kept = {e["Id"]: sent[e["Id"]] for e in keep}
    return json.dumps({**request, "Entries": keep}).encode(), kept


def _replay_environ(record: dict[str, Any], body: bytes) -> dict[str, Any]:
    headers = [(str(k), str(v)) for k, v in record["headers"]]
    environ = EnvironBuilder(
        method=record["method"], path=record["uri"], headers=headers, data=body
    ).get_environ()
    preserved = {
        environ_key_for_header(name): name
        for name, _ in headers
        if should_preserve_original_header_name(name)
    }
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
    return environ


def _short_poll_only(call: Call, environ: dict[str, Any]) -> None:
    """Make a ReceiveMessage return at once: a long poll would hold the lock for seconds."""
    if call.service != _SQS_TARGET or call.operation != "ReceiveMessage":
        return
    request = _json(call.body)
    if request and request.get("WaitTimeSeconds") != 0:
        call.body = json.dumps({**request, "WaitTimeSeconds": 0}).encode()
        environ["wsgi.input"] = io.BytesIO(call.body)
        environ["CONTENT_LENGTH"] = str(len(call.body))


class LockedMotoApp:
    """WSGI app: moto's dispatcher, one call at a time, recording what changes state."""

    def __init__(self, recorder: Recorder | None = None, inner: WSGIApp | None = None) -> None:
        self.inner: WSGIApp = inner or DomainDispatcherApplication(create_backend_app)
        self.recorder = recorder or Recorder(None)
        self.lock = threading.Lock()

    def restore(self) -> tuple[int, int]:
        """Empty moto, replay the recording, then record from here on."""
        with self.lock:
            reset = EnvironBuilder(method="POST", path="/moto-api/reset").get_environ()
            invoke(self.inner, reset)  # tests start several servers in one process
            counts = self.recorder.replay(self.inner)
            self.recorder.open()
            return counts

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        call = call_from_environ(environ)
        _short_poll_only(call, environ)
        with self.lock:
            status, headers, body = invoke(self.inner, environ)
            self.recorder.observe(call, _status_code(status), body)
        start_response(status, headers)
        return [body]


def recording_from_env() -> Path | None:
    """Where to record (REWARDS_AWS_RECORDING), or None when REWARDS_AWS_PERSIST=0."""
    if os.environ.get("REWARDS_AWS_PERSIST", "1").strip().lower() in {"0", "false", "no", "off"}:
        return None
    return Path(os.environ.get("REWARDS_AWS_RECORDING") or DEFAULT_RECORDING)


def compact_bytes_from_env() -> int:
    """REWARDS_AWS_COMPACT_BYTES: the recording's size that triggers a compaction."""
    return int(os.environ.get("REWARDS_AWS_COMPACT_BYTES") or DEFAULT_COMPACT_BYTES)


def build_app(recording: Path | None, compact_bytes: int | None = None) -> LockedMotoApp:
    """The locked moto app with its state restored from `recording` (None: keep nothing)."""
    moto_transactions.install()
    app = LockedMotoApp(Recorder(recording, compact_bytes or compact_bytes_from_env()))
    replayed, failed = app.restore()
    if replayed:
        log.info("restored %d AWS calls from %s (%d failed)", replayed, recording, failed)
    return app


class QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without a log line per call (the worker polls every second)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class AwsServer:
    """A running embedded AWS served from a background thread."""

    def __init__(self, server: BaseWSGIServer, app: LockedMotoApp) -> None:
        self.server = server
        self.app = app
        self.port: int = server.server_port
        self.url = f"http://{server.host}:{self.port}"
        self._thread = threading.Thread(target=server.serve_forever, name="aws", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()
        with self.app.lock:  # let a call in flight finish its recording
            self.app.recorder.close()


def start_in_thread(
    port: int = 0,
    recording: Path | None = None,
    host: str = "127.0.0.1",
    compact_bytes: int | None = None,
) -> AwsServer:
    """Restore state from `recording` and serve on `port` (0: any free port) in a thread."""
    app = build_app(recording, compact_bytes)
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    return AwsServer(server, app)


def main() -> None:
    die_with_launcher()  # no moto server left holding its port after the launcher is killed
    logging.basicConfig(level=logging.WARNING, format="aws: %(message)s")
    log.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not its start-up banner
    port = int(os.environ.get("AWS_PORT") or DEFAULT_PORT)
    os.environ.setdefault("MOTO_PORT", str(port))  # moto builds some URLs from it
    recording = recording_from_env()
    app = build_app(recording)
    # SIGTERM as a clean exit, so the recording file is closed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("serving on http://127.0.0.1:%d, recording to %s", port, recording or "(nothing)")
    try:
        run_simple("127.0.0.1", port, app, threaded=True, request_handler=QuietRequestHandler)
    except KeyboardInterrupt:
        pass
    finally:
        with app.lock:  # a call in flight finishes first; none starts during the compaction
            app.recorder.close()


if __name__ == "__main__":
    main()
