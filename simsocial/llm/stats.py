"""Accounting of LLM calls: counts, tokens, latency, retries — shared by the wrappers of one run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from simsocial.llm.base import ChatModelWrapper
from simsocial.llm.types import ChatRequest, ChatResponse

COUNTERS = ("calls", "cache_hits", "endpoint_calls", "retries", "failures", "prompt_tokens", "completion_tokens",
             "latency_s")  # fmt: skip


@dataclass
class CallStats:
    """Running totals for one run (the manifest's ``usage`` block)."""

    calls: int = 0  # calls answered (by the endpoint or the cache)
    cache_hits: int = 0
    endpoint_calls: int = 0
    retries: int = 0
    failures: int = 0  # calls that gave up after all retries
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0  # summed latency of endpoint calls
    retry_reasons: Counter[str] = field(default_factory=Counter)

    def record(self, response: ChatResponse) -> None:
        self.calls += 1
        if response.cached:
            self.cache_hits += 1
            return
        self.endpoint_calls += 1
        self.prompt_tokens += response.prompt_tokens
        self.completion_tokens += response.completion_tokens
        self.latency_s += response.latency_s

    def merge(self, other: CallStats) -> None:
        """Add another run's (or worker's) totals into this one."""
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.retry_reasons.update(other.retry_reasons)

    def __sub__(self, other: CallStats) -> CallStats:
        """The calls made since ``other`` was taken (``stats - snapshot``), as a new :class:`CallStats`."""
        delta = CallStats(**{name: getattr(self, name) - getattr(other, name) for name in COUNTERS})
        delta.retry_reasons = self.retry_reasons - other.retry_reasons
        return delta

    def copy(self) -> CallStats:
        """A snapshot of the totals so far (to subtract later)."""
        return CallStats(**{name: getattr(self, name) for name in COUNTERS}, retry_reasons=Counter(self.retry_reasons))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["retry_reasons"] = dict(self.retry_reasons)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallStats:
        data = dict(data)
        data["retry_reasons"] = Counter(data.get("retry_reasons", {}))
        return cls(**data)


class AccountingModel(ChatModelWrapper):
    """Records every answered call into a :class:`CallStats`."""

    def __init__(self, inner: ChatModelWrapper | Any, stats: CallStats) -> None:
        super().__init__(inner)
        self.stats = stats

    async def chat(self, request: ChatRequest) -> ChatResponse:
        response = await self.inner.chat(request)
        self.stats.record(response)
        return response


class StatsTotal:
    """Read-only running sum of several :class:`CallStats` (what the sweep's progress bar shows)."""

    def __init__(self, parts: Iterable[CallStats] = ()) -> None:
        self.parts: list[CallStats] = list(parts)

    def __getattr__(self, name: str) -> Any:
        if name in COUNTERS:
            return sum(getattr(part, name) for part in list(self.parts))
        raise AttributeError(name)

    def total(self) -> CallStats:
        """A snapshot as one :class:`CallStats`."""
        out = CallStats()
        for part in list(self.parts):
            out.merge(part)
        return out
