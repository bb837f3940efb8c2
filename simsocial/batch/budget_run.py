"""Budgets for ``simsocial run`` and ``simsocial batch``: the ``--dry-run`` table and what a budget stop says.

A run's admission under ``--max-calls`` / ``--max-tokens`` and its ``status`` (``complete`` |
``incomplete``) in ``run.json`` belong to the run itself (:func:`simsocial.sim.runner.run_simulation`'s
``budget``).

A budget stop is not an error: the dialogues in flight finish and are written, the ones not started are
left for a resume, ``run.json`` says ``"status": "incomplete"`` with the budget that stopped it, and the
command exits with :data:`EXIT_BUDGET` and says how to continue.  See :mod:`simsocial.llm.budget` for
when a dialogue is admitted, and :mod:`simsocial.batch.estimate` for the per-dialogue estimates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.table import Table

from simsocial.batch.cells import Cell
from simsocial.batch.estimate import Estimate, dialogue_estimate
from simsocial.llm.budget import Budget, Cost
from simsocial.llm.stats import CallStats
from simsocial.sim.dialogue import Condition
from simsocial.sim.scenario import Scenario

EXIT_BUDGET = 5  # the exit code of a run or sweep stopped by its budget (resumable)


def cost_of(estimate: Estimate) -> Cost:
    return Cost(estimate.calls, estimate.tokens)


def spent_of(stats: Callable[[], CallStats | Any]) -> Callable[[], tuple[int, int]]:
    """What the endpoint has spent so far, read live from (a sum of) call stats."""

    def spent() -> tuple[int, int]:
        s = stats()
        return int(s.endpoint_calls), int(s.prompt_tokens + s.completion_tokens)

    return spent


# --- --dry-run ---------------------------------------------------------------------------------------
def run_estimates(scenario: Scenario, conditions: Sequence[Condition], n_dialogues: int,
                  endpoint: str) -> dict[str, Estimate]:  # fmt: skip
    total = Estimate()
    for condition in conditions:
        total += dialogue_estimate(scenario, condition).times(n_dialogues)
    return {endpoint: total}


def sweep_estimates(scenario: Scenario, cells: Sequence[Cell]) -> dict[str, Estimate]:
    """Estimates per endpoint (``endpoint`` column of sweep.parquet, with the model)."""
    per_condition: dict[str, Estimate] = {}
    out: dict[str, Estimate] = {}
    for cell in cells:
        one = per_condition.setdefault(cell.condition.label, dialogue_estimate(scenario, cell.condition))
        key = f"{cell.endpoint.name} ({cell.endpoint.model or 'embedded'})"
        out[key] = out.get(key, Estimate()) + one.times(cell.dialogues)
    return out


def estimate_table(estimates: dict[str, Estimate]) -> Table:
    """The ``--dry-run`` table: per endpoint, dialogues, calls, prompt and completion tokens."""
    table = Table(title="estimated cost (no call made)")
    for header in ("endpoint", "dialogues", "LLM calls", "prompt tokens", "completion tokens"):
        table.add_column(header, justify="left" if header == "endpoint" else "right")
    rows = list(estimates.items())
    if len(rows) > 1:
        total = Estimate()
        for _, e in rows:
            total += e
        rows.append(("total", total))
    for name, e in rows:
        table.add_row(name, f"{e.dialogues:,}", f"{e.calls:,}", f"{e.prompt_tokens:,}", f"{e.completion_tokens:,}")
    return table


def budget_message(budget: Budget, done: int, wanted: int, stats: CallStats | Any, again: str) -> str:
    """What a budget stop tells the user."""
    return (
        f"budget reached ({budget.describe()}): stopped admitting dialogues; {done} of {wanted} dialogues are "
        f"done and saved ({stats.endpoint_calls} calls, {stats.prompt_tokens + stats.completion_tokens} tokens "
        f"spent; {stats.cache_hits} answer(s) from the cache, free). The run is marked incomplete. Continue with "
        f"a budget for the rest:\n  {again}"
    )
