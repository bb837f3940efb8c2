"""Per-method figures under the VS paper's definitions, the donation construct, and the say–do gap.

:func:`simsocial.report.method_figures.compare_method` calls :func:`method_extras` for each run × method,
and the result goes into its row: ``ks_paper``, ``l1_paper`` (with bootstrap intervals), ``distinct_{1,2,3}_paper``,
``fk_grade_paper``, ``semantic_diversity_paper`` (:mod:`simsocial.metrics.paper`), and the say–do gap
``say_do_*`` beside ``human_say_do_*`` (:mod:`simsocial.metrics.say_do`).  The same definitions are
applied to the human dialogues (:func:`human_paper_figures`).

``--donation final|in-dialogue`` picks which donation is compared: simsocial's private ``final_donation``
or the paper's ``in_dialogue_donation`` (:mod:`simsocial.metrics.paper_donation`).  Runs written before
that column existed get it computed here from ``turns.parquet``, with the same function.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simsocial.contract import STATUS_OK
from simsocial.metrics import language, paper, say_do
from simsocial.metrics.bootstrap import BootstrapCI, bootstrap_ci
from simsocial.metrics.paper_donation import in_dialogue_donation, last_stated_paper

DONATION_COLUMNS = {"final": "final_donation", "in-dialogue": "in_dialogue_donation"}
_ROLE_ORDER = {"persuader": 0, "persuadee": 1}
HUMAN_DIVERSITY_SAMPLE = 300  # dialogues embedded for the human semantic diversity (seeded sample)


def donation_column(construct: str) -> str:
    """The dialogues column a ``--donation`` choice reads."""
    try:
        return DONATION_COLUMNS[construct]
    except KeyError:
        raise ValueError(f"unknown donation construct {construct!r}; use one of {sorted(DONATION_COLUMNS)}") from None


def ordered_utterances(turns: pd.DataFrame) -> pd.DataFrame:
    """Utterance rows in speaking order (turn, then persuader before persuadee)."""
    utter = turns[turns["kind"].fillna("utterance") == "utterance"] if "kind" in turns else turns
    order = utter.assign(_r=utter["role"].map(_ROLE_ORDER).fillna(2))
    return order.sort_values(["dialogue_id", "turn", "_r"], kind="stable").drop(columns="_r")


def with_in_dialogue_donation(dialogues: pd.DataFrame, turns: pd.DataFrame, maximum: float) -> pd.DataFrame:
    """``dialogues`` with ``in_dialogue_donation`` filled where null, from the persuadee's utterances."""
    missing = dialogues["in_dialogue_donation"].isna() if "in_dialogue_donation" in dialogues else None
    if missing is not None and not missing.any():
        return dialogues
    utter = ordered_utterances(turns)
    said = utter[utter["role"] == "persuadee"].groupby(utter["dialogue_id"].astype(str))["text"].apply(list)
    ids = dialogues["dialogue_id"].astype(str)
    computed = ids.map(lambda i: in_dialogue_donation(said.get(i, []), maximum))
    out = dialogues.copy()
    out["in_dialogue_donation"] = (
        computed if missing is None else dialogues["in_dialogue_donation"].where(~missing, computed)
    )
    out["in_dialogue_donation"] = out["in_dialogue_donation"].astype(float)
    return out


def without_incomplete(dialogues: pd.DataFrame, column: str) -> pd.DataFrame:
    """``dialogues`` with ``column`` emptied where the dialogue failed or was cut short (status not ok).

    One policy for both donation constructs: such a dialogue has neither its whole transcript nor a private
    decision, so it leaves every figure (its partial transcript would push ``in_dialogue_donation`` toward
    $0).  The cleaning policy's ``drop_missing`` then removes it and counts it.
    """
    if "status" not in dialogues:
        return dialogues
    incomplete = dialogues["status"].fillna(STATUS_OK) != STATUS_OK
    if not incomplete.any():
        return dialogues
    out = dialogues.copy()
    out[column] = out[column].astype(float).where(~incomplete)
    return out


def _scenario_config(manifest: dict | None) -> dict:
    scenario = (manifest or {}).get("scenario")
    config = scenario.get("config") if isinstance(scenario, dict) else None
    return config if isinstance(config, dict) else {}


def run_protocol(manifest: dict | None) -> str:
    """The protocol a run was made under, from its ``run.json`` (runs before the field: ``simsocial``)."""
    return str(_scenario_config(manifest).get("protocol", "simsocial"))


def amounts_from_text(manifest: dict | None) -> bool:
    """Did the run's persuadee state amounts only in its text (protocol paper, or ``annotate: false``)?"""
    persuadee = _scenario_config(manifest).get("persuadee")
    return run_protocol(manifest) == "paper" or (isinstance(persuadee, dict) and persuadee.get("annotate") is False)


def with_paper_stated_amount(dialogues: pd.DataFrame, turns: pd.DataFrame, paper_protocol: bool) -> pd.DataFrame:
    """``dialogues`` whose ``last_stated_amount`` is the paper's regex amount where the run did not annotate one.

    Runs under ``protocol: paper`` record the regex amount as they go; a run made under the preset before that
    (persuadee ``annotate: false``, every ``last_stated_amount`` null) gets it here from ``turns.parquet``, with
    the same function and the paper's uncapped cents, so its say–do gap fills too.
    """
    if not paper_protocol or dialogues["last_stated_amount"].notna().any():
        return dialogues
    utter = ordered_utterances(turns)
    said = utter[utter["role"] == "persuadee"].groupby(utter["dialogue_id"].astype(str))["text"].apply(list)
    stated = dialogues["dialogue_id"].astype(str).map(lambda i: last_stated_paper(said.get(i, []), cents_capped=False))
    return dialogues.assign(last_stated_amount=stated.astype(float))


