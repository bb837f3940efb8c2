"""End to end against the real embedded model (llama.cpp + SmolLM2-135M) through the openai client:
every elicitation method, the structured-output dialect, exact cache replay, and the server's lifecycle
(no orphan process, even when its parent is killed with SIGKILL)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from simsocial.elicit import elicit
from simsocial.llm import CacheMiss, EmbeddedServer, ResponseCache
from simsocial.llm.factory import LLMSettings, open_llm
from simsocial.vs import LabelField, MethodConfig, Query

pytestmark = pytest.mark.llm

STRATEGY = LabelField(
    "strategy",
    ("logical-appeal", "emotion-appeal", "credibility-appeal", "personal-story"),
    "persuasion strategy",
)
QUERY = Query(
    system=(
        "You are a volunteer for the charity Save the Children, chatting with a stranger online. "
        "Your goal is to persuade them to donate part of their task payment."
    ),
    context="The other person said: 'I have never heard of this charity. Why should I give them money?'",
    fields=(STRATEGY,),
    text_description="reply",
    text_min_length=12,
    text_max_length=120,  # short replies keep the whole file well under two minutes
)
METHODS = [
    (MethodConfig(method="direct"), 1),
    (MethodConfig(method="sequence", k=3), 3),
    (MethodConfig(method="multi_turn", k=3), 3),
    (MethodConfig(method="vs_standard", k=3), 3),
    (MethodConfig(method="vs_cot", k=3), 3),
    (MethodConfig(method="vs_multi", k=4, calls=2), 4),
]


def gone(pid: int) -> bool:
    """No such process (a zombie waiting for its reaper counts as gone: it runs nothing)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(pid: int, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.1)
    return gone(pid)


@pytest.mark.parametrize(("config", "n_candidates"), METHODS, ids=[c.label() for c, _ in METHODS])
async def test_every_method_returns_a_distribution(embedded_settings, config: MethodConfig, n_candidates: int):
    async with open_llm(embedded_settings) as stack:
        result = await elicit(stack.model, config, QUERY, np.random.default_rng(11), call_key="it/d0/t0")
        dialect = stack.describe()["structured_output"]

    assert result.parse_status in ("ok", "repaired"), result.errors
    dist = result.distribution
    assert dist is not None and result.chosen is not None
    assert 0 <= result.chosen_index < dist.k
    assert dist.probabilities.sum() == pytest.approx(1.0)
    # Every candidate the grammar made the model give is accounted for: kept, or merged into a duplicate
    # (an answer cut off by max_tokens may hold fewer, and says so).
    accounted = dist.k + dist.repairs.count("duplicate_merged")
    if "truncated" in dist.repairs:
        assert accounted <= n_candidates
    else:
        assert accounted == n_candidates
    if config.method.verbalizes_probabilities:
        assert np.all(dist.probabilities >= 0)
    else:
        assert dist.probabilities == pytest.approx(np.full(dist.k, 1 / dist.k))
    for cand in dist.candidates:
        assert len(cand.text) >= 1
        assert cand.get("strategy") in (*STRATEGY.choices, None)
    unlabelled = sum(c.get("strategy") is None for c in dist.candidates)
    assert unlabelled <= sum(r.startswith("strategy_") for r in dist.repairs)
    # llama.cpp's llama-server takes OpenAI's json_schema format (turned into a grammar), so auto keeps it.
    # (llama-cpp-python's server, the embedded model before issue 8, rejected it for json_object + schema.)
    assert dialect == "json_schema"
    stats = stack.stats
    # A cut-off answer is asked once more with a larger budget (elicit.py): one extra call each time.
    reasks = dist.repairs.count("truncated_reasked") + result.errors.count("truncated_answer")
    assert stats.endpoint_calls == config.n_calls * result.attempts + reasks
    assert stats.cache_hits == 0 and stats.failures == 0 and stats.retries == 0
    assert result.completion_tokens == stats.completion_tokens > 0


