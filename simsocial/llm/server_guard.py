"""Stop at once when the embedded server is gone, instead of retrying a dead process.

A call to a crashed llama.cpp server fails as a plain connection error, which the retry layer would
retry with backoff for half a minute and then blame on "the endpoint".  This wrapper sits *inside* the
retries: before each attempt, and after any failure, it asks the server process whether it is still
alive, and if not raises :class:`~simsocial.llm.errors.EmbeddedServerDied` (signal or exit code, plus
the log's tail), which no retry and no agent swallows.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from simsocial.llm.base import ChatModel, ChatModelWrapper
from simsocial.llm.errors import EmbeddedServerDied
from simsocial.llm.types import ChatRequest, ChatResponse

# The kernel reaps a crashed child a moment after its sockets close; wait this long for the exit status.
_REAP_GRACE_S = 1.0


class Mortal(Protocol):
    def death(self) -> EmbeddedServerDied | None: ...


class ServerGuardModel(ChatModelWrapper):
    """Raises the server's death, not the connection error it caused."""

    def __init__(self, inner: ChatModel, server: Mortal) -> None:
        super().__init__(inner)
        self.server = server

    async def chat(self, request: ChatRequest) -> ChatResponse:
        self._raise_if_dead()
        try:
            return await self.inner.chat(request)
        except Exception:
            for _ in range(int(_REAP_GRACE_S / 0.05)):
                self._raise_if_dead()
                await asyncio.sleep(0.05)
            raise

    def _raise_if_dead(self) -> None:
        death = self.server.death()
        if death is not None:
            raise death
