"""The VS paper preset against two real HTTP servers on 127.0.0.1: one for the persuader, one for the rest.

Checks that every persuader call goes to the persuader's endpoint (with its own key variable) and asks
for no probabilities, that no persuader call reaches the persuadee's endpoint, that T and top_p are sent,
that turns count utterances, and that run.json names both endpoints and never a key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fault_server import FaultServer

from simsocial.llm.factory import LLMSettings
from simsocial.llm.preflight import PREFLIGHT_REQUEST
from simsocial.llm.roles import RoleEndpoint, role_settings
from simsocial.sim import load_scenario, scenario_condition
from simsocial.sim.runner import run_simulation

ROOT = Path(__file__).resolve().parents[1]
PAPER_SCENARIO = ROOT / "scenarios" / "vs_paper_persuasion.yaml"
MAIN_KEY = "sk-main-secret-0001"
PERSUADER_KEY = "sk-persuader-secret-0002"


PERSUADER_LINE = "Your goal is to convince your chat partner to donate"  # persuasion.py:120


def _is_persuader(request) -> bool:
    """The paper's persuader prompt: one user message, no system message (tasks/dialogue/base.py:177)."""
    messages = request.body["messages"]
    return any(PERSUADER_LINE in m["content"] for m in messages)


def _one_user_message(request) -> bool:
    return [m["role"] for m in request.body["messages"]] == ["user"]


def _schema_text(request) -> str:
    return json.dumps(request.body.get("response_format") or {})


@pytest.fixture
def servers():
    with FaultServer(schema_answers=True) as main, FaultServer(schema_answers=True) as persuader:
        yield main, persuader


def _dialogue_calls(server) -> list:
    """The server's requests minus the one pre-flight call each endpoint gets before any dialogue."""
    preflight = PREFLIGHT_REQUEST.messages[0]["content"]
    return [r for r in server.requests if r.body["messages"][-1]["content"] != preflight]


def test_persuader_on_its_own_endpoint_asks_for_no_probabilities(servers, tmp_path, monkeypatch):
    main, persuader = servers
    monkeypatch.setenv("OPENAI_API_KEY", MAIN_KEY)
    monkeypatch.setenv("PERSUADER_TEST_KEY", PERSUADER_KEY)
    scenario = load_scenario(PAPER_SCENARIO)
    scenario = scenario.model_copy(update={"turns": scenario.turns.model_copy(update={"max_turns": 4})})
    settings = LLMSettings(base_url=main.base_url, model="persuadee-model", cache_path=None, cache_mode="off",
                           max_attempts=1)  # fmt: skip
    endpoint = RoleEndpoint(base_url=persuader.base_url, model="persuader-model", api_key_env="PERSUADER_TEST_KEY")
    out = tmp_path / "run"
    result = run_simulation(scenario, [scenario_condition(scenario)], 3, 0, out, settings, show_progress=False,
                            persuader_settings=role_settings(settings, endpoint))  # fmt: skip

    n_dialogues, exchanges = 3, 2  # 4 utterances = 2 persuader + 2 persuadee messages
    persuader_calls = _dialogue_calls(persuader)
    assert len(persuader_calls) == n_dialogues * exchanges
    for request in persuader_calls:
        assert _is_persuader(request) and _one_user_message(request)
        assert request.body["model"] == "persuader-model"
        assert request.headers["authorization"] == f"Bearer {PERSUADER_KEY}"
        assert "probability" not in _schema_text(request)
        # The instructions (the history may quote the scripted server's JSON answers) ask for no probability.
        instructions = request.body["messages"][0]["content"].split("Previous conversation:")[0]
        assert "probability" not in instructions.lower()
        assert request.body["temperature"] == 0.7 and request.body["top_p"] == 0.9
    main_calls = _dialogue_calls(main)
    assert main_calls and not any(_is_persuader(r) for r in main_calls)
    assert all(r.headers["authorization"] == f"Bearer {MAIN_KEY}" for r in main_calls)
    assert all(r.body["model"] == "persuadee-model" and r.body["top_p"] == 0.9 for r in main_calls)
    # VS persuadee calls ask for probabilities (the method under test), at the persuadee's endpoint.
    assert any("probability" in _schema_text(r) for r in main_calls)

    dialogues = pd.read_parquet(out / "dialogues.parquet")
    assert (dialogues["n_turns"] == exchanges).all()
    assert dialogues["in_dialogue_donation"].notna().all()
    assert dialogues["in_dialogue_donation"].between(0, 2).all()
    manifest_text = (out / "run.json").read_text()
    manifest = json.loads(manifest_text)
    assert manifest["endpoints"]["persuader"]["endpoint"].startswith(persuader.base_url.removesuffix("/v1"))
    assert manifest["endpoints"]["persuadee"]["endpoint"].startswith(main.base_url.removesuffix("/v1"))
    assert manifest["settings"]["llm_persuader"]["api_key_env"] == "PERSUADER_TEST_KEY"
    assert MAIN_KEY not in manifest_text and PERSUADER_KEY not in manifest_text
    assert result.manifest["counts"]["dialogues"] == n_dialogues


def test_a_role_key_variable_that_is_not_set_is_named_not_shown(monkeypatch):
    from simsocial.llm.roles import api_key_for

    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    settings = role_settings(
        LLMSettings(), RoleEndpoint(base_url="http://x/v1", model="m", api_key_env="NO_SUCH_KEY_VAR")
    )
    with pytest.raises(ValueError, match="NO_SUCH_KEY_VAR"):
        api_key_for(settings)
    with pytest.raises(ValueError, match="environment variable name"):
        role_settings(LLMSettings(), RoleEndpoint(base_url="http://x/v1", model="m", api_key_env="sk-oops"))


def test_utterance_turns_must_be_whole_exchanges() -> None:
    from pydantic import ValidationError

    from simsocial.sim.scenario import Turns

    assert Turns(max_turns=10, unit="utterances").max_exchanges == 5
    assert Turns(max_turns=10).max_exchanges == 10
    with pytest.raises(ValidationError, match="even"):
        Turns(max_turns=9, unit="utterances")


def test_table21_sweep_puts_every_persuader_call_on_the_persuader_endpoint(servers, tmp_path, monkeypatch):
    from simsocial.batch.runner import run_sweep

    main, persuader = servers
    monkeypatch.setenv("OPENAI_API_KEY", MAIN_KEY)
    sweep = ROOT / "scenarios" / "sweeps" / "vs_paper_table21.yaml"
    llm = LLMSettings(cache_path=None, cache_mode="off", max_attempts=1)
    result = run_sweep(sweep, tmp_path / "sweep", dialogues=1, base_url=main.base_url, model="persuadee-model",
                       persuader=RoleEndpoint(base_url=persuader.base_url, model="persuader-model"), llm=llm,
                       show_progress=False)  # fmt: skip
    assert result.ok
    methods = {json.loads((c / "run.json").read_text())["conditions"][0]["persuadee"]["method"]
               for c in (tmp_path / "sweep" / "cells").iterdir()}  # fmt: skip
    assert methods == {"direct", "sequence", "vs_standard", "vs_cot", "vs_multi"}
    n_cells, exchanges = 6, 5  # 10 utterances
    assert len(_dialogue_calls(persuader)) == n_cells * exchanges
    assert all(_is_persuader(r) and "probability" not in _schema_text(r) for r in _dialogue_calls(persuader))
    assert not any(_is_persuader(r) for r in _dialogue_calls(main))
