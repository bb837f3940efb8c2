"""A real OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves on cue.

``POST /v1/chat/completions`` answers each request with the next behaviour of a script (then ``ok`` once
the script is used up):

``ok``         200, a valid ``chat.completion`` whose content is a valid VS JSON answer
``slow``       the same after ``slow_s`` seconds (to observe concurrency)
``together``   ``ok`` once ``together_n`` requests have been in flight at once (``state.max_in_flight``
               since it was last reset; waits at most ``together_timeout_s``): calls shown to overlap by
               cause, not by timing; ``together_missed`` counts the answers that timed out instead
``429``        rate limited, with ``Retry-After: 1`` (``retry_after_s``)
``500``        internal server error
``hang``       sleeps ``hang_s`` seconds, then answers ``ok`` (past the client's timeout)
``close``      closes the connection without answering
``malformed``  200 with a body that is not JSON (declared ``application/json``)
``html``       200 with an HTML page (what a misconfigured proxy sends)
``400``        bad request (not retryable)
``401``        the API key is rejected (``invalid_api_key``)
``403``        the key may not use this model (permission denied)
``reject_format``  500 whose body says the ``response_format`` is not supported (llama-cpp-python style)
``truncated``  200 whose content is the ``ok`` answer cut in half, with ``finish_reason: "length"``
``fixed``      200 whose content is ``content`` (the fixed answer), also when ``schema_answers`` is on
``huge``       200 with a valid completion padded to ``huge_bytes`` bytes (a hostile or broken endpoint)
``trickle``    200 with a valid completion sent one byte every ``trickle_s`` seconds (never a read timeout)
``huge_chunked``  like ``huge`` but chunked, with no Content-Length to refuse it by

It runs in a background thread (``ThreadingHTTPServer``, one thread per connection, so concurrent requests
are served concurrently) and records every request: arrival time, headers (``Authorization`` included),
parsed body and the behaviour it got.  ``echo_auth=True`` makes error bodies quote the Authorization
header back, as a careless server might, so tests can check the key never reaches an error message.

``schema_answers=True`` answers what each request asks for instead of the fixed :data:`VS_ANSWER`: an
instance of its ``response_format`` schema (k candidates with the fields the persuasion queries ask
for — ``strategy``, ``stance``, ``amount`` from their enums — text within the length bounds and
probabilities summing to 1), chosen deterministically from the request (messages, seed, schema), so two
runs against two servers get the same answers; with ``texts``, every ``text`` field is the next of those
strings in turn (hostile utterances for the live view).  ``ok_delay_s`` delays every ``ok`` answer (a fixed LLM
latency).  ``record=False`` keeps no request log (long benchmarks).

``rate_limit=(n, window_s)`` (and optionally ``token_limit``) enforces a fixed-window limit the way OpenAI
and vLLM report it: every answer carries ``x-ratelimit-remaining-requests`` / ``-tokens`` and
``x-ratelimit-reset-requests`` / ``-tokens`` (``"0.8s"``); a request past the limit gets a 429 with
``retry-after``, counted in ``rate_limited``.  A request's tokens are counted as OpenAI counts them for
limits: prompt characters / 4 plus ``max_tokens``.  ``python tests/fault_server.py
--delay 0.2`` serves in its own process and prints its base URL (benchmarks use that: no shared GIL).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BEHAVIOURS = ("ok", "slow", "together", "429", "500", "hang", "close", "malformed", "html", "400", "401", "403",
              "reject_format", "truncated", "huge", "trickle", "huge_chunked", "fixed")  # fmt: skip

VS_ANSWER = {
    "responses": [
        {"text": "Every dollar feeds a child for a day.", "probability": 0.5},
        {"text": "Would you consider giving a little today?", "probability": 0.3},
        {"text": "Save the Children is rated highly by charity watchdogs.", "probability": 0.2},
    ]
}


_WORDS = (
    "every",
    "small",
    "gift",
    "helps",
    "children",
    "today",
    "school",
    "food",
    "safe",
    "water",
    "care",
    "maybe",
    "later",
    "family",
    "really",
    "think",
    "would",
    "like",
    "give",
    "share",
    "hope",
    "kind",
)


def schema_answer(body: Any) -> str:
    """A valid answer to a chat request: an instance of its response_format schema (see module doc).

    Without a schema (prompt-only dialect) the example object in the last user message is followed.
    """
    body = body if isinstance(body, dict) else {}
    schema = _request_schema(body)
    digest = hashlib.sha256(
        json.dumps([body.get("messages"), body.get("seed"), schema], sort_keys=True).encode()
    ).digest()
    rng = random.Random(digest)
    if schema is None:
        example = _example_in_prompt(body)
        if example is None:
            return json.dumps(VS_ANSWER)
        return json.dumps(example)
    return json.dumps(_instance(schema, rng, "answer"))


def _request_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    return fmt.get("schema")


def _example_in_prompt(body: dict[str, Any]) -> Any:
    users = [m.get("content", "") for m in body.get("messages") or () if m.get("role") == "user"]
    text = users[-1] if users else ""
    start = text.find("like {")
    if start < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(text, start + len("like "))[0]
    except json.JSONDecodeError:
        return None


def _instance(schema: dict[str, Any], rng: random.Random, name: str) -> Any:
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {key: _instance(sub, rng, key) for key, sub in props.items()}
    if kind == "array":
        low = schema.get("minItems", 1)
        high = schema.get("maxItems", max(low, 3))
        n = low if low == high else rng.randint(max(low, 2), min(high, 4))
        items = [_instance(schema.get("items", {"type": "string"}), rng, name) for _ in range(n)]
        if items and all(isinstance(i, dict) and "probability" in i for i in items):
            weights = [i["probability"] for i in items]
            for item, weight in zip(items, weights, strict=True):
                item["probability"] = round(weight / sum(weights), 3)
        return items
    if kind in ("number", "integer"):
        return round(rng.uniform(0.05, 1.0), 3) if kind == "number" else rng.randint(0, 10)
    if kind == "boolean":
        return rng.random() < 0.5
    low, high = schema.get("minLength", 8), schema.get("maxLength", 120)
    words: list[str] = []
    while len(" ".join(words)) < max(low, min(high, rng.randint(24, 90))):
        words.append(rng.choice(_WORDS))
    return (" ".join(words).capitalize() + ".")[:high]


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # listen backlog: dozens of clients connect at once (the default 5 drops SYNs)


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    arrived: float  # time.monotonic() when the request line was read
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any
    behaviour: str
    finished: float = 0.0


@dataclass
class FaultScript:
    """The behaviours still to play, and everything received so far (thread-safe)."""

    pending: deque[str] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    in_flight: int = 0
    max_in_flight: int = 0


class FaultServer:
    """Start with ``with FaultServer(["429", "ok"]) as server:``; ``server.base_url`` ends in ``/v1``."""

    def __init__(
        self,
        script: Iterable[str] = (),
        hang_s: float = 2.0,
        slow_s: float = 0.3,
        echo_auth: bool = False,
        content: str | None = None,
        schema_answers: bool = False,
        ok_delay_s: float = 0.0,
        record: bool = True,
        port: int = 0,
        count_tokens: bool = False,
        rate_limit: tuple[int, float] | None = None,
        token_limit: int | None = None,
        retry_after_s: float = 1.0,
        texts: Iterable[str] = (),
        huge_bytes: int = 200_000_000,
        trickle_s: float = 0.5,
        together_n: int = 2,
        together_timeout_s: float = 30.0,
    ) -> None:
        self.state = FaultScript()
        self.together_n, self.together_timeout_s = together_n, together_timeout_s
        self.together_missed = 0  # "together" requests answered without the others ever in flight beside them
        self.retry_after_s = retry_after_s  # what a scripted "429" asks the client to wait
        self.texts = list(texts)  # with schema_answers: every "text" field, in turn, is one of these
        self._text_index = 0
        self.huge_bytes = huge_bytes
        self.trickle_s = trickle_s
        self.rate_limit = rate_limit
        self.token_limit = token_limit
        self.rate_limited = 0  # requests answered 429 by the rate limit
        self._window = [0.0, 0, 0]  # start, requests, tokens of the current window
        self.count_tokens = count_tokens  # usage from lengths (4 characters a token) instead of fixed 11/7
        self.schema_answers = schema_answers
        self.ok_delay_s = ok_delay_s
        self.record = record
        self.hang_s = hang_s
        self.slow_s = slow_s
        self.echo_auth = echo_auth
        self.content = content if content is not None else json.dumps(VS_ANSWER)
        self.push(*script)
        self._httpd = _Server(("127.0.0.1", port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fault-server", daemon=True
        )

    # --- control ---------------------------------------------------------------------------------
    def push(self, *behaviours: str) -> None:
        unknown = [b for b in behaviours if b not in BEHAVIOURS]
        if unknown:
            raise ValueError(f"unknown behaviours {unknown}; known: {BEHAVIOURS}")
        with self.state.lock:
            self.state.pending.extend(behaviours)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)

    @property
    def max_in_flight(self) -> int:
        return self.state.max_in_flight

    def behaviours(self) -> list[str]:
        return [r.behaviour for r in self.requests]

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- serving ---------------------------------------------------------------------------------
    def _with_texts(self, answer: Any) -> Any:
        """``answer`` with every ``text`` field replaced by the next of :attr:`texts` (in turn)."""
        if isinstance(answer, list):
            return [self._with_texts(item) for item in answer]
        if isinstance(answer, dict):
            out = {key: self._with_texts(value) for key, value in answer.items()}
            if isinstance(out.get("text"), str):
                with self.state.lock:
                    out["text"] = self.texts[self._text_index % len(self.texts)]
                    self._text_index += 1
            return out
        return answer

    def _next(self) -> str:
        with self.state.lock:
            return self.state.pending.popleft() if self.state.pending else "ok"

    def _wait_for_company(self) -> None:
        """Hold a ``together`` answer until ``together_n`` requests have been in flight at once."""
        deadline = time.monotonic() + self.together_timeout_s
        while self.state.max_in_flight < self.together_n:
            if time.monotonic() > deadline:
                with self.state.lock:
                    self.together_missed += 1
                return
            time.sleep(0.005)

    def _admit(self, body: Any, headers: dict[str, str]) -> bool:
        """Count a request against the fixed window; fill in the rate-limit headers; False = over the limit."""
        assert self.rate_limit is not None
        limit, window_s = self.rate_limit
        messages = body.get("messages", []) if isinstance(body, dict) else []
        cost = sum(len(str(m.get("content", ""))) for m in messages if isinstance(m, dict)) // 4
        cost += int(body.get("max_tokens") or 0) if isinstance(body, dict) else 0
        with self.state.lock:
            now = time.monotonic()
            if now >= self._window[0] + window_s:
                self._window = [now, 0, 0]
            start, used, tokens = self._window
            over = used >= limit or (self.token_limit is not None and tokens + cost > self.token_limit)
            if over:
                self.rate_limited += 1
            else:
                self._window = [start, used + 1, tokens + cost]
                used, tokens = used + 1, tokens + cost
            reset = f"{max(0.0, start + window_s - now):.3f}s"
            headers.update({"x-ratelimit-limit-requests": str(limit),
                            "x-ratelimit-remaining-requests": str(max(0, limit - used)),
                            "x-ratelimit-reset-requests": reset})  # fmt: skip
            if self.token_limit is not None:
                headers.update({"x-ratelimit-limit-tokens": str(self.token_limit),
                                "x-ratelimit-remaining-tokens": str(max(0, self.token_limit - tokens)),
                                "x-ratelimit-reset-tokens": reset})  # fmt: skip
            if over:
                headers["retry-after"] = f"{max(0.0, start + window_s - now):.3f}"
        return not over

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like real servers
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass  # quiet test output

            def do_GET(self) -> None:  # noqa: N802 - stdlib naming
                if self.path.rstrip("/").endswith("/models"):
                    self._send_json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
                else:
                    self._send_json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = raw.decode(errors="replace")
                behaviour = server._next()
                headers = {name.lower(): value for name, value in self.headers.items()}
                record = RecordedRequest(arrived, self.path, headers, body, behaviour)
                state = server.state
                with state.lock:
                    if server.record:
                        state.requests.append(record)
                    state.in_flight += 1
                    state.max_in_flight = max(state.max_in_flight, state.in_flight)
                try:
                    self._extra_headers: dict[str, str] = {}
                    if server.rate_limit is not None and not server._admit(body, self._extra_headers):
                        self._send_error(429, "Rate limit reached for requests")
                    else:
                        self._play(behaviour, body)
                finally:
                    with state.lock:
                        state.in_flight -= 1
                    record.finished = time.monotonic()

            # -- behaviours --
            def _play(self, behaviour: str, body: Any) -> None:
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                elif behaviour == "ok":
                    if server.ok_delay_s:
                        time.sleep(server.ok_delay_s)
                    self._send_json(200, self._completion(body))
                elif behaviour == "slow":
                    time.sleep(server.slow_s)
                    self._send_json(200, self._completion(body))
                elif behaviour == "together":
                    server._wait_for_company()
                    self._send_json(200, self._completion(body))
                elif behaviour == "hang":
                    time.sleep(server.hang_s)
                    self._send_json(200, self._completion(body))
                elif behaviour == "429":
                    self._send_error(429, "Rate limit reached, slow down", {"Retry-After": f"{server.retry_after_s:g}"})
                elif behaviour == "500":
                    self._send_error(500, "Internal server error")
                elif behaviour == "400":
                    self._send_error(400, "Invalid request: unsupported parameter")
                elif behaviour == "401":
                    self._send_error(401, "Incorrect API key provided")
                elif behaviour == "403":
                    self._send_error(403, "Your key does not have access to this model")
                elif behaviour == "truncated":
                    self._send_json(200, self._completion(body, truncated=True))
                elif behaviour == "reject_format":
                    self._send_error(500, "1 validation error: response_format.type: Input should be 'json_object'")
                elif behaviour == "fixed":
                    self._send_json(200, self._completion(body, fixed=True))
                elif behaviour in ("huge", "huge_chunked"):
                    self._send_huge(self._completion(body), chunked=behaviour == "huge_chunked")
                elif behaviour == "trickle":
                    self._send_trickle(json.dumps(self._completion(body)).encode())
                elif behaviour == "malformed":
                    self._send_bytes(200, b'{"id": "chatcmpl-x", "choices": [', "application/json")
                elif behaviour == "html":
                    self._send_bytes(200, b"<html><body>502 upstream unavailable</body></html>", "text/html")
                elif behaviour == "close":
                    # Drop the connection without a status line (RST rather than a clean FIN).
                    self.close_connection = True
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                else:  # pragma: no cover - push() validates
                    raise AssertionError(behaviour)

            def _completion(self, body: Any, truncated: bool = False, fixed: bool = False) -> dict[str, Any]:
                model = body.get("model", "fake") if isinstance(body, dict) else "fake"
                content = schema_answer(body) if server.schema_answers and not fixed else server.content
                if server.texts and server.schema_answers and not fixed:
                    content = json.dumps(server._with_texts(json.loads(content)))
                if truncated:  # what a server sends when max_tokens runs out mid-answer
                    content = content[: len(content) // 2]
                return {
                    "id": "chatcmpl-fault",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "length" if truncated else "stop",
                        }
                    ],
                    "usage": _usage(body, content)
                    if server.count_tokens
                    else {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
                }

            def _send_huge(self, payload: dict[str, Any], chunked: bool) -> None:
                # Valid JSON whatever its size: spaces before the closing brace, streamed in 1 MB pieces.
                data = json.dumps(payload).encode()
                pad = max(0, server.huge_bytes - len(data))
                piece = b" " * 1_000_000
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    if chunked:
                        self.send_header("Transfer-Encoding", "chunked")
                    else:
                        self.send_header("Content-Length", str(len(data) + pad))
                    self.end_headers()
                    parts = [data[:-1]] + [piece] * (pad // len(piece)) + [b" " * (pad % len(piece)), data[-1:]]
                    for part in parts:
                        if chunked:
                            self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                        else:
                            self.wfile.write(part)
                    if chunked:
                        self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client refused the body: what it should do

            def _send_trickle(self, data: bytes) -> None:
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    for index in range(len(data)):
                        self.wfile.write(data[index : index + 1])
                        self.wfile.flush()
                        time.sleep(server.trickle_s)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its deadline) before the body was complete

            def _send_error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
                if server.echo_auth:
                    message += f" (received Authorization: {self.headers.get('Authorization')})"
                self._send_json(status, {"error": {"message": message, "type": "fault", "code": status}}, headers)

            def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

            def _send_bytes(
                self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
            ) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in {**getattr(self, "_extra_headers", {}), **(headers or {})}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) before we answered

        return Handler


def _usage(body: Any, content: str) -> dict[str, int]:
    """Token counts a real server would report, approximated as 4 characters a token (+4 per message)."""
    messages = body.get("messages", []) if isinstance(body, dict) else []
    prompt = sum(len(str(m.get("content", ""))) // 4 + 4 for m in messages if isinstance(m, dict))
    completion = len(content) // 4
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def main(argv: list[str] | None = None) -> None:
    """Serve schema-following answers after a fixed delay until killed; prints the base URL first."""
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible server answering valid VS JSON.")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    args = parser.parse_args(argv)
    server = FaultServer(schema_answers=True, ok_delay_s=args.delay, record=False, port=args.port).start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
