"""Seeded percentile bootstrap intervals for simulated figures.

Resampling units are dialogues: pass one value per dialogue (donations, mind-change flags), or pass
dialogue *indices* (``np.arange(n)``) and a statistic that looks rows up — a cluster bootstrap, used for
figures built from several rows per dialogue (strategy shares of persuader turns).

Only the simulated side is resampled; the human reference is treated as fixed.  Randomness comes from a
``numpy.random.Generator`` (seeded), never from global state, so intervals are reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 2000
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class BootstrapCI:
    """A point estimate and its percentile bootstrap interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    n_resamples: int

    def format(self, fmt: str = ".3f") -> str:
        """E.g. ``0.412 [0.371, 0.455]``."""
        return f"{self.estimate:{fmt}} [{self.low:{fmt}}, {self.high:{fmt}}]"

    def to_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


def bootstrap_ci(
    data: Sequence | np.ndarray,
    statistic: Callable[[np.ndarray], float],
    *,
    rng: np.random.Generator | int | None = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
) -> BootstrapCI:
    """Percentile bootstrap interval of ``statistic(data)``, resampling ``data`` rows with replacement.

    ``rng`` is a Generator or a seed.  Resamples where the statistic is NaN (e.g. a conditional share
    whose condition never occurs) are ignored; if all are NaN the interval is NaN.  An empty sample gives
    NaN everywhere.
    """
    arr = np.asarray(data)
    estimate = float(statistic(arr)) if len(arr) else float("nan")
    if len(arr) == 0:
        return BootstrapCI(estimate, float("nan"), float("nan"), confidence, 0)
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    draws = generator.integers(0, len(arr), size=(n_resamples, len(arr)))
    values = np.array([statistic(arr[idx]) for idx in draws], dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return BootstrapCI(estimate, float("nan"), float("nan"), confidence, n_resamples)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [alpha, 1.0 - alpha])
    return BootstrapCI(estimate, float(low), float(high), confidence, n_resamples)


def bootstrap_mean(values: Sequence[float], **kwargs) -> BootstrapCI:
    """Bootstrap interval of the mean (booleans give a proportion)."""
    return bootstrap_ci(np.asarray(values, dtype=float), np.mean, **kwargs)
