"""All of a job's dialogues in one :class:`~simsocial.sim.model.PersuasionModel` in this process."""

from __future__ import annotations

import queue
from collections.abc import Callable

from simsocial.sim.dialogue import DialogueSpec
from simsocial.sim.executors.job import ExecutionJob
from simsocial.sim.executors.test_hook import planted_losses
from simsocial.sim.model import PersuasionModel
from simsocial.sim.recorder import DialogueRecorder
from simsocial.sim.scheduler import HandOver, run_free


class LocalExecutor:
    """Free-running dialogues on the job's runtime (:func:`simsocial.sim.scheduler.run_free`); finished
    dialogues' rows go to ``job.emit`` in this thread.  ``handover`` makes the queue they cross threads in
    (default ``queue.SimpleQueue``; a test injects a slow one)."""

    def __init__(self, handover: Callable[[], HandOver] = queue.SimpleQueue) -> None:
        self.handover = handover

    def __call__(self, job: ExecutionJob) -> None:
        lose = planted_losses()  # the documented test hook; empty in real runs

        def admit(spec: DialogueSpec) -> bool | None:
            verdict = True if job.admit is None else job.admit(spec)
            if verdict:  # None is a budget's "not yet" (asked again later), False its "no": neither is admitted
                job.admitted.add(spec.dialogue_id)
            return verdict

        def hand_over(recorder: DialogueRecorder) -> None:
            if recorder.dialogue_id not in lose:
                job.emit(recorder.rows())

        model = PersuasionModel(
            job.scenario, job.conditions, rng=job.seed, runtime=job.runtime, max_active=job.max_active,
            run_id=job.run_id, specs=job.specs, on_dialogue_done=hand_over, collect_agents=False, admit=admit,
        )  # fmt: skip
        run_free(model, job.progress, self.handover)
