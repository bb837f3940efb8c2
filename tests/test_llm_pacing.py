"""Pacing by rate-limit headers: calls wait for the window to reset before a 429 happens (a real HTTP server
on 127.0.0.1 enforcing a fixed-window limit and reporting it as OpenAI and vLLM do)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from fault_server import FaultServer

from simsocial.llm.errors import LLMError
from simsocial.llm.limits import AdaptiveConcurrencyLimit
from simsocial.llm.openai_backend import OpenAICompatibleModel
from simsocial.llm.pacing import RateLimitPacer, parse_duration
from simsocial.llm.retry import RetryingModel, RetryPolicy
from simsocial.llm.stats import CallStats
from simsocial.llm.types import ChatRequest


@pytest.mark.parametrize(
    ("text", "seconds"), [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0.25", 0.25),
                          ("soon", None), (None, None)],
)  # fmt: skip
def test_durations_as_openai_writes_them(text: str | None, seconds: float | None) -> None:
    assert parse_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_no_remaining_requests_waits_for_the_reset_and_retry_after_pauses_everyone() -> None:
    pacer = RateLimitPacer()
    asyncio.run(pacer.before_call(10))
    assert pacer.pauses == 0  # nothing known: never paced
    pacer.observe({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "50ms"})
    asyncio.run(pacer.before_call(10))
    assert pacer.pauses == 1 and 0 < pacer.paused_s <= 0.05
    pacer.observe({"x-ratelimit-remaining-tokens": "100", "x-ratelimit-reset-tokens": "30ms"})
    asyncio.run(pacer.before_call(60))  # fits
    asyncio.run(pacer.before_call(60))  # 40 left: waits for the token window
    assert pacer.pauses == 2
    pacer.observe({"retry-after-ms": "20"})
    asyncio.run(pacer.before_call(1))
    assert pacer.pauses == 3


def _stack(server: FaultServer, pacing: bool, stats: CallStats, in_flight: int, attempts: int = 20):
    backend = OpenAICompatibleModel(server.base_url, "fake", dialect="none", pacing=pacing)
    policy = RetryPolicy(max_attempts=attempts, initial_wait_s=0.05, max_wait_s=1.0)
    return RetryingModel(AdaptiveConcurrencyLimit(backend, in_flight), server.base_url, policy, stats), backend


def _request(i: int) -> ChatRequest:
    # Same length for every i < 10: 21 tokens by the server's count, 25 by the client's estimate.
    return ChatRequest(messages=({"role": "user", "content": f"hello {i}"},), max_tokens=20)


# A window the server counts in: requests (3 a window), or tokens (3 calls of 21 fit in 66; the client, whose
# estimate is 25 a call, sends 2).  A 60 s window never resets during a test: what it allows is a count.
WINDOWS = {"requests": {"rate_limit": (3, 0.3)}, "tokens": {"rate_limit": (1000, 0.3), "token_limit": 66}}
LONG = {"requests": {"rate_limit": (5, 60.0)}, "tokens": {"rate_limit": (1000, 60.0), "token_limit": 21 + 4 * 25 + 10}}


@pytest.mark.parametrize("limit", ["requests", "tokens"])
def test_one_call_at_a_time_never_meets_a_429_however_slow_the_machine(limit: str) -> None:
    """Each call leaves after the figures of the one before arrived, and those say when the window resets
    no earlier than it does (measured by the server before the answer left): so pacing by them, not one of
    seven calls over several windows is refused, at any speed.  Unpaced, a call past the room is (below)."""
    stats = CallStats()
    with FaultServer(ok_delay_s=0.02, **WINDOWS[limit]) as server:
        model, backend = _stack(server, True, stats, in_flight=1)

        async def calls() -> None:
            try:
                for i in range(7):
                    await model.chat(_request(i))
            finally:
                await model.aclose()

        asyncio.run(calls())
        assert server.rate_limited == 0 and len(server.requests) == 7
    assert (stats.failures, stats.retries) == (0, 0)


@pytest.mark.parametrize("limit", ["requests", "tokens"])
def test_calls_started_together_take_only_the_room_the_figures_leave(limit: str) -> None:
    """After one answer says what is left (4 calls' worth), eight calls start at once: four are sent, the
    other four wait in the pacer for the reset (counted from the calls it sent, not from stale figures)."""
    stats = CallStats()
    with FaultServer(ok_delay_s=0.02, **LONG[limit]) as server:
        model, backend = _stack(server, True, stats, in_flight=8)

        async def calls() -> None:
            try:
                await model.chat(_request(0))
                tasks = [asyncio.create_task(model.chat(_request(i))) for i in range(1, 9)]
                done: set[asyncio.Task] = set()
                while len(done) < 4:  # the four the window has room for
                    finished, _ = await asyncio.wait(set(tasks) - done, return_when=asyncio.FIRST_COMPLETED)
                    done |= finished
                held = [t for t in tasks if t not in done]
                assert len(done) == 4 and all(t.exception() is None for t in done)
                assert backend.pacer.pauses >= 4  # each of the four held decided to wait before sending
                for task in held:  # waiting for a reset a minute away: not sent, then cancelled here
                    task.cancel()
                await asyncio.gather(*held, return_exceptions=True)
            finally:
                await model.aclose()

        asyncio.run(calls())
        assert len(server.requests) == 5 and server.rate_limited == 0
    assert stats.failures == 0


@pytest.mark.parametrize("limit", ["requests", "tokens"])
def test_unpaced_the_same_calls_are_refused(limit: str) -> None:
    """The control: without pacing, one call past the window's room gets the server's 429."""
    stats = CallStats()
    room = {"requests": 5, "tokens": 6}[limit]  # the long window's room: 5 requests, or 6 calls of 21 tokens in 131
    with FaultServer(ok_delay_s=0.02, **LONG[limit]) as server:
        model, _ = _stack(server, False, stats, in_flight=1, attempts=1)

        async def calls() -> None:
            try:
                for i in range(room + 1):
                    with contextlib.suppress(LLMError):
                        await model.chat(_request(i))
            finally:
                await model.aclose()

        asyncio.run(calls())
        assert server.rate_limited == 1 and len(server.requests) == room + 1
    assert stats.failures == 1
