"""The model the live view steps: a :class:`PersuasionModel` built from plain keyword parameters.

Mesa's SolaraViz re-creates the model from its parameter panel on every reset
(``model.__class__(**params)``), so every parameter is a simple keyword with a default.  All dialogues are
admitted at once (the view shows all of them) and stance shares are collected per step.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from simsocial.llm.scripted import ScriptedChatModel, schema_answers
from simsocial.llm.settings import LLMSettings
from simsocial.sim.conditions import parse_condition
from simsocial.sim.model import PersuasionModel
from simsocial.sim.scenario import load_scenario

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "persuasion_for_good.yaml"
STANCE_COLUMNS = {"share_refuse": "refuse", "share_undecided": "undecided", "share_agree": "agree"}


class VizModel(PersuasionModel):
    """Persuasion dialogues for the live view.

    ``methods``: comma-separated ``--method`` values; ``k``: candidates per VS call (0 = the scenario's);
    ``base_url``/``model``: the endpoint (the ``viz`` command passes the embedded server's when none is
    given); ``scripted``: answer from an in-process scripted model instead (to try the page, not to study).
    """

    def __init__(
        self,
        scenario: str = str(DEFAULT_SCENARIO),
        methods: str = "direct,vs_standard",
        n_dialogues: int = 3,
        k: int = 0,
        max_turns: int = 4,
        rng: int = 0,
        base_url: str | None = None,
        model: str | None = None,
        scripted: bool = False,
    ) -> None:
        # The panel's values this model was made with, shown on the page (a slider shows its value only while
        # it is dragged).
        self.parameters = {"methods": methods, "k": k, "dialogues": n_dialogues, "turns": max_turns, "seed": rng}
        spec = load_scenario(scenario, max_turns=max_turns)
        conditions = [parse_condition(m, spec, k=k or None) for m in methods.split(",") if m.strip()]
        llm = ScriptedChatModel(schema_answers(rng)) if scripted else LLMSettings(base_url=base_url, model=model)
        super().__init__(spec, conditions, n_dialogues, rng=int(rng), llm=llm,
                         max_active=max(1, n_dialogues * len(conditions)))  # fmt: skip
        # A reset replaces the model before it has run to its end: release its LLM runtime with it.
        weakref.finalize(self, self.runtime.close)
        self.datacollector.collect(self)  # step 0, as Mesa's examples do

    def model_reporters(self) -> dict[str, Any]:
        """The shared per-step columns plus the share of each stance (the page's chart)."""
        return {**{column: _share(stance) for column, stance in STANCE_COLUMNS.items()}, **super().model_reporters()}


def _share(stance: str):
    return lambda m: m.share_with_stance(stance)
