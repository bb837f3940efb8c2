"""The LLM stack's own bookkeeping: CallStats arithmetic, endpoint resolution, the in-process runtime and
the scripted chat model (no HTTP needed; the embedded case is marked ``llm``)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from fault_server import FaultServer

from simsocial.batch.endpoints import EndpointPool
from simsocial.batch.sweep import Endpoint
from simsocial.llm.endpoint import resolve_endpoint
from simsocial.llm.factory import LLMSettings, open_llm
from simsocial.llm.runtime import CellRuntime, InlineRuntime, LLMRuntime, Runtime, ThreadedRuntime
from simsocial.llm.scripted import ScriptedChatModel, schema_answers
from simsocial.llm.stats import CallStats
from simsocial.llm.types import ChatRequest


def _stats(n: int) -> CallStats:
    return CallStats(calls=n, cache_hits=1, endpoint_calls=n - 1, retries=2, failures=0, prompt_tokens=10 * n,
                     completion_tokens=5 * n, latency_s=0.5 * n, retry_reasons=Counter({"429": 2}))  # fmt: skip


def test_call_stats_merge_and_subtract_are_inverse() -> None:
    total = _stats(3)
    snapshot = total.copy()
    total.merge(_stats(4))
    assert snapshot.calls == 3  # a copy, not a view
    delta = total - snapshot
    assert delta.to_dict() == _stats(4).to_dict()
    assert (total - total).to_dict() == CallStats().to_dict()


def test_resolve_endpoint_derives_the_model_id() -> None:
    remote = resolve_endpoint(LLMSettings(base_url="http://127.0.0.1:9/v1/", model="m"))
    assert (remote.base_url, remote.model, remote.model_id, remote.embedded) == (
        "http://127.0.0.1:9/v1/", "m", "http://127.0.0.1:9/v1|m", False)  # fmt: skip
    named = resolve_endpoint(LLMSettings(base_url="http://h/v1", model="m", model_id="mine"))
    assert named.model_id == "mine"
    with pytest.raises(ValueError, match="--model is required"):
        resolve_endpoint(LLMSettings(base_url="http://h/v1"))


@pytest.mark.llm
def test_run_and_batch_resolve_the_embedded_model_alike() -> None:
    pool = EndpointPool(LLMSettings(cache_path=None), CallStats())
    try:
        cell = pool.settings_for(Endpoint())
        assert pool.settings_for(Endpoint()).base_url == cell.base_url  # one server for every cell

        async def stack_id() -> str:
            async with open_llm(LLMSettings(cache_path=None)) as stack:
                return stack.model_id

        assert asyncio.run(stack_id()) == cell.model_id
    finally:
        pool.close()


def test_inline_runtime_also_works_inside_a_running_loop() -> None:
    """As in a Jupyter cell: the calling thread runs a loop, so the private loop borrows a helper thread."""
    runtime = InlineRuntime(ScriptedChatModel(["a", "b"]))
    request = ChatRequest(({"role": "user", "content": "q"},))

    async def inside() -> list:
        return runtime.gather([runtime.stack.model.chat(request), runtime.stack.model.chat(request)])

    assert [r.text for r in asyncio.run(inside())] == ["a", "b"]
    assert runtime.stack.stats.calls == 2
    runtime.close()


def test_schema_answers_depend_on_the_request_not_the_order() -> None:
    text = {"type": "string", "minLength": 8, "maxLength": 40}
    schema = {"type": "object", "properties": {"stance": {"enum": ["refuse", "agree"]}, "text": text}}
    requests = [ChatRequest(({"role": "user", "content": f"q{i}"},), schema, call_key=f"k{i}") for i in range(5)]
    model = ScriptedChatModel(schema_answers(seed=1))

    async def ask(order: list[ChatRequest]) -> dict[str, str]:
        return {r.call_key: (await model.chat(r)).text for r in order}

    forward, backward = asyncio.run(ask(requests)), asyncio.run(ask(requests[::-1]))
    assert forward == backward
    assert len(set(forward.values())) > 1
    assert len(model.requests) == 10


def test_every_runtime_is_a_runtime_and_a_cell_counts_only_its_own_calls(tmp_path) -> None:
    """The three runtimes implement :class:`Runtime`; a sweep cell's view (``cell_stack``) retries and counts
    its own calls, over the endpoint's shared limiter and cache."""
    inline = InlineRuntime(ScriptedChatModel(["x"]))
    assert isinstance(inline, Runtime) and not isinstance(inline, ThreadedRuntime)
    inline.close()
    request = ChatRequest(({"role": "user", "content": "hello"},), temperature=0.7, seed=1)
    with FaultServer(["429"], retry_after_s=0.0) as server:
        settings = LLMSettings(base_url=server.base_url, model="m", cache_path=tmp_path / "c.sqlite", preflight=False)
        with LLMRuntime(settings) as shared:
            cell = CellRuntime(shared, CallStats())
            assert isinstance(shared, ThreadedRuntime) and isinstance(cell, ThreadedRuntime)
            assert cell.stack.limiter is shared.stack.limiter and cell.persuader_stack is cell.stack
            first = cell.run(cell.stack.model.chat(request))  # a 429, retried by the cell's own retries
            again = shared.run(shared.stack.model.chat(request))  # the same request: the shared cache answers
        assert again.cached and again.text == first.text
        mine, theirs = cell.stack.stats, shared.stack.stats
        assert (mine.calls, mine.endpoint_calls, mine.retries, mine.cache_hits) == (1, 1, 1, 0)
        assert (theirs.calls, theirs.endpoint_calls, theirs.retries, theirs.cache_hits) == (1, 0, 0, 1)
        assert len(server.requests) == 2
