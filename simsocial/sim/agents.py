"""The two Mesa agents of a persuasion dialogue.

Each agent belongs to one :class:`~simsocial.sim.dialogue.Dialogue`.  Every choice it makes — the next
message, the next reply, the final donation — is sampled from a distribution the LLM verbalized, with
the dialogue's own seeded generator.  The sampled candidate becomes the utterance; its label (strategy or
stance) becomes the agent's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from simsocial.contract import STATUS_DEGRADED, STATUS_FAILED
from simsocial.elicit import elicit
from simsocial.llm.errors import LLMError
from simsocial.sim.dialogue import Dialogue, Utterance
from simsocial.sim.queries import (
    AMOUNT_FIELD,
    STANCE_FIELD,
    STRATEGY_FIELD,
    donation_query,
    persuadee_query,
    persuader_query,
)
from simsocial.vs import Candidate, MethodConfig, Query

if TYPE_CHECKING:
    from simsocial.sim.model import PersuasionModel


class DialogueAgent(mesa.Agent):
    """Shared machinery: ask, sample, record; a failure ends the dialogue, marked."""

    model: PersuasionModel
    role = "participant"

    def __init__(self, model: PersuasionModel, dialogue: Dialogue) -> None:
        super().__init__(model)
        self.dialogue = dialogue

    async def _choose(
        self, query: Query, config: MethodConfig, kind: str, label_field: str | None, usable=None, llm=None
    ) -> Candidate | None:
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
        dialogue.record(result, self.role, kind, label_field)
        if result.chosen is None:
            dialogue.fail(STATUS_DEGRADED, f"{self.role} {kind} unparseable after {result.attempts} attempts")
        return result.chosen


class Persuader(DialogueAgent):
    """Asks for the donation; each message is labelled with the persuasion strategy it uses."""

    role = "persuader"

    def __init__(self, model: PersuasionModel, dialogue: Dialogue) -> None:
        super().__init__(model, dialogue)
        self.strategy: str | None = None

    async def speak(self) -> None:
        """Sample the next message and add it to the transcript."""
        scenario = self.model.scenario
        chosen = await self._choose(
            persuader_query(scenario, self.dialogue), self.dialogue.spec.condition.persuader,
            "utterance", STRATEGY_FIELD, llm=self.model.persuader_llm,
        )  # fmt: skip
        if chosen is None:
            return
        self.strategy = chosen.get(STRATEGY_FIELD)
        self.dialogue.transcript.append(
            Utterance(self.dialogue.turn, self.role, scenario.persuader.name, chosen.text, self.strategy)
        )


class Persuadee(DialogueAgent):
    """Is asked to donate; each reply carries a stance and maybe a stated amount; decides privately at the end."""

    role = "persuadee"

    def __init__(self, model: PersuasionModel, dialogue: Dialogue) -> None:
        super().__init__(model, dialogue)
        self.stance: str | None = None
        self.stated_amount: float | None = None

    async def reply(self) -> None:
        """Sample the next reply; its stance becomes this agent's state."""
        scenario = self.model.scenario
        chosen = await self._choose(
            persuadee_query(scenario, self.dialogue), self.dialogue.spec.condition.persuadee,
            "utterance", STANCE_FIELD,
        )  # fmt: skip
        if chosen is None:
            return
        self.stance = chosen.get(STANCE_FIELD)
        amount = chosen.get(AMOUNT_FIELD)
        if amount is not None:
            self.stated_amount = amount
            self.dialogue.last_stated_amount = amount
        self.dialogue.stances.append(self.stance)
        self.dialogue.transcript.append(
            Utterance(self.dialogue.turn, self.role, scenario.persuadee.name, chosen.text, self.stance, amount)
        )

    async def decide_donation(self) -> None:
        """The private decision: an amount sampled from the verbalized distribution over the grid."""
        chosen = await self._choose(
            donation_query(self.model.scenario, self.dialogue), self.dialogue.spec.condition.donation,
            "donation", None, usable=lambda c: c.get(AMOUNT_FIELD) is not None,
        )  # fmt: skip
        if chosen is not None:
            self.dialogue.final_donation = float(chosen.get(AMOUNT_FIELD))
