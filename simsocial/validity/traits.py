"""Who gives: donation regressed on the persuadee's standardized traits, humans and each method side by side.

Traits come from the study's survey (``full_info.csv``).  A simulated persuadee is linked to its survey row
through its ``persona_id`` (``"<dialogue_id>:persuadee"``, :func:`simsocial.data.human.persona_table`);
dialogues whose persona has no survey row (free-text personas, ``none``) are left out and counted.  Both
sides are standardized with the same mean and SD — those of the persuadee pool the simulation draws from —
so a coefficient means the same thing on both sides: dollars (or log-odds) per SD of the human trait.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from simsocial.data.cleaning import DEFAULT_POLICY
from simsocial.data.human import BIG_FIVE, DECISION_STYLE, MORAL_FOUNDATIONS, SCHWARTZ_VALUES, persona_table
from simsocial.validity.effects import Effects, side_by_side
from simsocial.validity.fidelity import DEFAULT_RESAMPLES
from simsocial.validity.samples import Cell, human_outcomes

TRAIT_SETS: dict[str, tuple[str, ...]] = {
    "big-five": BIG_FIVE,
    "all": BIG_FIVE + MORAL_FOUNDATIONS + SCHWARTZ_VALUES + DECISION_STYLE,
}
DEFAULT_TRAITS = "big-five"


def trait_scale(traits: Sequence[str]) -> pd.DataFrame:
    """Mean and SD (rows ``mean``/``sd``) of each trait over the persuadee persona pool."""
    pool = persona_table("persuadee")[list(traits)].astype(float)
    return pd.DataFrame({"mean": pool.mean(), "sd": pool.std(ddof=1)}).T


def standardize(frame: pd.DataFrame, traits: Sequence[str], scale: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each trait replaced by its z-score on ``scale``."""
    out = frame.copy()
    for t in traits:
        out[t] = (out[t].astype(float) - scale.loc["mean", t]) / scale.loc["sd", t]
    return out


def human_trait_frame(traits: Sequence[str], scale: pd.DataFrame, cleaning: str = DEFAULT_POLICY) -> pd.DataFrame:
    """One row per cleaned human dialogue: ``donation`` and the standardized traits."""
    people = human_outcomes(cleaning)
    return standardize(people[["dialogue_id", "donation", *traits]], traits, scale)


def simulated_trait_frame(cell: Cell, traits: Sequence[str], scale: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``cell``'s dialogues joined to their persona's survey row; returns the frame and how many had none."""
    table = persona_table("persuadee", exclude_bad_ids=False).set_index("persona_id")[list(traits)]
    rows = cell.dialogues[["dialogue_id", "persona_id", cell.column]].rename(columns={cell.column: "donation"})
    linked = rows.join(table, on="persona_id", how="inner")
    return standardize(linked, traits, scale), len(rows) - len(linked)


def trait_effects(
    cells: Sequence[Cell],
    traits: Sequence[str] | str = DEFAULT_TRAITS,
    *,
    cleaning: str = DEFAULT_POLICY,
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> Effects:
    """Trait effects for the humans and every cell, with fidelity scores (see :mod:`simsocial.validity`)."""
    names = list(TRAIT_SETS[traits] if isinstance(traits, str) else traits)
    scale = trait_scale(names)
    human = human_trait_frame(names, scale, cleaning)
    frames = []
    missing_traits = int(human[names].isna().any(axis=1).sum())
    dropped = {"human: persuadees with a trait unanswered": missing_traits} if missing_traits else {}
    for cell in cells:
        frame, missing = simulated_trait_frame(cell, names, scale)
        frames.append((cell.label, frame))
        if missing:
            dropped[f"{cell.label}: dialogues whose persona has no survey row"] = missing
        if unanswered := int(frame[names].isna().any(axis=1).sum()):
            dropped[f"{cell.label}: dialogues whose persona left a trait unanswered"] = unanswered
        if cell.n_dropped:
            dropped[f"{cell.label}: dialogues dropped by the cleaning policy"] = cell.n_dropped
    return side_by_side("trait", human, frames, names, seed=seed, n_resamples=n_resamples, unit="per SD",
                        dropped=dropped)  # fmt: skip
