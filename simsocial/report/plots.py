"""Figures of a :class:`~simsocial.report.compare.Comparison` (seaborn on matplotlib's Agg canvas).

Figures are built as :class:`matplotlib.figure.Figure` objects with an Agg canvas and never through
``pyplot``, so nothing depends on (or changes) the global backend: they save headless, and a notebook
displays them as it would any figure.

- :func:`donation_histograms` — $0.10-bin densities, simulated bars vs the human outline, one panel a method
- :func:`donation_ecdfs` — empirical CDFs, simulated vs human, one panel a method
- :func:`mind_change_bars` — mind-change figures per method and human, with 95% intervals
- :func:`strategy_bars` — persuader strategy shares per method and human
"""

from __future__ import annotations

import functools
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simsocial.metrics import distribution, strategies
from simsocial.report.compare import Comparison
from simsocial.report.context import short_labels

HUMAN = "human (PersuasionForGood)"
_PALETTE = "colorblind"


def _styled(make):
    """Build the figure inside seaborn's style context instead of changing global rcParams."""

    @functools.wraps(make)
    def wrapper(comparison: Comparison) -> Figure:
        with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.9):
            return make(comparison)

    return wrapper


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _grid(n: int, ncols: int = 3, panel: tuple[float, float] = (4.2, 3.0)) -> tuple[Figure, list]:
    cols = 2 if n == 4 else min(n, ncols)  # four panels read best as a square
    rows = math.ceil(n / cols)
    fig = _figure(panel[0] * cols, panel[1] * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _labels(comparison: Comparison) -> list[str]:
    """Short, unique column labels: method + knobs, plus model / seed / temperature where columns differ."""
    columns = [(m.run, m.method) for m in comparison.methods]
    return short_labels(columns, comparison.settings.get("runs", []))


def _title(label: str, detail: str) -> str:
    # Wrapped so neighbouring panel titles never run into each other.
    return "\n".join([*textwrap.wrap(label, 34, break_on_hyphens=False), detail])


def _shared_legend(fig: Figure, axes: list) -> None:
    """One legend for all panels, below them, so it never covers a bar."""
    handles, names = {}, []
    for ax in axes:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            key = name.split(" (n=")[0]
            if key not in handles:
                handles[key] = handle
                names.append(key)
    if handles:
        fig.legend([handles[n] for n in names], names, loc="outside lower center", ncols=len(names), fontsize=9)


@_styled
def donation_histograms(comparison: Comparison) -> Figure:
    """Simulated donation density (bars) against the human density (black step), per method."""
    human = comparison.human.donations.histogram
    colors = sns.color_palette(_PALETTE)
    fig, axes = _grid(max(len(comparison.methods), 1))
    for i, (ax, m, label) in enumerate(zip(axes, comparison.methods, _labels(comparison), strict=False)):
        if m.donations.size:
            h = distribution.histogram(m.donations)
            ax.bar(
                h.edges[:-1],
                h.density,
                width=h.width,
                align="edge",
                alpha=0.75,
                color=colors[i % len(colors)],
                edgecolor="white",
                label="simulated",
            )
        ax.stairs(human.density, human.edges, color="black", linewidth=1.5,
                  label=f"human (PersuasionForGood, n={comparison.human.donations.n})")  # fmt: skip
        l1 = f"n={m.donations.size}, L1={m.donation.l1:.2f}" if m.donation else "n=0: no donations"
        ax.set_title(_title(label, l1), fontsize=9)
        ax.set_xlim(0, 2)
        ax.set_xlabel("donation ($)")
        ax.set_ylabel("density (per $)")
    _shared_legend(fig, axes)
    fig.suptitle("Donation distribution: simulated vs human ($0.10 bins)")
    return fig


@_styled
def donation_ecdfs(comparison: Comparison) -> Figure:
    """Empirical CDFs of donations, simulated vs human, per method (KS = largest vertical gap)."""
    colors = sns.color_palette(_PALETTE)
    fig, axes = _grid(max(len(comparison.methods), 1))
    for i, (ax, m, label) in enumerate(zip(axes, comparison.methods, _labels(comparison), strict=False)):
        sns.ecdfplot(x=comparison.human.donation_values, ax=ax, color="black", label="human")
        if m.donations.size:
            sns.ecdfplot(x=m.donations, ax=ax, color=colors[i % len(colors)], linewidth=2, label="simulated")
        ks = (f"n={m.donations.size}, KS={m.donation.ks.statistic:.2f} (p={m.donation.ks.pvalue:.2g})"
              if m.donation else "n=0: no donations")  # fmt: skip
        ax.set_title(_title(label, ks), fontsize=9)
        ax.set_xlim(-0.02, 2.02)
        ax.set_xlabel("donation ($)")
        ax.set_ylabel("share ≤ x")
    _shared_legend(fig, axes)
    fig.suptitle("Donation ECDF: simulated vs human")
    return fig


def _mind_change_frame(comparison: Comparison) -> pd.DataFrame:
    figures = {
        "mind change": "mind_change_rate",
        "ever refused": "ever_refused",
        "refused → committed": "refused_then_committed",
        "committed → refused": "committed_then_refused",
    }
    rows = []
    h = comparison.human.mind_change
    human = f"{HUMAN} (n={h.n})"
    for name, attr in figures.items():
        rows.append({"source": human, "figure": name, "share": getattr(h, attr), "low": np.nan, "high": np.nan})
    for m, short in zip(comparison.methods, _labels(comparison), strict=True):
        label = f"{short} (n={len(m.stance_table)})"
        for name, attr in figures.items():
            ci = m.intervals.get(attr)
            rows.append(
                {
                    "source": label,
                    "figure": name,
                    "share": getattr(m.mind_change, attr),
                    "low": ci.low if ci else np.nan,
                    "high": ci.high if ci else np.nan,
                }
            )
    return pd.DataFrame(rows)


@_styled
def mind_change_bars(comparison: Comparison) -> Figure:
    """Shares of dialogues with a mind change / a refusal / each switch, human vs each method (95% CI)."""
    frame = _mind_change_frame(comparison)
    sources = frame["source"].unique().tolist()
    fig = _figure(max(9.0, 0.5 * len(sources) * len(frame["figure"].unique()) + 4), 4.2)
    ax = fig.subplots()
    sns.barplot(
        data=frame,
        x="figure",
        y="share",
        hue="source",
        hue_order=sources,
        ax=ax,
        palette=["#444444", *sns.color_palette(_PALETTE, len(sources) - 1)],
        errorbar=None,
    )
    # Error bars by hand: seaborn would bootstrap the single value per bar; ours come from compare.
    for container, source in zip(ax.containers, sources, strict=False):
        sub = frame[frame["source"] == source].set_index("figure")
        for bar, fig_name in zip(container, sub.index, strict=False):
            low, high = sub.loc[fig_name, "low"], sub.loc[fig_name, "high"]
            if not np.isnan(low):
                x = bar.get_x() + bar.get_width() / 2
                ax.errorbar(
                    x,
                    bar.get_height(),
                    yerr=[[bar.get_height() - low], [high - bar.get_height()]],
                    color="black",
                    capsize=3,
                    linewidth=1,
                )
            if bar.get_height() == 0:  # a zero is a result: mark it, or it looks like a missing bar
                x = bar.get_x() + bar.get_width() / 2
                ax.plot([bar.get_x(), bar.get_x() + bar.get_width()], [0.004, 0.004], color=bar.get_facecolor(),
                        linewidth=3, solid_capstyle="butt")  # fmt: skip
                ax.annotate("0", (x, 0.0), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("")
    ax.set_ylabel("share of dialogues")
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, fontsize=8, loc="outside lower center", ncols=min(3, len(names)))  # under the bars
    if ax.get_legend():
        ax.get_legend().remove()
    fig.suptitle(
        f"Persuadee mind changes (human: {comparison.human.mind_change.n} annotated dialogues; bars: 95% bootstrap CI)",
        fontsize=10,
    )
    return fig


@_styled
def strategy_bars(comparison: Comparison) -> Figure:
    """Persuader strategy shares (10 strategies + non-strategy), human vs each method."""
    rows = [{"source": HUMAN, "strategy": k, "share": v} for k, v in comparison.human.strategies.shares.items()]
    for m, label in zip(comparison.methods, _labels(comparison), strict=True):
        jsd = f"{label} (JSD {m.strategy_jsd:.2f})" if not np.isnan(m.strategy_jsd) else label
        rows += [{"source": jsd, "strategy": k, "share": v} for k, v in m.strategies.shares.items()]
    frame = pd.DataFrame(rows).fillna({"share": 0.0})
    sources = frame["source"].unique().tolist()
    fig = _figure(9.0, 0.2 * len(strategies.CATEGORIES) * len(sources) + 1.5)
    ax = fig.subplots()
    sns.barplot(
        data=frame,
        y="strategy",
        x="share",
        hue="source",
        hue_order=sources,
        order=list(strategies.CATEGORIES),
        ax=ax,
        palette=["#444444", *sns.color_palette(_PALETTE, len(sources) - 1)],
        errorbar=None,
    )
    ax.set_xlabel("share of persuader labels (human: sentences; simulated: turns)")
    ax.set_ylabel("")
    handles, names = ax.get_legend_handles_labels()
    if ax.get_legend():
        ax.get_legend().remove()
    # Below the axes: never over a bar, never under the title.
    fig.legend(handles, names, fontsize=8, loc="outside lower center", ncols=min(3, len(names)))
    fig.suptitle("Persuader strategies (Jensen–Shannon distance to human, base 2)", fontsize=10)
    return fig


FIGURES = {
    "donation_hist": donation_histograms,
    "donation_ecdf": donation_ecdfs,
    "mind_change": mind_change_bars,
    "strategies": strategy_bars,
}


def save_figures(comparison: Comparison, out_dir: str | Path) -> dict[str, Path]:
    """Render every figure in :data:`FIGURES` to ``out_dir/<name>.png``; returns name → path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, make in FIGURES.items():
        fig = make(comparison)
        path = out / f"{name}.png"
        fig.savefig(path)
        paths[name] = path
    return paths
