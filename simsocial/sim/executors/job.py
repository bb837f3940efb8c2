"""What an executor is given: the dialogues still to play and where each finished one goes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from simsocial.llm.runtime import Runtime
from simsocial.sim.dialogue import Condition, DialogueSpec
from simsocial.sim.recorder import DialogueRows
from simsocial.sim.scenario import Scenario


@dataclass(frozen=True)
class ExecutionJob:
    """What an executor runs: the dialogues still to do, and where to send each finished one.

    ``emit`` receives every finished dialogue's rows (in any order, each exactly once); ``progress`` is
    told how many finished since its last call.  The executor adds every dialogue it starts or sends to
    ``admitted``, before it can finish.  LLM usage is added to ``runtime.stack.stats`` (so the
    progress bar and the manifest see it), whether the calls were made here or in remote workers.
    """

    scenario: Scenario
    conditions: Sequence[Condition]
    specs: list[DialogueSpec]
    seed: int
    run_id: str
    runtime: Runtime
    max_active: int
    emit: Callable[[DialogueRows], None]
    progress: Callable[[int], None]
    admit: Callable[[DialogueSpec], bool] | None = None  # before each dialogue; False drops the rest (budget)
    # Filled by the executor: the id of every dialogue it started (local) or sent to a worker (processes,
    # Ray).  The run checks at its end that each of them was written (simsocial.sim.invariant).
    admitted: set[str] = field(default_factory=set)


class DialogueExecutor(Protocol):
    """Runs the dialogues of an :class:`ExecutionJob`; the caller alone writes them."""

    def __call__(self, job: ExecutionJob) -> None: ...
