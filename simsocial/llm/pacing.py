"""Pacing by the rate-limit headers OpenAI and vLLM send, so calls wait *before* a 429 happens.

Every response may carry ``x-ratelimit-remaining-requests`` / ``x-ratelimit-reset-requests`` and
``x-ratelimit-remaining-tokens`` / ``x-ratelimit-reset-tokens`` (durations such as ``"1s"``, ``"6m0s"``,
``"20ms"``), and ``retry-after`` (seconds, or ``retry-after-ms``).  :class:`RateLimitPacer` keeps the
latest figures and, before each call, waits until the window resets when the call would not fit:

- requests: when none remain (after counting the calls already sent since the last figures);
- tokens: when fewer remain than the call may use (its prompt estimate plus ``max_tokens``);
- ``retry-after`` on any response pauses every new call until then.

It sits inside the backend, under the AIMD concurrency limit (:mod:`simsocial.llm.limits`), which still
halves on a 429 if one happens anyway.  Servers that send none of these headers are never paced.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
DEFAULT_RESET_S = 1.0  # when a server says "none remaining" without saying for how long


def parse_duration(value: str | None) -> float | None:
    """Seconds in an OpenAI-style duration (``"1s"``, ``"6m0s"``, ``"20ms"``) or a bare number of seconds."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parts = _DURATION.findall(value)
    if not parts:
        return None
    return sum(float(number) * _UNIT_S[unit] for number, unit in parts)


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


class RateLimitPacer:
    """Shared by every call to one endpoint; see the module doc.  ``pauses``/``paused_s`` count its waits."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_pause_s: float = 30.0) -> None:
        self.clock = clock
        self.max_pause_s = max_pause_s  # a server asking for an hour cannot stall a run (like retry's max_wait_s)
        self.paused_until = 0.0
        self.limit_requests: int | None = None  # the window's size, if the server says (x-ratelimit-limit-*)
        self.remaining_requests: int | None = None
        self.requests_reset_at = 0.0
        self.limit_tokens: int | None = None
        self.remaining_tokens: int | None = None
        self.tokens_reset_at = 0.0
        self.pauses = 0
        self.paused_s = 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the figures of one response (any status)."""
        now = self.clock()
        retry_ms = _int(headers.get("retry-after-ms"))
        retry = retry_ms / 1000 if retry_ms is not None else parse_duration(headers.get("retry-after"))
        if retry is not None:
            self.paused_until = max(self.paused_until, now + min(retry, self.max_pause_s))
        self.limit_requests = _int(headers.get("x-ratelimit-limit-requests")) or self.limit_requests
        self.limit_tokens = _int(headers.get("x-ratelimit-limit-tokens")) or self.limit_tokens
        requests = _int(headers.get("x-ratelimit-remaining-requests"))
        if requests is not None:
            reset = parse_duration(headers.get("x-ratelimit-reset-requests"))
            self.remaining_requests = self._merge(self.remaining_requests, requests, now < self.requests_reset_at)
            self.requests_reset_at = now + (reset if reset is not None else DEFAULT_RESET_S)
        tokens = _int(headers.get("x-ratelimit-remaining-tokens"))
        if tokens is not None:
            reset = parse_duration(headers.get("x-ratelimit-reset-tokens"))
            self.remaining_tokens = self._merge(self.remaining_tokens, tokens, now < self.tokens_reset_at)
            self.tokens_reset_at = now + (reset if reset is not None else DEFAULT_RESET_S)

    @staticmethod
    def _merge(local: int | None, reported: int, same_window: bool) -> int:
        # Within a window a response can only be staler than our own count (calls we sent after its
        # request are not in it yet), so the figure only ever goes down until the window resets.
        return min(local, reported) if same_window and local is not None else reported

    async def before_call(self, tokens: int) -> None:
        """Wait until a call that may use ``tokens`` fits the endpoint's limits, then count it as sent."""
        while True:
            now = self.clock()
            until = self.paused_until
            if self.remaining_requests is not None and self.remaining_requests <= 0 and now < self.requests_reset_at:
                until = max(until, self.requests_reset_at)
            if self.remaining_tokens is not None and self.remaining_tokens < tokens and now < self.tokens_reset_at:
                until = max(until, self.tokens_reset_at)
            until = min(until, now + self.max_pause_s)
            if until <= now:
                break
            self.pauses += 1
            self.paused_s += until - now
            await asyncio.sleep(until - now)
        now = self.clock()
        # Past a reset the window is full again: its size if the server said it, else unknown (no pacing).
        if self.remaining_requests is not None and now >= self.requests_reset_at:
            self.remaining_requests = self.limit_requests
            self.requests_reset_at = now + DEFAULT_RESET_S if self.limit_requests is not None else 0.0
        if self.remaining_requests is not None:
            self.remaining_requests -= 1
        if self.remaining_tokens is not None and now >= self.tokens_reset_at:
            self.remaining_tokens = self.limit_tokens
            self.tokens_reset_at = now + DEFAULT_RESET_S if self.limit_tokens is not None else 0.0
        if self.remaining_tokens is not None:
            self.remaining_tokens -= tokens
