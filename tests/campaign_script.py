"""Scripted chat models for campaign tests: a persuadee that adopts with a known probability.

Every call is answered with a valid instance of its schema (:func:`simsocial.llm.scripted.schema_answers`),
except the private donation decision: the persuadee verbalizes ``p`` on the grid's largest amount and
``1 - p`` on its smallest, and the engine draws from that distribution with the dialogue's own generator.
So the known answer — a dialogue converts with probability ``p`` — goes through the real elicitation,
parsing and seeded draw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from simsocial.campaign.config import CampaignScenario, CampaignSpec, load_campaign
from simsocial.llm.scripted import ScriptedChatModel, schema_answers
from simsocial.llm.types import ChatRequest
from simsocial.sim.scenario import Personas

SMALL_WORLD = Path(__file__).resolve().parents[1] / "scenarios" / "campaign_small_world.yaml"


def _amounts(schema: Any) -> list[str]:
    if isinstance(schema, dict):
        if "enum" in schema and schema.get("type") == "string" and all(_number(v) for v in schema["enum"]):
            return list(schema["enum"])
        for value in schema.values():
            if found := _amounts(value):
                return found
    return []


def _number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def adoption_model(p: float, seed: int = 0) -> ScriptedChatModel:
    """A chat model whose persuadees give the most with probability ``p``, else nothing (see module doc)."""
    base = schema_answers(seed)

    def answer(request: ChatRequest) -> str:
        if "/donation/" not in request.call_key:
            return base(request)
        data = json.loads(base(request))
        grid = sorted(_amounts(request.response_schema), key=float)
        give, keep = grid[-1], grid[0]
        if "responses" in data and len(data["responses"]) >= 2:
            items = data["responses"]  # exactly k when the method fixes k
            rest = (1 - p) / (len(items) - 1)
            data["responses"] = [items[0] | {"amount": give, "probability": p},
                                 *(item | {"amount": keep, "probability": rest} for item in items[1:])]  # fmt: skip
        else:
            data["amount"] = give if p >= 0.5 else keep
        return json.dumps(data)

    return ScriptedChatModel(answer)


def tiny_campaign(turns: int = 1, personas: str = "none", **campaign: Any) -> CampaignScenario:
    """The small-world scenario, ``turns`` exchanges, no personas (fast), campaign fields replaced."""
    loaded = load_campaign(SMALL_WORLD, max_turns=turns)
    scenario = loaded.scenario.model_copy(update={"personas": Personas(source=personas)})  # type: ignore[arg-type]
    spec = CampaignSpec.model_validate(loaded.campaign.model_dump() | campaign)  # None here means None
    return loaded.model_copy(update={"scenario": scenario, "campaign": spec})


#: A campaign directory's tables and the keys that order their rows (a resumed or swept campaign is compared
#: with an uninterrupted one table by table).
TABLES = {"network.parquet": ["method", "seed", "node"], "rounds.parquet": ["method", "seed", "round"],
          "dialogues.parquet": ["dialogue_id"], "turns.parquet": ["dialogue_id", "turn", "role", "kind"]}  # fmt: skip


def campaign_tables(out: Path) -> dict[str, Any]:
    """Every table of :data:`TABLES` in ``out``, rows in key order."""
    import pandas as pd

    return {name: pd.read_parquet(out / name).sort_values(keys).reset_index(drop=True) for name, keys in TABLES.items()}
