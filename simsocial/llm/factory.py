"""Build the LLM stacks: the one file that knows the order of the wrappers.

Order of wrappers (outermost first): cache → accounting → retries → concurrency limit → backend.
A cache hit therefore costs no slot, no retry and no tokens; every endpoint attempt takes a slot.
Three stacks are built here:

- :func:`open_llm`: an endpoint's own stack, from settings.  With no ``base_url`` the embedded llama.cpp
  server is started for the stack's lifetime (:func:`~simsocial.llm.endpoint.resolve_endpoint`).
- :func:`cell_stack`: a sweep cell's view of an endpoint's stack — its own retries and accounting (they
  only count, so each cell's ``run.json`` reports its own usage) over the endpoint's *shared* limiter and
  cache, so cells side by side never send more calls in flight than the endpoint was said to take.
- :func:`ready_stack`: a ready, in-process chat model, only counted.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from simsocial.llm.base import ChatModel
from simsocial.llm.cache import CachingModel, ResponseCache
from simsocial.llm.endpoint import ResolvedEndpoint, resolve_endpoint
from simsocial.llm.limits import AdaptiveConcurrencyLimit
from simsocial.llm.openai_backend import OpenAICompatibleModel
from simsocial.llm.preflight import preflight
from simsocial.llm.retry import RetryingModel, RetryPolicy
from simsocial.llm.server_guard import ServerGuardModel
from simsocial.llm.settings import DEFAULT_CACHE_PATH, LLMSettings, api_key_for, key_env
from simsocial.llm.stats import AccountingModel, CallStats

# LLMSettings and DEFAULT_CACHE_PATH are also named here, where they were defined before simsocial.llm.settings.
__all__ = ["DEFAULT_CACHE_PATH", "LLMSettings", "LLMStack", "cell_stack", "open_llm", "ready_stack"]


@dataclass
class LLMStack:
    """The ready-to-use model plus what a manifest needs to say about it."""

    model: ChatModel
    stats: CallStats
    model_name: str
    endpoint: str
    model_id: str
    limiter: AdaptiveConcurrencyLimit | None  # None for a ready chat model run in-process
    info: dict[str, Any] = field(default_factory=dict)
    # What a cell's view (cell_stack) shares: the model its retries wrap (the in-flight bound, and the
    # dead-server guard of an embedded one), the variable its key came from, and the cache.
    limited: ChatModel | None = None
    key_env: str | None = None
    cache: ResponseCache | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.model_name,
            "endpoint": self.endpoint,
            "model_id": self.model_id,
            **self.info,
            **{k: v for k, v in self.model.describe().items() if k == "structured_output"},
        }


@asynccontextmanager
async def open_llm(settings: LLMSettings, stats: CallStats | None = None) -> AsyncIterator[LLMStack]:
    """Resolve the endpoint (starting the embedded server if none is given) and wrap the model; close
    everything on exit, error or cancellation."""
    stats = stats if stats is not None else CallStats()
    endpoint: ResolvedEndpoint | None = None
    cache: ResponseCache | None = None
    closer: ChatModel | None = None  # whatever holds the connections, closed however we leave
    try:
        endpoint = resolve_endpoint(settings)
        backend = OpenAICompatibleModel(
            endpoint.base_url,
            endpoint.model,
            api_key=endpoint.api_key or api_key_for(settings),
            dialect=settings.structured_output,
            timeout_s=settings.timeout_s,
            max_connections=max(settings.max_in_flight, 16),
            max_pause_s=settings.max_wait_s,  # rate-limit pacing waits no longer than a retry would
        )
        closer = backend
        limiter = AdaptiveConcurrencyLimit(backend, settings.max_in_flight)
        server = endpoint.server
        # Inside the retries, so a dead embedded server stops the run instead of being retried.
        guarded: ChatModel = ServerGuardModel(limiter, server) if server else limiter
        if settings.cache_path is not None and settings.cache_mode != "off":
            cache = ResponseCache(settings.cache_path)
        stack_key_env = key_env(settings, embedded=server is not None)
        model = _counted(guarded, backend.endpoint, settings, stats, stack_key_env, cache, endpoint.model_id)
        info: dict[str, Any] = {"embedded": True, "gguf": server.gguf.name} if server else {}
        described = "embedded llama.cpp (127.0.0.1)" if server else backend.endpoint
        if settings.preflight and settings.cache_mode != "replay":
            # Before any dialogue is admitted: a dead URL or a broken build shows up within seconds.
            await preflight(ServerGuardModel(backend, server) if server else backend, backend.endpoint, endpoint.model,
                            key_env=settings.api_key_env)  # fmt: skip
        closer = model
        yield LLMStack(model, stats, endpoint.model, described, endpoint.model_id, limiter, info,
                       limited=guarded, key_env=stack_key_env, cache=cache)  # fmt: skip
    finally:
        if closer is not None:
            with contextlib.suppress(Exception):  # a failed close must not hide why we are leaving
                await closer.aclose()
        if cache is not None:
            cache.close()
        if endpoint is not None and endpoint.server is not None:
            endpoint.server.stop()


def _counted(inner: ChatModel, endpoint: str, settings: LLMSettings, stats: CallStats, key_env: str | None,
             cache: ResponseCache | None, model_id: str) -> ChatModel:  # fmt: skip
    """The wrappers above the limiter, outermost first: cache → accounting → retries → ``inner``."""
    policy = RetryPolicy(settings.max_attempts, max_wait_s=settings.max_wait_s)
    model: ChatModel = AccountingModel(RetryingModel(inner, endpoint, policy, stats, key_env), stats)
    if cache is not None:
        model = CachingModel(model, cache, model_id, settings.cache_mode, stats)
    return model


def cell_stack(shared: LLMStack, settings: LLMSettings, stats: CallStats) -> LLMStack:
    """A sweep cell's view of ``shared`` (opened by :func:`open_llm` from ``settings``): the cell's own
    retries and accounting into ``stats``, over the shared limiter and cache (see the module doc)."""
    if shared.limited is None:
        raise ValueError("a cell's view needs an endpoint's stack (open_llm), not a ready chat model's")
    model = _counted(shared.limited, shared.endpoint, settings, stats, shared.key_env, shared.cache,
                     shared.model_id)  # fmt: skip
    return dataclasses.replace(shared, model=model, stats=stats)


def ready_stack(model: ChatModel, stats: CallStats) -> LLMStack:
    """A stack over a ready chat model: only counted into ``stats`` (no retries, no limiter, no cache)."""
    described = model.describe()
    name = str(described.get("model") or type(model).__name__)
    return LLMStack(AccountingModel(model, stats), stats, name, "in-process", name, None,
                    {"backend": described.get("backend", type(model).__name__)})  # fmt: skip
