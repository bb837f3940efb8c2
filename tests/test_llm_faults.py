"""The LLM stack against a real HTTP server that fails on cue: retries, Retry-After, giving up without
leaking the key, structured-output dialect fallback, and the adaptive concurrency limit."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest
from fault_server import VS_ANSWER, FaultServer
from net_helpers import dead_base_url

from simsocial.llm import ChatRequest, LLMEndpointError, OpenAICompatibleModel, redact
from simsocial.llm.cache import request_key
from simsocial.llm.factory import LLMSettings, LLMStack, open_llm
from simsocial.llm.limits import AdaptiveConcurrencyLimit
from simsocial.sim import load_scenario, parse_condition
from simsocial.sim.dialogue import Dialogue, DialogueSpec
from simsocial.sim.personas import NO_PERSONA
from simsocial.sim.queries import donation_query
from simsocial.vs import first_user_message, parse_distribution, plan

API_KEY = "sk-test-secret-123456789"
SCHEMA = {
    "type": "object",
    "properties": {"responses": {"type": "array", "items": {"type": "object"}}},
    "required": ["responses"],
}
REQUEST = ChatRequest(
    messages=({"role": "system", "content": "You persuade."}, {"role": "user", "content": "Say something."}),
    response_schema=SCHEMA,
    temperature=0.7,
    max_tokens=64,
    seed=1,
    call_key="test/c0",
)
CLIENT_TIMEOUT_S = 0.5
HANG_S = 2.0


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    return API_KEY


@pytest.fixture
def fault_server() -> Iterator[Callable[..., FaultServer]]:
    """Factory: ``fault_server(["429", "ok"], echo_auth=True)`` starts a server, stopped after the test."""
    started: list[FaultServer] = []

    def start(script: list[str], **kwargs: Any) -> FaultServer:
        server = FaultServer(script, hang_s=HANG_S, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@asynccontextmanager
async def stack_for(server: FaultServer, **overrides: Any) -> AsyncIterator[LLMStack]:
    settings = {
        "base_url": server.base_url,
        "model": "fake",
        "cache_path": None,
        "structured_output": "json_object_schema",
        "timeout_s": CLIENT_TIMEOUT_S,
        "max_attempts": 4,
        "max_wait_s": 0.05,
        "preflight": False,  # the scripted faults are for the calls under test, not the pre-flight check
        **overrides,
    }
    async with open_llm(LLMSettings(**settings)) as stack:
        yield stack


def response_format_type(body: dict[str, Any]) -> str | None:
    fmt = body.get("response_format")
    return None if fmt is None else fmt["type"]


# --- each fault, then success ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("429", "http_429"),
        ("500", "http_500"),
        ("hang", "timeout"),
        ("close", "connection"),
        ("malformed", "malformed_body"),
        ("html", "malformed_body"),
    ],
)
async def test_fault_then_ok_recovers(fault_server, fault: str, reason: str) -> None:
    server = fault_server([fault, "ok"])
    async with stack_for(server) as stack:
        response = await stack.model.chat(REQUEST)

    assert server.behaviours() == [fault, "ok"]
    assert parse_distribution(response.text).k == len(VS_ANSWER["responses"])
    assert (response.prompt_tokens, response.completion_tokens) == (11, 7)
    stats = stack.stats
    assert stats.retries == 1
    assert dict(stats.retry_reasons) == {reason: 1}
    assert (stats.calls, stats.endpoint_calls, stats.failures) == (1, 1, 0)
    assert stats.completion_tokens == 7
    # The retry is the same request again.
    first, second = (r.body for r in server.requests)
    assert first == second
    assert first["seed"] == 1 and first["temperature"] == 0.7 and first["max_tokens"] == 64


async def test_mixed_faults_each_counted(fault_server) -> None:
    server = fault_server(["500", "close", "429", "malformed", "ok"])
    async with stack_for(server, max_attempts=5) as stack:
        response = await stack.model.chat(REQUEST)
    assert json.loads(response.text) == VS_ANSWER
    assert stack.stats.retries == 4
    assert dict(stack.stats.retry_reasons) == {
        "http_500": 1,
        "connection": 1,
        "http_429": 1,
        "malformed_body": 1,
    }
    assert stack.limiter.backoffs == 1  # only the 429 shrinks the concurrency limit


async def test_retry_after_is_honoured(fault_server) -> None:
    server = fault_server(["429", "ok"])
    # Our own backoff would wait at most initial_wait_s (0.5 s) before the first retry; the server asks
    # for 1 s, so a gap of (almost) a second in the server's log shows its header was obeyed.
    async with stack_for(server, max_wait_s=5.0) as stack:
        await stack.model.chat(REQUEST)
    rate_limited, retried = server.requests
    assert rate_limited.behaviour == "429"
    assert retried.arrived - rate_limited.finished >= 0.9
    assert stack.stats.retry_reasons["http_429"] == 1


async def test_retry_after_is_capped_by_max_wait(fault_server) -> None:
    """A server asking for an hour's wait cannot stall a run past ``max_wait_s``: the retry is made at all."""
    server = fault_server(["429", "ok"], retry_after_s=3600)
    async with stack_for(server, max_wait_s=0.05) as stack:
        # Not a timing bound: obeying the server would take an hour; a capped wait lets the call finish.
        await asyncio.wait_for(stack.model.chat(REQUEST), timeout=120)
    assert server.behaviours() == ["429", "ok"]
    assert stack.stats.retry_reasons["http_429"] == 1


