"""The free-running driver: every dialogue plays its turns back to back, at its own pace.

Lock-step turns (:meth:`PersuasionModel.step <simsocial.sim.model.PersuasionModel.step>`) make every call
of a step wait for the slowest one and keep the CPU idle while all calls are out, then busy while all
answers come back at once; free-running dialogues overlap the two, and a queued dialogue starts the
moment another finishes (see benchmarks/concurrency.py).  Each dialogue is played by
:func:`~simsocial.sim.turn.play_dialogue`, i.e. the same :func:`~simsocial.sim.turn.play_turn` the model's
step uses, so both drivers give identical dialogues.  The model's steps and DataCollector are not used.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from simsocial.sim.recorder import DialogueRecorder
from simsocial.sim.turn import play_dialogue

if TYPE_CHECKING:
    from simsocial.sim.model import Pair, PersuasionModel

_DONE = None  # sentinel: every dialogue has been handed over


class HandOver(Protocol):
    """The queue finished dialogues cross from the loop thread to the consumer (``queue.SimpleQueue``)."""

    def put(self, item: Any) -> None: ...
    def get(self, block: bool = True, timeout: float | None = None) -> Any: ...
    def get_nowait(self) -> Any: ...
    def qsize(self) -> int: ...


async def play_free(
    model: PersuasionModel, emit: Callable[[DialogueRecorder], None], backlog: Callable[[], int] = lambda: 0
) -> None:
    """Play queued dialogues, at most ``max_active`` at once; ``emit`` each in admission order.

    Emitting in admission order keeps the output files' row order the same from run to run (a replay from
    the cache writes identical files), at the price of a window: a dialogue may finish up to
    ``4 × max_active`` places ahead of the oldest unfinished one before admission waits for it.
    ``backlog()`` is how many emitted dialogues the consumer has not taken yet: nothing new is admitted
    while it lags by ``max_active``, so finished dialogues never pile up in memory however fast the
    answers come (a replay from the cache).
    """
    window: deque[tuple[asyncio.Task[None], Pair]] = deque()  # admitted, not yet handed over, oldest first
    running: set[asyncio.Task[None]] = set()
    limit = model.max_active
    try:
        while model.has_queued() or window:
            while model.has_queued() and len(running) < limit and len(window) < 4 * limit and backlog() < limit:
                pair = model.admit_next()
                if pair is None:  # a budget refused it; the rest of the queue is dropped
                    break
                task = asyncio.create_task(play_dialogue(*pair))
                window.append((task, pair))
                running.add(task)
            while window and window[0][0].done():
                task, pair = window.popleft()
                task.result()
                emit(model.retire(pair))
            if not running:
                if model.has_queued() or window:
                    await asyncio.sleep(0.005)  # waiting for the consumer
                continue
            finished, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                task.result()  # LLM failures are handled in the agents; anything else is a bug: raise it now
    except BaseException:
        for task, _ in window:
            task.cancel()
        raise


def finished_batches(
    model: PersuasionModel, poll_s: float = 0.5, handover: Callable[[], HandOver] = queue.SimpleQueue
) -> Iterator[list[DialogueRecorder]]:
    """Run every queued dialogue on the model's loop thread; yield finished ones in this thread.

    Each yield holds the dialogues that finished since the previous one (at least one), so the consumer
    (a writer) works here while the others keep running.  Stopping the iteration early (or Ctrl-C)
    cancels the dialogues still running.  Needs a runtime with its own thread (``LLMRuntime``).
    ``handover`` makes the queue between the two threads (a test injects a slow one).

    The stream ends only with the loop's own last item, put after every finished dialogue: the end
    marker, or what stopped the loop (raised here once the dialogues before it are yielded).  A poll that
    times out never ends it, however late this thread wakes, so nothing handed over can be left behind.
    """
    if not model.running:
        return
    done = handover()

    async def produce() -> None:
        try:
            await play_free(model, done.put, done.qsize)
        except BaseException as exc:
            done.put(exc)
            raise
        done.put(_DONE)

    future = model.runtime.submit(produce())
    try:
        while True:
            batch = _next_batch(done, future, poll_s)
            finished = [d for d in batch if isinstance(d, DialogueRecorder)]
            if finished:
                yield finished
            for item in batch:
                if isinstance(item, BaseException):
                    raise item
            if _DONE in batch:
                model.running = False
                return
    finally:
        future.cancel()


def _next_batch(done: HandOver, future: concurrent.futures.Future[None], poll_s: float) -> list[Any]:
    """Wait for the next item on the hand-over, then take every item already there (in order).

    The timeout only lets this thread notice a loop that died without a word (cancelled before it
    started); everything the loop put is in the queue before its future is done, so it is drained first.
    """
    while True:
        try:
            batch = [done.get(timeout=poll_s)]
            break
        except queue.Empty:
            if not future.done():
                continue
            try:
                batch = [done.get_nowait()]
                break
            except queue.Empty:
                future.result()  # cancelled or failed before it could hand anything over: raise that
                raise RuntimeError("the dialogue loop ended without handing over its end marker") from None
    while True:
        try:
            batch.append(done.get_nowait())
        except queue.Empty:
            return batch


def run_free(
    model: PersuasionModel,
    progress: Callable[[int], None] | None = None,
    handover: Callable[[], HandOver] = queue.SimpleQueue,
) -> None:
    """Run every dialogue of ``model`` to its end, free-running; each goes to :meth:`PersuasionModel.deliver`
    (``on_dialogue_done``) as it finishes.

    On a threaded runtime delivery happens in the calling thread while other dialogues keep running; on an
    in-process one, between their turns.  ``progress(n)`` is told as dialogues finish.
    """
    tell = progress or (lambda n: None)
    try:
        if model.runtime.in_thread:
            for finished in finished_batches(model, handover=handover):
                for recorder in finished:
                    model.deliver(recorder)
                tell(len(finished))
        elif model.running:

            def emit(recorder: DialogueRecorder) -> None:
                model.deliver(recorder)
                tell(1)

            model.runtime.run(play_free(model, emit))
            model.running = False
    finally:
        model.close()
