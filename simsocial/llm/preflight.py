"""One tiny completion before any dialogue is admitted.

A dead URL, a wrong model name, a rejected key or a llama.cpp build that crashes on its first
completion all look, to a run, like thousands of failing calls.  Asking once, up front, turns each
into one clear :class:`~simsocial.llm.errors.EndpointUnavailable` within seconds, before anything is
written.
"""

from __future__ import annotations

import asyncio

import openai

from simsocial.llm.base import ChatModel
from simsocial.llm.errors import EndpointUnavailable, FatalLLMError, redact
from simsocial.llm.settings import DEFAULT_KEY_ENV
from simsocial.llm.types import ChatRequest

PREFLIGHT_REQUEST = ChatRequest(
    messages=({"role": "user", "content": "Reply with the single word: ready"},),
    temperature=0.0,
    max_tokens=4,
    seed=0,
    call_key="preflight",
)


def explain(exc: BaseException, endpoint: str, model: str, key_env: str = DEFAULT_KEY_ENV) -> str:
    """A one-line cause a researcher can act on; never the key.  ``key_env`` names the environment variable
    the key was read from (a role may name its own), so a rejected key points at the variable to fix."""
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return f"{endpoint} rejected the API key (HTTP {exc.status_code}); check {key_env}"
    if isinstance(exc, openai.NotFoundError):
        return f"model '{model}' not found at {endpoint} (HTTP 404); check --model and --base-url"
    if isinstance(exc, openai.APIStatusError):
        return f"{endpoint} answered HTTP {exc.status_code}: {redact(str(exc))[:300]}"
    if _refused(exc):  # before the timeout: openai's aiohttp transport reports a refused connect as a timeout
        return f"cannot reach {endpoint}: connection refused"
    if isinstance(exc, openai.APITimeoutError):
        return f"no answer from {endpoint} (timed out)"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = "connection refused" if "refused" in repr(cause).lower() else redact(str(cause or exc))[:200]
        return f"cannot reach {endpoint}: {detail}"
    return f"{endpoint} failed: {type(exc).__name__}: {redact(str(exc))[:300]}"


def _refused(exc: BaseException) -> bool:
    """Whether a connection refusal is somewhere in ``exc``'s chain of causes."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 20:
        if isinstance(current, ConnectionRefusedError):
            return True
        seen.append(current)
        current = current.__cause__ or current.__context__
    return False


def _transient(exc: BaseException) -> bool:
    # A server still loading (503) or briefly overloaded deserves a few seconds; a refused connection,
    # a 404 or a 401 will not get better and is reported at once.
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 408 or exc.status_code >= 500
    return isinstance(exc, openai.APITimeoutError) and not _refused(exc)


async def preflight(
    model: ChatModel, endpoint: str, model_name: str, attempts: int = 3, key_env: str | None = None
) -> None:
    """Send :data:`PREFLIGHT_REQUEST` straight to ``model`` (no cache); raise one named error on failure.

    ``key_env``: the variable holding this stack's key (None: :data:`DEFAULT_KEY_ENV`), named if it is rejected.
    """
    for attempt in range(1, attempts + 1):
        try:
            await model.chat(PREFLIGHT_REQUEST)
            return
        except FatalLLMError:
            raise
        except openai.RateLimitError:
            return  # a 429 proves the endpoint, the route and the key: the run's own pacing takes it from here
        except Exception as exc:  # noqa: BLE001 - every failure becomes one named error
            if attempt < attempts and _transient(exc):
                await asyncio.sleep(attempt)
                continue
            cause = explain(exc, endpoint, model_name, key_env or DEFAULT_KEY_ENV)
            raise EndpointUnavailable(f"pre-flight check failed: {cause}") from None
