"""Tolerant parsing of a model's verbalized distribution, with every repair recorded.

Accepts JSON (bare, in code fences, inside prose, with syntax errors that ``json_repair`` can fix), a list
or an object holding a list of responses, a single ``{"text": ...}`` object (``direct``), and the VS
paper's tag format ``<response><text>…</text><probability>…</probability></response>``.  Probabilities
may be numbers, ``"0.7"``, ``"70%"``, negative, above 1, missing or all zero.  Duplicates (same text
and same fields) are merged.
Nothing is dropped silently: each fix adds a code to ``VerbalizedDistribution.repairs``, and when nothing
usable is left :class:`VSParseError` is raised with the raw text.

An answer is untrusted input (docs/security.md): whatever it holds, parsing ends in a distribution or a
:class:`VSParseError`, never another exception (an answer nested 3,000 deep, probabilities that overflow).
At most :data:`MAX_CANDIDATES` candidates are read (repair ``candidates_capped``) and a text is cut at
:data:`MAX_TEXT_CHARS` characters (repair ``text_capped``), so a hostile answer cannot fill the output
tables or the next prompt.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

import json_repair

from simsocial.vs.debris import is_json_debris
from simsocial.vs.distribution import Candidate, VerbalizedDistribution, merge_duplicates
from simsocial.vs.fields import CandidateField

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_TAG_RESPONSE = re.compile(r"<response>(.*?)</response>", re.DOTALL | re.IGNORECASE)
_TAG_TEXT = re.compile(r"<text>(.*?)</text>", re.DOTALL | re.IGNORECASE)
_TAG_PROB = re.compile(r"<probability>(.*?)</probability>", re.DOTALL | re.IGNORECASE)
_TEXT_KEYS = ("text", "response", "utterance", "reply", "content", "message", "answer")
_PROB_KEYS = ("probability", "prob", "p", "confidence", "weight", "likelihood")
_DECODER = json.JSONDecoder()
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?|-?\.\d+")
_LIST_KEYS = ("responses", "candidates", "options", "replies", "answers", "items")
_MIXED_SUM_TOLERANCE = 0.01  # percentages and fractions read apart must sum to 1 within this
MALFORMED = "malformed_answer"  # the reason of a parse that failed on something other than a missing answer
MAX_CANDIDATES = 40  # twice the largest k a method allows (vs/methods.py: k <= 20)
MAX_TEXT_CHARS = 2000  # the largest max_chars a scenario may set (sim/scenario.py)


def is_unclosed_json(text: str | None) -> bool:
    """True when the answer opens a JSON object or list that it never closes: it was cut off.

    ``json_repair`` would happily close ``{"responses": [{"text": "I might giv`` into one candidate; the
    caller must treat such an answer as truncated instead (re-ask with a larger budget), never as text.
    Brackets and quotes are tracked only inside JSON (depth > 0), so prose around it does not count.
    """
    if not text:
        return False
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        return False
    # Fast path, same answer as the scan below: a complete JSON value from the first bracket with no bracket
    # after it leaves depth 0 and no open string.
    try:
        end = _DECODER.raw_decode(text, start)[1]
    except (json.JSONDecodeError, RecursionError):  # nested too deep for the decoder: the scan below copes
        pass
    else:
        if "{" not in text[end:] and "[" not in text[end:]:
            return False
    depth, in_string, escaped, seen = 0, False, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char in "{[":
            depth += 1
            seen = True
        elif char in "}]" and depth:
            depth -= 1
        elif char == '"' and depth:
            in_string = True
    return seen and (depth > 0 or in_string)


class VSParseError(ValueError):
    """Nothing usable could be read from the model's answer; ``raw_text`` holds it unchanged."""

    def __init__(self, reason: str, raw_text: str) -> None:
        super().__init__(f"{reason}; raw answer: {raw_text[:200]!r}")
        self.reason = reason
        self.raw_text = raw_text


def parse_distribution(
    text: str,
    fields: Sequence[CandidateField] = (),
    expect_probabilities: bool = True,
) -> VerbalizedDistribution:
    """Read a verbalized distribution from a model answer, repairing what can be repaired.

    ``fields`` are the extra typed fields each candidate should carry; each is coerced and its repairs
    recorded.  With ``expect_probabilities=False`` (``direct``/``sequence``) missing probabilities are
    normal and become uniform without counting as a repair.
    """
    if text is None or not str(text).strip():
        raise VSParseError("empty answer", text or "")
    try:
        return _parse(text, fields, expect_probabilities)
    except VSParseError:
        raise
    except (RecursionError, ValueError, ArithmeticError, TypeError):
        # A hostile or broken answer (nested thousands deep, probabilities that overflow when merged) is a
        # failed parse of this one choice, counted like any other, never a crash of the run.
        raise VSParseError(MALFORMED, text) from None


def _parse(text: str, fields: Sequence[CandidateField], expect_probabilities: bool) -> VerbalizedDistribution:
    repairs: list[str] = []
    items = _items_from_json(text, repairs)
    if items is None:
        items = _items_from_tags(text)
        if items is None:
            raise VSParseError("no JSON or <response> tags found", text)
        repairs.append("tag_format")
    return _distribution_from_items(items, text, fields, expect_probabilities, repairs)


# --- locating the answer ---------------------------------------------------------------------------
def _items_from_json(text: str, repairs: list[str]) -> list[Any] | None:
    body = text.strip()
    fenced = _FENCE.search(body)
    if fenced:
        body = fenced.group(1).strip()
        repairs.append("code_fence")
    start = min((i for i in (body.find("{"), body.find("[")) if i >= 0), default=-1)
    if start < 0:
        return None
    # A complete JSON value at the start wins, so brackets in the prose after it ("see [1]") are not
    # swallowed into the answer; otherwise take first-open..last-close and let json_repair fix it.
    try:
        data, end = _DECODER.raw_decode(body, start)
    except json.JSONDecodeError:
        data, end = None, -1
    items = _responses_list(data)
    if items and any(isinstance(item, dict | str) for item in items):
        if start > 0 or body[end:].strip():
            repairs.append("prose_around_json")
        return items
    end = max(body.rfind("}"), body.rfind("]"))
    snippet = body[start : end + 1] if end > start else body[start:]
    if start > 0 or end + 1 < len(body):
        repairs.append("prose_around_json")
    try:
        data = json.loads(snippet)
    except json.JSONDecodeError:
        data = json_repair.loads(snippet)
        if data in ("", None, [], {}):
            return None
        repairs.append("json_syntax")
    return _responses_list(data)


def _responses_list(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in _LIST_KEYS:
            if isinstance(data.get(key), list):
                return data[key]
        if any(k in data for k in _TEXT_KEYS):
            return [data]
        lists = [v for v in data.values() if isinstance(v, list)]
        if lists:
            return lists[0]
    return None


def _items_from_tags(text: str) -> list[dict[str, Any]] | None:
    blocks = _TAG_RESPONSE.findall(text)
    items = []
    for block in blocks:
        body = _TAG_TEXT.search(block)
        prob = _TAG_PROB.search(block)
        items.append(
            {
                "text": (body.group(1) if body else block).strip(),
                "probability": prob.group(1) if prob else None,
            }
        )
    return items or None


# --- building the distribution -------------------------------------------------------------------
def _distribution_from_items(
    items: list[Any],
    raw: str,
    fields: Sequence[CandidateField],
    expect_probabilities: bool,
    repairs: list[str],
) -> VerbalizedDistribution:
    texts: list[str] = []
    probs: list[float | None] = []
    extras: list[dict[str, Any]] = []
    if len(items) > MAX_CANDIDATES:
        items = items[:MAX_CANDIDATES]
        repairs.append("candidates_capped")
    for item in items:
        text, prob, extra = _read_item(item)
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
            repairs.append("text_capped")
        if not text or is_json_debris(text):  # a failed candidate: counted, never spoken
            repairs.append("empty_text_dropped" if not text else "json_debris_dropped")
            continue
        texts.append(text)
        probs.append(prob)
        extras.append(extra)
    if not texts:
        raise VSParseError("no candidate with text", raw)

    weights = _repair_probabilities(probs, expect_probabilities, repairs)
    candidates = []
    for text, weight, extra in zip(texts, weights, extras, strict=True):
        values: dict[str, Any] = {}
        for f in fields:
            value, field_repairs = f.coerce(extra.get(f.name))
            values[f.name] = value
            repairs.extend(field_repairs)
        candidates.append(Candidate(text, weight, values))
    candidates = merge_duplicates(candidates, repairs)
    return VerbalizedDistribution.normalised(candidates, repairs, raw)


def _read_item(item: Any) -> tuple[str, Any, dict[str, Any]]:
    if isinstance(item, str):
        return item.strip(), None, {}
    if not isinstance(item, dict):
        return (str(item).strip() if item is not None else ""), None, {}
    text = item.get("text")  # the schema's own keys first: the common case, without the loops below
    if not isinstance(text, str):
        text = next((item[k] for k in _TEXT_KEYS if isinstance(item.get(k), str)), "")
    prob = item["probability"] if "probability" in item else next((item[k] for k in _PROB_KEYS if k in item), None)
    return text.strip(), prob, item


def _repair_probabilities(raw_probs: list[Any], expect_probabilities: bool, repairs: list[str]) -> list[float]:
    values: list[float | None] = []
    percent_strings = False
    for raw in raw_probs:
        value, was_percent = _to_number(raw)
        percent_strings |= was_percent
        if raw is not None and value is None:
            repairs.append("probability_unreadable")
        values.append(value)
    if percent_strings:
        repairs.append("percent_probability")
    known = [v for v in values if v is not None]
    if not expect_probabilities and not known:
        return [1.0 / len(values)] * len(values)  # baselines state no probabilities: uniform is not a repair
    if len(known) < len(values):
        if expect_probabilities:
            repairs.append("probability_missing")
        # A missing probability gets the mean of the stated ones (uniform if none was stated; stated zeros
        # give it zero too, so all-zero answers end uniform rather than certain of the unstated candidate).
        fill = (sum(known) / len(known)) if known else 1.0
        values = [fill if v is None else v for v in values]
    if any(v < 0 for v in values):
        repairs.append("negative_probability")
        values = [max(v, 0.0) for v in values]
    if any(v > 1 for v in values):
        # Answers like 70, 20, 10 are percentages written without the sign.
        repairs.append("probability_above_one")
        if all(v <= 100 for v in values):
            # [70, 0.3] mixes a percentage with a fraction: read each as what it is when that sums to 1.
            mixed = [v / 100 if v > 1 else v for v in values]
            if any(0 < v <= 1 for v in values) and abs(sum(mixed) - 1) <= _MIXED_SUM_TOLERANCE:
                repairs.append("percent_fraction_mixed")
                values = mixed
            else:
                values = [v / 100 for v in values]
    return [float(v) for v in values]


def _to_number(raw: Any) -> tuple[float | None, bool]:
    if raw is None or isinstance(raw, bool):
        return None, False
    if isinstance(raw, int | float):
        return (float(raw), False) if math.isfinite(raw) else (None, False)
    text = str(raw).strip()
    is_percent = text.endswith("%")
    match = _NUMBER.search(text)
    if not match:
        return None, False
    value = float(match.group())
    return (value / 100, True) if is_percent else (value, False)