# --- giving up -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "echo_auth"),
    [("500", True), ("429", True), ("hang", False), ("close", False), ("malformed", False), ("html", False)],
)
async def test_persistent_fault_gives_up_naming_endpoint_not_key(
    fault_server, caplog: pytest.LogCaptureFixture, fault: str, echo_auth: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    server = fault_server([fault] * 10, echo_auth=echo_auth)
    async with stack_for(server, max_attempts=3) as stack:
        with pytest.raises(LLMEndpointError) as info:
            await stack.model.chat(REQUEST)
        description = json.dumps(stack.describe())

    error = info.value
    assert len(server.requests) == 3
    assert error.attempts == 3
    assert server.base_url in str(error)
    assert error.endpoint.rstrip("/") == server.base_url
    assert "3 attempt(s)" in str(error)
    # The key was sent on every attempt ...
    assert {r.headers.get("authorization") for r in server.requests} == {f"Bearer {API_KEY}"}
    # ... and appears nowhere we show or store, even when the server quotes it back in its error body.
    assert API_KEY not in str(error) and API_KEY not in repr(error)
    assert API_KEY not in caplog.text
    assert API_KEY not in description
    assert API_KEY not in "".join(traceback.format_exception(error))  # chained cause included
    if echo_auth:
        assert "Authorization: Bearer ***" in str(error)  # the echoed text is there, scrubbed
    assert (stack.stats.failures, stack.stats.retries, stack.stats.endpoint_calls) == (1, 2, 0)


async def test_bad_request_is_not_retried(fault_server) -> None:
    server = fault_server(["400", "ok"])
    async with stack_for(server) as stack:
        with pytest.raises(LLMEndpointError) as info:
            await stack.model.chat(REQUEST)
        assert server.behaviours() == ["400"]
        assert info.value.attempts == 1
        assert "400" in str(info.value)
        assert isinstance(info.value.__cause__, openai.BadRequestError)
        assert (stack.stats.retries, stack.stats.failures) == (0, 1)
        # The endpoint is still usable afterwards.
        response = await stack.model.chat(REQUEST)
    assert json.loads(response.text) == VS_ANSWER
    assert server.behaviours() == ["400", "ok"]


async def test_bad_request_without_schema_is_not_retried_in_auto_mode(fault_server) -> None:
    server = fault_server(["400", "ok"])
    plain = ChatRequest(messages=REQUEST.messages, temperature=0.7, max_tokens=64, seed=1)
    async with stack_for(server, structured_output="auto") as stack:
        with pytest.raises(LLMEndpointError):
            await stack.model.chat(plain)
    assert server.behaviours() == ["400"]
    assert "response_format" not in server.requests[0].body
    assert stack.stats.retries == 0


# --- structured-output dialect -------------------------------------------------------------------
@pytest.mark.parametrize("rejection", ["reject_format", "400"])
async def test_auto_dialect_falls_back_and_remembers(fault_server, rejection: str) -> None:
    server = fault_server([rejection])
    async with stack_for(server, structured_output="auto") as stack:
        assert stack.describe()["structured_output"] == "auto"
        first = await stack.model.chat(REQUEST)
        assert stack.describe()["structured_output"] == "json_object_schema"
        second = await stack.model.chat(REQUEST)

    assert json.loads(first.text) == json.loads(second.text) == VS_ANSWER
    bodies = [r.body for r in server.requests]
    assert [response_format_type(b) for b in bodies] == ["json_schema", "json_object", "json_object"]
    assert bodies[0]["response_format"]["json_schema"]["schema"] == SCHEMA
    assert bodies[1]["response_format"]["schema"] == SCHEMA
    assert stack.stats.retries == 0  # a dialect probe is not a retry
    assert stack.stats.endpoint_calls == 2


async def test_auto_dialect_falls_back_to_prompt_only(fault_server) -> None:
    server = fault_server(["reject_format", "reject_format"])
    async with stack_for(server, structured_output="auto") as stack:
        await stack.model.chat(REQUEST)
        await stack.model.chat(REQUEST)
        assert stack.describe()["structured_output"] == "none"
    assert [response_format_type(r.body) for r in server.requests] == ["json_schema", "json_object", None, None]


async def test_auto_dialect_keeps_json_schema_when_accepted(fault_server) -> None:
    server = fault_server(["ok", "ok"])
    async with stack_for(server, structured_output="auto") as stack:
        await stack.model.chat(REQUEST)
        await stack.model.chat(REQUEST)
        assert stack.describe()["structured_output"] == "json_schema"
    assert [response_format_type(r.body) for r in server.requests] == ["json_schema", "json_schema"]


async def test_server_error_is_not_mistaken_for_format_rejection(fault_server) -> None:
    server = fault_server(["500", "ok"])
    async with stack_for(server, structured_output="auto") as stack:
        await stack.model.chat(REQUEST)
        assert stack.describe()["structured_output"] == "json_schema"
    assert [response_format_type(r.body) for r in server.requests] == ["json_schema", "json_schema"]
    assert dict(stack.stats.retry_reasons) == {"http_500": 1}


async def test_concurrent_first_calls_probe_once(fault_server) -> None:
    server = fault_server(["reject_format"])
    async with stack_for(server, structured_output="auto") as stack:
        await asyncio.gather(*(stack.model.chat(REQUEST) for _ in range(4)))
    kinds = [response_format_type(r.body) for r in server.requests]
    assert kinds == ["json_schema"] + ["json_object"] * 4


# --- adaptive concurrency limit ------------------------------------------------------------------
async def test_concurrency_limit_halves_on_429_and_recovers(fault_server) -> None:
    server = fault_server(["429"], slow_s=0.3, together_timeout_s=2)
    backend = OpenAICompatibleModel(server.base_url, "fake", dialect="none", timeout_s=5)
    limiter = AdaptiveConcurrencyLimit(backend, max_in_flight=2)
    try:
        with pytest.raises(openai.RateLimitError):
            await limiter.chat(REQUEST)
        assert (limiter.limit, limiter.backoffs) == (1.0, 1)

        # At limit 1 two concurrent calls are served one after the other ...
        server.push("slow", "slow")
        await asyncio.gather(limiter.chat(REQUEST), limiter.chat(REQUEST))
        _, first, second = server.requests
        assert second.arrived >= first.finished
        # ... each success adds 1/limit back (1 -> 2 -> 2.5, capped at max_in_flight) ...
        assert limiter.limit == 2.0

        # ... and at limit 2 they overlap again: each answer waits until both are in flight.
        server.state.max_in_flight = 0
        server.push("together", "together")
        await asyncio.gather(limiter.chat(REQUEST), limiter.chat(REQUEST))
        assert server.max_in_flight == 2 and server.together_missed == 0
        assert limiter.in_flight == 0
    finally:
        await backend.aclose()


async def test_concurrency_limit_floor_and_additive_increase(fault_server) -> None:
    server = fault_server(["429"] * 5)
    backend = OpenAICompatibleModel(server.base_url, "fake", dialect="none", timeout_s=5)
    limiter = AdaptiveConcurrencyLimit(backend, max_in_flight=8)
    try:
        limits = []
        for _ in range(5):
            with pytest.raises(openai.RateLimitError):
                await limiter.chat(REQUEST)
            limits.append(limiter.limit)
        assert limits == [4.0, 2.0, 1.0, 1.0, 1.0]  # halves, never below one slot
        previous = limiter.limit
        for _ in range(40):
            await limiter.chat(REQUEST)
            assert previous < limiter.limit or limiter.limit == 8.0
            assert limiter.limit - previous <= 1.0 + 1e-9
            previous = limiter.limit
        assert limiter.limit == 8.0
        assert limiter.backoffs == 5
    finally:
        await backend.aclose()


def test_concurrency_limit_rejects_zero() -> None:
    with pytest.raises(ValueError):
        AdaptiveConcurrencyLimit(OpenAICompatibleModel(dead_base_url(), "fake"), 0)


async def test_stack_limiter_sees_429_behind_retries(fault_server) -> None:
    server = fault_server(["429", "ok"])
    async with stack_for(server, max_in_flight=4) as stack:
        await stack.model.chat(REQUEST)
    assert stack.limiter.backoffs == 1
    assert stack.limiter.limit == pytest.approx(2.0 + 1 / 2.0)


# --- redact() ------------------------------------------------------------------------------------
def test_redact_removes_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        f"env key {API_KEY}; header Authorization: Bearer abcdefgh12345678; "
        "config api_key='zzzzyyyyxxxx' and API-KEY: qwertyuiop; other sk-proj-AbCdEf0123456789; "
        "custom mysecretvalue"
    )
    clean = redact(text, secrets=("mysecretvalue",))
    for secret in (API_KEY, "abcdefgh12345678", "zzzzyyyyxxxx", "qwertyuiop", "sk-proj-AbCdEf0123456789"):
        assert secret not in clean
    assert "mysecretvalue" not in clean
    assert clean.startswith("env key ***")
    assert "Bearer ***" in clean
    # Ordinary text survives.
    assert redact("endpoint http://127.0.0.1:8080/v1 failed: HTTP 500") == (
        "endpoint http://127.0.0.1:8080/v1 failed: HTTP 500"
    )
    monkeypatch.setenv("OPENAI_API_KEY", "plainkey42")  # not key-shaped: removed because it is the env key
    assert redact("got plainkey42 back") == "got *** back"


