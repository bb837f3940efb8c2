"""A cell's view of its endpoint's shared LLM runtime: the same loop, connections, in-flight limit and
cache, but its own accounting.

Cells of a sweep that run side by side on one endpoint must share one bound on calls in flight (else N
cells would send N times the calls the endpoint was said to take), yet each cell's ``run.json`` must
report only its own usage.  :class:`CellRuntime` therefore stacks fresh accounting and retry wrappers
(they only count) on top of the endpoint runtime's concurrency limiter, and reuses its cache handle::

    cell cache view → cell accounting → cell retries → SHARED (server guard →) limiter → backend

It quacks like :class:`~simsocial.llm.runtime.LLMRuntime` (``in_thread``, ``settings``, ``stack``, ``run``,
``submit``, ``gather``, ``close``) so :func:`~simsocial.sim.runner.run_simulation` and the executors take it as is.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any, TypeVar

from simsocial.llm.cache import CachingModel
from simsocial.llm.factory import LLMStack
from simsocial.llm.retry import RetryingModel, RetryPolicy
from simsocial.llm.runtime import LLMRuntime
from simsocial.llm.stats import COUNTERS, AccountingModel, CallStats

T = TypeVar("T")


def _retries(model: Any) -> RetryingModel:
    """The endpoint's retry wrapper (what it wraps: the limiter, and a dead-server guard for the embedded one)."""
    while not isinstance(model, RetryingModel):
        model = model.inner  # every wrapper above the retries has one; a bare backend would be a bug
    return model


def cell_stack(shared: LLMStack, runtime: LLMRuntime, stats: CallStats) -> LLMStack:
    """``shared`` with the cell's own retry and accounting wrappers over what the shared retries wrap."""
    settings = runtime.settings
    policy = RetryPolicy(settings.max_attempts, max_wait_s=settings.max_wait_s)
    retries = _retries(shared.model)
    model: Any = AccountingModel(RetryingModel(retries.inner, shared.endpoint, policy, stats, retries.key_env), stats)
    outer = shared.model
    if isinstance(outer, CachingModel):
        model = CachingModel(model, outer.cache, outer.model_id, outer.mode, stats)
    return dataclasses.replace(shared, model=model, stats=stats)


class CellRuntime:
    """One cell's handle on an endpoint runtime it does not own (closing it closes nothing)."""

    in_thread = True  # the shared runtime's loop runs on its own thread

    def __init__(self, shared: LLMRuntime, stats: CallStats | None = None) -> None:
        self.shared = shared
        self.settings = shared.settings
        self.stack = cell_stack(shared.stack, shared, stats if stats is not None else CallStats())
        # The persuader's own endpoint (a Table-21 sweep), counted in this cell's stats too.
        shared_persuader = getattr(shared, "persuader_stack", shared.stack)
        self.persuader_settings = getattr(shared, "persuader_settings", None)
        self.persuader_stack = (
            self.stack if shared_persuader is shared.stack else cell_stack(shared_persuader, shared, self.stack.stats)
        )

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.shared.run(coro)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return self.shared.submit(coro)

    def gather(self, coros: list[Awaitable[T]]) -> list[T]:
        return self.shared.gather(coros)

    def close(self) -> None:
        """Nothing to release: the endpoint's runtime belongs to the sweep."""


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
