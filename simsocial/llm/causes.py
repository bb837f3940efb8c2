"""Why a call failed, in the words a researcher would use: "connection refused", "HTTP 401 (bad key?)".

An endpoint error arrives wrapped several times (openai → httpx → httpcore → OSError); the useful fact
is usually at the bottom of the chain.  :func:`plain_cause` walks it and names the first cause it
recognises, so a failed run can end with "connection refused at http://127.0.0.1:9/v1 after 5 attempts".
"""

from __future__ import annotations

import socket

_STATUS_HINTS = {
    401: "unauthorized (is OPENAI_API_KEY right for this endpoint?)",
    403: "forbidden (does the key have access to this model?)",
    404: "not found (wrong --base-url path or --model name?)",
    408: "request timeout",
    429: "rate limited",
}


def plain_cause(exc: BaseException, key_env: str | None = None) -> str:
    """A short lower-case phrase naming why ``exc`` happened (its innermost recognisable cause).

    ``key_env``: the environment variable the key came from (a role may name its own), named on a 401."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for err in chain:
        status = getattr(err, "status_code", None)
        if isinstance(status, int):
            hint = _STATUS_HINTS.get(status, "server error" if status >= 500 else "rejected")
            if status == 401 and key_env:
                hint = hint.replace("OPENAI_API_KEY", key_env)
            return f"HTTP {status} {hint}"
    for err in reversed(chain):  # innermost first: the OS error beats "Connection error."
        if isinstance(err, ConnectionRefusedError):
            return "connection refused"
        if isinstance(err, ConnectionResetError):
            return "connection reset by the server"
        if isinstance(err, socket.gaierror):
            return "host name not found"
        if isinstance(err, TimeoutError) or "timeout" in type(err).__name__.lower():
            return "timed out"
    for err in chain:
        name = type(err).__name__
        if "Connection" in name or "Connect" in name:
            return "connection failed"
        if "Malformed" in name or "JSONDecode" in name:
            return "the endpoint's answer was not a chat completion"
    return type(exc).__name__
