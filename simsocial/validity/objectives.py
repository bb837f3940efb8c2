"""How far a simulated sample is from a human one: the objectives ``simsocial calibrate`` minimises.

- ``ks``          two-sample KS statistic, :func:`simsocial.metrics.paper.ks_paper` (the VS paper's code)
- ``l1``          histogram L1, :func:`simsocial.metrics.paper.l1_paper` (the paper's bins), in [0, 2]
- ``w1``          Wasserstein-1 in dollars, :func:`simsocial.metrics.distribution.wasserstein_1`
- ``mind-change`` |simulated − human| share of dialogues with at least one mind change
- ``combined``    the mean of ks, l1/2, w1/2 and mind-change, each scaled to [0, 1] (W1 ≤ $2 on the task's
  range); a component that cannot be computed (no stances) is left out of the mean

All are distances: lower is closer to the humans, 0 is identical.
"""

from __future__ import annotations

import numpy as np

from simsocial.metrics.distribution import wasserstein_1
from simsocial.metrics.paper import ks_paper, l1_paper
from simsocial.validity.samples import Sample

OBJECTIVES = ("ks", "l1", "w1", "mind-change", "combined")
METRICS = OBJECTIVES  # every objective is also reported as a figure
_SCALE = {"ks": 1.0, "l1": 2.0, "w1": 2.0, "mind-change": 1.0}  # each component's maximum on [0, 2]


def _mind_change_gap(sim: Sample, human: Sample) -> float:
    if not len(sim.mind_change) or not len(human.mind_change):
        return float("nan")
    return float(abs(sim.mind_change.mean() - human.mind_change.mean()))


def metric_values(sim: Sample, human: Sample) -> dict[str, float]:
    """Every objective of ``sim`` against ``human`` (NaN where a side has no data)."""
    if not sim.n or not human.n:
        return dict.fromkeys(METRICS, float("nan"))
    values = {
        "ks": ks_paper(sim.donations, human.donations).statistic,
        "l1": l1_paper(sim.donations, human.donations),
        "w1": wasserstein_1(sim.donations, human.donations),
        "mind-change": _mind_change_gap(sim, human),
    }
    scaled = [values[k] / _SCALE[k] for k in _SCALE if not np.isnan(values[k])]
    values["combined"] = float(np.mean(scaled)) if scaled else float("nan")
    return values


def check_objective(name: str) -> str:
    """``name`` if it is an objective, else ValueError naming the choices."""
    if name not in OBJECTIVES:
        raise ValueError(f"unknown objective {name!r} (use {', '.join(OBJECTIVES)})")
    return name
