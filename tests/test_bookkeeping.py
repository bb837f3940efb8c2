"""Stance, stated-amount, mind-change and record bookkeeping, with real agents on a scripted chat model.

The answers are scripted model outputs (simsocial.llm.scripted, in-process: no HTTP, no model) that go
through the real agents, elicitation, parser, sampler, Dialogue state and recorder; the LLM itself is
exercised end to end in test_simulation_e2e.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simsocial.contract import CANDIDATES_SCHEMA, DIALOGUES_SCHEMA, TURNS_SCHEMA
from simsocial.llm.errors import LLMEndpointError
from simsocial.llm.scripted import ScriptedChatModel
from simsocial.llm.types import ChatRequest
from simsocial.sim import PersuasionModel, load_scenario, parse_condition
from simsocial.sim.agents import Persuadee, Persuader
from simsocial.sim.queries import persuadee_query
from simsocial.vs import parse_distribution

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "persuasion_for_good.yaml"


def _answer(stance: str, amount: str, weight: float) -> str:
    """Two candidates; the first carries the stance we want chosen, with (almost) all the weight."""
    return json.dumps({"responses": [
        {"stance": stance, "amount": amount, "text": f"I {stance} ({amount}).", "probability": weight},
        {"stance": "undecided", "amount": "none", "text": "Hmm, tell me more.", "probability": 1 - weight},
    ]})  # fmt: skip


class _Tokens(ScriptedChatModel):
    """Scripted answers with fixed token counts (10 prompt, 5 completion per call)."""

    async def chat(self, request: ChatRequest):
        response = await super().chat(request)
        return type(response)(response.text, prompt_tokens=10, completion_tokens=5, finish_reason="stop")


def _pair(answers, max_turns: int = 10) -> tuple[PersuasionModel, Persuader, Persuadee]:
    """One live dialogue (vs_standard, k = 2) whose model answers ``answers`` in order."""
    scenario = load_scenario(SCENARIO, max_turns=max_turns)
    model = PersuasionModel(scenario, [parse_condition("vs_standard", scenario, k=2)], 1, rng=3,
                            llm=_Tokens(answers))  # fmt: skip
    persuader, persuadee = model.admit_next()
    return model, persuader, persuadee


def _reply_turn(model: PersuasionModel, persuadee: Persuadee) -> None:
    """The persuadee half of a turn (the persuader's message does not matter here), then advance."""
    model.runtime.run(persuadee.reply())
    persuadee.dialogue.advance(model.scenario.turns)


def test_stance_sequence_mind_changes_and_stated_amount() -> None:
    steps = [("refuse", "0"), ("undecided", "none"), ("agree", "0.50"), ("refuse", "none")]
    model, _, persuadee = _pair([_answer(stance, amount, 1.0) for stance, amount in steps])
    seen = []
    for _ in steps:
        _reply_turn(model, persuadee)
        seen.append((persuadee.stance, persuadee.stated_amount))
    # The agent reads its state from the dialogue: a reply without an amount keeps the one stated before.
    assert seen == [("refuse", 0.0), ("undecided", 0.0), ("agree", 0.5), ("refuse", 0.5)]
    row = persuadee.recorder.dialogue_row()
    assert row["stances"] == ["refuse", "undecided", "agree", "refuse"]
    assert row["mind_changes"] == 2  # refuse → agree, agree → refuse (undecided in between is not a change)
    assert row["ever_refused"] is True
    assert row["last_stated_amount"] == 0.5  # "none" later does not erase the amount stated before
    assert row["n_turns"] == 4
    assert row["prompt_tokens"] == 40 and row["completion_tokens"] == 20
    assert set(row) == set(DIALOGUES_SCHEMA.names)


def test_every_candidate_is_recorded_and_exactly_one_is_chosen() -> None:
    model, _, persuadee = _pair([_answer("agree", "1.00", 1.0), _answer("refuse", "0", 1.0)])
    _reply_turn(model, persuadee)
    _reply_turn(model, persuadee)
    recorder = persuadee.recorder
    assert len(recorder.turn_rows) == 2
    assert len(recorder.candidate_rows) == 4
    for turn in (0, 1):
        cands = [c for c in recorder.candidate_rows if c["turn"] == turn]
        assert sum(c["chosen"] for c in cands) == 1
        assert abs(sum(c["probability"] for c in cands) - 1) < 1e-9
    assert set(recorder.turn_rows[0]) == set(TURNS_SCHEMA.names)
    assert set(recorder.candidate_rows[0]) == set(CANDIDATES_SCHEMA.names)
    first = recorder.turn_rows[0]
    assert (first["label"], first["stated_amount"], first["k"]) == ("agree", 1.0, 2)
    assert first["entropy"] == 0.0  # all the weight on one candidate


def test_repairs_are_counted_not_hidden() -> None:
    text = (
        '```json\n{"responses": [{"stance": "Agree", "amount": "$0.50", "text": "Sure, fifty cents.", '
        '"probability": "60%"}, {"stance": "refuse", "amount": "none", "text": "No.", "probability": 20}]}\n```'
    )
    model, _, persuadee = _pair(["this is not an answer", text])
    model.runtime.run(persuadee.reply())
    row = persuadee.recorder.turn_rows[0]
    assert row["parse_status"] == "repaired" and row["attempts"] == 2
    assert {"code_fence", "percent_probability", "stance_case", "amount_from_text"} <= set(row["repairs"])
    # Repairs of the answer plus the one extra attempt it took.
    dist = parse_distribution(text, persuadee_query(model.scenario, persuadee.dialogue).fields)
    assert persuadee.recorder.n_repairs == len(dist.repairs) + 1
    assert persuadee.stance == row["label"]  # the dialogue's state is the chosen candidate's


def test_failed_choice_marks_the_dialogue() -> None:
    model, persuader, _ = _pair([""] * 3)
    model.runtime.run(persuader.speak())
    row = persuader.recorder.dialogue_row()
    assert row["status"] == "degraded" and row["n_parse_failures"] == 1
    assert persuader.dialogue.finished and persuader.strategy is None
    turn = persuader.recorder.turn_rows[0]
    assert turn["parse_status"] == "failed" and turn["attempts"] == 3
    assert len(turn["repairs"]) == 3 and all(r.startswith("parse_retry:") for r in turn["repairs"])
    assert persuader.recorder.candidate_rows == []


def test_endpoint_giving_up_marks_the_dialogue_failed_not_faked() -> None:
    def give_up(request: ChatRequest) -> str:
        raise LLMEndpointError("scripted", 6, ConnectionError("connection refused"))

    scenario = load_scenario(SCENARIO, max_turns=2)
    model = PersuasionModel(scenario, n_dialogues=2, methods=["direct"], rng=1, llm=ScriptedChatModel(give_up))
    model.run_model()
    frame = model.dialogues_frame()
    assert list(frame["status"]) == ["failed", "failed"]
    assert all("connection refused" in d.dialogue.error for d in model.finished_dialogues)
    assert frame["final_donation"].isna().all() and (frame["n_turns"] == 0).all()
    assert model.steps == 1 and not model.running


def test_scripted_list_runs_out_loudly() -> None:
    model, persuader, _ = _pair([])
    with pytest.raises(IndexError, match="only 0 answers scripted"):
        model.runtime.run(persuader.speak())
