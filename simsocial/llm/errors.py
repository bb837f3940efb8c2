"""Errors of the LLM layer, and scrubbing secrets out of anything that might be shown or stored."""

from __future__ import annotations

import os
import re
import threading

from simsocial.llm.causes import plain_cause

_KEY_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.]{8,}"),
    re.compile(r"(?i)(api[_-]?key['\"]?\s*[:=]\s*['\"]?)[^\s'\",]+"),
)


# Every key this process has handed to a client (role keys from --persuader-api-key-env or a sweep's
# api_key_env, the embedded server's own key): redact() strips them whatever their shape.
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a key in use so :func:`redact` strips it from every message, log line and stored error."""
    if value and len(value) >= 4:
        with _SECRETS_LOCK:
            _SECRETS.add(value)


def public_url(url: str) -> str:
    """``url`` without the credentials it may carry (``http://user:pass@host`` → ``http://host``): what is
    recorded (run.json, fingerprint, cache key, report) and shown.  The password is registered as a secret,
    so a library's error message that quotes the full URL is redacted too."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    if not sep or "@" not in authority:
        return url
    userinfo, _, host = authority.rpartition("@")
    register_secret(userinfo)
    register_secret(userinfo.partition(":")[2])
    return f"{scheme}://{host}{slash}{path}"


class LLMError(RuntimeError):
    """Base class of errors raised by the LLM layer."""


class LLMEndpointError(LLMError):
    """The endpoint kept failing after all retries; the message names the endpoint, never the key."""

    def __init__(self, endpoint: str, attempts: int, cause: BaseException, key_env: str | None = None) -> None:
        detail = redact(f"{type(cause).__name__}: {cause}")
        # The cause stays chained for debugging; scrub it too, since a printed traceback shows its text
        # and some servers quote the key back in their error body.
        cause.args = tuple(redact(a) if isinstance(a, str) else a for a in cause.args)
        if isinstance(getattr(cause, "message", None), str):
            cause.message = redact(cause.message)  # type: ignore[attr-defined]
        self.cause = plain_cause(cause, key_env)  # "connection refused", "HTTP 401 ...": what the CLI's last line says
        super().__init__(f"endpoint {endpoint} failed after {attempts} attempt(s): {self.cause} ({detail})")
        self.endpoint = endpoint
        self.attempts = attempts


class MalformedResponseError(LLMError):
    """The endpoint answered 200 with something that is not a chat completion (e.g. a proxy's HTML page)."""


class AnswerTooLarge(LLMError):
    """The endpoint's answer was over a size limit (body bytes); it was not read whole.  :func:`~simsocial.
    elicit.elicit` counts it as a failed attempt of that one choice, like an answer that cannot be parsed."""


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
    """Remove API keys from ``text``: the given ones, ``OPENAI_API_KEY``, every key registered with
    :func:`register_secret` (role keys, the embedded server's), and anything key-shaped.  Longest first,
    so a key that contains another is not left half-redacted."""
    with _SECRETS_LOCK:
        known = set(_SECRETS)
    known.update(s for s in (*secrets, os.environ.get("OPENAI_API_KEY")) if s and len(s) >= 4)
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, "***")
    for pattern in _KEY_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text
