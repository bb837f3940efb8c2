"""Fidelity of simulated effects to human ones: do they point the same way, and do they line up?

- ``sign_agreement``: among the effects significant in the humans (p < 0.05), the share whose simulated
  coefficient has the same sign (NaN when no human effect is significant — nothing to agree with).
- ``correlation``: Pearson correlation of the human and simulated coefficient vectors over the terms both
  could estimate (NaN with fewer than 3 such terms).

Intervals: seeded percentile bootstrap, resampling human and simulated dialogues independently and
refitting both sides; the set of human-significant terms is the one from the full human sample.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simsocial.validity.regression import ALPHA, Fit, coefficients

CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 200


def sign_agreement(human: pd.Series, simulated: pd.Series, significant: Sequence[str]) -> float:
    terms = [t for t in significant if not np.isnan(simulated.get(t, np.nan))]
    if not terms:
        return float("nan")
    return float(np.mean([np.sign(human[t]) == np.sign(simulated[t]) for t in terms]))


def correlation(human: pd.Series, simulated: pd.Series) -> float:
    both = pd.concat([human, simulated], axis=1).dropna()
    if len(both) < 3 or both.iloc[:, 0].std() == 0 or both.iloc[:, 1].std() == 0:
        return float("nan")
    return float(np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1])


def _interval(values: list[float]) -> tuple[float, float, int]:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if not arr.size:
        return float("nan"), float("nan"), 0
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(arr, [alpha, 1 - alpha])
    return float(low), float(high), int(arr.size)


def human_draws(human_frame: pd.DataFrame, terms: Sequence[str], model: str, rng: np.random.Generator,
                n_resamples: int = DEFAULT_RESAMPLES) -> list[pd.Series]:  # fmt: skip
    """Coefficients of ``n_resamples`` bootstrap resamples of the humans (shared by every cell's scores)."""
    n = len(human_frame)
    return [coefficients(human_frame.iloc[rng.integers(0, n, n)], terms, model) for _ in range(n_resamples)]


def fidelity(
    human_fit: Fit,
    human_resampled: Sequence[pd.Series],
    sim_frame: pd.DataFrame,
    sim_fit: Fit,
    terms: Sequence[str],
    rng: np.random.Generator,
) -> dict[str, object]:
    """Sign agreement and correlation of ``sim_fit`` with ``human_fit``, each with a bootstrap interval.

    ``human_resampled`` holds the humans' bootstrap coefficients (:func:`human_draws`); the simulated side is
    resampled here, as many times.  A simulated fit with no estimable coefficient scores NaN, unresampled.
    """
    significant = [t for t in terms if human_fit.p.get(t, np.nan) < ALPHA]
    agree = sign_agreement(human_fit.coef, sim_fit.coef, significant)
    corr = correlation(human_fit.coef, sim_fit.coef)
    agrees, corrs = [], []
    if sim_fit.coef.notna().any():
        n = len(sim_frame)
        for h_coef in human_resampled:
            s_coef = coefficients(sim_frame.iloc[rng.integers(0, n, n)], terms, sim_fit.model)
            agrees.append(sign_agreement(h_coef, s_coef, significant))
            corrs.append(correlation(h_coef, s_coef))
    a_low, a_high, _ = _interval(agrees)
    c_low, c_high, used = _interval(corrs)
    return {"model": human_fit.model, "human_significant": ", ".join(significant) or "none",
            "sign_agreement": agree, "sign_agreement_low": a_low, "sign_agreement_high": a_high,
            "correlation": corr, "correlation_low": c_low, "correlation_high": c_high,
            "resamples": len(agrees), "resamples_with_correlation": used}  # fmt: skip
