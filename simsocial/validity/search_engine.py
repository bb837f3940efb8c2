"""The engine side of a search: each trial is one :func:`simsocial.sim.runner.run_simulation` call on a shared
runtime, under one budget; afterwards every completed trial is a cell of an ordinary calibration.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from simsocial.llm.budget import Budget, BudgetGate
from simsocial.llm.runtime import Runtime
from simsocial.sim.dialogue import Condition, DialogueSpec
from simsocial.sim.scenario import Scenario
from simsocial.validity.calibrate import DEFAULT_RESAMPLES, Calibration, calibrate_cells
from simsocial.validity.search import RunTrial, SearchOutcome

ACCOUNT = "search"


def budget_gate(runtime: Runtime, budget: Budget | None) -> BudgetGate | None:
    """A gate over the runtime's live call counts (None without a limit)."""
    from simsocial.batch.budget_run import spent_of

    if budget is None or not budget.limited:
        return None
    return BudgetGate(budget, spent_of(lambda: runtime.stack.stats))


def engine_trials(
    scenario: Scenario,
    dialogues: int,
    seed: int,
    runtime: Runtime,
    *,
    gate: BudgetGate | None = None,
    scenario_path: str | None = None,
    max_active: int = 8,
    on_trial: Callable[[Path, int], None] | None = None,
) -> RunTrial:
    """A :data:`~simsocial.validity.search.RunTrial` that runs the engine; returns the dialogues written."""
    from simsocial.batch.budget_run import cost_of
    from simsocial.batch.estimate import dialogue_estimate
    from simsocial.sim.runner import run_simulation

    def run_trial(condition: Condition, trial_dir: Path, _admit: Callable[[DialogueSpec], bool] | None) -> int:
        admit = progress = None
        if gate is not None:
            cost = cost_of(dialogue_estimate(scenario, condition))
            admit = lambda spec: gate.admit(ACCOUNT, cost)  # noqa: E731 - one line, read where it is used
            progress = lambda n: gate.finished(ACCOUNT, n)  # noqa: E731
        result = run_simulation(scenario, [condition], dialogues, seed, trial_dir, runtime=runtime, admit=admit,
                                on_progress=progress, show_progress=False, max_active=max_active,
                                scenario_path=scenario_path, run_id=trial_dir.name)  # fmt: skip
        done = int(result.manifest["counts"]["dialogues"])
        if on_trial is not None:
            on_trial(trial_dir, done)
        return done

    return run_trial


def evaluate_trials(
    out: Path, outcome: SearchOutcome, split: pd.DataFrame, objective: str, *, seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> Calibration | None:  # fmt: skip
    """Every completed trial as a cell of :func:`~simsocial.validity.calibrate.calibrate_cells` (None if none)."""
    from simsocial.report.rundir import read_run
    from simsocial.validity.samples import simulated_cells

    done = outcome.trials[outcome.trials["state"] == "COMPLETE"] if len(outcome.trials) else outcome.trials
    if done.empty:
        return None
    runs = [read_run(out / str(d), label=Path(str(d)).name) for d in done["run_dir"]]
    cells = simulated_cells(runs)
    params = done.set_index(done["run_dir"].map(lambda d: Path(str(d)).name))
    for cell in cells:  # the trial's knobs, as the table shows them
        cell.knobs.clear()
        cell.knobs.update({k: v for k, v in params.loc[cell.run].items() if k not in ("state", "value", "run_dir")
                           and pd.notna(v)})  # fmt: skip
    return calibrate_cells(cells, split, objective, seed=seed, n_resamples=n_resamples)
