"""Budgets for ``simsocial run`` and ``simsocial batch``: the ``--dry-run`` table, ``--max-calls`` /
``--max-tokens`` admission, and the run's ``status`` (``complete`` | ``incomplete``) in ``run.json``.

A budget stop is not an error: the dialogues in flight finish and are written, the ones not started are
left for a resume, ``run.json`` says ``"status": "incomplete"`` with the budget that stopped it, and the
command exits with :data:`EXIT_BUDGET` and says how to continue.  See :mod:`simsocial.llm.budget` for
when a dialogue is admitted, and :mod:`simsocial.batch.estimate` for the per-dialogue estimates.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from simsocial.batch.cells import Cell
from simsocial.batch.estimate import Estimate, dialogue_estimate
from simsocial.llm.budget import Budget, BudgetGate, Cost
from simsocial.llm.factory import LLMSettings
from simsocial.llm.runtime import LLMRuntime
from simsocial.llm.stats import CallStats
from simsocial.run_writer import PROGRESS_FILE, atomic_write_text
from simsocial.sim.dialogue import Condition, DialogueSpec
from simsocial.sim.progress import RunProgress
from simsocial.sim.resume import completed_result, failed_on_disk
from simsocial.sim.runner import RunResult, run_simulation
from simsocial.sim.scenario import Scenario

RUN_COMPLETE, RUN_INCOMPLETE = "complete", "incomplete"
EXIT_BUDGET = 5  # the exit code of a run or sweep stopped by its budget (resumable)


def cost_of(estimate: Estimate) -> Cost:
    return Cost(estimate.calls, estimate.tokens)


def spent_of(stats: Callable[[], CallStats | Any]) -> Callable[[], tuple[int, int]]:
    """What the endpoint has spent so far, read live from (a sum of) call stats."""

    def spent() -> tuple[int, int]:
        s = stats()
        return int(s.endpoint_calls), int(s.prompt_tokens + s.completion_tokens)

    return spent


def mark_run(out_dir: Path, status: str, budget: Budget | None, gate: BudgetGate | None) -> None:
    """Add ``status`` (and the budget, if any) to ``out_dir/run.json``."""
    path = Path(out_dir) / "run.json"
    manifest = json.loads(path.read_text())
    manifest["status"] = status
    if budget is not None and budget.limited:
        manifest["budget"] = {"max_calls": budget.max_calls, "max_tokens": budget.max_tokens,
                              "stopped": bool(gate and gate.stopped)}  # fmt: skip
    atomic_write_text(path, json.dumps(manifest, indent=2, default=str))


@dataclass
class BudgetedRun:
    result: RunResult
    incomplete: bool
    gate: BudgetGate | None

    @property
    def budget_stopped(self) -> bool:
        """The budget refused a dialogue (so a short run is a budget stop, and only then)."""
        return self.gate is not None and self.gate.stopped


def run_with_budget(
    scenario: Scenario,
    conditions: Sequence[Condition],
    n_dialogues: int,
    seed: int,
    out_dir: Path,
    settings: LLMSettings,
    *,
    budget: Budget | None = None,
    show_progress: bool = True,
    **run_kwargs: Any,
) -> BudgetedRun:
    """:func:`~simsocial.sim.runner.run_simulation` that stops admitting dialogues at ``budget``."""
    stats = CallStats()
    gate = BudgetGate(budget, spent_of(lambda: stats)) if budget is not None and budget.limited else None
    costs = {c.label: cost_of(dialogue_estimate(scenario, c)) for c in conditions} if gate else {}
    admit = (lambda spec: gate.admit("run", costs[spec.condition.label])) if gate else None
    wanted = n_dialogues * len(conditions)
    retry = bool(run_kwargs.get("retry_failed")) and failed_on_disk(out_dir) > 0
    if completed_result(out_dir, wanted) is not None and not retry:  # nothing to do: open no endpoint, no call
        result = run_simulation(scenario, conditions, n_dialogues, seed, out_dir, settings, show_progress=False,
                                **run_kwargs)  # fmt: skip
        return BudgetedRun(result, False, gate)
    persuader = run_kwargs.get("persuader_settings")  # the persuader's own endpoint, opened with the run's
    with LLMRuntime(settings, stats, persuader) as runtime, RunProgress(wanted, _on_disk(out_dir), stats,
                                                             enabled=show_progress) as bar:  # fmt: skip

        def progress(n: int) -> None:
            if gate is not None:
                gate.finished("run", n)
            bar.advance(n)

        result = run_simulation(scenario, conditions, n_dialogues, seed, out_dir, settings, runtime=runtime,
                                show_progress=False, on_progress=progress, admit=admit, **run_kwargs)  # fmt: skip
    incomplete = int(result.manifest["counts"]["dialogues"]) < wanted
    mark_run(out_dir, RUN_INCOMPLETE if incomplete else RUN_COMPLETE, budget, gate)
    result.manifest["status"] = RUN_INCOMPLETE if incomplete else RUN_COMPLETE
    return BudgetedRun(result, incomplete, gate)


def _on_disk(out_dir: Path) -> int:
    try:
        return int(json.loads((Path(out_dir) / PROGRESS_FILE).read_text())["dialogues_written"])
    except (OSError, ValueError, KeyError):
        return 0


def cell_admitter(gate: BudgetGate, cell: Cell, scenario: Scenario) -> Callable[[DialogueSpec], bool]:
    cost = cost_of(dialogue_estimate(scenario, cell.condition))
    return lambda _spec: gate.admit(cell.cell_id, cost)


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
