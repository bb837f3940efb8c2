"""The comparison table as text: bracketed intervals, a human row, a markdown rendering.

Renders :attr:`simsocial.report.compare.Comparison.table` (its columns are listed in
:mod:`simsocial.report.compare`) for the CLI, the notebook and the HTML report.
"""

from __future__ import annotations

import pandas as pd

from simsocial.metrics.human_reference import HumanReference

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
