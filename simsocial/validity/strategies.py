"""What works: donation regressed on which persuader strategies a dialogue used, humans and each method.

Human side: the 300 annotated dialogues; a strategy is *present* when at least one persuader sentence
carries it (``er_label_1``).  Simulated side: a strategy is present when at least one persuader turn was
labelled with it (the label of the candidate drawn that turn, ``turns.parquet``).  The units differ —
sentences vs turns — as each source annotates; presence per dialogue is comparable.  A coefficient is the
difference in donation (dollars, or log-odds of giving) between dialogues that used the strategy and
those that did not, holding the other strategies fixed.  This is an association: persuaders chose their
strategies, possibly in response to the persuadee, so it is not a causal effect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from simsocial.data.cleaning import DEFAULT_POLICY
from simsocial.metrics.strategies import STRATEGIES, normalize_strategy
from simsocial.validity.effects import Effects, side_by_side
from simsocial.validity.fidelity import DEFAULT_RESAMPLES
from simsocial.validity.samples import Cell, human_outcomes


def presence(dialogue_ids: Iterable[str], labelled: pd.DataFrame) -> pd.DataFrame:
    """0/1 per dialogue and strategy: whether any of ``labelled``'s rows (``dialogue_id``, ``label``) uses it."""
    ids = pd.Index([str(i) for i in dialogue_ids], name="dialogue_id")
    labels = labelled.assign(strategy=labelled["label"].map(normalize_strategy))
    labels = labels[labels["strategy"].isin(STRATEGIES)]
    counts = pd.crosstab(labels["dialogue_id"].astype(str), labels["strategy"])
    return (counts.reindex(index=ids, columns=list(STRATEGIES), fill_value=0) > 0).astype(float).reset_index()


def human_strategy_frame(cleaning: str = DEFAULT_POLICY) -> tuple[pd.DataFrame, int]:
    """The annotated human dialogues the cleaning policy keeps: ``donation`` and presence per strategy.

    Returns the frame and how many annotated dialogues the policy dropped.
    """
    from simsocial.data.human import annotated_sentences_tidy

    sentences = annotated_sentences_tidy()
    persuader = sentences[sentences["role"] == "persuader"].rename(columns={"act": "label"})
    annotated = sorted(set(sentences["dialogue_id"]))
    people = human_outcomes(cleaning).set_index("dialogue_id")["donation"]
    kept = [d for d in annotated if d in people.index]
    frame = presence(kept, persuader).join(people, on="dialogue_id")
    return frame, len(annotated) - len(kept)


def simulated_strategy_frame(cell: Cell, turns: pd.DataFrame) -> pd.DataFrame:
    """``cell``'s kept dialogues: ``donation`` and presence per strategy from its persuader turns."""
    ids = cell.dialogues["dialogue_id"].astype(str)
    mine = turns[(turns["role"] == "persuader") & (turns["kind"] != "donation")
                 & turns["dialogue_id"].astype(str).isin(set(ids))]  # fmt: skip
    donations = cell.dialogues.assign(dialogue_id=ids).set_index("dialogue_id")[cell.column].rename("donation")
    return presence(ids, mine[["dialogue_id", "label"]]).join(donations, on="dialogue_id")


def strategy_effects(
    cells: Sequence[Cell],
    turns: dict[str, pd.DataFrame],
    *,
    cleaning: str = DEFAULT_POLICY,
    seed: int = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> Effects:
    """Strategy effects for the humans and every cell (``turns`` maps a cell's run label to its turns)."""
    human, dropped_human = human_strategy_frame(cleaning)
    dropped = {"human: annotated dialogues dropped by the cleaning policy": dropped_human} if dropped_human else {}
    frames = []
    for cell in cells:
        frames.append((cell.label, simulated_strategy_frame(cell, turns[cell.run])))
        if cell.n_dropped:
            dropped[f"{cell.label}: dialogues dropped by the cleaning policy"] = cell.n_dropped
    return side_by_side("strategy", human, frames, list(STRATEGIES), seed=seed, n_resamples=n_resamples,
                        unit="when present", dropped=dropped)  # fmt: skip