async def test_cache_replays_exactly(embedded_settings) -> None:
    config = MethodConfig(method="vs_standard", k=3)
    path = embedded_settings.cache_path

    async def run(seed: int, call_key: str, mode: str = "readwrite"):
        settings = embedded_settings.model_copy(update={"cache_mode": mode})
        async with open_llm(settings) as stack:
            result = await elicit(stack.model, config, QUERY, np.random.default_rng(seed), call_key)
        return result, stack.stats

    first, stats1 = await run(7, "d0/t0/persuader")
    assert stats1.endpoint_calls == 1 and stats1.cache_hits == 0

    again, stats2 = await run(7, "d0/t0/persuader")
    assert (stats2.endpoint_calls, stats2.cache_hits, stats2.completion_tokens) == (0, 1, 0)
    assert again.distribution is not None and first.distribution is not None
    assert again.distribution.to_dict() == first.distribution.to_dict()
    assert again.chosen_index == first.chosen_index
    assert (again.prompt_tokens, again.completion_tokens) == (first.prompt_tokens, first.completion_tokens)
    cache = ResponseCache(path)
    try:
        assert len(cache) == 1

        _, stats3 = await run(8, "d0/t0/persuader")  # another replicate seed: its own entry
        assert stats3.endpoint_calls == 1
        assert len(cache) == 2

        _, stats4 = await run(7, "d1/t0/persuader")  # another place in the run: its own entry
        assert stats4.endpoint_calls == 1
        assert len(cache) == 3

        replayed, stats5 = await run(8, "d0/t0/persuader", mode="replay")
        assert stats5.endpoint_calls == 0 and replayed.distribution is not None
        with pytest.raises(CacheMiss):
            await run(9, "d0/t0/persuader", mode="replay")  # never recorded: replay refuses to call
        assert len(cache) == 3
    finally:
        cache.close()


def test_embedded_server_stop_ends_the_process() -> None:
    server = EmbeddedServer(startup_timeout_s=120).start()
    pid = server.pid
    assert pid is not None and server.is_running() and not gone(pid)
    server.stop()
    assert not server.is_running()
    assert gone(pid)
    server.stop()  # idempotent


CHILD = textwrap.dedent(
    """
    import sys, time
    from simsocial.llm.embedded import EmbeddedServer
    server = EmbeddedServer(startup_timeout_s=120).start()
    print(server.pid, flush=True)
    time.sleep(600)
    """
)


def test_embedded_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    parent = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    server_pid: int | None = None
    try:
        assert parent.stdout is not None
        ready, _, _ = select.select([parent.stdout], [], [], 150)
        assert ready, "the parent did not report the server's pid in time"
        server_pid = int(parent.stdout.readline())
        assert psutil.Process(server_pid).ppid() == parent.pid
        assert not gone(server_pid)

        os.kill(parent.pid, signal.SIGKILL)  # no cleanup code can run in the parent
        parent.wait(timeout=10)

        assert wait_gone(server_pid, timeout_s=30), f"llama.cpp server {server_pid} outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=10)
        if server_pid is not None and not gone(server_pid):
            os.kill(server_pid, signal.SIGKILL)  # don't leave an orphan behind a failed test
        if parent.stdout is not None:
            parent.stdout.close()


async def test_open_llm_stops_its_embedded_server_on_error() -> None:
    """With no endpoint configured, ``open_llm`` starts the embedded model and stops it on any exit."""
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    with pytest.raises(RuntimeError, match="boom"):
        async with open_llm(LLMSettings(cache_path=None)) as stack:
            started = [p for p in me.children(recursive=True) if p.pid not in before]
            assert stack.info.get("embedded") is True
            assert stack.endpoint.startswith("embedded")
            assert len(started) == 1 and "llama-server" in started[0].name()
            raise RuntimeError("boom")
    assert gone(started[0].pid)
