"""Stance, stated-amount and mind-change bookkeeping on scripted candidate sequences.

The answers are scripted model outputs fed through the real parser, sampler and Dialogue records; the
LLM itself is exercised end to end in test_simulation_e2e.py.
"""

from __future__ import annotations

import json

import numpy as np

from simsocial.contract import CANDIDATES_SCHEMA, DIALOGUES_SCHEMA, TURNS_SCHEMA
from simsocial.elicit import Elicitation
from simsocial.sim.dialogue import Condition, Dialogue, DialogueSpec
from simsocial.sim.personas import Persona
from simsocial.vs import AmountField, LabelField, MethodConfig, parse_distribution

STANCE = LabelField("stance", ("refuse", "undecided", "agree"))
AMOUNT = AmountField("amount", (0.0, 0.5, 1.0, 2.0), nullable=True)


def _dialogue() -> Dialogue:
    cfg = MethodConfig(method="vs_standard", k=2)
    spec = DialogueSpec("vs-00000", Condition("vs_standard", cfg, cfg, cfg), replicate=0, seed=3)
    return Dialogue(spec, "run", "model", Persona("p1", "You are 30."), Persona("none", ""),
                    np.random.default_rng(0))  # fmt: skip


def _answer(stance: str, amount: str, weight: float) -> str:
    """Two candidates; the first carries the stance we want chosen, with (almost) all the weight."""
    return json.dumps({"responses": [
        {"stance": stance, "amount": amount, "text": f"I {stance} ({amount}).", "probability": weight},
        {"stance": "undecided", "amount": "none", "text": "Hmm, tell me more.", "probability": 1 - weight},
    ]})  # fmt: skip


def _persuadee_turn(dialogue: Dialogue, stance: str, amount: str) -> None:
    dist = parse_distribution(_answer(stance, amount, 1.0), (STANCE, AMOUNT))
    index = dist.sample(dialogue.rng)
    result = Elicitation(dist, index, "ok", attempts=1, prompt_tokens=10, completion_tokens=5)
    dialogue.record(result, "persuadee", "utterance", "stance")
    chosen = result.chosen
    dialogue.stances.append(chosen.get("stance"))
    if chosen.get("amount") is not None:
        dialogue.last_stated_amount = chosen.get("amount")
    dialogue.turn += 1


def test_stance_sequence_mind_changes_and_stated_amount() -> None:
    dialogue = _dialogue()
    for stance, amount in [("refuse", "0"), ("undecided", "none"), ("agree", "0.50"), ("refuse", "none")]:
        _persuadee_turn(dialogue, stance, amount)
    row = dialogue.dialogue_row()
    assert row["stances"] == ["refuse", "undecided", "agree", "refuse"]
    assert row["mind_changes"] == 2  # refuse → agree, agree → refuse (undecided in between is not a change)
    assert row["ever_refused"] is True
    assert row["last_stated_amount"] == 0.5  # "none" later does not erase the amount stated before
    assert row["n_turns"] == 4
    assert row["prompt_tokens"] == 40 and row["completion_tokens"] == 20
    assert set(row) == set(DIALOGUES_SCHEMA.names)


def test_every_candidate_is_recorded_and_exactly_one_is_chosen() -> None:
    dialogue = _dialogue()
    _persuadee_turn(dialogue, "agree", "1.00")
    _persuadee_turn(dialogue, "refuse", "0")
    assert len(dialogue.turn_rows) == 2
    assert len(dialogue.candidate_rows) == 4
    for turn in (0, 1):
        cands = [c for c in dialogue.candidate_rows if c["turn"] == turn]
        assert sum(c["chosen"] for c in cands) == 1
        assert abs(sum(c["probability"] for c in cands) - 1) < 1e-9
    assert set(dialogue.turn_rows[0]) == set(TURNS_SCHEMA.names)
    assert set(dialogue.candidate_rows[0]) == set(CANDIDATES_SCHEMA.names)
    first = dialogue.turn_rows[0]
    assert (first["label"], first["stated_amount"], first["k"]) == ("agree", 1.0, 2)


def test_repairs_are_counted_not_hidden() -> None:
    dialogue = _dialogue()
    text = (
        '```json\n{"responses": [{"stance": "Agree", "amount": "$0.50", "text": "Sure, fifty cents.", '
        '"probability": "60%"}, {"stance": "refuse", "amount": "none", "text": "No.", "probability": 20}]}\n```'
    )
    dist = parse_distribution(text, (STANCE, AMOUNT))
    dialogue.record(Elicitation(dist, 0, "repaired", attempts=2), "persuadee", "utterance", "stance")
    row = dialogue.turn_rows[0]
    assert row["parse_status"] == "repaired"
    assert {"code_fence", "percent_probability", "stance_case", "amount_from_text"} <= set(row["repairs"])
    # Repairs of the answer plus the one extra attempt it took.
    assert dialogue.n_repairs == len(dist.repairs) + 1


def test_failed_choice_marks_the_dialogue() -> None:
    dialogue = _dialogue()
    dialogue.record(Elicitation(None, None, "failed", attempts=3, errors=["empty answer"] * 3),
                    "persuader", "utterance", "strategy")  # fmt: skip
    dialogue.fail("degraded", "persuader utterance unparseable")
    row = dialogue.dialogue_row()
    assert row["status"] == "degraded" and row["n_parse_failures"] == 1
    assert dialogue.turn_rows[0]["parse_status"] == "failed"
    assert dialogue.turn_rows[0]["repairs"] == ["parse_retry:empty answer"] * 3
    assert dialogue.candidate_rows == []
