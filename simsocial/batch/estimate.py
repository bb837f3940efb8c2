"""What a run will cost before it runs: LLM calls and prompt/completion tokens, from the scenario, the
methods, k and the turn budget — no call is made.

Each dialogue is walked through on paper: every turn the persuader's and the persuadee's query is built
by the same prompt code a run uses (:mod:`simsocial.sim.queries`, :func:`simsocial.vs.plan`), with a
transcript of stand-in utterances; then the donation query.  Per call: the prompt is the characters of
its messages, the completion a JSON answer of the schema's shape with ``k`` candidates.  Characters
become tokens at :data:`CHARS_PER_TOKEN` in prompts (English prose on BPE tokenizers), plus a few
template tokens per message, and at :data:`COMPLETION_CHARS_PER_TOKEN` in the JSON answers.  Stand-in
texts are :data:`TEXT_SHARE` of the role's ``max_chars`` (models rarely use the whole allowance).  Not
included: re-asks after an unparseable or truncated answer (counted in ``run.json`` as
``parse_failures`` and the ``truncated_reasked`` repair), and dialogues that end early on commitment (the
estimate is then an upper bound).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simsocial.sim.dialogue import Condition, Dialogue, DialogueSpec, Utterance
from simsocial.sim.personas import NO_PERSONA, persona_pool
from simsocial.sim.queries import donation_query, persuadee_query, persuader_query
from simsocial.sim.scenario import Scenario
from simsocial.vs import MethodConfig, Query, first_user_message, plan
from simsocial.vs.methods import DEFAULT_K

CHARS_PER_TOKEN = 4.0
# Answers are JSON: quotes, braces, keys, numbers and short sentences tokenize denser than prose.  Measured on
# the embedded model (tests/test_batch_budget_llm.py): 2.5-3.1 characters a completion token, and the
# estimate at 4.0 came out 31-36% low.
COMPLETION_CHARS_PER_TOKEN = 3.0
TOKENS_PER_MESSAGE = 5  # chat-template tokens around each message
TEXT_SHARE = 0.6  # share of a text field's maxLength a model typically writes
REASONING_CHARS = 300  # vs_cot's reasoning field
MODEL_DECIDED_K = DEFAULT_K  # candidates assumed when the model decides k: as many as it is asked for by default


@dataclass(frozen=True)
class Estimate:
    """Calls and tokens of some dialogues (``dialogues`` of them)."""

    dialogues: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.dialogues + other.dialogues, self.calls + other.calls,
                        self.prompt_tokens + other.prompt_tokens,
                        self.completion_tokens + other.completion_tokens)  # fmt: skip

    def times(self, n: int) -> Estimate:
        return Estimate(self.dialogues * n, self.calls * n, self.prompt_tokens * n, self.completion_tokens * n)


def dialogue_estimate(scenario: Scenario, condition: Condition) -> Estimate:
    """Calls and tokens of one dialogue of ``condition`` that runs its full turn budget."""
    persona_rng = np.random.default_rng(0)
    pool, persuader_pool = persona_pool(scenario.personas, "persuadee"), persona_pool(scenario.personas, "persuader")
    dialogue = Dialogue(
        spec=DialogueSpec("estimate", condition, 0, 0), run_id="estimate", model_name="estimate",
        persona=pool.draw(persona_rng) if pool else NO_PERSONA,
        persuader_persona=persuader_pool.draw(persona_rng) if persuader_pool else NO_PERSONA,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    total = Estimate(dialogues=1)
    roles = ((scenario.persuader, condition.persuader, persuader_query, "persuader"),
             (scenario.persuadee, condition.persuadee, persuadee_query, "persuadee"))  # fmt: skip
    for turn in range(scenario.turns.max_turns):
        dialogue.turn = turn
        for role, config, build, name in roles:
            total += _choice(build(scenario, dialogue), config)
            text = "x" * int(TEXT_SHARE * role.max_chars)
            dialogue.transcript.append(Utterance(turn, name, role.name, text, None))
    dialogue.turn = scenario.turns.max_turns
    return total + _choice(donation_query(scenario, dialogue), condition.donation)


def run_estimate(scenario: Scenario, conditions: Sequence[Condition], dialogues: int) -> Estimate:
    """A run of ``dialogues`` per condition."""
    total = Estimate()
    for condition in conditions:
        total += dialogue_estimate(scenario, condition).times(dialogues)
    return total


def _choice(query: Query, config: MethodConfig) -> Estimate:
    """One elicitation: its calls share one conversation, each answer joining the next call's prompt."""
    messages = [query.system]
    calls = prompt = completion = 0
    for index, call in enumerate(plan(config, query).calls):
        messages.append(first_user_message(query, call) if index == 0 else call.instruction)
        answer = json.dumps(_answer(call.schema, call.n_candidates or MODEL_DECIDED_K, query))
        calls += 1
        prompt += _tokens(messages)
        completion += round(len(answer) / COMPLETION_CHARS_PER_TOKEN)
        messages.append(answer)
    return Estimate(0, calls, prompt, completion)


def _tokens(messages: list[str]) -> int:
    return round(sum(len(m) for m in messages) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * len(messages)


def _answer(schema: dict[str, Any], n: int, query: Query) -> Any:
    """A stand-in answer of the schema's shape: ``n`` list items, enum fields set, texts of typical length."""
    kind = schema.get("type")
    if kind == "object":
        return {name: _field(name, sub, n, query) for name, sub in schema.get("properties", {}).items()}
    return _field("text", schema, n, query)


def _field(name: str, schema: dict[str, Any], n: int, query: Query) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "array":
        return [_answer(schema.get("items", {}), n, query) for _ in range(n)]
    if kind == "object":
        return _answer(schema, n, query)
    if kind == "number":
        return round(1 / max(n, 1), 3)
    if name == "reasoning":
        return "x" * REASONING_CHARS
    return "x" * int(TEXT_SHARE * schema.get("maxLength", query.text_max_length))
