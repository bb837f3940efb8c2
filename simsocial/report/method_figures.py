"""Every figure of one run × method against the human reference: :func:`compare_method`.

The figures behind one row of :attr:`simsocial.report.compare.Comparison.table` (the columns are listed in
:mod:`simsocial.report.compare`), computed on the dialogues the cleaning policy keeps, each simulated
figure with a seeded percentile-bootstrap 95% interval over dialogues.  The order in which the figures
draw from ``rng`` is part of the result: the same inputs and seed give the same intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsocial.data.cleaning import DEFAULT_POLICY, DONATION_MAX, CleaningReport, clean
from simsocial.metrics import distribution, language, mind_change, stance, strategies
from simsocial.metrics.bootstrap import DEFAULT_RESAMPLES, BootstrapCI, bootstrap_ci
from simsocial.metrics.human_reference import HumanReference
from simsocial.report import paper_figures
from simsocial.report.rundir import RunData

LANGUAGE_RESAMPLES = 200  # distinct-n needs set unions per resample; fewer resamples keep compare quick


@dataclass(frozen=True)
class MethodComparison:
    """All figures for one run × method, plus the per-dialogue data the plots need."""

    run: str
    method: str
    n_dialogues: int
    n_failed: int
    cleaning: CleaningReport
    donations: np.ndarray = field(repr=False)
    donation: distribution.DonationComparison | None
    intervals: dict[str, BootstrapCI]
    stance_table: pd.DataFrame = field(repr=False)
    mind_change: stance.MindChangeSummary
    mind_change_test: mind_change.RateComparison
    strategies: strategies.StrategyDistribution
    strategy_jsd: float
    strategy_jsd_10: float
    distinct: dict[int, float]
    human_distinct: dict[int, float]
    fk_grade: float
    diversity: language.DiversityResult
    human_diversity: language.DiversityResult
    entropy_utterance: language.EntropySummary
    entropy_donation: language.EntropySummary
    parse_repairs: int
    parse_failures: int
    extra: dict = field(default_factory=dict, repr=False)  # paper-definition figures, say–do gap
    donation_construct: str = "final"

    @property
    def label(self) -> str:
        return f"{self.run} · {self.method}"


def _ci(data: np.ndarray, statistic, rng: np.random.Generator, n_resamples: int) -> BootstrapCI:
    return bootstrap_ci(data, statistic, rng=rng, n_resamples=n_resamples)


def _per_dialogue_sums(frame: pd.DataFrame, value_columns: list[str], dialogue_ids: Sequence[str]) -> np.ndarray:
    """Sum ``value_columns`` per dialogue, in ``dialogue_ids`` order (zeros for dialogues without rows)."""
    sums = frame.groupby("dialogue_id")[value_columns].sum()
    return sums.reindex(list(dialogue_ids)).fillna(0.0).to_numpy(float)


def compare_method(
    run: RunData,
    method: str,
    human: HumanReference,
    *,
    cleaning: str = DEFAULT_POLICY,
    rng: np.random.Generator,
    n_resamples: int = DEFAULT_RESAMPLES,
    language_resamples: int = LANGUAGE_RESAMPLES,
    embedder: language.Embedder | None = None,
    donation: str = "final",
) -> MethodComparison:
    """Compute every figure of one method in one run against ``human``.

    ``donation`` picks the donation construct: ``final`` (``final_donation``) or ``in-dialogue``
    (``in_dialogue_donation``, the VS paper's).
    """
    construct, column = donation, paper_figures.donation_column(donation)
    dialogues = run.dialogues[run.dialogues["method"] == method].reset_index(drop=True)
    if column == "in_dialogue_donation":
        dialogues = paper_figures.with_in_dialogue_donation(dialogues, run.turns, DONATION_MAX)
    dialogues = paper_figures.without_incomplete(dialogues, column)
    # The say–do gap's stated amount, where the persuadee stated amounts only in its text: the paper's regex.
    from_text = paper_figures.amounts_from_text(run.manifest)
    dialogues = paper_figures.with_paper_stated_amount(dialogues, run.turns, from_text)
    intervals: dict[str, BootstrapCI] = {}

    # Every figure uses the dialogues the cleaning policy keeps — as on the human side — so failed
    # dialogues (null donation) and out-of-range donations leave donation, stance and language figures alike.
    kept, report = clean(dialogues, cleaning, amount_column=column, id_column="dialogue_id")
    sim = kept[column].to_numpy(float)
    ids = kept["dialogue_id"].astype(str).tolist()
    turns = run.turns[run.turns["dialogue_id"].astype(str).isin(ids)]
    candidates = run.candidates[run.candidates["dialogue_id"].astype(str).isin(ids)]
    ref = human.donation_values
    donation = distribution.compare_donations(sim, ref) if sim.size else None
    if sim.size:
        intervals["mean_donation"] = _ci(sim, np.mean, rng, n_resamples)
        intervals["share_zero"] = _ci(sim, distribution.share_zero, rng, n_resamples)
        intervals["share_max"] = _ci(sim, lambda a: distribution.share_at(a, DONATION_MAX), rng, n_resamples)
        intervals["ks_statistic"] = _ci(sim, lambda a: distribution.ks_2samp(a, ref).statistic, rng, n_resamples)
        intervals["l1"] = _ci(sim, lambda a: distribution.histogram_l1(a, ref), rng, n_resamples)
        intervals["w1"] = _ci(sim, lambda a: distribution.wasserstein_1(a, ref), rng, n_resamples)

    # Mind changes: the same count_mind_changes as the human side, on the dialogues cleaning kept (as
    # on the human side), so the conditional P(donate | ever refused) uses valid donations only.
    table = stance.simulated_stance_table(kept)
    summary = stance.summarize_mind_changes(table, sim)
    changed = (table["mind_changes"] > 0).to_numpy(float)
    intervals["mind_change_rate"] = _ci(changed, np.mean, rng, n_resamples)
    intervals["ever_refused"] = _ci(table["ever_refused"].to_numpy(float), np.mean, rng, n_resamples)
    intervals["refused_then_committed"] = _ci((table["refuse_to_agree"] > 0).to_numpy(float), np.mean, rng, n_resamples)
    intervals["committed_then_refused"] = _ci((table["agree_to_refuse"] > 0).to_numpy(float), np.mean, rng, n_resamples)
    test = mind_change.compare_mind_change_rates(table["mind_changes"], human.stance_table["mind_changes"])

    # Strategies: persuader utterance labels; cluster bootstrap over dialogues for the JSD.
    utter = turns[turns["kind"].fillna("utterance") == "utterance"]
    persuader = utter[utter["role"] == "persuader"]
    dist = strategies.strategy_distribution(persuader["label"])
    jsd = strategies.jensen_shannon(dist, human.strategies)
    jsd_10 = strategies.jensen_shannon(dist, human.strategies, include_non_strategy=False)
    onehot = pd.get_dummies(persuader["label"].map(strategies.normalize_strategy)).reindex(
        columns=list(strategies.CATEGORIES), fill_value=0
    )
    strategy_counts = _per_dialogue_sums(
        pd.concat([persuader[["dialogue_id"]].astype(str), onehot.astype(float)], axis=1),
        list(strategies.CATEGORIES),
        ids,
    )
    human_vec = human.strategies.vector()

    if len(persuader):
        intervals["strategy_jsd"] = _ci(
            strategy_counts, lambda rows: strategies.js_distance(rows.sum(axis=0), human_vec), rng, n_resamples
        )

    # Language: utterances of both roles.
    texts = utter["text"].fillna("").astype(str).tolist()
    utter_ids = utter["dialogue_id"].astype(str).to_numpy()
    distinct = {n: language.distinct_n(texts, n) for n in (1, 2, 3)}
    fk = language.flesch_kincaid_grade(texts)
    human_texts = human.utterances["text"].tolist()
    sample_size = min(len(texts), len(human_texts))
    # Its own stream (spawned, so the same for any number of bootstrap resamples drawn before it): the human
    # figure of `compare` and of the notebook agree whatever --resamples / SIMSOCIAL_N_RESAMPLES say.
    sample_rng = rng.spawn(1)[0]
    sample_idx = sample_rng.choice(len(human_texts), size=sample_size, replace=False) if sample_size else []
    human_sample = [human_texts[i] for i in sorted(sample_idx)]
    human_distinct = {n: language.distinct_n(human_sample, n) for n in (1, 2, 3)}
    diversity = language.semantic_diversity(texts, embedder, rng=rng)
    human_diversity = language.semantic_diversity(human_sample, embedder, rng=rng)
    if texts:
        counts = language.readability_counts(texts)
        frame = pd.DataFrame(counts, columns=["w", "s", "y"]).assign(dialogue_id=utter_ids)
        intervals["fk_grade"] = _ci(
            _per_dialogue_sums(frame, ["w", "s", "y"], ids), language.fk_grade_from_counts, rng, n_resamples
        )
        by_dialogue = pd.Series(texts).groupby(utter_ids).apply(list).reindex(ids)
        grouped = np.array([t if isinstance(t, list) else [] for t in by_dialogue], dtype=object)
        for n in (1, 2, 3):
            intervals[f"distinct_{n}"] = _ci(
                np.arange(len(grouped)),
                lambda idx, n=n: language.distinct_n([t for i in idx for t in grouped[i]], n),
                rng,
                language_resamples,
            )

    # Entropy of the distributions sampled from.
    entropy_utterance = language.verbalized_entropy(turns, candidates, kind="utterance")
    entropy_donation = language.verbalized_entropy(turns, candidates, kind="donation")
    ent = language.choice_entropies(turns, candidates, kind="utterance").assign(one=1.0)
    if len(ent):
        sums = _per_dialogue_sums(ent, ["entropy", "one"], ids)
        intervals["entropy_utterance"] = _ci(
            sums, lambda r: r[:, 0].sum() / r[:, 1].sum() if r[:, 1].sum() else float("nan"), rng, n_resamples
        )

    extra, extra_intervals = paper_figures.method_extras(
        kept, turns, sim, ref, cleaning=cleaning, rng=rng, n_resamples=n_resamples, embedder=embedder
    )
    intervals.update(extra_intervals)
    return MethodComparison(
        run=run.label,
        method=method,
        n_dialogues=len(dialogues),
        n_failed=int((dialogues["status"] == "failed").sum()),
        cleaning=report,
        donations=sim,
        donation=donation,
        intervals=intervals,
        stance_table=table,
        mind_change=summary,
        mind_change_test=test,
        strategies=dist,
        strategy_jsd=jsd,
        strategy_jsd_10=jsd_10,
        distinct=distinct,
        human_distinct=human_distinct,
        fk_grade=fk,
        diversity=diversity,
        human_diversity=human_diversity,
        entropy_utterance=entropy_utterance,
        entropy_donation=entropy_donation,
        parse_repairs=int(pd.to_numeric(dialogues["n_parse_repairs"], errors="coerce").fillna(0).sum()),
        parse_failures=int(pd.to_numeric(dialogues["n_parse_failures"], errors="coerce").fillna(0).sum()),
        extra=extra,
        donation_construct=construct,
    )
