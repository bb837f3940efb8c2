"""Truncated answers are re-asked with a larger budget and, if cut off again, fail — never become text.

An in-process scripted chat model plays the server: it answers from a script and records each request.
"""

from __future__ import annotations

import asyncio
import json

import numpy as np

from simsocial.elicit import TRUNCATED, TRUNCATION_BUDGET_FACTOR, elicit
from simsocial.llm.base import ChatModel
from simsocial.llm.types import ChatRequest, ChatResponse
from simsocial.vs import LabelField, MethodConfig, Query

STANCE = LabelField("stance", ("refuse", "undecided", "agree"))
QUERY = Query("You are a worker.", "Persuader: please donate.", (STANCE,), text_description="reply")
GOOD = json.dumps({"responses": [{"stance": "agree", "text": "Fine, I will give.", "probability": 1.0}]})
CUT = '{"responses": [{"stance": "agree", "text": "I might giv'


class ScriptedChat(ChatModel):
    """Answers each request with the next (text, finish_reason) of the script; keeps every request."""

    def __init__(self, script: list[tuple[str, str]]) -> None:
        self.script = list(script)
        self.requests: list[ChatRequest] = []

    async def chat(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        text, finish = self.script.pop(0)
        return ChatResponse(text=text, prompt_tokens=10, completion_tokens=5, finish_reason=finish)


def run(script: list[tuple[str, str]], attempts: int = 3):
    llm = ScriptedChat(script)
    config = MethodConfig(method="vs_standard", k=1, max_tokens=100)
    result = asyncio.run(elicit(llm, config, QUERY, np.random.default_rng(0), "d0/t0", max_parse_attempts=attempts))
    return result, llm


def test_length_cut_is_reasked_with_a_larger_budget() -> None:
    result, llm = run([(CUT, "length"), (GOOD, "stop")])
    assert [r.max_tokens for r in llm.requests] == [100, 100 * TRUNCATION_BUDGET_FACTOR]
    assert result.parse_status == "repaired"
    assert result.chosen.text == "Fine, I will give."
    assert "truncated_reasked" in result.distribution.repairs


def test_unclosed_json_counts_as_truncated_even_when_the_server_says_stop() -> None:
    result, llm = run([(CUT, "stop"), (GOOD, "stop")])
    assert len(llm.requests) == 2
    assert result.chosen.text == "Fine, I will give."


def test_truncated_twice_is_a_failed_parse_with_its_own_code_and_never_text() -> None:
    result, llm = run([(CUT, "length"), (CUT, "length")], attempts=1)
    assert result.parse_status == "failed"
    assert result.chosen is None and result.distribution is None
    assert result.errors == [TRUNCATED]
    assert len(llm.requests) == 2


def test_a_finished_complete_answer_is_asked_once() -> None:
    result, llm = run([(GOOD, "stop")])
    assert len(llm.requests) == 1
    assert result.parse_status == "ok"
