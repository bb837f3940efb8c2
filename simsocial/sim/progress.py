"""A rich progress bar for long runs: dialogues done, ETA, calls/s, tokens/s, retries, failures."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from simsocial.llm.stats import CallStats


class RunProgress:
    """Context manager; call :meth:`advance` with the number of dialogues finished since the last call."""

    def __init__(self, total: int, already_done: int, stats: CallStats, enabled: bool = True,
                 description: str = "dialogues") -> None:  # fmt: skip
        self.stats = stats
        self.enabled = enabled
        self._start = time.perf_counter()
        self._calls0, self._tokens0 = stats.endpoint_calls, stats.completion_tokens
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
            TextColumn("{task.fields[rates]}"),
            console=_stderr_console(), disable=not enabled, transient=False,
        )  # fmt: skip
        self._task = self._progress.add_task(description, total=total, completed=already_done, rates="")

    def advance(self, n: int) -> None:
        elapsed = max(time.perf_counter() - self._start, 1e-9)
        calls = self.stats.endpoint_calls - self._calls0
        tokens = self.stats.completion_tokens - self._tokens0
        rates = (f"{calls / elapsed:.1f} calls/s {tokens / elapsed:.0f} tok/s  cache {self.stats.cache_hits}  "
                 f"retries {self.stats.retries}  failures {self.stats.failures}")  # fmt: skip
        self._progress.update(self._task, advance=n, rates=rates)

    def set_description(self, text: str) -> None:
        """Change the label left of the bar (a batch shows the cell it is running)."""
        self._progress.update(self._task, description=text)

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.advance(0)
        self._progress.stop()


def _stderr_console() -> Console:
    # Off a terminal (CI logs, `make demo | tee`) rich assumes 80 columns and squeezes the bar to dots.
    console = Console(stderr=True)
    return console if console.is_terminal else Console(stderr=True, width=140)
