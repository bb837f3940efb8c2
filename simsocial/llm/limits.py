"""A bound on in-flight calls that halves on rate limits and creeps back up on success (AIMD).

Sits between the retry wrapper and the backend, so every attempt takes a slot and every 429 is seen,
while a retry that is only sleeping holds none.
"""

from __future__ import annotations

import asyncio

import openai

from simsocial.llm.base import ChatModel, ChatModelWrapper
from simsocial.llm.types import ChatRequest, ChatResponse


class AdaptiveConcurrencyLimit(ChatModelWrapper):
    """At most ``limit`` calls in flight; ``limit`` starts at ``max_in_flight``.

    A 429 halves the limit (never below ``min_in_flight``); each success adds ``1/limit`` back, so the
    limit regains one slot per window of successful calls — the TCP-style additive increase.
    """

    def __init__(self, inner: ChatModel, max_in_flight: int, min_in_flight: int = 1) -> None:
        super().__init__(inner)
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.max_in_flight = max_in_flight
        self.min_in_flight = max(1, min(min_in_flight, max_in_flight))
        self.limit = float(max_in_flight)
        self.in_flight = 0
        self.backoffs = 0
        self._cond: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:  # created lazily so the wrapper can be built outside a running loop
            self._cond = asyncio.Condition()
        return self._cond

    async def chat(self, request: ChatRequest) -> ChatResponse:
        cond = self._condition()
        async with cond:
            await cond.wait_for(lambda: self.in_flight < int(self.limit))
            self.in_flight += 1
        try:
            response = await self.inner.chat(request)
        except openai.RateLimitError:
            self.limit = max(float(self.min_in_flight), self.limit / 2)
            self.backoffs += 1
            raise
        else:
            self.limit = min(float(self.max_in_flight), self.limit + 1.0 / self.limit)
            return response
        finally:
            async with cond:
                self.in_flight -= 1
                cond.notify_all()
