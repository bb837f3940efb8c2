"""A background event loop that owns the LLM stack, so synchronous Mesa code can await LLM calls.

``mesa.Model.step`` is synchronous; the LLM layer is async (many calls in flight at once).  The runtime
runs one asyncio loop in a daemon thread, opens the LLM stack on it, and lets the model submit a batch of
coroutines and wait for them.  It works the same in a script, under ``mesa.batch_run`` and inside a
Jupyter kernel whose own loop is already running.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Coroutine
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, TypeVar

from simsocial.llm.factory import LLMSettings, LLMStack, open_llm
from simsocial.llm.stats import CallStats

T = TypeVar("T")


class LLMRuntime:
    """Owns a loop thread and an open :class:`LLMStack`; close it (or use ``with``) when done."""

    def __init__(
        self, settings: LLMSettings, stats: CallStats | None = None, persuader: LLMSettings | None = None
    ) -> None:
        self.settings = settings
        self.persuader_settings = persuader
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="simsocial-llm", daemon=True)
        self._thread.start()
        self._exit_stack = AsyncExitStack()
        try:
            self.stack: LLMStack = self.run(self._open(stats))
        except BaseException:
            self._stop_loop()
            raise

    async def _open(self, stats: CallStats | None) -> LLMStack:
        stack = await self._exit_stack.enter_async_context(open_llm(self.settings, stats))
        # The persuader's own endpoint (simsocial.llm.roles), if any; else it shares the stack.
        self.persuader_stack: LLMStack = stack
        if self.persuader_settings is not None:
            self.persuader_stack = await self._exit_stack.enter_async_context(
                open_llm(self.persuader_settings, stack.stats)
            )
        return stack

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the runtime's loop and block until it finishes (Ctrl-C cancels it)."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``coro`` on the runtime's loop without waiting for it."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def gather(self, coros: list[Awaitable[T]]) -> list[T]:
        """Run several coroutines concurrently; exceptions are returned in place, not raised."""

        async def _all() -> list[Any]:
            return await asyncio.gather(*coros, return_exceptions=True)

        return self.run(_all())

    def close(self) -> None:
        """Close the LLM stack (stopping an embedded server) and the loop thread."""
        if self._loop.is_closed():
            return
        try:
            self.run(self._exit_stack.aclose())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def __enter__(self) -> LLMRuntime:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
