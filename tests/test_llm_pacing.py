"""Pacing by rate-limit headers: calls wait for the window to reset before a 429 happens (a real HTTP server
on 127.0.0.1 enforcing a fixed-window limit and reporting it as OpenAI and vLLM do)."""

from __future__ import annotations

import asyncio

import pytest
from fault_server import FaultServer

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


def _stack(server: FaultServer, pacing: bool, stats: CallStats) -> RetryingModel:
    backend = OpenAICompatibleModel(server.base_url, "fake", dialect="none", pacing=pacing)
    return RetryingModel(AdaptiveConcurrencyLimit(backend, 8), server.base_url,
                         RetryPolicy(max_attempts=20, initial_wait_s=0.05, max_wait_s=1.0), stats)  # fmt: skip


async def _calls(model: RetryingModel, n: int) -> None:
    requests = [ChatRequest(messages=({"role": "user", "content": f"hello {i}"},), max_tokens=20) for i in range(n)]
    try:
        await asyncio.gather(*(model.chat(r) for r in requests))
    finally:
        await model.aclose()


@pytest.mark.parametrize("limit", ["requests", "tokens"])
def test_pacing_keeps_calls_under_the_limit_the_headers_report(limit: str) -> None:
    window = {"rate_limit": (5, 0.4)} if limit == "requests" else {"rate_limit": (1000, 0.4), "token_limit": 130}
    results = {}
    for pacing in (False, True):
        stats = CallStats()
        with FaultServer(ok_delay_s=0.02, record=False, **window) as server:
            asyncio.run(_calls(_stack(server, pacing, stats), 30))
            results[pacing] = server.rate_limited
        assert stats.failures == 0  # every call got through in the end
    # Without pacing, 429s come every window (~65-75 here); with it essentially only the first burst (before
    # any header was seen, eight calls in flight against a window of five: 2-3) overruns.  The bound leaves
    # room for one late header on a loaded machine, not for 429s window after window.
    assert results[True] <= 8 and results[False] >= 4 * max(results[True], 1)
