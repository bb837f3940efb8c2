"""Per-dialogue outcomes, human and simulated, in the one shape every validity analysis reads.

A :class:`Sample` holds donations (one per dialogue kept by the cleaning policy) and mind-change flags
(one per dialogue whose stances are known: all simulated dialogues, the 300 annotated human ones).  The
human side comes from the bundled study through :func:`human_outcomes`; each simulated *cell* (one method
of one run, or one sweep cell) through :func:`simulated_cells`.  Both go through the same cleaning policy
and the same mind-change function (:func:`simsocial.metrics.stance.count_mind_changes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsocial.data.cleaning import DEFAULT_POLICY, clean
from simsocial.report.rundir import RunData

DONATION_COLUMNS = {"final": "final_donation", "in-dialogue": "in_dialogue_donation"}


@dataclass(frozen=True)
class Sample:
    """Donations (dollars) and mind-change flags of one group of dialogues."""

    donations: np.ndarray
    mind_change: np.ndarray  # bool, one per dialogue with known stances (may be fewer than donations)

    @property
    def n(self) -> int:
        return len(self.donations)

    def resample(self, rng: np.random.Generator) -> Sample:
        """A bootstrap resample: dialogues drawn with replacement, each array on its own."""

        def draw(a: np.ndarray) -> np.ndarray:
            return a[rng.integers(0, len(a), len(a))] if len(a) else a

        return Sample(draw(self.donations), draw(self.mind_change))


@dataclass(frozen=True)
class Cell:
    """One simulated condition: a method of a run (or a sweep cell), with its per-dialogue outcomes."""

    label: str
    run: str
    method: str
    sample: Sample
    dialogues: pd.DataFrame = field(repr=False)  # the kept dialogues.parquet rows
    n_dropped: int = 0  # dialogues the cleaning policy dropped (failed, out of range)
    knobs: dict = field(default_factory=dict)
    column: str = "final_donation"  # which donation construct ``dialogues`` is read by


def human_outcomes(cleaning: str = DEFAULT_POLICY) -> pd.DataFrame:
    """One row per cleaned human dialogue: ``dialogue_id``, ``donation``, ``gave``, ``mind_change``.

    ``mind_change`` is 1.0/0.0 for the annotated dialogues (persuadee acts give the stances) and NaN for
    the others.  The survey columns of :func:`simsocial.data.human.human_dialogues` follow.
    """
    from simsocial.data.human import human_dialogues
    from simsocial.metrics.human_reference import human_reference

    people = human_dialogues(cleaning)
    stances = human_reference(cleaning).stance_table.set_index("dialogue_id")["mind_changes"]
    flags = stances.reindex(people["dialogue_id"]).to_numpy(float)
    out = people.assign(gave=people["donation"] > 0, mind_change=np.where(np.isnan(flags), np.nan, flags > 0))
    out.attrs = people.attrs
    return out


def sample_of(frame: pd.DataFrame) -> Sample:
    """The :class:`Sample` of a :func:`human_outcomes` frame (or any part of one, e.g. a split half)."""
    flags = frame["mind_change"].dropna().to_numpy(bool)
    return Sample(frame["donation"].to_numpy(float), flags)


def _mind_change_flags(dialogues: pd.DataFrame) -> np.ndarray:
    from simsocial.metrics.stance import simulated_stance_table

    if dialogues.empty:
        return np.zeros(0, dtype=bool)
    return simulated_stance_table(dialogues)["mind_changes"].to_numpy(float) > 0


def _knobs(run: RunData, method: str) -> dict:
    """What the cell ran with: the sweep's cell row, else the run's condition record for ``method``."""
    if run.sweep_cell is not None:
        return {k: v for k, v in run.sweep_cell.items() if isinstance(v, str | int | float | bool)}
    for condition in run.manifest.get("conditions", []) or []:
        if isinstance(condition, dict) and condition.get("label") == method:
            return {"method": method, **{k: v for k, v in (condition.get("persuadee") or {}).items()
                                         if k != "method"}}  # fmt: skip
    return {"method": method}


def simulated_cells(runs: Sequence[RunData], cleaning: str = DEFAULT_POLICY, donation: str = "final") -> list[Cell]:
    """One :class:`Cell` per run × method, its dialogues cleaned by ``cleaning`` (drops counted)."""
    column = DONATION_COLUMNS[donation]
    cells = []
    for run in runs:
        for method in run.methods:
            rows = run.dialogues[run.dialogues["method"] == method].reset_index(drop=True)
            if column == "in_dialogue_donation":
                from simsocial.data.cleaning import DONATION_MAX
                from simsocial.report import paper_figures

                rows = paper_figures.with_in_dialogue_donation(rows, run.turns, DONATION_MAX)
            kept, report = clean(rows, cleaning, amount_column=column, id_column="dialogue_id")
            kept = kept.reset_index(drop=True)
            sample = Sample(kept[column].to_numpy(float), _mind_change_flags(kept))
            one = len(run.methods) == 1 and run.sweep_cell is not None  # a sweep cell is named by its directory
            label = run.label if one else f"{run.label} · {method}"
            dropped = len(rows) - len(kept)
            cells.append(Cell(label, run.label, method, sample, kept, dropped, _knobs(run, method), column))
    return cells
