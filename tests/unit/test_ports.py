"""`local.ports`: a free port is free, and a listening one answers."""

from __future__ import annotations

import socket

from local.ports import free_port, port_open


def test_a_free_port_answers_only_once_something_listens_on_it() -> None:
    port = free_port()
    assert not port_open(port)

    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        assert port_open(port)
