"""The state of one dialogue: who takes part, what was said, where it stands, how it ended.

A :class:`Dialogue` is the one place a dialogue's state lives.  The Mesa agents read it (a persuadee's
stance and stated amount, a persuader's strategy) and change it only through its methods;
:meth:`Dialogue.advance` owns the turn counter and the end condition.  Output rows are built apart from
the state, by :class:`~simsocial.sim.recorder.DialogueRecorder`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simsocial.contract import STATUS_DEGRADED, STATUS_FAILED, STATUS_OK
from simsocial.llm.errors import redact
from simsocial.sim.personas import Persona
from simsocial.sim.scenario import Turns
from simsocial.vs import MethodConfig


@dataclass(frozen=True)
class Condition:
    """One experimental condition: the method each choice uses, and its table label."""

    label: str
    persuader: MethodConfig
    persuadee: MethodConfig
    donation: MethodConfig


@dataclass(frozen=True)
class DialogueSpec:
    """Everything that identifies a dialogue before it runs (enough to re-run it identically)."""

    dialogue_id: str
    condition: Condition
    replicate: int
    seed: int
    # Who takes part, when the caller decides (a campaign's network nodes); None: drawn from the scenario's
    # persona pools by (seed, replicate), as in ``simsocial run``.
    persona: Persona | None = None
    persuader_persona: Persona | None = None


@dataclass(frozen=True)
class Utterance:
    """One message of the transcript."""

    turn: int
    role: str  # "persuader" | "persuadee"
    speaker: str  # the role's display name in the scenario
    text: str
    label: str | None
    stated_amount: float | None = None


@dataclass
class Dialogue:
    """Mutable state of one running dialogue."""

    spec: DialogueSpec
    run_id: str
    model_name: str
    persona: Persona
    persuader_persona: Persona
    rng: np.random.Generator
    transcript: list[Utterance] = field(default_factory=list)
    turn: int = 0  # turns completed (a turn = persuader message + persuadee reply)
    stances: list[str | None] = field(default_factory=list)
    last_stated_amount: float | None = None
    final_donation: float | None = None
    status: str = STATUS_OK
    finished: bool = False
    error: str | None = None
    donation_maximum: float = 2.0  # the scenario's donation.maximum: caps in_dialogue_donation
    paper_protocol: bool = False  # protocol: paper — amounts are read from the text, cents uncapped (as the paper)

    @property
    def dialogue_id(self) -> str:
        return self.spec.dialogue_id

    @property
    def stance(self) -> str | None:
        """The persuadee's stance in its latest reply (None before it has replied)."""
        return self.stances[-1] if self.stances else None

    @property
    def strategy(self) -> str | None:
        """The strategy label of the persuader's latest message (None before it has spoken)."""
        said = [u for u in self.transcript if u.role == "persuader"]
        return said[-1].label if said else None

    def add_message(self, speaker: str, text: str, strategy: str | None) -> None:
        """The persuader's sampled message joins the transcript."""
        self.transcript.append(Utterance(self.turn, "persuader", speaker, text, strategy))

    def add_reply(self, speaker: str, text: str, stance: str | None, amount: float | None) -> None:
        """The persuadee's sampled reply joins the transcript; its stance and any stated amount become state.

        A reply that states no amount leaves the amount stated before in place (people rarely repeat it).
        """
        self.stances.append(stance)
        if amount is not None:
            self.last_stated_amount = amount
        self.transcript.append(Utterance(self.turn, "persuadee", speaker, text, stance, amount))

    def advance(self, turns: Turns) -> bool:
        """Count one completed turn; True when the dialogue has reached its end and the persuadee decides.

        The end is ``turns.max_turns`` turns, or — with ``end_condition: commitment`` — a reply that agrees
        and names an amount.
        """
        self.turn += 1
        if self.turn >= turns.max_exchanges:  # 10 utterances (the paper's unit) are 5 exchanges
            return True
        return turns.end_condition == "commitment" and self.stance == "agree" and self.last_stated_amount is not None

    def decide(self, amount: float | None) -> None:
        """The private decision is made (``None``: it failed, and :meth:`fail` has said why); the dialogue ends."""
        if amount is not None:
            self.final_donation = float(amount)
        self.finished = True

    def fail(self, status: str, error: str) -> None:
        """End the dialogue early, marked — never shortened silently."""
        self.status = STATUS_FAILED if status == STATUS_FAILED else STATUS_DEGRADED
        self.error = redact(error)  # the error column is stored: no key in use may reach it
        self.finished = True
