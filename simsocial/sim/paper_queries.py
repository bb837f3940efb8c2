"""The persuader's and persuadee's questions under ``protocol: paper``: the VS paper's prompts, word for word.

The text comes from :mod:`simsocial.vs.paper_prompts`; this module fills in what changes per dialogue and
turn — the personas (inside the paper's ``<persona>`` tags), the history in the paper's format
(``"Persuader: ..."`` / ``"Persuadee: ..."`` lines, tasks/dialogue/base.py:71-77) and, for the persuadee,
its method and k.  Each prompt goes out as the only message, a user message, as the paper sends it.
"""

from __future__ import annotations

from simsocial.metrics.paper_donation import PAPER_MAXIMUM, extract_amount_paper
from simsocial.sim.dialogue import Dialogue
from simsocial.vs import Query, paper_prompts
from simsocial.vs.methods import MODEL_DECIDED_MAX_K

_ROLE_NAMES = {"persuader": "Persuader", "persuadee": "Persuadee"}  # base.py:75 (fixed, not the scenario's)


def history(dialogue: Dialogue) -> str:
    """The conversation so far as ``get_conversation_history`` writes it (base.py:71-77)."""
    return "\n".join(f"{_ROLE_NAMES[u.role]}: {u.text}" for u in dialogue.transcript)


def persuader_query(dialogue: Dialogue) -> Query:
    """The persuader's prompt: greet first (persuasion.py:131), then "continue persuading" (:135)."""
    persona = paper_prompts.persona_block(dialogue.persuader_persona.text)
    text = paper_prompts.persuader_prompt(persona, history(dialogue), first=not dialogue.transcript)
    return Query("", text, (), text_description="message", layout="paper")


def persuadee_query(dialogue: Dialogue) -> Query:
    """The persuadee's prompt for its method under test (persuasion.py:139-219)."""
    config = dialogue.spec.condition.persuadee
    persona = paper_prompts.persona_block(dialogue.persona.text)
    text = paper_prompts.persuadee_prompt(config.method, config.k, persona, history(dialogue), MODEL_DECIDED_MAX_K)
    return Query("", text, (), text_description="reply", layout="paper")


def persuadee_frame(dialogue: Dialogue) -> str:
    """The persuadee's base prompt and persona, as its method under test sees them (persuasion.py:146-165)."""
    method = dialogue.spec.condition.persuadee.method
    return paper_prompts.persuadee_frame(method, paper_prompts.persona_block(dialogue.persona.text))


def stated_amount(text: str) -> float | None:
    """The amount a persuadee's utterance states, read as the paper reads it (persuasion.py:274-302)."""
    return extract_amount_paper(text, PAPER_MAXIMUM, cents_capped=False)
