"""Requests and responses of the one chat interface every backend and wrapper speaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ChatRequest:
    """Messages in, plus the knobs a call may set.

    ``response_schema`` asks for structured output (the backend picks the dialect its server takes).
    ``call_key`` names the call's place in a run (e.g. ``"d12/t3/persuader/c0/a0"``); together with
    ``seed`` it keeps cache entries of different replicates and different calls apart.
    """

    messages: tuple[dict[str, str], ...]
    response_schema: dict[str, Any] | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    call_key: str = ""
    top_p: float | None = None  # nucleus sampling; None = the server's default (last: positional use stays valid)


@dataclass(frozen=True)
class ChatResponse:
    """What came back: text, token usage, latency and why generation stopped."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    finish_reason: str | None = None
    model: str = ""
    cached: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