def texts_by_dialogue(utterances: pd.DataFrame, ids: Sequence[str]) -> list[list[str]]:
    """Each dialogue's utterance texts in speaking order (both roles), in ``ids`` order."""
    ordered = ordered_utterances(utterances) if "kind" in utterances else utterances
    grouped = ordered.groupby(ordered["dialogue_id"].astype(str))["text"].apply(list)
    return [[t for t in grouped.get(i, []) if isinstance(t, str)] for i in ids]


def _semantic(dialogues: list[list[str]], embedder: language.Embedder | None) -> tuple[float, bool]:
    embedder = embedder or language.HashingBagOfWordsEmbedder()
    joined = [paper.dialogue_text(d) for d in dialogues]
    joined = [t if t.strip() else " " for t in joined]
    if len(joined) < 2:
        return float("nan"), embedder.semantic
    return paper.semantic_diversity_paper([embedder.embed(joined)]), embedder.semantic


@dataclass(frozen=True)
class HumanPaperFigures:
    """The paper-definition linguistic figures of the human dialogues (same code as the simulated side)."""

    n: int
    distinct: dict[int, float]
    fk_grade: float
    semantic_diversity: float
    semantic: bool


@functools.lru_cache(maxsize=4)
def _human_figures(cleaning: str, embedder: language.Embedder | None) -> HumanPaperFigures:
    from simsocial.metrics.human_reference import human_reference

    utter = human_reference(cleaning).utterances
    ids = sorted(utter["dialogue_id"].astype(str).unique())
    dialogues = texts_by_dialogue(utter.assign(turn=utter["turn"]), ids)
    rng = np.random.default_rng(0)
    sample = [
        dialogues[i]
        for i in sorted(rng.choice(len(dialogues), min(HUMAN_DIVERSITY_SAMPLE, len(dialogues)), replace=False))
    ]
    diversity, semantic = _semantic(sample, embedder)
    return HumanPaperFigures(
        n=len(dialogues),
        distinct={n: paper.distinct_n_paper(dialogues, n) for n in (1, 2, 3)},
        fk_grade=paper.fk_grade_paper(dialogues),
        semantic_diversity=diversity,
        semantic=semantic,
    )


def human_paper_figures(cleaning: str, embedder: language.Embedder | None = None) -> HumanPaperFigures:
    """Paper-definition linguistic figures of the human dialogues the cleaning policy keeps (cached)."""
    return _human_figures(cleaning, embedder)


def method_extras(
    kept: pd.DataFrame,
    turns: pd.DataFrame,
    sim_donations: np.ndarray,
    human_donations: np.ndarray,
    *,
    cleaning: str,
    rng: np.random.Generator,
    n_resamples: int,
    embedder: language.Embedder | None = None,
) -> tuple[dict, dict[str, BootstrapCI]]:
    """Row entries and bootstrap intervals of one method (see the module docstring for the names)."""
    ids = kept["dialogue_id"].astype(str).tolist()
    dialogues = texts_by_dialogue(turns, ids)
    ks = paper.ks_paper(sim_donations, human_donations)
    diversity, semantic = _semantic(dialogues, embedder)
    human = human_paper_figures(cleaning, embedder)
    row: dict = {
        "ks_paper": ks.statistic,
        "ks_paper_pvalue": ks.pvalue,
        "l1_paper": paper.l1_paper(sim_donations, human_donations),
        "fk_grade_paper": paper.fk_grade_paper(dialogues),
        "human_fk_grade_paper": human.fk_grade,
        "semantic_diversity_paper": diversity,
        "human_semantic_diversity_paper": human.semantic_diversity,
        "semantic_diversity_paper_is_semantic": semantic,
    }
    for n in (1, 2, 3):
        row[f"distinct_{n}_paper"] = paper.distinct_n_paper(dialogues, n)
        row[f"human_distinct_{n}_paper"] = human.distinct[n]
    intervals: dict[str, BootstrapCI] = {}
    if sim_donations.size:
        intervals["ks_paper"] = bootstrap_ci(
            sim_donations, lambda a: paper.ks_paper(a, human_donations).statistic, rng=rng, n_resamples=n_resamples
        )
        intervals["l1_paper"] = bootstrap_ci(
            sim_donations, lambda a: paper.l1_paper(a, human_donations), rng=rng, n_resamples=n_resamples
        )
    sim_gap = say_do.say_do_summary(kept["last_stated_amount"].astype(float), kept["final_donation"].astype(float),
                                    rng=rng, n_resamples=n_resamples)  # fmt: skip
    human_gap = human_say_do(cleaning, n_resamples)
    row["say_do_n"] = sim_gap.n
    row["human_say_do_n"] = human_gap.n
    row["say_do_mean_gap"] = sim_gap.mean_gap.estimate
    intervals["say_do_mean_gap"] = sim_gap.mean_gap
    row["human_say_do_mean_gap"] = human_gap.mean_gap.estimate
    for name in say_do.SHARES:
        row[f"say_do_{name}"] = sim_gap.shares[name].estimate
        intervals[f"say_do_{name}"] = sim_gap.shares[name]
        row[f"human_say_do_{name}"] = human_gap.shares[name].estimate
        row[f"human_say_do_{name}_low"] = human_gap.shares[name].low
        row[f"human_say_do_{name}_high"] = human_gap.shares[name].high
    return row, intervals


@functools.lru_cache(maxsize=4)
def human_say_do(cleaning: str, n_resamples: int) -> say_do.SayDoSummary:
    """The human say–do gap through the same function as the simulated one (seeded, cached)."""
    stated, actual = say_do.human_say_do_pairs(cleaning)
    return say_do.say_do_summary(stated, actual, rng=0, n_resamples=n_resamples)
