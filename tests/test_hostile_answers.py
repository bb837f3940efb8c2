"""A hostile or broken answer fails one choice, counted, and never the run (issue 21).

Pure parsing first (no network), then :func:`~simsocial.elicit.elicit` on the in-process scripted chat
model: the hostile answer costs one parse attempt, recorded with its reason, and the next answer is used.
"""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from simsocial.elicit import elicit
from simsocial.llm.scripted import ScriptedChatModel
from simsocial.vs import LabelField, MethodConfig, Query, VSParseError, parse_distribution
from simsocial.vs.parsing import MAX_CANDIDATES, MAX_TEXT_CHARS

STANCE = LabelField("stance", ("refuse", "undecided", "agree"))
HUGE_DUPLICATE = json.dumps({"responses": [{"text": "I will give.", "probability": 1e308},
                                           {"text": "I will give.", "probability": 1e308}]})  # fmt: skip
DEEP = "[" * 3000 + "]" * 3000  # 6 KB, nested 3,000 deep
DEEP_IN_OBJECT = '{"responses": ' + "[" * 3000 + '{"text": "hi", "probability": 1}' + "]" * 3000 + "}"
GOOD = json.dumps({"responses": [{"text": "Maybe a little.", "probability": 0.6},
                                 {"text": "Not today.", "probability": 0.4}]})  # fmt: skip


@pytest.mark.parametrize("answer", [HUGE_DUPLICATE, DEEP, DEEP_IN_OBJECT], ids=["1e308-duplicate", "deep", "deep-obj"])
def test_a_malformed_answer_is_a_parse_error_never_another_exception(answer: str) -> None:
    with pytest.raises(VSParseError) as info:
        parse_distribution(answer)
    assert info.value.raw_text == answer  # kept unchanged for the record


def test_candidates_per_answer_are_capped_and_counted() -> None:
    answer = json.dumps({"responses": [{"text": f"option {i}", "probability": 0.0001} for i in range(10_000)]})
    dist = parse_distribution(answer)
    assert dist.k == MAX_CANDIDATES
    assert dist.repairs.count("candidates_capped") == 1


def test_a_huge_text_is_cut_and_counted() -> None:
    answer = json.dumps({"responses": [{"text": "a" * 5_000_000, "probability": 1.0}]})
    dist = parse_distribution(answer)
    assert len(dist.candidates[0].text) == MAX_TEXT_CHARS
    assert "text_capped" in dist.repairs


@pytest.mark.parametrize("hostile", [HUGE_DUPLICATE, DEEP, DEEP_IN_OBJECT], ids=["1e308-duplicate", "deep", "deep-obj"])
def test_elicit_counts_a_hostile_answer_as_one_failed_attempt(hostile: str) -> None:
    llm = ScriptedChatModel([hostile, GOOD])
    query = Query("You are a donor.", "Will you give?", fields=())
    result = asyncio.run(elicit(llm, MethodConfig(method="vs_standard", k=2), query, np.random.default_rng(0), "t"))

    assert result.parse_status == "repaired" and result.attempts == 2
    assert result.errors == ["malformed_answer"]  # recorded as repair parse_retry:malformed_answer
    assert result.chosen is not None and result.chosen.text in ("Maybe a little.", "Not today.")
