"""PersuasionModel: many persuasion dialogues run as one Mesa model.

    import simsocial
    scenario = simsocial.load_scenario("scenarios/persuasion_for_good.yaml", max_turns=3)
    model = simsocial.PersuasionModel(scenario, n_dialogues=4, methods=["direct", "vs_standard"], rng=7,
                                      llm=simsocial.LLMSettings(base_url=URL, model=NAME))
    model.step()                                    # one turn of every live dialogue
    model.datacollector.get_model_vars_dataframe()  # one row per step
    model.run_model()                               # Mesa's own loop: step while model.running
    model.dialogues_frame()                         # the dialogues.parquet columns

Each dialogue has a :class:`~simsocial.sim.agents.Persuader` and a :class:`~simsocial.sim.agents.Persuadee`
sharing one :class:`~simsocial.sim.dialogue.Dialogue`.  :meth:`PersuasionModel.step` plays one turn of every
live dialogue (:func:`~simsocial.sim.turn.play_turn`, all LLM calls in flight together), collects, then
retires finished dialogues (to ``on_dialogue_done``) and admits queued ones, so at most ``max_active``
dialogues are in memory at once.  Large runs use the free-running driver
(:mod:`simsocial.sim.scheduler`): the same turn function, but each dialogue advances as soon as its last
answer arrives.  Both give identical dialogues: a dialogue's choices depend only on its own generator.

Randomness: ``rng`` seeds the model (``mesa.Model``); every dialogue draws from its own generator derived
from that seed, its replicate and its condition, so a dialogue replays identically whatever the driver,
the concurrency, the admission order or an interrupted-and-resumed batch.  The persona of replicate *r* is
the same in every condition (common random numbers: Direct and VS meet the same people).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import mesa
import numpy as np
import pandas as pd

from simsocial.llm.base import ChatModel
from simsocial.llm.errors import LLMError
from simsocial.llm.runtime import InlineRuntime, LLMRuntime, Runtime
from simsocial.llm.settings import LLMSettings
from simsocial.rundir.frames import rows_frame
from simsocial.sim.agents import Persuadee, Persuader
from simsocial.sim.conditions import check_protocol, parse_condition, scenario_condition
from simsocial.sim.dialogue import Condition, Dialogue, DialogueSpec
from simsocial.sim.personas import NO_PERSONA, PersonaPool, persona_pool
from simsocial.sim.recorder import DialogueRecorder
from simsocial.sim.scenario import Scenario
from simsocial.sim.turn import play_turn

_PERSONA_STREAM = 0x5EED  # keeps persona draws apart from sampling draws

Pair = tuple[Persuader, Persuadee]


def dialogue_specs(conditions: Sequence[Condition], n_dialogues: int, seed: int) -> list[DialogueSpec]:
    """All dialogues of a run, in a fixed order: replicate-major, so conditions interleave."""
    return [
        DialogueSpec(f"{cond.label}-{rep:05d}", cond, rep, seed) for rep in range(n_dialogues) for cond in conditions
    ]


def default_run_id(scenario: Scenario, seed: int) -> str:
    """The run id ``simsocial run --seed S`` writes (the model uses it too, so both write the same rows)."""
    return f"{scenario.name}-s{seed}"


#: Each agent's record per step (a dialogue's persuader and persuadee alike).
AGENT_REPORTERS: dict[str, Any] = {
    "dialogue_id": lambda a: a.dialogue.dialogue_id,
    "stance": lambda a: getattr(a, "stance", None),
    "stated_amount": lambda a: getattr(a, "stated_amount", None),
    "strategy": lambda a: getattr(a, "strategy", None),
}


class PersuasionModel(mesa.Model):
    """Persuasion dialogues whose every utterance and donation is sampled from LLM-verbalized distributions.

    ``methods`` (``--method`` strings) or ``conditions`` name the conditions (default: the scenario's own);
    ``n_dialogues`` per condition.  ``llm`` is :class:`~simsocial.llm.factory.LLMSettings` (the stack is
    opened on a loop thread, the embedded server started if no ``base_url``; closed when the model ends) or
    a ready :class:`~simsocial.llm.base.ChatModel` (run in the calling thread: no thread, no server).
    ``runtime`` shares an already open runtime instead.  ``on_dialogue_done`` receives each finished
    dialogue's :class:`~simsocial.sim.recorder.DialogueRecorder`; without it they are kept in
    ``finished_dialogues``.
    """

    def __init__(
        self,
        scenario: Scenario,
        conditions: Sequence[Condition] | None = None,
        n_dialogues: int = 1,
        *,
        methods: Sequence[str] | None = None,
        rng: int = 0,
        llm: LLMSettings | ChatModel | None = None,
        runtime: Runtime | None = None,
        llm_settings: LLMSettings | None = None,
        max_active: int = 16,
        run_id: str | None = None,
        specs: Iterable[DialogueSpec] | None = None,
        on_dialogue_done: Callable[[DialogueRecorder], None] | None = None,
        max_parse_attempts: int = 3,
        persona_pools: tuple[PersonaPool | None, PersonaPool | None] | None = None,
        collect_agents: bool = True,
        admit: Callable[[DialogueSpec], bool | None] | None = None,
    ) -> None:
        if not isinstance(rng, int | np.integer):
            raise TypeError("rng must be an integer seed, so that runs can be replayed and resumed")
        super().__init__(rng=int(rng))
        self.seed = int(rng)
        self.scenario = scenario
        if conditions is None:
            conditions = [parse_condition(m, scenario) for m in methods] if methods else [scenario_condition(scenario)]
        self.conditions = [check_protocol(scenario, c) for c in conditions]
        self.run_id = run_id or default_run_id(scenario, self.seed)
        self.max_active = max_active
        self.max_parse_attempts = max_parse_attempts
        self._owns_runtime = runtime is None
        self.runtime: Runtime = runtime or _open_runtime(llm if llm is not None else llm_settings)
        self.llm: ChatModel = self.runtime.stack.model
        self.persuader_llm: ChatModel = self.runtime.persuader_stack.model  # its own endpoint, if it has one
        self.model_name = self.runtime.stack.model_name
        if persona_pools is None:
            persona_pools = (persona_pool(scenario.personas, "persuadee"), persona_pool(scenario.personas, "persuader"))
        self._persuadee_pool, self._persuader_pool = persona_pools
        queue = list(specs) if specs is not None else dialogue_specs(self.conditions, n_dialogues, self.seed)
        self._queue = queue[::-1]  # pop() from the end = admission in spec order
        self.n_total = len(queue)
        self._may_admit = admit  # a budget: once it says no, the queued dialogues are dropped (run incomplete)
        self.on_dialogue_done = on_dialogue_done
        self.finished_dialogues: list[DialogueRecorder] = []  # kept only when there is no on_dialogue_done
        self.n_finished = 0
        self.pairs: dict[str, Pair] = {}  # live dialogues' agents, in admission order
        # Agent records grow with every dialogue and turn; a long batch, which writes everything it needs to
        # parquet anyway, switches them off to keep memory flat.
        self.datacollector = mesa.DataCollector(
            model_reporters=self.model_reporters(), agent_reporters=AGENT_REPORTERS if collect_agents else None
        )
        self.running = self.n_total > 0
        if not self.running:
            self.close()

    def step(self) -> None:
        """One turn of every live dialogue (admitting queued ones first), all LLM calls in flight together."""
        if not self.running:
            return
        self._admit()
        self._play_all([play_turn(*pair) for pair in self.pairs.values()])
        self.datacollector.collect(self)
        for pair in [p for p in self.pairs.values() if p[0].dialogue.finished]:
            self.deliver(self.retire(pair))
        if not self._queue and not self.pairs:
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
        """Stop the LLM runtime if this model opened it (idempotent)."""
        if self._owns_runtime:
            self.runtime.close()

    # --- dialogues in and out (shared by both drivers) ---------------------------------------------------
    def has_queued(self) -> bool:
        """Dialogues wait to be admitted."""
        return bool(self._queue)

    def admit_next(self) -> Pair | None:
        """Start the next queued dialogue: its state, its recorder and its two agents.

        None when a budget (``admit=``) refuses it: the queue is then dropped and the run is incomplete.
        The budget is asked exactly once per admitted dialogue, since asking reserves its cost.
        """
        if not self._admission_allowed():
            return None
        dialogue = self._new_dialogue(self._queue.pop())
        recorder = DialogueRecorder(dialogue)
        pair = (Persuader(self, dialogue, recorder), Persuadee(self, dialogue, recorder))
        self.pairs[dialogue.dialogue_id] = pair
        return pair

    def retire(self, pair: Pair) -> DialogueRecorder:
        """Remove a finished dialogue's agents; its recorder is returned for :meth:`deliver`."""
        persuader, persuadee = pair
        del self.pairs[persuader.dialogue.dialogue_id]
        persuader.remove()
        persuadee.remove()
        self.n_finished += 1
        return persuadee.recorder

    def deliver(self, recorder: DialogueRecorder) -> None:
        """Hand a finished dialogue to ``on_dialogue_done``, or keep it in ``finished_dialogues``."""
        if self.on_dialogue_done is not None:
            self.on_dialogue_done(recorder)
        else:
            self.finished_dialogues.append(recorder)

    # --- reporters and frames ----------------------------------------------------------------------------
    # A step collects before it retires the dialogues that finished in it (so their last turn is in the
    # step's stances and agent rows): the counts below must not take those for still talking.
    def model_reporters(self) -> dict[str, Any]:
        """What the model reports each step (its DataCollector's columns); the Mesa batch-run and live-view
        subclasses add their own columns beside these, so one definition serves all three."""
        return {
            "active_dialogues": lambda m: m.active_count(),
            "share_agreeing": lambda m: m.share_with_stance("agree"),
            "mean_stated_amount": lambda m: m.mean_stated_amount(),
            "finished_dialogues": lambda m: m.finished_count(),
        }

    def active_count(self) -> int:
        """Dialogues still talking: in play and not finished."""
        return sum(not persuader.dialogue.finished for persuader, _ in self.pairs.values())

    def finished_count(self) -> int:
        """Dialogues finished so far: retired, plus those that finished this step and are not yet retired."""
        return self.n_finished + len(self.pairs) - self.active_count()

    def share_with_stance(self, stance: str) -> float | None:
        """Share of live persuadees whose latest reply has ``stance`` (None before anyone replied)."""
        stances = [p.stance for _, p in self.pairs.values() if p.stance is not None]
        return (sum(s == stance for s in stances) / len(stances)) if stances else None

    def mean_stated_amount(self) -> float | None:
        """Mean of the live persuadees' last stated amounts (None if nobody stated one)."""
        amounts = [p.stated_amount for _, p in self.pairs.values() if p.stated_amount is not None]
        return float(np.mean(amounts)) if amounts else None

    def recorders(self) -> list[DialogueRecorder]:
        """Finished dialogues kept by the model, then the live ones (partial rows)."""
        return self.finished_dialogues + [p.recorder for _, p in self.pairs.values()]

    def dialogues_frame(self) -> pd.DataFrame:
        """The ``dialogues.parquet`` columns for the dialogues this model holds (finished, then live)."""
        return rows_frame("dialogues", [r.dialogue_row() for r in self.recorders()])

    def turns_frame(self) -> pd.DataFrame:
        """The ``turns.parquet`` columns: every sampled choice so far."""
        return rows_frame("turns", [row for r in self.recorders() for row in r.turn_rows])

    def candidates_frame(self) -> pd.DataFrame:
        """The ``candidates.parquet`` columns: every verbalized candidate so far."""
        return rows_frame("candidates", [row for r in self.recorders() for row in r.candidate_rows])

    def raw_answers_frame(self) -> pd.DataFrame:
        """The ``raw_answers.parquet`` columns: every answer the endpoint gave so far, unparsed."""
        return rows_frame("raw_answers", [row for r in self.recorders() for row in r.raw_rows])

    # --- internals -----------------------------------------------------------------------------------------
    def _play_all(self, turns: list) -> None:
        for result in self.runtime.gather(turns):
            # LLM failures are handled inside the agents; anything else is a bug and must surface.
            if isinstance(result, BaseException) and not isinstance(result, LLMError):
                raise result

    def _admit(self) -> None:
        while len(self.pairs) < self.max_active and self.has_queued() and self.admit_next() is not None:
            pass

    def _admission_allowed(self) -> bool:
        verdict = True if self._may_admit is None else self._may_admit(self._queue[-1])
        if verdict is None:  # a budget said "not yet": asked again once a dialogue in flight has finished
            return False
        if not verdict:
            self._queue.clear()  # a budget said no: the rest are left for a later resume (the run is incomplete)
        return bool(verdict)

    def _new_dialogue(self, spec: DialogueSpec) -> Dialogue:
        persona_rng = np.random.default_rng([spec.seed, spec.replicate, _PERSONA_STREAM])
        persona = self._persuadee_pool.draw(persona_rng) if self._persuadee_pool else NO_PERSONA
        persuader_persona = self._persuader_pool.draw(persona_rng) if self._persuader_pool else NO_PERSONA
        persona = spec.persona or persona  # a spec that names its participants (a campaign) keeps them
        persuader_persona = spec.persuader_persona or persuader_persona
        condition_stream = zlib.crc32(spec.condition.label.encode())
        return Dialogue(
            spec=spec,
            run_id=self.run_id,
            model_name=self.model_name,
            persona=persona,
            persuader_persona=persuader_persona,
            rng=np.random.default_rng([spec.seed, spec.replicate, condition_stream]),
            donation_maximum=self.scenario.donation.maximum,
            paper_protocol=self.scenario.paper_protocol,
        )


def _open_runtime(llm: LLMSettings | ChatModel | None) -> Runtime:
    if isinstance(llm, ChatModel):
        return InlineRuntime(llm)
    return LLMRuntime(llm or LLMSettings())
