"""Effects side by side: the same two regressions on the humans and on each simulated cell, then fidelity.

Shared by :mod:`~simsocial.validity.traits` and :mod:`~simsocial.validity.strategies`, which only build
the per-dialogue frames (``donation`` and one column per term).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsocial.validity.fidelity import DEFAULT_RESAMPLES, fidelity, human_draws
from simsocial.validity.regression import MODEL_TITLES, fit_all, minimum_detectable

HUMAN = "human"


@dataclass(frozen=True)
class Effects:
    """``effects``: one row per source × model × term; ``fidelity``: one row per cell × model."""

    kind: str  # "traits" or "strategies"
    terms: list[str]
    effects: pd.DataFrame
    fidelity: pd.DataFrame
    power: list[str]
    dropped: dict[str, int] = field(default_factory=dict)  # rows left out per source, and why (in the key)
    unit: str = "per SD"


def side_by_side(
    kind: str,
    human: pd.DataFrame,
    cells: Sequence[tuple[str, pd.DataFrame]],
    terms: Sequence[str],
    *,
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
    unit: str = "per SD",
    dropped: dict[str, int] | None = None,
) -> Effects:
    """Fit both models on ``human`` and on every ``(label, frame)`` of ``cells``; score each against the humans."""
    rng = np.random.default_rng(seed)
    human_fits = fit_all(human, terms)
    rows = [r for f in human_fits for r in f.rows(HUMAN)]
    power = [_power(HUMAN, human_fits, kind, unit)]
    cell_fits = [(label, frame, fit_all(frame, terms)) for label, frame in cells]
    # The humans' bootstrap refits are shared by every cell, and made only for a model some cell could fit.
    needed = {f.model for _, _, fits in cell_fits for f in fits if f.coef.notna().any()}
    draws = {f.model: human_draws(human, terms, f.model, rng, n_resamples) if f.model in needed else []
             for f in human_fits}  # fmt: skip
    scores = []
    for label, frame, fits in cell_fits:
        rows += [r for f in fits for r in f.rows(label)]
        power.append(_power(label, fits, kind, unit))
        for h_fit, s_fit in zip(human_fits, fits, strict=True):
            score = fidelity(h_fit, draws[h_fit.model], frame, s_fit, terms, rng)
            scores.append({"source": label, "n": s_fit.n, **score, "model": MODEL_TITLES[s_fit.model]})
    effects = pd.DataFrame(rows)
    effects["model"] = effects["model"].map(MODEL_TITLES)
    return Effects(kind, list(terms), effects, pd.DataFrame(scores), power, dropped or {}, unit)


def _power(label: str, fits, kind: str, unit: str) -> str:
    amount, gave = fits
    mde_amount, mde_gave = minimum_detectable(amount), minimum_detectable(gave)
    if np.isnan(mde_amount) and np.isnan(mde_gave):
        return f"{label}: n={amount.n}; no effect could be estimated ({amount.note or gave.note})"
    size = "dialogues" if label != HUMAN else "human persuadees"
    on_amount = f"under ${mde_amount:.3f} {unit} on the amount" if not np.isnan(mde_amount) else ""
    on_gave = f"under {mde_gave:.2f} log-odds {unit} on giving anything" if not np.isnan(mde_gave) else ""
    line = f"{label}: with n={amount.n} {size}, {kind} effects {' or '.join(p for p in (on_amount, on_gave) if p)}"
    line += " are not detectable (80% power, α = 0.05)."
    for fit_ in fits:
        if fit_.note:
            line += f" {MODEL_TITLES[fit_.model]}: {fit_.note}."
    return line


def display_fidelity(effects: Effects) -> pd.DataFrame:
    """The fidelity table with intervals in one cell each, for printing."""

    def ci(row: pd.Series, key: str, fmt: str) -> str:
        if pd.isna(row[key]):
            return "–"
        low, high = row[f"{key}_low"], row[f"{key}_high"]
        bounds = f" [{low:{fmt}}, {high:{fmt}}]" if not pd.isna(low) else ""
        return f"{row[key]:{fmt}}{bounds}"

    f = effects.fidelity
    return pd.DataFrame({
        "cell": f["source"], "n": f["n"], "model": f["model"], "human-significant effects": f["human_significant"],
        "sign agreement [95% CI]": [ci(r, "sign_agreement", ".2f") for _, r in f.iterrows()],
        "correlation [95% CI]": [ci(r, "correlation", ".2f") for _, r in f.iterrows()],
    })  # fmt: skip
