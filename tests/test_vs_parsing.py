"""Tolerant parsing of verbalized distributions, the distribution value object, method knobs, prompt plans
and combining per-call answers.  Pure functions on strings: no model, no network."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import numpy as np
import pytest
from pydantic import ValidationError

from simsocial.vs import (
    AmountField,
    Candidate,
    LabelField,
    Method,
    MethodConfig,
    Query,
    VerbalizedDistribution,
    VSParseError,
    combine_answers,
    first_user_message,
    parse_distribution,
    plan,
)
from simsocial.vs.prompts import MODEL_DECIDED_MAX_K

STRATEGY = LabelField("strategy", ("logical-appeal", "emotion-appeal", "credibility-appeal"))
AMOUNT = AmountField("amount", (0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0), nullable=True)
AMOUNT_REQUIRED = AmountField("amount", (0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0), nullable=False)

# Repairs that remove an input item: every other item must come out as a candidate.
DROPPING_REPAIRS = ("empty_text_dropped", "duplicate_merged")


def items(*pairs: tuple[str, Any]) -> str:
    """A JSON list of {"text", "probability"} items."""
    return json.dumps([{"text": t, "probability": p} for t, p in pairs])


def wrapped(*pairs: tuple[str, Any]) -> str:
    return json.dumps({"responses": [{"text": t, "probability": p} for t, p in pairs]})


def tagged(*pairs: tuple[str, str | None]) -> str:
    blocks = []
    for text, prob in pairs:
        inner = f"<text>{text}</text>" + (f"<probability>{prob}</probability>" if prob is not None else "")
        blocks.append(f"<response>{inner}</response>")
    return "\n".join(blocks)


@dataclass(frozen=True)
class Case:
    id: str
    raw: str
    texts: list[str]
    probs: list[float]
    repairs: list[str] = field(default_factory=list)  # exactly the codes recorded (with multiplicity)
    n_items: int | None = None  # input items (default: len(texts))
    fields: tuple[Any, ...] = ()
    expect_probabilities: bool = True
    values: dict[str, list[Any]] = field(default_factory=dict)  # expected field values per candidate
    exact_repairs: bool = False  # marks a clean answer (no repair); every case's repairs are compared exactly


AB = [("a", 0.7), ("b", 0.3)]
CASES = [
    # --- clean answers: nothing to repair --------------------------------------------------------
    Case("clean_object", wrapped(*AB), ["a", "b"], [0.7, 0.3], exact_repairs=True),
    Case("clean_bare_list", items(*AB), ["a", "b"], [0.7, 0.3], exact_repairs=True),
    Case("string_probabilities", items(("a", "0.7"), ("b", "0.3")), ["a", "b"], [0.7, 0.3], exact_repairs=True),
    Case("leading_dot_strings", items(("a", ".7"), ("b", ".3")), ["a", "b"], [0.7, 0.3], exact_repairs=True),
    Case(
        "alternative_keys",
        json.dumps([{"response": "a", "prob": 0.7}, {"utterance": "b", "confidence": 0.3}]),
        ["a", "b"],
        [0.7, 0.3],
        exact_repairs=True,
    ),
    Case(
        "candidates_key",
        json.dumps({"candidates": [{"text": "a", "probability": 0.7}, {"text": "b", "probability": 0.3}]}),
        ["a", "b"],
        [0.7, 0.3],
        exact_repairs=True,
    ),
    Case(
        "cot_reasoning_with_brackets",
        json.dumps({"reasoning": "weigh [1] and {2}", "responses": [{"text": t, "probability": p} for t, p in AB]}),
        ["a", "b"],
        [0.7, 0.3],
        exact_repairs=True,
    ),
    # --- where the JSON is -----------------------------------------------------------------------
    Case("code_fence_json", f"```json\n{wrapped(*AB)}\n```", ["a", "b"], [0.7, 0.3], ["code_fence"]),
    Case("code_fence_bare", f"```\n{items(*AB)}\n```", ["a", "b"], [0.7, 0.3], ["code_fence"]),
    Case(
        "code_fence_in_prose",
        f"Here you go:\n```JSON\n{wrapped(*AB)}\n```\nHope this helps!",
        ["a", "b"],
        [0.7, 0.3],
        ["code_fence"],
    ),
    Case("prose_before", f"Sure! Here are my answers: {wrapped(*AB)}", ["a", "b"], [0.7, 0.3], ["prose_around_json"]),
    Case(
        "prose_after", f"{wrapped(*AB)}\nLet me know if you need more.", ["a", "b"], [0.7, 0.3], ["prose_around_json"]
    ),
    Case(
        "prose_after_with_brackets",
        f"Options: {items(*AB)} (see note [1] and {{2}})",
        ["a", "b"],
        [0.7, 0.3],
        ["prose_around_json"],
    ),
    Case(
        "prose_before_with_braces",
        f"Here are {{some}} options: {items(*AB)}",
        ["a", "b"],
        [0.7, 0.3],
        ["prose_around_json", "json_syntax"],  # the braces in the prose defeat the first parse
    ),
    # --- JSON syntax errors ----------------------------------------------------------------------
    Case(
        "trailing_comma",
        '{"responses": [{"text": "a", "probability": 0.7}, {"text": "b", "probability": 0.3},]}',
        ["a", "b"],
        [0.7, 0.3],
        ["json_syntax"],
    ),
    Case(
        "trailing_comma_in_object",
        '[{"text": "a", "probability": 0.7,}, {"text": "b", "probability": 0.3}]',
        ["a", "b"],
        [0.7, 0.3],
        ["json_syntax"],
    ),
    Case(
        "single_quotes",
        "{'responses': [{'text': 'a', 'probability': 0.7}, {'text': 'b', 'probability': 0.3}]}",
        ["a", "b"],
        [0.7, 0.3],
        ["json_syntax"],
    ),
    Case(
        "truncated",
        '{"responses": [{"text": "a", "probability": 0.7}, {"text": "b", "probability": 0.3}',
        ["a", "b"],
        [0.7, 0.3],
        ["json_syntax"],
    ),
    # --- the VS paper's tag format ---------------------------------------------------------------
    Case("tags", tagged(("a", "0.7"), ("b", "0.3")), ["a", "b"], [0.7, 0.3], ["tag_format"]),
    Case(
        "tags_percent_in_prose",
        f"My answer:\n{tagged(('a', '70%'), ('b', '30%'))}\nDone.",
        ["a", "b"],
        [0.7, 0.3],
        ["tag_format", "percent_probability"],
    ),
    Case(
        "tags_missing_probability",
        tagged(("a", None), ("b", "0.5")),
        ["a", "b"],
        [0.5, 0.5],
        ["tag_format", "probability_missing"],
    ),
    Case(
        "tags_multiline_text",
        "<response>\n  <text>line one\nline two</text>\n  <probability>1.0</probability>\n</response>",
        ["line one\nline two"],
        [1.0],
        ["tag_format"],
    ),
    # --- probabilities ---------------------------------------------------------------------------
    Case("percent_strings", items(("a", "70%"), ("b", "30%")), ["a", "b"], [0.7, 0.3], ["percent_probability"]),
    Case(
        "percent_mixed_with_fraction",
        items(("a", "70%"), ("b", 0.3)),
        ["a", "b"],
        [0.7, 0.3],
        ["percent_probability"],
    ),
    Case(
        "percentages_without_sign",
        items(("a", 70), ("b", 20), ("c", 10)),
        ["a", "b", "c"],
        [0.7, 0.2, 0.1],
        ["probability_above_one"],
    ),
    Case(
        "above_one_ratio_kept",
        items(("a", 1.5), ("b", 0.5)),
        ["a", "b"],
        [0.75, 0.25],
        ["probability_above_one", "renormalised"],
    ),
    Case(
        "above_hundred",
        items(("a", 300), ("b", 100)),
        ["a", "b"],
        [0.75, 0.25],
        ["probability_above_one", "renormalised"],
    ),
    Case(
        "negative",
        items(("a", -0.2), ("b", 0.5)),
        ["a", "b"],
        [0.0, 1.0],
        ["negative_probability", "renormalised"],
    ),
    Case(
        "negative_string",
        items(("a", "-0.5"), ("b", 0.25), ("c", 0.25)),
        ["a", "b", "c"],
        [0.0, 0.5, 0.5],
        ["negative_probability", "renormalised"],
    ),
    Case(
        "one_missing_gets_mean",
        json.dumps([{"text": "a"}, {"text": "b", "probability": 0.2}, {"text": "c", "probability": 0.6}]),
        ["a", "b", "c"],
        [0.4 / 1.2, 0.2 / 1.2, 0.6 / 1.2],
        ["probability_missing", "renormalised"],
    ),
    Case(
        "all_missing",
        json.dumps([{"text": "a"}, {"text": "b"}]),
        ["a", "b"],
        [0.5, 0.5],
        ["probability_missing", "renormalised"],
    ),
    Case(
        "all_missing_sequence_is_normal",
        json.dumps({"responses": [{"text": "a"}, {"text": "b"}, {"text": "c"}, {"text": "d"}]}),
        ["a", "b", "c", "d"],
        [0.25] * 4,
        exact_repairs=True,
        expect_probabilities=False,
    ),
    Case("all_zero", items(("a", 0), ("b", 0), ("c", 0)), ["a", "b", "c"], [1 / 3] * 3, ["all_zero_uniform"]),
    Case("sum_below_one", items(("a", 0.6), ("b", 0.2)), ["a", "b"], [0.75, 0.25], ["renormalised"]),
    Case("sum_above_one", items(("a", 0.9), ("b", 0.9)), ["a", "b"], [0.5, 0.5], ["renormalised"]),
    Case(
        "unreadable_word",
        items(("a", "high"), ("b", 0.5)),
        ["a", "b"],
        [0.5, 0.5],
        ["probability_unreadable", "probability_missing"],
    ),
    Case(
        "nan",
        '[{"text": "a", "probability": NaN}, {"text": "b", "probability": 0.5}]',
        ["a", "b"],
        [0.5, 0.5],
        ["probability_unreadable", "probability_missing"],
    ),
    Case(
        "boolean_probability",
        items(("a", True), ("b", 0.5)),
        ["a", "b"],
        [0.5, 0.5],
        ["probability_unreadable", "probability_missing"],  # a boolean is not a number
    ),
    # --- candidates ------------------------------------------------------------------------------
    Case(
        "duplicates_merged",
        items(("Give today.", 0.4), ("give  TODAY.", 0.2), ("Maybe later.", 0.4)),
        ["Give today.", "Maybe later."],
        [0.6, 0.4],
        ["duplicate_merged"],
        n_items=3,
    ),
    Case(
        "triplicate_merged",
        items(("x", 0.2), ("x", 0.2), ("x", 0.2), ("y", 0.4)),
        ["x", "y"],
        [0.6, 0.4],
        ["duplicate_merged", "duplicate_merged"],
        n_items=4,
    ),
    Case(
        "bare_list_of_strings",
        '["Please donate.", "Every cent helps."]',
        ["Please donate.", "Every cent helps."],
        [0.5, 0.5],
        ["probability_missing", "renormalised"],
    ),
    Case(
        "bare_list_of_strings_sequence",
        '["Please donate.", "Every cent helps."]',
        ["Please donate.", "Every cent helps."],
        [0.5, 0.5],
        exact_repairs=True,
        expect_probabilities=False,
    ),
    Case(
        "single_object_direct",
        '{"text": "I would give a dollar."}',
        ["I would give a dollar."],
        [1.0],
        exact_repairs=True,
        expect_probabilities=False,
    ),
    Case(
        "single_object_with_probability",
        '{"text": "only one", "probability": 0.4}',
        ["only one"],
        [1.0],
        ["renormalised"],
    ),
    Case(
        "empty_text_dropped",
        items(("", 0.5), ("   ", 0.1), ("b", 0.4)),
        ["b"],
        [1.0],
        ["empty_text_dropped", "empty_text_dropped", "renormalised"],
        n_items=3,
    ),
    Case(
        "null_and_textless_items",
        '[null, {"probability": 0.5}, {"text": "kept", "probability": 0.5}]',
        ["kept"],
        [1.0],
        ["empty_text_dropped", "empty_text_dropped", "renormalised"],
        n_items=3,
    ),
    Case(
        "text_whitespace_stripped",
        items(("  padded  ", 0.5), ("b", 0.5)),
        ["padded", "b"],
        [0.5, 0.5],
        exact_repairs=True,
    ),
    # --- labels ----------------------------------------------------------------------------------
    Case(
        "label_exact",
        json.dumps([{"strategy": "emotion-appeal", "text": "a", "probability": 1.0}]),
        ["a"],
        [1.0],
        exact_repairs=True,
        fields=(STRATEGY,),
        values={"strategy": ["emotion-appeal"]},
    ),
    Case(
        "label_wrong_case_and_spacing",
        json.dumps(
            [
                {"strategy": "Logical Appeal", "text": "a", "probability": 0.5},
                {"strategy": "EMOTION_APPEAL", "text": "b", "probability": 0.5},
            ]
        ),
        ["a", "b"],
        [0.5, 0.5],
        ["strategy_case", "strategy_case"],
        fields=(STRATEGY,),
        values={"strategy": ["logical-appeal", "emotion-appeal"]},
    ),
    Case(
        "label_misspelt",
        json.dumps([{"strategy": "credibilty-apeal", "text": "a", "probability": 1.0}]),
        ["a"],
        [1.0],
        ["strategy_mapped"],
        fields=(STRATEGY,),
        values={"strategy": ["credibility-appeal"]},
    ),
    Case(
        "label_invalid_and_missing",
        json.dumps(
            [
                {"strategy": "bribery", "text": "a", "probability": 0.5},
                {"text": "b", "probability": 0.5},
            ]
        ),
        ["a", "b"],
        [0.5, 0.5],
        ["strategy_invalid", "strategy_missing"],
        fields=(STRATEGY,),
        values={"strategy": [None, None]},
    ),
    Case(
        "label_in_tags_is_missing",
        tagged(("a", "1.0")),
        ["a"],
        [1.0],
        ["tag_format", "strategy_missing"],
        fields=(STRATEGY,),
        values={"strategy": [None]},
    ),
    # --- amounts ---------------------------------------------------------------------------------
    Case(
        "amount_grid_values",
        json.dumps(
            [
                {"amount": "0", "text": "a", "probability": 0.5},
                {"amount": "1.50", "text": "b", "probability": 0.5},
            ]
        ),
        ["a", "b"],
        [0.5, 0.5],
        exact_repairs=True,
        fields=(AMOUNT,),
        values={"amount": [0.0, 1.5]},
    ),
    Case(
        "amount_dollar_sign_and_comma",
        json.dumps(
            [
                {"amount": "$1.50", "text": "a", "probability": 0.5},
                {"amount": "1,5", "text": "b", "probability": 0.5},
            ]
        ),
        ["a", "b"],
        [0.5, 0.5],
        ["amount_from_text", "amount_from_text"],
        fields=(AMOUNT,),
        values={"amount": [1.5, 1.5]},
    ),
    Case(
        "amount_number",
        json.dumps([{"amount": 0.25, "text": "a", "probability": 1.0}]),
        ["a"],
        [1.0],
        exact_repairs=True,
        fields=(AMOUNT,),
        values={"amount": [0.25]},
    ),
    Case(
        "amount_out_of_range_clipped",
        json.dumps(
            [
                {"amount": 5, "text": "a", "probability": 0.4},
                {"amount": "-1", "text": "b", "probability": 0.3},
                {"amount": "$100", "text": "c", "probability": 0.3},
            ]
        ),
        ["a", "b", "c"],
        [0.4, 0.3, 0.3],
        ["amount_clipped", "amount_clipped", "amount_clipped", "amount_from_text", "amount_from_text"],
        fields=(AMOUNT,),
        values={"amount": [2.0, 0.0, 2.0]},
    ),
    Case(
        "amount_none_nullable",
        json.dumps(
            [
                {"amount": "none", "text": "a", "probability": 0.5},
                {"amount": "None", "text": "b", "probability": 0.25},
                {"amount": None, "text": "c", "probability": 0.25},
            ]
        ),
        ["a", "b", "c"],
        [0.5, 0.25, 0.25],
        exact_repairs=True,
        fields=(AMOUNT,),
        values={"amount": [None, None, None]},
    ),
    Case(
        "amount_none_required",
        json.dumps([{"amount": "none", "text": "a", "probability": 1.0}]),
        ["a"],
        [1.0],
        ["amount_missing"],
        fields=(AMOUNT_REQUIRED,),
        values={"amount": [None]},
    ),
    Case(
        "amount_invalid",
        json.dumps(
            [
                {"amount": "a lot", "text": "a", "probability": 0.5},
                {"amount": True, "text": "b", "probability": 0.5},
            ]
        ),
        ["a", "b"],
        [0.5, 0.5],
        ["amount_invalid", "amount_invalid"],
        fields=(AMOUNT,),
        values={"amount": [None, None]},
    ),
    Case(
        "label_and_amount_together",
        json.dumps(
            {
                "responses": [
                    {"strategy": "Emotion Appeal", "amount": "$0.50", "text": "a", "probability": "60%"},
                    {"strategy": "logical-appeal", "amount": "2.00", "text": "b", "probability": "40%"},
                ]
            }
        ),
        ["a", "b"],
        [0.6, 0.4],
        ["strategy_case", "amount_from_text", "percent_probability"],
        fields=(STRATEGY, AMOUNT),
        values={"strategy": ["emotion-appeal", "logical-appeal"], "amount": [0.5, 2.0]},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_parse_malformed_answers(case: Case) -> None:
    dist = parse_distribution(case.raw, case.fields, expect_probabilities=case.expect_probabilities)

    assert [c.text for c in dist.candidates] == case.texts
    assert dist.probabilities == pytest.approx(case.probs, abs=1e-9)
    assert dist.probabilities.sum() == pytest.approx(1.0)
    assert dist.raw_text == case.raw
    got = Counter(dist.repairs)
    assert got == Counter(case.repairs), f"repairs: expected {case.repairs}, got {list(dist.repairs)}"
    # Nothing dropped silently: every input item is a candidate or a counted drop.
    n_items = case.n_items if case.n_items is not None else len(case.texts)
    assert dist.k + sum(got[code] for code in DROPPING_REPAIRS) == n_items
    for name, expected in case.values.items():
        assert [c.get(name) for c in dist.candidates] == expected
        assert all(v is None or isinstance(v, str | float) for v in (c.get(name) for c in dist.candidates))
    # Every candidate carries every requested field, even when its value could not be read.
    for c in dist.candidates:
        assert set(c.fields) == {f.name for f in case.fields}


UNUSABLE = [
    ("empty", ""),
    ("whitespace", "   \n\t "),
    ("prose_only", "I am sorry, I cannot help with that."),
    ("empty_responses", '{"responses": []}'),
    ("empty_list", "[]"),
    ("empty_object", "{}"),
    ("json_null", "null"),
    ("object_without_list_or_text", '{"foo": "bar"}'),
    ("only_empty_texts", '[{"text": ""}, {"text": "  ", "probability": 1}]'),
    ("empty_tag", "<response></response>"),
    ("numeric_text", '{"text": 5}'),
]


@pytest.mark.parametrize("raw", [r for _, r in UNUSABLE], ids=[i for i, _ in UNUSABLE])
def test_unusable_answer_raises_with_raw_text(raw: str) -> None:
    with pytest.raises(VSParseError) as info:
        parse_distribution(raw)
    assert info.value.raw_text == raw
    assert info.value.reason
    assert isinstance(info.value, ValueError)


def test_parse_error_message_is_bounded() -> None:
    raw = "no json here " * 100
    with pytest.raises(VSParseError) as info:
        parse_distribution(raw)
    assert len(str(info.value)) < 400
    assert info.value.raw_text == raw  # the full answer is kept for the record


# --- VerbalizedDistribution ----------------------------------------------------------------------
def test_normalised_rescales_and_records_it() -> None:
    d = VerbalizedDistribution.normalised([Candidate("a", 2.0), Candidate("b", 6.0)])
    assert d.probabilities == pytest.approx([0.25, 0.75])
    assert d.repairs == ("renormalised",)
    already = VerbalizedDistribution.normalised([Candidate("a", 0.25), Candidate("b", 0.75)])
    assert already.repairs == ()


def test_normalised_all_zero_is_uniform() -> None:
    d = VerbalizedDistribution.normalised([Candidate(t, 0.0) for t in "abcd"])
    assert d.probabilities == pytest.approx([0.25] * 4)
    assert d.repairs == ("all_zero_uniform",)


@pytest.mark.parametrize("weights", [[-0.1, 1.1], [float("nan"), 1.0], [float("inf"), 1.0], []])
def test_normalised_rejects_bad_weights(weights: list[float]) -> None:
    with pytest.raises(ValueError):
        VerbalizedDistribution.normalised([Candidate(str(i), w) for i, w in enumerate(weights)])


def test_constructor_requires_normalised_probabilities() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        VerbalizedDistribution((Candidate("a", 0.5), Candidate("b", 0.2)))
    with pytest.raises(ValueError):
        VerbalizedDistribution(())


def test_uniform_from_texts_and_candidates() -> None:
    d = VerbalizedDistribution.uniform(["x", "y", "z"])
    assert d.probabilities == pytest.approx([1 / 3] * 3)
    assert d.repairs == ()
    kept = VerbalizedDistribution.uniform([Candidate("x", 0.9, {"strategy": "s"}), Candidate("y", 0.1)])
    assert kept.probabilities == pytest.approx([0.5, 0.5])
    assert kept.candidates[0].get("strategy") == "s"


def test_tail_keeps_low_probability_candidates() -> None:
    d = VerbalizedDistribution.normalised(
        [Candidate("a", 0.5), Candidate("b", 0.3), Candidate("c", 0.15), Candidate("d", 0.05)], ["r"]
    )
    t = d.tail(0.2)
    assert [c.text for c in t.candidates] == ["c", "d"]
    assert t.probabilities == pytest.approx([0.75, 0.25])
    assert t.repairs[:2] == ("r", "tail_filtered")  # earlier repairs kept, the filtering noted
    assert d.tail(0.9) is d  # everything below the threshold: unchanged
    empty = d.tail(0.01)  # nothing below: unchanged, but noted
    assert [c.text for c in empty.candidates] == ["a", "b", "c", "d"]
    assert empty.repairs == ("r", "tail_empty")


def test_to_dict_from_dict_round_trip() -> None:
    d = parse_distribution(
        json.dumps([{"strategy": "emotion-appeal", "amount": "1.00", "text": "a", "probability": "60%"},
                    {"strategy": "x", "amount": "none", "text": "b", "probability": 0.4}]),
        (STRATEGY, AMOUNT),
    )  # fmt: skip
    data = d.to_dict()
    again = VerbalizedDistribution.from_dict(json.loads(json.dumps(data)))
    assert again == d
    assert again.to_dict() == data


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_entropy(k: int) -> None:
    assert VerbalizedDistribution.uniform([str(i) for i in range(k)]).entropy() == pytest.approx(math.log(k))
    skewed = VerbalizedDistribution.normalised([Candidate("a", 0.9), Candidate("b", 0.1)])
    assert skewed.entropy() == pytest.approx(-(0.9 * math.log(0.9) + 0.1 * math.log(0.1)))
    assert skewed.entropy() < math.log(2)


def test_sample_rejects_unknown_selection() -> None:
    d = VerbalizedDistribution.uniform(["a", "b"])
    with pytest.raises(ValueError, match="selection"):
        d.sample(np.random.default_rng(0), "greedy")  # type: ignore[arg-type]


def test_sample_never_picks_zero_probability() -> None:
    d = VerbalizedDistribution((Candidate("a", 0.0), Candidate("b", 1.0), Candidate("c", 0.0)))
    rng = np.random.default_rng(3)
    assert {d.sample(rng) for _ in range(500)} == {1}


# --- MethodConfig --------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["multi_turn", "vs_multi"])
def test_model_decided_k_rejected_for_multi_call_methods(method: str) -> None:
    with pytest.raises(ValidationError, match="fixed k"):
        MethodConfig(method=method, k=None)


@pytest.mark.parametrize("method", ["vs_standard", "vs_cot", "sequence"])
def test_model_decided_k_allowed(method: str) -> None:
    assert MethodConfig(method=method, k=None).k is None


@pytest.mark.parametrize("method", ["direct", "sequence", "multi_turn"])
def test_tail_threshold_rejected_for_baselines(method: str) -> None:
    with pytest.raises(ValidationError, match="tail_threshold"):
        MethodConfig(method=method, tail_threshold=0.1)


@pytest.mark.parametrize("method", ["vs_standard", "vs_cot", "vs_multi"])
def test_tail_threshold_allowed_for_vs(method: str) -> None:
    assert MethodConfig(method=method, tail_threshold=0.1).tail_threshold == 0.1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"k": 0},
        {"k": 21},
        {"tail_threshold": 0},
        {"tail_threshold": 1.5},
        {"temperature": -0.1},
        {"temperature": 2.5},
        {"calls": 0},
        {"method": "greedy"},
        {"selection": "argmax"},
        {"max_tokens": 4},
        {"unknown_knob": 1},
    ],
)
def test_method_config_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MethodConfig(**kwargs)


def test_method_config_defaults_and_label() -> None:
    assert MethodConfig(method="vs_standard").effective_selection == "probability"
    assert MethodConfig(method="sequence").effective_selection == "uniform"
    assert MethodConfig(method="direct").effective_selection == "uniform"
    assert MethodConfig(method="vs_cot", selection="uniform").effective_selection == "uniform"
    assert MethodConfig(method="vs_standard").label() == "vs_standard"
    assert MethodConfig(method="vs_standard", k=None).label() == "vs_standard[k=model]"
    label = MethodConfig(method="vs_standard", k=3, tail_threshold=0.1, selection="uniform").label()
    assert label == "vs_standard[k=3,p<0.1,uniform]"
    assert MethodConfig(method="direct").label() == "direct"
    with pytest.raises(ValidationError):
        MethodConfig().k = 3  # type: ignore[misc]  # frozen: a config is a value


# --- plan() --------------------------------------------------------------------------------------
QUERY = Query(
    system="You are a persuader for Save the Children.",
    context="The persuadee said: 'I am not sure charities use money well.'",
    fields=(STRATEGY, AMOUNT),
    text_description="reply",
)


@pytest.mark.parametrize(
    ("config", "n_calls", "per_call"),
    [
        (MethodConfig(method="direct"), 1, [1]),
        (MethodConfig(method="sequence", k=5), 1, [5]),
        (MethodConfig(method="vs_standard", k=5), 1, [5]),
        (MethodConfig(method="vs_cot", k=4), 1, [4]),
        (MethodConfig(method="multi_turn", k=3), 3, [1, 1, 1]),
        (MethodConfig(method="vs_multi", k=5, calls=2), 2, [3, 2]),
        (MethodConfig(method="vs_multi", k=6, calls=3), 3, [2, 2, 2]),
        (MethodConfig(method="vs_multi", k=2, calls=4), 2, [1, 1]),  # never more calls than candidates
    ],
    ids=lambda v: v.label() if isinstance(v, MethodConfig) else None,
)
def test_plan_calls_per_method(config: MethodConfig, n_calls: int, per_call: list[int]) -> None:
    p = plan(config, QUERY)
    assert len(p.calls) == n_calls == config.n_calls
    assert [c.n_candidates for c in p.calls] == per_call
    assert p.system == QUERY.system
    for call in p.calls:
        jsonschema.Draft202012Validator.check_schema(call.schema)
        assert call.expects_probabilities == config.method.verbalizes_probabilities
        assert call.expects_list == (config.method not in (Method.DIRECT, Method.MULTI_TURN))
        item = call.schema["properties"]["responses"]["items"] if call.expects_list else call.schema
        # Field enums reach the schema, so a grammar can enforce them.
        assert item["properties"]["strategy"]["enum"] == list(STRATEGY.choices)
        assert item["properties"]["amount"]["enum"] == [*AMOUNT.choices()]
        assert "none" in item["properties"]["amount"]["enum"]
        assert ("probability" in item["properties"]) == call.expects_probabilities
        assert set(item["required"]) >= {"strategy", "amount", "text"}
        if call.expects_list:
            array = call.schema["properties"]["responses"]
            assert array["minItems"] == array["maxItems"] == call.n_candidates
    # Later calls of one conversation ask for something different from what was given.
    for call in p.calls[1:]:
        assert "different" in call.instruction
    assert first_user_message(QUERY, p.calls[0]).startswith(QUERY.context)


def test_vs_cot_asks_for_reasoning_first() -> None:
    call = plan(MethodConfig(method="vs_cot"), QUERY).calls[0]
    assert list(call.schema["properties"]) == ["reasoning", "responses"]
    assert call.schema["required"] == ["reasoning", "responses"]
    assert "reasoning" in call.instruction
    standard = plan(MethodConfig(method="vs_standard"), QUERY).calls[0]
    assert "reasoning" not in standard.schema["properties"]


def test_model_decided_k_schema() -> None:
    call = plan(MethodConfig(method="vs_standard", k=None), QUERY).calls[0]
    array = call.schema["properties"]["responses"]
    assert array["minItems"] == 1
    assert array["maxItems"] == MODEL_DECIDED_MAX_K
    assert call.n_candidates is None
    assert "Choose how many yourself" in call.instruction


def _example_of(call) -> dict:
    return json.loads(call.instruction.split("like ", 1)[1].rsplit(" and nothing else", 1)[0])


def test_tail_threshold_in_instruction_and_example() -> None:
    # Was: the example's probability is a number below the threshold.  Issue 10 (anchoring): the example
    # carries no value the model could copy, so the threshold appears as a placeholder instead.
    call = plan(MethodConfig(method="vs_standard", tail_threshold=0.1), QUERY).calls[0]
    assert "below 0.1" in call.instruction
    assert _example_of(call)["responses"][0]["probability"] == "<probability below 0.1>"


@pytest.mark.parametrize("method", [m.value for m in Method])
def test_instruction_example_has_the_schema_shape_and_no_choosable_value(method: str) -> None:
    """The example answer has the keys the schema asks for, but every value is a placeholder.

    (It used to be a valid answer — the first label and the middle amount — which anchored the model:
    issue 10, defect 2.)"""
    config = MethodConfig(method=method, k=3)
    for call in plan(config, QUERY).calls:
        example = _example_of(call)
        item_schema = call.schema["properties"]["responses"]["items"] if call.expects_list else call.schema
        item = example["responses"][0] if call.expects_list else example
        assert set(item) == set(item_schema["required"])
        for name, value in item.items():
            assert isinstance(value, str) and value.startswith("<") and value.endswith(">"), (name, value)
            choices = item_schema["properties"][name].get("enum", [])
            assert value not in choices
        assert "<one of: logical-appeal | emotion-appeal | credibility-appeal>" in json.dumps(example)


def test_amount_placeholder_lists_every_choice_and_continuous_names_the_range() -> None:
    assert AMOUNT.example() == "<one of: 0 | 0.10 | 0.25 | 0.50 | 1.00 | 1.50 | 2.00 | none>"
    continuous = AmountField("amount", (0.0, 2.0), nullable=True, continuous=True)
    assert continuous.example() == "<an amount from 0 to 2.00, or null if you state none>"
    assert continuous.json_schema()["anyOf"][0] == {"type": "number", "minimum": 0.0, "maximum": 2.0}
    assert continuous.coerce(1.37) == (1.37, [])
    assert continuous.coerce(3.5) == (2.0, ["amount_clipped"])
    assert continuous.coerce(-1) == (0.0, ["amount_clipped"])
    assert continuous.coerce(None) == (None, [])


@pytest.mark.parametrize(
    ("description", "k", "method", "expected"),
    [
        ("reply", 5, "vs_standard", "Generate 5 different replies."),
        ("message", 5, "sequence", "Generate 5 different messages."),
        ("reply", None, "vs_standard", "Generate several different replies."),
        ("reply", 1, "vs_standard", "Generate one reply."),
        ("reply", 1, "direct", "Generate one reply."),
    ],
)
def test_instruction_grammar(description: str, k: int | None, method: str, expected: str) -> None:
    query = Query("sys", "ctx", QUERY.fields, text_description=description)
    call = plan(MethodConfig(method=method, k=k), query).calls[0]
    assert call.instruction.startswith(expected)
    assert "replys" not in call.instruction and "reasons" not in call.instruction


def test_decision_prompt_asks_for_one_reason_in_grammatical_english() -> None:
    query = Query("sys", "ctx", (AMOUNT_REQUIRED,), text_description="decision", text_hint="a one-sentence reason")
    call = plan(MethodConfig(method="vs_standard", k=5), query).calls[0]
    assert call.instruction.startswith("Generate 5 different decisions. In 'text', give a one-sentence reason.")
    assert _example_of(call)["responses"][0]["text"] == "<a one-sentence reason>"


# --- combine_answers -----------------------------------------------------------------------------
def answer(*pairs: tuple[str, float], repairs: tuple[str, ...] = ()) -> VerbalizedDistribution:
    return VerbalizedDistribution.normalised([Candidate(t, p) for t, p in pairs], repairs, raw_text=str(pairs))


def test_combine_direct() -> None:
    d = combine_answers(MethodConfig(method="direct"), [answer(("only", 1.0))])
    assert [c.text for c in d.candidates] == ["only"]
    assert d.probabilities == pytest.approx([1.0])
    extra = combine_answers(MethodConfig(method="direct"), [answer(("a", 0.5), ("b", 0.5))])
    assert [c.text for c in extra.candidates] == ["a"]
    assert "extra_candidates_ignored" in extra.repairs


def test_combine_multi_turn_uniform_and_deduped() -> None:
    config = MethodConfig(method="multi_turn", k=3)
    d = combine_answers(config, [answer(("a", 1.0)), answer(("b", 1.0), repairs=("code_fence",)), answer(("c", 1.0))])
    assert [c.text for c in d.candidates] == ["a", "b", "c"]
    assert d.probabilities == pytest.approx([1 / 3] * 3)
    assert "code_fence" in d.repairs
    dup = combine_answers(config, [answer(("Same", 1.0)), answer(("same ", 1.0)), answer(("c", 1.0))])
    assert [c.text for c in dup.candidates] == ["Same", "c"]
    assert dup.probabilities == pytest.approx([0.5, 0.5])  # uniform over distinct replies
    assert dup.repairs.count("duplicate_merged") == 1


def test_combine_sequence_is_uniform() -> None:
    config = MethodConfig(method="sequence", k=3)
    d = combine_answers(config, [answer(("a", 0.8), ("b", 0.1), ("c", 0.1))])
    assert d.probabilities == pytest.approx([1 / 3] * 3)
    assert "k_mismatch" not in d.repairs
    short = combine_answers(config, [answer(("a", 0.5), ("b", 0.5))])
    assert "k_mismatch" in short.repairs


@pytest.mark.parametrize("method", ["vs_standard", "vs_cot"])
def test_combine_vs_keeps_verbalized_probabilities(method: str) -> None:
    config = MethodConfig(method=method, k=3)
    d = combine_answers(config, [answer(("a", 0.6), ("b", 0.3), ("c", 0.1), repairs=("percent_probability",))])
    assert d.probabilities == pytest.approx([0.6, 0.3, 0.1])
    assert d.repairs == ("percent_probability",)
    assert combine_answers(MethodConfig(method=method, k=None), [answer(("a", 1.0))]).repairs == ()
    assert "k_mismatch" in combine_answers(config, [answer(("a", 1.0))]).repairs


def test_combine_vs_multi_gives_each_call_equal_weight() -> None:
    config = MethodConfig(method="vs_multi", k=4, calls=2)
    d = combine_answers(config, [answer(("a", 0.5), ("b", 0.5)), answer(("c", 0.9), ("d", 0.1))])
    assert [c.text for c in d.candidates] == ["a", "b", "c", "d"]
    assert d.probabilities == pytest.approx([0.25, 0.25, 0.45, 0.05])
    assert d.raw_text is not None and d.raw_text.count("---") == 1
    merged = combine_answers(config, [answer(("a", 0.5), ("b", 0.5)), answer(("A", 0.8), ("d", 0.2))])
    assert [c.text for c in merged.candidates] == ["a", "b", "d"]
    assert merged.probabilities == pytest.approx([0.65, 0.25, 0.1])
    assert "duplicate_merged" in merged.repairs and "k_mismatch" in merged.repairs


def test_combine_needs_answers() -> None:
    with pytest.raises(ValueError):
        combine_answers(MethodConfig(), [])


# --- issue 10: duplicates merge only when text AND every field agree --------------------------------
STANCE = LabelField("stance", ("refuse", "undecided", "agree"))


def test_same_text_different_fields_stay_distinct_outcomes() -> None:
    raw = json.dumps(
        {
            "responses": [
                {"stance": "undecided", "amount": "0", "text": "Let me think.", "probability": 0.2},
                {"stance": "undecided", "amount": "2.00", "text": "Let me think.", "probability": 0.8},
            ]
        }
    )
    dist = parse_distribution(raw, (STANCE, AMOUNT))
    assert [c.get("amount") for c in dist.candidates] == [0.0, 2.0]
    assert dist.probabilities == pytest.approx([0.2, 0.8])
    assert "duplicate_merged" not in dist.repairs


def test_same_text_same_fields_merge_with_summed_probability() -> None:
    raw = json.dumps(
        [
            {"stance": "agree", "amount": "1.00", "text": "OK, one dollar.", "probability": 0.3},
            {"stance": "refuse", "amount": "none", "text": "No.", "probability": 0.5},
            {"stance": "agree", "amount": "1.00", "text": "ok,  ONE dollar.", "probability": 0.2},
        ]
    )
    dist = parse_distribution(raw, (STANCE, AMOUNT))
    assert [(c.text, c.get("amount")) for c in dist.candidates] == [("OK, one dollar.", 1.0), ("No.", None)]
    assert dist.probabilities == pytest.approx([0.5, 0.5])
    assert dist.repairs.count("duplicate_merged") == 1


def test_combine_vs_multi_keeps_same_text_with_different_labels() -> None:
    config = MethodConfig(method="vs_multi", k=2, calls=2)
    first = VerbalizedDistribution.normalised([Candidate("Hi!", 1.0, {"strategy": "logical-appeal"})])
    second = VerbalizedDistribution.normalised([Candidate("hi!", 1.0, {"strategy": "emotion-appeal"})])
    d = combine_answers(config, [first, second])
    assert [c.get("strategy") for c in d.candidates] == ["logical-appeal", "emotion-appeal"]
    assert "duplicate_merged" not in d.repairs


@pytest.mark.parametrize(
    ("text", "unclosed"),
    [
        ('{"responses": [{"text": "I might giv', True),
        ('{"responses": [{"text": "a", "probability": 0.7}', True),
        ('Sure: {"text": "a {b} [c]", "probability": 1}', False),
        ('```json\n{"responses": [{"text": "a \\" }", "probability": 1}]}\n```', False),
        ("Don't worry [1], no JSON here", False),
        ("<response><text>a</text></response>", False),
        ("", False),
    ],
)
def test_is_unclosed_json(text: str, unclosed: bool) -> None:
    from simsocial.vs.parsing import is_unclosed_json

    assert is_unclosed_json(text) is unclosed
