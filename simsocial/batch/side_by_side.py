"""Run a sweep's cells side by side, each in its own thread, sharing each endpoint's in-flight budget.

A cell is one blocking :func:`~simsocial.sim.runner.run_simulation` (it consumes finished dialogues and
writes its run directory), so cells overlap by running in threads while their LLM calls all go through
the one event loop and concurrency limit of their endpoint (:class:`simsocial.llm.runtime.CellRuntime`).

When to start the next cell: as long as the cells already running cannot fill ``concurrency`` dialogue
slots (their dialogues still to do add up to fewer), the next cell starts.  So a sweep of small cells
runs them all at once, while a sweep whose first cell alone fills the endpoint finishes cells in order,
as before — partial results are then whole cells, and a small ``--concurrency`` is not spread thin.

Only the calling thread touches the sweep index and the progress bar; cell threads report through a
queue.  Ctrl-C (KeyboardInterrupt in the calling thread) asks every cell to stop at its next finished
dialogue (its writer flushes what is complete), waits a little for them, and re-raises.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simsocial.batch.cells import Cell

STOP_GRACE_S = 15.0  # how long Ctrl-C waits for running cells to flush their finished dialogues


class CellStopped(KeyboardInterrupt):
    """Raised inside a cell thread when the sweep is being interrupted."""


@dataclass
class CellEvent:
    cell: Cell
    kind: str  # "progress" | "done" | "error"
    value: Any = None


RunCell = Callable[[Cell, Callable[[int], None]], Any]


class SideBySide:
    """Schedules cells onto threads; see the module doc.

    ``run_cell(cell, progress)`` runs one cell to its end in the calling (worker) thread and returns its
    result; ``todo(cell)`` is how many of its dialogues are still to run; ``may_start()`` can hold back
    cells not yet started (a budget that ran out).
    """

    def __init__(
        self,
        run_cell: RunCell,
        todo: Callable[[Cell], int],
        concurrency: int,
        max_cells: int | None = None,
        may_start: Callable[[], bool] = lambda: True,
    ) -> None:
        self.run_cell = run_cell
        self.todo = todo
        self.concurrency = concurrency
        self.max_cells = max_cells
        self.may_start = may_start
        self._events: queue.SimpleQueue[CellEvent] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._left: dict[str, int] = {}  # dialogues still to finish per running cell
        self._threads: dict[str, threading.Thread] = {}

    def run(
        self,
        cells: list[Cell],
        on_start: Callable[[Cell], None],
        on_progress: Callable[[Cell, int], None],
        on_end: Callable[[Cell, Any, BaseException | None], None],
    ) -> None:
        """Run ``cells`` (in order of start); callbacks run in this thread."""
        waiting = list(cells)
        try:
            while waiting or self._threads:
                while waiting and self._room() and self.may_start():
                    cell = waiting.pop(0)
                    on_start(cell)
                    self._start(cell)
                if not self._threads:
                    break  # nothing running and nothing may start (budget): the rest stays pending
                self._drain(on_progress, on_end, timeout=0.2)
        except KeyboardInterrupt:
            self._stop.set()
            deadline = time.monotonic() + STOP_GRACE_S
            while self._threads and time.monotonic() < deadline:
                try:
                    self._drain(on_progress, on_end, timeout=0.2)
                except KeyboardInterrupt:
                    break  # a second Ctrl-C: stop waiting
            raise

    def _room(self) -> bool:
        if self.max_cells is not None and len(self._threads) >= self.max_cells:
            return False
        return sum(self._left.values()) < self.concurrency

    def _start(self, cell: Cell) -> None:
        self._left[cell.cell_id] = self.todo(cell)

        def progress(n: int) -> None:
            if self._stop.is_set():
                raise CellStopped()
            if n:
                self._events.put(CellEvent(cell, "progress", n))

        def work() -> None:
            try:
                self._events.put(CellEvent(cell, "done", self.run_cell(cell, progress)))
            except BaseException as exc:  # reported to the calling thread, which decides
                self._events.put(CellEvent(cell, "error", exc))

        thread = threading.Thread(target=work, name=f"cell-{cell.cell_id}", daemon=True)
        self._threads[cell.cell_id] = thread
        thread.start()

    def _drain(
        self,
        on_progress: Callable[[Cell, int], None],
        on_end: Callable[[Cell, Any, BaseException | None], None],
        timeout: float,
    ) -> None:
        try:
            event = self._events.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            cell_id = event.cell.cell_id
            if event.kind == "progress":
                self._left[cell_id] = max(0, self._left.get(cell_id, 0) - event.value)
                on_progress(event.cell, event.value)
            else:
                self._threads.pop(cell_id).join()
                self._left.pop(cell_id, None)
                if event.kind == "done":
                    on_end(event.cell, event.value, None)
                else:
                    on_end(event.cell, None, event.value)
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return
