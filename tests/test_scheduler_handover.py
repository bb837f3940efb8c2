"""The free-running scheduler's hand-over from the loop thread to the writer: nothing finished is ever
dropped, results come in admission order, the backlog throttle holds, and a bug surfaces.

Threaded runtime (``LLMRuntime``, the loop on its own thread, as in every real run) over the in-process
scripted chat model whose answers take set times; the hand-over queue is injected through
``LocalExecutor(handover=...)``, the seam the executor exposes for it.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import simsocial
from simsocial.llm.factory import LLMSettings
from simsocial.llm.runtime import LLMRuntime
from simsocial.llm.scripted import ScriptedChatModel, schema_answers
from simsocial.llm.types import ChatRequest
from simsocial.sim import run_simulation
from simsocial.sim.executors import LocalExecutor
from simsocial.sim.recorder import DialogueRecorder
from simsocial.sim.scheduler import finished_batches

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"


@pytest.fixture(scope="module")
def scenario() -> simsocial.Scenario:
    return simsocial.load_scenario(SCENARIO, max_turns=3)


class LateWakingQueue:
    """A hand-over queue whose consumer wakes late after a poll that timed out, as a descheduled thread
    does on a busy two-core machine: it oversleeps until the producer has handed over its last item (the
    end marker, or what stopped it; at most 5 s), then 0.2 s more.  Everything else is a plain queue."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._last_put = threading.Event()
        self.late_wakes = 0

    def put(self, item: Any) -> None:
        self._queue.put(item)
        if not isinstance(item, DialogueRecorder):
            self._last_put.set()

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        try:
            return self._queue.get(block, timeout)
        except queue.Empty:
            self.late_wakes += 1
            self._last_put.wait(5)
            time.sleep(0.2)
            raise

    def get_nowait(self) -> Any:
        return self._queue.get_nowait()

    def qsize(self) -> int:
        return self._queue.qsize()


def _replicate(request: ChatRequest) -> int:
    return int(request.call_key.split("/", 1)[0].rsplit("-", 1)[1])


def test_a_late_consumer_loses_no_dialogue(scenario, tmp_path) -> None:
    """The issue's reproduction: four dialogues whose calls take 0.10, 1.5, 0.20 and 1.4 s in all (7 calls
    each), so the slow second one finishes after the fourth and hands over three at once, after the consumer
    has timed out; on 74941ea's scheduler this wrote 1 of 4 and returned normally."""
    totals = [0.10, 1.5, 0.20, 1.4]
    model = ScriptedChatModel(schema_answers(), latency=lambda r: totals[_replicate(r)] / 7)
    queues: list[LateWakingQueue] = []

    def handover() -> LateWakingQueue:
        queues.append(LateWakingQueue())
        return queues[-1]

    condition = simsocial.parse_condition("direct", scenario)
    with LLMRuntime(LLMSettings(), chat_model=model) as runtime:
        result = run_simulation(scenario, [condition], 4, 3, tmp_path / "run", runtime=runtime,
                                executor=LocalExecutor(handover), show_progress=False)  # fmt: skip
    assert len(model.requests) == 4 * 7  # all four dialogues were played to their end
    assert queues and queues[0].late_wakes >= 1  # the consumer did time out and wake late: the race was on
    written = pq.read_table(tmp_path / "run" / "dialogues.parquet", columns=["dialogue_id"]).column(0).to_pylist()
    assert sorted(written) == [f"direct-{r:05d}" for r in range(4)]
    assert result.manifest["counts"]["dialogues"] == 4


def _model(scenario, chat_model, runtime: LLMRuntime, n: int, max_active: int) -> simsocial.PersuasionModel:
    condition = simsocial.parse_condition("direct", scenario)
    return simsocial.PersuasionModel(scenario, [condition], n, rng=5, runtime=runtime, max_active=max_active,
                                     collect_agents=False)  # fmt: skip


def test_results_come_in_admission_order_whatever_order_they_finish_in(scenario) -> None:
    # The first admitted dialogue is the slowest, the last the fastest: they finish in reverse order.
    chat = ScriptedChatModel(schema_answers(), latency=lambda r: (6 - _replicate(r)) * 0.02)
    with LLMRuntime(LLMSettings(), chat_model=chat) as runtime:
        model = _model(scenario, chat, runtime, 6, max_active=6)
        order = [d.dialogue_id for batch in finished_batches(model) for d in batch]
    assert order == [f"direct-{r:05d}" for r in range(6)]


class WatchedQueue:
    """A plain hand-over queue that counts the producer's backlog checks since the last item was put."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.polls_since_put = 0
        self.most_waiting = 0

    def put(self, item: Any) -> None:
        self._queue.put(item)
        self.polls_since_put = 0
        self.most_waiting = max(self.most_waiting, self._queue.qsize())

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        return self._queue.get(block, timeout)

    def get_nowait(self) -> Any:
        return self._queue.get_nowait()

    def qsize(self) -> int:
        self.polls_since_put += 1
        return self._queue.qsize()


def test_a_consumer_that_lags_stops_admission(scenario) -> None:
    """Answers come at once (a replay from the cache); while the consumer takes nothing, the loop admits
    nothing new: it keeps checking the backlog and leaves the rest queued."""
    chat = ScriptedChatModel(schema_answers())
    queues: list[WatchedQueue] = []

    def handover() -> WatchedQueue:
        queues.append(WatchedQueue())
        return queues[-1]

    with LLMRuntime(LLMSettings(), chat_model=chat) as runtime:
        model = _model(scenario, chat, runtime, 40, max_active=2)
        batches = finished_batches(model, handover=handover)
        taken = len(next(batches))
        deadline = time.monotonic() + 30
        while queues[0].polls_since_put < 50 and time.monotonic() < deadline:  # the loop waits for us
            time.sleep(0.01)
        assert queues[0].polls_since_put >= 50, "the loop did not wait for the consumer"
        assert model.has_queued()  # nothing more was admitted while we lagged
        assert queues[0].most_waiting <= 2 + 4 * 2  # the backlog stays within the window, not 40
        taken += sum(len(batch) for batch in batches)
    assert taken == 40 and not model.running


class RecordingCancels(ScriptedChatModel):
    """The scripted model, noting each call that was cancelled while it waited."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cancelled: list[str] = []

    async def chat(self, request: ChatRequest):  # type: ignore[override]
        try:
            return await super().chat(request)
        except asyncio.CancelledError:
            self.cancelled.append(request.call_key)
            raise


def test_a_bug_in_one_dialogue_cancels_the_others_and_surfaces(scenario) -> None:
    answer = schema_answers()

    def script(request: ChatRequest) -> str:
        if _replicate(request) == 1:
            raise ZeroDivisionError("a bug, not an LLM failure")
        return answer(request)

    chat = RecordingCancels(script, latency=lambda r: 0.0 if _replicate(r) == 1 else 5.0)
    with LLMRuntime(LLMSettings(), chat_model=chat) as runtime:
        model = _model(scenario, chat, runtime, 3, max_active=3)
        with pytest.raises(ZeroDivisionError, match="a bug"):
            for _ in finished_batches(model):
                pass
        runtime.run(asyncio.sleep(0.05))  # let the loop deliver the cancellations it was asked for
    # Dialogues 0 and 2 were waiting on their first answer: cancelled, not left running.
    assert sorted(k.split("/")[0] for k in chat.cancelled) == ["direct-00000", "direct-00002"]
