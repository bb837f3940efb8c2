"""``simsocial compare --table vs-paper``: Table 21's layout (+ Table 22's linguistic columns).

One row per run × persuadee method with the paper-definition figures (:mod:`simsocial.metrics.paper`):
KS and L1 of the donation distribution against the human one, distinct-1/2/3, semantic diversity and
Flesch–Kincaid grade per dialogue, and the say–do gap beside the human one.  The paper's published
averages sit beside them for reference (they are the paper's numbers, not recomputed here):

Zhang et al. 2025, "Verbalized Sampling: How to Mitigate Mode Collapse and Unlock LLM Diversity",
arXiv 2510.01171 — Table 21 (donation KS / L1, averages over 7 models) and Table 22 (human linguistic
figures of the PersuasionForGood test split).
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pandas as pd

from simsocial.report.compare import Comparison
from simsocial.report.paper_figures import run_protocol
from simsocial.report.rundir import RunData

CITATION = (
    "Zhang et al. 2025, Verbalized Sampling, arXiv 2510.01171: Table 21 (KS / L1, averages over 7 models), "
    "Table 22 (human linguistic figures)"
)
# Persuadee method label (MethodConfig.label()) → (Table 21 row name, KS, L1).  The row is the published one
# each cell is read against; which of them follow the released code is in docs/reproducing-the-paper.md.
_VS_PROBABILITY = ("VS (published: k=5, probability-weighted)", 0.246, 0.628)
PAPER_TABLE21: dict[str, tuple[str, float, float]] = {
    "direct": ("Direct", 0.390, 0.649),
    "sequence": ("Sequence", 0.287, 0.638),
    "sequence[k=model]": ("Sequence", 0.287, 0.638),  # the paper's Sequence lets the model decide how many
    # simsocial's model-decided-k variant stands beside this row; the row's own prompt was never released.
    "vs_standard[k=model,uniform]": ("VS (model-decided k, uniform pick)", 0.198, 0.625),
    "vs_standard": _VS_PROBABILITY,  # k = 5, as the row is named (listed first: it names the published row)
    "vs_standard[k=4]": _VS_PROBABILITY,  # the preset: the released CLI's default k = 4 (cli.py:183)
}
PAPER_FINE_TUNED = ("fine-tuned Llama-3.1-8B", 0.119, 0.608)
PAPER_TABLE22_HUMAN = {"distinct_1": 0.419, "distinct_2": 0.809, "distinct_3": 0.892,
                       "semantic_diversity": 0.721, "fk_grade": 3.585}  # fmt: skip

COLUMNS = ["run", "persuadee_method", "n", "ks", "ks_low", "ks_high", "l1", "l1_low", "l1_high",
           "distinct_1", "distinct_2", "distinct_3", "semantic_diversity", "semantic", "fk_grade",
           "say_do_gave_different", "say_do_gave_different_low", "say_do_gave_different_high",
           "say_do_gave_less", "say_do_stated_positive_gave_zero", "say_do_n",
           "paper_row", "paper_ks", "paper_l1"]  # fmt: skip


def persuadee_method(condition_label: str) -> str:
    """The persuadee's method in a condition label (``persuader=direct,persuadee=vs_cot`` → ``vs_cot``)."""
    if "persuadee=" not in condition_label:
        return condition_label
    rest = condition_label.split("persuadee=", 1)[1]
    depth, out = 0, []
    for char in rest:  # stop at the next top-level comma (knobs in brackets contain commas)
        depth += char == "["
        depth -= char == "]"
        if char == "," and depth == 0:
            break
        out.append(char)
    return "".join(out)


def vs_paper_rows(comparison: Comparison) -> pd.DataFrame:
    """The table's rows: the human reference first, then one row per run × method."""
    rows: list[dict[str, Any]] = []
    first = comparison.table.iloc[0] if len(comparison.table) else None
    if first is not None:
        rows.append(
            {
                "run": "human",
                "persuadee_method": "PersuasionForGood (this data, same code)",
                "n": comparison.human.donations.n,
                "distinct_1": first["human_distinct_1_paper"],
                "distinct_2": first["human_distinct_2_paper"],
                "distinct_3": first["human_distinct_3_paper"],
                "semantic_diversity": first["human_semantic_diversity_paper"],
                "fk_grade": first["human_fk_grade_paper"],
                "semantic": bool(first["semantic_diversity_paper_is_semantic"]),  # same embedder as the runs
                "say_do_gave_different": first["human_say_do_gave_different"],
                "say_do_gave_different_low": first["human_say_do_gave_different_low"],
                "say_do_gave_different_high": first["human_say_do_gave_different_high"],
                "say_do_gave_less": first["human_say_do_gave_less"],
                "say_do_stated_positive_gave_zero": first["human_say_do_stated_positive_gave_zero"],
                "say_do_n": first["human_say_do_n"],
            }  # fmt: skip
        )
        rows.append({"run": "human (paper)", "persuadee_method": "PersuasionForGood test split, Table 22",
                     "semantic": True, **PAPER_TABLE22_HUMAN})  # fmt: skip
    for _, r in comparison.table.iterrows():
        method = persuadee_method(str(r["method"]))
        paper_row = PAPER_TABLE21.get(method)
        rows.append(
            {
                "run": r["run"],
                "persuadee_method": method,
                "n": r["n_donations"],
                "ks": r["ks_paper"],
                "ks_low": r.get("ks_paper_low"),
                "ks_high": r.get("ks_paper_high"),
                "l1": r["l1_paper"],
                "l1_low": r.get("l1_paper_low"),
                "l1_high": r.get("l1_paper_high"),
                **{f"distinct_{n}": r[f"distinct_{n}_paper"] for n in (1, 2, 3)},
                "semantic_diversity": r["semantic_diversity_paper"],
                "semantic": bool(r["semantic_diversity_paper_is_semantic"]),
                "fk_grade": r["fk_grade_paper"],
                "say_do_gave_different": r["say_do_gave_different"],
                "say_do_gave_different_low": r.get("say_do_gave_different_low"),
                "say_do_gave_different_high": r.get("say_do_gave_different_high"),
                "say_do_gave_less": r["say_do_gave_less"],
                "say_do_stated_positive_gave_zero": r["say_do_stated_positive_gave_zero"],
                "say_do_n": r["say_do_n"],
                "paper_row": paper_row[0] if paper_row else None,
                "paper_ks": paper_row[1] if paper_row else None,
                "paper_l1": paper_row[2] if paper_row else None,
            }
        )
    # The published block, whatever the run holds, so every figure the table is read against is on screen.
    # One row per published row (sequence and sequence[k=model] both stand for the paper's Sequence).
    shown: set[str] = set()
    for method, (name, ks, l1) in PAPER_TABLE21.items():
        if name not in shown:
            shown.add(name)
            rows.append({"run": "paper (Table 21)", "persuadee_method": method,
                         "paper_row": name, "paper_ks": ks, "paper_l1": l1})  # fmt: skip
    name, ks, l1 = PAPER_FINE_TUNED
    rows.append(
        {"run": "paper (Table 21)", "persuadee_method": name, "paper_row": name, "paper_ks": ks, "paper_l1": l1}
    )
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


