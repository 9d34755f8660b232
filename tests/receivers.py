"""A plain HTTP receiver for webhook tests, and the local stage that may deliver to it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.config import reset_settings


@dataclass
class Receiver:
    """A plain HTTP receiver in a thread: what it got, and how it answers."""

    status: int = 200
    answer: bytes = b"ok"
    delay: float = 0.0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""
    server: Any = None  # the ThreadingHTTPServer answering at `url`

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Location", "http://10.0.0.1/")
                self.end_headers()
                with contextlib.suppress(ConnectionError):  # the client read what it wanted
                    self.wfile.write(receiver.answer)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def start(server: ThreadingHTTPServer) -> None:
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()


def stop(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


@contextlib.contextmanager
def serving() -> Iterator[Receiver]:
    """A receiver answering 200 on a free port of 127.0.0.1, in a thread."""
    receiver = Receiver()
    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    start(receiver.server)
    receiver.url = f"http://127.0.0.1:{receiver.server.server_address[1]}/hooks?source=rewards"
    yield receiver
    stop(receiver.server)


@contextlib.contextmanager
def local_stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The `local` stage's settings, which accept http and loopback webhook URLs."""
    monkeypatch.setenv("REWARDS_STAGE", "local")
    reset_settings()
    yield
    monkeypatch.setenv("REWARDS_STAGE", "test")
    reset_settings()
