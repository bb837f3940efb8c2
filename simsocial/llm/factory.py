"""Build the LLM stack a run uses from one settings object.

Order of wrappers (outermost first): cache → accounting → retries → concurrency limit → backend.
A cache hit therefore costs no slot, no retry and no tokens; every endpoint attempt takes a slot.
With no ``base_url`` the embedded llama.cpp server is started for the stack's lifetime
(:func:`~simsocial.llm.endpoint.resolve_endpoint`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from simsocial.llm.base import ChatModel
from simsocial.llm.cache import CacheMode, CachingModel, ResponseCache
from simsocial.llm.endpoint import ResolvedEndpoint, resolve_endpoint
from simsocial.llm.errors import public_url
from simsocial.llm.limits import AdaptiveConcurrencyLimit
from simsocial.llm.openai_backend import Dialect, OpenAICompatibleModel
from simsocial.llm.preflight import preflight
from simsocial.llm.retry import RetryingModel, RetryPolicy
from simsocial.llm.server_guard import ServerGuardModel
from simsocial.llm.stats import AccountingModel, CallStats

DEFAULT_CACHE_PATH = Path(".simsocial-cache/llm.sqlite")


class LLMSettings(BaseModel):
    """Where and how to call the model.  The API key is read from ``OPENAI_API_KEY``, never stored here."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; None starts the embedded model")
    model: str | None = Field(None, description="model name at the endpoint")
    gguf: Path | None = Field(None, description="GGUF file for the embedded server (default: SmolLM2-135M)")
    structured_output: Dialect = "auto"
    timeout_s: float = Field(120.0, gt=0)
    max_attempts: int = Field(6, ge=1)
    max_wait_s: float = Field(30.0, ge=0)
    max_in_flight: int = Field(8, ge=1)
    cache_path: Path | None = DEFAULT_CACHE_PATH
    cache_mode: CacheMode = "readwrite"
    model_id: str | None = Field(None, description="cache identity of the model (default: derived)")
    preflight: bool = Field(True, description="one tiny completion before any dialogue is admitted")
    server_log: Path | None = Field(None, description="embedded server's log file (default: one in the temp dir)")
    api_key_env: str | None = Field(None, description="env variable with the key (default OPENAI_API_KEY)")

    @field_serializer("base_url", when_used="json")
    def _recorded_url(self, url: str | None) -> str | None:
        return public_url(url) if url else url  # run.json records no credentials a URL may carry


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
        from simsocial.llm.roles import api_key_for  # a role may name its own key variable

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
        policy = RetryPolicy(settings.max_attempts, max_wait_s=settings.max_wait_s)
        key_env = None if server else settings.api_key_env or "OPENAI_API_KEY"
        model: ChatModel = AccountingModel(RetryingModel(guarded, backend.endpoint, policy, stats, key_env), stats)
        if settings.cache_path is not None and settings.cache_mode != "off":
            cache = ResponseCache(settings.cache_path)
            model = CachingModel(model, cache, endpoint.model_id, settings.cache_mode, stats)
        info: dict[str, Any] = {"embedded": True, "gguf": server.gguf.name} if server else {}
        described = "embedded llama.cpp (127.0.0.1)" if server else backend.endpoint
        if settings.preflight and settings.cache_mode != "replay":
            # Before any dialogue is admitted: a dead URL or a broken build shows up within seconds.
            await preflight(ServerGuardModel(backend, server) if server else backend, backend.endpoint, endpoint.model,
                            key_env=settings.api_key_env)  # fmt: skip
        closer = model
        yield LLMStack(model, stats, endpoint.model, described, endpoint.model_id, limiter, info)
    finally:
        if closer is not None:
            with contextlib.suppress(Exception):  # a failed close must not hide why we are leaving
                await closer.aclose()
        if cache is not None:
            cache.close()
        if endpoint is not None and endpoint.server is not None:
            endpoint.server.stop()
