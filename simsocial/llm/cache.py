"""Persistent record/replay cache of chat calls in SQLite (safe with several processes writing).

The key covers everything that could change an answer — model id, messages, schema, temperature,
max_tokens, seed — plus the request's ``call_key`` (its place in the run), so Monte Carlo replicates
with different seeds never share an entry, and re-running with the same seeds replays exactly while
spending no tokens.  API keys are never part of a request, so they never reach the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from simsocial.llm.base import ChatModel, ChatModelWrapper
from simsocial.llm.errors import LLMError
from simsocial.llm.settings import CacheMode
from simsocial.llm.stats import CallStats
from simsocial.llm.types import ChatRequest, ChatResponse
from simsocial.llm.wire import orjson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created REAL NOT NULL DEFAULT (julianday('now'))
)
"""


class CacheMiss(LLMError):
    """Replay mode found no recorded answer for a request."""


def request_key(model_id: str, request: ChatRequest) -> str:
    """Stable hash of everything that identifies a call."""
    payload = {
        "model": model_id,
        "messages": list(request.messages),
        "schema": request.response_schema,
        "temperature": request.temperature,
        **({"top_p": request.top_p} if request.top_p is not None else {}),  # absent: old cache keys stay valid
        "max_tokens": request.max_tokens,
        "seed": request.seed,
        "call_key": request.call_key,
    }
    return hashlib.sha256(_canonical(payload)).hexdigest()


def _canonical(payload: dict[str, Any]) -> bytes:
    """The key's JSON text: sorted keys, no spaces, UTF-8 — byte for byte what
    ``json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` writes, so caches written
    before stay valid (tests/test_llm_faults.py checks), made by orjson at a fifth of the CPU."""
    if orjson is not None:
        return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


class ResponseCache:
    """The SQLite store (WAL mode, busy timeout) behind :class:`CachingModel`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # Full prompts and answers: a new cache is this user's only (0700 directory, 0600 file; SQLite gives
        # its -wal and -shm files the database file's mode).
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT response FROM calls WHERE key = ?", (key,)).fetchone()
        return (orjson.loads(row[0]) if orjson is not None else json.loads(row[0])) if row else None

    def put(self, key: str, model_id: str, request: ChatRequest, response: ChatResponse) -> None:
        record = {
            "text": response.text,
            "prompt_tokens": response.prompt_tokens,
            "completion_tokens": response.completion_tokens,
            "latency_s": response.latency_s,
            "finish_reason": response.finish_reason,
            "model": response.model,
        }
        req = {"messages": list(request.messages), "seed": request.seed, "call_key": request.call_key}
        with self._lock:
            # First writer wins: a replay must return what the first run saw.
            self._conn.execute(
                "INSERT OR IGNORE INTO calls (key, model, request, response) VALUES (?, ?, ?, ?)",
                (key, model_id, json.dumps(req, ensure_ascii=False), json.dumps(record, ensure_ascii=False)),
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class CachingModel(ChatModelWrapper):
    """Answers from the cache when it can; records what the endpoint answers otherwise."""

    def __init__(
        self,
        inner: ChatModel,
        cache: ResponseCache,
        model_id: str,
        mode: CacheMode = "readwrite",
        stats: CallStats | None = None,
    ) -> None:
        super().__init__(inner)
        self.cache = cache
        self.model_id = model_id
        self.mode = mode
        self.stats = stats  # hits are counted here: they never reach the wrappers inside

    async def chat(self, request: ChatRequest) -> ChatResponse:
        if self.mode == "off":
            return await self.inner.chat(request)
        key = request_key(self.model_id, request)
        hit = self.cache.get(key)
        if hit is not None:
            response = ChatResponse(**hit, cached=True)
            if self.stats is not None:
                self.stats.record(response)
            return response
        if self.mode == "replay":
            raise CacheMiss(f"no cached answer for call {request.call_key or key[:12]} (replay mode)")
        response = await self.inner.chat(request)
        self.cache.put(key, self.model_id, request, response)
        return response

    async def aclose(self) -> None:
        await super().aclose()
        self.cache.close()
