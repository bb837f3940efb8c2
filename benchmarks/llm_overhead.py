"""Engine overhead on the embedded model: the full stack vs the same requests sent with plain httpx.

N verbalized-sampling calls (``vs_standard``, k=5, a persuasion query) go through the engine — ``open_llm``
(cache off: retries, concurrency limit, accounting, openai client) and ``elicit`` (prompt, parse, repair,
seeded draw) — and the *same* requests (messages, schema, seed, temperature, max_tokens, captured from
the engine) go straight to the llama.cpp server with ``httpx``.  The two alternate call by call (engine
first on even calls, direct first on odd ones) so drift and llama.cpp's prompt cache, which favours
whichever of a pair goes second, cancel out.  With the same seed the server generates the same tokens
both ways; the script checks that and reports it.

Printed: wall time of each side, the overhead ratio ``(engine - direct) / direct`` (target <= 3%), the
median of the per-pair ratios (robust to a noisy neighbour), the engine's own time outside the openai client call,
and the model's calls/s and completion tokens/s.

    python benchmarks/llm_overhead.py [--calls 20] [--k 5] [--seed 0] [--threads N]
                                      [--base-url URL --model NAME]

llama.cpp threads spin while they wait for each other, so another busy process on the same cores slows
the server down many times over: run this on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

from simsocial.elicit import elicit
from simsocial.llm import ChatModel, ChatRequest, ChatResponse, EmbeddedServer
from simsocial.llm.factory import LLMSettings, open_llm
from simsocial.vs import LabelField, MethodConfig, Query

QUERY = Query(
    system=(
        "You are a volunteer for the charity Save the Children, chatting with a stranger online. "
        "Your goal is to persuade them to donate part of their $2 task payment."
    ),
    context="The other person said: 'I'm not sure. How do I know the money actually reaches children?'",
    fields=(
        LabelField(
            "strategy",
            ("logical-appeal", "emotion-appeal", "credibility-appeal", "personal-story", "donation-info"),
            "persuasion strategy",
        ),
    ),
    text_description="reply",
    text_min_length=12,
    text_max_length=160,
)


class _Recorder(ChatModel):
    """Captures the request the engine would send; answers with a fixed valid distribution."""

    def __init__(self, k: int) -> None:
        self.requests: list[ChatRequest] = []
        items = ", ".join(
            f'{{"strategy": "logical-appeal", "text": "reply {i}", "probability": 0.1}}' for i in range(k)
        )
        self._answer = f'{{"responses": [{items}]}}'

    async def chat(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        return ChatResponse(self._answer)


@dataclass
class Pair:
    engine_s: float
    direct_s: float
    engine_http_s: float  # the engine's own measurement of its HTTP call
    completion_tokens: int
    same_text: bool


def response_format(schema: dict[str, Any] | None, dialect: str) -> dict[str, Any] | None:
    """The ``response_format`` the engine's backend sends for ``dialect`` (see openai_backend)."""
    if schema is None or dialect == "none":
        return None
    if dialect == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": False}}
    return {"type": "json_object", "schema": schema}


