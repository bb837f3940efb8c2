"""One turn of one dialogue — the only place the order of a turn is written.

Both drivers call :func:`play_turn`: :meth:`PersuasionModel.step <simsocial.sim.model.PersuasionModel.step>`
plays one turn of every live dialogue at once (Mesa's lock-step), and
:mod:`simsocial.sim.scheduler` plays each dialogue's turns back to back (free-running, for throughput).
A dialogue's choices depend only on its own generator, so both give identical dialogues.
"""

from __future__ import annotations

from simsocial.sim.agents import Persuadee, Persuader


async def play_turn(persuader: Persuader, persuadee: Persuadee) -> None:
    """Speak → reply → advance → (at the end) decide.  A failed choice ends the dialogue, marked."""
    dialogue = persuader.dialogue
    if dialogue.finished:
        return
    await persuader.speak()
    if dialogue.finished:
        return
    await persuadee.reply()
    if dialogue.finished:
        return
    if dialogue.advance(persuader.model.scenario.turns):
        await persuadee.decide_donation()


async def play_dialogue(persuader: Persuader, persuadee: Persuadee) -> None:
    """Every turn of one dialogue, from the first message to the donation."""
    while not persuader.dialogue.finished:
        await play_turn(persuader, persuadee)
