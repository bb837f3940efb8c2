"""Compare simulated runs with the human reference: one row per run × method.

Every figure is computed on the dialogues that the cleaning policy keeps (the same policy as for the human
data, :mod:`simsocial.data.cleaning`): a failed dialogue (null donation) or an out-of-range donation removes
the dialogue from all figures, and the drop counts are reported.  Simulated figures carry a seeded
percentile-bootstrap 95% interval over dialogues (the human side is held fixed).  Columns of
:attr:`Comparison.table` (``*_low``/``*_high`` are interval bounds, ``human_*`` the reference):

- ``run``, ``method``, ``n_dialogues`` (in the run), ``n_failed`` (status ``failed``), ``n_donations``
  (kept after cleaning), ``n_dropped_cleaning``
- ``mean_donation``, ``share_zero``, ``share_max``, ``ks_statistic``, ``ks_pvalue``, ``l1``, ``w1``,
  ``mean_diff``, ``share_zero_diff`` (donation distribution vs human, :mod:`simsocial.metrics.distribution`)
- ``mind_change_rate``, ``mind_change_fisher_p``, ``ever_refused`` (:mod:`simsocial.metrics.stance`)
- ``strategy_jsd`` (11 categories), ``strategy_jsd_10`` (strategies only), base-2 JS distance
- ``distinct_1..3``, ``fk_grade``, ``diversity`` (+ ``diversity_embedder``/``diversity_semantic``) on
  simulated utterances; ``human_distinct_*`` and ``human_diversity`` on a seeded sample of as many
  human utterances (distinct-n depends on corpus size), ``human_fk_grade`` on all human utterances
- ``entropy_utterance``, ``entropy_donation`` (mean nats of the verbalized distributions)
- ``parse_repairs``, ``parse_failures`` (sums of the dialogue columns)
- the VS paper's definitions, named apart: ``ks_paper``, ``l1_paper``, ``distinct_{1,2,3}_paper``,
  ``fk_grade_paper``, ``semantic_diversity_paper`` (+ ``human_*``), and the say–do gap ``say_do_*`` beside
  ``human_say_do_*`` (:mod:`simsocial.report.paper_figures`)
- ``donation_construct``: which construct the donation figures use (``final`` = ``final_donation``, simsocial's
  private decision; ``in-dialogue`` = ``in_dialogue_donation``, the paper's last stated amount)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsocial.data.cleaning import DEFAULT_POLICY, DONATION_MAX, CleaningReport, clean
from simsocial.metrics import distribution, language, mind_change, stance, strategies
from simsocial.metrics.bootstrap import DEFAULT_RESAMPLES, BootstrapCI, bootstrap_ci
from simsocial.metrics.human_reference import HumanReference, human_reference
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


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare_runs`."""

    methods: list[MethodComparison]
    human: HumanReference = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    settings: dict


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
    sample_idx = rng.choice(len(human_texts), size=sample_size, replace=False) if sample_size else []
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


def _row(m: MethodComparison, human: HumanReference) -> dict:
    d = m.donation
    nan = float("nan")
    row: dict = {
        "run": m.run,
        "method": m.method,
        "n_dialogues": m.n_dialogues,
        "n_failed": m.n_failed,
        "n_donations": int(m.donations.size),
        "n_dropped_cleaning": m.cleaning.n_dropped,
        "mean_donation": d.mean_sim if d else nan,
        "human_mean_donation": human.donations.mean,
        "share_zero": d.share_zero_sim if d else nan,
        "human_share_zero": human.donations.share_zero,
        "share_max": distribution.share_at(m.donations, DONATION_MAX) if m.donations.size else nan,
        "human_share_max": human.donations.share_max,
        "ks_statistic": d.ks.statistic if d else nan,
        "ks_pvalue": d.ks.pvalue if d else nan,
        "l1": d.l1 if d else nan,
        "w1": d.w1 if d else nan,
        "mean_diff": d.mean_diff if d else nan,
        "share_zero_diff": d.share_zero_diff if d else nan,
        "mind_change_rate": m.mind_change.mind_change_rate,
        "human_mind_change_rate": human.mind_change.mind_change_rate,
        "mind_change_fisher_p": m.mind_change_test.pvalue,
        "ever_refused": m.mind_change.ever_refused,
        "human_ever_refused": human.mind_change.ever_refused,
        "strategy_jsd": m.strategy_jsd,
        "strategy_jsd_10": m.strategy_jsd_10,
        "distinct_1": m.distinct[1],
        "distinct_2": m.distinct[2],
        "distinct_3": m.distinct[3],
        "human_distinct_1": m.human_distinct[1],
        "human_distinct_2": m.human_distinct[2],
        "human_distinct_3": m.human_distinct[3],
        "fk_grade": m.fk_grade,
        "human_fk_grade": human.fk_grade,
        "diversity": m.diversity.mean_distance,
        "human_diversity": m.human_diversity.mean_distance,
        "diversity_embedder": m.diversity.embedder,
        "diversity_semantic": m.diversity.semantic,
        "entropy_utterance": m.entropy_utterance.mean,
        "entropy_donation": m.entropy_donation.mean,
        "parse_repairs": m.parse_repairs,
        "parse_failures": m.parse_failures,
        "donation_construct": m.donation_construct,
        **m.extra,
    }
    for name, ci in m.intervals.items():
        row[f"{name}_low"] = ci.low
        row[f"{name}_high"] = ci.high
    return row


