"""The SolaraViz page ``simsocial viz`` serves (``python -m simsocial.viz.serve simsocial/viz/app.py``).

Its settings come from the ``SIMSOCIAL_VIZ`` environment variable (JSON: the :class:`VizModel` keywords
fixed by the command line, e.g. the endpoint), which the ``viz`` command sets.  Each browser session renders
its own :func:`Page`, with its own model and parameter panel.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

import solara
from mesa.visualization import SolaraViz, make_plot_component

from simsocial.viz.components import latest_utterances, stated_amounts
from simsocial.viz.model import STANCE_COLUMNS, VizModel
from simsocial.viz.session import model_keywords, pending_changes, session_params, unwrap


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


class PageModel(VizModel):
    """The model of one browser session, made from its parameter panel (reactive variables or values)."""

    def __init__(self, **kwargs: Any) -> None:  # Mesa's parameter check accepts a var-keyword named kwargs only
        values = unwrap(kwargs)
        super().__init__(**values)
        self.made_with = values  # what pending_changes compares the panel with


def current_parameters(params: dict[str, Any], model: VizModel) -> None:
    """The values the running model was made with, and the panel's values that apply on Reset."""
    p = model.parameters
    k = f"k {p['k']}" if p["k"] else "k of the scenario"
    solara.Text(f"model: {p['methods']} · {k} · {p['dialogues']} dialogues per method · {p['turns']} turns · "
                f"seed {p['seed']}")  # fmt: skip
    pending_changes(params, model)


def _stance_axes(ax) -> None:  # noqa: ANN001 - a matplotlib Axes
    ax.set_title("stance of the latest reply, share of live dialogues", fontsize=10)
    ax.set_ylim(0, 1)


@solara.component
def Page() -> None:  # noqa: N802 - the name Solara serves
    """The page of one browser session: its own parameter panel and its own model (two tabs never share)."""
    params = solara.use_memo(lambda: session_params(model_params(json.loads(os.environ.get("SIMSOCIAL_VIZ", "{}")))),
                             [])  # fmt: skip
    model = solara.use_memo(lambda: PageModel(**model_keywords(params)), [])
    colors = {"share_refuse": "tab:red", "share_undecided": "tab:gray", "share_agree": "tab:green"}
    assert set(colors) == set(STANCE_COLUMNS)
    SolaraViz(
        model,
        components=[
            functools.partial(current_parameters, params),
            latest_utterances,
            make_plot_component(colors, post_process=_stance_axes),
            stated_amounts,
        ],
        model_params=params,
        name="simsocial: persuasion dialogues",
        play_interval=300,
    )