# --- cache keys -----------------------------------------------------------------------------------
def test_cache_keys_are_byte_identical_to_the_stdlib_json_form() -> None:
    """orjson makes the keys now; caches written with json.dumps before must keep replaying."""
    spec = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "persuasion_for_good.yaml")
    seen = 0
    for method in ("direct", "vs_standard", "vs_cot", "vs_multi"):
        condition = parse_condition(method, spec)
        dialogue = Dialogue(DialogueSpec("d", condition, 0, 0), "r", "m", NO_PERSONA, NO_PERSONA,
                            np.random.default_rng(0))  # fmt: skip
        query = donation_query(spec, dialogue)
        for temperature in (0.0, 0.1, 0.7, 1.0, 1.25, 2.0, None):
            for call in plan(condition.persuadee, query).calls:
                messages = ({"role": "system", "content": query.system + " — naïve “quotes” €"},
                            {"role": "user", "content": first_user_message(query, call)})  # fmt: skip
                request = ChatRequest(messages, call.schema, temperature, 300, 12345, "d1/t0/persuadee/c0/a0")
                payload = {"model": "m", "messages": list(messages), "schema": call.schema,
                           "temperature": temperature, "max_tokens": 300, "seed": 12345,
                           "call_key": "d1/t0/persuadee/c0/a0"}  # fmt: skip
                old = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                assert request_key("m", request) == hashlib.sha256(old.encode()).hexdigest()
                seen += 1
    assert seen > 20
