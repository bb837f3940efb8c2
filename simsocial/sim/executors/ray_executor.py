"""Run a cell's dialogues on a Ray cluster; the driver keeps all writing.

The cell's pending dialogues are split into chunks; each chunk is a Ray task (a streaming generator,
:func:`~simsocial.sim.executors.worker.play_specs`) that opens its own LLM stack against the cell's
``base_url`` — for the embedded model, the one llama.cpp server the driver started — runs a
:class:`~simsocial.sim.model.PersuasionModel` over its specs, and yields the rows of dialogues as they
finish, with the LLM usage since its last yield.  The driver hands the rows to the cell's
:class:`~simsocial.rundir.writer.RunWriter` as they arrive, so checkpoints, resume and the output contract are
exactly those of a local run, and a dialogue's result does not depend on which worker ran it (its RNG
derives from seed, replicate and condition only).

Multi-node clusters: every node needs simsocial installed and must reach ``base_url`` (the embedded
server listens on the driver's 127.0.0.1, so use ``--base-url`` to a served model there); the SQLite
cache path must be on a filesystem every node sees to share cached answers (each node's own file works,
but then a replay finds only that node's entries).  See docs/batch.md.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import warnings
from typing import Any

from simsocial.sim.dialogue import DialogueSpec
from simsocial.sim.executors.job import ExecutionJob
from simsocial.sim.executors.processes import split_budget
from simsocial.sim.executors.test_hook import planted_losses
from simsocial.sim.executors.worker import play_specs
from simsocial.sim.personas import persona_pool

# Ray gives a node on Linux its interface address, and then every Ray process listens on all interfaces,
# unless this is "0" when Ray is imported (ray._private.ray_constants.ENABLE_RAY_CLUSTER): then the node is
# 127.0.0.1 and Ray's servers (GCS, raylet, object manager, workers) listen on loopback only.
_CLUSTERS_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def _import_ray(local_cluster: bool) -> Any:
    """Ray, imported so that a cluster this process starts binds loopback only (docs/security.md)."""
    if local_cluster:
        os.environ.setdefault(_CLUSTERS_ENV, "0")
    import ray

    return ray


@functools.cache
def _remote_play_specs() -> Any:
    """play_specs as a Ray task: a generator, so each task streams what it yields back as it is yielded."""
    return _import_ray(local_cluster=False).remote(play_specs)


class RayExecutor:
    """A :class:`~simsocial.sim.executors.DialogueExecutor` that spreads dialogues over Ray tasks.

    ``address``: a running cluster (``"auto"``, ``"ray://head:10001"``); None starts a local one unless
    Ray is already initialised in this process.  ``chunk_size``: dialogues per task (default: about two
    tasks per CPU of the cluster).  ``num_cpus``: CPUs each task reserves (the work is mostly waiting on
    the endpoint, so fractions such as 0.5 are fine).  The run's ``max_in_flight`` calls are one budget
    for the whole cluster: there are at most that many tasks, each with its share.
    """

    def __init__(
        self,
        address: str | None = None,
        chunk_size: int | None = None,
        num_cpus: float = 1.0,
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.address = address
        self.chunk_size = chunk_size
        self.num_cpus = num_cpus
        self.init_kwargs = init_kwargs or {}

    def _ensure_ray(self) -> Any:
        local = self.address is None  # a cluster of our own serves this machine only
        too_late = local and "ray" in sys.modules and os.environ.get(_CLUSTERS_ENV) != "0"
        ray = _import_ray(local)
        if not ray.is_initialized():
            if too_late:  # said, not silent: this process imported Ray before we could set it up
                warnings.warn(f"Ray was imported before {_CLUSTERS_ENV}=0 was set: the local cluster may listen "
                              "on every interface, not 127.0.0.1 only", stacklevel=2)  # fmt: skip
            ray.init(address=self.address, include_dashboard=False, **self.init_kwargs)
        return ray

    def _chunks(self, ray: Any, specs: list[DialogueSpec]) -> list[list[DialogueSpec]]:
        size = self.chunk_size
        if size is None:
            cpus = max(1, int(ray.cluster_resources().get("CPU", 1) / self.num_cpus))
            size = max(1, math.ceil(len(specs) / (2 * cpus)))
        return [specs[i : i + size] for i in range(0, len(specs), size)]

    def __call__(self, job: ExecutionJob) -> None:
        scenario, specs, runtime = job.scenario, job.specs, job.runtime
        if not specs:
            return
        settings = runtime.settings
        if settings.base_url is None:
            raise ValueError(
                "the Ray executor needs an endpoint every worker can reach: a base_url (simsocial batch starts "
                "the embedded server itself and passes its URL)"
            )
        ray = self._ensure_ray()
        pools = ray.put((persona_pool(scenario.personas, "persuadee"), persona_pool(scenario.personas, "persuader")))
        task = _remote_play_specs().options(num_cpus=self.num_cpus)
        # One budget of calls in flight for the whole cluster: at most that many chunks, each with its share.
        chunks = self._chunks(ray, specs)
        chunks = [sum(chunks[i :: settings.max_in_flight], []) for i in range(min(len(chunks), settings.max_in_flight))]
        budgets = split_budget(settings.max_in_flight, len(chunks))
        lose = planted_losses()  # the documented test hook (passed on: workers have their own environment)
        job.admitted.update(s.dialogue_id for s in specs)  # what is sent is what the run must write
        pending = [
            task.remote(scenario, list(job.conditions), chunk, job.seed, job.run_id,
                        settings.model_copy(update={"max_in_flight": budget}), min(budget, job.max_active), pools,
                        lose)
            for chunk, budget in zip(chunks, budgets, strict=True)
        ]  # fmt: skip
        stats = runtime.stack.stats
        try:
            while pending:
                ready, _ = ray.wait(pending, num_returns=1)
                for generator in ready:
                    try:
                        ref = next(generator)
                    except StopIteration:
                        pending.remove(generator)
                        continue
                    rows, usage = ray.get(ref)  # a worker's exception surfaces here, with its traceback
                    stats.merge(usage)
                    for dialogue in rows:
                        job.emit(dialogue)
                    job.progress(len(rows))
        except BaseException:
            for generator in pending:
                with contextlib.suppress(Exception):  # best effort: the cluster may already be gone
                    ray.cancel(generator, force=True)
            raise
