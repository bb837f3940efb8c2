"""A campaign under ``--max-calls`` / ``--max-tokens``: whole rounds are admitted through the budget gate.

A round is all or nothing (its outcomes apply at once), so the unit the gate admits is a round, at the
estimated cost of all its planned dialogues (:func:`simsocial.batch.estimate.dialogue_estimate`, a dialogue
that runs its full turn budget).  A round that does not fit beside what was really spent is not started:
the rounds before it are written, ``run.json`` says ``"status": "incomplete"``, and the same command
(with a budget for the rest) replays the finished rounds without a call and carries on.  What counts as
spent is the gate's: endpoint calls and their tokens; answers from the cache are free.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from simsocial.batch.estimate import dialogue_estimate
from simsocial.campaign.dialogues import PlannedDialogue
from simsocial.llm.budget import BudgetGate, Cost, Spent
from simsocial.llm.stats import CallStats
from simsocial.sim.dialogue import Condition
from simsocial.sim.scenario import Scenario

RUN_COMPLETE, RUN_INCOMPLETE = "complete", "incomplete"
EXIT_BUDGET = 5  # as simsocial run and batch: stopped by the budget, resumable
_NOT_YET_WAIT_S = 0.05  # a round told "not yet" (other cells' rounds hold reservations) asks again this often


@dataclass
class RoundBudget:
    """Admits a campaign's rounds through ``gate`` under ``account`` (a sweep cell, or the campaign)."""

    gate: BudgetGate
    scenario: Scenario
    conditions: Sequence[Condition]
    account: str = "campaign"
    stopped_at: tuple[int, int] | None = None  # (seed, round) of the first round refused
    _costs: dict[str, Cost] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for condition in self.conditions:
            estimate = dialogue_estimate(self.scenario, condition)
            self._costs[condition.label] = Cost(estimate.calls, estimate.tokens)

    def cost(self, planned: Sequence[PlannedDialogue]) -> Cost:
        """The round's estimate: the sum of its dialogues' full-length estimates."""
        costs = [self._costs[p.condition.label] for p in planned]
        return Cost(sum(c.calls for c in costs), sum(c.tokens for c in costs))

    def admit(self, seed: int, round_: int, planned: Sequence[PlannedDialogue]) -> bool:
        """May this round start?  Waits while the gate says "not yet"; False once it refuses (then stays so)."""
        if self.stopped_at is not None:
            return False
        cost = self.cost(planned)
        wake = threading.Event()
        while (verdict := self.gate.admit(self.account, cost)) is None:
            wake.wait(_NOT_YET_WAIT_S)  # reservations of other cells' rounds: they finish, then this fits
        if not verdict:
            self.stopped_at = (seed, round_)
        return verdict

    def finished(self) -> None:
        """The admitted round finished: its spending is now all counted by the gate."""
        self.gate.finished(self.account, 1)

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    def record(self) -> dict[str, object]:
        """What ``run.json`` says about the budget: its limits, and whether it stopped this campaign."""
        limits = self.gate.budget
        return {"max_calls": limits.max_calls, "max_tokens": limits.max_tokens, "stopped": self.stopped}


def spent_of(stats: Callable[[], CallStats]) -> Spent:
    """What the endpoint was really asked so far: endpoint calls and their tokens (cache hits are free)."""

    def spent() -> tuple[int, int]:
        now = stats()
        return int(now.endpoint_calls), int(now.prompt_tokens + now.completion_tokens)

    return spent
