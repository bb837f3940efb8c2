"""Prompt builders for each method (simsocial's own wording), plus the JSON schema of each answer.

The wording is simsocial's, not the VS paper's dialogue prompt.  ``wording="paper_sentences"`` puts the
paper's method sentences (verbalized_sampling 0.1.3, tasks/dialogue/persuasion.py:169-206) into simsocial's
layout; that is *not* the paper's prompt.  The paper's prompts word for word are ``layout="paper"``: the
caller builds the whole prompt with :mod:`simsocial.vs.paper_prompts` and :func:`plan` adds nothing but the
paper's answer format (see docs/reproducing-the-paper.md).  Example answers shown in an instruction carry
placeholders, never a value the model could copy (see :mod:`simsocial.vs.fields`).

A :class:`Query` is what is being asked (the role's system text, the context, the extra fields each
candidate carries).  :func:`plan` turns a query and a :class:`MethodConfig` into the calls to make: each
:class:`CallSpec` holds the user instruction and the answer schema for one call; calls after the first
continue the same conversation (``multi_turn`` and ``vs_multi``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

from simsocial.vs import paper_prompts
from simsocial.vs.fields import CandidateField
from simsocial.vs.methods import MODEL_DECIDED_MAX_K, Method, MethodConfig


@dataclass(frozen=True)
class Query:
    """What to ask: who the model is, what has happened, and what each answer must carry."""

    system: str
    context: str
    fields: tuple[CandidateField, ...] = ()
    text_description: str = "response"
    text_min_length: int = 8
    text_max_length: int = 400
    text_plural: str | None = None  # plural of text_description when not regular ("replies" is derived)
    text_hint: str = ""  # what the 'text' field holds, when not the utterance itself ("a one-sentence reason")
    wording: str = "simsocial"  # "paper_sentences": the VS paper's method sentences in this layout (_paper_lead)
    # "chat": a system message, then the context and the method's instruction as one user message.
    # "paper": the VS paper's layout — ``context`` is the paper's whole prompt, sent as the only (user)
    # message with no instruction added, and the answer format is the paper's (simsocial.vs.paper_prompts).
    layout: Literal["chat", "paper"] = "chat"

    @property
    def plural(self) -> str:
        """``text_description`` in the plural: "reply" → "replies", "message" → "messages"."""
        if self.text_plural:
            return self.text_plural
        word = self.text_description
        if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
            return word[:-1] + "ies"
        return word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")


@dataclass(frozen=True)
class CallSpec:
    """One call of a method: the user instruction to send and the JSON schema the answer should follow."""

    instruction: str
    schema: dict[str, Any]
    expects_list: bool
    expects_probabilities: bool
    n_candidates: int | None  # candidates this call should return (None: model decides)
    plain_text: bool = False  # no JSON: the whole answer is the one candidate (the paper's Direct answers)


@dataclass(frozen=True)
class Plan:
    """All calls of one elicitation, in order, sharing one conversation."""

    config: MethodConfig
    system: str
    calls: tuple[CallSpec, ...] = field(default_factory=tuple)


def plan(config: MethodConfig, query: Query) -> Plan:
    """The calls that elicit one choice for ``query`` with ``config``'s method and knobs."""
    # The calls depend on neither the system text nor the context, which change every turn: build them once
    # per method and query shape (schemas are shared, read-only dicts).
    return Plan(config, query.system, _calls(config, replace(query, system="", context="")))


@lru_cache(maxsize=512)
def _calls(config: MethodConfig, query: Query) -> tuple[CallSpec, ...]:
    method = config.method
    k = config.k
    if query.layout == "paper":
        return (_paper_call(config),)
    if method == Method.DIRECT:
        calls = [_single_call(query, first=True)]
    elif method == Method.MULTI_TURN:
        calls = [_single_call(query, first=i == 0) for i in range(config.n_calls)]
    elif method == Method.SEQUENCE:
        calls = [_list_call(query, k, probabilities=False, reasoning=False, config=config, first=True)]
    elif method in (Method.VS_STANDARD, Method.VS_COT):
        calls = [_list_call(query, k, True, method == Method.VS_COT, config, first=True)]
    elif method == Method.VS_MULTI:
        per_call = _split(k or config.calls, config.n_calls)
        calls = [_list_call(query, n, True, False, config, first=i == 0) for i, n in enumerate(per_call)]
    else:  # pragma: no cover - enum is exhaustive
        raise ValueError(f"unknown method {method}")
    return tuple(calls)


def first_user_message(query: Query, call: CallSpec) -> str:
    """The opening user message: the context, then the instruction of the first call.

    Under the paper's layout the context is the paper's whole prompt, sent exactly as built.
    """
    if query.layout == "paper":
        return query.context if not call.instruction else f"{query.context}\n\n{call.instruction}"
    return f"{query.context.strip()}\n\n{call.instruction}"


def _paper_call(config: MethodConfig) -> CallSpec:
    """The one call the paper makes: its prompt carries the instruction; JSON only where the paper asks for it."""
    schema = paper_prompts.answer_schema(config.method)
    if schema is None:  # Direct, and VS-Multi as 0.1.3 runs it (persuasion.py:203-206): a plain reply
        return CallSpec("", {}, expects_list=False, expects_probabilities=False, n_candidates=1, plain_text=True)
    probabilities = config.method.verbalizes_probabilities
    n = config.k if probabilities else None  # Sequence: "all plausible responses", the model decides
    return CallSpec("", schema, expects_list=True, expects_probabilities=probabilities, n_candidates=n)


