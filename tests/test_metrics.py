"""Metrics shared by human and simulated data: against scipy and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from net_helpers import dead_base_url
from scipy import stats
from scipy.spatial import distance

from simsocial.metrics import bootstrap, distribution, language, mind_change, stance, strategies
from simsocial.metrics.human_reference import human_reference

# --- distribution -------------------------------------------------------------------------------------


def test_histogram_bins_are_half_open_at_ten_cents():
    h = distribution.histogram([0.0, 0.1, 0.3, 0.3, 1.9, 2.0])
    assert h.counts.sum() == 6
    assert h.counts[0] == 1 and h.counts[1] == 1
    assert h.counts[3] == 2  # $0.30 lands in [0.30, 0.40), not [0.20, 0.30) as float edges would put it
    assert h.counts[19] == 2  # [1.90, 2.00] is closed on the right
    assert h.width == pytest.approx(0.1)
    assert (h.density * h.width).sum() == pytest.approx(1.0)


def test_histogram_refuses_out_of_range_and_nan():
    with pytest.raises(ValueError):
        distribution.histogram([0.5, 2.5])
    with pytest.raises(ValueError):
        distribution.histogram([0.5, np.nan])
    with pytest.raises(ValueError):
        distribution.histogram([])


def test_l1_hand_computed_cases():
    assert distribution.histogram_l1([0.5, 1.0, 2.0], [2.0, 1.0, 0.5]) == 0.0
    assert distribution.histogram_l1([0.0, 0.05], [1.0, 1.5, 2.0]) == pytest.approx(2.0)
    # a: half in bin 0, half in bin 1 (density 5 each); b: all in bin 0 (density 10): (5 + 5) * 0.1 = 1.
    assert distribution.histogram_l1([0.05, 0.15], [0.05, 0.05]) == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0, 2), min_size=1, max_size=40),
    st.lists(st.floats(0, 2), min_size=1, max_size=40),
)
def test_l1_is_a_bounded_symmetric_distance(a, b):
    d = distribution.histogram_l1(a, b)
    assert 0.0 <= d <= 2.0 + 1e-12
    assert d == pytest.approx(distribution.histogram_l1(b, a))
    assert distribution.histogram_l1(a, a) == 0.0


def test_ks_and_w1_match_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0, 2, 50), rng.uniform(0, 1, 70)
    ks = distribution.ks_2samp(a, b)
    ref = stats.ks_2samp(a, b)
    assert (ks.statistic, ks.pvalue) == (pytest.approx(ref.statistic), pytest.approx(ref.pvalue))
    assert distribution.wasserstein_1(a, b) == pytest.approx(stats.wasserstein_distance(a, b))
    # Hand case: all mass at 0 vs all at 1 → KS 1, W1 $1.
    assert distribution.ks_2samp([0, 0], [1, 1, 1]).statistic == 1.0
    assert distribution.wasserstein_1([0, 0], [1, 1, 1]) == pytest.approx(1.0)


def test_compare_donations_bundles_everything():
    c = distribution.compare_donations([0, 0, 1, 2], [0, 1])
    assert c.mean_sim == 0.75 and c.mean_human == 0.5 and c.mean_diff == pytest.approx(0.25)
    assert c.share_zero_sim == 0.5 and c.share_zero_human == 0.5 and c.share_zero_diff == 0
    assert c.ks.statistic == pytest.approx(stats.ks_2samp([0, 0, 1, 2], [0, 1]).statistic)
    assert c.l1 == pytest.approx(0.5)  # bins: sim {0: .5, 10: .25, 19: .25}, human {0: .5, 10: .5}
    assert set(c.to_dict()) >= {"ks_statistic", "ks_pvalue", "l1", "w1", "mean_diff", "share_zero_diff"}
    with pytest.raises(ValueError):
        distribution.compare_donations([], [1])


# --- strategies ---------------------------------------------------------------------------------------


def test_strategy_normalisation():
    assert strategies.normalize_strategy("Logical_Appeal") == "logical-appeal"
    assert strategies.normalize_strategy(" foot in the door ") == "foot-in-the-door"
    assert strategies.normalize_strategy("self-modelling") == "self-modeling"
    assert strategies.normalize_strategy("greeting") == "non-strategy"
    assert strategies.normalize_strategy(None) == "non-strategy"
    assert len(strategies.CATEGORIES) == 11


def test_jensen_shannon_matches_scipy_and_bounds():
    p = strategies.strategy_distribution(["logical-appeal"] * 3 + ["emotion-appeal"] + ["greeting"] * 2)
    q = strategies.strategy_distribution(["logical-appeal", "credibility-appeal", "thank"])
    assert p.n == 6 and p.counts["non-strategy"] == 2
    ref = distance.jensenshannon(p.vector() / 6, q.vector() / 3, base=2)
    assert strategies.jensen_shannon(p, q) == pytest.approx(ref)
    assert strategies.jensen_shannon(p, p) == pytest.approx(0.0, abs=1e-9)
    disjoint = strategies.strategy_distribution(["personal-story"])
    assert strategies.jensen_shannon(p, disjoint) == pytest.approx(1.0)
    assert math.isnan(strategies.jensen_shannon(p, strategies.strategy_distribution([])))
    # Strategies only: the non-strategy share is ignored.
    only = strategies.strategy_distribution(["logical-appeal"] * 3 + ["emotion-appeal"])
    assert strategies.jensen_shannon(p, only, include_non_strategy=False) == pytest.approx(0.0, abs=1e-9)


# --- stance and mind change ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("act", "amount", "expected"),
    [
        ("agree-donation", None, "agree"),
        ("confirm-donation", None, "agree"),
        ("provide-donation-amount", 0.5, "agree"),
        ("provide-donation-amount", None, "agree"),
        ("provide-donation-amount", 0.0, "undecided"),
        ("disagree-donation", None, "refuse"),
        ("disagree-donation-more", None, "refuse"),
        ("positive-reaction-to-donation", None, "undecided"),
        ("ask-org-info", None, "undecided"),
        (None, None, "undecided"),
    ],
)
def test_human_act_to_stance(act, amount, expected):
    assert stance.human_act_to_stance(act, amount) == expected


def test_disagree_donation_more_can_be_excluded():
    assert stance.human_act_to_stance("disagree-donation-more", refuse_more=False) == "undecided"


def _sentences(acts_by_dialogue: dict[str, list[tuple[str, str, str]]]) -> pd.DataFrame:
    rows = [
        {"dialogue_id": d, "role": role, "act": act, "text": text}
        for d, items in acts_by_dialogue.items()
        for role, act, text in items
    ]
    return pd.DataFrame(rows)


def test_human_stance_table_on_hand_made_dialogues():
    sentences = _sentences(
        {
            # refuse, then names $0.50 → one refuse→agree change
            "d1": [
                ("persuader", "proposition-of-donation", "Would you donate?"),
                ("persuadee", "disagree-donation", "No, sorry."),
                ("persuadee", "ask-org-info", "What do they do?"),
                ("persuadee", "provide-donation-amount", "Fine, $0.50."),
            ],
            # agrees, confirms, then refuses to give more → one agree→refuse change
            "d2": [
                ("persuadee", "agree-donation", "Sure, I'll donate."),
                ("persuadee", "confirm-donation", "Yes, I confirm."),
                ("persuadee", "disagree-donation-more", "No more than that."),
            ],
            # amount not in the text: falls back to the stated B5 = 0 → undecided; never decides
            "d3": [("persuadee", "provide-donation-amount", "Whatever you think.")],
            # amount not in the text and no B5: assumed positive
            "d4": [("persuadee", "provide-donation-amount", "Half of my payment.")],
        }
    )
    table = stance.human_stance_table(sentences, stated={"d3": 0.0}).set_index("dialogue_id")
    assert table.loc["d1", "stances"] == ["refuse", "undecided", "agree"]
    assert table.loc["d1", "refuse_to_agree"] == 1 and table.loc["d1", "mind_changes"] == 1
    assert table.loc["d1", "first_decision_act"] == "disagree-donation"
    assert table.loc["d2", "agree_to_refuse"] == 1 and table.loc["d2", "first_decision"] == "agree"
    assert table.loc["d3", "first_decision"] == "none" and table.loc["d3", "mind_changes"] == 0
    assert table.loc["d4", "stances"] == ["agree"]
    summary = stance.summarize_mind_changes(table.reset_index(), donations=[0.5, 0.1, 0.0, 0.0])
    assert summary.n == 4
    assert summary.mind_change_rate == 0.5
    assert summary.ever_refused == 0.5
    assert summary.refused_then_committed == 0.25 and summary.committed_then_refused == 0.25
    assert summary.first_decision == {"agree": 0.5, "refuse": 0.25, "none": 0.25}
    assert summary.p_donate_given_ever_refused == 1.0  # d1 and d2 refused; both gave > 0
    no_more = stance.human_stance_table(sentences, {"d3": 0.0}, refuse_more=False).set_index("dialogue_id")
    assert no_more.loc["d2", "mind_changes"] == 0


def test_simulated_stance_table_recounts_with_the_same_function():
    dialogues = pd.DataFrame(
        {
            "dialogue_id": ["a", "b", "c", "d"],
            "stances": [
                np.array(["refuse", "undecided", "agree"]),
                ["agree", " Agree ", "refuse", "agree"],
                [],
                None,
            ],
        }
    )
    table = stance.simulated_stance_table(dialogues).set_index("dialogue_id")
    assert table.loc["a", "mind_changes"] == stance.count_mind_changes(["refuse", "undecided", "agree"]).total == 1
    assert table.loc["b", "mind_changes"] == 2
    assert table.loc["c", "first_decision"] == "none" and table.loc["d", "mind_changes"] == 0
    assert stance.normalize_stance("REFUSE") == "refuse" and stance.normalize_stance("maybe") is None


def test_fisher_mind_change_comparison_matches_scipy():
    sim = [1, 0, 0, 2, 0, 0, 0, 1]
    human = [0] * 20 + [1] * 2
    result = mind_change.compare_mind_change_rates(sim, human)
    assert (result.k_sim, result.n_sim, result.k_human, result.n_human) == (3, 8, 2, 22)
    ref = stats.fisher_exact([[3, 5], [2, 20]])
    assert result.pvalue == pytest.approx(ref.pvalue) and result.odds_ratio == pytest.approx(ref.statistic)
    assert result.rate_sim == 3 / 8 and result.difference == pytest.approx(3 / 8 - 2 / 22)
    assert math.isnan(mind_change.compare_rates([], [True]).pvalue)


# --- language -----------------------------------------------------------------------------------------


def test_distinct_n_hand_computed():
    assert language.distinct_n(["a b a b"], 1) == 0.5
    assert language.distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)
    # n-grams do not cross utterances: "b c" is never formed.
    assert language.distinct_n(["a b", "c d"], 2) == 1.0
    assert language.distinct_n(["I don't know.", "i DON'T know"], 1) == 0.5
    assert math.isnan(language.distinct_n([], 2))


def test_flesch_kincaid_formula():
    counts = np.array([[10, 2, 15], [5, 1, 5]])
    assert language.fk_grade_from_counts(counts) == pytest.approx(0.39 * 15 / 3 + 11.8 * 20 / 15 - 15.59)
    simple = language.flesch_kincaid_grade(["The cat sat on the mat."])
    assert simple == pytest.approx(0.39 * 6 + 11.8 * 1 - 15.59)  # six one-syllable words, one sentence
    hard = language.flesch_kincaid_grade(["Organizational accountability necessitates comprehensive documentation."])
    assert hard > simple
    assert math.isnan(language.flesch_kincaid_grade(["", "  "]))


def test_hashing_embedder_is_deterministic_and_lexical():
    emb = language.HashingBagOfWordsEmbedder(dim=256)
    assert isinstance(emb, language.Embedder) and emb.semantic is False
    texts = ["I will give a dollar", "count me in for one buck", "I will give a dollar"]
    v = emb.embed(texts)
    assert v.shape == (3, 256)
    assert np.allclose(v, language.HashingBagOfWordsEmbedder(dim=256).embed(texts))
    assert np.allclose(v[0], v[2])
    same = language.semantic_diversity(["same words here"] * 5, emb)
    assert same.mean_distance == pytest.approx(0.0, abs=1e-12) and same.semantic is False
    different = language.semantic_diversity(["alpha beta", "gamma delta", "epsilon zeta"], emb)
    assert different.mean_distance > 0.5


def test_mean_pairwise_cosine_distance_hand_case():
    vectors = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 0.0], [0.0, 0.0]])  # the zero row is ignored
    # pairs: (0,1) 1, (0,2) 0, (1,2) 1 → mean 2/3
    assert language.mean_pairwise_cosine_distance(vectors) == pytest.approx(2 / 3)


def test_openai_embedder_keeps_the_key_out_of_repr(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    emb = language.OpenAIEmbedder(model="text-embedding-3-small", base_url=dead_base_url())
    assert "sk-test-secret" not in repr(emb) and emb.semantic is True
    assert isinstance(emb, language.Embedder)


def test_entropy_from_column_and_candidates():
    assert language.entropy_from_probabilities([0.25] * 4) == pytest.approx(math.log(4))
    assert language.entropy_from_probabilities([2, 2]) == pytest.approx(math.log(2))  # renormalised
    assert language.entropy_from_probabilities([1.0, 0.0]) == 0.0
    turns = pd.DataFrame(
        {
            "dialogue_id": ["a", "a", "b"],
            "turn": [0, 1, 0],
            "role": ["persuader", "persuadee", "persuader"],
            "kind": ["utterance"] * 3,
            "entropy": [0.3, None, 0.9],
        }
    )
    candidates = pd.DataFrame(
        {
            "dialogue_id": ["a"] * 3,
            "turn": [1] * 3,
            "role": ["persuadee"] * 3,
            "kind": ["utterance"] * 3,
            "probability": [0.5, 0.25, 0.25],
        }
    )
    summary = language.verbalized_entropy(turns, candidates)
    h = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
    assert summary.mean == pytest.approx((0.3 + 0.9 + h) / 3)
    assert (summary.n_from_column, summary.n_from_candidates) == (2, 1)
    assert language.verbalized_entropy(turns).n == 2
    assert language.verbalized_entropy(turns, candidates, role="persuader").mean == pytest.approx(0.6)


# --- bootstrap ----------------------------------------------------------------------------------------


def test_bootstrap_is_seeded_and_sensible():
    rng = np.random.default_rng(11)
    data = rng.normal(1.0, 1.0, 400)
    a = bootstrap.bootstrap_mean(data, rng=5, n_resamples=1000)
    b = bootstrap.bootstrap_mean(data, rng=np.random.default_rng(5), n_resamples=1000)
    assert a == b
    assert a.low < data.mean() < a.high
    se = data.std(ddof=1) / math.sqrt(len(data))
    assert a.high - a.low == pytest.approx(2 * 1.96 * se, rel=0.15)
    # Agrees with scipy's percentile bootstrap to within Monte Carlo error.
    ref = stats.bootstrap((data,), np.mean, method="percentile", n_resamples=2000, random_state=1)
    assert a.low == pytest.approx(ref.confidence_interval.low, abs=0.03)
    constant = bootstrap.bootstrap_mean([0.5] * 10)
    assert (constant.low, constant.estimate, constant.high) == (0.5, 0.5, 0.5)
    empty = bootstrap.bootstrap_mean([])
    assert math.isnan(empty.estimate) and math.isnan(empty.low)
    assert "[" in a.format()


def test_bootstrap_ignores_nan_resamples():
    ci = bootstrap.bootstrap_ci(
        np.array([0.0, 1.0]), lambda a: float("nan") if a.sum() == 0 else a.mean(), rng=0, n_resamples=200
    )
    assert 0.5 <= ci.low <= ci.high <= 1.0


# --- human reference ----------------------------------------------------------------------------------


def test_human_reference_figures_match_an_independent_computation():
    from simsocial.data.human import load_dialogue_info

    info = load_dialogue_info()
    b6 = info.loc[(info["B4"] == 1) & ~info["B2"].str.startswith("BAD_"), "B6"]
    b6 = b6[(b6 >= 0) & (b6 <= 2)]
    ref = human_reference()
    d = ref.donations
    assert d.n == len(b6) == 966
    assert d.mean == pytest.approx(b6.mean())
    assert d.median == pytest.approx(b6.median())
    assert d.sd == pytest.approx(b6.std())
    assert d.share_zero == pytest.approx((b6 == 0).mean())
    assert d.share_max == pytest.approx((b6 == 2).mean())
    assert d.histogram.counts.sum() == 966
    assert ref.say_do.n > 0 and ref.say_do.cleaning.dropped("drop_missing") > 0
    assert ref.mind_change.n == 290
    assert 0 < ref.mind_change.mind_change_rate < ref.mind_change.ever_refused + ref.mind_change.ever_agreed
    assert ref.mind_change_excluding_more.mind_change_rate <= ref.mind_change.mind_change_rate
    assert sum(ref.mind_change.first_decision_act.values()) == pytest.approx(1.0)
    assert ref.strategies.n == 5854
    top = max(strategies.STRATEGIES, key=lambda k: ref.strategies.counts[k])
    assert top == "credibility-appeal"
    assert set(ref.to_dict()) >= {"donations", "say_do_gap", "mind_change", "strategies", "cleaning"}


# --- issue 10: metrics under the VS paper's definitions (simsocial.metrics.paper), hand-computed ---------
def test_l1_paper_uses_the_papers_float_bin_edges() -> None:
    from simsocial.metrics.paper import l1_paper

    # linspace(0, 2, 21)[3] is 0.30000000000000004, so $0.30 falls in [0.2, 0.3) with $0.25:
    # sim bins {2, 10}, human bins {2, 0}; densities 0.5 / 0.1 = 5 each → (5 + 5) · 0.1 = 1.0.
    assert l1_paper([0.30, 1.0], [0.25, 0.0]) == pytest.approx(1.0)
    # simsocial's own L1 (exact $0.10 bins) puts $0.30 in [0.3, 0.4): all four bins differ → 2.0.
    assert distribution.histogram_l1([0.30, 1.0], [0.25, 0.0]) == pytest.approx(2.0)
    # The top edge is closed and values outside [0, 2] are ignored, as np.histogram does.
    assert l1_paper([2.0, 5.0], [2.0]) == pytest.approx(0.0)
    assert math.isnan(l1_paper([], [1.0]))


def test_ks_paper_is_scipy_ks_2samp() -> None:
    from simsocial.metrics.paper import ks_paper

    # ECDF gaps at 0, 0.5, 1, 2: |.5-1/3|, |.5-2/3|, |1-2/3|, 0 → 1/3.
    assert ks_paper([0.0, 1.0], [0.0, 0.5, 2.0]).statistic == pytest.approx(1 / 3)
    # Simulated first, human second, on samples of every shape a run gives (ties on the $ grid included):
    # statistic and two-sided p-value are scipy's (exact p for small samples, asymptotic for large).
    rng = np.random.default_rng(20251001)
    grid = np.array([0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0])
    for n_sim, n_human in [(1, 1), (3, 40), (25, 25), (60, 300), (400, 900)]:
        sim, human = rng.choice(grid, n_sim), rng.uniform(0, 2, n_human)
        expected = stats.ks_2samp(sim, human)
        got = ks_paper(sim, human)
        assert (got.statistic, got.pvalue) == (float(expected.statistic), float(expected.pvalue))
        swapped = stats.ks_2samp(human, sim)
        assert got.statistic == pytest.approx(swapped.statistic)  # the statistic is symmetric...
        # ...the order matters for scipy's `statistic_sign` only; simsocial keeps the paper's (sim, human).
    # ECDF by hand on a case with a large gap: all simulated mass at 0 vs human at 2 → D = 1.
    assert ks_paper([0.0] * 5, [2.0] * 7).statistic == 1.0
    assert ks_paper([0.0] * 5, [2.0] * 7).pvalue == pytest.approx(stats.ks_2samp([0.0] * 5, [2.0] * 7).pvalue)
    assert ks_paper([0.0] * 5, [2.0] * 7).pvalue < 0.01
    # NaN donations are left out (never turned into a difference) and empty samples give NaN, not 0.
    assert ks_paper([0.0, np.nan, 1.0], [0.0, 0.5, 2.0]) == ks_paper([0.0, 1.0], [0.0, 0.5, 2.0])
    for empty in ([], [np.nan]):
        assert all(math.isnan(v) for v in (ks_paper(empty, [1.0]).statistic, ks_paper([1.0], empty).pvalue))


def test_distinct_n_paper_per_dialogue_then_averaged() -> None:
    from simsocial.metrics.paper import distinct_n_paper

    dialogues = [["Hi hi there", "There!"], ["a"], ["Don't, don't.", None]]
    # A: hi hi there there → d1 2/4, d2 3/3.  B: a → d1 1/1, d2 0 (fewer than 2 tokens).
    # C: \b\w+\b splits "don't" into don, t → don t don t → d1 2/4, d2 {don t, t don} 2/3.
    assert distinct_n_paper(dialogues, 1) == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    assert distinct_n_paper(dialogues, 2) == pytest.approx((1.0 + 0.0 + 2 / 3) / 3)


def test_fk_grade_paper_per_dialogue_then_averaged() -> None:
    from simsocial.metrics.paper import fk_grade_paper

    # 9 one-syllable words in 2 sentences: 0.39 · 4.5 + 11.8 · 1 − 15.59 = −2.035; an empty dialogue is 0.0.
    text = ["The cat sat on the mat.", "The dog ran."]
    assert fk_grade_paper([text]) == pytest.approx(-2.035)
    assert fk_grade_paper([text, []]) == pytest.approx(-2.035 / 2)


def test_semantic_diversity_paper_clips_cosine() -> None:
    from simsocial.metrics.paper import pairwise_diversities, semantic_diversity_paper

    group = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    # cos: 0, 1/√2, 1/√2 → diversities 1, 1 − 1/√2, 1 − 1/√2.
    expected = (1 + 2 * (1 - 1 / math.sqrt(2))) / 3
    assert semantic_diversity_paper([group]) == pytest.approx(expected)
    # Opposite vectors: cos −1 clipped to 0 → diversity 1 (not 2).
    assert pairwise_diversities(np.array([[1.0, 0.0], [-1.0, 0.0]])) == pytest.approx([1.0])
    # Pairs are pooled over groups (3 + 1 pairs), not averaged per group.
    pooled = semantic_diversity_paper([group, np.array([[1.0, 0.0], [1.0, 0.0]])])
    assert pooled == pytest.approx((3 * expected + 0.0) / 4)


# --- issue 10: the paper's donation construct (simsocial.metrics.paper_donation) -------------------------
@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("I can't give $2 but I'll give 50 cents", 0.50),  # the cents pattern is tried first
        ("I can't give $2 right now.", 2.0),  # no negation handling, as in the paper
        ("I'd donate 1.50 I think", 1.50),
        ("I will give the whole 2 dollars", 2.0),
        ("maybe I could do 0.25", 0.25),
        ("I'll give 5 dollars", 2.0),  # capped at the maximum
        ("I'll give 150 cents", 1.50),
        ("I can spare $.50", 0.50),
        ("give $1 now, later give 2 cents", 0.02),
        ("Contributing all $1.25!", 1.25),
        ("I gave 1 yesterday", None),  # "gave" is not one of the paper's verbs
        ("No thanks.", None),
    ],
)
def test_extract_amount_paper(text: str, amount: float | None) -> None:
    from simsocial.metrics.paper_donation import extract_amount_paper

    got = extract_amount_paper(text)
    assert got == (None if amount is None else pytest.approx(amount))


def test_in_dialogue_donation_is_the_last_stated_amount_zero_when_none_capped() -> None:
    from simsocial.metrics.paper_donation import in_dialogue_donation

    assert in_dialogue_donation(["I'd give $1.", "Hmm.", "Actually I'll give 50 cents", "Bye!"]) == 0.5
    assert in_dialogue_donation(["No.", None, "Still no."]) == 0.0
    assert in_dialogue_donation([]) == 0.0
    assert in_dialogue_donation(["I'll donate 4"], maximum=5.0) == 4.0
    assert in_dialogue_donation(["I'll donate 9"], maximum=5.0) == 5.0


# --- issue 10: the say–do gap, one function for people and simulations ------------------------------------
def test_say_do_summary_hand_computed() -> None:
    from simsocial.metrics.say_do import say_do_summary

    stated = [1.0, 1.0, 0.5, 0.0, None, 2.0]
    actual = [1.0, 0.0, 1.0, 0.0, 1.0, 0.5]
    s = say_do_summary(stated, actual, rng=0, n_resamples=200)
    assert s.n == 5  # the pair without a stated amount is left out
    assert s.shares["gave_different"].estimate == pytest.approx(3 / 5)
    assert s.shares["gave_less"].estimate == pytest.approx(2 / 5)
    assert s.shares["gave_more"].estimate == pytest.approx(1 / 5)
    assert s.shares["stated_positive_gave_zero"].estimate == pytest.approx(1 / 4)
    assert s.mean_gap.estimate == pytest.approx((0 - 1 + 0.5 + 0 - 1.5) / 5)
    assert s.shares["gave_less"].low <= 0.4 <= s.shares["gave_less"].high


def test_human_say_do_through_the_shared_function_matches_the_reference() -> None:
    from simsocial.data import human as human_data
    from simsocial.metrics.say_do import human_say_do_pairs, say_do_summary

    # Recounted from the release's columns with plain pandas: the persuadee's stated amount (B5, annotated
    # 300_info.xlsx) and actual donation (B6, full_info.csv), ids not starting BAD_, both amounts in [0, 2].
    annotated = pd.read_excel(human_data.data_path("AnnotatedData", "300_info.xlsx"))
    info = pd.read_csv(human_data.data_path("FullData", "full_info.csv"))
    stated = annotated[annotated["B4"] == 1].set_index("B2")["B5"]
    actual = info[info["B4"] == 1].set_index("B2")["B6"].reindex(stated.index)
    keep = (~stated.index.str.startswith("BAD_") & stated.between(0, 2) & actual.between(0, 2)).to_numpy()
    b5, b6 = stated.to_numpy(float)[keep], actual.to_numpy(float)[keep]
    assert len(b5) == 164
    by_hand = {"gave_different": np.mean(~np.isclose(b5, b6)), "gave_less": np.mean(b6 < b5 - 1e-9),
               "gave_more": np.mean(b6 > b5 + 1e-9), "stated_positive_gave_zero": np.mean(b6[b5 > 0] == 0)}  # fmt: skip
    assert by_hand["gave_different"] == pytest.approx(71 / 164)  # 0.433, the figure the docs quote

    s = say_do_summary(*human_say_do_pairs("default"), rng=0, n_resamples=200)
    ref = human_reference().say_do
    assert s.n == ref.n == len(b5)
    for name, share in by_hand.items():
        assert s.shares[name].estimate == pytest.approx(share), name
    assert s.mean_gap.estimate == pytest.approx(np.mean(b6 - b5))
    assert ref.share_gave_less == pytest.approx(by_hand["gave_less"])
    assert ref.share_stated_positive_gave_zero == pytest.approx(by_hand["stated_positive_gave_zero"])
