"""A spending limit on LLM calls and tokens that stops admitting new work before it would be exceeded.

The gate knows nothing of dialogues: work comes in *units* (a dialogue, for the simulation), each with an
estimated cost (calls, tokens).  :meth:`BudgetGate.admit` lets a unit in only if

    spent so far + the full estimate of every unit still in flight + this unit's estimate ≤ the limit,

counting the in-flight units at their whole estimate although they have already spent part of it — so
the check is conservative: with estimates that hold, the limit is never crossed, and units already
admitted always finish.  A unit that fits beside what was spent but not beside the in-flight
reservations is told *not yet* (``None``): the in-flight units may be answered from the cache and spend
nothing, so it is asked again when one finishes.  Only a unit that does not fit beside what was really
spent is refused (``False``); the gate then stays closed (``stopped``), so every caller sharing it (all
cells of a sweep) stops admitting at once.

What counts as spent: calls answered by the endpoint and their prompt + completion tokens, read from a
callable (live :class:`~simsocial.llm.stats.CallStats` totals).  Cached answers cost nothing.  The limit
applies to one invocation: a resumed run skips finished work and may spend the limit again.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """Limits for one invocation; None = no limit on that quantity."""

    max_calls: int | None = None
    max_tokens: int | None = None

    @property
    def limited(self) -> bool:
        return self.max_calls is not None or self.max_tokens is not None

    def describe(self) -> str:
        parts = [f"{self.max_calls} calls" if self.max_calls is not None else "",
                 f"{self.max_tokens} tokens" if self.max_tokens is not None else ""]  # fmt: skip
        return " / ".join(p for p in parts if p) or "no limit"


@dataclass(frozen=True)
class Cost:
    """What one unit of work is expected to spend."""

    calls: int
    tokens: int


Spent = Callable[[], tuple[int, int]]  # (endpoint calls, tokens) spent so far


class BudgetGate:
    """Thread-safe admission against a :class:`Budget`; see the module doc.

    Units of an account are assumed to finish in the order they were admitted (the simulation hands
    finished dialogues over in admission order), so :meth:`finished` releases the oldest reservations.
    """

    def __init__(self, budget: Budget, spent: Spent) -> None:
        self.budget = budget
        self.spent = spent
        self.stopped = False
        self.admitted = 0
        self._lock = threading.Lock()
        self._in_flight: dict[str, deque[Cost]] = {}  # reservations per account (a sweep cell, a run)

    def admit(self, account: str, cost: Cost) -> bool | None:
        """May one more unit of ``account`` (expected to spend ``cost``) start?  True: yes; None: not yet (ask
        again when an in-flight unit has finished); False: no, and the gate is closed."""
        with self._lock:
            if self.stopped:
                return False
            calls, tokens = self.spent()
            if self._over(calls + cost.calls, tokens + cost.tokens):
                self.stopped = True
                return False
            for reserved in self._in_flight.values():
                calls += sum(c.calls for c in reserved)
                tokens += sum(c.tokens for c in reserved)
            if self._over(calls + cost.calls, tokens + cost.tokens):
                return None  # fits once the in-flight units have spent what they really spend
            self._in_flight.setdefault(account, deque()).append(cost)
            self.admitted += 1
            return True

    def _over(self, calls: int, tokens: int) -> bool:
        over_calls = self.budget.max_calls is not None and calls > self.budget.max_calls
        return over_calls or (self.budget.max_tokens is not None and tokens > self.budget.max_tokens)

    def finished(self, account: str, n: int) -> None:
        """The ``n`` oldest units of ``account`` finished (their spending is now all in ``spent``)."""
        with self._lock:
            reserved = self._in_flight.get(account)
            for _ in range(min(n, len(reserved or ()))):
                reserved.popleft()  # type: ignore[union-attr]
