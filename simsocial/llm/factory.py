"""Build the LLM stack a run uses from one settings object.

Order of wrappers (outermost first): cache → accounting → retries → concurrency limit → backend.
A cache hit therefore costs no slot, no retry and no tokens; every endpoint attempt takes a slot.
With no ``base_url`` the embedded llama.cpp server is started for the stack's lifetime.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simsocial.llm.base import ChatModel
from simsocial.llm.cache import CacheMode, CachingModel, ResponseCache
from simsocial.llm.embedded import EmbeddedServer
from simsocial.llm.limits import AdaptiveConcurrencyLimit
from simsocial.llm.openai_backend import Dialect, OpenAICompatibleModel
from simsocial.llm.retry import RetryingModel, RetryPolicy
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
    api_key_env: str | None = Field(None, description="env variable with the key (default OPENAI_API_KEY)")

    def resolved_model_id(self, model: str) -> str:
        if self.model_id:
            return self.model_id
        if self.base_url is None:
            return f"embedded:{(self.gguf.name if self.gguf else 'SmolLM2-135M-Instruct.Q4_1.gguf')}"
        return f"{self.base_url.rstrip('/')}|{model}"


@dataclass
class LLMStack:
    """The ready-to-use model plus what a manifest needs to say about it."""

    model: ChatModel
    stats: CallStats
    model_name: str
    endpoint: str
    model_id: str
    limiter: AdaptiveConcurrencyLimit
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
    """Start (if embedded) and wrap the model; close everything on exit, error or cancellation."""
    stats = stats if stats is not None else CallStats()
    server: EmbeddedServer | None = None
    cache: ResponseCache | None = None
    base_url, model_name = settings.base_url, settings.model
    info: dict[str, Any] = {}
    try:
        if base_url is None:
            server = EmbeddedServer(gguf=settings.gguf)
            # Started from this (long-lived) thread on purpose: the kernel's parent-death signal that keeps
            # the server from outliving us is tied to the thread that forked it, so a worker thread of
            # asyncio.to_thread that exits would take the server down with it.
            server.start()
            base_url, model_name = server.base_url, server.model
            info = {"embedded": True, "gguf": server.gguf.name}
        if not model_name:
            raise ValueError("--model is required with --base-url")
        from simsocial.llm.roles import api_key_for  # a role may name its own key variable

        backend = OpenAICompatibleModel(
            base_url,
            model_name,
            api_key=api_key_for(settings),
            dialect=settings.structured_output,
            timeout_s=settings.timeout_s,
            max_connections=max(settings.max_in_flight, 16),
        )
        limiter = AdaptiveConcurrencyLimit(backend, settings.max_in_flight)
        policy = RetryPolicy(settings.max_attempts, max_wait_s=settings.max_wait_s)
        model: ChatModel = AccountingModel(RetryingModel(limiter, backend.endpoint, policy, stats), stats)
        model_id = settings.resolved_model_id(model_name)
        if settings.cache_path is not None and settings.cache_mode != "off":
            cache = ResponseCache(settings.cache_path)
            model = CachingModel(model, cache, model_id, settings.cache_mode, stats)
        endpoint = "embedded llama.cpp (127.0.0.1)" if server else backend.endpoint
        yield LLMStack(model, stats, model_name, endpoint, model_id, limiter, info)
        await model.aclose()
    finally:
        if cache is not None:
            cache.close()
        if server is not None:
            server.stop()
