"""The say–do gap: what a persuadee said it would give vs what it gave, for people and simulations alike.

:func:`say_do_summary` is the one function both sides go through: human stated amounts (the annotated
B5 amount named in the chat) against their private donations (B6), and simulated ``last_stated_amount``
against ``final_donation``.  Pairs where nothing was stated are left out (as on the human side, where
``drop_missing`` removes them), so the shares are over persuadees who named an amount.  Each share
carries a seeded percentile bootstrap interval over persuadees.

In the 300 annotated PersuasionForGood dialogues, 43% gave a different amount than they stated, 38%
gave less, and 37% of those who stated more than $0 gave $0 (``simsocial human``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simsocial.metrics.bootstrap import DEFAULT_RESAMPLES, BootstrapCI, bootstrap_ci

TOLERANCE = 1e-9
SHARES = ("gave_different", "gave_less", "gave_more", "stated_positive_gave_zero")


def _share(name: str, pairs: np.ndarray) -> float:
    if not len(pairs):
        return float("nan")
    stated, actual = pairs[:, 0], pairs[:, 1]
    gap = actual - stated
    if name == "gave_different":
        return float((np.abs(gap) > TOLERANCE).mean())
    if name == "gave_less":
        return float((gap < -TOLERANCE).mean())
    if name == "gave_more":
        return float((gap > TOLERANCE).mean())
    positive = stated > TOLERANCE
    return float((actual[positive] <= TOLERANCE).mean()) if positive.any() else float("nan")


@dataclass(frozen=True)
class SayDoSummary:
    """Shares of persuadees whose private donation differs from (is below, above) what they stated."""

    n: int
    mean_gap: BootstrapCI  # actual − stated, dollars
    shares: dict[str, BootstrapCI]

    def to_dict(self) -> dict:
        out: dict = {"n": self.n, "mean_gap": self.mean_gap.to_dict()}
        out.update({name: ci.to_dict() for name, ci in self.shares.items()})
        return out


def say_do_summary(
    stated: Sequence[float | None],
    actual: Sequence[float | None],
    *,
    rng: np.random.Generator | int | None = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> SayDoSummary:
    """Say–do figures over the pairs where both amounts are known (NaN/None pairs are left out)."""
    pairs = np.column_stack([np.asarray(stated, dtype=float), np.asarray(actual, dtype=float)]).reshape(-1, 2)
    pairs = pairs[~np.isnan(pairs).any(axis=1)]
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    gap = bootstrap_ci(pairs, lambda p: float((p[:, 1] - p[:, 0]).mean()) if len(p) else float("nan"),
                       rng=generator, n_resamples=n_resamples)  # fmt: skip
    shares = {
        name: bootstrap_ci(pairs, lambda p, name=name: _share(name, p), rng=generator, n_resamples=n_resamples)
        for name in SHARES
    }
    return SayDoSummary(n=len(pairs), mean_gap=gap, shares=shares)


def human_say_do_pairs(cleaning: str) -> tuple[np.ndarray, np.ndarray]:
    """Stated (B5) and actual (B6) amounts of the annotated human dialogues the cleaning policy keeps.

    The same selection as :func:`simsocial.metrics.human_reference.say_do_gap`: stated amounts that are
    missing or outside [0, 2] are dropped.
    """
    from simsocial.data import human as human_data
    from simsocial.data.cleaning import DROP_MISSING, DROP_OUT_OF_RANGE, clean

    dialogues, _ = human_data.clean_human_dialogues(cleaning)
    annotated = dialogues[dialogues["annotated"]]
    kept, _ = clean(annotated, [DROP_MISSING, DROP_OUT_OF_RANGE], amount_column="stated_donation")
    return kept["stated_donation"].to_numpy(float), kept["donation"].to_numpy(float)
