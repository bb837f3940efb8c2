"""A round's dialogues: who talks to whom, played through the same engine as ``simsocial run``.

Each :class:`~simsocial.campaign.diffusion.Contact` becomes a
:class:`~simsocial.sim.dialogue.DialogueSpec` that names its participants: the target's own persona (plus
one line of memory if it was asked before) and the advocate as a peer who has given (``peer_persona``).
All of a round's dialogues, for every method, run concurrently through
:class:`~simsocial.sim.executors.LocalExecutor` — the free-running driver of ``simsocial run``, with the
same elicitation, VS methods, cache, retries and budget — on the campaign's runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simsocial.campaign.config import CampaignSpec
from simsocial.campaign.diffusion import Contact, Diffusion, Outcome
from simsocial.contract import STATUS_FAILED
from simsocial.llm.runtime import Runtime
from simsocial.rundir.writer import DialogueRows
from simsocial.sim.dialogue import Condition, DialogueSpec
from simsocial.sim.executors import DialogueExecutor, ExecutionJob, LocalExecutor
from simsocial.sim.personas import Persona
from simsocial.sim.scenario import Scenario

CAMPAIGN_COLUMNS = ("round", "advocate", "target")


@dataclass(frozen=True)
class PlannedDialogue:
    """A contact of one method, as the engine will play it."""

    condition: Condition
    contact: Contact
    spec: DialogueSpec


def dialogue_id(label: str, seed: int, contact: Contact) -> str:
    """Stable and unique within a campaign run: method, seed, round, advocate, target."""
    return f"{label}-s{seed}-r{contact.round:03d}-a{contact.advocate}-t{contact.target}"


def plan_dialogues(
    condition: Condition, diffusion: Diffusion, contacts: Sequence[Contact], personas: Sequence[Persona],
    campaign: CampaignSpec, scenario: Scenario, seed: int,
) -> list[PlannedDialogue]:  # fmt: skip
    """The specs of one method's contacts.  ``replicate`` is unique per (round, advocate, target), the same
    in every method (common random numbers), so each dialogue's generator is its own."""
    n = len(personas)
    planned = []
    for contact in contacts:
        spec = DialogueSpec(
            dialogue_id(condition.label, seed, contact), condition,
            replicate=(contact.round * n + contact.advocate) * n + contact.target, seed=seed,
            persona=target_persona(personas[contact.target], diffusion.earlier(contact.target), campaign, scenario),
            persuader_persona=peer_persona(personas[contact.advocate], diffusion.gift[contact.advocate], campaign,
                                           scenario),
        )  # fmt: skip
        planned.append(PlannedDialogue(condition, contact, spec))
    return planned


def peer_persona(own: Persona, gift: float, campaign: CampaignSpec, scenario: Scenario) -> Persona:
    """The advocate as a peer who gave ``gift`` (the scenario's ``peer_persona`` template)."""
    text = campaign.peer_persona.format(amount=f"{gift:.2f}", currency=scenario.task.currency,
                                        cause=scenario.task.cause, persona=own.text)  # fmt: skip
    return Persona(own.persona_id, text.strip())


def target_persona(own: Persona, earlier: Outcome | None, campaign: CampaignSpec, scenario: Scenario) -> Persona:
    """The target's persona, plus one line of the earlier outcome if it was asked before (``memory``)."""
    if earlier is None:
        return own
    currency = scenario.task.currency
    if earlier.donation is None:
        outcome = "the conversation broke off"
    elif earlier.donation <= 0:
        outcome = "gave nothing"
    else:
        outcome = f"gave {currency}{earlier.donation:.2f}"
    line = campaign.memory.format(round=earlier.round, outcome=outcome, currency=currency, cause=scenario.task.cause)
    return Persona(own.persona_id, f"{own.text}\n{line}".strip())


def outcome_of(row: dict, contact: Contact, campaign: CampaignSpec) -> Outcome:
    """A finished dialogue's row → its outcome under the campaign's adoption rule."""
    donation = row.get("final_donation")
    if row.get("status") == STATUS_FAILED:
        donation = None
    if campaign.adopt_on == "donation":
        adopted = donation is not None and donation >= campaign.adopt_at
    else:
        stances = list(row.get("stances") or [])
        stated = row.get("last_stated_amount")
        adopted = bool(stances) and stances[-1] == "agree" and stated is not None and stated >= campaign.adopt_at
        adopted = adopted and row.get("status") != STATUS_FAILED
    return Outcome(contact.round, contact.advocate, donation, adopted, str(row.get("status")))


def with_campaign_columns(rows: DialogueRows, contact: Contact) -> DialogueRows:
    """The dialogue's rows with ``round``, ``advocate`` and ``target`` added to every row."""
    extra = {"round": contact.round, "advocate": contact.advocate, "target": contact.target}
    return DialogueRows(rows.dialogue_id, [r | extra for r in rows.turns], [r | extra for r in rows.candidates],
                        rows.dialogue | extra)  # fmt: skip


def play_round(
    planned: Sequence[PlannedDialogue], scenario: Scenario, runtime: Runtime, *, seed: int, run_id: str,
    max_active: int, executor: DialogueExecutor | None = None, progress: Callable[[int], None] | None = None,
    admit: Callable[[DialogueSpec], bool] | None = None,
) -> dict[str, DialogueRows]:  # fmt: skip
    """Play every planned dialogue concurrently; their rows (with campaign columns) by dialogue id.

    A dialogue a budget (``admit``) refused is missing from the result: the caller counts it.
    """
    if not planned:
        return {}
    by_id = {p.spec.dialogue_id: p for p in planned}
    conditions = list({p.condition.label: p.condition for p in planned}.values())
    finished: dict[str, DialogueRows] = {}

    def emit(rows: DialogueRows) -> None:
        finished[rows.dialogue_id] = with_campaign_columns(rows, by_id[rows.dialogue_id].contact)

    job = ExecutionJob(scenario, conditions, [p.spec for p in planned], seed, run_id, runtime, max_active,
                       emit=emit, progress=progress or (lambda n: None), admit=admit)  # fmt: skip
    (executor or LocalExecutor())(job)
    return finished
