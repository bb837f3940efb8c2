"""Retries with jittered exponential backoff (tenacity), honouring ``Retry-After`` on 429.

Retried: rate limits (429), server errors (5xx), timeouts, dropped connections, and bodies that are not
valid JSON.  Not retried: other 4xx (a bad request or a bad key will not get better).  On giving up the
wrapper raises :class:`~simsocial.llm.errors.LLMEndpointError`, naming the endpoint, never the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from simsocial.llm.base import ChatModel, ChatModelWrapper
from simsocial.llm.errors import LLMEndpointError, MalformedResponseError
from simsocial.llm.stats import CallStats
from simsocial.llm.types import ChatRequest, ChatResponse


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, and the backoff's start and cap in seconds."""

    max_attempts: int = 6
    initial_wait_s: float = 0.5
    max_wait_s: float = 30.0


def is_retryable(exc: BaseException) -> bool:
    """Transient failures worth another attempt."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500 or exc.status_code == 408
    return isinstance(
        exc,
        openai.APITimeoutError
        | openai.APIConnectionError
        | openai.APIResponseValidationError
        | json.JSONDecodeError
        | MalformedResponseError,
    )


def retry_reason(exc: BaseException) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"http_{exc.status_code}"
    if isinstance(exc, openai.APITimeoutError):
        return "connection" if _dropped_connection(exc) else "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    return "malformed_body"


def _dropped_connection(exc: BaseException) -> bool:
    """A "timeout" that was really a dropped connection: the SDK's aiohttp transport maps every aiohttp
    ClientConnectionError (a server closing the socket included) to a connect timeout."""
    seen: BaseException | None = exc
    for _ in range(8):  # the cause chain is short; a bound keeps a cycle harmless
        if seen is None:
            return False
        module = type(seen).__module__
        if module.startswith("aiohttp") and "Timeout" not in type(seen).__name__:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's ``Retry-After`` (seconds form) on a 429, if it sent one."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # HTTP-date form: fall back to our own backoff


class RetryingModel(ChatModelWrapper):
    """Retries transient failures of ``inner`` and counts every retry in ``stats``."""

    def __init__(
        self,
        inner: ChatModel,
        endpoint: str,
        policy: RetryPolicy | None = None,
        stats: CallStats | None = None,
        key_env: str | None = None,
    ) -> None:
        super().__init__(inner)
        self.endpoint = endpoint
        self.key_env = key_env  # where the key came from: a 401 mid-run names it
        self.policy = policy or RetryPolicy()
        self.stats = stats if stats is not None else CallStats()
        self._backoff = wait_random_exponential(multiplier=self.policy.initial_wait_s, max=self.policy.max_wait_s)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        server_says = retry_after_seconds(exc)
        if server_says is not None:
            return min(server_says, self.policy.max_wait_s)
        return self._backoff(state)

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        self.stats.retries += 1
        if exc is not None:
            self.stats.retry_reasons[retry_reason(exc)] += 1

    async def chat(self, request: ChatRequest) -> ChatResponse:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(is_retryable),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    return await self.inner.chat(request)
        except (openai.OpenAIError, json.JSONDecodeError, MalformedResponseError) as exc:
            self.stats.failures += 1
            raise LLMEndpointError(self.endpoint, attempts, exc, self.key_env) from exc
        raise AssertionError("unreachable")  # pragma: no cover
