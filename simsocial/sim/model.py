"""PersuasionModel: many persuasion dialogues run as one Mesa model.

Each dialogue has a :class:`~simsocial.sim.agents.Persuader` and a :class:`~simsocial.sim.agents.Persuadee`.
One model step is one turn of every active dialogue: all persuaders speak (their LLM calls in flight
together), then all persuadees reply; dialogues that reach their end decide on the donation.  Finished
dialogues are handed to ``on_dialogue_done`` (e.g. a writer) and their agents removed, and queued ones are
admitted, so at most ``max_active`` dialogues are in memory and in flight at once.

Large batches use :meth:`PersuasionModel.run_concurrently` instead of stepping: the same agents and the
same turn logic, but each dialogue advances on its own as soon as its last answer arrives, and a queued
dialogue starts the moment another finishes.  Lock-step turns make every call of a step wait for the
slowest one and keep the CPU idle while all calls are out, then busy while all answers come back at
once; free-running dialogues overlap the two (see benchmarks/concurrency.py).  Both give identical
dialogues: a dialogue's choices depend only on its own generator.

Randomness: ``rng`` seeds the model (``mesa.Model``); every dialogue draws from its own generator derived
from that seed, its replicate and its condition, so a dialogue replays identically whatever the
concurrency, the admission order or an interrupted-and-resumed batch.  The persona of replicate *r* is
the same in every condition (common random numbers: Direct and VS meet the same people).
"""

from __future__ import annotations

import asyncio
import queue
import uuid
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence

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
        collect_agents: bool = True,
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
        self.persuader_llm: ChatModel = self.runtime.persuader_stack.model  # its own endpoint, if it has one
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
            # Agent records grow with every dialogue and turn; a long batch, which writes everything it
            # needs to parquet anyway, switches them off to keep memory flat.
            agent_reporters={
                "dialogue_id": lambda a: a.dialogue.dialogue_id,
                "stance": lambda a: getattr(a, "stance", None),
                "stated_amount": lambda a: getattr(a, "stated_amount", None),
                "strategy": lambda a: getattr(a, "strategy", None),
            }
            if collect_agents
            else None,
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

    def run_concurrently(self, progress: Callable[[int], None] | None = None) -> None:
        """Run every dialogue to its end, each at its own pace (no lock-step turns, no DataCollector steps).

        Finished dialogues go to ``on_dialogue_done`` in this (the calling) thread, as they finish, while
        the others keep running on the LLM runtime's loop; ``progress(n)`` is told as they do.
        """
        try:
            for finished in self.finished_batches():
                for dialogue in finished:
                    if self.on_dialogue_done is not None:
                        self.on_dialogue_done(dialogue)
                    else:
                        self.finished_dialogues.append(dialogue)
                if progress is not None:
                    progress(len(finished))
        finally:
            self.close()

    def finished_batches(self, poll_s: float = 0.5) -> Iterator[list[Dialogue]]:
        """Run every queued dialogue concurrently (at most ``max_active`` at once); yield finished ones.

        Each yield holds the dialogues that finished since the previous one (at least one).  Stopping the
        iteration early (or Ctrl-C) cancels the dialogues still running.
        """
        if not self.running:
            return
        done: queue.SimpleQueue[Dialogue | BaseException | None] = queue.SimpleQueue()
        future = self.runtime.submit(self._run_free(done))
        try:
            while True:
                try:
                    item = done.get(timeout=poll_s)
                except queue.Empty:
                    if future.done():
                        future.result()  # raises what stopped the loop
                        return
                    continue
                batch = [item]
                while True:
                    try:
                        batch.append(done.get_nowait())
                    except queue.Empty:
                        break
                finished = [d for d in batch if isinstance(d, Dialogue)]
                self.n_finished += len(finished)
                if finished:
                    yield finished
                for item in batch:
                    if isinstance(item, BaseException):
                        raise item
                if None in batch:
                    self.running = False
                    return
        finally:
            future.cancel()

    async def _run_free(self, done: queue.SimpleQueue[Dialogue | BaseException | None]) -> None:
        """Play queued dialogues, at most ``max_active`` at once; hand them to ``done`` in admission order.

        Emitting in admission order keeps the output files' row order the same from run to run (a replay
        from the cache writes identical files), at the price of a window: a dialogue may finish up to
        ``4 × max_active`` places ahead of the oldest unfinished one before admission waits for it.
        """
        window: deque[asyncio.Task[Dialogue]] = deque()  # admitted, not yet handed over, oldest first
        running: set[asyncio.Task[Dialogue]] = set()
        try:
            while self._queue or window:
                # Back-pressure: nothing new while the consumer (the writer) lags by max_active, so finished
                # dialogues never pile up in memory however fast the answers come (a replay from the cache).
                while (self._queue and len(running) < self.max_active and len(window) < 4 * self.max_active
                       and done.qsize() < self.max_active):  # fmt: skip
                    task = asyncio.create_task(self._play(self._new_dialogue(self._queue.pop())))
                    window.append(task)
                    running.add(task)
                while window and window[0].done():
                    done.put(window.popleft().result())
                if not running:
                    if self._queue or window:
                        await asyncio.sleep(0.005)  # waiting for the consumer
                    continue
                finished, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    task.result()  # LLM failures are handled in the agents; anything else is a bug: raise it now
            done.put(None)
        except BaseException as exc:
            for task in window:
                task.cancel()
            done.put(exc)
            raise

    async def _play(self, dialogue: Dialogue) -> Dialogue:
        """One dialogue from first message to donation: the turn logic of :meth:`step`, for one dialogue."""
        persuader = Persuader(self, dialogue)
        persuadee = Persuadee(self, dialogue)
        try:
            while not dialogue.finished:
                await persuader.speak()
                if dialogue.finished:
                    break
                await persuadee.reply()
                if dialogue.finished:
                    break
                dialogue.turn += 1
                if self._reached_end(dialogue, persuadee):
                    await persuadee.decide_donation()
                    dialogue.finished = True
        finally:
            persuader.remove()
            persuadee.remove()
        return dialogue

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
        if dialogue.turn >= self.scenario.turns.max_exchanges:
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
            donation_maximum=self.scenario.donation.maximum,
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
