"""The three questions a persuasion dialogue asks the model, built from a scenario and a dialogue.

Persuader: the next message, labelled with a strategy.  Persuadee: the next reply, with a stance
(refuse / undecided / agree) and the amount it states, if any.  Donation: the private decision after the
conversation, one amount from the scenario's grid with a short reason.
"""

from __future__ import annotations

from simsocial.contract import STANCES
from simsocial.sim.dialogue import Dialogue
from simsocial.sim.scenario import Scenario
from simsocial.vs import AmountField, LabelField, Query

STRATEGY_FIELD = "strategy"
STANCE_FIELD = "stance"
AMOUNT_FIELD = "amount"


def transcript_text(scenario: Scenario, dialogue: Dialogue) -> str:
    if not dialogue.transcript:
        return "(The conversation has not started yet.)"
    return "\n".join(f"{u.speaker}: {u.text}" for u in dialogue.transcript)


def _framing(scenario: Scenario) -> str:
    task = scenario.task
    return (
        f"{task.setting.strip()}\nThe cause: {task.cause} — {task.cause_description.strip()}\n"
        f"The persuadee was paid {task.currency}{task.payment:.2f} for the task."
    )


def persuader_query(scenario: Scenario, dialogue: Dialogue) -> Query:
    role = scenario.persuader
    persona = f"\nAbout you: {dialogue.persuader_persona.text}" if dialogue.persuader_persona.text else ""
    system = f"{_framing(scenario)}\n\nYou are the {role.name}. {role.instructions.strip()}{persona}"
    context = (
        f"Conversation so far:\n{transcript_text(scenario, dialogue)}\n\n"
        f"Write the {role.name}'s next message (turn {dialogue.turn + 1} of {scenario.turns.max_turns}). "
        f"Label it with the strategy it uses, one of: {', '.join(role.labels)}."
    )
    fields = (LabelField(STRATEGY_FIELD, tuple(role.labels)),)
    return Query(system, context, fields, text_description="message", text_max_length=role.max_chars)


def _persuadee_system(scenario: Scenario, dialogue: Dialogue) -> str:
    role = scenario.persuadee
    persona = f"\n{dialogue.persona.text}" if dialogue.persona.text else ""
    return f"{_framing(scenario)}\n\nYou are the {role.name}. {role.instructions.strip()}{persona}"


def persuadee_query(scenario: Scenario, dialogue: Dialogue) -> Query:
    role = scenario.persuadee
    context = (
        f"Conversation so far:\n{transcript_text(scenario, dialogue)}\n\n"
        f"Write your ({role.name}'s) next reply. Give its stance toward donating ({' / '.join(STANCES)}) and "
        f'the amount in {scenario.task.currency} you state in it, or "none" if you state no amount.'
    )
    fields = (
        LabelField(STANCE_FIELD, STANCES),
        AmountField(AMOUNT_FIELD, scenario.donation.grid, nullable=True),
    )
    return Query(_persuadee_system(scenario, dialogue), context, fields, text_description="reply",
                 text_max_length=role.max_chars)  # fmt: skip


def donation_query(scenario: Scenario, dialogue: Dialogue) -> Query:
    context = f"Conversation:\n{transcript_text(scenario, dialogue)}\n\n{scenario.donation.question.strip()}"
    fields = (AmountField(AMOUNT_FIELD, scenario.donation.grid),)
    return Query(_persuadee_system(scenario, dialogue), context, fields,
                 text_description="decision", text_hint="a one-sentence reason", text_max_length=160)  # fmt: skip
