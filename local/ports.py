"""Ports on this machine: a free one for a stack started beside another (tests, bench), and
whether a server answers on one. Standard library only, so importing it loads nothing else."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port no one listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int) -> bool:
    """Whether something accepts connections on `port` of this machine."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
