"""CampaignModel: a persuasion campaign spreading over a social network, one Mesa step per round.

    import simsocial
    model = simsocial.CampaignModel("scenarios/campaign_small_world.yaml", rng=1,
                                    methods=["direct", "vs_standard"], llm=simsocial.LLMSettings(...))
    model.step()                                        # one round, every method
    model.datacollector.get_model_vars_dataframe()      # adopters, share and dollars per method, per round
    model.run_model()                                   # until no advocate has anyone left to ask
    model.network_frame(); model.rounds_frame()         # network.parquet / rounds.parquet columns

The space is :class:`mesa.discrete_space.Network` over a seeded networkx graph; every node holds one
:class:`Person` (a ``CellAgent`` with a persona from the scenario's persona source).  Each method in
``methods`` runs its own campaign on the same graph, from the same seed advocates, with the same people
(common random numbers); a step plays every method's round concurrently (:mod:`simsocial.campaign.dialogues`)
and applies the outcomes at once (:class:`~simsocial.campaign.diffusion.Diffusion`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import Network

from simsocial.campaign.config import CampaignScenario, load_campaign
from simsocial.campaign.dialogues import PlannedDialogue, outcome_of, plan_dialogues, play_round
from simsocial.campaign.diffusion import Diffusion
from simsocial.campaign.network import build_graph, choose_seeds
from simsocial.campaign.person import Person
from simsocial.campaign.tables import network_rows, round_row
from simsocial.llm.base import ChatModel
from simsocial.llm.factory import LLMSettings
from simsocial.llm.runtime import InlineRuntime, LLMRuntime, Runtime
from simsocial.rundir.writer import DialogueRows
from simsocial.sim.conditions import parse_condition, scenario_condition
from simsocial.sim.dialogue import Condition
from simsocial.sim.executors import DialogueExecutor
from simsocial.sim.personas import NO_PERSONA, Persona, persona_pool

_PERSONA_STREAM = 0x9E750  # a node's persona draw, apart from every other draw


class CampaignMismatchError(ValueError):
    """Rounds on disk that this campaign would not have planned: the directory holds another campaign."""


RoundCallback = Callable[[int, list[DialogueRows]], None]


class CampaignModel(mesa.Model):
    """Word-of-mouth persuasion on a network; ``step()`` is one round (see module doc).

    ``scenario``: a :class:`~simsocial.campaign.config.CampaignScenario` or the path of one.  ``methods``
    (``--method`` strings) or ``conditions``: one campaign each (default: the scenario's own).  ``llm`` /
    ``runtime`` as for :class:`~simsocial.sim.model.PersuasionModel`.  ``rounds``, ``contacts_per_round``,
    ``adopt_at`` and ``network`` (a dict of generator parameters) override the scenario's campaign
    section, so ``mesa.batch_run`` can sweep them.  ``on_round_done(round, rows)`` receives each round's
    finished dialogues; without it they are kept (:meth:`dialogues_frame`).
    """

    def __init__(
        self,
        scenario: CampaignScenario | str | Path,
        *,
        rng: int = 0,
        methods: Sequence[str] | None = None,
        conditions: Sequence[Condition] | None = None,
        llm: LLMSettings | ChatModel | None = None,
        runtime: Runtime | None = None,
        rounds: int | None = None,
        contacts_per_round: int | None = None,
        adopt_at: float | None = None,
        network: dict[str, Any] | None = None,
        max_active: int = 16,
        run_id: str | None = None,
        on_round_done: RoundCallback | None = None,
        executor: DialogueExecutor | None = None,
    ) -> None:
        if not isinstance(rng, int | np.integer):
            raise TypeError("rng must be an integer seed, so that campaigns can be replayed and resumed")
        super().__init__(rng=int(rng))
        self.seed = int(rng)
        base = scenario if isinstance(scenario, CampaignScenario) else load_campaign(scenario)
        self.campaign_scenario = base.with_campaign(contacts_per_round=contacts_per_round, adopt_at=adopt_at,
                                                    network=network)  # fmt: skip
        self.campaign = self.campaign_scenario.campaign
        self.scenario = self.campaign_scenario.peer_scenario  # what every dialogue runs: the advocate as a peer
        if conditions is None:
            conditions = [parse_condition(m, self.scenario) for m in methods] if methods else [
                scenario_condition(self.scenario)]  # fmt: skip
        self.conditions = list(conditions)
        self.max_rounds = rounds if rounds is not None else self.campaign.rounds
        self.max_active = max_active
        self.run_id = run_id or f"{self.scenario.name}-s{self.seed}"
        self.on_round_done = on_round_done
        self.executor = executor
        self.progress: Callable[[int], None] | None = None  # told how many of a round's dialogues finished
        self._owns_runtime = runtime is None
        self.runtime: Runtime = runtime or _open_runtime(llm)

        self.graph = build_graph(self.campaign.network, self.seed)
        self.seeds = choose_seeds(self.graph, self.campaign.seeds, self.seed)
        self.grid = Network(self.graph, capacity=1, random=self.random)
        self.personas = self._draw_personas()
        for node in sorted(self.graph.nodes):
            Person(self, self.grid[node], self.personas[node])
        self.diffusions = {c.label: Diffusion(self.graph, self.seeds, self.seed, self.campaign.seeds.donation)
                           for c in self.conditions}  # fmt: skip
        self.shown_method = self.conditions[0].label  # the campaign a live view colours nodes by
        self.round = 0
        self._plan: tuple[int, list[PlannedDialogue]] | None = None  # (round it was made after, the plan)
        self.round_rows: list[dict[str, Any]] = []
        self.kept_rows: list[DialogueRows] = []
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters(),
                                                agent_reporters=self._agent_reporters())  # fmt: skip
        self.datacollector.collect(self)
        self.running = self._has_work()
        if not self.running:
            self.close()

    # --- the round ---------------------------------------------------------------------------------
    def step(self) -> None:
        """One round: plan every method's contacts, play them all concurrently, apply the outcomes at once."""
        if not self.running:
            return
        planned = self.plan_round()
        rows = play_round(planned, self.scenario, self.runtime, seed=self.seed, run_id=self.run_id,
                          max_active=self.max_active, executor=self.executor, progress=self.progress)  # fmt: skip
        missing = [p.spec.dialogue_id for p in planned if p.spec.dialogue_id not in rows]
        if missing:  # every planned dialogue is played and emitted; a gap is a bug, never a silent loss
            raise RuntimeError(f"round {self.round + 1}: {len(missing)} dialogue(s) came back without rows")
        self._apply(planned, rows)
        ordered = [rows[p.spec.dialogue_id] for p in planned]
        if self.on_round_done is not None:
            self.on_round_done(self.round, ordered)
        else:
            self.kept_rows.extend(ordered)

    def plan_round(self) -> list[PlannedDialogue]:
        """The next round's dialogues, every method's (no call is made).

        Kept until the round is applied: the runner, ``step`` and the stopping rule all ask for the same plan,
        and at a thousand people planning is several milliseconds, paid between rounds while no call is out.
        """
        if self._plan is not None and self._plan[0] == self.round:
            return self._plan[1]
        planned: list[PlannedDialogue] = []
        for condition in self.conditions:
            diffusion = self.diffusions[condition.label]
            contacts = diffusion.plan(self.round + 1, self.campaign.contacts_per_round)
            planned += plan_dialogues(condition, diffusion, contacts, self.personas, self.campaign,
                                      self.scenario, self.seed)  # fmt: skip
        self._plan = (self.round, planned)
        return planned

    def replay_round(self, rows: dict[str, dict[str, Any]]) -> None:
        """Apply a round already on disk (``dialogue_id → dialogues row``) without calling the model.

        The round is planned again and must name exactly the stored dialogues: otherwise the directory
        holds another campaign and :class:`CampaignMismatchError` says so.
        """
        planned = self.plan_round()
        expected = {p.spec.dialogue_id for p in planned}
        if expected != set(rows):
            raise CampaignMismatchError(
                f"round {self.round + 1} on disk holds other dialogues than this campaign plans "
                f"({len(set(rows) - expected)} unexpected, {len(expected - set(rows))} missing)")  # fmt: skip
        self._apply(planned, {i: DialogueRows(i, [], [], row) for i, row in rows.items()})

    def _apply(self, planned: list[PlannedDialogue], rows: dict[str, DialogueRows]) -> None:
        self.round += 1
        for condition in self.conditions:
            label = condition.label
            mine = [p for p in planned if p.condition.label == label]
            diffusion = self.diffusions[label]
            advocates = len(diffusion.advocates())
            results = [(p.contact, outcome_of(rows[p.spec.dialogue_id].dialogue, p.contact, self.campaign))
                       for p in mine]  # fmt: skip
            new = diffusion.apply(results)
            self.round_rows.append(round_row(label, self.seed, self.round, advocates, results, new, diffusion,
                                             self.graph.number_of_nodes()))  # fmt: skip
        self.datacollector.collect(self)
        self.running = self._has_work()
        if not self.running:
            self.close()

    def _has_work(self) -> bool:
        return self.round < self.max_rounds and bool(self.plan_round())

    def close(self) -> None:
        """Stop the LLM runtime if this model opened it (idempotent)."""
        if self._owns_runtime:
            self.runtime.close()

    # --- what it holds ---------------------------------------------------------------------------------
    def network_frame(self) -> pd.DataFrame:
        """The ``network.parquet`` columns: one row per method × node."""
        rows = []
        for condition in self.conditions:
            diffusion = self.diffusions[condition.label]
            rows += network_rows(condition.label, self.seed, self.graph, diffusion, self.personas)
        return pd.DataFrame(rows)

    def rounds_frame(self) -> pd.DataFrame:
        """The ``rounds.parquet`` columns: one row per method × round."""
        return pd.DataFrame(self.round_rows)

    def dialogues_frame(self) -> pd.DataFrame:
        """The kept dialogues' rows (``dialogues.parquet`` columns plus round, advocate, target)."""
        return pd.DataFrame([r.dialogue for r in self.kept_rows])

    def turns_frame(self) -> pd.DataFrame:
        return pd.DataFrame([t for r in self.kept_rows for t in r.turns])

    def candidates_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c for r in self.kept_rows for c in r.candidates])

    def donated(self, label: str) -> float:
        """Dollars given so far in ``label``'s campaign (the sum of its dialogues' final donations)."""
        return float(sum(r["total_donated"] for r in self.round_rows if r["method"] == label))

    def adopted_share(self, label: str) -> float:
        return len(self.diffusions[label].advocates()) / self.graph.number_of_nodes()

    # --- internals -----------------------------------------------------------------------------------
    def _draw_personas(self) -> list[Persona]:
        pool = persona_pool(self.scenario.personas, "persuadee")
        nodes = sorted(self.graph.nodes)
        if pool is None:
            return [NO_PERSONA for _ in nodes]
        return [pool.draw(np.random.default_rng([self.seed, n, _PERSONA_STREAM])) for n in nodes]

    def _reporters(self) -> dict[str, Any]:
        reporters: dict[str, Any] = {"round": "round"}
        for condition in self.conditions:
            label = condition.label
            reporters[f"adopters {label}"] = lambda m, label=label: len(m.diffusions[label].advocates())
            reporters[f"share {label}"] = lambda m, label=label: m.adopted_share(label)
            reporters[f"donated {label}"] = lambda m, label=label: m.donated(label)
        return reporters

    def _agent_reporters(self) -> dict[str, Any]:
        return {f"state {c.label}": (lambda a, label=c.label: a.state(label)) for c in self.conditions}


def _open_runtime(llm: LLMSettings | ChatModel | None) -> Runtime:
    if isinstance(llm, ChatModel):
        return InlineRuntime(llm)
    return LLMRuntime(llm or LLMSettings())
