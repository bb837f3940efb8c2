"""What a worker of a multi-process executor does, written once for both of them.

:class:`~simsocial.sim.executors.processes.ProcessExecutor` (local spawned processes) and
:class:`~simsocial.sim.executors.ray_executor.RayExecutor` (Ray tasks) each hand a worker a share of a
cell's dialogues; the worker plays them with :func:`play_specs` and ships what it yields back to the
driver, which alone writes.  This module imports no Ray, so the process executor never needs it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from simsocial.llm.runtime import LLMRuntime
from simsocial.llm.settings import LLMSettings
from simsocial.llm.stats import CallStats
from simsocial.sim.dialogue import Condition, DialogueSpec
from simsocial.sim.model import PersuasionModel
from simsocial.sim.personas import PersonaPool
from simsocial.sim.recorder import DialogueRows
from simsocial.sim.scenario import Scenario
from simsocial.sim.scheduler import finished_batches


def play_specs(
    scenario: Scenario,
    conditions: Sequence[Condition],
    specs: list[DialogueSpec],
    seed: int,
    run_id: str,
    settings: LLMSettings,
    max_active: int,
    pools: tuple[PersonaPool | None, PersonaPool | None] | None = None,
    lose: frozenset[str] = frozenset(),
) -> Iterator[tuple[list[DialogueRows], CallStats]]:
    """Play ``specs`` in this process on an LLM stack of its own (``settings``), free-running as a local run.

    Yields, each time some dialogues finish, their rows and the LLM usage since the previous yield (so the
    driver can add it to the run's stats as it goes).  ``max_active`` bounds the dialogues in flight here;
    ``pools`` are the scenario's persona pools when the caller already built them (None: built here, the
    same pools).  A dialogue's rows depend only on its spec, the seed and the endpoint's answers, never on
    which worker played it.  Closing the generator early cancels the dialogues still running.  ``lose``
    is the test hook of :mod:`simsocial.sim.executors.test_hook`: those dialogues are played, never sent.
    """
    stats, reported = CallStats(), CallStats()
    with LLMRuntime(settings, stats) as runtime:
        model = PersuasionModel(
            scenario, conditions, rng=seed, runtime=runtime, max_active=max_active, run_id=run_id, specs=specs,
            persona_pools=pools, collect_agents=False,
        )  # fmt: skip
        for finished in finished_batches(model):
            snapshot = stats.copy()
            yield [d.rows() for d in finished if d.dialogue_id not in lose], snapshot - reported
            reported = snapshot
