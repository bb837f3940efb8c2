"""The three questions a persuasion dialogue asks the model, built from a scenario and a dialogue.

Persuader: the next message, labelled with a strategy.  Persuadee: the next reply, with a stance
(refuse / undecided / agree) and the amount it states, if any.  Donation: the private decision after the
conversation, one amount from the scenario's grid with a short reason.

Under ``protocol: paper`` the persuader's and persuadee's questions are the VS paper's prompts word for word
(:mod:`simsocial.sim.paper_queries`); the private decision, which the paper does not have, keeps its own
question after the paper's persuadee frame.
"""

from __future__ import annotations

from simsocial.contract import STANCES
from simsocial.sim import paper_queries
from simsocial.sim.dialogue import Dialogue
from simsocial.sim.scenario import Scenario
from simsocial.vs import AmountField, LabelField, Query

STRATEGY_FIELD = "strategy"
STANCE_FIELD = "stance"
AMOUNT_FIELD = "amount"


def _amount_field(scenario: Scenario, nullable: bool) -> AmountField:
    """The grid as an enum, or — continuous — any amount between the scenario's minimum and maximum."""
    donation = scenario.donation
    grid = (donation.minimum, donation.maximum) if donation.continuous else donation.grid
    return AmountField(AMOUNT_FIELD, grid, nullable=nullable, continuous=donation.continuous)


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
    if scenario.paper_protocol:
        return paper_queries.persuader_query(dialogue)
    role = scenario.persuader
    persona = f"\nAbout you: {dialogue.persuader_persona.text}" if dialogue.persuader_persona.text else ""
    system = f"{_framing(scenario)}\n\nYou are the {role.name}. {role.instructions.strip()}{persona}"
    context = (
        f"Conversation so far:\n{transcript_text(scenario, dialogue)}\n\n"
        f"Write the {role.name}'s next message (turn {dialogue.turn + 1} of {scenario.turns.max_exchanges})."
        + (f" Label it with the strategy it uses, one of: {', '.join(role.labels)}." if role.annotate else "")
    )
    fields = (LabelField(STRATEGY_FIELD, tuple(role.labels)),) if role.annotate else ()
    return Query(system, context, fields, text_description="message", text_max_length=role.max_chars,
                 wording=role.wording)  # fmt: skip


def _persuadee_system(scenario: Scenario, dialogue: Dialogue) -> str:
    role = scenario.persuadee
    persona = f"\n{dialogue.persona.text}" if dialogue.persona.text else ""
    extra = ""
    if role.vs_instructions and dialogue.spec.condition.persuadee.method.verbalizes_probabilities:
        extra = f" {role.vs_instructions.strip()}"
    return f"{_framing(scenario)}\n\nYou are the {role.name}. {role.instructions.strip()}{extra}{persona}"


def persuadee_query(scenario: Scenario, dialogue: Dialogue) -> Query:
    if scenario.paper_protocol:
        return paper_queries.persuadee_query(dialogue)
    role = scenario.persuadee
    none = "null" if scenario.donation.continuous else '"none"'
    context = f"Conversation so far:\n{transcript_text(scenario, dialogue)}\n\nWrite your ({role.name}'s) next reply."
    if role.annotate:
        context += (
            f" Give its stance toward donating ({' / '.join(STANCES)}) and the amount in {scenario.task.currency} "
            f"you state in it, or {none} if you state no amount."
        )
    fields = (
        (
            LabelField(STANCE_FIELD, STANCES),
            _amount_field(scenario, nullable=True),
        )
        if role.annotate
        else ()
    )
    return Query(_persuadee_system(scenario, dialogue), context, fields, text_description="reply",
                 text_max_length=role.max_chars, wording=role.wording)  # fmt: skip


def donation_query(scenario: Scenario, dialogue: Dialogue) -> Query:
    context = f"Conversation:\n{transcript_text(scenario, dialogue)}\n\n{scenario.donation.question.strip()}"
    fields = (_amount_field(scenario, nullable=False),)
    paper = scenario.paper_protocol
    system = paper_queries.persuadee_frame(dialogue) if paper else _persuadee_system(scenario, dialogue)
    return Query(system, context, fields,
                 text_description="decision", text_hint="a one-sentence reason", text_max_length=160)  # fmt: skip
