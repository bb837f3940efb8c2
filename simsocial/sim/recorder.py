"""A dialogue's rows in the output contract's shape, built as its choices are made.

The :class:`DialogueRecorder` of a dialogue appends one ``turns`` row per sampled choice, one
``candidates`` row per verbalized candidate — what was offered, not only what won — and one
``raw_answers`` row per answer the endpoint gave (unparsed, for audit), and keeps the
counters the ``dialogues`` row reports (repairs, failures, tokens).  The dialogue's state stays in
:class:`~simsocial.sim.dialogue.Dialogue`; the recorder only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simsocial.elicit import Elicitation
from simsocial.metrics.paper_donation import in_dialogue_donation
from simsocial.metrics.stance import count_mind_changes
from simsocial.rundir.writer import DialogueRows
from simsocial.sim.dialogue import Dialogue

__all__ = ["DialogueRecorder", "DialogueRows"]


@dataclass
class DialogueRecorder:
    """The output rows of one dialogue; :meth:`choice` is called once per sampled choice."""

    dialogue: Dialogue
    turn_rows: list[dict[str, Any]] = field(default_factory=list)
    candidate_rows: list[dict[str, Any]] = field(default_factory=list)
    raw_rows: list[dict[str, Any]] = field(default_factory=list)
    n_repairs: int = 0
    n_failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def dialogue_id(self) -> str:
        return self.dialogue.dialogue_id

    def choice(self, elicitation: Elicitation, role: str, kind: str, label_field: str | None) -> None:
        """Append the turns row and candidate rows of one choice, and update the counters."""
        dialogue = self.dialogue
        dist = elicitation.distribution
        chosen = elicitation.chosen
        self.prompt_tokens += elicitation.prompt_tokens
        self.completion_tokens += elicitation.completion_tokens
        repairs = elicitation.repairs
        self.n_repairs += len(elicitation.substantive_repairs) + max(0, elicitation.attempts - 1)
        if elicitation.parse_status == "failed":
            self.n_failures += 1
        common = {
            "run_id": dialogue.run_id,
            "dialogue_id": dialogue.dialogue_id,
            "method": dialogue.spec.condition.label,
            "turn": dialogue.turn,
            "role": role,
            "kind": kind,
        }
        self.turn_rows.append(
            {
                **common,
                "text": chosen.text if chosen else None,
                "label": chosen.get(label_field) if chosen and label_field else None,
                "stated_amount": chosen.get("amount") if chosen else None,
                "k": dist.k if dist else 0,
                "chosen_index": elicitation.chosen_index,
                "chosen_probability": chosen.probability if chosen else None,
                "entropy": dist.entropy() if dist else None,
                "parse_status": elicitation.parse_status,
                "repairs": repairs + [f"parse_retry:{e}" for e in elicitation.errors],
                "attempts": elicitation.attempts,
                "prompt_tokens": elicitation.prompt_tokens,
                "completion_tokens": elicitation.completion_tokens,
                "distribution_invented": elicitation.distribution_invented,
            }
        )
        self._raw(elicitation, common)
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

    def _raw(self, elicitation: Elicitation, common: dict[str, Any]) -> None:
        errors = elicitation.errors  # attempts 1..len(errors) failed, in order; a later one was used
        for raw in elicitation.raw_answers:
            self.raw_rows.append(
                {
                    **common,
                    "attempt": raw.attempt,
                    "call": raw.call,
                    "reasked": raw.reasked,
                    "finish_reason": raw.finish_reason,
                    "text": raw.text,
                    "parse_error": errors[raw.attempt - 1] if raw.attempt <= len(errors) else None,
                }
            )

    def dialogue_row(self) -> dict[str, Any]:
        """The dialogue's ``dialogues.parquet`` row, from its state and this recorder's counters."""
        dialogue = self.dialogue
        cond = dialogue.spec.condition
        return {
            "run_id": dialogue.run_id,
            "dialogue_id": dialogue.dialogue_id,
            "method": cond.label,
            "persuader_method": cond.persuader.label(),
            "persuadee_method": cond.persuadee.label(),
            "replicate": dialogue.spec.replicate,
            "seed": dialogue.spec.seed,
            "persona_id": dialogue.persona.persona_id,
            "persuader_persona_id": dialogue.persuader_persona.persona_id,
            "model": dialogue.model_name,
            "n_turns": dialogue.turn,
            "final_donation": dialogue.final_donation,
            # The VS paper's construct: the last amount stated in the chat, $0 when none (metrics.paper_donation).
            "in_dialogue_donation": in_dialogue_donation(
                (u.text for u in dialogue.transcript if u.role == "persuadee"), dialogue.donation_maximum,
                cents_capped=not dialogue.paper_protocol,
            ),
            "last_stated_amount": dialogue.last_stated_amount,
            "stances": [s if s is not None else "undecided" for s in dialogue.stances],
            "mind_changes": count_mind_changes(dialogue.stances).total,
            "ever_refused": "refuse" in dialogue.stances,
            "status": dialogue.status,
            "n_parse_repairs": self.n_repairs,
            "n_parse_failures": self.n_failures,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "error": dialogue.error,
        }

    def rows(self) -> DialogueRows:
        """This dialogue's rows of the three contract tables."""
        return DialogueRows(self.dialogue_id, self.turn_rows, self.candidate_rows, self.dialogue_row(), self.raw_rows)
