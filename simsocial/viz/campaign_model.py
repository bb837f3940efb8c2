"""The campaign the live view steps: a :class:`~simsocial.campaign.model.CampaignModel` from plain keywords.

SolaraViz re-creates the model from its parameter panel on every reset (``model.__class__(**params)``),
so every parameter is a simple keyword with a default.  One step is one round of every method's campaign;
the page draws the network once per method, coloured by the nodes' states in that method's campaign.
"""

from __future__ import annotations

import weakref
from pathlib import Path

from simsocial.campaign.config import load_campaign
from simsocial.campaign.model import CampaignModel
from simsocial.llm.scripted import ScriptedChatModel, schema_answers
from simsocial.llm.settings import LLMSettings
from simsocial.sim.conditions import parse_condition

DEFAULT_CAMPAIGN = Path(__file__).resolve().parents[2] / "scenarios" / "campaign_small_world.yaml"


class CampaignVizModel(CampaignModel):
    """A campaign for the live view.  ``methods``: comma-separated ``--method`` values;
    ``nodes``: people on the network (0 = the scenario's); ``scripted``: answer from an in-process scripted
    model (to try the page, not to study)."""

    def __init__(
        self,
        scenario: str = str(DEFAULT_CAMPAIGN),
        methods: str = "direct,vs_standard",
        max_turns: int = 1,
        nodes: int = 0,
        contacts_per_round: int = 2,
        rng: int = 0,
        base_url: str | None = None,
        model: str | None = None,
        scripted: bool = False,
    ) -> None:
        spec = load_campaign(scenario, max_turns=max_turns)
        conditions = [parse_condition(m, spec.peer_scenario) for m in methods.split(",") if m.strip()]
        llm = ScriptedChatModel(schema_answers(int(rng))) if scripted else LLMSettings(base_url=base_url, model=model)
        super().__init__(spec, rng=int(rng), conditions=conditions, llm=llm, contacts_per_round=contacts_per_round,
                         network={"n": nodes} if nodes else None, max_active=64)  # fmt: skip
        # A reset replaces the model before it has run to its end: release its LLM runtime with it.
        weakref.finalize(self, self.runtime.close)
