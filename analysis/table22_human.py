"""Why Table 22's human row (distinct-1 0.419, FK 3.585) differs from ours: the same metric code on other cuts.

    .venv/bin/python analysis/table22_human.py

Each row applies :mod:`simsocial.metrics.paper` (the paper's distinct-n and Flesch–Kincaid, per dialogue,
averaged) to one choice of which human text is a "dialogue": both roles or one, all turns or the first
five exchanges (the simulated length), the 300 annotated dialogues, whitespace tokens as in the package's
other n-gram code (analysis/evals/ngram.py:27).  The released code has no human-baseline script and its
dialogue evaluator computes no distinct-3 (evals/dialogue/linguistic.py:164-200), so Table 22's human
figures came from code that was not released; this table shows which cut, if any, they match.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from simsocial.metrics import paper
from simsocial.metrics.human_reference import human_reference

TABLE22 = {"distinct_1": 0.419, "distinct_2": 0.809, "distinct_3": 0.892, "fk_grade": 3.585}


def _dialogues(utter: pd.DataFrame, keep: Callable[[pd.DataFrame], pd.DataFrame] = lambda f: f) -> list[list[str]]:
    order = utter.assign(_r=utter["role"].map({"persuader": 0, "persuadee": 1}))
    order = keep(order.sort_values(["dialogue_id", "turn", "_r"], kind="stable"))
    return [list(g["text"]) for _, g in order.groupby("dialogue_id", sort=True)]


def _split_distinct(dialogues: list[list[str]], n: int) -> float:
    values = []
    for d in dialogues:
        words = paper.dialogue_text(d).split()
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        values.append(len(set(grams)) / len(grams) if grams else 0.0)
    return float(np.mean(values))


def _row(name: str, dialogues: list[list[str]], split: bool = False) -> dict:
    metric = _split_distinct if split else paper.distinct_n_paper
    distinct = {n: metric(dialogues, n) for n in (1, 2, 3)}
    tokens = np.mean([len(paper.paper_tokens(paper.dialogue_text(d))) for d in dialogues])
    return {"cut": name, "dialogues": len(dialogues), "tokens/dialogue": round(float(tokens)),
            **{f"distinct_{n}": round(v, 3) for n, v in distinct.items()},
            "fk_grade": round(paper.fk_grade_paper(dialogues), 3)}  # fmt: skip


def main() -> None:
    from simsocial.data.human import clean_human_dialogues

    utter = human_reference("default").utterances
    dialogues, _ = clean_human_dialogues("default")
    annotated_ids = set(dialogues.loc[dialogues["annotated"], "dialogue_id"].astype(str))
    whole = _dialogues(utter)
    first5 = lambda f: f[f["turn"] < f.groupby("dialogue_id")["turn"].transform("min") + 5]  # noqa: E731
    rows = [
        _row("both roles, all turns (simsocial's human row)", _dialogues(utter)),
        _row("persuadee only", _dialogues(utter[utter["role"] == "persuadee"])),
        _row("persuader only", _dialogues(utter[utter["role"] == "persuader"])),
        _row("both roles, first 5 exchanges (the simulated length)", _dialogues(utter, first5)),
        _row("both roles, whitespace tokens, case kept (ngram.py:27)", _dialogues(utter), split=True),
        _row("each utterance its own text", [[t] for t in utter["text"]]),
        _row("speaker prefixes, as the paper's history (base.py:76)",
             _dialogues(utter.assign(text=utter["role"].str.capitalize() + ": " + utter["text"]))),
        _row("the annotated dialogues", _dialogues(utter[utter["dialogue_id"].astype(str).isin(annotated_ids)])),
        # distinct-n per dialogue falls as a text grows: two dialogues back to back, to show how far
        _row("two dialogues joined (length effect only)",
             [a + b for a, b in zip(whole[::2], whole[1::2], strict=False)]),
    ]
    rows.append({"cut": "Table 22 (published)", **TABLE22})
    frame = pd.DataFrame(rows).astype(object).where(lambda f: f.notna(), "–")
    print("| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in row) + " |")
    print(f"\nFlesch–Kincaid syllables counted with: {paper.fk_syllable_counter()}")


if __name__ == "__main__":
    main()
