"""Issue 11, defect 5: a candidate whose text is JSON syntax or empty is a failed candidate — counted as a
repair, never sampled — through the real parser."""

from __future__ import annotations

import json

import pytest

from simsocial.vs.debris import is_json_debris
from simsocial.vs.parsing import VSParseError, parse_distribution


@pytest.mark.parametrize("text", ["}, {", "... }, {", '"},', "[ ]", '"probability": 0.3', '{"text": "'])
def test_debris_is_recognised(text: str) -> None:
    assert is_json_debris(text)


@pytest.mark.parametrize(
    "text",
    [
        "Okay, I'll give $1.",
        "No.",
        "...",
        "Maybe: I need to think.",
        'She said "yes": a surprise.',
        "2.00",
        "{laughs} sure",
    ],
)
def test_speech_is_not_debris(text: str) -> None:
    assert not is_json_debris(text)


def test_debris_candidates_are_dropped_and_counted() -> None:
    answer = json.dumps(
        {"responses": [
            {"text": "I could give fifty cents.", "probability": 0.5},
            {"text": "... }, {", "probability": 0.3},
            {"text": "   ", "probability": 0.1},
            {"text": "Not today, sorry.", "probability": 0.1},
        ]}
    )  # fmt: skip
    dist = parse_distribution(answer)
    assert [c.text for c in dist.candidates] == ["I could give fifty cents.", "Not today, sorry."]
    assert dist.repairs.count("json_debris_dropped") == 1
    assert dist.repairs.count("empty_text_dropped") == 1


def test_an_answer_of_only_debris_is_a_parse_failure() -> None:
    with pytest.raises(VSParseError):
        parse_distribution(json.dumps({"responses": [{"text": "}, {", "probability": 1.0}]}))
