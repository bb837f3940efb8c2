"""Errors of the LLM layer, and scrubbing secrets out of anything that might be shown or stored."""

from __future__ import annotations

import os
import re

from simsocial.llm.causes import plain_cause

_KEY_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.]{8,}"),
    re.compile(r"(?i)(api[_-]?key['\"]?\s*[:=]\s*['\"]?)[^\s'\",]+"),
)


class LLMError(RuntimeError):
    """Base class of errors raised by the LLM layer."""


class LLMEndpointError(LLMError):
    """The endpoint kept failing after all retries; the message names the endpoint, never the key."""

    def __init__(self, endpoint: str, attempts: int, cause: BaseException) -> None:
        detail = redact(f"{type(cause).__name__}: {cause}")
        # The cause stays chained for debugging; scrub it too, since a printed traceback shows its text
        # and some servers quote the key back in their error body.
        cause.args = tuple(redact(a) if isinstance(a, str) else a for a in cause.args)
        if isinstance(getattr(cause, "message", None), str):
            cause.message = redact(cause.message)  # type: ignore[attr-defined]
        self.cause = plain_cause(cause)  # "connection refused", "HTTP 401 ...": what the CLI's last line says
        super().__init__(f"endpoint {endpoint} failed after {attempts} attempt(s): {self.cause} ({detail})")
        self.endpoint = endpoint
        self.attempts = attempts


class MalformedResponseError(LLMError):
    """The endpoint answered 200 with something that is not a chat completion (e.g. a proxy's HTML page)."""


class EmbeddedServerError(LLMError):
    """The embedded llama.cpp server could not be started."""


class FatalLLMError(RuntimeError):
    """The run cannot go on: no dialogue is marked failed, every call in flight stops, the run exits.

    Deliberately *not* an :class:`LLMError`: agents turn an ``LLMError`` into one failed dialogue and let
    the others continue, which is right for a flaky endpoint and wrong for one that is gone.  Dialogues
    already finished stay on disk, so the same command resumes once the cause is fixed.
    """


class EmbeddedServerDied(FatalLLMError):
    """The embedded llama.cpp server process exited (a signal such as SIGILL, or an exit code)."""

    def __init__(self, message: str, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


class EndpointUnavailable(FatalLLMError):
    """The pre-flight call failed: a dead URL, an unknown model, a rejected key, a broken build."""


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove API keys (the given ones, ``OPENAI_API_KEY``, and anything key-shaped) from ``text``."""
    env_key = os.environ.get("OPENAI_API_KEY")
    for secret in (*secrets, env_key):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    for pattern in _KEY_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text
