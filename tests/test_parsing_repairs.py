"""Corners of the tolerant parser that tests/test_vs_parsing.py's table does not reach: every key name it
accepts, the fallbacks between them, percentages mixed with fractions, a missing probability beside stated
zeros.  Each case asserts the exact list of repair codes (with multiplicity), not that one is among them."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from simsocial.vs import VerbalizedDistribution, parse_distribution
from simsocial.vs.parsing import _LIST_KEYS, _PROB_KEYS, _TEXT_KEYS


def parsed(answer: Any, expect_probabilities: bool = True) -> VerbalizedDistribution:
    return parse_distribution(answer if isinstance(answer, str) else json.dumps(answer), (), expect_probabilities)


def assert_parsed(dist: VerbalizedDistribution, texts: list[str], probs: list[float], repairs: list[str]) -> None:
    assert [c.text for c in dist.candidates] == texts
    assert list(dist.probabilities) == pytest.approx(probs, abs=1e-12)
    assert Counter(dist.repairs) == Counter(repairs), dist.repairs


@pytest.mark.parametrize("key", _TEXT_KEYS)
def test_every_text_key_is_read(key: str) -> None:
    dist = parsed([{key: "a", "probability": 0.6}, {key: " b ", "probability": 0.4}])
    assert_parsed(dist, ["a", "b"], [0.6, 0.4], [])


@pytest.mark.parametrize("key", _PROB_KEYS)
def test_every_probability_key_is_read(key: str) -> None:
    dist = parsed([{"text": "a", key: 0.6}, {"text": "b", key: "0.4"}])
    assert_parsed(dist, ["a", "b"], [0.6, 0.4], [])


@pytest.mark.parametrize("key", _LIST_KEYS)
def test_every_list_key_is_read(key: str) -> None:
    dist = parsed({key: [{"text": "a", "probability": 0.6}, {"text": "b", "probability": 0.4}]})
    assert_parsed(dist, ["a", "b"], [0.6, 0.4], [])


def test_probability_key_wins_over_the_other_names() -> None:
    dist = parsed([{"text": "a", "confidence": 0.9, "probability": 0.25}, {"text": "b", "probability": 0.75}])
    assert_parsed(dist, ["a", "b"], [0.25, 0.75], [])


def test_other_probability_names_are_tried_in_order() -> None:
    # Without "probability", the first of prob, p, confidence, weight, likelihood that is present is used.
    dist = parsed([{"text": "a", "weight": 0.9, "p": 0.25}, {"text": "b", "likelihood": 0.75, "confidence": 0.1}])
    assert_parsed(dist, ["a", "b"], [0.25 / 0.35, 0.1 / 0.35], ["renormalised"])


def test_a_text_that_is_not_a_string_falls_back_to_the_other_text_keys() -> None:
    dist = parsed([{"text": 5, "reply": "a", "probability": 0.5}, {"text": None, "message": "b", "probability": 0.5}])
    assert_parsed(dist, ["a", "b"], [0.5, 0.5], [])


def test_a_text_key_wins_over_the_later_ones() -> None:
    dist = parsed([{"answer": "late", "response": "early", "probability": 1.0}])
    assert_parsed(dist, ["early"], [1.0], [])


def test_an_object_with_an_unknown_list_key_uses_its_first_list() -> None:
    dist = parsed({"note": "x", "ideas": [{"text": "a", "probability": 0.5}, {"text": "b", "probability": 0.5}],
                   "other": [1, 2]})  # fmt: skip
    assert_parsed(dist, ["a", "b"], [0.5, 0.5], [])


def test_a_known_list_key_wins_over_an_earlier_unknown_list() -> None:
    dist = parsed({"scratch": [{"text": "no", "probability": 1.0}], "options": [{"text": "yes", "probability": 1.0}]})
    assert_parsed(dist, ["yes"], [1.0], [])


def test_a_single_text_object_is_one_candidate() -> None:
    assert_parsed(parsed({"text": "only", "probability": 1.0}), ["only"], [1.0], [])
    assert_parsed(parsed({"reply": "only"}, expect_probabilities=False), ["only"], [1.0], [])
    assert_parsed(parsed({"reply": "only"}), ["only"], [1.0], ["probability_missing"])


def test_scalars_in_the_list_become_texts_and_nulls_are_counted() -> None:
    dist = parsed(["a", 7, None], expect_probabilities=False)
    assert_parsed(dist, ["a", "7"], [0.5, 0.5], ["empty_text_dropped"])


def test_a_tag_block_without_text_tags_is_its_own_text() -> None:
    dist = parsed("<response>Give a dollar.</response><response><text>No.</text><probability>0.5</probability>"
                  "</response>")  # fmt: skip
    assert_parsed(dist, ["Give a dollar.", "No."], [0.5, 0.5], ["tag_format", "probability_missing"])


# --- probabilities ---------------------------------------------------------------------------------------
def test_percent_and_fraction_mixed_read_as_both_when_that_sums_to_one() -> None:
    # 70 is 70 %, 0.3 is a fraction: read so, they sum to 1 (dividing both by 100 would give .7 and .003).
    dist = parsed([{"text": "a", "probability": 70}, {"text": "b", "probability": 0.3}])
    assert_parsed(dist, ["a", "b"], [0.7, 0.3], ["probability_above_one", "percent_fraction_mixed"])
    dist = parsed([{"text": "a", "probability": 50}, {"text": "b", "probability": 0.25}, {"text": "c", "p": 25}])
    assert_parsed(dist, ["a", "b", "c"], [0.5, 0.25, 0.25], ["probability_above_one", "percent_fraction_mixed"])


def test_above_one_values_that_do_not_read_as_a_mix_are_all_percentages() -> None:
    # 1.5 and 0.5 are weights: as a mix they would sum to .515, so both are divided by 100 and renormalised.
    dist = parsed([{"text": "a", "probability": 1.5}, {"text": "b", "probability": 0.5}])
    assert_parsed(dist, ["a", "b"], [0.75, 0.25], ["probability_above_one", "renormalised"])
    dist = parsed([{"text": "a", "probability": 60}, {"text": "b", "probability": 0.2}])  # mix: .8, all: .602
    assert_parsed(dist, ["a", "b"], [0.6 / 0.602, 0.002 / 0.602], ["probability_above_one", "renormalised"])


def test_percent_strings_beside_plain_percentages() -> None:
    # "70%" is read as .7, then 30 is above one: 30 % beside the fraction .7 sums to 1.
    dist = parsed([{"text": "a", "probability": "70%"}, {"text": "b", "probability": 30}])
    assert_parsed(dist, ["a", "b"], [0.7, 0.3],
                  ["percent_probability", "probability_above_one", "percent_fraction_mixed"])  # fmt: skip


def test_a_missing_probability_beside_stated_zeros_is_not_given_everything() -> None:
    # The stated ones average 0, so the missing one gets 0 too: all zero, hence uniform (not [0, 0, 1]).
    dist = parsed([{"text": "a", "probability": 0}, {"text": "b", "probability": 0.0}, {"text": "c"}])
    assert_parsed(dist, ["a", "b", "c"], [1 / 3] * 3, ["probability_missing", "all_zero_uniform"])


def test_a_missing_probability_gets_the_mean_of_the_stated_ones() -> None:
    dist = parsed([{"text": "a", "probability": 0.5}, {"text": "b", "probability": 0.0}, {"text": "c"}])
    assert_parsed(dist, ["a", "b", "c"], [0.5 / 0.75, 0.0, 0.25 / 0.75], ["probability_missing", "renormalised"])


def test_missing_probabilities_of_a_baseline_are_uniform_only_when_none_is_stated() -> None:
    assert_parsed(parsed([{"text": "a"}, {"text": "b"}], expect_probabilities=False), ["a", "b"], [0.5, 0.5], [])
    # One stated: the other gets its mean, without a repair code (baselines are not asked for probabilities).
    dist = parsed([{"text": "a", "probability": 0.2}, {"text": "b"}], expect_probabilities=False)
    assert_parsed(dist, ["a", "b"], [0.5, 0.5], ["renormalised"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.25", 0.25),
        (" .25 ", 0.25),
        ("25%", 0.25),
        ("about 25 %", 0.25),
        ("p=0.25", 0.25),
        ("-.25", 0.0),  # negative: clipped to 0
    ],
)
def test_probability_strings(raw: str, expected: float) -> None:
    dist = parsed([{"text": "a", "probability": raw}, {"text": "b", "probability": 0.75}])
    assert dist.candidates[0].probability == pytest.approx(expected / (expected + 0.75))


def test_infinite_and_boolean_probabilities_are_not_numbers() -> None:
    dist = parsed('[{"text": "a", "probability": Infinity}, {"text": "b", "probability": false},'
                  ' {"text": "c", "probability": 0.5}]')  # fmt: skip
    # Each unreadable value is counted; the two then take the mean of the stated one (.5 each): sum 1.5.
    repairs = ["probability_unreadable", "probability_unreadable", "probability_missing", "renormalised"]
    assert_parsed(dist, ["a", "b", "c"], [1 / 3] * 3, repairs)


# --- boundaries the mutation run found unguarded -------------------------------------------------------
def test_a_hundred_beside_zero_is_a_percentage_not_a_mix() -> None:
    dist = parsed([{"text": "a", "probability": 100}, {"text": "b", "probability": 0}])
    assert_parsed(dist, ["a", "b"], [1.0, 0.0], ["probability_above_one"])
    dist = parsed([{"text": "a", "probability": 99}, {"text": "b", "probability": 1}])  # 1 is 1 %, not 100 %
    assert_parsed(dist, ["a", "b"], [0.99, 0.01], ["probability_above_one"])
    dist = parsed([{"text": "a", "probability": 1.5}, {"text": "b", "probability": 0.985}])
    assert_parsed(dist, ["a", "b"], [0.015, 0.985], ["probability_above_one", "percent_fraction_mixed"])


def test_one_character_of_prose_before_the_json_is_prose() -> None:
    dist = parsed('X[{"text": "a", "probability": 1}]')
    assert_parsed(dist, ["a"], [1.0], ["prose_around_json"])


def test_probabilities_are_expected_unless_told_otherwise() -> None:
    dist = parse_distribution('[{"text": "a"}, {"text": "b"}]')
    assert_parsed(dist, ["a", "b"], [0.5, 0.5], ["probability_missing", "renormalised"])


@pytest.mark.parametrize(
    ("text", "unclosed"),
    [
        ('{"text": "a \\" } still in the string', True),  # an escaped quote does not close the string
        ('{"text": "a \\\\"} see [1]', False),  # an escaped backslash does: the string closed, then [1] closed
        ('{"text": "a \\\\"} see [1', True),
        ('] {"a": [1, 2', True),  # a stray closer before any opener is ignored
        ('{"a": 1} and {"b": [2]}', False),  # a second complete value after the first
        ('{"a": 1} and {"b": [2}', True),
        ('{"a": "}"} then [', True),  # a closer inside a string does not count
        ('[[1], {"k": "v"}] and {', True),
        ('say "hi" then {"a": 1} [x]', False),  # quotes in prose (outside JSON) are not strings
        ('text [', True),
        ('text {"a": [1, 2]', True),
        ('{"a": [1, 2]}', False),
        ("no brackets at all", False),
    ],
)
def test_is_unclosed_json_tracks_strings_escapes_and_depth(text: str, unclosed: bool) -> None:
    from simsocial.vs.parsing import is_unclosed_json

    assert is_unclosed_json(text) is unclosed
