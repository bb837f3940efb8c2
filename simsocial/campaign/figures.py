"""Campaign figures (matplotlib Agg canvas, never pyplot): adoption curves and the network at its last round."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

STATE_COLORS = {"seed": "#d55e00", "adopted": "#e69f00", "asked": "#56b4e9", "unasked": "#d9d9d9"}


def adoption_curve_figure(curves: pd.DataFrame) -> Figure:
    """Share adopted by round, one line per (run, method), shaded by its bootstrap interval over seeds."""
    figure = Figure(figsize=(6.4, 4.0), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    several_runs = curves["run"].nunique() > 1
    colors = sns.color_palette("colorblind", n_colors=max(1, curves.groupby(["run", "method"]).ngroups))
    for color, ((run, method), group) in zip(colors, curves.groupby(["run", "method"]), strict=False):
        label = f"{run} · {method}" if several_runs else method
        seeds = int(group["n_seeds"].iloc[0])
        axes.plot(group["round"], group["share"], marker="o", color=color, label=f"{label} (n={seeds} seeds)")
        axes.fill_between(group["round"], group["low"], group["high"], color=color, alpha=0.2)
    axes.set(xlabel="round", ylabel="share of people adopted", ylim=(0, 1.02), title="Adoption by round (95% CI)")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.grid(alpha=0.3)
    axes.legend(frameon=False, fontsize="small")
    return figure


def network_figure(nodes: pd.DataFrame, title: str, layout_seed: int = 0) -> Figure:
    """The network at the last round: nodes coloured by state, sized by degree (``nodes``: last_states rows)."""
    graph = nx.Graph()
    graph.add_nodes_from(int(n) for n in nodes["node"])
    graph.add_edges_from((int(a), int(b)) for a, ns in zip(nodes["node"], nodes["neighbors"], strict=True)
                         for b in ns if a < b)  # fmt: skip
    position = nx.spring_layout(graph, seed=layout_seed)
    figure = Figure(figsize=(6.0, 6.0), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    state = dict(zip(nodes["node"].astype(int), nodes["state"], strict=True))
    degree = dict(zip(nodes["node"].astype(int), nodes["degree"], strict=True))
    order = list(graph.nodes)
    nx.draw_networkx_edges(graph, position, ax=axes, alpha=0.25, width=0.6)
    nx.draw_networkx_nodes(graph, position, ax=axes, nodelist=order,
                           node_color=[STATE_COLORS[state[n]] for n in order],
                           node_size=[12 + 10 * degree[n] for n in order], linewidths=0.3,
                           edgecolors="#555555")  # fmt: skip
    for name, color in STATE_COLORS.items():
        axes.scatter([], [], color=color, label=f"{name} ({sum(s == name for s in state.values())})")
    axes.legend(frameon=False, loc="lower left", fontsize="small")
    axes.set_title(title)
    axes.set_axis_off()
    return figure


def save(figure: Figure, path: Path) -> Path:
    figure.savefig(path, dpi=120)
    return path
