"""Shared fixtures: one real embedded llama.cpp server (SmolLM2-135M) for the whole session."""

from __future__ import annotations

import random
import signal
from collections.abc import Iterator

import numpy as np
import pytest

from simsocial.llm.embedded import EmbeddedServer
from simsocial.llm.factory import LLMSettings


@pytest.fixture(autouse=True)
def _sigint_handler_restored() -> Iterator[None]:
    """Each test leaves SIGINT as it found it: an in-process ``ray.init`` sets it to ignored, and a later test
    that sends Ctrl-C to a child (which inherits an ignored SIGINT) would then wait forever."""
    before = signal.getsignal(signal.SIGINT)
    yield
    if before is not None and signal.getsignal(signal.SIGINT) is not before:
        signal.signal(signal.SIGINT, before)


@pytest.fixture
def global_random_restored() -> Iterator[None]:
    """For a test that stirs numpy's and Python's global random state to show a seeded Generator ignores it:
    the global state goes back to what it was, so no later test sees the difference."""
    np_state, py_state = np.random.get_state(), random.getstate()
    yield
    np.random.set_state(np_state)
    random.setstate(py_state)


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
