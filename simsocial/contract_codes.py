"""The codes the output columns hold: dialogue statuses, parse statuses, roles, kinds and repair codes.

Part of the output contract (:mod:`simsocial.contract`; ``docs/outputs.md`` lists them from here).
Every repair code the parser, the sampler or the elicitation records is listed in :data:`REPAIR_CODES`
with its class:

- ``trivial``: the model's rounding (probabilities summing within 1% of 1) rescaled; not counted as a
  repair, the choice stays ``parse_status = ok``;
- ``format``: the answer's wrapping was fixed, its content is the model's (code fences, prose, JSON syntax);
- ``content``: a candidate or field was dropped, merged, mapped or clipped;
- ``invented``: the probabilities drawn from are not ones the model stated — the choice's
  ``distribution_invented`` is true when its method verbalizes probabilities;
- ``retry``: the answer was asked again.

Layer: bottom — imports nothing from simsocial.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RepairClass = Literal["trivial", "format", "content", "invented", "retry"]

STATUSES = {
    "ok": "every choice and the donation were drawn from a parsed distribution",
    "degraded": "some choice could not be parsed after every attempt; the dialogue ended there (turns.parse_status "
    "= failed says which)",
    "failed": "the endpoint gave up (connection, HTTP error after retries); the dialogue is incomplete and "
    "marked, never faked",
}
PARSE_STATUSES = {
    "ok": "parsed with no repair, or only the trivial `rounding_normalised`",
    "repaired": "parsed after at least one other repair or a re-ask",
    "failed": "no usable distribution after every attempt; no choice was drawn",
}
STANCE_CODES = {"refuse": "declines to give", "undecided": "neither (also a reply with no stance)",
                "agree": "agrees to give"}  # fmt: skip
ROLES = {"persuader": "asks for the donation", "persuadee": "is asked; decides privately at the end"}
KINDS = {"utterance": "a message in the chat", "donation": "the persuadee's private decision after the chat"}

# The candidate fields a repair code can name (simsocial.sim.queries): "<field>_missing" etc.
REPAIR_FIELDS = ("strategy", "stance", "amount")


@dataclass(frozen=True)
class RepairCode:
    """One repair code: its class and what happened."""

    code: str
    kind: RepairClass
    meaning: str


_CODES = (
    RepairCode("rounding_normalised", "trivial", "probabilities summed within 1% of 1 and were rescaled to 1"),
    RepairCode("code_fence", "format", "the JSON was inside a ``` code fence"),
    RepairCode("prose_around_json", "format", "text before or after the JSON was ignored"),
    RepairCode("json_syntax", "format", "broken JSON (trailing comma, missing quote...) was repaired by json-repair"),
    RepairCode("tag_format", "format", "read from the VS paper's `<response><text>…<probability>…` tags, not JSON"),
    RepairCode("percent_probability", "format", "probabilities written as \"70%\" were read as 0.70"),
    RepairCode("empty_text_dropped", "content", "a candidate with no text was dropped"),
    RepairCode("json_debris_dropped", "content", "a candidate whose text was JSON fragments was dropped"),
    RepairCode("duplicate_merged", "content", "two candidates with the same text and fields were merged, "
               "their probabilities summed"),
    RepairCode("extra_candidates_ignored", "content", "`direct`/`multi_turn` got more than one candidate in a call; "
               "only the first was kept"),
    RepairCode("unusable_candidate_dropped", "content", "a donation candidate without an amount was dropped "
               "(the rest rescaled)"),
    RepairCode("percent_fraction_mixed", "format", "percentages and fractions mixed in one answer (`[70, 0.3]`) "
               "were read apart, as they summed to 1 within 0.01"),
    RepairCode("probability_above_one", "content", "a probability above 1; when all were ≤ 100 they were read "
               "as percentages"),
    RepairCode("tail_filtered", "content", "`--tail-threshold`: candidates at or above it were removed and the "
               "rest rescaled (by design)"),
    RepairCode("tail_empty", "content", "no candidate was below `--tail-threshold`; the whole distribution was kept"),
    RepairCode("all_zero_uniform", "invented", "every probability was 0; a uniform distribution was used"),
    RepairCode("renormalised", "invented", "probabilities summed more than 1% away from 1 (e.g. 8 candidates at "
               "1.0) and were rescaled"),
    RepairCode("probability_missing", "invented", "some candidate had no probability; it got the mean of the "
               "stated ones"),
    RepairCode("probability_unreadable", "invented", "a probability could not be read as a number (then filled "
               "as missing)"),
    RepairCode("negative_probability", "invented", "a negative probability was set to 0"),
    RepairCode("k_mismatch", "invented", "the answer had a different number of candidates than the k asked for"),
    RepairCode("truncated_reasked", "retry", "the answer was cut off (finish_reason length, or unclosed JSON) and "
               "asked again once with twice the token budget, within the same attempt"),
    RepairCode("truncated_kept", "content", "a plain-text answer (the paper preset) was cut off at max_tokens and "
               "kept as it is, as the paper's code keeps it"),
    RepairCode("candidates_capped", "content", "an answer held more candidates than any method asks for (40); "
               "only the first 40 were read (docs/security.md)"),
    RepairCode("text_capped", "content", "a candidate's text was longer than 2,000 characters and was cut there "
               "(docs/security.md)"),
    RepairCode("parse_retry:<reason>", "retry", "an attempt's answers could not be used (reasons: `empty "
               "answer`, `no JSON or <response> tags found`, `no candidate with text`, `no usable candidate`, "
               "`truncated_answer`, `malformed_answer` (anything else unreadable: huge numbers, deep nesting), "
               "`answer_too_large` (a body over 4 MiB)); the whole elicitation was asked again"),
    RepairCode("<field>_missing", "content", "a candidate lacked the field (strategy, stance or amount)"),
    RepairCode("<field>_case", "format", "a label matched one of the choices up to case or spacing"),
    RepairCode("<field>_mapped", "content", "a label was mapped to the closest choice (difflib ratio ≥ 0.6)"),
    RepairCode("<field>_invalid", "content", "a label or amount matched nothing and was left empty"),
    RepairCode("<field>_from_text", "format", "an amount was read out of text such as \"$1.50\""),
    RepairCode("<field>_clipped", "content", "an amount outside the scenario's range was clipped into it"),
)  # fmt: skip
REPAIR_CODES = {c.code: c for c in _CODES}
TRIVIAL_REPAIRS = frozenset(c.code for c in _CODES if c.kind == "trivial")
INVENTED_REPAIRS = frozenset(c.code for c in _CODES if c.kind == "invented")


def describe_repair(code: str) -> RepairCode | None:
    """The documented entry for a code as it appears in ``turns.repairs`` (patterns resolved), or None."""
    if code in REPAIR_CODES:
        return REPAIR_CODES[code]
    if code.startswith("parse_retry:"):
        return REPAIR_CODES["parse_retry:<reason>"]
    field, _, suffix = code.partition("_")
    if field in REPAIR_FIELDS:
        return REPAIR_CODES.get(f"<field>_{suffix}")
    return None
