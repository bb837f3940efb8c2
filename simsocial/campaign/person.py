"""A person of the campaign's network: a Mesa ``CellAgent`` sitting on its node, with a persona."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa.discrete_space import Cell, CellAgent

from simsocial.sim.personas import Persona

if TYPE_CHECKING:
    from simsocial.campaign.model import CampaignModel

STATES = ("seed", "adopted", "asked", "unasked")  # what a live view colours by


class Person(CellAgent):
    """One node.  Its campaign state lives in each method's :class:`~simsocial.campaign.diffusion.Diffusion`;
    :meth:`state` reads it (there are no copies on the agent)."""

    model: CampaignModel

    def __init__(self, model: CampaignModel, cell: Cell, persona: Persona) -> None:
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
