"""A person of the campaign's network: a Mesa ``CellAgent`` sitting on its node, with a persona."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from mesa.discrete_space import Cell, CellAgent

from simsocial.campaign.diffusion import Diffusion
from simsocial.sim.personas import Persona

STATES = ("seed", "adopted", "asked", "unasked")  # what a live view colours by


class Campaign(Protocol):
    """What a person reads of its model (a :class:`~simsocial.campaign.model.CampaignModel`, which imports
    this module: naming the protocol here keeps the import one way)."""

    diffusions: Mapping[str, Diffusion]  # one per method
    shown_method: str  # the campaign a live view colours nodes by


class Person(CellAgent):
    """One node.  Its campaign state lives in each method's :class:`~simsocial.campaign.diffusion.Diffusion`;
    :meth:`state` reads it (there are no copies on the agent)."""

    model: Campaign

    def __init__(self, model: Campaign, cell: Cell, persona: Persona) -> None:
        super().__init__(model)
        self.cell = cell
        self.node: int = cell.coordinate
        self.persona = persona

    @property
    def degree(self) -> int:
        return len(self.cell.neighborhood)

    def state(self, method: str | None = None) -> str:
        """``seed``, ``adopted``, ``asked`` (asked, not adopted) or ``unasked``, in ``method``'s campaign
        (default: the one the model shows)."""
        diffusion = self.model.diffusions[method or self.model.shown_method]
        if self.node in diffusion.seeds:
            return "seed"
        if diffusion.adopted(self.node):
            return "adopted"
        return "asked" if self.node in diffusion.history else "unasked"
