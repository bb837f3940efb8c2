"""The VS paper's metrics (simsocial.metrics.paper) on the inputs a run can hand them: NaN donations, empty
samples, dialogues without text; and the Flesch–Kincaid grade through textstat itself (the paper's
definition, with the CMU dictionary that `make install` puts where NLTK finds it) next to the Pyphen
fallback used where the dictionary is missing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from guards import require

from simsocial.metrics import paper


def test_nan_donations_are_left_out_of_the_paper_histogram_metrics() -> None:
    nan = float("nan")
    assert paper.l1_paper([0.5, nan, 1.0], [0.5, 1.0]) == 0.0
    assert paper.l1_paper([0.0, nan], [2.0]) == pytest.approx(2.0)  # all mass in the first bin vs the last
    assert list(paper.paper_histogram([nan, 0.05, 0.15])) == pytest.approx([5.0, 5.0] + [0.0] * 18)
    ks = paper.ks_paper([nan, 0.0, 1.0], [0.0, nan, 0.5, 2.0])
    assert ks.statistic == pytest.approx(1 / 3)


@pytest.mark.parametrize(("simulated", "human"), [([], [1.0]), ([1.0], []), ([float("nan")], [1.0]), ([], [])])
def test_empty_samples_give_nan_not_a_number_that_looks_real(simulated: list[float], human: list[float]) -> None:
    assert math.isnan(paper.l1_paper(simulated, human)) and math.isnan(paper.l1_paper(human, simulated))
    ks = paper.ks_paper(simulated, human)
    assert math.isnan(ks.statistic) and math.isnan(ks.pvalue)


def test_distinct_n_and_fk_of_no_dialogue_are_nan_and_of_empty_dialogues_zero() -> None:
    assert math.isnan(paper.distinct_n_paper([], 1)) and math.isnan(paper.fk_grade_paper([]))
    empty = [[], [None, ""], [float("nan")]]  # type: ignore[list-item]  # a NaN turn, as pandas hands one
    assert paper.distinct_n_paper(empty, 1) == 0.0 and paper.distinct_n_paper(empty, 2) == 0.0
    assert paper.fk_grade_paper(empty) == 0.0


def test_turns_without_text_are_skipped_when_a_dialogue_is_joined() -> None:
    assert paper.dialogue_text(["Hi", None, "", float("nan"), "there"]) == "Hi there"  # type: ignore[list-item]
    assert paper.distinct_n_of_text("a a", 3) == 0.0  # fewer tokens than n
    assert paper.distinct_n_of_text("A a b", 1) == pytest.approx(2 / 3)  # lower-cased before counting
    assert paper.paper_tokens("It's $2.50!") == ["it", "s", "2", "50"]


def test_semantic_diversity_edge_cases() -> None:
    assert math.isnan(paper.semantic_diversity_paper([]))
    assert math.isnan(paper.semantic_diversity_paper([np.array([[1.0, 2.0]])]))  # one vector: no pair
    assert paper.pairwise_diversities(np.array([[1.0, 0.0]])).size == 0
    # A zero vector has cosine 0 with everything (not NaN): diversity 1.
    assert list(paper.pairwise_diversities(np.array([[0.0, 0.0], [3.0, 4.0]]))) == [1.0]
    # Identical directions, different lengths: diversity 0.
    assert list(paper.pairwise_diversities(np.array([[1.0, 1.0], [5.0, 5.0]]))) == pytest.approx([0.0])


# --- Flesch–Kincaid: textstat with the CMU dictionary, and the Pyphen fallback --------------------------
SENTENCES = [
    "The cat sat on the mat. The dog ran.",
    "Would you consider donating a little of your earnings to Save the Children today?",
    "I am not sure. Children everywhere deserve education, safety and healthcare; every dollar helps.",
    "Absolutely! Organisations like this transform communities through sustainable development programmes.",
]


def _require_cmudict() -> None:
    require(paper.cmudict_available(), "NLTK's CMU dictionary is not installed (make install runs "
                                       "tools/nltk_cmudict.py)")  # fmt: skip


def test_the_cmu_dictionary_is_installed_so_fk_follows_textstat() -> None:
    _require_cmudict()
    import textstat

    assert paper.fk_syllable_counter() == "cmudict"
    for text in SENTENCES:
        assert paper.fk_grade_textstat(text) == textstat.flesch_kincaid_grade(text)
    assert paper.fk_grade_paper([[t] for t in SENTENCES]) == pytest.approx(
        np.mean([textstat.flesch_kincaid_grade(t) for t in SENTENCES])
    )


def test_textstat_counts_syllables_from_the_dictionary() -> None:
    _require_cmudict()
    import textstat

    from simsocial.metrics.language import _syllables

    # CMU says EH1 V ER0 IY0: three syllables where Pyphen hyphenates ev-ery (two); "cat dog mat" is three.
    assert textstat.syllable_count("every") == 3 and _syllables("every") == 2
    assert textstat.syllable_count("cat dog mat") == 3


def test_the_pyphen_fallback_equals_textstat_on_words_both_count_alike() -> None:
    _require_cmudict()
    import textstat

    text = SENTENCES[0]  # one-syllable words only: both counters agree word for word
    assert paper.fk_grade_pyphen(text) == pytest.approx(textstat.flesch_kincaid_grade(text))
    assert paper.fk_grade_pyphen(text) == pytest.approx(0.39 * 4.5 + 11.8 * 1 - 15.59)


def test_the_pyphen_fallback_stays_close_to_textstat_on_real_dialogue_text() -> None:
    _require_cmudict()
    import textstat

    from simsocial.data import human

    sentences = human.load_sentences()
    texts = [" ".join(g["Unit"].astype(str)) for _, g in list(sentences.groupby("B2", sort=True))[:60]]
    exact = np.array([textstat.flesch_kincaid_grade(t) for t in texts])
    fallback = np.array([paper.fk_grade_pyphen(t) for t in texts])
    # Same formula and word/sentence counts; only syllables differ.  Pyphen hyphenates fewer syllables than
    # the CMU dictionary has ("every": 2 vs 3), so the fallback reads lower — measured here 0.62 grade on
    # average (at most 1.25), r = 0.992: it ranks texts alike but is not the paper's figure.
    gap = fallback - exact
    assert -1.0 < gap.mean() < -0.3 and (gap <= 0.05).all()
    assert np.corrcoef(fallback, exact)[0, 1] > 0.98


def test_fk_of_empty_text_is_zero_on_both_paths() -> None:
    assert paper.fk_grade_pyphen("") == 0.0 and paper.fk_grade_pyphen("!!!") == 0.0
    _require_cmudict()
    assert paper.fk_grade_textstat("") == 0.0


# --- values on small hand-made cases (each one pins a line of the paper's code) --------------------------
def test_l1_paper_by_hand_and_nan_when_either_sample_is_empty() -> None:
    # sim all at $0 (bin 0, density 10), human all at $1 (bin 10, density 10): (10 + 10) · 0.1 = 2.
    assert paper.l1_paper([0.0, 0.0], [1.0]) == pytest.approx(2.0)
    assert math.isnan(paper.l1_paper([0.5], [])) and math.isnan(paper.l1_paper([], [0.5]))


def test_ks_paper_on_single_values_and_its_p_value() -> None:
    # One value each, apart: D = 1 and scipy's exact p = 1.0 (n = m = 1); never NaN for a sample of one.
    one = paper.ks_paper([0.0], [1.0])
    assert (one.statistic, one.pvalue) == (1.0, 1.0)
    ks = paper.ks_paper([0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0])
    assert ks.statistic == 1.0 and ks.pvalue == pytest.approx(2 / 70)  # exact: 2 of C(8, 4) orderings


def test_distinct_n_of_text_counts_n_grams_of_exactly_n_tokens() -> None:
    assert paper.distinct_n_of_text("a b", 2) == 1.0  # exactly n tokens: one n-gram, not 0
    assert paper.distinct_n_of_text("a b a b", 2) == pytest.approx(2 / 3)  # (a b), (b a), (a b)
    assert paper.distinct_n_paper([["a b a b"]], 2) == pytest.approx(2 / 3)


def test_semantic_diversity_on_hand_made_vectors() -> None:
    # Rows not of unit length and a non-symmetric layout: each row is normalised by its own norm.
    group = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 2.0], [6.0, 8.0, 0.0]])
    assert list(paper.pairwise_diversities(group)) == pytest.approx([1.0, 0.0, 1.0])
    # cos -1 and -0.6 clip to 0 similarity: diversity 1; a cosine of 0.6 gives 0.4.
    assert list(paper.pairwise_diversities([[1.0, 0.0], [-1.0, 0.0], [0.6, 0.8]])) == pytest.approx([1.0, 0.4, 1.0])
    assert paper.semantic_diversity_paper([group, np.array([[1.0, 0.0], [0.6, 0.8]])]) == pytest.approx(2.4 / 4)
    assert paper.pairwise_diversities([[1, 0], [0, 1]]).dtype == float  # integer input is read as floats


def test_fk_pyphen_on_hand_counted_text_and_no_text() -> None:
    # "Happy cats." 2 words, 1 sentence, 3 syllables (hap-py, cats): 0.39 · 2 + 11.8 · 1.5 − 15.59.
    assert paper.fk_grade_pyphen("Happy cats.") == pytest.approx(0.39 * 2 + 11.8 * 1.5 - 15.59)
    assert paper.fk_grade_pyphen("HAPPY CATS.") == pytest.approx(paper.fk_grade_pyphen("happy cats."))
    assert paper.fk_grade_pyphen("") == 0.0
    assert paper.fk_grade_paper([[""], ["Happy cats."]]) == pytest.approx(paper.fk_grade_paper([["Happy cats."]]) / 2)


def test_the_syllable_counter_is_named() -> None:
    assert paper.fk_syllable_counter() == ("cmudict" if paper.cmudict_available() else "pyphen")
    assert paper.fk_syllable_counter() in {"cmudict", "pyphen"}
