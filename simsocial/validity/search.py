"""Calibration as a search: an Optuna study whose every trial is a normal engine run.

Each trial suggests knobs (from :data:`SEARCHABLE`), runs ``dialogues`` dialogues of the scenario with
them through :func:`simsocial.sim.runner.run_simulation` into ``OUT/trials/trial-NNN`` (a run directory
like any other), and is scored on the *fit* half of the humans by the objective.  The sampler is Optuna's
TPE seeded by ``seed``; the study lives in ``OUT/study.db`` (SQLite), so a resumed search continues it.
All trials share one seed, so they meet the same personas and draws (common random numbers): differences
between trials come from the knobs.  A budget (:class:`~simsocial.llm.budget.Budget`) is shared by all
trials; when it stops admitting dialogues, the trial in progress is recorded as pruned, the study stops,
and ``--resume`` continues later.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simsocial.sim.dialogue import Condition, DialogueSpec
from simsocial.sim.scenario import Scenario
from simsocial.validity.objectives import check_objective, metric_values
from simsocial.validity.samples import Sample
from simsocial.vs.methods import SELECTIONS

SEARCHABLE = ("k", "temperature", "top_p", "tail", "selection", "method")
METHODS = ("direct", "sequence", "multi_turn", "vs_standard", "vs_cot", "vs_multi")
STUDY_FILE = "study.db"
STUDY_NAME = "calibrate"
SEARCH_MANIFEST = "search.json"
TRIALS_DIR = "trials"


class SearchError(ValueError):
    """Bad search input or an out directory that cannot be used; nothing was written."""


def parse_search(text: str) -> tuple[str, ...]:
    """``"k,temperature"`` → ``("k", "temperature")``; unknown names raise :class:`SearchError`."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in SEARCHABLE]
    if not names or unknown:
        raise SearchError(f"--search: unknown knob(s) {', '.join(unknown) or '(none given)'} "
                          f"(use {', '.join(SEARCHABLE)})")  # fmt: skip
    return names


def suggest(trial: Any, names: Sequence[str]) -> dict[str, Any]:
    """The trial's knobs as ``MethodConfig`` fields (``tail`` → ``tail_threshold``), plus ``method``."""
    knobs: dict[str, Any] = {}
    if "method" in names:
        knobs["method"] = trial.suggest_categorical("method", list(METHODS))
    if "k" in names:
        knobs["k"] = trial.suggest_int("k", 2, 10)
    if "temperature" in names:
        knobs["temperature"] = trial.suggest_float("temperature", 0.1, 1.5)
    if "top_p" in names:
        knobs["top_p"] = trial.suggest_float("top_p", 0.5, 1.0)
    if "tail" in names:
        knobs["tail_threshold"] = trial.suggest_float("tail", 0.01, 0.5, log=True)
    if "selection" in names:
        knobs["selection"] = trial.suggest_categorical("selection", list(SELECTIONS))
    return knobs


def trial_condition(scenario: Scenario, knobs: dict[str, Any]) -> Condition:
    """The condition a trial runs: the searched method (else the scenario's) with the searched knobs."""
    from simsocial.sim.conditions import parse_condition, scenario_condition
    from simsocial.sim.knobs import apply_knobs

    knobs = dict(knobs)
    method = knobs.pop("method", None)
    if method is not None:
        return parse_condition(method, scenario, **knobs)
    return apply_knobs(scenario_condition(scenario), **knobs)


@dataclass(frozen=True)
class SearchSettings:
    """What a study was started with; a resume must match it."""

    scenario_path: str
    names: tuple[str, ...]
    objective: str
    dialogues: int
    seed: int
    max_turns: int

    def record(self) -> dict[str, Any]:
        return {"scenario": self.scenario_path, "search": list(self.names), "objective": self.objective,
                "dialogues": self.dialogues, "seed": self.seed, "max_turns": self.max_turns}  # fmt: skip


