"""Moved: the Ray executor lives beside the local one in :mod:`simsocial.sim.executors` (kept so existing
imports still work)."""

from simsocial.sim.executors.ray_executor import RayExecutor, run_chunk

__all__ = ["RayExecutor", "run_chunk"]