def direct_body(request: ChatRequest, model: str, dialect: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": list(request.messages)}
    for name in ("temperature", "max_tokens", "seed"):
        if getattr(request, name) is not None:
            body[name] = getattr(request, name)
    fmt = response_format(request.response_schema, dialect)
    if fmt is not None:
        body["response_format"] = fmt
    return body


async def capture_requests(config: MethodConfig, seeds: list[int]) -> list[ChatRequest]:
    recorder = _Recorder(config.k or 5)
    for seed in seeds:
        await elicit(recorder, config, QUERY, np.random.default_rng(seed), f"bench/{seed}", max_parse_attempts=1)
    assert len(recorder.requests) == len(seeds), "vs_standard should make exactly one call per elicitation"
    return recorder.requests


async def run(base_url: str, model: str, calls: int, k: int, seed0: int) -> tuple[list[Pair], int]:
    config = MethodConfig(method="vs_standard", k=k)
    seeds = [seed0 + i for i in range(calls + 1)]  # the first one warms both paths up
    requests = await capture_requests(config, seeds)
    # The engine gets the same patience as the direct client: a slow call must not turn into a retry.
    settings = LLMSettings(base_url=base_url, model=model, cache_path=None, cache_mode="off", timeout_s=600)
    url = f"{base_url.rstrip('/')}/chat/completions"

    async with open_llm(settings) as stack, httpx.AsyncClient(timeout=600) as client:

        async def engine(i: int) -> tuple[float, str, float]:
            http_before = stack.stats.latency_s
            started = time.perf_counter()
            result = await elicit(
                stack.model, config, QUERY, np.random.default_rng(seeds[i]), f"bench/{seeds[i]}", max_parse_attempts=1
            )
            elapsed = time.perf_counter() - started
            text = result.distribution.raw_text if result.distribution else ""
            return elapsed, text or "", stack.stats.latency_s - http_before

        async def direct(i: int, dialect: str) -> tuple[float, str, int]:
            body = direct_body(requests[i], model, dialect)
            started = time.perf_counter()
            response = await client.post(url, json=body)
            response.raise_for_status()
            data = response.json()
            elapsed = time.perf_counter() - started
            return elapsed, data["choices"][0]["message"]["content"], int(data["usage"]["completion_tokens"])

        await engine(0)  # settles the structured-output dialect (auto) and warms the connection
        dialect = stack.describe()["structured_output"]
        await direct(0, dialect)
        print(f"structured output: {dialect}; model {model} at {base_url}")

        pairs = []
        for i in range(1, calls + 1):
            if i % 2:
                (e_s, e_text, e_http), (d_s, d_text, tokens) = await engine(i), await direct(i, dialect)
            else:
                (d_s, d_text, tokens), (e_s, e_text, e_http) = await direct(i, dialect), await engine(i)
            pairs.append(Pair(e_s, d_s, e_http, tokens, e_text == d_text))
            print(f"  call {i:3d}: engine {e_s:6.2f}s  direct {d_s:6.2f}s  {tokens:4d} tokens", flush=True)
    return pairs, stack.stats.retries


def report(pairs: list[Pair], retries: int) -> None:
    engine = sum(p.engine_s for p in pairs)
    direct = sum(p.direct_s for p in pairs)
    own = [p.engine_s - p.engine_http_s for p in pairs]
    tokens = sum(p.completion_tokens for p in pairs)
    per_pair = [(p.engine_s - p.direct_s) / p.direct_s for p in pairs]
    print()
    print(f"calls per side:              {len(pairs)}")
    print(f"engine wall time:            {engine:8.2f} s")
    print(f"direct httpx wall time:      {direct:8.2f} s")
    print(f"engine overhead:             {(engine - direct) / direct:+8.2%}  (target <= +3%)")
    print(f"median per-pair overhead:    {statistics.median(per_pair):+8.2%}")
    print(
        f"outside the client call:     {statistics.median(own) * 1000:8.1f} ms/call median, "
        f"{sum(own) / engine:.3%} of engine time"
    )
    print(f"engine retries:              {retries}")
    print(f"identical completions:       {sum(p.same_text for p in pairs)}/{len(pairs)}")
    print(
        f"embedded model (direct):     {len(pairs) / direct:8.3f} calls/s, {tokens / direct:6.1f} completion tokens/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20, help="timed calls per side (default 20)")
    parser.add_argument("--k", type=int, default=5, help="candidates per call (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="first replicate seed (default 0)")
    parser.add_argument("--base-url", help="an already running OpenAI-compatible server (default: embedded)")
    parser.add_argument("--model", help="model name at --base-url")
    parser.add_argument("--threads", type=int, help="llama.cpp threads of the embedded server (default: all cores)")
    args = parser.parse_args()
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    if args.base_url:
        if not args.model:
            parser.error("--model is required with --base-url")
        pairs, retries = asyncio.run(run(args.base_url, args.model, args.calls, args.k, args.seed))
    else:
        with EmbeddedServer(n_threads=args.threads) as server:
            pairs, retries = asyncio.run(run(server.base_url, server.model, args.calls, args.k, args.seed))
    report(pairs, retries)


if __name__ == "__main__":
    main()
