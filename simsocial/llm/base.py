"""The abstract chat model and the base class for thin wrappers around it.

Backends implement :meth:`ChatModel.chat`; retries, caching, call limits and accounting are wrappers
(:class:`ChatModelWrapper`) stacked around a backend, never code repeated inside each backend.
"""

from __future__ import annotations

import abc
from typing import Any

from simsocial.llm.types import ChatRequest, ChatResponse


class ChatModel(abc.ABC):
    """Async chat completion: one request in, one response out."""

    @abc.abstractmethod
    async def chat(self, request: ChatRequest) -> ChatResponse:
        """Answer one request."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most models hold nothing
        """Release connections or files."""

    def describe(self) -> dict[str, Any]:
        """Model and endpoint for the run manifest (never a key)."""
        return {"backend": type(self).__name__}


class ChatModelWrapper(ChatModel):
    """Delegates to ``inner``; subclasses override :meth:`chat` to add one concern."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner

    async def chat(self, request: ChatRequest) -> ChatResponse:
        return await self.inner.chat(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()