def _order_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Put each ``X_low``/``X_high`` right after ``X``."""
    order: list[str] = []
    for col in table.columns:
        if col.endswith(("_low", "_high")) and col.rsplit("_", 1)[0] in table.columns:
            continue
        order.append(col)
        order += [c for c in (f"{col}_low", f"{col}_high") if c in table.columns]
    return table[order]


def compare_runs(
    runs: Sequence[RunData],
    *,
    cleaning: str = DEFAULT_POLICY,
    n_resamples: int = DEFAULT_RESAMPLES,
    language_resamples: int = LANGUAGE_RESAMPLES,
    seed: int = 0,
    embedder: language.Embedder | None = None,
    human: HumanReference | None = None,
    donation: str = "final",
) -> Comparison:
    """Compare every method of every run with the human reference (see the module docstring for columns).

    ``seed`` seeds one ``numpy.random.Generator`` used, in a fixed order, for all bootstrap intervals and
    human subsamples, so the same inputs give the same table.
    """
    human = human or human_reference(cleaning)
    rng = np.random.default_rng(seed)
    methods = [
        compare_method(
            run,
            method,
            human,
            cleaning=cleaning,
            rng=rng,
            n_resamples=n_resamples,
            language_resamples=language_resamples,
            embedder=embedder,
            donation=donation,
        )
        for run in runs
        for method in run.methods
    ]
    table = _order_columns(pd.DataFrame([_row(m, human) for m in methods]))
    settings = {
        "cleaning": cleaning,
        "seed": seed,
        "n_resamples": n_resamples,
        "language_resamples": language_resamples,
        "confidence": 0.95,
        "donation": donation,
        "embedder": (embedder or language.HashingBagOfWordsEmbedder()).name,
        "runs": [str(r.path) for r in runs],
    }
    return Comparison(methods=methods, human=human, table=table, settings=settings)


# --- Text renderings ----------------------------------------------------------------------------------

DISPLAY_COLUMNS = [
    ("run", "run", None),
    ("method", "method", None),
    ("n", "n_donations", "d"),
    ("mean $ [95% CI]", "mean_donation", ".3f"),
    ("share $0 [95% CI]", "share_zero", ".2f"),
    ("KS (p)", "ks_statistic", ".3f"),
    ("L1", "l1", ".3f"),
    ("W1", "w1", ".3f"),
    ("mind-change [95% CI]", "mind_change_rate", ".2f"),
    ("Fisher p", "mind_change_fisher_p", ".3g"),
    ("strategy JSD", "strategy_jsd", ".3f"),
    ("distinct-2 (human)", "distinct_2", ".3f"),
    ("FK grade", "fk_grade", ".1f"),
    ("say–do: gave ≠ stated [95% CI]", "say_do_gave_different", ".2f"),
    ("entropy (nats)", "entropy_utterance", ".2f"),
    ("repairs/failures", "parse_repairs", None),
]


def human_row(human: HumanReference) -> dict:
    """The human reference in the table's column names (distances and simulated-only figures are NaN)."""
    return {
        "run": "human",
        "method": "PersuasionForGood",
        "n_donations": human.donations.n,
        "mean_donation": human.donations.mean,
        "share_zero": human.donations.share_zero,
        "share_max": human.donations.share_max,
        "mind_change_rate": human.mind_change.mind_change_rate,
        "ever_refused": human.mind_change.ever_refused,
        "distinct_1": human.distinct[1],
        "distinct_2": human.distinct[2],
        "distinct_3": human.distinct[3],
        "fk_grade": human.fk_grade,
        "say_do_gave_different": human.say_do.share_gave_less + human.say_do.share_gave_more,
    }


def display_table(table: pd.DataFrame, human: HumanReference | None = None) -> pd.DataFrame:
    """Human-readable strings: intervals in brackets; a first ``human`` row if ``human`` is given.

    ``distinct-2 (human)`` shows the human figure on an equally large sample of human utterances.
    """

    def fmt(value: object, spec: str) -> str:
        try:
            return "–" if value is None or pd.isna(value) else format(value, spec)
        except (TypeError, ValueError):
            return str(value)

    records = ([human_row(human)] if human is not None else []) + table.to_dict("records")
    rows = []
    for r in records:
        out = {}
        for title, col, spec in DISPLAY_COLUMNS:
            value = r.get(col)
            if col == "parse_repairs":
                out[title] = "–" if value is None else f"{int(value)}/{int(r['parse_failures'])}"
            elif col == "ks_statistic":
                out[title] = "–" if value is None else f"{fmt(value, spec)} ({fmt(r.get('ks_pvalue'), '.2g')})"
            elif col == "distinct_2" and r.get("human_distinct_2") is not None:
                out[title] = f"{fmt(value, spec)} ({fmt(r['human_distinct_2'], spec)})"
            elif spec is None:
                out[title] = str(value)
            elif r.get(f"{col}_low") is not None and not pd.isna(r.get(f"{col}_low")):
                out[title] = f"{fmt(value, spec)} [{fmt(r[f'{col}_low'], spec)}, {fmt(r[f'{col}_high'], spec)}]"
            else:
                out[title] = fmt(value, spec)
        rows.append(out)
    return pd.DataFrame(rows, columns=[t for t, _, _ in DISPLAY_COLUMNS])


def to_markdown(table: pd.DataFrame, human: HumanReference | None = None) -> str:
    """A GitHub-flavoured markdown table of :func:`display_table` (no extra dependency)."""
    shown = display_table(table, human)
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join(lines)
