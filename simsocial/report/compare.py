"""Compare simulated runs with the human reference: one row per run × method.

Every figure is computed on the dialogues that the cleaning policy keeps (the same policy as for the human
data, :mod:`simsocial.data.cleaning`): a dialogue that failed or was cut short (status other than ``ok``),
under either donation construct, or an out-of-range donation removes the dialogue from all figures, and the
drop counts are reported (``n_dropped_cleaning``; :func:`simsocial.report.paper_figures.without_incomplete`).
Simulated figures carry a seeded percentile-bootstrap 95% interval over dialogues (the human side is held
fixed).  Columns of
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

This module assembles the table (:func:`compare_runs`); each row's figures are computed by
:mod:`simsocial.report.method_figures`, and :mod:`simsocial.report.compare_display` renders the table as
text.  Their public names are importable from here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simsocial.data.cleaning import DEFAULT_POLICY, DONATION_MAX
from simsocial.metrics import distribution, language
from simsocial.metrics.bootstrap import DEFAULT_RESAMPLES
from simsocial.metrics.human_reference import HumanReference, human_reference
from simsocial.report.compare_display import DISPLAY_COLUMNS, display_table, human_row, to_markdown
from simsocial.report.method_figures import LANGUAGE_RESAMPLES, MethodComparison, compare_method
from simsocial.report.rundir import RunData

__all__ = [  # the display helpers and per-method figures live in their own modules; imported from here too
    "DISPLAY_COLUMNS",
    "LANGUAGE_RESAMPLES",
    "Comparison",
    "MethodComparison",
    "compare_method",
    "compare_runs",
    "display_table",
    "human_row",
    "to_markdown",
]


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare_runs`."""

    methods: list[MethodComparison]
    human: HumanReference = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    settings: dict


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
