"""Persuasion campaigns on a social network: word of mouth as Mesa rounds of VS-sampled dialogues.

:class:`~simsocial.campaign.model.CampaignModel` is the Mesa model (``step()`` = one round);
:func:`~simsocial.campaign.runner.run_campaign` writes a run directory (``simsocial campaign``);
:mod:`simsocial.campaign.analysis` reads one back (``simsocial compare``).
"""

from __future__ import annotations

from simsocial.campaign.config import CampaignScenario, load_campaign
from simsocial.campaign.model import CampaignModel

__all__ = ["CampaignModel", "CampaignScenario", "load_campaign"]
