"""The two Mesa agents of a persuasion dialogue.

Each agent belongs to one :class:`~simsocial.sim.dialogue.Dialogue` and reads its state from it (the
persuadee's stance and stated amount, the persuader's strategy): there are no copies on the agents.
Every choice an agent makes — the next message, the next reply, the final donation — is sampled from a
distribution the LLM verbalized, with the dialogue's own seeded generator, and recorded by the dialogue's
:class:`~simsocial.sim.recorder.DialogueRecorder`.  The order of a turn lives in
:func:`simsocial.sim.turn.play_turn`.
"""

from __future__ import annotations

from typing import Protocol

import mesa

from simsocial.contract import STATUS_DEGRADED, STATUS_FAILED
from simsocial.elicit import CandidateCheck, elicit
from simsocial.llm.base import ChatModel
from simsocial.llm.errors import LLMError
from simsocial.sim import paper_queries
from simsocial.sim.dialogue import Dialogue
from simsocial.sim.queries import (
    AMOUNT_FIELD,
    STANCE_FIELD,
    STRATEGY_FIELD,
    donation_query,
    persuadee_query,
    persuader_query,
)
from simsocial.sim.recorder import DialogueRecorder
from simsocial.sim.scenario import Scenario
from simsocial.vs import Candidate, MethodConfig, Query


class DialogueHost(Protocol):
    """What an agent reads of its model (a :class:`~simsocial.sim.model.PersuasionModel`, which imports this
    module: naming the protocol here keeps the import one way)."""

    scenario: Scenario
    llm: ChatModel  # the persuadee's and the donation's endpoint
    persuader_llm: ChatModel  # the persuader's own endpoint, or the same as ``llm``
    max_parse_attempts: int


class DialogueAgent(mesa.Agent):
    """Shared machinery: ask, sample, record; a failure ends the dialogue, marked."""

    model: DialogueHost
    role = "participant"

    def __init__(self, model: DialogueHost, dialogue: Dialogue, recorder: DialogueRecorder) -> None:
        super().__init__(model)
        self.dialogue = dialogue
        self.recorder = recorder

    async def _choose(
        self, query: Query, config: MethodConfig, kind: str, label_field: str | None,
        usable: CandidateCheck | None = None, llm: ChatModel | None = None,
    ) -> Candidate | None:  # fmt: skip
        dialogue = self.dialogue
        call_key = f"{dialogue.dialogue_id}/t{dialogue.turn}/{self.role}/{kind}"
        try:
            result = await elicit(
                llm or self.model.llm, config, query, dialogue.rng, call_key,
                max_parse_attempts=self.model.max_parse_attempts, usable=usable,
            )  # fmt: skip
        except LLMError as exc:
            dialogue.fail(STATUS_FAILED, str(exc))
            return None
        self.recorder.choice(result, self.role, kind, label_field)
        if result.chosen is None:
            dialogue.fail(STATUS_DEGRADED, f"{self.role} {kind} unparseable after {result.attempts} attempts")
        return result.chosen


class Persuader(DialogueAgent):
    """Asks for the donation; each message is labelled with the persuasion strategy it uses."""

    role = "persuader"

    @property
    def strategy(self) -> str | None:
        """The strategy of this persuader's latest message."""
        return self.dialogue.strategy

    async def speak(self) -> None:
        """Sample the next message and add it to the transcript."""
        scenario = self.model.scenario
        chosen = await self._choose(
            persuader_query(scenario, self.dialogue), self.dialogue.spec.condition.persuader,
            "utterance", STRATEGY_FIELD, llm=self.model.persuader_llm,
        )  # fmt: skip
        if chosen is not None:
            self.dialogue.add_message(scenario.persuader.name, chosen.text, chosen.get(STRATEGY_FIELD))


class Persuadee(DialogueAgent):
    """Is asked to donate; each reply carries a stance and maybe a stated amount; decides privately at the end."""

    role = "persuadee"

    @property
    def stance(self) -> str | None:
        """The stance of this persuadee's latest reply."""
        return self.dialogue.stance

    @property
    def stated_amount(self) -> float | None:
        """The last amount this persuadee stated in the dialogue."""
        return self.dialogue.last_stated_amount

    async def reply(self) -> None:
        """Sample the next reply; its stance and any stated amount become the dialogue's state."""
        scenario = self.model.scenario
        chosen = await self._choose(
            persuadee_query(scenario, self.dialogue), self.dialogue.spec.condition.persuadee,
            "utterance", STANCE_FIELD,
        )  # fmt: skip
        if chosen is None:
            return
        amount = chosen.get(AMOUNT_FIELD)
        if scenario.paper_protocol:  # the paper's stated amount: read from the text (persuasion.py:274-302)
            amount = paper_queries.stated_amount(chosen.text)
        self.dialogue.add_reply(scenario.persuadee.name, chosen.text, chosen.get(STANCE_FIELD), amount)

    async def decide_donation(self) -> None:
        """The private decision: an amount sampled from the verbalized distribution over the grid."""
        chosen = await self._choose(
            donation_query(self.model.scenario, self.dialogue), self.dialogue.spec.condition.donation,
            "donation", None, usable=lambda c: c.get(AMOUNT_FIELD) is not None,
        )  # fmt: skip
        self.dialogue.decide(chosen.get(AMOUNT_FIELD) if chosen is not None else None)
