"""Loaders for the bundled PersuasionForGood human study (Wang et al., ACL 2019).

Raw loaders return the release's tables with its own column codes (``B2`` dialogue id, ``B3`` user id,
``B4`` role 0 = persuader / 1 = persuadee, ``B5`` stated donation, ``B6`` actual donation, ``B7`` turns):

- :func:`load_dialogue_info`       ``FullData/full_info.csv``        2,034 rows = 1,017 dialogues × 2 roles
- :func:`load_sentences`           ``FullData/full_dialog.csv``      20,932 sentences
- :func:`load_annotated_info`      ``AnnotatedData/300_info.xlsx``   600 rows = 300 dialogues × 2 roles
- :func:`load_annotated_sentences` ``AnnotatedData/300_dialog.xlsx`` 10,864 sentences with dialogue acts

(The annotated readme calls the last two ``300_info.csv`` / ``dialog_310.csv``; they are ``.xlsx``.
The annotated dialogues were re-split into sentences, so their sentence counts differ from FullData's.)

Tidy views, with descriptive snake_case names:

- :func:`human_dialogues` one row per dialogue, donations, stated amount, turns, persuadee survey
- :func:`persona_table`   one row per (dialogue, role) with the participant's survey answers

Survey columns: the release suffixes them with ``.x`` (``extrovert.x``); the tidy views strip that suffix
(``extrovert``) — the raw loaders keep it.  :data:`SURVEY_COLUMNS` lists them in the release's order.

Every loader checks the counts it relies on (:func:`check_release`) and raises if the files differ.
Reads are cached; every call returns a fresh copy.
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from simsocial.data.cleaning import BAD_ID_PREFIX, DEFAULT_POLICY, CleaningReport, clean

log = logging.getLogger(__name__)

DATA_PACKAGE = "simsocial.data"
DATA_DIR = "persuasionforgood"

# Counts of the release as bundled; check_release() verifies them against the files.
N_DIALOGUES = 1017
N_SENTENCES = 20932
N_ANNOTATED_DIALOGUES = 300
N_ANNOTATED_SENTENCES = 10864
N_BAD_IDS = 27

PERSUADER, PERSUADEE = 0, 1
ROLE_NAMES = {PERSUADER: "persuader", PERSUADEE: "persuadee"}

BIG_FIVE = ("extrovert", "agreeable", "conscientious", "neurotic", "open")  # 1–5
MORAL_FOUNDATIONS = ("care", "fairness", "loyalty", "authority", "purity", "freedom")  # 1–6
SCHWARTZ_VALUES = (
    "conform",
    "tradition",
    "benevolence",
    "universalism",
    "self_direction",
    "stimulation",
    "hedonism",
    "achievement",
    "power",
    "security",
)  # 1–6
DECISION_STYLE = ("rational", "intuitive")
DEMOGRAPHICS = ("age", "sex", "race", "edu", "marital", "employment", "income", "religion", "ideology")
SURVEY_COLUMNS = BIG_FIVE + MORAL_FOUNDATIONS + SCHWARTZ_VALUES + DECISION_STYLE + DEMOGRAPHICS
SURVEY_SUFFIX = ".x"


def data_path(*parts: str):
    """A :class:`importlib.resources` Traversable for a file inside the bundled release."""
    return resources.files(DATA_PACKAGE).joinpath(DATA_DIR, *parts)


def _read_csv(*parts: str, **kwargs) -> pd.DataFrame:
    with resources.as_file(data_path(*parts)) as path:
        return pd.read_csv(path, **kwargs)


def _read_xlsx(*parts: str) -> pd.DataFrame:
    with resources.as_file(data_path(*parts)) as path:
        return pd.read_excel(path, engine="openpyxl")


@functools.cache
def _dialogue_info() -> pd.DataFrame:
    return _read_csv("FullData", "full_info.csv")


@functools.cache
def _sentences() -> pd.DataFrame:
    # The first, unnamed column is the writer's row index; keep it as the index.
    return _read_csv("FullData", "full_dialog.csv", index_col=0)


@functools.cache
def _annotated_info() -> pd.DataFrame:
    return _read_xlsx("AnnotatedData", "300_info.xlsx")


@functools.cache
def _annotated_sentences() -> pd.DataFrame:
    df = _read_xlsx("AnnotatedData", "300_dialog.xlsx")
    return df.set_index(df.columns[0]).rename_axis(None)  # unnamed row-index column, as in full_dialog


def load_dialogue_info() -> pd.DataFrame:
    """``full_info.csv``: one row per (dialogue, role); raw column codes, survey columns with ``.x``."""
    return _dialogue_info().copy()


def load_sentences() -> pd.DataFrame:
    """``full_dialog.csv``: one sentence per row — ``Unit`` (text), ``Turn``, ``B4`` (role), ``B2`` (id)."""
    return _sentences().copy()


def load_annotated_info() -> pd.DataFrame:
    """``300_info.xlsx``: ``B2``–``B7`` for the 300 annotated dialogues, incl. ``B5`` (stated donation).

    ``B5`` is set where the persuadee named an amount (217 of 300) and is messy (values up to 10,000).
    The readme says B5 is for persuadees only, but 40 persuader rows carry one too; the tidy views use
    the persuadee's.  ``B7`` is missing in 19 rows here — prefer FullData's.
    """
    return _annotated_info().copy()


def load_annotated_sentences() -> pd.DataFrame:
    """``300_dialog.xlsx``: sentences with ``er_label_1``/``ee_label_1`` (persuader strategy / persuadee
    act; set on the speaker's own sentences), ``er_label_2``/``ee_label_2`` and ``neg``/``neu``/``pos``."""
    return _annotated_sentences().copy()


def check_release(annotated_files: bool = True) -> None:
    """Raise ``ValueError`` if the bundled files do not have the counts this package relies on.

    ``annotated_files=False`` checks full_info.csv only (what the persona table reads): the two annotated
    .xlsx files take seconds to parse, which ``simsocial run`` would otherwise pay before its first call.
    """
    info = _dialogue_info()
    ids = info["B2"].unique()
    checks = {
        "full_info rows": (len(info), 2 * N_DIALOGUES),
        "full_info dialogues": (len(ids), N_DIALOGUES),
        "full_info roles per dialogue": (int(info.groupby("B2")["B4"].nunique().min()), 2),
        "BAD_ ids": (sum(str(i).startswith(BAD_ID_PREFIX) for i in ids), N_BAD_IDS),
        "survey columns": (sum(c.endswith(SURVEY_SUFFIX) for c in info.columns), len(SURVEY_COLUMNS)),
    }
    if annotated_files:
        checks |= _annotated_checks(ids)
    wrong = {name: got for name, (got, want) in checks.items() if got != want}
    if wrong:
        raise ValueError(f"bundled PersuasionForGood differs from the expected release: {wrong}")


def _annotated_checks(ids: np.ndarray) -> dict[str, tuple[int, int]]:
    sentences = _sentences()
    annotated, annotated_sentences = _annotated_info(), _annotated_sentences()
    return {
        "full_dialog sentences": (len(sentences), N_SENTENCES),
        "full_dialog dialogues": (sentences["B2"].nunique(), N_DIALOGUES),
        "300_info dialogues": (annotated["B2"].nunique(), N_ANNOTATED_DIALOGUES),
        "300_dialog sentences": (len(annotated_sentences), N_ANNOTATED_SENTENCES),
        "300_dialog dialogues": (annotated_sentences["B2"].nunique(), N_ANNOTATED_DIALOGUES),
        "annotated ids missing from full_info": (len(set(annotated["B2"]) - set(ids)), 0),
    }


def _strip_suffix(df: pd.DataFrame) -> pd.DataFrame:
    return df.rename(columns=lambda c: c[: -len(SURVEY_SUFFIX)] if c.endswith(SURVEY_SUFFIX) else c)


def raw_human_dialogues() -> pd.DataFrame:
    """:func:`human_dialogues` before cleaning (all 1,017 dialogues)."""
    check_release()
    info = _strip_suffix(_dialogue_info())
    persuadee = info[info["B4"] == PERSUADEE].set_index("B2")
    persuader = info[info["B4"] == PERSUADER].set_index("B2")
    annotated = _annotated_info()
    stated = annotated[annotated["B4"] == PERSUADEE].set_index("B2")["B5"]
    n_sentences = _sentences().groupby("B2").size()

    out = pd.DataFrame(
        {
            "dialogue_id": persuadee.index.astype(str),
            "persuadee_id": persuadee["B3"].to_numpy(),
            "persuader_id": persuader.loc[persuadee.index, "B3"].to_numpy(),
            "donation": persuadee["B6"].astype(float).to_numpy(),
            "persuader_donation": persuader.loc[persuadee.index, "B6"].astype(float).to_numpy(),
            "stated_donation": stated.reindex(persuadee.index).astype(float).to_numpy(),
            "annotated": persuadee.index.isin(annotated["B2"]),
            "n_turns": persuadee["B7"].astype(int).to_numpy(),
            "n_sentences": n_sentences.reindex(persuadee.index).fillna(0).astype(int).to_numpy(),
            "bad_id": persuadee.index.astype(str).str.startswith(BAD_ID_PREFIX),
        }
    )
    survey = persuadee[list(SURVEY_COLUMNS)].reset_index(drop=True)
    return pd.concat([out, survey], axis=1)


def clean_human_dialogues(cleaning: str = DEFAULT_POLICY) -> tuple[pd.DataFrame, CleaningReport]:
    """:func:`human_dialogues` and the :class:`CleaningReport` saying what the policy dropped."""
    return clean(raw_human_dialogues(), cleaning, amount_column="donation", id_column="dialogue_id")


def human_dialogues(cleaning: str = DEFAULT_POLICY) -> pd.DataFrame:
    """One row per dialogue, cleaned with the named policy (see :mod:`simsocial.data.cleaning`).

    Columns: ``dialogue_id``; ``persuadee_id``, ``persuader_id`` (user ids); ``donation`` (persuadee's
    actual donation, B6, US$); ``persuader_donation`` (B6 of the persuader); ``stated_donation`` (B5:
    the amount the persuadee named in the chat, annotated dialogues only, else NaN — raw, not range
    checked); ``annotated`` (one of the 300 annotated dialogues); ``n_turns`` (B7); ``n_sentences``
    (rows in full_dialog.csv); ``bad_id``; then the persuadee's survey answers, :data:`SURVEY_COLUMNS`
    (``.x`` suffix stripped).  The cleaning report is logged and stored in ``df.attrs["cleaning_report"]``;
    use :func:`clean_human_dialogues` to get it directly.
    """
    df, report = clean_human_dialogues(cleaning)
    df = df.reset_index(drop=True)
    df.attrs["cleaning_report"] = report
    return df


Role = Literal["persuadee", "persuader", "both"]


def persona_table(role: Role = "persuadee", *, exclude_bad_ids: bool = True, complete: bool = False) -> pd.DataFrame:
    """One row per (dialogue, role): the participant's survey answers, for drawing simulated personas.

    Columns: ``persona_id`` (``"<dialogue_id>:<role>"``, stable), ``dialogue_id``, ``user_id``, ``role``,
    then :data:`SURVEY_COLUMNS` (``.x`` stripped; Big Five 1–5, moral foundations and Schwartz values 1–6,
    rational/intuitive, demographics; numbers as floats, categories as strings, NaN where unanswered).
    Donations are deliberately left out: a persona must not carry the outcome being simulated.

    ``exclude_bad_ids`` drops ``BAD_`` dialogues (27 per role); ``complete`` keeps only rows with every
    survey column answered (7 persuadee rows miss the scales, 14 rows miss demographics).
    """
    check_release(annotated_files=False)
    if role not in ("persuadee", "persuader", "both"):
        raise ValueError(f"role must be 'persuadee', 'persuader' or 'both', not {role!r}")
    info = _strip_suffix(_dialogue_info())
    info = info.assign(role=info["B4"].map(ROLE_NAMES))
    if role != "both":
        info = info[info["role"] == role]
    if exclude_bad_ids:
        info = info[~info["B2"].astype(str).str.startswith(BAD_ID_PREFIX)]
    if complete:
        info = info.dropna(subset=list(SURVEY_COLUMNS))
    out = pd.DataFrame(
        {
            "persona_id": info["B2"].astype(str) + ":" + info["role"],
            "dialogue_id": info["B2"].astype(str),
            "user_id": info["B3"].astype(str),
            "role": info["role"],
        }
    )
    return pd.concat([out, info[list(SURVEY_COLUMNS)]], axis=1).reset_index(drop=True)


def annotated_sentences_tidy() -> pd.DataFrame:
    """The annotated sentences with descriptive names, in dialogue order.

    Columns: ``dialogue_id``, ``turn``, ``role`` (``"persuader"``/``"persuadee"``), ``text``, ``act``
    (the speaker's most salient label: ``er_label_1`` for persuaders, ``ee_label_1`` for persuadees),
    ``act_2`` (second label, mostly empty), ``neg``, ``neu``, ``pos``.
    """
    df = _annotated_sentences()
    is_ee = df["B4"] == PERSUADEE
    out = pd.DataFrame(
        {
            "dialogue_id": df["B2"].astype(str),
            "turn": df["Turn"].astype(int),
            "role": df["B4"].map(ROLE_NAMES),
            "text": df["Unit"].astype(str),
            "act": np.where(is_ee, df["ee_label_1"], df["er_label_1"]),
            "act_2": np.where(is_ee, df["ee_label_2"], df["er_label_2"]),
            "neg": df["neg"],
            "neu": df["neu"],
            "pos": df["pos"],
        }
    )
    # Keep the file's sentence order within a dialogue (it is chronological); sort is stable.
    return out.sort_values(["dialogue_id", "turn"], kind="stable").reset_index(drop=True)


def sentences_tidy() -> pd.DataFrame:
    """All 20,932 FullData sentences: ``dialogue_id``, ``turn``, ``role``, ``text`` in dialogue order."""
    df = _sentences()
    out = pd.DataFrame(
        {
            "dialogue_id": df["B2"].astype(str),
            "turn": df["Turn"].astype(int),
            "role": df["B4"].map(ROLE_NAMES),
            "text": df["Unit"].fillna("").astype(str),
        }
    )
    return out.sort_values(["dialogue_id", "turn"], kind="stable").reset_index(drop=True)
