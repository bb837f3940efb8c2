"""Shared fixtures: one real embedded llama.cpp server (SmolLM2-135M) for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simsocial.llm.embedded import EmbeddedServer
from simsocial.llm.factory import LLMSettings


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[EmbeddedServer]:
    """The real model behind every integration test (started once; ~1 s)."""
    with EmbeddedServer() as server:
        yield server


@pytest.fixture
def embedded_settings(embedded_server: EmbeddedServer, tmp_path) -> LLMSettings:
    """LLM settings pointing at the session's server, with a fresh cache per test."""
    return LLMSettings(
        base_url=embedded_server.base_url,
        model=embedded_server.model,
        model_id="embedded:test",
        cache_path=tmp_path / "cache.sqlite",
    )
