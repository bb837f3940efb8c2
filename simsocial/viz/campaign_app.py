"""The SolaraViz page ``simsocial viz`` serves for a campaign scenario (``solara run`` this file).

The network is Mesa's own space component over the model's ``mesa.discrete_space.Network``: nodes
coloured by their state in the first method's campaign (seed, adopted, asked, never asked), sized by
degree, redrawn after every step (= round).  Beside it: the adoption curves of every method, and the last
round's figures.  Settings come from the ``SIMSOCIAL_VIZ`` environment variable, as for ``app.py``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_space_component
from mesa.visualization.components import AgentPortrayalStyle

from simsocial.campaign.figures import STATE_COLORS
from simsocial.viz.campaign_model import CampaignVizModel


def portrayal(person) -> AgentPortrayalStyle:  # noqa: ANN001 - a simsocial.campaign.person.Person
    """A node: coloured by its state in the campaign shown, sized by its degree."""
    return AgentPortrayalStyle(color=STATE_COLORS[person.state()], size=15 + 12 * person.degree,
                               edgecolors="#555555", linewidths=0.4)  # fmt: skip


def _legend(ax) -> None:  # noqa: ANN001 - a matplotlib Axes
    for name, color in STATE_COLORS.items():
        ax.scatter([], [], color=color, label=name)
    ax.legend(frameon=False, loc="lower left", fontsize="small")


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
    """Round, who is shown, and the last round's dialogues, new adopters and dollars per method."""
    n = model.graph.number_of_nodes()
    lines = [f"**round {model.round}** · {n} people · nodes coloured by **{model.shown_method}**", ""]
    for row in [r for r in model.round_rows if r["round"] == model.round]:
        lines.append(f"- {row['method']}: {row['dialogues']} dialogue(s), {row['new_adopters']} new adopter(s), "
                     f"{row['adopted_total']}/{n} adopted, ${row['total_donated']:.2f} given")  # fmt: skip
    if not model.running:
        lines.append("\nThe campaign has ended: no advocate has anyone left to ask, or the rounds are done.")
    solara.Markdown("\n".join(lines))


def model_params(fixed: dict[str, Any]) -> dict[str, Any]:
    """The parameter panel: methods, people, contacts per round, turns and seed; the rest fixed."""
    return {
        "methods": {"type": "InputText", "value": fixed.pop("methods", "direct,vs_standard"),
                    "label": "methods (comma-separated; the first is drawn)"},
        "nodes": {"type": "SliderInt", "value": fixed.pop("nodes", 0), "min": 0, "max": 300, "step": 10,
                  "label": "people (0 = scenario's)"},
        "contacts_per_round": {"type": "SliderInt", "value": fixed.pop("contacts_per_round", 2), "min": 1, "max": 8,
                               "step": 1, "label": "contacts per advocate a round"},
        "max_turns": {"type": "SliderInt", "value": fixed.pop("max_turns", 1), "min": 1, "max": 5, "step": 1,
                      "label": "turns"},
        "rng": {"type": "InputText", "value": fixed.pop("rng", 0), "label": "seed"},
        **fixed,
    }  # fmt: skip


def _page():  # noqa: ANN202 - a solara component
    settings = json.loads(os.environ.get("SIMSOCIAL_VIZ", "{}"))
    params = model_params(dict(settings))
    model = CampaignVizModel(**{k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()})
    return SolaraViz(
        model,
        components=[make_space_component(portrayal, post_process=_legend), adoption_curves, last_round],
        model_params=params,
        name="simsocial: word-of-mouth campaign",
        play_interval=500,
    )


page = _page()
