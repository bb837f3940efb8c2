"""``simsocial calibrate SCENARIO --search ...``: the Optuna search, its budget, and what it prints and writes."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from simsocial.cli.outcome import EXIT_ERROR, EXIT_INTERRUPTED, fail

EXIT_BUDGET = 5  # as `run` and `batch`: stopped by --max-calls/--max-tokens, resumable


def run_search_command(scenario_path: Path, out: Path, search: str, *, objective: str, seed: int, trials: int,
                       dialogues: int, turns: int | None, resume: bool, max_calls: int | None,
                       max_tokens: int | None, resamples: int, cleaning: str, llm: dict[str, Any]) -> None:  # fmt: skip
    """Validate everything, run (or continue) the study, evaluate on the held-out half, print and write."""
    from simsocial.cli.options import llm_settings
    from simsocial.llm.budget import Budget
    from simsocial.sim import ScenarioError, load_scenario
    from simsocial.validity.search import SearchError, SearchSettings, parse_search, prepare_out

    err = Console(stderr=True)
    try:
        names = parse_search(search)
        scenario = load_scenario(scenario_path)
        if turns is not None:
            scenario = scenario.with_max_turns(turns, option="--turns")
        settings = SearchSettings(str(scenario_path), names, objective, dialogues, seed, scenario.turns.max_turns)
        prepare_out(out, settings, resume)  # refused before anything is written
    except (SearchError, ScenarioError, ValueError, FileNotFoundError) as exc:
        fail(err, str(exc))
    llm_config = llm_settings(llm["base_url"], llm["model"], llm["gguf"], llm["concurrency"], llm["cache"],
                              llm["no_cache"], server_log=out.absolute() / "llama-server.log")  # fmt: skip
    budget = Budget(max_calls, max_tokens)
    err.print(f"calibrate: searching {', '.join(names)} of {scenario.name} over {trials} trial(s) × {dialogues} "
              f"dialogue(s), objective {objective}, seed {seed}; study in {out}")  # fmt: skip
    try:
        calibration, outcome = _search(scenario, settings, out, llm_config, budget, trials=trials, resume=resume,
                                       cleaning=cleaning, resamples=resamples, concurrency=llm["concurrency"],
                                       err=err)  # fmt: skip
    except KeyboardInterrupt:
        err.print(f"\ninterrupted: finished trials are kept in {out}; add --resume to continue.")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as exc:  # noqa: BLE001 - an endpoint error stops the study; what is done stays resumable
        from simsocial.llm.errors import FatalLLMError, LLMError

        if not isinstance(exc, FatalLLMError | LLMError):
            raise
        fail(err, f"{exc}\nfinished trials are kept in {out}; fix the cause and add --resume to continue.",
             EXIT_ERROR)  # fmt: skip
    _report(calibration, outcome, out, seed, err)
    if outcome.stopped_by_budget:
        again = shlex.join(["simsocial", *sys.argv[1:]] + ([] if "--resume" in sys.argv else ["--resume"]))
        err.print(f"stopped by the budget ({budget.describe()}); continue with: {again}")
        raise typer.Exit(EXIT_BUDGET)


def _search(scenario, settings, out: Path, llm_config, budget, *, trials: int, resume: bool, cleaning: str,
            resamples: int, concurrency: int, err: Console):  # fmt: skip
    from simsocial.llm.runtime import LLMRuntime
    from simsocial.validity.samples import human_outcomes, sample_of
    from simsocial.validity.search import run_search
    from simsocial.validity.search_engine import budget_gate, engine_trials, evaluate_trials
    from simsocial.validity.split import halves, split_humans

    split = split_humans(human_outcomes(cleaning), settings.seed)
    fit = sample_of(halves(split)[0])

    def said(trial_dir: Path, done: int) -> None:
        err.print(f"  {trial_dir.name}: {done} dialogue(s)")

    with LLMRuntime(llm_config) as runtime:
        gate = budget_gate(runtime, budget)
        run_trial = engine_trials(scenario, settings.dialogues, settings.seed, runtime, gate=gate, on_trial=said,
                                  scenario_path=settings.scenario_path, max_active=concurrency)  # fmt: skip
        outcome = run_search(scenario, settings, out, fit, run_trial, trials=trials, resume=resume)
    calibration = evaluate_trials(out, outcome, split, settings.objective, seed=settings.seed,
                                  n_resamples=resamples)  # fmt: skip
    if calibration is not None:  # trials are scored on the final donation (simulated_cells' default)
        calibration.settings.update(cleaning=cleaning, donation="final")
    return calibration, outcome


def _report(calibration, outcome, out: Path, seed: int, err: Console) -> None:
    from simsocial.cli.calibration_output import print_calibration
    from simsocial.validity.calibration_files import write_calibration

    outcome.trials.to_csv(out / "trials.csv", index=False)
    if calibration is None:
        err.print("no trial completed; nothing to evaluate")
        return
    written = write_calibration(calibration, out, seed)
    print_calibration(calibration)
    best = outcome.trials[outcome.trials["trial"] == outcome.best_number].iloc[0]
    knobs = {k: v for k, v in best.items() if k not in ("trial", "state", "value", "run_dir", "condition", "n_sim")
             and v == v}  # fmt: skip
    typer.echo(f"best trial: {outcome.best_number} ({best['run_dir']}), fit {calibration.objective} "
               f"{best['value']:.3f}, knobs {knobs}")  # fmt: skip
    err.print(f"wrote {out / 'trials.csv'}, {', '.join(str(p) for p in written)}")
