"""The live view's panels: the active dialogues' latest utterances, and stated amounts against the human
donation histogram.  (Stance shares per step are a Mesa plot of the model's DataCollector.)

They are plain functions of the model: SolaraViz wraps them in components that re-render after each step.
"""

from __future__ import annotations

import functools

import numpy as np
import solara
from matplotlib.figure import Figure

from simsocial.data.human import human_dialogues
from simsocial.viz.model import VizModel

BINS = np.linspace(0.0, 2.0, 21)  # $0.10 bins on [0, 2], the VS paper's histogram


@functools.cache
def _human_donations() -> np.ndarray:
    return human_dialogues()["donation"].dropna().to_numpy(dtype=float)


def latest_utterances(model: VizModel) -> None:
    """Each live dialogue's latest message and reply, with strategy, stance and stated amount.

    Every string here may come from the model, so the panel is one text node (``solara.Text``), never
    Markdown or HTML: markup in an utterance (``<img onerror=…>``, a Vue ``{{…}}`` template) is shown, not
    run.  One node, so the panel changes at once after a step, never half old and half new.
    """
    pairs = list(model.pairs.values())
    lines = [f"{len(pairs)} active, {model.n_finished} finished (step {model.steps})"]
    for _, persuadee in pairs:
        dialogue = persuadee.dialogue
        lines += ["", f"{dialogue.dialogue_id} · turn {dialogue.turn}"]
        for u in dialogue.transcript[-2:]:
            amount = f", {model.scenario.task.currency}{u.stated_amount:.2f}" if u.stated_amount is not None else ""
            lines.append(f"• {u.speaker} [{u.label or '–'}{amount}]: {u.text}")
        if not dialogue.transcript:
            lines.append("• (not started)")
    if not pairs and model.n_finished:
        lines += ["", "All dialogues have finished: see the stated and final amounts."]
    # The panel keeps its grid cell's size however long the messages are: it scrolls instead of overflowing.
    with solara.Column(style={"max-height": "430px", "overflow-y": "auto"}):
        solara.Text("\n".join(lines), style={"white-space": "pre-wrap"})


def stated_amounts(model: VizModel) -> None:
    """Stated amounts (every dialogue's last) and final donations vs the human donation histogram."""
    frame = model.dialogues_frame()
    fig = Figure(figsize=(6, 3.2))
    ax = fig.subplots()
    ax.hist(_human_donations(), bins=BINS, density=True, color="0.75", label="human donations (P4G)")
    for column, color, label in (("last_stated_amount", "tab:blue", "stated (simulated)"),
                                 ("final_donation", "tab:orange", "donated (simulated)")):  # fmt: skip
        values = frame[column].dropna().to_numpy(dtype=float)
        if len(values):
            ax.hist(values, bins=BINS, density=True, histtype="step", linewidth=2, color=color,
                    label=f"{label}, n={len(values)}")  # fmt: skip
    ax.set_title("stated amounts and donations vs the human study", fontsize=10)
    currency = model.scenario.task.currency
    ax.set_xlabel("US$" if currency == "$" else f"{currency} (the human study: US$)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    solara.FigureMatplotlib(fig)
