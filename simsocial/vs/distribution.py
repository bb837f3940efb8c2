"""Value objects for a verbalized distribution and seeded sampling from it.

Pure data: no Mesa, no HTTP.  A :class:`VerbalizedDistribution` is what the model said (after repair):
candidates with normalised probabilities, plus the list of repairs that were needed to get there.

The arithmetic is plain Python floats, not numpy: a distribution has at most ten candidates, where a numpy
call costs more than the sum it does (a batch replayed from the cache builds two distributions a choice).
Sums run left to right like ``numpy.cumsum``, so sampling draws the same index as the numpy version did.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any

import numpy as np

from simsocial.vs.methods import PROBABILITY, UNIFORM, VS_SELECTION, Selection

# numpy.isclose(total, 1.0, atol=1e-6) with its default rtol=1e-5: |total - 1| <= 1e-6 + 1e-5 * 1.
_SUM_TOLERANCE = 1e-6 + 1e-5


# A sum within 1% of 1 is the model's rounding (0.33 + 0.33 + 0.33): rescaling it is recorded apart, as
# ``rounding_normalised``, and not counted as a repair (simsocial.contract.TRIVIAL_REPAIRS).
ROUNDING_TOLERANCE = 0.01


def _sums_to_one(total: float) -> bool:
    return abs(total - 1.0) <= _SUM_TOLERANCE


@dataclass(frozen=True)
class Candidate:
    """One verbalized option: its text, its probability and any extra typed fields (label, amount...)."""

    text: str
    probability: float
    fields: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


@dataclass(frozen=True)
class VerbalizedDistribution:
    """Candidates with probabilities that sum to 1, and the repairs made to get there.

    ``repairs`` holds one short code per repair (e.g. ``"percent_probability"``, ``"renormalised"``), so
    callers can count them; ``raw_text`` keeps what the model actually answered.
    """

    candidates: tuple[Candidate, ...]
    repairs: tuple[str, ...] = ()
    raw_text: str | None = None

    def __post_init__(self) -> None:
        if not self.candidates:
            raise ValueError("a distribution needs at least one candidate")
        total = sum(c.probability for c in self.candidates)
        if not _sums_to_one(total):
            raise ValueError(f"probabilities must sum to 1 (got {total:.6f}); use normalised()")

    # --- construction ---------------------------------------------------------------------------
    @classmethod
    def normalised(
        cls,
        candidates: Sequence[Candidate],
        repairs: Sequence[str] = (),
        raw_text: str | None = None,
        *,
        record_rescale: bool = True,
    ) -> VerbalizedDistribution:
        """Build from candidates whose probabilities are non-negative but may not sum to 1.

        All-zero weights become uniform; a rescaling is recorded as ``rounding_normalised`` when the sum was
        within 1% of 1, else as ``renormalised``.  ``record_rescale=False`` is for a rescaling the caller
        made necessary by design (keeping the tail, dropping unusable candidates) and records it elsewhere.
        """
        repairs = list(repairs)
        weights = [float(c.probability) for c in candidates]
        if not weights:
            raise ValueError("a distribution needs at least one candidate")
        if any(w < 0 or not math.isfinite(w) for w in weights):
            raise ValueError("weights must be finite and non-negative")
        total = sum(weights)
        if total <= 0:
            weights = [1.0 / len(weights)] * len(weights)
            repairs.append("all_zero_uniform")
        else:
            if record_rescale and not _sums_to_one(total):
                rounding = abs(total - 1.0) <= ROUNDING_TOLERANCE + _SUM_TOLERANCE  # + float dust: 0.33 × 3 is rounding
                repairs.append("rounding_normalised" if rounding else "renormalised")
            weights = [w / total for w in weights]  # also removes float dust so the invariant holds exactly
        rebuilt = tuple(Candidate(c.text, w, c.fields) for c, w in zip(candidates, weights, strict=True))
        return cls(rebuilt, tuple(repairs), raw_text)

    @classmethod
    def uniform(cls, texts_or_candidates: Sequence[str | Candidate], **kwargs: Any) -> VerbalizedDistribution:
        """Equal weight on every candidate (the ``sequence`` and ``multi_turn`` baselines)."""
        n = len(texts_or_candidates)
        cands = [
            replace(c, probability=1.0 / n) if isinstance(c, Candidate) else Candidate(c, 1.0 / n)
            for c in texts_or_candidates
        ]
        return cls.normalised(cands, **kwargs)

    # --- views ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.candidates)

    @property
    def k(self) -> int:
        return len(self.candidates)

    @property
    def probabilities(self) -> np.ndarray:
        return np.array([c.probability for c in self.candidates], dtype=float)

    def entropy(self) -> float:
        """Shannon entropy in nats (0 for a single candidate, log k for uniform).

        The arithmetic of ``scipy.stats.entropy`` without its argument handling, which costs ~0.2 ms a call:
        a third of a batch replayed from the cache, where every choice is recorded.
        """
        p = [c.probability for c in self.candidates]
        total = sum(p)
        return -sum(x / total * math.log(x / total) for x in p if x > 0) + 0.0

    # --- operations -----------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, selection: Selection = VS_SELECTION) -> int:
        """Index of one candidate drawn with ``rng`` (never global random state).

        ``probability`` draws proportionally to the verbalized probabilities; ``uniform`` ignores them
        (the paper's uniform-pick variant).
        """
        if selection == UNIFORM:
            return int(rng.integers(self.k))
        if selection != PROBABILITY:
            raise ValueError(f"unknown selection {selection!r}; use {PROBABILITY!r} or {UNIFORM!r}")
        # Inverse-CDF with one uniform draw: stable across numpy versions and cheap.
        cdf = list(accumulate(c.probability for c in self.candidates))
        return min(bisect_right(cdf, rng.random() * cdf[-1]), self.k - 1)

    def tail(self, threshold: float) -> VerbalizedDistribution:
        """Keep only candidates whose probability is below ``threshold`` (renormalised).

        If none is below it, the distribution is returned unchanged with a ``tail_empty`` repair noted,
        so a too-strict threshold never silently empties a choice.
        """
        kept = [c for c in self.candidates if c.probability < threshold]
        if not kept:
            return replace(self, repairs=(*self.repairs, "tail_empty"))
        if len(kept) == self.k:
            return self
        return VerbalizedDistribution.normalised(kept, (*self.repairs, "tail_filtered"), self.raw_text,
                                                 record_rescale=False)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidates": [
                {"text": c.text, "probability": c.probability, "fields": dict(c.fields)} for c in self.candidates
            ],
            "repairs": list(self.repairs),
            "raw_text": self.raw_text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VerbalizedDistribution:
        cands = tuple(
            Candidate(c["text"], float(c["probability"]), dict(c.get("fields", {}))) for c in data["candidates"]
        )
        return cls(cands, tuple(data.get("repairs", ())), data.get("raw_text"))


def merge_duplicates(candidates: Sequence[Candidate], repairs: list[str]) -> list[Candidate]:
    """Merge candidates that say the same thing *with the same fields*, summing their probabilities.

    Text is compared case- and whitespace-insensitively; every extra field (stance, amount, strategy ...)
    must be equal too, so "I'll think about it" at p=.2 for $0 and at p=.8 for $2 stay two outcomes.
    Each merge appends ``duplicate_merged`` to ``repairs``.  Order: first occurrence.
    """
    merged: dict[tuple[Any, ...], Candidate] = {}
    for cand in candidates:
        key = (" ".join(cand.text.lower().split()), *sorted(cand.fields.items()))
        try:
            hash(key)
        except TypeError:  # a field holds a list or dict: compare its repr
            key = (key[0], *sorted((k, _hashable(v)) for k, v in cand.fields.items()))
        if key in merged:
            first = merged[key]
            merged[key] = Candidate(first.text, first.probability + cand.probability, first.fields)
            repairs.append("duplicate_merged")
        else:
            merged[key] = cand
    return list(merged.values())


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
