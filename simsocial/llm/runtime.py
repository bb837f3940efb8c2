"""Where a synchronous caller (a Mesa model) runs LLM coroutines.

``mesa.Model.step`` is synchronous; the LLM layer is async (many calls in flight at once).  Every runtime
implements the :class:`Runtime` protocol (``stack``, :meth:`run`, :meth:`gather`, :meth:`close`, ...):

- :class:`LLMRuntime` runs one asyncio loop in a daemon thread and opens the LLM stack from settings on it
  (starting the embedded server if no endpoint is given).  It works the same in a script, under
  ``mesa.batch_run`` and inside a Jupyter kernel whose own loop is already running, and lets the
  free-running scheduler hand finished dialogues to the calling thread while others keep running.
- :class:`InlineRuntime` runs a ready chat model on a private loop in the calling thread: no thread, no
  server, nothing opened.  It is what a model handed a chat model (e.g. a
  :class:`~simsocial.llm.scripted.ScriptedChatModel`) uses.
- :class:`CellRuntime` is one sweep cell's handle on an endpoint's :class:`LLMRuntime` it does not own:
  the same loop, connections, in-flight limit and cache, its own accounting
  (:func:`~simsocial.llm.factory.cell_stack`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Coroutine
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Protocol, TypeVar, runtime_checkable

from simsocial.llm.base import ChatModel
from simsocial.llm.factory import LLMStack, cell_stack, open_llm, ready_stack
from simsocial.llm.loop import new_event_loop
from simsocial.llm.settings import LLMSettings
from simsocial.llm.stats import CallStats

T = TypeVar("T")


@runtime_checkable
class Runtime(Protocol):
    """Where a synchronous caller runs LLM coroutines, and the stacks it calls (every runtime here is one)."""

    in_thread: bool  # coroutines run on another thread (the caller may wait on queues meanwhile; submit works)
    settings: LLMSettings
    persuader_settings: LLMSettings | None  # the persuader's own endpoint (simsocial.llm.roles), if any
    stack: LLMStack
    persuader_stack: LLMStack  # the persuader's own stack, else ``stack`` itself

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` to its end and return its result."""

    def gather(self, coros: list[Awaitable[T]]) -> list[T]:
        """Run several coroutines concurrently; exceptions are returned in place, not raised."""

    def close(self) -> None:
        """Release what this runtime owns (idempotent)."""


@runtime_checkable
class ThreadedRuntime(Runtime, Protocol):
    """A runtime whose loop runs on its own thread (``in_thread``): coroutines can be started without waiting."""

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``coro`` on the runtime's loop without waiting for it."""


async def _gather(coros: list[Awaitable[T]]) -> list[Any]:
    return await asyncio.gather(*coros, return_exceptions=True)


def ready_settings(model: ChatModel) -> LLMSettings:
    """What the settings of a ready, in-process chat model say: its name, no endpoint, no cache."""
    name = str(model.describe().get("model") or type(model).__name__)
    return LLMSettings(base_url=None, model=name, cache_path=None, cache_mode="off")


class LLMRuntime:
    """Owns a loop thread and an open :class:`LLMStack`; close it (or use ``with``) when done."""

    in_thread = True  # coroutines run on another thread: the caller may wait on queues meanwhile

    def __init__(
        self,
        settings: LLMSettings,
        stats: CallStats | None = None,
        persuader: LLMSettings | None = None,
        *,
        chat_model: ChatModel | None = None,
    ) -> None:
        """``chat_model``: serve this ready model on the loop thread instead of opening one from ``settings``
        (e.g. a :class:`~simsocial.llm.scripted.ScriptedChatModel` whose answers take set times); it is
        wrapped only to count its calls, and not closed here."""
        if chat_model is not None:
            settings = ready_settings(chat_model)
        self.settings = settings
        self._chat_model = chat_model
        self.persuader_settings = persuader  # the persuader's own endpoint (simsocial.llm.roles), if any
        self._loop = new_event_loop()  # uvloop when installed
        self._thread = threading.Thread(target=self._loop.run_forever, name="simsocial-llm", daemon=True)
        self._thread.start()
        self._exit_stack = AsyncExitStack()
        try:
            self.stack: LLMStack = self.run(self._open(stats))
        except BaseException:
            # A stack already open (the run's own, when the persuader's fails its pre-flight) is closed too:
            # its connections, and the embedded server it may have started.
            with contextlib.suppress(Exception):
                self.run(self._exit_stack.aclose())
            self._stop_loop()
            raise

    async def _open(self, stats: CallStats | None) -> LLMStack:
        if self._chat_model is not None:
            stack = ready_stack(self._chat_model, stats if stats is not None else CallStats())
        else:
            stack = await self._exit_stack.enter_async_context(open_llm(self.settings, stats))
        # The persuader's own endpoint, counted in the same stats; else the persuader shares the stack.
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
        return self.run(_gather(coros))

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


class InlineRuntime:
    """Runs a ready chat model's coroutines on a private event loop, in the calling thread.

    The model is wrapped only to count its calls into ``stats``; it is not closed here (its owner closes
    it).  Nothing runs in the background: the loop runs only while :meth:`run` waits.  Where the calling
    thread already runs an event loop (a Jupyter cell), it cannot block on another one, so there the
    private loop runs on a helper thread for the length of the call, and no longer.
    """

    in_thread = False

    def __init__(self, model: ChatModel, stats: CallStats | None = None) -> None:
        self.settings = ready_settings(model)
        self.stack = ready_stack(model, stats if stats is not None else CallStats())
        self.persuader_settings: LLMSettings | None = None
        self.persuader_stack = self.stack
        self._loop = new_event_loop()  # uvloop when installed

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` to its end and return its result."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._loop.run_until_complete(coro)
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="simsocial-inline") as helper:
            return helper.submit(self._loop.run_until_complete, coro).result()

    def gather(self, coros: list[Awaitable[T]]) -> list[T]:
        """Run several coroutines concurrently; exceptions are returned in place, not raised."""
        return self.run(_gather(coros))

    def close(self) -> None:
        """Close the private loop (idempotent); the chat model stays open."""
        if not self._loop.is_closed():
            self._loop.close()

    def __enter__(self) -> InlineRuntime:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class CellRuntime:
    """One sweep cell's handle on an endpoint runtime it does not own (closing it closes nothing).

    Cells side by side on one endpoint share its bound on calls in flight, yet each cell's ``run.json``
    reports only its own usage: its stacks are :func:`~simsocial.llm.factory.cell_stack` views.
    """

    in_thread = True  # the shared runtime's loop runs on its own thread

    def __init__(self, shared: LLMRuntime, stats: CallStats | None = None) -> None:
        self.shared = shared
        self.settings = shared.settings
        self.persuader_settings = shared.persuader_settings
        self.stack = cell_stack(shared.stack, shared.settings, stats if stats is not None else CallStats())
        # The persuader's own endpoint (a Table-21 sweep), counted in this cell's stats too.
        self.persuader_stack = self.stack
        if shared.persuader_stack is not shared.stack:
            self.persuader_stack = cell_stack(shared.persuader_stack, shared.settings, self.stack.stats)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.shared.run(coro)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return self.shared.submit(coro)

    def gather(self, coros: list[Awaitable[T]]) -> list[T]:
        return self.shared.gather(coros)

    def close(self) -> None:
        """Nothing to release: the endpoint's runtime belongs to the sweep."""
