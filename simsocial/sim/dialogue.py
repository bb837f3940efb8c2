"""The state of one dialogue and its records in the output contract's shape.

A :class:`Dialogue` is plain state (transcript, stances, stated amounts, the donation, counters); the
Mesa agents act on it.  Each sampled choice is recorded with :meth:`Dialogue.record`, which appends one
``turns`` row and one ``candidates`` row per verbalized candidate — what was offered, not only what won.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import entr

from simsocial.contract import STATUS_DEGRADED, STATUS_FAILED, STATUS_OK
from simsocial.elicit import Elicitation
from simsocial.metrics.paper_donation import in_dialogue_donation
from simsocial.metrics.stance import count_mind_changes
from simsocial.sim.personas import Persona
from simsocial.vs import MethodConfig


def shannon_entropy(probabilities: np.ndarray) -> float:
    """Shannon entropy in nats: the arithmetic of ``scipy.stats.entropy`` (so values are identical) without
    its argument handling, which costs ~0.2 ms a call — a third of a batch replayed from the cache."""
    p = np.asarray(probabilities, dtype=float)
    return float(entr(p / p.sum()).sum())


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


@dataclass(frozen=True)
class DialogueRows:
    """A finished dialogue as plain output rows (picklable: what a remote worker sends back to the writer)."""

    dialogue_id: str
    turns: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    dialogue: dict[str, Any]


@dataclass(frozen=True)
class Utterance:
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
    turn_rows: list[dict[str, Any]] = field(default_factory=list)
    candidate_rows: list[dict[str, Any]] = field(default_factory=list)
    n_repairs: int = 0
    n_failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    donation_maximum: float = 2.0  # the scenario's donation.maximum: caps in_dialogue_donation

    @property
    def dialogue_id(self) -> str:
        return self.spec.dialogue_id

    def record(self, elicitation: Elicitation, role: str, kind: str, label_field: str | None) -> None:
        """Append the turns row and candidate rows of one choice, and update the counters."""
        dist = elicitation.distribution
        chosen = elicitation.chosen
        self.prompt_tokens += elicitation.prompt_tokens
        self.completion_tokens += elicitation.completion_tokens
        repairs = list(dist.repairs) if dist is not None else []
        self.n_repairs += len(repairs) + max(0, elicitation.attempts - 1)
        if elicitation.parse_status == "failed":
            self.n_failures += 1
        common = {"run_id": self.run_id, "dialogue_id": self.dialogue_id, "method": self.spec.condition.label,
                  "turn": self.turn, "role": role, "kind": kind}  # fmt: skip
        self.turn_rows.append(
            {
                **common,
                "text": chosen.text if chosen else None,
                "label": chosen.get(label_field) if chosen and label_field else None,
                "stated_amount": chosen.get("amount") if chosen else None,
                "k": dist.k if dist else 0,
                "chosen_index": elicitation.chosen_index,
                "chosen_probability": chosen.probability if chosen else None,
                "entropy": shannon_entropy(dist.probabilities) if dist else None,
                "parse_status": elicitation.parse_status,
                "repairs": repairs + [f"parse_retry:{e}" for e in elicitation.errors],
                "attempts": elicitation.attempts,
                "prompt_tokens": elicitation.prompt_tokens,
                "completion_tokens": elicitation.completion_tokens,
            }
        )
        if dist is None:
            return
        for index, cand in enumerate(dist.candidates):
            self.candidate_rows.append(
                {
                    **common,
                    "index": index,
                    "text": cand.text,
                    "probability": cand.probability,
                    "label": cand.get(label_field) if label_field else None,
                    "stated_amount": cand.get("amount"),
                    "chosen": index == elicitation.chosen_index,
                }
            )

    def fail(self, status: str, error: str) -> None:
        """End the dialogue early, marked — never shortened silently."""
        self.status = STATUS_FAILED if status == STATUS_FAILED else STATUS_DEGRADED
        self.error = error
        self.finished = True

    def dialogue_row(self) -> dict[str, Any]:
        changes = count_mind_changes(self.stances)
        cond = self.spec.condition
        return {
            "run_id": self.run_id,
            "dialogue_id": self.dialogue_id,
            "method": cond.label,
            "persuader_method": cond.persuader.label(),
            "persuadee_method": cond.persuadee.label(),
            "replicate": self.spec.replicate,
            "seed": self.spec.seed,
            "persona_id": self.persona.persona_id,
            "persuader_persona_id": self.persuader_persona.persona_id,
            "model": self.model_name,
            "n_turns": self.turn,
            "final_donation": self.final_donation,
            "in_dialogue_donation": in_dialogue_donation(
                (u.text for u in self.transcript if u.role == "persuadee"), self.donation_maximum
            ),
            "last_stated_amount": self.last_stated_amount,
            "stances": [s if s is not None else "undecided" for s in self.stances],
            "mind_changes": changes.total,
            "ever_refused": "refuse" in self.stances,
            "status": self.status,
            "n_parse_repairs": self.n_repairs,
            "n_parse_failures": self.n_failures,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }

    def rows(self) -> DialogueRows:
        """This dialogue's rows of the three contract tables."""
        return DialogueRows(self.dialogue_id, self.turn_rows, self.candidate_rows, self.dialogue_row())