INCOMPLETE_POLICY = (
    "Dialogues that failed or were cut short (status not ok) are left out of both donation constructs and of "
    "every figure; n counts the dialogues kept."
)


def not_paper_protocol_warning(runs: list[RunData]) -> str | None:
    """One line when some runs were not made under the paper's protocol (their prompts are not the paper's)."""
    other = [r.label for r in runs if run_protocol(r.manifest) != "paper"]
    if not other:
        return None
    return (f"{len(other)} of {len(runs)} run(s) were not made under the paper's protocol (scenario protocol: paper), "
            f"e.g. {other[0]}: their prompts are not the paper's, so the published figures are not a like-for-like "
            "reference")  # fmt: skip


def _fmt(value: Any, spec: str = ".3f") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "–"
    return format(value, spec) if isinstance(value, int | float) else str(value)


def _with_ci(row: pd.Series, col: str, spec: str = ".3f") -> str:
    low, high = row.get(f"{col}_low"), row.get(f"{col}_high")
    if low is None or pd.isna(low):
        return _fmt(row[col], spec)
    return f"{_fmt(row[col], spec)} [{_fmt(low, spec)}, {_fmt(high, spec)}]"


def _is_false(value: Any) -> bool:
    """False (numpy or Python), not missing."""
    return value is not None and not pd.isna(value) and not bool(value)


def display_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Strings for a terminal or markdown: intervals in brackets, the paper's figures as ``KS / L1``."""
    out = []
    for _, r in rows.iterrows():
        paper = "–" if pd.isna(r["paper_ks"]) else f"{r['paper_ks']:.3f} / {r['paper_l1']:.3f}"
        out.append(
            {
                "run": r["run"],
                "persuadee method": r["persuadee_method"],
                "n": _fmt(r["n"], ".0f"),
                "KS [95% CI]": _with_ci(r, "ks"),
                "L1 [95% CI]": _with_ci(r, "l1"),
                "distinct-1/2/3": "/".join(_fmt(r[f"distinct_{n}"]) for n in (1, 2, 3)),
                # Without an embeddings endpoint the figure is lexical (hashing bag-of-words): say so.
                "sem. div.": _fmt(r["semantic_diversity"]) + (" (lexical)" if _is_false(r["semantic"]) else ""),
                "FK": _fmt(r["fk_grade"], ".2f"),
                "say–do: gave ≠ stated [95% CI]": _with_ci(r, "say_do_gave_different", ".2f"),
                "gave less / stated>0 gave 0 (n)": (
                    f"{_fmt(r['say_do_gave_less'], '.2f')} / {_fmt(r['say_do_stated_positive_gave_zero'], '.2f')}"
                    f" ({_fmt(r['say_do_n'], '.0f')})"
                ),
                "paper KS / L1 (Table 21)": paper,
            }
        )
    return pd.DataFrame(out)


def render(comparison: Comparison, fmt: str) -> str:
    """The table as ``markdown``, ``json`` or ``csv`` text (the citation is part of every format)."""
    rows = vs_paper_rows(comparison)
    construct = comparison.settings.get("donation", "final")
    meaning = (
        "in-dialogue: the last amount the persuadee states in the chat, $0 if none (the paper's)"
        if construct == "in-dialogue"
        else "final: simsocial's private decision after the chat (not the paper's)"
    )
    note = (
        f"Paper figures: {CITATION}. Donation construct: {meaning}. {INCOMPLETE_POLICY} "
        "Simulated and human figures here use the paper's metric code (simsocial.metrics.paper)."
    )
    if fmt == "json":
        records = json.loads(rows.to_json(orient="records"))
        return json.dumps({"reference": CITATION, "settings": comparison.settings, "rows": records}, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        rows.assign(reference=CITATION).to_csv(buffer, index=False)
        return buffer.getvalue()
    shown = display_rows(rows)
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join(lines) + f"\n\n{note}"
