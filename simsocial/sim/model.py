"""PersuasionModel: many persuasion dialogues run as one Mesa model.

Each dialogue has a :class:`~simsocial.sim.agents.Persuader` and a :class:`~simsocial.sim.agents.Persuadee`.
One model step is one turn of every active dialogue: all persuaders speak (their LLM calls in flight
together), then all persuadees reply; dialogues that reach their end decide on the donation.  Finished
dialogues are handed to ``on_dialogue_done`` (e.g. a writer) and their agents removed, and queued ones are
admitted, so at most ``max_active`` dialogues are in memory and in flight at once.

Randomness: ``rng`` seeds the model (``mesa.Model``); every dialogue draws from its own generator derived
from that seed, its replicate and its condition, so a dialogue replays identically whatever the
concurrency, the admission order or an interrupted-and-resumed batch.  The persona of replicate *r* is
the same in every condition (common random numbers: Direct and VS meet the same people).
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable, Iterable, Sequence

import mesa
import numpy as np
from mesa.agent import AgentSet

from simsocial.llm.base import ChatModel
from simsocial.llm.errors import LLMError
from simsocial.llm.factory import LLMSettings
from simsocial.sim.agents import Persuadee, Persuader
from simsocial.sim.dialogue import Condition, Dialogue, DialogueSpec
from simsocial.sim.personas import NO_PERSONA, PersonaPool, persona_pool
from simsocial.sim.runtime import LLMRuntime
from simsocial.sim.scenario import Scenario

_PERSONA_STREAM = 0x5EED  # keeps persona draws apart from sampling draws


def dialogue_specs(conditions: Sequence[Condition], n_dialogues: int, seed: int) -> list[DialogueSpec]:
    """All dialogues of a run, in a fixed order: replicate-major, so conditions interleave."""
    return [
        DialogueSpec(f"{cond.label}-{rep:05d}", cond, rep, seed) for rep in range(n_dialogues) for cond in conditions
    ]


class PersuasionModel(mesa.Model):
    """Persuasion dialogues whose every utterance and donation is sampled from LLM-verbalized distributions."""

    def __init__(
        self,
        scenario: Scenario,
        conditions: Sequence[Condition],
        n_dialogues: int = 1,
        *,
        rng: int = 0,
        runtime: LLMRuntime | None = None,
        llm_settings: LLMSettings | None = None,
        max_active: int = 16,
        run_id: str | None = None,
        specs: Iterable[DialogueSpec] | None = None,
        on_dialogue_done: Callable[[Dialogue], None] | None = None,
        max_parse_attempts: int = 3,
        persona_pools: tuple[PersonaPool | None, PersonaPool | None] | None = None,
    ) -> None:
        if not isinstance(rng, int | np.integer):
            raise TypeError("rng must be an integer seed, so that runs can be replayed and resumed")
        super().__init__(rng=int(rng))
        self.seed = int(rng)
        self.scenario = scenario
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.max_active = max_active
        self.max_parse_attempts = max_parse_attempts
        self._owns_runtime = runtime is None
        self.runtime = runtime or LLMRuntime(llm_settings or LLMSettings())
        self.llm: ChatModel = self.runtime.stack.model
        self.model_name = self.runtime.stack.model_name
        if persona_pools is None:
            persona_pools = (persona_pool(scenario.personas, "persuadee"), persona_pool(scenario.personas, "persuader"))
        self._persuadee_pool, self._persuader_pool = persona_pools
        queue = list(specs) if specs is not None else dialogue_specs(conditions, n_dialogues, self.seed)
        self._queue = queue[::-1]  # pop() from the end = admission in spec order
        self.n_total = len(queue)
        self.on_dialogue_done = on_dialogue_done
        self.finished_dialogues: list[Dialogue] = []  # kept only when there is no on_dialogue_done
        self.n_finished = 0
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "active_dialogues": lambda m: len(m.agents_by_type.get(Persuadee, [])),
                "share_agreeing": lambda m: m.share_with_stance("agree"),
                "mean_stated_amount": lambda m: m.mean_stated_amount(),
                "finished_dialogues": "n_finished",
            },
            agent_reporters={
                "dialogue_id": lambda a: a.dialogue.dialogue_id,
                "stance": lambda a: getattr(a, "stance", None),
                "stated_amount": lambda a: getattr(a, "stated_amount", None),
                "strategy": lambda a: getattr(a, "strategy", None),
            },
        )
        self.running = self.n_total > 0
        if not self.running:
            self.close()

    # --- the turn loop -----------------------------------------------------------------------------
    def step(self) -> None:
        """One turn of every active dialogue (admitting queued ones first)."""
        if not self.running:
            return
        self._admit()
        self._run_all(self._live(Persuader), "speak")
        self._run_all(self._live(Persuadee), "reply")
        deciding = []
        for persuadee in self._live(Persuadee):
            dialogue = persuadee.dialogue
            dialogue.turn += 1
            if self._reached_end(dialogue, persuadee):
                deciding.append(persuadee)
        self._run_all(AgentSet(deciding, random=self.random), "decide_donation")
        for persuadee in deciding:
            persuadee.dialogue.finished = True
        self.datacollector.collect(self)
        self._retire_finished()
        if not self._queue and not len(self.agents_by_type.get(Persuadee, [])):
            self.running = False
            self.close()

    def run_to_end(self, progress: Callable[[int], None] | None = None) -> None:
        """Step until every dialogue has finished; ``progress(n)`` is told how many finished per step."""
        try:
            while self.running:
                before = self.n_finished
                self.step()
                if progress is not None:
                    progress(self.n_finished - before)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the LLM runtime if this model started it (idempotent)."""
        if self._owns_runtime:
            self.runtime.close()

    # --- reporters -----------------------------------------------------------------------------------
    def share_with_stance(self, stance: str) -> float | None:
        stances = [a.stance for a in self.agents_by_type.get(Persuadee, []) if a.stance is not None]
        return (sum(s == stance for s in stances) / len(stances)) if stances else None

    def mean_stated_amount(self) -> float | None:
        amounts = [a.stated_amount for a in self.agents_by_type.get(Persuadee, []) if a.stated_amount is not None]
        return float(np.mean(amounts)) if amounts else None

    # --- internals -------------------------------------------------------------------------------------
    def _live(self, agent_type: type[mesa.Agent]) -> AgentSet:
        agents = self.agents_by_type.get(agent_type)
        if agents is None:
            return AgentSet([], random=self.random)
        return agents.select(lambda a: not a.dialogue.finished)

    def _run_all(self, agents: AgentSet, method: str) -> None:
        """Call an async agent method on every agent, all LLM calls in flight together."""
        if not len(agents):
            return
        results = self.runtime.gather(agents.map(method))
        for result in results:
            # LLM failures are handled inside the agents; anything else is a bug and must surface.
            if isinstance(result, BaseException) and not isinstance(result, LLMError):
                raise result

    def _reached_end(self, dialogue: Dialogue, persuadee: Persuadee) -> bool:
        if dialogue.finished:
            return False
        if dialogue.turn >= self.scenario.turns.max_turns:
            return True
        return (
            self.scenario.turns.end_condition == "commitment"
            and persuadee.stance == "agree"
            and persuadee.stated_amount is not None
        )

    def _admit(self) -> None:
        room = self.max_active - len(self.agents_by_type.get(Persuadee, []))
        batch = [self._queue.pop() for _ in range(min(room, len(self._queue)))]
        if not batch:
            return
        dialogues = [self._new_dialogue(spec) for spec in batch]
        Persuader.create_agents(self, len(dialogues), dialogue=dialogues)
        Persuadee.create_agents(self, len(dialogues), dialogue=dialogues)

    def _new_dialogue(self, spec: DialogueSpec) -> Dialogue:
        persona_rng = np.random.default_rng([spec.seed, spec.replicate, _PERSONA_STREAM])
        persona = self._persuadee_pool.draw(persona_rng) if self._persuadee_pool else NO_PERSONA
        persuader_persona = self._persuader_pool.draw(persona_rng) if self._persuader_pool else NO_PERSONA
        condition_stream = zlib.crc32(spec.condition.label.encode())
        return Dialogue(
            spec=spec,
            run_id=self.run_id,
            model_name=self.model_name,
            persona=persona,
            persuader_persona=persuader_persona,
            rng=np.random.default_rng([spec.seed, spec.replicate, condition_stream]),
        )

    def _retire_finished(self) -> None:
        for persuadee in list(self.agents_by_type.get(Persuadee, [])):
            if not persuadee.dialogue.finished:
                continue
            dialogue = persuadee.dialogue
            for agent in [a for a in self.agents_by_type[Persuader] if a.dialogue is dialogue] + [persuadee]:
                agent.remove()
            self.n_finished += 1
            if self.on_dialogue_done is not None:
                self.on_dialogue_done(dialogue)
            else:
                self.finished_dialogues.append(dialogue)