def prepare_out(out: Path, settings: SearchSettings, resume: bool) -> None:
    """Refuse an out directory that holds something else, or a resume that changes the study's settings."""
    manifest = out / SEARCH_MANIFEST
    used = out.exists() and any(out.iterdir())
    if used and not resume:
        raise SearchError(f"{out} is not empty: pass --resume to continue the search there, or choose a new --out")
    if resume and not manifest.is_file():
        raise SearchError(f"--resume: {out} holds no search ({SEARCH_MANIFEST} missing)")
    if resume:
        before = json.loads(manifest.read_text())
        changed = {k: (before.get(k), v) for k, v in settings.record().items() if before.get(k) != v}
        if changed:
            detail = "; ".join(f"{k}: {a} → {b}" for k, (a, b) in changed.items())
            raise SearchError(f"--resume: the search in {out} was started with other settings ({detail})")


RunTrial = Callable[[Condition, Path, Callable[[DialogueSpec], bool] | None], int]


@dataclass(frozen=True)
class SearchOutcome:
    """The study's trials (one row each) and the best one."""

    trials: pd.DataFrame
    best_number: int | None
    stopped_by_budget: bool


def run_search(
    scenario: Scenario,
    settings: SearchSettings,
    out: Path,
    fit: Sample,
    run_trial: RunTrial,
    *,
    trials: int,
    resume: bool = False,
    admit: Callable[[DialogueSpec], bool] | None = None,
) -> SearchOutcome:
    """Run (or continue) the study until ``trials`` trials are done; see the module doc."""
    import optuna

    check_objective(settings.objective)
    prepare_out(out, settings, resume)
    out.mkdir(parents=True, exist_ok=True)
    (out / SEARCH_MANIFEST).write_text(json.dumps(settings.record(), indent=2))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=STUDY_NAME, storage=f"sqlite:///{out / STUDY_FILE}",
                                sampler=optuna.samplers.TPESampler(seed=settings.seed), direction="minimize",
                                load_if_exists=True)  # fmt: skip
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    remaining = trials - len([t for t in study.trials if t.state in finished])
    budget_hit: list[bool] = []

    def objective(trial: optuna.Trial) -> float:
        knobs = suggest(trial, settings.names)
        condition = trial_condition(scenario, knobs)
        trial_dir = out / TRIALS_DIR / f"trial-{trial.number:03d}"
        trial.set_user_attr("run_dir", str(trial_dir.relative_to(out)))
        trial.set_user_attr("condition", condition.label)
        done = run_trial(condition, trial_dir, admit)
        if done < settings.dialogues:
            budget_hit.append(True)
            trial.set_user_attr("incomplete", f"{done} of {settings.dialogues} dialogues (budget)")
            study.stop()
            raise optuna.TrialPruned()
        value = _score(trial_dir, fit, settings.objective)
        trial.set_user_attr("n_sim", value[1])
        return value[0]

    if remaining > 0:
        study.optimize(objective, n_trials=remaining, catch=(ValueError,))  # a trial with nothing to score fails alone
    return SearchOutcome(trials_frame(study), _best(study), bool(budget_hit))


def _score(trial_dir: Path, fit: Sample, objective: str) -> tuple[float, int]:
    from simsocial.report.rundir import read_run
    from simsocial.validity.samples import simulated_cells

    cell = simulated_cells([read_run(trial_dir, label=trial_dir.name)])[0]
    value = metric_values(cell.sample, fit)[objective]
    if value != value:  # NaN: nothing to score (every dialogue failed)
        raise ValueError(f"{trial_dir}: {objective} cannot be computed (no donations or stances)")
    return float(value), cell.sample.n


def _best(study: Any) -> int | None:
    try:
        return int(study.best_trial.number)
    except ValueError:  # no completed trial yet
        return None


def trials_frame(study: Any) -> pd.DataFrame:
    """One row per trial: number, state, value, knobs, run directory, condition, notes."""
    rows = []
    for t in study.trials:
        rows.append({"trial": t.number, "state": t.state.name, "value": t.value, **t.params, **t.user_attrs})
    return pd.DataFrame(rows)
