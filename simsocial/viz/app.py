"""The SolaraViz page ``simsocial viz`` serves (``solara run simsocial/viz/app.py``).

Its settings come from the ``SIMSOCIAL_VIZ`` environment variable (JSON: the :class:`VizModel` keywords
fixed by the command line, e.g. the endpoint), which the ``viz`` command sets.
"""

from __future__ import annotations

import json
import os
from typing import Any

import solara
from mesa.visualization import SolaraViz, make_plot_component

from simsocial.viz.components import latest_utterances, stated_amounts
from simsocial.viz.model import STANCE_COLUMNS, VizModel


def model_params(fixed: dict[str, Any]) -> dict[str, Any]:
    """The parameter panel: methods, k, dialogues, turns and seed to change; the rest fixed."""
    return {
        "methods": {"type": "InputText", "value": fixed.pop("methods", "direct,vs_standard"),
                    "label": "methods (comma-separated)"},
        "k": {"type": "SliderInt", "value": fixed.pop("k", 0), "min": 0, "max": 10, "step": 1,
              "label": "k (0 = scenario's)"},
        "n_dialogues": {"type": "SliderInt", "value": fixed.pop("n_dialogues", 3), "min": 1, "max": 12, "step": 1,
                        "label": "dialogues per method"},
        "max_turns": {"type": "SliderInt", "value": fixed.pop("max_turns", 4), "min": 1, "max": 10, "step": 1,
                      "label": "turns"},
        "rng": {"type": "InputText", "value": fixed.pop("rng", 0), "label": "seed"},
        **fixed,
    }  # fmt: skip


def current_parameters(model: VizModel) -> None:
    """The parameter values the shown model was made with (Mesa's sliders show theirs only while dragged)."""
    p = model.parameters
    k = f"k {p['k']}" if p["k"] else "k of the scenario"
    solara.Markdown(f"**model:** {p['methods']} · {k} · {p['dialogues']} dialogues per method · {p['turns']} turns · "
                    f"seed {p['seed']} (change a value, then Reset)")  # fmt: skip


def _stance_axes(ax) -> None:  # noqa: ANN001 - a matplotlib Axes
    ax.set_title("stance of the latest reply, share of live dialogues", fontsize=10)
    ax.set_ylim(0, 1)


def _page():  # noqa: ANN202 - a solara component
    settings = json.loads(os.environ.get("SIMSOCIAL_VIZ", "{}"))
    params = model_params(dict(settings))
    model = VizModel(**{k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()})
    colors = {"share_refuse": "tab:red", "share_undecided": "tab:gray", "share_agree": "tab:green"}
    assert set(colors) == set(STANCE_COLUMNS)
    return SolaraViz(
        model,
        components=[current_parameters, latest_utterances, make_plot_component(colors, post_process=_stance_axes),
                    stated_amounts],
        model_params=params,
        name="simsocial: persuasion dialogues",
        play_interval=300,
    )


page = _page()