# --- builders ------------------------------------------------------------------------------------
def _single_call(query: Query, first: bool) -> CallSpec:
    schema = _object_schema(_item_properties(query, probability=False), _required(query, False))
    lead = (
        f"Generate one {query.text_description}."
        if first
        else f"Generate another {query.text_description}, different from your previous ones."
    )
    if query.wording == "paper_sentences" and first:
        lead = "Only output your reply to your chat partner—do not explain your reasoning."  # persuasion.py:204-206
    example = _example_item(query, probability=None)
    parts = [lead, *_hint(query)]
    instruction = f"{' '.join(parts)} Answer with one JSON object like {json.dumps(example)} and nothing else."
    return CallSpec(instruction, schema, expects_list=False, expects_probabilities=False, n_candidates=1)


def _list_call(
    query: Query, k: int | None, probabilities: bool, reasoning: bool, config: MethodConfig, first: bool
) -> CallSpec:
    if k == 1:
        lead = (
            f"Generate one {query.text_description}."
            if first
            else f"Generate one more {query.text_description}, different from the ones you gave."
        )
    else:
        how_many = f"{k}" if k is not None else "several"
        lead = (
            f"Generate {how_many} different {query.plural}."
            if first
            else f"Generate {how_many} more {query.plural}, different from the ones you gave."
        )
    parts = [lead, *_hint(query)]
    if query.wording == "paper_sentences" and first:
        parts = [_paper_lead(k, probabilities, reasoning), *_hint(query)]
    if k is None:
        parts.append(f"Choose how many yourself (at most {MODEL_DECIDED_MAX_K}).")
    if probabilities and query.wording == "paper_sentences":
        # persuasion.py:176: the paper's definition of the verbalized probability.
        parts.append(
            "Give each a 'probability': the empirical probability representing how likely each response "
            "would be (from 0.0 to 1.0)."
        )
    elif probabilities:
        parts.append(
            "Sample them from the full distribution of what you might say, and give each its probability "
            "(0.0 to 1.0) of being chosen."
        )
        if config.tail_threshold is not None:
            parts.append(f"Each probability must be below {config.tail_threshold:g}.")
    if reasoning:
        parts.append(f"First think step by step in a short 'reasoning' field, then list the {query.plural}.")
    example_prob = None
    if probabilities:
        example_prob = (
            f"<probability below {config.tail_threshold:g}>"
            if config.tail_threshold
            else "<probability from 0.0 to 1.0>"
        )
    example: dict[str, Any] = {"responses": [_example_item(query, example_prob)]}
    if reasoning:
        example = {"reasoning": "<your reasoning>", **example}
    parts.append(f"Answer with one JSON object like {json.dumps(example)} and nothing else.")

    item = _object_schema(_item_properties(query, probabilities), _required(query, probabilities))
    array: dict[str, Any] = {"type": "array", "items": item, "minItems": 1}
    if k is not None:
        array.update(minItems=k, maxItems=k)
    else:
        array["maxItems"] = MODEL_DECIDED_MAX_K
    props: dict[str, Any] = {}
    if reasoning:
        props["reasoning"] = {"type": "string", "minLength": 1, "maxLength": 600}
    props["responses"] = array
    schema = _object_schema(props, list(props))
    return CallSpec(" ".join(parts), schema, True, probabilities, k)


def _item_properties(query: Query, probability: bool) -> dict[str, Any]:
    # Fields come first so that under a grammar the model commits to a label/stance, then writes text
    # that fits it.
    props: dict[str, Any] = {f.name: f.json_schema() for f in query.fields}
    props["text"] = {"type": "string", "minLength": query.text_min_length, "maxLength": query.text_max_length}
    if probability:
        props["probability"] = {"type": "number"}
    return props


def _required(query: Query, probability: bool) -> list[str]:
    return [*(f.name for f in query.fields), "text", *(["probability"] if probability else [])]


def _object_schema(properties: dict[str, Any], required: Sequence[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


def _example_item(query: Query, probability: str | None) -> dict[str, Any]:
    """One example candidate made of placeholders only: nothing in it can be copied as an answer."""
    item: dict[str, Any] = {f.name: f.example() for f in query.fields}
    item["text"] = f"<{query.text_hint.rstrip('.') or 'your ' + query.text_description}>"
    if probability is not None:
        item["probability"] = probability
    return item


def _paper_lead(k: int | None, probabilities: bool, reasoning: bool) -> str:
    """The VS paper's first sentence per method (verbalized_sampling 0.1.3 tasks/dialogue/persuasion.py)."""
    if not probabilities:  # Sequence, persuasion.py:195
        return (
            "Generate all plausible responses you would naturally give to your chat partner based on the chat "
            "history and your persona."
        )
    count = f"{k}" if k is not None else "several"
    if reasoning:  # VS-CoT, persuasion.py:183
        return (
            f"Generate {count} plausible responses with reasoning that you would naturally give to your chat partner."
        )
    # VS-Standard, persuasion.py:172
    return (
        f"Generate {count} plausible responses that you would naturally give to your chat partner based on the "
        "chat history and your persona."
    )


def _hint(query: Query) -> list[str]:
    return [f"In 'text', give {query.text_hint.rstrip('.')}."] if query.text_hint else []


def _split(k: int, n: int) -> list[int]:
    base, extra = divmod(k, n)
    return [base + (1 if i < extra else 0) for i in range(n)]
