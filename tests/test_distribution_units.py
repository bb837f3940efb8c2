"""The VerbalizedDistribution value object at its edges: sampling bounds, tail thresholds, entropy of
unnormalised weights, round trips with missing keys, duplicate merging with unhashable fields, and the
messages of the errors it raises.  Pure Python, seeded Generators only."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simsocial.vs import Candidate, VerbalizedDistribution, VSParseError, parse_distribution
from simsocial.vs.distribution import merge_duplicates


def dist(*weights: float) -> VerbalizedDistribution:
    return VerbalizedDistribution.normalised([Candidate(f"c{i}", w) for i, w in enumerate(weights)])


def test_candidate_get_falls_back_to_the_default() -> None:
    c = Candidate("x", 1.0, {"amount": 0.5})
    assert c.get("amount") == 0.5 and c.get("label") is None and c.get("label", "none") == "none"


def test_sampling_by_probability_follows_the_cumulative_weights() -> None:
    d = dist(0.2, 0.3, 0.5)
    draws = [np.random.default_rng(s).random() for s in range(200)]
    picked = [d.sample(np.random.default_rng(s)) for s in range(200)]
    # Inverse CDF by hand: u < .2 → 0, u < .5 → 1, else 2.
    assert picked == [0 if u < 0.2 else 1 if u < 0.5 else 2 for u in draws]
    assert set(picked) == {0, 1, 2}


def test_uniform_selection_draws_every_index_and_none_outside() -> None:
    d = dist(0.98, 0.01, 0.01)
    picked = {d.sample(np.random.default_rng(s), "uniform") for s in range(100)}
    assert picked == {0, 1, 2}
    with pytest.raises(ValueError, match="unknown selection 'UNIFORM'; use 'probability' or 'uniform'"):
        d.sample(np.random.default_rng(0), "UNIFORM")  # type: ignore[arg-type]


def test_the_last_candidate_can_be_drawn_and_nothing_past_it() -> None:
    d = dist(0.5, 0.5)
    assert max(d.sample(np.random.default_rng(s)) for s in range(50)) == 1
    single = dist(1.0)
    assert {single.sample(np.random.default_rng(s)) for s in range(20)} == {0}


def test_entropy_in_nats_by_hand() -> None:
    assert dist(0.5, 0.25, 0.25).entropy() == pytest.approx(-(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25)))
    assert dist(1.0, 0.0).entropy() == 0.0 and math.copysign(1, dist(1.0).entropy()) == 1.0  # +0.0, not -0.0
    raw = VerbalizedDistribution((Candidate("a", 0.7), Candidate("b", 0.3 + 1e-6)))  # a sum within tolerance
    assert raw.entropy() == pytest.approx(-(0.7 * math.log(0.7) + 0.3 * math.log(0.3)), abs=1e-5)


def test_the_sum_tolerance_is_inclusive() -> None:
    VerbalizedDistribution((Candidate("a", 0.5), Candidate("b", 0.5 + 1.1e-5)))  # |sum - 1| = 1.1e-5: accepted
    with pytest.raises(ValueError, match=r"probabilities must sum to 1 \(got 1.000020\); use normalised\(\)"):
        VerbalizedDistribution((Candidate("a", 0.5), Candidate("b", 0.50002)))


def test_tail_keeps_only_candidates_strictly_below_the_threshold() -> None:
    d = VerbalizedDistribution.normalised([Candidate("a", 0.5), Candidate("b", 0.3), Candidate("c", 0.2)],
                                          raw_text="raw")  # fmt: skip
    tail = d.tail(0.3)
    assert [c.text for c in tail.candidates] == ["c"] and tail.raw_text == "raw"
    assert tail.repairs == ("tail_filtered",)  # the rescaling is by design, not a repair (issue 16: no "renormalised")
    assert d.tail(0.6) is d and d.tail(0.2).repairs == ("tail_empty",)


def test_uniform_of_candidates_resets_their_weights() -> None:
    u = VerbalizedDistribution.uniform([Candidate("a", 0.9, {"x": 1}), Candidate("b", 0.1), Candidate("c", 0.0)])
    assert list(u.probabilities) == pytest.approx([1 / 3] * 3) and u.repairs == ()
    assert u.candidates[0].fields == {"x": 1}
    assert [c.text for c in VerbalizedDistribution.uniform(["p", "q"]).candidates] == ["p", "q"]


def test_from_dict_without_fields_or_repairs() -> None:
    d = VerbalizedDistribution.from_dict({"candidates": [{"text": "a", "probability": 1}]})
    assert d.candidates[0].fields == {} and d.repairs == () and d.raw_text is None


def test_merge_compares_text_case_and_space_insensitively_and_fields_exactly() -> None:
    repairs: list[str] = []
    merged = merge_duplicates([Candidate("Give  TODAY", 0.25, {"amount": 1.0}), Candidate("give today", 0.25,
                               {"amount": 1.0}), Candidate("give today", 0.5, {"amount": 2.0})], repairs)  # fmt: skip
    assert [(c.text, c.probability, c.fields["amount"]) for c in merged] == [("Give  TODAY", 0.5, 1.0),
                                                                              ("give today", 0.5, 2.0)]  # fmt: skip
    assert repairs == ["duplicate_merged"]


def test_merge_with_unhashable_fields_compares_them_by_value() -> None:
    repairs: list[str] = []
    cands = [Candidate("a", 0.2, {"tags": ["x"], "n": 1}), Candidate("a", 0.3, {"tags": ["x"], "n": 1}),
             Candidate("a", 0.5, {"tags": ["y"], "n": 1}), Candidate("b", 0.1, {"tags": ["x"], "n": 1})]  # fmt: skip
    merged = merge_duplicates(cands, repairs)
    assert [(c.text, c.probability, c.fields["tags"]) for c in merged] == [("a", 0.5, ["x"]), ("a", 0.5, ["y"]),
                                                                            ("b", 0.1, ["x"])]  # fmt: skip
    assert repairs == ["duplicate_merged"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: VerbalizedDistribution(()), "a distribution needs at least one candidate"),
        (lambda: VerbalizedDistribution.normalised([]), "a distribution needs at least one candidate"),
        (lambda: dist(-1.0, 2.0), "weights must be finite and non-negative"),
    ],
)
def test_error_messages(make, message: str) -> None:
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty answer"),
        ("  ", "empty answer"),
        ("just prose", "no JSON or <response> tags found"),
        ('[{"text": ""}]', "no candidate with text"),
    ],
)
def test_parse_error_reasons(raw: str, reason: str) -> None:
    with pytest.raises(VSParseError) as info:
        parse_distribution(raw)
    assert info.value.reason == reason and str(info.value) == f"{reason}; raw answer: {raw[:200]!r}"


def test_the_parse_error_quotes_at_most_200_characters() -> None:
    with pytest.raises(VSParseError) as info:
        parse_distribution("x" * 500)
    assert str(info.value) == "no JSON or <response> tags found; raw answer: " + repr("x" * 200)
