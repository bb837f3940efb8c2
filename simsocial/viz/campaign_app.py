"""The SolaraViz page ``simsocial viz`` serves for a campaign scenario (``simsocial.viz.serve`` this file).

The network, once per method: Mesa's own space component over the model's ``mesa.discrete_space.Network``,
nodes coloured by their state in that method's campaign (seed, adopted, asked, never asked), sized by
degree, redrawn after every step (= round).  Every method's drawing shares one layout, so the same person
sits at the same place in each.  Beside them: the adoption curves of every method, and the last round's
figures.  Settings come from the ``SIMSOCIAL_VIZ`` environment variable, as for ``app.py``; each browser
session has its own model and parameter panel.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from typing import Any

import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.components import AgentPortrayalStyle
from mesa.visualization.components.matplotlib_components import SpaceMatplotlib

from simsocial.campaign.figures import STATE_COLORS
from simsocial.campaign.person import Person
from simsocial.viz.campaign_model import CampaignVizModel
from simsocial.viz.session import model_keywords, pending_changes, session_params, unwrap


class PageModel(CampaignVizModel):
    """The campaign of one browser session, made from its parameter panel (reactive variables or values)."""

    def __init__(self, **kwargs: Any) -> None:  # Mesa's parameter check accepts a var-keyword named kwargs only
        values = unwrap(kwargs)
        super().__init__(**values)
        self.made_with = values  # what pending_changes compares the panel with


def portrayal(method: str) -> Callable[[Person], AgentPortrayalStyle]:
    """A node in ``method``'s campaign: coloured by its state there, sized by its degree."""
    return lambda person: AgentPortrayalStyle(color=STATE_COLORS[person.state(method)], size=30 + 20 * person.degree,
                                              edgecolors="#555555", linewidths=0.4)  # fmt: skip


def _titled(model: CampaignVizModel, method: str) -> Callable[[Axes], None]:
    """Title the drawing with its method; the legend counts the people in each state."""
    states = [person.state(method) for person in model.agents]

    def post_process(ax: Axes) -> None:
        for name, color in STATE_COLORS.items():
            ax.scatter([], [], color=color, label=f"{name} ({states.count(name)})")
        # Two drawings share half the page: lettering large enough to read at that size.
        ax.legend(frameon=False, loc="lower left", fontsize=15, markerscale=2)
        ax.set_title(f"{method}, round {model.round}", fontsize=22)

    return post_process


def networks(model: CampaignVizModel) -> None:
    """The network once per method of the campaign (Mesa's space component each), two to a row."""
    with solara.Column(style={"max-height": "560px", "overflow-y": "auto"}), solara.ColumnsResponsive(6):
        for condition in model.conditions:
            SpaceMatplotlib(model, portrayal(condition.label), None, post_process=_titled(model, condition.label))


def adoption_curves(model: CampaignVizModel) -> None:
    """Share of people adopted by round, one line per method (the DataCollector's model variables)."""
    frame = model.datacollector.get_model_vars_dataframe()
    figure = Figure(figsize=(5, 3.2))
    axes = figure.subplots()
    for column in (c for c in frame.columns if c.startswith("share ")):
        axes.plot(frame["round"], frame[column], marker="o", label=column.removeprefix("share "))
    axes.set(xlabel="round", ylabel="share adopted", ylim=(0, 1.02), title="adoption by round")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=8)
    figure.tight_layout()
    solara.FigureMatplotlib(figure)


def last_round(model: CampaignVizModel) -> None:
    """Round, and the last round's dialogues, new adopters and dollars per method (text, never markup)."""
    n = model.graph.number_of_nodes()
    lines = [f"round {model.round} · {n} people · one drawing per method", ""]
    for row in [r for r in model.round_rows if r["round"] == model.round]:
        lines.append(f"• {row['method']}: {row['dialogues']} dialogue(s), {row['new_adopters']} new adopter(s), "
                     f"{row['adopted_total']}/{n} adopted, ${row['total_donated']:.2f} given")  # fmt: skip
    if not model.running:
        lines.append("\nThe campaign has ended: no advocate has anyone left to ask, or the rounds are done.")
    solara.Text("\n".join(lines), style={"white-space": "pre-wrap"})


def model_params(fixed: dict[str, Any]) -> dict[str, Any]:
    """The parameter panel: methods, people, contacts per round, turns and seed; the rest fixed."""
    return {
        "methods": {"type": "InputText", "value": fixed.pop("methods", "direct,vs_standard"),
                    "label": "methods (comma-separated)"},
        "nodes": {"type": "SliderInt", "value": fixed.pop("nodes", 0), "min": 0, "max": 300, "step": 10,
                  "label": "people (0 = scenario's)"},
        "contacts_per_round": {"type": "SliderInt", "value": fixed.pop("contacts_per_round", 2), "min": 1, "max": 8,
                               "step": 1, "label": "contacts per advocate a round"},
        "max_turns": {"type": "SliderInt", "value": fixed.pop("max_turns", 1), "min": 1, "max": 5, "step": 1,
                      "label": "turns"},
        "rng": {"type": "InputText", "value": fixed.pop("rng", 0), "label": "seed"},
        **fixed,
    }  # fmt: skip


@solara.component
def Page() -> None:  # noqa: N802 - the name Solara serves
    """The page of one browser session: its own parameter panel and its own campaign."""
    params = solara.use_memo(lambda: session_params(model_params(json.loads(os.environ.get("SIMSOCIAL_VIZ", "{}")))),
                             [])  # fmt: skip
    model = solara.use_memo(lambda: PageModel(**model_keywords(params)), [])
    SolaraViz(
        model,
        components=[networks, adoption_curves, functools.partial(panel_values, params), last_round],
        model_params=params,
        name="simsocial: word-of-mouth campaign",
        play_interval=500,
    )


def panel_values(params: dict[str, Any], model: CampaignVizModel) -> None:
    """The panel's values that apply on Reset, beside the running campaign's."""
    pending_changes(params, model)
