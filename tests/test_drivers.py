"""The two drivers of one turn function, and the public entry point a Mesa user would guess.

In-process scripted chat model (simsocial.llm.scripted) for the logic; a real HTTP server on 127.0.0.1
(tests/fault_server.py) where the CLI takes part.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import mesa
import pandas as pd
import pytest
from fault_server import FaultServer

import simsocial
from simsocial.contract import SCHEMAS
from simsocial.llm.runtime import InlineRuntime
from simsocial.llm.scripted import ScriptedChatModel, schema_answers
from simsocial.sim import run_simulation
from simsocial.sim.scheduler import run_free

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"
METHODS = ["direct", "vs_standard"]
KEYS = {"dialogues": ["dialogue_id"], "turns": ["dialogue_id", "turn", "role", "kind"],
        "candidates": ["dialogue_id", "turn", "role", "kind", "index"]}  # fmt: skip


@pytest.fixture(scope="module")
def scenario() -> simsocial.Scenario:
    return simsocial.load_scenario(SCENARIO, max_turns=3)


def _frames(model: simsocial.PersuasionModel) -> dict[str, pd.DataFrame]:
    frames = {"dialogues": model.dialogues_frame(), "turns": model.turns_frame(),
              "candidates": model.candidates_frame()}  # fmt: skip
    return {name: f.sort_values(KEYS[name]).reset_index(drop=True) for name, f in frames.items()}


def _model(scenario, **kwargs) -> simsocial.PersuasionModel:
    return simsocial.PersuasionModel(scenario, n_dialogues=5, methods=METHODS, rng=4, max_active=3,
                                     llm=ScriptedChatModel(schema_answers()), **kwargs)  # fmt: skip


def test_step_and_free_running_drivers_give_identical_dialogues(scenario, tmp_path) -> None:
    stepped = _model(scenario)
    stepped.run_model()
    free = _model(scenario)
    run_free(free)
    assert stepped.steps > scenario.turns.max_turns  # 10 dialogues through 3 slots: admitted over several steps
    assert free.steps == 0 and not free.running  # the free-running driver does not step the model
    a, b = _frames(stepped), _frames(free)
    assert len(a["dialogues"]) == 10 and len(a["turns"]) == 10 * (2 * 3 + 1)
    for name in KEYS:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    # run_simulation (free-running, through the writer) writes exactly these rows.
    with InlineRuntime(ScriptedChatModel(schema_answers())) as runtime:
        result = run_simulation(scenario, stepped.conditions, 5, 4, tmp_path / "run", runtime=runtime, max_active=3,
                                show_progress=False)  # fmt: skip
    for name, file in zip(KEYS, SCHEMAS, strict=True):
        written = pd.read_parquet(result.out_dir / file).sort_values(KEYS[name]).reset_index(drop=True)
        pd.testing.assert_frame_equal(written, a[name], obj=file)
    assert result.manifest["counts"]["dialogues"] == 10
    assert result.manifest["usage"]["calls"] == len(stepped.llm.inner.requests) == 10 * 7
    assert list(result.summary["method"]) == METHODS


def test_model_reads_like_a_mesa_model(scenario) -> None:
    assert simsocial.PersuasionModel.run_model is mesa.Model.run_model  # Mesa's own loop, not a copy
    model = simsocial.PersuasionModel(scenario, n_dialogues=4, methods=METHODS, rng=7,
                                      llm=ScriptedChatModel(schema_answers()))  # fmt: skip
    model.step()
    model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 2 and model.steps == 2
    assert list(frame["active_dialogues"]) == [8, 8] and list(frame["finished_dialogues"]) == [0, 0]
    agents = model.datacollector.get_agent_vars_dataframe()
    assert agents.loc[2, "stance"].notna().sum() == 8  # every persuadee replied in step 2 (read from its dialogue)
    model.run_model()
    assert not model.running and model.steps == 3 and model.n_finished == 8
    last = model.datacollector.get_model_vars_dataframe().iloc[-1]
    # The last step's row: every dialogue ended in it, none still talking (a step collects before it retires).
    assert (last["active_dialogues"], last["finished_dialogues"]) == (0, 8)
    assert pd.notna(last["share_agreeing"])  # ... while the stances of that last turn are still counted
    dialogues = model.dialogues_frame()
    assert list(dialogues.columns) == SCHEMAS["dialogues.parquet"].names
    assert (dialogues["n_turns"] == 3).all() and dialogues["final_donation"].notna().all()
    assert set(dialogues["final_donation"]) <= set(scenario.donation.grid)


def test_the_live_view_and_batch_run_models_report_the_same_columns_beside_their_own() -> None:
    """One DataCollector definition: the live view's model reports the base model's columns (and the same
    values: no dialogue counted as talking after it ended) plus its stance shares."""
    from simsocial.viz.model import VizModel

    model = VizModel(scenario=str(SCENARIO), methods="direct,vs_standard", n_dialogues=2, max_turns=2, rng=3,
                     scripted=True)  # fmt: skip
    model.run_model()
    frame = model.datacollector.get_model_vars_dataframe()
    base = ["active_dialogues", "share_agreeing", "mean_stated_amount", "finished_dialogues"]
    assert set(base) <= set(frame.columns) and {"share_refuse", "share_undecided", "share_agree"} <= set(frame)
    assert (frame["active_dialogues"].iloc[0], frame["finished_dialogues"].iloc[0]) == (0, 0)  # step 0
    assert (frame["active_dialogues"].iloc[-1], frame["finished_dialogues"].iloc[-1]) == (0, 4)


def test_a_ready_chat_model_starts_no_thread_and_no_server(scenario) -> None:
    before = set(threading.enumerate())
    model = simsocial.PersuasionModel(scenario, n_dialogues=1, methods=["direct"], rng=1,
                                      llm=ScriptedChatModel(schema_answers()))  # fmt: skip
    model.step()
    assert set(threading.enumerate()) == before
    assert model.runtime.stack.endpoint == "in-process"
    model.run_model()
    assert model.dialogues_frame()["status"].tolist() == ["ok"]


def test_rng_gives_the_dialogues_of_cli_seed(scenario, tmp_path) -> None:
    with FaultServer(schema_answers=True, record=False) as server:
        out = tmp_path / "cli"
        cmd = [sys.executable, "-m", "simsocial.cli.main", "run", str(SCENARIO), "-n", "2", "-t", "3",
               "--method", "direct", "--method", "vs_standard", "--seed", "5", "--out", str(out),
               "--base-url", server.base_url, "--model", "fake", "--no-cache", "-q"]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        llm = simsocial.LLMSettings(base_url=server.base_url, model="fake", cache_path=None, cache_mode="off")
        model = simsocial.PersuasionModel(scenario, n_dialogues=2, methods=METHODS, rng=5, llm=llm)
        model.run_model()
    mine = _frames(model)
    for name, file in zip(KEYS, SCHEMAS, strict=True):
        cli = pd.read_parquet(out / file).sort_values(KEYS[name]).reset_index(drop=True)
        pd.testing.assert_frame_equal(mine[name], cli, obj=file)
