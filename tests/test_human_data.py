"""The bundled PersuasionForGood release: loaders, counts, quirks, cleaning rules, persona table."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from guards import require

from simsocial.data import cleaning, human
from simsocial.data.amounts import parse_amount

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "persuasionforgood"
BUNDLED_FILES = [
    "FullData/full_info.csv",
    "FullData/full_dialog.csv",
    "FullData/readme.md",
    "AnnotatedData/300_info.xlsx",
    "AnnotatedData/300_dialog.xlsx",
    "AnnotatedData/readme.md",
    "LICENSE",
    "PROVENANCE.md",
    "README.md",
    "persuadee_scheme.docx",
    "persuader_scheme.docx",
]


def test_every_file_is_bundled_with_its_license():
    for name in BUNDLED_FILES:
        assert human.data_path(*name.split("/")).is_file(), name


def test_bundled_files_are_byte_for_byte_copies():
    require(SHARED.is_dir(), "shared/ copy of the release not present")
    for name in BUNDLED_FILES:
        bundled = human.data_path(*name.split("/")).read_bytes()
        assert hashlib.sha256(bundled).hexdigest() == hashlib.sha256((SHARED / name).read_bytes()).hexdigest(), name


def test_release_counts():
    human.check_release()  # raises on any mismatch
    info = human.load_dialogue_info()
    assert len(info) == 2034
    assert info["B2"].nunique() == 1017
    assert (info.groupby("B2")["B4"].apply(sorted).map(tuple) == (0, 1)).all()
    assert len(human.load_sentences()) == 20932
    annotated = human.load_annotated_info()
    assert len(annotated) == 600
    assert annotated["B2"].nunique() == 300
    sentences = human.load_annotated_sentences()
    assert len(sentences) == 10864
    assert sentences["B2"].nunique() == 300
    assert {"er_label_1", "ee_label_1", "er_label_2", "ee_label_2", "neg", "neu", "pos"} <= set(sentences.columns)


def test_release_quirks():
    info = human.load_dialogue_info()
    assert sum(i.startswith("BAD_") for i in info["B2"].unique()) == 27
    persuadee = info[info["B4"] == 1]
    assert (persuadee["B6"] > 2).sum() == 35
    assert persuadee["B6"].max() == 700
    assert (persuadee["B6"] < 0).sum() == 0
    annotated = human.load_annotated_info()
    b5 = annotated.loc[annotated["B4"] == 1, "B5"]
    assert b5.notna().sum() == 217
    assert b5.max() == 10000
    # The readme says B5 is for persuadees only, yet 40 persuader rows carry one; the package ignores them.
    assert annotated.loc[annotated["B4"] == 0, "B5"].notna().sum() == 40
    # The annotated readme names .csv files, the release ships .xlsx.
    assert human.data_path("AnnotatedData", "300_info.xlsx").is_file()
    assert not human.data_path("AnnotatedData", "300_info.csv").is_file()
    assert sum(c.endswith(".x") for c in info.columns) == len(human.SURVEY_COLUMNS) == 32


def test_loaders_return_copies():
    a = human.load_dialogue_info()
    a.loc[:, "B6"] = -1
    assert (human.load_dialogue_info()["B6"] >= 0).all()


def test_human_dialogues_default_cleaning():
    df = human.human_dialogues()
    report = df.attrs["cleaning_report"]
    assert report.policy == "default"
    assert (report.n_input, report.n_output) == (1017, 966)
    assert report.dropped("drop_missing") == 0
    assert report.dropped("drop_bad_ids") == 27
    assert report.dropped("drop_out_of_range") == 24  # 35 above $2, 11 of them in BAD_ dialogues
    assert len(df) == 966 and df["dialogue_id"].is_unique
    assert df["donation"].between(0, 2).all()
    assert not df["bad_id"].any()
    assert not any(c.endswith(".x") for c in df.columns)
    assert set(human.SURVEY_COLUMNS) <= set(df.columns)
    assert df["annotated"].sum() == 290
    assert df.loc[~df["annotated"], "stated_donation"].isna().all()
    assert df["n_turns"].between(1, 30).all()


def test_human_dialogues_raw_matches_the_csv():
    # Every column, every row, against the release files read here with plain pandas (NaN must match NaN).
    raw = human.raw_human_dialogues().set_index("dialogue_id", drop=False)
    assert len(raw) == 1017 and raw.index.is_unique
    info = pd.read_csv(human.data_path("FullData", "full_info.csv"))
    persuadee = info[info["B4"] == 1].set_index("B2").loc[raw.index]
    persuader = info[info["B4"] == 0].set_index("B2").loc[raw.index]
    annotated = pd.read_excel(human.data_path("AnnotatedData", "300_info.xlsx"))
    stated = annotated[annotated["B4"] == 1].set_index("B2")["B5"]
    sentences = pd.read_csv(human.data_path("FullData", "full_dialog.csv"))["B2"].value_counts()
    expected = {
        "dialogue_id": pd.Series(raw.index, index=raw.index),
        "persuadee_id": persuadee["B3"],
        "persuader_id": persuader["B3"],
        "donation": persuadee["B6"].astype(float),
        "persuader_donation": persuader["B6"].astype(float),
        "stated_donation": stated.reindex(raw.index).astype(float),
        "annotated": pd.Series(raw.index.isin(annotated["B2"]), index=raw.index),
        "n_turns": persuadee["B7"],
        "n_sentences": sentences.reindex(raw.index).fillna(0),
        "bad_id": pd.Series(raw.index.str.startswith("BAD_"), index=raw.index),
        **{name: persuadee[f"{name}.x"] for name in human.SURVEY_COLUMNS},
    }
    assert set(raw.columns) == set(expected)
    for name, column in expected.items():
        pd.testing.assert_series_equal(raw[name], column, check_names=False, check_dtype=False,
                                       check_index_type=False, obj=name)  # fmt: skip
    assert raw["stated_donation"].notna().sum() == 217 and raw["annotated"].sum() == 300
    assert raw["n_sentences"].sum() == 20932


def test_the_batch_table_reads_the_same_human_donations_as_compare():
    # simsocial batch's closing table reads full_info.csv alone (the .xlsx files are slow to parse): its
    # donations are compare's, value for value and in order.
    from simsocial.cli.cell_outcomes import human_donations

    compare_uses, _ = human.clean_human_dialogues()
    np.testing.assert_array_equal(human_donations(), compare_uses["donation"].to_numpy(float))
    assert len(human_donations()) == 966


def test_persona_table():
    personas = human.persona_table()
    assert len(personas) == 1017 - 27
    assert personas["persona_id"].is_unique
    assert (personas["role"] == "persuadee").all()
    assert list(personas.columns[:4]) == ["persona_id", "dialogue_id", "user_id", "role"]
    assert set(human.SURVEY_COLUMNS) <= set(personas.columns)
    assert not {"donation", "B6", "B5"} & set(personas.columns)  # no outcome leaks into a persona
    both = human.persona_table("both", exclude_bad_ids=False)
    assert len(both) == 2034 and set(both["role"]) == {"persuader", "persuadee"}
    complete = human.persona_table(complete=True)
    assert complete[list(human.SURVEY_COLUMNS)].notna().all().all()
    assert len(complete) < len(personas)
    with pytest.raises(ValueError):
        human.persona_table("audience")  # type: ignore[arg-type]


def test_annotated_sentences_tidy_uses_the_speakers_label():
    s = human.annotated_sentences_tidy()
    assert len(s) == 10864
    assert set(s["role"]) == {"persuader", "persuadee"}
    persuadee_acts = set(s.loc[s["role"] == "persuadee", "act"].dropna())
    assert {"agree-donation", "disagree-donation", "provide-donation-amount"} <= persuadee_acts
    assert "credibility-appeal" in set(s.loc[s["role"] == "persuader", "act"])
    assert (s.groupby("dialogue_id")["turn"].apply(lambda t: t.is_monotonic_increasing)).all()


# --- cleaning rules ---------------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dialogue_id": ["a", "BAD_b", "c", "d", "BAD_e", "f", "g"],
            "donation": [0.0, 0.5, 2.0, 2.5, 50.0, np.nan, -0.1],
        }
    )


@pytest.mark.parametrize(
    ("rule", "dropped", "modified"),
    [
        (cleaning.DROP_MISSING, 1, 0),
        (cleaning.DROP_BAD_IDS, 2, 0),
        (cleaning.DROP_OUT_OF_RANGE, 3, 0),  # 2.5, 50, -0.1 (NaN is drop_missing's business)
        (cleaning.CAP_AT_MAX, 0, 2),  # 2.5 and 50 become 2
    ],
)
def test_each_rule_reports_its_drops(rule, dropped, modified):
    out, report = cleaning.clean(_frame(), [rule])
    assert report.dropped(rule.name) == dropped
    assert report.modified(rule.name) == modified
    assert len(out) == 7 - dropped
    assert report.n_output == len(out)


def test_policies_attribute_each_row_to_the_first_rule():
    out, report = cleaning.clean(_frame(), "default")
    assert [o.n_dropped for o in report.outcomes] == [1, 2, 2]  # BAD_e's 50 counted as a bad id
    assert out["dialogue_id"].tolist() == ["a", "c"]
    capped, cap_report = cleaning.clean(_frame(), "cap")
    assert capped["donation"].max() == 2.0 and cap_report.modified("cap_at_max") == 1
    raw, none_report = cleaning.clean(_frame(), "none")
    assert len(raw) == 7 and none_report.n_dropped == 0 and none_report.outcomes == ()
    assert "drop_bad_ids −2" in report.summary()


def test_clean_does_not_touch_its_input_and_rejects_unknown_policies():
    frame = _frame()
    cleaning.clean(frame, "cap")
    assert frame["donation"].max() == 50.0
    with pytest.raises(ValueError, match="unknown cleaning policy"):
        cleaning.clean(frame, "drop_everything")


def test_cleaning_on_the_release():
    raw = human.raw_human_dialogues()
    assert cleaning.clean(raw, [cleaning.DROP_BAD_IDS])[1].dropped("drop_bad_ids") == 27
    assert cleaning.clean(raw, [cleaning.DROP_OUT_OF_RANGE])[1].dropped("drop_out_of_range") == 35
    assert cleaning.clean(raw, "keep_bad")[1].n_output == 1017 - 35
    _, cap = cleaning.clean(raw, "cap")
    assert (cap.n_output, cap.modified("cap_at_max")) == (990, 24)


# --- amounts in sentences -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("I'd like to donate $0.50", 0.50),
        ("I will happily donate 60 cents.", 0.60),
        ("i would like to donate .05 cents", 0.05),
        ("Maybe ten dollars I can do.", 10.0),
        ("5$ sounds good ok", 5.0),
        (".60 still sounds good to me.", 0.60),
        ("A dollar?", 1.0),
        ("I can spare a quarter if it helps.", 0.25),
        ("I will donate 0,25", 0.25),
        ("I will give nothing today", 0.0),
        ("0k Here is a .25", 0.25),
        ("I would like to donate half of my payment.", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_amount(text, amount):
    got = parse_amount(text)
    assert got == pytest.approx(amount) if amount is not None else got is None
