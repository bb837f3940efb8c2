"""LLM layer: one async chat interface, an OpenAI-compatible backend, an embedded llama.cpp server, and
thin wrappers for retries, caching, call limits and accounting.  Knows nothing of dialogues."""

from simsocial.llm.base import ChatModel, ChatModelWrapper
from simsocial.llm.cache import CacheMiss, CachingModel, ResponseCache
from simsocial.llm.embedded import EmbeddedServer, default_gguf_path
from simsocial.llm.errors import EmbeddedServerError, LLMEndpointError, LLMError, redact
from simsocial.llm.openai_backend import OpenAICompatibleModel
from simsocial.llm.retry import RetryingModel, RetryPolicy
from simsocial.llm.stats import AccountingModel, CallStats
from simsocial.llm.types import ChatRequest, ChatResponse

__all__ = [
    "AccountingModel",
    "CacheMiss",
    "CachingModel",
    "CallStats",
    "ChatModel",
    "ChatModelWrapper",
    "ChatRequest",
    "ChatResponse",
    "EmbeddedServer",
    "EmbeddedServerError",
    "LLMEndpointError",
    "LLMError",
    "OpenAICompatibleModel",
    "ResponseCache",
    "RetryPolicy",
    "RetryingModel",
    "default_gguf_path",
    "redact",
]
