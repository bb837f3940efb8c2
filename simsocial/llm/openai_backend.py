"""OpenAI-compatible chat backend (OpenAI, vLLM, Ollama, llama.cpp servers) on ``openai.AsyncOpenAI``.

Structured output differs by server, so the request dialect is a setting:
``json_schema`` (OpenAI, vLLM, Ollama), ``json_object_schema`` (llama-cpp-python's server), ``none``
(prompt only; the tolerant parser does the rest) or ``auto``, which tries them in that order on the first
structured call, falls back when the server rejects the format (HTTP 400/422), and remembers what worked.
Retries live in :mod:`simsocial.llm.retry`, so the client's own retries are switched off here.

Per-call client overhead matters at scale (hundreds of calls per second from one process; figures in
docs/benchmarks.md, from benchmarks/concurrency.py and benchmarks/llm_overhead.py):

- requests are posted with the client's low-level ``post`` (the SDK's typed-params transform costs
  ~0.4 ms a call and adds nothing to a body we build ourselves), the body serialised with orjson;
- the HTTP transport is the SDK's own aiohttp one (``openai[aiohttp]``, :class:`openai.DefaultAioHttpClient`)
  when aiohttp is installed, else httpx with connections split over several small pools (httpcore scans
  every pooled connection on each request: one pool of 64 costs about twice the CPU of four of 16);
- the answer is read as bytes and only the fields we use are picked out of it (orjson), instead of
  building the SDK's pydantic ``ChatCompletion`` for every call.

An endpoint is not trusted (docs/security.md): every call has a wall-clock deadline (``timeout_s`` for the
whole call, body included, so a body trickled a byte at a time is cut off and retried like a hang), and a
body is read only up to :data:`MAX_BODY_BYTES` (past that the answer is an :class:`AnswerTooLarge`, a
failed choice, never read whole).

``SIMSOCIAL_HTTP=httpx|aiohttp`` and ``SIMSOCIAL_PARSE=pydantic|raw`` switch a lever back (benchmarks
measure each; a deployment can fall back if one misbehaves).  The ``openai`` client stays the interface
to every endpoint: errors, retries-off, auth and base URLs are the SDK's.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import time
from typing import Any

import httpx
import openai

from simsocial.llm import wire
from simsocial.llm.base import ChatModel
from simsocial.llm.embedded import embedded_key_for
from simsocial.llm.errors import AnswerTooLarge, public_url, register_secret
from simsocial.llm.pacing import RateLimitPacer
from simsocial.llm.settings import DEFAULT_KEY_ENV, Dialect
from simsocial.llm.types import ChatRequest, ChatResponse

_AUTO_ORDER: tuple[Dialect, ...] = ("json_schema", "json_object_schema", "none")
_LOCAL_KEY = "sk-no-key-required"  # local servers ignore the key but the client insists on one
_CONNECTIONS_PER_POOL = 16
# A VS answer is a few KB (k <= 20 candidates of <= 2,000 characters); 4 MiB leaves room for any honest
# completion and keeps a hostile 200 MB body from being read (it was: 1.6 GB peak with 4 dialogues).
MAX_BODY_BYTES = 4 * 1024 * 1024


class OpenAICompatibleModel(ChatModel):
    """Chat completions against one OpenAI-compatible endpoint."""

    def __init__(
        self,
        base_url: str | None,
        model: str,
        api_key: str | None = None,
        dialect: Dialect = "auto",
        timeout_s: float = 120.0,
        max_connections: int = 256,
        pacing: bool = True,
        max_pause_s: float = 30.0,
    ) -> None:
        # Credentials in the URL (user:pass@) are never recorded, and never sent either: the SDK's aiohttp
        # transport refuses to combine them with the key's Authorization header.  The key authenticates.
        base_url = public_url(base_url) if base_url else base_url
        self.base_url = base_url
        self.model = model
        self.dialect: Dialect = dialect
        self._dialect_lock = asyncio.Lock()
        # An embedded server this process tree started has its own key, which wins over OPENAI_API_KEY.
        key = api_key or embedded_key_for(base_url) or os.environ.get(DEFAULT_KEY_ENV) or _LOCAL_KEY
        register_secret(key if key != _LOCAL_KEY else None)  # redact() strips it from anything shown or stored
        self.timeout_s = timeout_s  # also the wall-clock deadline of one call, body included

        # Rate-limit headers of every response (errors included) pace the calls not yet sent.
        self.pacer: RateLimitPacer | None = RateLimitPacer(max_pause_s=max_pause_s) if pacing else None
        hooks = {"response": [self._observe]} if pacing else {}
        self.transport = wire.transport()
        self.raw_parse = wire.raw_parse()
        aiohttp = self.transport == "aiohttp"
        n_pools = 1 if aiohttp else max(1, math.ceil(max_connections / _CONNECTIONS_PER_POOL))
        per_pool = math.ceil(max_connections / n_pools)
        http_client = openai.DefaultAioHttpClient if aiohttp else openai.DefaultAsyncHttpxClient
        self._clients = [
            openai.AsyncOpenAI(
                base_url=base_url,
                api_key=key,
                max_retries=0,
                timeout=timeout_s,
                http_client=http_client(
                    limits=httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool),
                    timeout=timeout_s,
                    event_hooks=hooks,
                ),
            )
            for _ in range(n_pools)
        ]
        self._client = self._clients[0]
        self._busy = [0] * n_pools  # calls in flight per pool
        self._ids = os.urandom(4).hex()
        self._count = itertools.count()

    @property
    def endpoint(self) -> str:
        """The base URL as recorded and shown: without any credentials it carries."""
        return public_url(str(self._client.base_url))

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "openai-compatible",
            "endpoint": self.endpoint,
            "model": self.model,
            "structured_output": self.dialect,
        }

    async def _observe(self, response: Any) -> None:
        if self.pacer is not None:
            self.pacer.observe(response.headers)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.close()

    async def chat(self, request: ChatRequest) -> ChatResponse:
        if request.response_schema is None or self.dialect != "auto":
            return await self._send(request, self.dialect if request.response_schema else "none")
        return await self._chat_auto(request)

    async def _chat_auto(self, request: ChatRequest) -> ChatResponse:
        async with self._dialect_lock:  # only the first structured call probes; the rest wait for it
            if self.dialect != "auto":
                settled = self.dialect
            else:
                for candidate in _AUTO_ORDER:
                    try:
                        response = await self._send(request, candidate)
                    except openai.APIStatusError as exc:
                        if candidate == "none" or not _rejects_format(exc):
                            raise
                        continue
                    self.dialect = candidate
                    return response
                raise AssertionError("unreachable: 'none' either answers or raises")
        return await self._send(request, settled)

    async def _send(self, request: ChatRequest, dialect: Dialect) -> ChatResponse:
        kwargs: dict[str, Any] = {"model": self.model, "messages": list(request.messages)}
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if request.top_p is not None:
            kwargs["top_p"] = request.top_p
        if request.max_tokens is not None:
            kwargs["max_tokens"] = request.max_tokens
        if request.seed is not None:
            kwargs["seed"] = request.seed
        extra_body = _response_format(request.response_schema, dialect)
        if self.pacer is not None:
            await self.pacer.before_call(_token_estimate(request))
        pool = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[pool] += 1
        started = time.perf_counter()
        body = {**kwargs, **(extra_body or {})}
        try:
            async with asyncio.timeout(self.timeout_s):
                raw = await self._post(pool, body)
        except TimeoutError as exc:
            # httpx's timeouts are per read: a body trickled one byte at a time never trips them.  The whole
            # call's deadline is ours, and a call past it is retried like any hang (retry.py: "timeout").
            sent = httpx.Request("POST", f"{self.endpoint.rstrip('/')}/chat/completions")  # no credentials
            raise openai.APITimeoutError(request=sent) from exc
        finally:
            self._busy[pool] -= 1
        latency = time.perf_counter() - started
        fields = wire.read_completion(raw)
        return ChatResponse(latency_s=latency, model=fields.pop("model") or self.model, **fields)

    async def _post(self, pool: int, body: dict[str, Any]) -> Any:
        if not self.raw_parse:
            return await self._clients[pool].post("/chat/completions", body=body, cast_to=wire.ChatCompletion())
        # Our own idempotency key: the SDK would make a uuid4 per call (a noticeable cost at hundreds of
        # calls/s) although it sends the key to no OpenAI-compatible server we know.
        options = {**wire.JSON_OPTIONS, "idempotency_key": f"simsocial-{self._ids}-{next(self._count)}"}
        response = await self._clients[pool].post(
            "/chat/completions", content=wire.dumps(body), cast_to=httpx.Response, options=options, stream=True
        )
        return await read_capped(response, MAX_BODY_BYTES)


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The body of a streamed ``response``, refused (:class:`AnswerTooLarge`) past ``limit`` bytes."""
    try:
        declared = int(response.headers.get("content-length") or 0)
        if declared > limit:
            raise AnswerTooLarge(f"the endpoint sent a {declared:,}-byte body (limit {limit:,})")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise AnswerTooLarge(f"the endpoint sent a body over {limit:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        await response.aclose()


def _token_estimate(request: ChatRequest) -> int:
    """Tokens a call may use, for pacing: its prompt (≈4 characters a token) plus its completion cap."""
    prompt = sum(len(m.get("content", "")) for m in request.messages) // 4 + 4 * len(request.messages)
    return prompt + (request.max_tokens or 0)


def _rejects_format(exc: openai.APIStatusError) -> bool:
    """Did the server refuse the ``response_format`` itself (not fail for another reason)?

    Most servers answer 400/422; llama-cpp-python's answers 500 with the validation error in the body.
    """
    if exc.status_code in (400, 422):
        return True
    return exc.status_code == 500 and "response_format" in str(exc)


def _response_format(schema: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
    if schema is None or dialect == "none":
        return None
    if dialect == "json_schema":
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema, "strict": False},
            }
        }
    if dialect == "json_object_schema":
        return {"response_format": {"type": "json_object", "schema": schema}}
    raise ValueError(f"unknown structured-output dialect {dialect!r}")
