"""A TCP port known to be closed because this process holds it: bound on 127.0.0.1, never listening.

Connecting to it is refused at once (no listener), and no other program can start listening on it while the
test process lives — unlike a fixed port such as 9, which something on the machine may serve."""

from __future__ import annotations

import functools
import socket

_HELD: list[socket.socket] = []  # kept open for the whole test session: the port stays ours and closed


@functools.cache
def closed_port() -> int:
    """A port on 127.0.0.1 bound by this process and not listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    _HELD.append(sock)
    return int(sock.getsockname()[1])


def dead_base_url() -> str:
    """An OpenAI-style base URL (``http://127.0.0.1:<closed port>/v1``) where every connection is refused."""
    return f"http://127.0.0.1:{closed_port()}/v1"
