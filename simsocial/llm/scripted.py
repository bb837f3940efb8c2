"""An in-process chat model that answers from a script: for tests and demos that need no HTTP and no model.

``ScriptedChatModel(["answer 1", "answer 2"])`` answers calls in order (it raises when the list runs
out, so a test notices an unexpected call); ``ScriptedChatModel(fn)`` answers ``fn(request)``, which may
also raise (e.g. an :class:`~simsocial.llm.errors.LLMEndpointError` to play an endpoint that gives up).
:func:`schema_answers` builds such a function: a valid instance of each request's answer schema, chosen
deterministically from the request, so the answer to a call does not depend on the order calls arrive
in.  Every request is kept in ``requests``.  ``latency(request)`` (seconds) makes a call take that long
before it answers, as a remote model would (the loop keeps running other calls meanwhile).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Callable, Sequence
from typing import Any

from simsocial.llm.base import ChatModel
from simsocial.llm.types import ChatRequest, ChatResponse

Script = Sequence[str] | Callable[[ChatRequest], str]

_WORDS = ("we", "can", "help", "children", "today", "your", "gift", "would", "matter", "a", "lot", "and",
          "I", "think", "maybe", "sure", "not", "now", "the", "fund", "school", "food", "so", "many")  # fmt: skip


class ScriptedChatModel(ChatModel):
    """Answers each request from ``script`` (a list consumed in order, or a function of the request)."""

    def __init__(
        self, script: Script, name: str = "scripted", latency: Callable[[ChatRequest], float] | None = None
    ) -> None:
        self.script = script
        self.latency = latency
        self.name = name
        self.requests: list[ChatRequest] = []

    async def chat(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        index = len(self.requests) - 1  # taken on arrival: answers keep call order whatever the latencies
        if self.latency is not None:
            await asyncio.sleep(self.latency(request))
        if callable(self.script):
            text = self.script(request)
        else:
            if index >= len(self.script):
                raise IndexError(f"ScriptedChatModel: call {index + 1} but only {len(self.script)} answers scripted")
            text = self.script[index]
        prompt = sum(len(m.get("content", "")) for m in request.messages) // 4
        return ChatResponse(text, prompt_tokens=prompt, completion_tokens=len(text) // 4, finish_reason="stop",
                            model=self.name)  # fmt: skip

    def describe(self) -> dict[str, Any]:
        return {"backend": type(self).__name__, "model": self.name}


def schema_answers(seed: int = 0) -> Callable[[ChatRequest], str]:
    """A script function answering every request with a valid instance of its ``response_schema``.

    Enums are picked from, arrays get 2-4 items (or exactly the count the schema fixes), candidates'
    probabilities sum to 1, texts are short word salads within the length bounds.  The choice depends
    only on ``seed`` and the request (messages, seed, schema, call key).
    """

    def answer(request: ChatRequest) -> str:
        if request.response_schema is None:
            raise ValueError("schema_answers needs requests that carry a response_schema")
        key = json.dumps([seed, request.messages, request.seed, request.response_schema, request.call_key],
                         sort_keys=True)  # fmt: skip
        rng = random.Random(hashlib.sha256(key.encode()).digest())
        return json.dumps(_instance(request.response_schema, rng))

    return answer


def _instance(schema: dict[str, Any], rng: random.Random) -> Any:
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):  # e.g. ["string", "null"]
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object":
        return {key: _instance(sub, rng) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        low = schema.get("minItems", 1)
        high = schema.get("maxItems", max(low, 4))
        n = low if low == high else rng.randint(max(low, 2), max(min(high, 4), max(low, 2)))
        items = [_instance(schema.get("items", {"type": "string"}), rng) for _ in range(n)]
        if items and all(isinstance(i, dict) and "probability" in i for i in items):
            total = sum(i["probability"] for i in items)
            for item in items:
                item["probability"] = round(item["probability"] / total, 3)
        return items
    if kind == "number":
        return round(rng.uniform(0.05, 1.0), 3)
    if kind == "integer":
        return rng.randint(schema.get("minimum", 0), schema.get("maximum", 10))
    if kind == "boolean":
        return rng.random() < 0.5
    low, high = schema.get("minLength", 8), schema.get("maxLength", 120)
    words: list[str] = []
    while len(" ".join(words)) < max(low, min(high, rng.randint(24, 90))):
        words.append(rng.choice(_WORDS))
    return (" ".join(words).capitalize() + ".")[:high]
