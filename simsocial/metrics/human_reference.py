"""The human reference figures (``simsocial human``): what simulated runs are compared against.

All figures come from the bundled PersuasionForGood release after one cleaning policy (default:
:mod:`simsocial.data.cleaning`), and are computed with the same metric functions used on simulated data:

- donations (persuadee B6, 1,017 dialogues before cleaning): n, mean, median, sd, share giving $0, share
  giving the maximum $2, 20-bin $0.10 histogram
- say–do gap on annotated dialogues: the amount stated in the chat (B5) vs the actual donation (B6),
  where B5 is present and within [0, 2] (itself cleaned and reported)
- mind changes on the 300 annotated dialogues (persuadee acts → stances, :mod:`simsocial.metrics.stance`)
- persuader strategy distribution over annotated persuader sentences
- language: distinct-n and Flesch–Kincaid grade of human utterances (turn-level: a speaker's sentences in
  one turn joined)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsocial.data import human as human_data
from simsocial.data.cleaning import (
    DEFAULT_POLICY,
    DONATION_MAX,
    DROP_MISSING,
    DROP_OUT_OF_RANGE,
    CleaningReport,
    clean,
)
from simsocial.metrics import distribution, language, stance, strategies


@dataclass(frozen=True)
class DonationSummary:
    """Descriptive figures of one donation sample (US$)."""

    n: int
    mean: float
    median: float
    sd: float  # sample standard deviation (ddof=1)
    share_zero: float
    share_max: float  # share giving exactly the $2 maximum
    histogram: distribution.Histogram = field(repr=False)

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "mean": self.mean,
            "median": self.median,
            "sd": self.sd,
            "share_zero": self.share_zero,
            "share_max": self.share_max,
            "histogram": {
                "edges": [round(float(e), 2) for e in self.histogram.edges],
                "counts": [int(c) for c in self.histogram.counts],
            },
        }


def summarize_donations(values: np.ndarray, maximum: float = DONATION_MAX) -> DonationSummary:
    """n, mean, median, sd, shares at $0 and at the maximum, and the $0.10 histogram."""
    arr = np.asarray(values, dtype=float)
    return DonationSummary(
        n=int(arr.size),
        mean=float(arr.mean()) if arr.size else float("nan"),
        median=float(np.median(arr)) if arr.size else float("nan"),
        sd=float(arr.std(ddof=1)) if arr.size > 1 else float("nan"),
        share_zero=distribution.share_zero(arr),
        share_max=distribution.share_at(arr, maximum),
        histogram=distribution.histogram(arr) if arr.size else distribution.histogram([0.0]),
    )


@dataclass(frozen=True)
class SayDoGap:
    """Stated (B5) vs actual (B6) donation on annotated dialogues; ``gap`` = actual − stated."""

    n: int
    mean_stated: float
    mean_actual: float
    mean_gap: float
    share_gave_less: float
    share_gave_same: float
    share_gave_more: float
    share_stated_positive_gave_zero: float
    correlation: float  # Pearson r between stated and actual
    cleaning: CleaningReport

    def to_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "cleaning"}
        out["cleaning"] = self.cleaning.to_dict()
        return out


def say_do_gap(dialogues: pd.DataFrame) -> SayDoGap:
    """Compute :class:`SayDoGap` from cleaned :func:`~simsocial.data.human.human_dialogues` rows.

    Uses annotated dialogues; ``stated_donation`` goes through ``drop_missing`` (no amount named in the
    chat) and ``drop_out_of_range`` (B5 outside [0, 2]: cents or real-money amounts), both reported.
    """
    annotated = dialogues[dialogues["annotated"]]
    stated, report = clean(annotated, [DROP_MISSING, DROP_OUT_OF_RANGE], amount_column="stated_donation")
    s = stated["stated_donation"].to_numpy(float)
    a = stated["donation"].to_numpy(float)
    gap = a - s
    tol = 1e-9
    n = len(s)

    def share(mask: np.ndarray) -> float:
        return float(mask.mean()) if n else float("nan")

    positive = s > tol
    return SayDoGap(
        n=n,
        mean_stated=float(s.mean()) if n else float("nan"),
        mean_actual=float(a.mean()) if n else float("nan"),
        mean_gap=float(gap.mean()) if n else float("nan"),
        share_gave_less=share(gap < -tol),
        share_gave_same=share(np.abs(gap) <= tol),
        share_gave_more=share(gap > tol),
        share_stated_positive_gave_zero=float((a[positive] <= tol).mean()) if positive.any() else float("nan"),
        correlation=float(np.corrcoef(s, a)[0, 1]) if n > 2 and s.std() > 0 and a.std() > 0 else float("nan"),
        cleaning=report,
    )


@dataclass(frozen=True)
class HumanReference:
    """Every human figure ``simsocial human`` reports and ``simsocial compare`` compares against."""

    cleaning: CleaningReport
    donations: DonationSummary
    say_do: SayDoGap
    mind_change: stance.MindChangeSummary
    mind_change_excluding_more: stance.MindChangeSummary  # disagree-donation-more not counted as refusal
    annotated_cleaning: CleaningReport  # the same policy on the 300 annotated dialogues
    strategies: strategies.StrategyDistribution
    distinct: dict[int, float]  # distinct-1/2/3 over all human utterances
    fk_grade: float
    donation_values: np.ndarray = field(repr=False, compare=False)
    stance_table: pd.DataFrame = field(repr=False, compare=False)  # one row per annotated dialogue
    utterances: pd.DataFrame = field(repr=False, compare=False)  # dialogue_id, turn, role, text
    persuader_labels: tuple[str, ...] = field(repr=False, compare=False)  # er_label_1 per sentence

    def to_dict(self) -> dict:
        """JSON-ready figures (no raw tables)."""
        return {
            "source": "PersuasionForGood (Wang et al., ACL 2019), bundled in simsocial.data",
            "cleaning": self.cleaning.to_dict(),
            "donations": self.donations.to_dict(),
            "say_do_gap": self.say_do.to_dict(),
            "mind_change": self.mind_change.to_dict(),
            "mind_change_excluding_disagree_more": self.mind_change_excluding_more.to_dict(),
            "annotated_cleaning": self.annotated_cleaning.to_dict(),
            "strategies": {"counts": self.strategies.counts, "shares": self.strategies.shares},
            "language": {f"distinct_{n}": v for n, v in self.distinct.items()} | {"fk_grade": self.fk_grade},
        }


def turn_utterances(sentences: pd.DataFrame) -> pd.DataFrame:
    """Join a speaker's sentences within one turn into one utterance (the unit simulated turns have)."""
    grouped = sentences.groupby(["dialogue_id", "turn", "role"], sort=False)["text"]
    return grouped.apply(lambda s: " ".join(t.strip() for t in s if t.strip())).reset_index()


