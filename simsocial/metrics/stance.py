"""One stance bookkeeping for human and simulated dialogues.

A stance sequence is a list of ``"refuse" | "undecided" | "agree"`` (see :data:`simsocial.contract.STANCES`).
A *mind change* is a switch between the two decided stances — refuse → agree or agree → refuse — with any
number of ``undecided`` turns in between (being undecided is not a decision, so it neither starts nor ends
a change).

The same functions serve both sides of a comparison: human persuadee dialogue acts are mapped onto stances
with :func:`human_act_to_stance` (:func:`human_stance_table`), simulated stance labels are normalised
with :func:`normalize_stance` (:func:`simulated_stance_table`), and both tables are summarised by
:func:`summarize_mind_changes` using :func:`count_mind_changes`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

DECIDED = ("refuse", "agree")


@dataclass(frozen=True)
class MindChanges:
    """Counts of decided-stance switches in one sequence."""

    refuse_to_agree: int
    agree_to_refuse: int

    @property
    def total(self) -> int:
        return self.refuse_to_agree + self.agree_to_refuse


def decided_stances(stances: Iterable[str | None]) -> list[str]:
    """The sequence with undecided/missing stances removed and repeated stances collapsed."""
    out: list[str] = []
    for stance in stances:
        if stance in DECIDED and (not out or out[-1] != stance):
            out.append(stance)
    return out


def count_mind_changes(stances: Sequence[str | None]) -> MindChanges:
    """Count refuse→agree and agree→refuse switches in a stance sequence."""
    decided = decided_stances(stances)
    pairs = list(zip(decided, decided[1:], strict=False))
    return MindChanges(
        refuse_to_agree=sum(1 for a, b in pairs if (a, b) == ("refuse", "agree")),
        agree_to_refuse=sum(1 for a, b in pairs if (a, b) == ("agree", "refuse")),
    )


# --- Stance labels from simulated turns -------------------------------------------------------------

_STANCE_SYNONYMS = {"refuse": "refuse", "refused": "refuse", "undecided": "undecided", "agree": "agree"}


def normalize_stance(label: str | None) -> str | None:
    """A simulated stance label as one of :data:`simsocial.contract.STANCES`, or ``None`` if unknown.

    Tolerates case and surrounding whitespace; anything else (a parse failure, a missing label) is
    ``None``, which :func:`count_mind_changes` treats like ``undecided``.
    """
    if not isinstance(label, str):
        return None
    return _STANCE_SYNONYMS.get(label.strip().lower())


# --- Human persuadee dialogue acts → stance --------------------------------------------------------

AGREE_ACTS = ("agree-donation", "confirm-donation")
AMOUNT_ACT = "provide-donation-amount"
REFUSE_ACTS = ("disagree-donation", "disagree-donation-more")
DECISION_ACTS = (*AGREE_ACTS, AMOUNT_ACT, *REFUSE_ACTS)


def human_act_to_stance(act: str | None, amount: float | None = None, *, refuse_more: bool = True) -> str:
    """Map one PersuasionForGood persuadee act (``ee_label_1``) onto a stance.

    ``agree-donation``, ``confirm-donation`` → ``"agree"``; ``provide-donation-amount`` → ``"agree"`` if
    ``amount`` is ``None`` (unknown, assumed positive: the act *is* naming a donation) or > 0, else
    ``"undecided"`` (a stated $0 is not counted as a commitment); ``disagree-donation`` and (if
    ``refuse_more``) ``disagree-donation-more`` → ``"refuse"``; every other act → ``"undecided"``.

    ``disagree-donation-more`` declines to give *more* after a commitment, so it turns a dialogue into
    "committed then refused"; pass ``refuse_more=False`` to treat it as undecided instead.
    """
    if act in AGREE_ACTS:
        return "agree"
    if act == AMOUNT_ACT:
        return "agree" if amount is None or amount > 0 else "undecided"
    if act == "disagree-donation" or (refuse_more and act == "disagree-donation-more"):
        return "refuse"
    return "undecided"


def human_stance_table(
    sentences: pd.DataFrame,
    stated: Mapping[str, float] | None = None,
    *,
    amount_parser: Callable[[str], float | None] | None = None,
    refuse_more: bool = True,
) -> pd.DataFrame:
    """One row per dialogue with the persuadee's stance sequence, from annotated sentences.

    ``sentences`` has ``dialogue_id``, ``role``, ``text``, ``act`` in dialogue order (as returned by
    :func:`simsocial.data.human.annotated_sentences_tidy`).  One stance per persuadee sentence: acts are
    annotated per sentence, and as :func:`count_mind_changes` collapses repeats and skips undecided
    stances, sentence- and turn-level sequences give the same counts when order is kept.

    The amount of a ``provide-donation-amount`` sentence is read from its text with ``amount_parser``
    (default :func:`simsocial.data.amounts.parse_amount`); if the text names none, the dialogue's
    ``stated`` amount (B5) is used; if that is missing too the amount counts as positive.

    Columns: ``dialogue_id``, ``stances`` (list), ``decision_acts`` (the decision acts in order),
    ``first_decision_act`` (or ``"none"``), ``first_decision`` (stance or ``"none"``),
    ``refuse_to_agree``, ``agree_to_refuse``, ``mind_changes``, ``ever_refused``, ``ever_agreed``.
    """
    if amount_parser is None:
        from simsocial.data.amounts import parse_amount  # lazy: metrics must not need data at import

        amount_parser = parse_amount
    stated = stated or {}
    persuadee = sentences[sentences["role"] == "persuadee"]
    rows = []
    for dialogue_id, group in persuadee.groupby("dialogue_id", sort=False):
        stances, acts = [], []
        for act, text in zip(group["act"], group["text"], strict=True):
            amount = None
            if act == AMOUNT_ACT:
                amount = amount_parser(text)
                if amount is None:
                    fallback = stated.get(dialogue_id)
                    amount = None if fallback is None or pd.isna(fallback) else float(fallback)
            stance = human_act_to_stance(act, amount, refuse_more=refuse_more)
            stances.append(stance)
            if stance in DECIDED:
                acts.append(act)
        rows.append(_stance_row(str(dialogue_id), stances, acts))
    return pd.DataFrame(rows, columns=_STANCE_TABLE_COLUMNS)


def simulated_stance_table(dialogues: pd.DataFrame) -> pd.DataFrame:
    """The same table as :func:`human_stance_table` for ``dialogues.parquet`` rows (its ``stances`` column).

    Mind changes are recounted from the stance lists with :func:`count_mind_changes` — the one function
    used for human data too — rather than read from the stored ``mind_changes`` column.
    ``decision_acts``/``first_decision_act`` hold stances here: simulated turns carry no act labels.
    """
    rows = []
    for dialogue_id, raw in zip(dialogues["dialogue_id"], dialogues["stances"], strict=True):
        stances = [normalize_stance(s) for s in _as_list(raw)]
        rows.append(_stance_row(str(dialogue_id), stances, [s for s in stances if s in DECIDED]))
    return pd.DataFrame(rows, columns=_STANCE_TABLE_COLUMNS)


_STANCE_TABLE_COLUMNS = [
    "dialogue_id",
    "stances",
    "decision_acts",
    "first_decision_act",
    "first_decision",
    "refuse_to_agree",
    "agree_to_refuse",
    "mind_changes",
    "ever_refused",
    "ever_agreed",
]


def _as_list(raw: object) -> list:
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return []
    return list(raw)  # numpy arrays (pyarrow list columns) and lists alike


def _stance_row(dialogue_id: str, stances: list[str | None], decision_acts: list[str]) -> dict:
    changes = count_mind_changes(stances)
    decided = decided_stances(stances)
    return {
        "dialogue_id": dialogue_id,
        "stances": stances,
        "decision_acts": decision_acts,
        "first_decision_act": decision_acts[0] if decision_acts else "none",
        "first_decision": decided[0] if decided else "none",
        "refuse_to_agree": changes.refuse_to_agree,
        "agree_to_refuse": changes.agree_to_refuse,
        "mind_changes": changes.total,
        "ever_refused": "refuse" in decided,
        "ever_agreed": "agree" in decided,
    }


# --- Summary figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MindChangeSummary:
    """Mind-change figures over a set of dialogues (shares are fractions of ``n``).

    ``p_donate_given_ever_refused`` is the share of ever-refusing dialogues whose final donation is
    > 0 (``None`` without donations or without any refusal).
    """

    n: int
    mind_change_rate: float  # share with at least one refuse↔agree switch
    ever_refused: float
    ever_agreed: float
    refused_then_committed: float  # share with a refuse → agree switch
    committed_then_refused: float  # share with an agree → refuse switch
    first_decision: dict[str, float]  # first decided stance ("agree", "refuse", "none") → share
    first_decision_act: dict[str, float]  # human: first decision act → share; simulated: = first_decision
    n_ever_refused: int
    p_donate_given_ever_refused: float | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def summarize_mind_changes(table: pd.DataFrame, donations: Sequence[float] | None = None) -> MindChangeSummary:
    """Summarise a stance table (:func:`human_stance_table` / :func:`simulated_stance_table`).

    ``donations`` (optional) are the final donations aligned with ``table``'s rows.
    """
    n = len(table)

    def share(mask: pd.Series) -> float:
        return float(mask.mean()) if n else float("nan")

    def distribution(column: str) -> dict[str, float]:
        if not n:
            return {}
        return {str(k): float(v) for k, v in table[column].value_counts(normalize=True).items()}

    ever_refused = table["ever_refused"].astype(bool)
    p_donate = None
    if donations is not None:
        amounts = np.asarray(donations, dtype=float)
        if len(amounts) != n:
            raise ValueError(f"donations has {len(amounts)} values for {n} dialogues")
        if ever_refused.any():
            p_donate = float((amounts[ever_refused.to_numpy()] > 0).mean())
    return MindChangeSummary(
        n=n,
        mind_change_rate=share(table["mind_changes"] > 0),
        ever_refused=share(ever_refused),
        ever_agreed=share(table["ever_agreed"].astype(bool)),
        refused_then_committed=share(table["refuse_to_agree"] > 0),
        committed_then_refused=share(table["agree_to_refuse"] > 0),
        first_decision=distribution("first_decision"),
        first_decision_act=distribution("first_decision_act"),
        n_ever_refused=int(ever_refused.sum()),
        p_donate_given_ever_refused=p_donate,
    )
