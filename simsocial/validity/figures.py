"""Figures of the validity analyses (seaborn styling on matplotlib's Agg canvas, no pyplot state).

Every figure names its n: the human halves' sizes, each cell's simulated dialogues, each fit's rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simsocial.validity.calibrate import Calibration

_PALETTE = "colorblind"


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def calibration_figure(result: Calibration) -> Figure:
    """Per cell: the fit score (hollow) and the held-out score with its 95% interval; the chosen one starred."""
    key = result.objective.replace("-", "_")
    table = result.table
    split = result.settings["split"]
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        fig = _figure(max(6.0, 0.9 * len(table) + 3), 4.2)
        ax = fig.subplots()
        x = np.arange(len(table))
        held = table[f"heldout_{key}"].to_numpy(float)
        err = np.vstack([held - table[f"heldout_{key}_low"], table[f"heldout_{key}_high"] - held])
        colors = sns.color_palette(_PALETTE, 3)
        ax.errorbar(x, held, yerr=np.abs(err), fmt="o", color=colors[0], capsize=3, label="held-out [95% CI]")
        ax.scatter(x, table[f"fit_{key}"], marker="o", facecolors="none", edgecolors=colors[1], s=60,
                   label="fit half", zorder=3)  # fmt: skip
        chosen = np.flatnonzero(table["chosen"].to_numpy(bool))
        ax.scatter(x[chosen], held[chosen], marker="*", s=260, color=colors[2], label="chosen on fit", zorder=4)
        ax.set_xticks(x, [f"{c}\n(n={n})" for c, n in zip(table["cell"], table["n_sim"], strict=True)],
                      rotation=30, ha="right", fontsize=7)  # fmt: skip
        ax.set_ylabel(f"{result.objective} (lower = closer to humans)")
        ax.set_title(f"Calibration by {result.objective}: human fit n={split['fit']['n']}, "
                     f"held-out n={split['held_out']['n']}", fontsize=10)  # fmt: skip
        ax.legend(fontsize=7, loc="best")
    return fig


def forest_figure(effects: pd.DataFrame, title: str) -> Figure:
    """Coefficients with 95% intervals, one panel per model, humans and each source side by side.

    ``effects`` has ``source``, ``n``, ``model``, ``term``, ``coef``, ``low``, ``high``.
    """
    models = list(dict.fromkeys(effects["model"]))
    terms = list(dict.fromkeys(effects["term"]))
    sources = list(dict.fromkeys(effects["source"]))
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        fig = _figure(5.0 * len(models), 0.42 * len(terms) * max(1, len(sources) / 2) + 1.8)
        axes = np.atleast_1d(fig.subplots(1, len(models), sharey=True))
        colors = dict(zip(sources, sns.color_palette(_PALETTE, len(sources)), strict=True))
        offsets = np.linspace(-0.3, 0.3, len(sources)) if len(sources) > 1 else np.zeros(1)
        for ax, model in zip(axes, models, strict=True):
            part = effects[effects["model"] == model]
            for offset, source in zip(offsets, sources, strict=True):
                rows = part[part["source"] == source].set_index("term").reindex(terms)
                y = np.arange(len(terms)) + offset
                coef = rows["coef"].to_numpy(float)
                err = np.abs(np.vstack([coef - rows["low"].to_numpy(float), rows["high"].to_numpy(float) - coef]))
                n = rows["n"].dropna()
                label = f"{source} (n={int(n.iloc[0])})" if len(n) else f"{source} (not fitted)"
                ax.errorbar(coef, y, xerr=err, fmt="o", ms=4, capsize=2, color=colors[source], label=label)
            ax.axvline(0, color="grey", lw=0.8)
            ax.set_yticks(np.arange(len(terms)), terms)
            ax.invert_yaxis()
            ax.set_title(model, fontsize=9)
            ax.set_xlabel("coefficient [95% CI]")
        axes[0].legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.06), ncol=2)
        fig.suptitle(title, fontsize=10)
    return fig


def save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as PNG to ``path``."""
    fig.savefig(path, dpi=110)
    return path
