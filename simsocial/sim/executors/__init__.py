"""Where a run's dialogues are played: :class:`LocalExecutor` (this process) or
:class:`~simsocial.sim.executors.ray_executor.RayExecutor` (Ray tasks; needs the ``ray`` extra, imported on
first use).  Both take one :class:`ExecutionJob` and hand every finished dialogue's rows back to the caller,
which alone writes the run directory."""

from __future__ import annotations

from typing import Any

from simsocial.sim.executors.job import DialogueExecutor, ExecutionJob
from simsocial.sim.executors.local import LocalExecutor

__all__ = ["DialogueExecutor", "ExecutionJob", "LocalExecutor", "RayExecutor"]


def __getattr__(name: str) -> Any:
    if name == "RayExecutor":  # ray is an optional dependency: import it only when asked for
        from simsocial.sim.executors.ray_executor import RayExecutor

        return RayExecutor
    raise AttributeError(name)
