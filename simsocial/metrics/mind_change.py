"""Compare mind-change rates (simulated vs human) with Fisher's exact test on the 2×2 table.

Rows: simulated / human; columns: dialogues with ≥ 1 mind change / without.  A "mind change" is
defined once, in :func:`simsocial.metrics.stance.count_mind_changes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class RateComparison:
    """Two proportions and Fisher's exact test of their equality (two-sided)."""

    n_sim: int
    k_sim: int
    n_human: int
    k_human: int
    odds_ratio: float
    pvalue: float

    @property
    def rate_sim(self) -> float:
        return self.k_sim / self.n_sim if self.n_sim else float("nan")

    @property
    def rate_human(self) -> float:
        return self.k_human / self.n_human if self.n_human else float("nan")

    @property
    def difference(self) -> float:
        return self.rate_sim - self.rate_human


def compare_rates(sim: Sequence[bool], human: Sequence[bool]) -> RateComparison:
    """Fisher's exact test (``scipy.stats.fisher_exact``) of ``P(sim) == P(human)`` for boolean outcomes.

    With an empty side the test is undefined: odds ratio and p are NaN.
    """
    sim_arr = np.asarray(sim, dtype=bool)
    human_arr = np.asarray(human, dtype=bool)
    k_sim, n_sim = int(sim_arr.sum()), len(sim_arr)
    k_human, n_human = int(human_arr.sum()), len(human_arr)
    if n_sim == 0 or n_human == 0:
        return RateComparison(n_sim, k_sim, n_human, k_human, float("nan"), float("nan"))
    table = [[k_sim, n_sim - k_sim], [k_human, n_human - k_human]]
    result = stats.fisher_exact(table, alternative="two-sided")
    return RateComparison(n_sim, k_sim, n_human, k_human, float(result.statistic), float(result.pvalue))


def compare_mind_change_rates(sim_mind_changes: Sequence[int], human_mind_changes: Sequence[int]) -> RateComparison:
    """Compare the share of dialogues with at least one mind change (inputs: per-dialogue counts)."""
    return compare_rates(np.asarray(sim_mind_changes, dtype=float) > 0, np.asarray(human_mind_changes, dtype=float) > 0)
