"""A live progress line for long runs, informative from the first second.

Dialogues finish late (a 10-turn dialogue is 20+ calls), so a bar of finished dialogues sits at ``0/40``
for most of a run.  The line therefore also reads the run's live call statistics on every refresh (rich
redraws ten times a second from its own thread): calls/s, tokens, dialogues in flight, and — when the
expected calls per dialogue are known — turns done and an ETA from the call rate.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from simsocial.llm.stats import CallStats


def expected_calls(conditions: Sequence[Any], max_turns: int) -> tuple[float, int]:
    """``(calls per dialogue, turns per dialogue)``, calls averaged over ``conditions``, if every turn runs.

    A turn is the persuader's and the persuadee's choice; the donation adds its calls once.  Re-asks after
    a parse failure and early ends make the real number differ a little; the ETA is an estimate.
    """
    per_turn = [c.persuader.n_calls + c.persuadee.n_calls for c in conditions]
    per_dialogue = [t * max_turns + c.donation.n_calls for t, c in zip(per_turn, conditions, strict=True)]
    return sum(per_dialogue) / len(per_dialogue), max_turns


class _LiveColumn(ProgressColumn):
    """Renders whatever ``RunProgress.live_text`` says now (not only when a dialogue finishes)."""

    def __init__(self, owner: RunProgress) -> None:
        super().__init__()
        self.owner = owner

    def render(self, task: Task) -> Text:
        return Text(self.owner.live_text(task))


class RunProgress:
    """Context manager; call :meth:`advance` with the number of dialogues finished since the last call.

    ``calls_per_dialogue``/``turns_per_dialogue`` (see :func:`expected_calls`) turn the call count into turns
    done and an ETA; ``max_active`` bounds the dialogues shown in flight.
    """

    def __init__(self, total: int, already_done: int, stats: CallStats, enabled: bool = True,
                 description: str = "dialogues", *, calls_per_dialogue: float | None = None,
                 turns_per_dialogue: int | None = None, max_active: int | None = None) -> None:  # fmt: skip
        self.stats = stats
        self.enabled = enabled
        self.total, self.done = total, already_done
        self._first_done = already_done
        self.calls_per_dialogue, self.turns_per_dialogue = calls_per_dialogue, turns_per_dialogue
        self.max_active = max_active
        self._start = time.perf_counter()
        self._calls0, self._tokens0 = stats.calls, stats.completion_tokens
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(bar_width=16), MofNCompleteColumn(),
            TimeElapsedColumn(), _LiveColumn(self),
            console=_stderr_console(), disable=not enabled, transient=False, refresh_per_second=4,
        )  # fmt: skip
        self._task = self._progress.add_task(escape(description), total=total, completed=already_done)

    def expect(self, calls_per_dialogue: float, turns_per_dialogue: int, max_active: int | None = None) -> None:
        """Set the expected calls and turns per dialogue (a batch does this per cell)."""
        self.calls_per_dialogue, self.turns_per_dialogue = calls_per_dialogue, turns_per_dialogue
        self.max_active = max_active or self.max_active

    def live_text(self, task: Task | None = None) -> str:
        """The right-hand part of the line: rates, in flight, turns, ETA, retries and failures."""
        elapsed = max(time.perf_counter() - self._start, 1e-9)
        calls = self.stats.calls - self._calls0
        tokens = self.stats.completion_tokens - self._tokens0
        rate = calls / elapsed
        remaining = max(self.total - self.done, 0)
        parts = []  # most useful first: a narrow terminal cuts the end
        eta = None
        if self.calls_per_dialogue and self.turns_per_dialogue:
            to_do = (self.total - self._first_done) * self.calls_per_dialogue
            turns = min(calls / self.calls_per_dialogue, self.total - self._first_done) * self.turns_per_dialogue
            parts.append(f"turns ~{int(turns)}/{(self.total - self._first_done) * self.turns_per_dialogue}")
            if rate > 0 and calls >= 3:
                eta = max(to_do - calls, 0) / rate
        elif self.done > self._first_done:
            eta = remaining * elapsed / (self.done - self._first_done)
        parts.append(
            ("eta " + (str(timedelta(seconds=round(eta))) if eta is not None else "…")) if remaining else "done"
        )
        parts += [f"{rate:.1f} calls/s", f"{tokens:,} tok"]
        if self.max_active and remaining:
            parts.append(f"in flight {min(self.max_active, remaining)}")
        parts.append(f"retries {self.stats.retries} failures {self.stats.failures}")
        return "  ".join(parts)

    def advance(self, n: int) -> None:
        self.done += n
        self._progress.update(self._task, advance=n)

    def set_description(self, text: str) -> None:
        """Change the label left of the bar (a batch shows the cell it is running); markup is escaped."""
        self._progress.update(self._task, description=escape(text))

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self._progress.refresh()
        self._progress.stop()


def _stderr_console() -> Console:
    # Off a terminal (CI logs, `make demo | tee`) rich assumes 80 columns and squeezes the bar to dots.
    console = Console(stderr=True)
    return console if console.is_terminal else Console(stderr=True, width=160)
