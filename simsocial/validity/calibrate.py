"""Calibration over finished cells: choose on the fit half of the humans, judge on the held-out half.

Every cell is scored against the fit half by the chosen objective; the lowest score is the chosen cell
(ties: the first in the order given).  Then every cell is evaluated against the held-out half, each figure
with a seeded percentile-bootstrap 95% interval that resamples both the simulated dialogues and the
held-out humans.  ``gap`` = fit − held-out score of the objective: a negative gap means the cell looks
closer to the humans it was chosen on than to new ones, i.e. how much the choice overfits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsocial.validity.objectives import METRICS, check_objective, metric_values
from simsocial.validity.samples import Cell, Sample, sample_of
from simsocial.validity.split import halves, split_summary

DEFAULT_RESAMPLES = 1000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Calibration:
    """The table (one row per cell), the chosen cell's label and what it was computed with."""

    table: pd.DataFrame
    chosen: str
    objective: str
    split: pd.DataFrame = field(repr=False)
    settings: dict = field(default_factory=dict)

    @property
    def chosen_row(self) -> pd.Series:
        return self.table[self.table["chosen"]].iloc[0]


def bootstrap_metrics(
    sim: Sample, human: Sample, rng: np.random.Generator, n_resamples: int = DEFAULT_RESAMPLES
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of every metric, resampling ``sim`` and ``human`` dialogues independently."""
    draws = [metric_values(sim.resample(rng), human.resample(rng)) for _ in range(n_resamples)]
    alpha = (1 - CONFIDENCE) / 2
    out = {}
    for name in METRICS:
        values = np.array([d[name] for d in draws], dtype=float)
        values = values[~np.isnan(values)]
        out[name] = tuple(np.quantile(values, [alpha, 1 - alpha])) if values.size else (np.nan, np.nan)
    return out


def evaluate_cell(
    cell: Cell, fit: Sample, held_out: Sample, rng: np.random.Generator, n_resamples: int
) -> dict[str, object]:
    """One table row: fit and held-out figures of ``cell``, held-out ones with intervals."""
    row: dict[str, object] = {"cell": cell.label, "run": cell.run, "method": cell.method, "n_sim": cell.sample.n,
                              "n_dropped": cell.n_dropped}  # fmt: skip
    fit_values = metric_values(cell.sample, fit)
    held_values = metric_values(cell.sample, held_out)
    intervals = bootstrap_metrics(cell.sample, held_out, rng, n_resamples)
    for name in METRICS:
        key = name.replace("-", "_")
        row[f"fit_{key}"] = fit_values[name]
        row[f"heldout_{key}"] = held_values[name]
        row[f"heldout_{key}_low"], row[f"heldout_{key}_high"] = (float(v) for v in intervals[name])
    row.update({f"knob_{k}": v for k, v in cell.knobs.items() if k not in row})
    return row


def calibrate_cells(
    cells: Sequence[Cell],
    split: pd.DataFrame,
    objective: str = "ks",
    *,
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> Calibration:
    """Score ``cells`` on the fit half of ``split``, choose the best, evaluate all on the held-out half."""
    check_objective(objective)
    if not cells:
        raise ValueError("no simulated cells to calibrate")
    empty = [c.label for c in cells if c.sample.n == 0]
    if len(empty) == len(cells):
        raise ValueError("no cell has a donation left after cleaning")
    fit_rows, held_rows = halves(split)
    fit, held_out = sample_of(fit_rows), sample_of(held_rows)
    rng = np.random.default_rng(seed)
    table = pd.DataFrame([evaluate_cell(c, fit, held_out, rng, n_resamples) for c in cells])
    key = objective.replace("-", "_")
    table["objective"] = objective
    table["gap"] = table[f"fit_{key}"] - table[f"heldout_{key}"]
    scores = table[f"fit_{key}"].to_numpy(float)
    if np.isnan(scores).all():
        raise ValueError(f"objective {objective!r} cannot be computed for any cell (no stances or donations)")
    best = int(np.nanargmin(scores))
    table["chosen"] = np.arange(len(table)) == best
    settings = {"objective": objective, "seed": seed, "n_resamples": n_resamples, "confidence": CONFIDENCE,
                "split": split_summary(split), "cells_without_donations": empty}  # fmt: skip
    return Calibration(table, str(table.loc[best, "cell"]), objective, split, settings)


def display_rows(result: Calibration) -> list[dict[str, str]]:
    """Readable rows: cell, n, fit score, held-out score [95% CI], gap, chosen mark."""
    key = result.objective.replace("-", "_")
    rows = []
    for _, r in result.table.iterrows():
        rows.append({
            "cell": ("★ " if r["chosen"] else "  ") + str(r["cell"]),
            "n sim": str(r["n_sim"]),
            f"fit {result.objective}": f"{r[f'fit_{key}']:.3f}",
            f"held-out {result.objective} [95% CI]": _ci(r, key),
            "gap (fit − held-out)": f"{r['gap']:+.3f}",
            **{f"held-out {m}": _ci(r, m.replace("-", "_")) for m in METRICS if m != result.objective},
        })  # fmt: skip
    return rows


def _ci(row: pd.Series, key: str) -> str:
    value = row[f"heldout_{key}"]
    if pd.isna(value):
        return "–"
    return f"{value:.3f} [{row[f'heldout_{key}_low']:.3f}, {row[f'heldout_{key}_high']:.3f}]"