@functools.cache
def _cached_reference(cleaning: str) -> HumanReference:
    dialogues, report = human_data.clean_human_dialogues(cleaning)
    donation_values = dialogues["donation"].to_numpy(float)

    annotated_raw = human_data.raw_human_dialogues()
    annotated_raw = annotated_raw[annotated_raw["annotated"]]
    annotated, annotated_report = clean(annotated_raw, cleaning)
    kept_ids = set(annotated["dialogue_id"])
    sentences = human_data.annotated_sentences_tidy()
    sentences = sentences[sentences["dialogue_id"].isin(kept_ids)]
    stated = dict(zip(annotated["dialogue_id"], annotated["stated_donation"], strict=True))
    donation_by_id = annotated.set_index("dialogue_id")["donation"]

    table = stance.human_stance_table(sentences, stated)
    table_more = stance.human_stance_table(sentences, stated, refuse_more=False)
    donations_aligned = donation_by_id.reindex(table["dialogue_id"]).to_numpy(float)
    persuader_labels = tuple(sentences.loc[sentences["role"] == "persuader", "act"].fillna("").astype(str))

    full_sentences = human_data.sentences_tidy()
    full_sentences = full_sentences[full_sentences["dialogue_id"].isin(set(dialogues["dialogue_id"]))]
    utterances = turn_utterances(full_sentences)
    texts = utterances["text"].tolist()

    return HumanReference(
        cleaning=report,
        donations=summarize_donations(donation_values),
        say_do=say_do_gap(dialogues),
        mind_change=stance.summarize_mind_changes(table, donations_aligned),
        mind_change_excluding_more=stance.summarize_mind_changes(table_more, donations_aligned),
        annotated_cleaning=annotated_report,
        strategies=strategies.strategy_distribution(persuader_labels),
        distinct={n: language.distinct_n(texts, n) for n in (1, 2, 3)},
        fk_grade=language.flesch_kincaid_grade(texts),
        donation_values=donation_values,
        stance_table=table,
        utterances=utterances,
        persuader_labels=persuader_labels,
    )


def human_reference(cleaning: str = DEFAULT_POLICY) -> HumanReference:
    """Compute (once per process and policy; cached) the human reference figures."""
    return _cached_reference(cleaning)
