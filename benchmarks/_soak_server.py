"""The soak test's endpoint: a real OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves at a set
rate, in a way that leaves every dialogue's outcome fixed.

Every chat request waits a latency drawn log-uniformly from ``--min-latency`` to ``--max-latency``, then:

- the first time a request body is seen, with probability ``--transient`` it gets a transient fault (an
  even mix of 429 with ``Retry-After``, 500, a hang that then drops the connection unanswered, and a drop
  at once); the client's retries then get the answer.  Transient faults never change an outcome;
- a body whose hash falls in the ``--truncated`` share is always answered cut in half with
  ``finish_reason: "length"`` (a truncation the client must re-ask or repair) — decided by the body alone,
  so an interrupted and resumed run meets exactly the same truncations as an uninterrupted one;
- otherwise a valid VS answer for the request's schema (tests/fault_server.py ``schema_answer``).

``GET /stats`` returns the counts of requests and of each fault; ``GET /reset`` forgets the bodies seen
(each executor's run then meets transient faults afresh).  Prints its base URL, serves until killed.

    python benchmarks/_soak_server.py --transient 0.16 --truncated 0.04
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import socket
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import contextlib

from fault_server import schema_answer  # noqa: E402

TRANSIENT = ("429", "500", "hang", "drop")


class SoakServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(("127.0.0.1", args.port), Handler)
        self.args = args
        self.lock = threading.Lock()
        self.seen: set[bytes] = set()
        self.counts: Counter[str] = Counter()
        self.rng = random.Random(args.seed)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client killed mid-request (kill -9) resets its connection: expected here

    def decide(self, digest: bytes) -> str:
        """This request's behaviour (see the module doc); counted."""
        with self.lock:
            first = digest not in self.seen
            self.seen.add(digest)
            if int.from_bytes(digest[:4], "big") / 2**32 < self.args.truncated:
                kind = "truncated"
            elif first and self.rng.random() < self.args.transient:
                kind = self.rng.choice(TRANSIENT)
            else:
                kind = "ok"
            self.counts["requests"] += 1
            self.counts[kind] += 1
            latency = math.exp(self.rng.uniform(math.log(self.args.min_latency), math.log(self.args.max_latency)))
        time.sleep(latency)
        return kind


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: SoakServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path.rstrip("/").endswith("/stats"):
            with self.server.lock:
                self._send(200, dict(self.server.counts))
        elif self.path.rstrip("/").endswith("/reset"):  # a new run: every body is a first sighting again
            with self.server.lock:
                self.server.seen.clear()
            self._send(200, {})
        else:
            self._send(200, {"object": "list", "data": [{"id": "soak", "object": "model"}]})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.loads(raw or b"{}")
        canonical = json.dumps({k: body.get(k) for k in ("messages", "seed", "response_format", "max_tokens")},
                               sort_keys=True).encode()  # fmt: skip
        kind = self.server.decide(hashlib.sha256(canonical).digest())
        if kind in ("hang", "drop"):
            if kind == "hang":
                time.sleep(self.server.args.hang)
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
        elif kind == "429":
            self._send(429, {"error": {"message": "Rate limit reached", "code": 429}}, {"Retry-After": "0.2"})
        elif kind == "500":
            self._send(500, {"error": {"message": "Internal server error", "code": 500}})
        else:
            content = schema_answer(body)
            if kind == "truncated":
                content = content[: len(content) // 2]
            self._send(200, {"id": "soak", "object": "chat.completion", "created": int(time.time()),
                             "model": body.get("model", "soak"),
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                          "finish_reason": "length" if kind == "truncated" else "stop"}],
                             "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}})  # fmt: skip

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault and latency draws")
    parser.add_argument("--transient", type=float, default=0.16, help="share of first sightings given a fault")
    parser.add_argument("--truncated", type=float, default=0.04, help="share of bodies always truncated")
    parser.add_argument("--min-latency", type=float, default=0.01)
    parser.add_argument("--max-latency", type=float, default=2.0)
    parser.add_argument("--hang", type=float, default=2.0, help="seconds a 'hang' holds the request before dropping")
    args = parser.parse_args(argv)
    server = SoakServer(args)
    print(f"http://127.0.0.1:{server.server_address[1]}/v1", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
