"""A fixed-latency OpenAI-compatible server that stays out of the way: aiohttp on uvloop, one process.

tests/fault_server.py (a thread per connection, a fresh schema instance per request) costs ~2 ms of CPU
a request, so at 256 dialogues in flight (1,280 calls/s against 200 ms) on 2 cores it, not the engine,
sets the pace.  A production server (vLLM, llama.cpp) answers HTTP far more cheaply.  This one answers
every chat completion with valid VS JSON for the request's schema — built once per schema by
fault_server.schema_answer and reused — after ``--delay`` seconds, on 127.0.0.1.  Prints its base URL.

    python benchmarks/_fast_server.py --delay 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from pathlib import Path

import orjson
import uvloop
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fault_server import schema_answer  # noqa: E402


def app(delay: float) -> web.Application:
    answers: dict[bytes, bytes] = {}

    async def completions(request: web.Request) -> web.Response:
        raw = await request.read()
        body = orjson.loads(raw)
        key = orjson.dumps(body.get("response_format"))
        payload = answers.get(key)
        if payload is None:
            content = schema_answer({"response_format": body.get("response_format"), "messages": []})
            payload = orjson.dumps({
                "id": "chatcmpl-fast", "object": "chat.completion", "created": 0, "model": body.get("model", "fake"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            })  # fmt: skip
            answers[key] = payload
        await asyncio.sleep(delay)
        return web.Response(body=payload, content_type="application/json")

    application = web.Application(client_max_size=2**24)
    application.router.add_post("/v1/chat/completions", completions)
    return application


async def serve(delay: float, port: int) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    runner = web.AppRunner(app(delay), access_log=None)
    await runner.setup()
    site = web.SockSite(runner, sock, backlog=2048)
    await site.start()
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/v1", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    uvloop.run(serve(args.delay, args.port))


if __name__ == "__main__":
    main()
