"""Distances between two donation samples (simulated vs human), scipy.stats style.

- :func:`ks_2samp` — two-sample Kolmogorov–Smirnov statistic and p (``scipy.stats.ks_2samp``)
- :func:`histogram_l1` — L1 distance between 20-bin density histograms of width $0.10 on [0, 2]:
  ``sum |density_a - density_b| * bin_width``, with exact bin edges (simsocial's own variant: the VS
  paper's code bins with ``np.histogram``'s float edges, see :func:`simsocial.metrics.paper.l1_paper`);
  each histogram integrates to 1,
  so L1 ∈ [0, 2]: 0 for identical histograms, 2 for disjoint ones
- :func:`wasserstein_1` — earth mover's distance in dollars (``scipy.stats.wasserstein_distance``)
- :func:`compare_donations` — all of the above plus differences in mean and in share giving $0

Bins are half-open ``[lo + i·w, lo + (i+1)·w)`` with the last one closed, so $0.30 falls in
``[0.30, 0.40)``.  Bin indices are computed with a small tolerance rather than with ``np.histogram``,
whose float edges (0.30000000000000004) would put $0.30 into the ``[0.20, 0.30)`` bin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

DONATION_RANGE = (0.0, 2.0)
N_BINS = 20  # $0.10 bins
_EDGE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Histogram:
    """Counts and densities of a sample over equal-width bins."""

    edges: np.ndarray
    counts: np.ndarray
    density: np.ndarray

    @property
    def width(self) -> float:
        return float(self.edges[1] - self.edges[0])


@dataclass(frozen=True)
class KSResult:
    """Two-sample Kolmogorov–Smirnov statistic (max ECDF gap) and two-sided p-value."""

    statistic: float
    pvalue: float


@dataclass(frozen=True)
class DonationComparison:
    """Everything :func:`compare_donations` measures; ``*_diff`` are simulated minus human."""

    n_sim: int
    n_human: int
    mean_sim: float
    mean_human: float
    share_zero_sim: float
    share_zero_human: float
    ks: KSResult
    l1: float
    w1: float

    @property
    def mean_diff(self) -> float:
        return self.mean_sim - self.mean_human

    @property
    def share_zero_diff(self) -> float:
        return self.share_zero_sim - self.share_zero_human

    def to_dict(self) -> dict[str, float]:
        return {
            "n_sim": self.n_sim,
            "n_human": self.n_human,
            "mean_sim": self.mean_sim,
            "mean_human": self.mean_human,
            "mean_diff": self.mean_diff,
            "share_zero_sim": self.share_zero_sim,
            "share_zero_human": self.share_zero_human,
            "share_zero_diff": self.share_zero_diff,
            "ks_statistic": self.ks.statistic,
            "ks_pvalue": self.ks.pvalue,
            "l1": self.l1,
            "w1": self.w1,
        }


def _as_array(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError("expected a one-dimensional sample")
    if np.isnan(arr).any():
        raise ValueError("sample contains NaN; clean it first (simsocial.data.cleaning)")
    return arr


def histogram(
    values: Sequence[float], bins: int = N_BINS, value_range: tuple[float, float] = DONATION_RANGE
) -> Histogram:
    """Equal-width histogram whose densities integrate to 1.

    Raises ``ValueError`` for an empty sample or values outside ``value_range`` (dropping them silently
    would change the density; clean the data first).
    """
    arr = _as_array(values)
    lo, hi = value_range
    if arr.size == 0:
        raise ValueError("empty sample")
    if (arr < lo - _EDGE_TOLERANCE).any() or (arr > hi + _EDGE_TOLERANCE).any():
        raise ValueError(f"values outside [{lo}, {hi}]; clean them first (simsocial.data.cleaning)")
    width = (hi - lo) / bins
    index = np.floor((arr - lo) / width + _EDGE_TOLERANCE).astype(int)
    index = np.clip(index, 0, bins - 1)  # the top edge belongs to the last bin
    counts = np.bincount(index, minlength=bins)
    return Histogram(edges=lo + width * np.arange(bins + 1), counts=counts, density=counts / (counts.sum() * width))


def histogram_l1(
    a: Sequence[float],
    b: Sequence[float],
    bins: int = N_BINS,
    value_range: tuple[float, float] = DONATION_RANGE,
) -> float:
    """L1 distance between the density histograms of ``a`` and ``b``: ``Σ |p_a − p_b| · width`` ∈ [0, 2]."""
    ha, hb = histogram(a, bins, value_range), histogram(b, bins, value_range)
    return float(np.abs(ha.density - hb.density).sum() * ha.width)


def ks_2samp(a: Sequence[float], b: Sequence[float]) -> KSResult:
    """Two-sample KS test via ``scipy.stats.ks_2samp`` (two-sided, exact/asymptotic as scipy picks)."""
    result = stats.ks_2samp(_as_array(a), _as_array(b))
    return KSResult(statistic=float(result.statistic), pvalue=float(result.pvalue))


def wasserstein_1(a: Sequence[float], b: Sequence[float]) -> float:
    """Wasserstein-1 (earth mover's) distance between the samples, in the samples' unit ($)."""
    return float(stats.wasserstein_distance(_as_array(a), _as_array(b)))


def share_zero(values: Sequence[float]) -> float:
    """Share of values equal to 0 (NaN for an empty sample)."""
    arr = _as_array(values)
    return float((arr == 0).mean()) if arr.size else float("nan")


def share_at(values: Sequence[float], amount: float) -> float:
    """Share of values equal to ``amount`` (within 1e-9)."""
    arr = _as_array(values)
    return float((np.abs(arr - amount) < _EDGE_TOLERANCE).mean()) if arr.size else float("nan")


def compare_donations(sim: Sequence[float], human: Sequence[float]) -> DonationComparison:
    """KS, histogram L1, W1, and differences in mean and share giving $0 between two donation samples."""
    s, h = _as_array(sim), _as_array(human)
    if s.size == 0 or h.size == 0:
        raise ValueError("both samples need at least one donation")
    return DonationComparison(
        n_sim=int(s.size),
        n_human=int(h.size),
        mean_sim=float(s.mean()),
        mean_human=float(h.mean()),
        share_zero_sim=share_zero(s),
        share_zero_human=share_zero(h),
        ks=ks_2samp(s, h),
        l1=histogram_l1(s, h),
        w1=wasserstein_1(s, h),
    )
