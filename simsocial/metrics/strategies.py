"""Persuader strategy distributions and their Jensen–Shannon distance.

Categories: the 10 persuasion strategies of the PersuasionForGood annotation scheme plus
``non-strategy`` for every other label (greeting, proposition-of-donation, thank, other, …, and missing
labels).  Labels are normalised (case, ``_``/spaces → ``-``) so ``Logical_Appeal`` counts as
``logical-appeal``.

Units differ by source and this is deliberate: human labels are per *sentence* (``er_label_1``), simulated
labels per persuader *turn* — each is the unit its source annotates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.spatial import distance

STRATEGIES = (
    "logical-appeal",
    "emotion-appeal",
    "credibility-appeal",
    "foot-in-the-door",
    "self-modeling",
    "personal-story",
    "donation-information",
    "source-related-inquiry",
    "task-related-inquiry",
    "personal-related-inquiry",
)
NON_STRATEGY = "non-strategy"
CATEGORIES = (*STRATEGIES, NON_STRATEGY)

_ALIASES = {"self-modelling": "self-modeling", "emotional-appeal": "emotion-appeal"}


def normalize_strategy(label: object) -> str:
    """One of :data:`CATEGORIES` for a raw label (unknown or missing → ``non-strategy``)."""
    if not isinstance(label, str):
        return NON_STRATEGY
    key = "-".join(label.strip().lower().replace("_", " ").split())
    key = _ALIASES.get(key, key)
    return key if key in STRATEGIES else NON_STRATEGY


@dataclass(frozen=True)
class StrategyDistribution:
    """Counts and shares over :data:`CATEGORIES` (in that order)."""

    counts: dict[str, int]

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def shares(self) -> dict[str, float]:
        n = self.n
        return {k: (v / n if n else float("nan")) for k, v in self.counts.items()}

    def vector(self, include_non_strategy: bool = True) -> np.ndarray:
        keys = CATEGORIES if include_non_strategy else STRATEGIES
        return np.array([self.counts[k] for k in keys], dtype=float)


def strategy_distribution(labels: Iterable[object]) -> StrategyDistribution:
    """Count normalised strategy labels."""
    counts = dict.fromkeys(CATEGORIES, 0)
    for label in labels:
        counts[normalize_strategy(label)] += 1
    return StrategyDistribution(counts=counts)


def jensen_shannon(p: StrategyDistribution, q: StrategyDistribution, include_non_strategy: bool = True) -> float:
    """Jensen–Shannon *distance* (base 2, ∈ [0, 1]) between two strategy distributions.

    ``include_non_strategy=False`` compares the mix of the 10 strategies only (renormalised).  NaN if
    either side has no labels in the compared categories.
    """
    return js_distance(p.vector(include_non_strategy), q.vector(include_non_strategy))


def js_distance(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    """Base-2 Jensen–Shannon distance between two count (or weight) vectors, normalised first.

    ``scipy.spatial.distance.jensenshannon``; NaN if either vector sums to 0.
    """
    a, b = np.asarray(p_counts, dtype=float), np.asarray(q_counts, dtype=float)
    if a.sum() == 0 or b.sum() == 0:
        return float("nan")
    return float(distance.jensenshannon(a / a.sum(), b / b.sum(), base=2))
