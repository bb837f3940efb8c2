"""Run a cell's dialogues in several local worker processes: more than one core for the engine and HTTP
client, with the in-flight budget split so that all workers together never exceed it.

One process tops out at a few hundred calls per second (Python is single-threaded per interpreter;
benchmarks/concurrency.py).  :class:`ProcessExecutor` deals the pending dialogues round-robin to
``workers`` spawned processes; each plays its share with :func:`~simsocial.sim.executors.worker.play_specs`
(its own LLM stack against the cell's ``base_url``, a free-running model), sending each finished
dialogue's rows (and the LLM usage since its last message) back through a queue.  This process alone
writes, so checkpoints, resume and the output contract are those of a local run, and each dialogue's
result is identical whichever worker ran it (its generator derives from seed, replicate and condition only).

The shared budget: the runtime's ``max_in_flight`` calls (``--concurrency``) are divided among the
workers (a worker with ``b`` of them runs at most ``b`` calls and ``b`` dialogues at once), so the
endpoint never sees more than the budget.  The workers stay up between cells (start-up is paid once)
until :meth:`ProcessExecutor.close`.  A budget (``--max-calls``) is not enforced inside workers; use the
local executor for budgeted runs.  A worker whose driver dies (``kill -9``) exits by itself.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

from simsocial.llm.settings import LLMSettings
from simsocial.llm.stats import CallStats
from simsocial.sim.dialogue import Condition, DialogueSpec
from simsocial.sim.executors.job import ExecutionJob
from simsocial.sim.executors.test_hook import planted_losses
from simsocial.sim.executors.worker import play_specs
from simsocial.sim.scenario import Scenario

_OUTBOX: Any = None  # the worker's end of the results queue (set by the pool initializer)


def _init_worker(outbox: Any, driver: int) -> None:
    global _OUTBOX
    _OUTBOX = outbox
    threading.Thread(target=_exit_with_driver, args=(driver,), daemon=True, name="driver-watch").start()


def _exit_with_driver(driver: int) -> None:
    """End this worker when the driver that spawned it is gone (``kill -9`` gives it no chance to stop its
    pool): an orphan would play on, calling the endpoint for a run nobody writes."""
    while os.getppid() == driver:
        time.sleep(0.5)
    os._exit(1)


def run_shard(
    token: int,
    scenario: Scenario,
    conditions: Sequence[Condition],
    specs: list[DialogueSpec],
    seed: int,
    run_id: str,
    settings: LLMSettings,
    max_active: int,
    lose: frozenset[str] = frozenset(),
) -> int:
    """In a worker: play ``specs`` (:func:`~simsocial.sim.executors.worker.play_specs`); put
    ``(token, rows, usage)`` on the outbox as dialogues finish; return how many were sent."""
    done = 0
    for rows, usage in play_specs(scenario, conditions, specs, seed, run_id, settings, max_active, lose=lose):
        _OUTBOX.put((token, rows, usage.to_dict()))
        done += len(rows)
    return done


def split_budget(budget: int, workers: int) -> list[int]:
    """``budget`` calls in flight divided among at most ``workers`` workers, each getting at least one."""
    n = max(1, min(workers, budget))
    return [budget // n + (1 if i < budget % n else 0) for i in range(n)]


class ProcessExecutor:
    """A :class:`~simsocial.sim.runner.DialogueExecutor` over ``workers`` local processes (see module doc)."""

    def __init__(self, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._outbox: Any = None
        self._inboxes: dict[int, queue.SimpleQueue[Any]] = {}  # per job (cells run side by side share workers)
        self._tokens = itertools.count()
        self._lock = threading.Lock()

    def _ensure_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: this process runs an event-loop thread, which a fork would copy mid-flight.
                context = multiprocessing.get_context("spawn")
                self._outbox = context.Queue()
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    self.workers, mp_context=context, initializer=_init_worker, initargs=(self._outbox, os.getpid())
                )
                threading.Thread(target=self._route, args=(self._outbox,), daemon=True, name="shard-router").start()
            return self._pool

    def _route(self, outbox: Any) -> None:
        """Hand each worker message to the job (cell) it belongs to."""
        while True:
            try:
                message = outbox.get()
            except (EOFError, OSError, ValueError):
                return  # the queue was closed
            if message is None:
                return
            inbox = self._inboxes.get(message[0])
            if inbox is not None:
                inbox.put(message)

    def __call__(self, job: ExecutionJob) -> None:
        if not job.specs:
            return
        settings = job.runtime.settings
        if settings.base_url is None:
            raise ValueError("the process executor needs an endpoint every worker can reach: a base_url")
        budgets = split_budget(min(settings.max_in_flight, job.max_active * self.workers), self.workers)
        shards = [job.specs[i :: len(budgets)] for i in range(len(budgets))]
        pool = self._ensure_pool()
        token = next(self._tokens)
        inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._inboxes[token] = inbox
        lose = planted_losses()  # the documented test hook; empty in real runs
        job.admitted.update(s.dialogue_id for s in job.specs)  # what is sent is what the run must write
        futures = [
            pool.submit(run_shard, token, job.scenario, list(job.conditions), shard, job.seed, job.run_id,
                        settings.model_copy(update={"max_in_flight": budget}), min(budget, job.max_active), lose)
            for shard, budget in zip(shards, budgets, strict=True) if shard
        ]  # fmt: skip
        stats = job.runtime.stack.stats
        # Waiting ends when every sent dialogue came back, or when the workers are done and every message
        # they say they sent has arrived; a worker that sent fewer than it was given is caught by the
        # run's end-of-run check against the specs sent (simsocial.sim.invariant), never trusted here.
        expected = len(job.specs)
        received = 0
        try:
            while received < expected:
                try:
                    _, rows, usage = inbox.get(timeout=0.5)
                except queue.Empty:
                    failed = next((f.exception() for f in futures if f.done() and f.exception()), None)
                    if failed is not None:
                        raise failed from None  # a worker's exception, with its remote traceback attached
                    if all(f.done() for f in futures):
                        expected = sum(f.result() for f in futures)  # rows still in the pipe will arrive
                    continue
                stats.merge(CallStats.from_dict(usage))
                for dialogue in rows:
                    job.emit(dialogue)
                received += len(rows)
                job.progress(len(rows))
        except BaseException:
            self.close()  # workers may be mid-dialogue; the next job starts fresh ones
            raise
        finally:
            self._inboxes.pop(token, None)

    def close(self) -> None:
        """Stop the worker processes."""
        with self._lock:
            if self._pool is not None:
                processes = list((getattr(self._pool, "_processes", None) or {}).values())
                self._pool.shutdown(wait=False, cancel_futures=True)
                for process in processes:
                    process.terminate()
                self._outbox.put(None)  # stops the router
                self._pool = None
