"""simsocial calibrate SCENARIO --search: an Optuna study whose trials are engine runs.  The known answer: a
scripted model whose stated amounts move with the temperature, and synthetic "humans" drawn at T = 0.9."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from cli_helpers import SCENARIO, simsocial
from fault_server import FaultServer
from validity_scripts import donation_model, gaussian_on_grid, sample_distribution, simulate, temperature_centre

from simsocial.llm.budget import Budget
from simsocial.llm.runtime import InlineRuntime
from simsocial.report.rundir import is_run_dir, read_run
from simsocial.sim import load_scenario
from simsocial.validity.objectives import metric_values
from simsocial.validity.samples import sample_of, simulated_cells
from simsocial.validity.search import SearchError, SearchSettings, run_search
from simsocial.validity.search_engine import budget_gate, engine_trials, evaluate_trials
from simsocial.validity.split import halves, split_humans

GRID = (0.0, 0.10, 0.25, 0.50, 0.75, 1.00, 1.50, 2.00)
TRUTH, SD, K = 0.9, 0.3, 5


def _at_temperature(request):
    return gaussian_on_grid(GRID, temperature_centre(request.temperature), SD)


@pytest.fixture(scope="module")
def synthetic_split():
    """1,200 synthetic "humans" whose donations follow the scripted law at T = 0.9, split as the real ones."""
    draws = sample_distribution(gaussian_on_grid(GRID, temperature_centre(TRUTH), SD), K, 1200,
                                np.random.default_rng(0))  # fmt: skip
    humans = pd.DataFrame({"dialogue_id": [f"h{i}" for i in range(len(draws))], "donation": draws,
                           "gave": draws > 0, "mind_change": np.nan})  # fmt: skip
    return split_humans(humans, seed=0)


def _search(out, split, trials, *, resume=False, budget=None, settings=None):
    scenario = load_scenario(SCENARIO).with_max_turns(1)
    settings = settings or SearchSettings("persuasion_for_good.yaml", ("temperature",), "ks", 40, 3, 1)
    with InlineRuntime(donation_model(_at_temperature)) as runtime:
        run_trial = engine_trials(scenario, settings.dialogues, settings.seed, runtime,
                                  gate=budget_gate(runtime, budget))  # fmt: skip
        return run_search(scenario, settings, out, sample_of(halves(split)[0]), run_trial, trials=trials,
                          resume=resume)  # fmt: skip


def test_search_finds_the_temperature_the_humans_were_drawn_at(synthetic_split, tmp_path) -> None:
    out = tmp_path / "search"
    outcome = _search(out, synthetic_split, 24)
    trials = outcome.trials.set_index("trial")
    assert len(trials) == 24 and (trials["state"] == "COMPLETE").all()
    best = trials.loc[outcome.best_number]
    assert abs(best["temperature"] - TRUTH) <= 0.1, trials.sort_values("value")[["temperature", "value"]].head()
    for run_dir in trials["run_dir"]:  # every trial is a normal run directory, 40 dialogues at its temperature
        assert is_run_dir(out / run_dir) and len(read_run(out / run_dir).dialogues) == 40

    calibration = evaluate_trials(out, outcome, synthetic_split, "ks", n_resamples=300)
    chosen = calibration.chosen_row
    assert chosen["run"] == f"trial-{outcome.best_number:03d}"
    # The best possible: the same 40 dialogues at the true temperature, against the held-out half.
    simulate(tmp_path / "truth", None, dialogues=40, seed=3, model=donation_model(_at_temperature),
             temperature=TRUTH)  # fmt: skip
    ideal = simulated_cells([read_run(tmp_path / "truth")])[0].sample
    ideal_ks = metric_values(ideal, sample_of(halves(synthetic_split)[1]))["ks"]
    assert chosen["heldout_ks_low"] <= ideal_ks <= chosen["heldout_ks_high"]


def test_resume_continues_the_study_and_refuses_other_settings(synthetic_split, tmp_path) -> None:
    out = tmp_path / "search"
    first = _search(out, synthetic_split, 3)
    with pytest.raises(SearchError, match="--resume"):
        _search(out, synthetic_split, 5)
    changed = SearchSettings("persuasion_for_good.yaml", ("temperature",), "w1", 40, 3, 1)
    with pytest.raises(SearchError, match="objective: ks → w1"):
        _search(out, synthetic_split, 5, resume=True, settings=changed)
    second = _search(out, synthetic_split, 5, resume=True)
    assert len(second.trials) == 5
    pd.testing.assert_frame_equal(second.trials.head(3)[["trial", "temperature", "value"]],
                                  first.trials[["trial", "temperature", "value"]])  # fmt: skip
    with sqlite3.connect(out / "study.db") as db:  # the study is Optuna's own SQLite storage
        assert db.execute("select count(*) from trials").fetchone()[0] == 5


def test_the_budget_stops_the_study_between_dialogues_and_resume_goes_on(synthetic_split, tmp_path) -> None:
    out = tmp_path / "search"
    stopped = _search(out, synthetic_split, 4, budget=Budget(max_calls=150))  # 3 calls a dialogue: ~1 trial
    assert stopped.stopped_by_budget
    assert "PRUNED" in set(stopped.trials["state"]) and stopped.trials["incomplete"].notna().any()
    resumed = _search(out, synthetic_split, 4, resume=True)
    assert (resumed.trials["state"] == "COMPLETE").sum() == 4


def test_the_command_runs_trials_on_an_endpoint_and_resumes(tmp_path) -> None:
    with FaultServer(schema_answers=True, record=False) as server:
        common = ["calibrate", SCENARIO, "--search", "temperature,k", "--dialogues", "2", "--turns", "1",
                  "--base-url", server.base_url, "--model", "fake", "--no-cache", "--resamples", "100",
                  "--concurrency", "2"]  # fmt: skip
        first = simsocial(*common, "--out", tmp_path / "s", "--trials", "2", cwd=tmp_path, timeout=300)
        assert first.code == 0, first.output
        assert "best trial:" in first.stdout
        again = simsocial(*common, "--out", tmp_path / "s", "--trials", "2", cwd=tmp_path)
        assert again.code == 2 and "--resume" in again.stderr
        resumed = simsocial(*common, "--out", tmp_path / "s", "--trials", "3", "--resume", cwd=tmp_path, timeout=300)
        assert resumed.code == 0, resumed.output
        budget = simsocial(*common, "--out", tmp_path / "b", "--trials", "3", "--max-calls", "8", cwd=tmp_path,
                           timeout=300)  # fmt: skip
        assert budget.code == 5 and "--resume" in budget.stderr
    trials = pd.read_csv(tmp_path / "s" / "trials.csv")
    assert len(trials) == 3 and (trials["state"] == "COMPLETE").all()
    assert {"temperature", "k", "run_dir"} <= set(trials.columns)
    for run_dir in trials["run_dir"]:
        assert (tmp_path / "s" / run_dir / "run.json").is_file()
    assert (tmp_path / "s" / "calibration.csv").is_file() and (tmp_path / "s" / "split.csv").is_file()


def test_unknown_knobs_are_refused_before_anything_is_written(tmp_path) -> None:
    done = simsocial("calibrate", SCENARIO, "--search", "temperature,warmth", "--out", tmp_path / "s", cwd=tmp_path)
    assert done.code == 2 and "warmth" in done.stderr and not (tmp_path / "s").exists()
