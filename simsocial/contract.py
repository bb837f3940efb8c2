"""The output contract: the files every run writes, their columns, and the codes their columns hold.

Column names are a public interface (the analysis side, notebooks and users' own scripts read them);
add columns freely, never rename or remove one.  Each column carries its meaning, unit and null rule here,
and ``docs/outputs.md`` is generated from this module (``python -m simsocial.contract_doc``; a test fails
when the two differ).  Layer: bottom — imports only :mod:`simsocial.contract_codes`.

Files in a run directory ``OUT/``: :data:`FILES` (``run.json``, ``dialogues.parquet``, ``turns.parquet``,
``candidates.parquet``, ``raw_answers.parquet``).  :data:`SCHEMAS` holds the three analysis tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from simsocial.contract_codes import (
    INVENTED_REPAIRS,
    KINDS,
    PARSE_STATUSES,
    REPAIR_CODES,
    ROLES,
    STANCE_CODES,
    STATUSES,
    TRIVIAL_REPAIRS,
    describe_repair,
)

__all__ = ["INVENTED_REPAIRS", "KINDS", "PARSE_STATUSES", "REPAIR_CODES", "ROLES", "STANCE_CODES", "STATUSES",
           "TRIVIAL_REPAIRS", "describe_repair"]  # fmt: skip

RUN_MANIFEST = "run.json"
DIALOGUES_FILE = "dialogues.parquet"
TURNS_FILE = "turns.parquet"
CANDIDATES_FILE = "candidates.parquet"
RAW_ANSWERS_FILE = "raw_answers.parquet"
# Kept beside the results: what a resume checks (fingerprint) and what only an unfinished run holds.
FINGERPRINT_FILE = "fingerprint.json"
SHARD_DIR = "shards"
PROGRESS_FILE = "progress.json"

# Stance labels a persuadee's utterance carries; shared with the human data mapping.
STANCES = tuple(STANCE_CODES)  # ("refuse", "undecided", "agree")

# Dialogue status values (meanings: contract_codes.STATUSES).
STATUS_OK = "ok"  # every turn and the donation sampled from a parsed distribution
STATUS_DEGRADED = "degraded"  # some choice failed to parse even after retries; see turns.parse_status
STATUS_FAILED = "failed"  # the endpoint gave up; the dialogue is incomplete and marked, never faked

CURRENCY = "currency"  # unit of amounts: the scenario's task.currency (run.json scenario.config.task.currency)


@dataclass(frozen=True)
class Column:
    """One column: its name and Arrow type, what it means, its unit, and when it is null."""

    name: str
    type: pa.DataType
    meaning: str
    unit: str = ""
    null: str = "never"


def _schema(columns: tuple[Column, ...]) -> pa.Schema:
    return pa.schema([(c.name, c.type) for c in columns])


_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()
_KEY = (
    Column("run_id", _S, "the run: scenario name and seed, `<scenario>-s<seed>`"),
    Column("dialogue_id", _S, "the dialogue: `<method>-<replicate, 5 digits>`, unique in the run"),
    Column("method", _S, "the condition label: one method for every role (`vs_standard`) or per role "
           "(`persuader=direct,persuadee=vs_cot`)"),
)  # fmt: skip
_CHOICE_KEY = (
    *_KEY,
    Column("turn", _I, "the exchange the choice belongs to, from 0; the donation row has the dialogue's "
           "`n_turns`"),
    Column("role", _S, "who chose: `persuader` or `persuadee`"),
    Column("kind", _S, "`utterance` (a message in the chat) or `donation` (the private decision after it)"),
)  # fmt: skip
_TOKENS = (
    Column("prompt_tokens", _I, "prompt tokens the endpoint reported, summed over every call (re-asks included)",
           "tokens"),
    Column("completion_tokens", _I, "completion tokens the endpoint reported, summed over every call", "tokens"),
)  # fmt: skip

DIALOGUES_COLUMNS = (
    *_KEY,
    Column("persuader_method", _S, "the persuader's method, with the knobs it uses"),
    Column("persuadee_method", _S, "the persuadee's (and the donation's) method, with its knobs"),
    Column("replicate", _I, "replicate index; replicate r meets the same persona in every condition"),
    Column("seed", _I, "the run's `--seed`; each dialogue's generator is derived from (seed, replicate, "
           "condition)"),
    Column("persona_id", _S, "the persuadee's persona: a study participant's id, the persona CSV's id "
           "column or row number, or `none` without personas"),
    Column("persuader_persona_id", _S, "the persuader's persona (`none` unless `personas.persuader: true`)"),
    Column("model", _S, "the persuadee's model name as the endpoint reported it"),
    Column("n_turns", _I, "exchanges played (fewer than the maximum when it ended on commitment or failed)",
           "exchanges"),
    Column("final_donation", _F, "the private decision after the chat, drawn from the model's verbalized "
           "distribution over the amount grid", CURRENCY, "when status is not `ok` (it ended before the decision)"),
    Column("in_dialogue_donation", _F, "the VS paper's construct: the last amount the persuadee's *text* states "
           "under the paper's regexes, 0 when none, capped at the maximum", CURRENCY),
    Column("last_stated_amount", _F, "the last amount the persuadee chose in the `amount` field beside its "
           "text (structured, not read from the text)", CURRENCY, "when no reply stated an amount"),
    Column("stances", pa.list_(_S), "the persuadee's stance in each of its replies (a missing stance is "
           "`undecided`)"),
    Column("mind_changes", _I, "switches between decided stances (refuse → agree, agree → refuse)", "count"),
    Column("ever_refused", _B, "some reply had stance `refuse`"),
    Column("status", _S, "how the dialogue ended (codes below)"),
    Column("n_parse_repairs", _I, "substantive repairs over its choices plus re-asks after an unparseable "
           "answer (`rounding_normalised` is not counted)", "count"),
    Column("n_parse_failures", _I, "choices that could not be parsed after every attempt", "count"),
    *_TOKENS,
    Column("error", _S, "why a failed or degraded dialogue ended early (never a key)", "", "when status is `ok`"),
)  # fmt: skip

TURNS_COLUMNS = (
    *_CHOICE_KEY,
    Column("text", _S, "the chosen candidate's text (for the donation, its reason)", "",
           "when parse_status is `failed`"),
    Column("label", _S, "the chosen candidate's strategy (persuader) or stance (persuadee)", "",
           "when failed, for the donation, or when the role is not annotated (`annotate: false`)"),
    Column("stated_amount", _F, "the chosen candidate's `amount` field: the amount stated in a reply, or the "
           "donation decided", CURRENCY, "when none was stated (persuader rows: always)"),
    Column("k", _I, "candidates in the distribution drawn from, after repairs (0 when failed)", "count"),
    Column("chosen_index", _I, "index of the drawn candidate in candidates.parquet", "", "when failed"),
    Column("chosen_probability", _F, "its probability in the (repaired) distribution", "probability",
           "when failed"),
    Column("entropy", _F, "Shannon entropy of the repaired distribution", "nats", "when failed"),
    Column("parse_status", _S, "`ok`, `repaired` or `failed` (codes below)"),
    Column("repairs", pa.list_(_S), "every repair made to the answer, one code each (codes below); "
           "`parse_retry:<reason>` per attempt that could not be used"),
    Column("attempts", _I, "elicitation attempts: 1 + re-asks after an unparseable answer (a truncated "
           "answer's longer re-ask is within its attempt)", "count"),
    *_TOKENS,
    Column("distribution_invented", _B, "the probabilities drawn from are not ones the model stated: a "
           "repair in the *invented* class below, for a method that verbalizes probabilities",
           "", "when parse_status is `failed`"),
)  # fmt: skip

CANDIDATES_COLUMNS = (
    *_CHOICE_KEY,
    Column("index", _I, "the candidate's place in the repaired distribution, from 0"),
    Column("text", _S, "what the candidate says"),
    Column("probability", _F, "its probability after repairs; a choice's candidates sum to 1", "probability"),
    Column("label", _S, "its strategy or stance", "", "as turns.label"),
    Column("stated_amount", _F, "its `amount` field", CURRENCY, "when it states none"),
    Column("chosen", _B, "this candidate was drawn"),
)  # fmt: skip

RAW_ANSWERS_COLUMNS = (
    *_CHOICE_KEY,
    Column("attempt", _I, "the elicitation attempt, from 1 (turns.attempts counts them)"),
    Column("call", _I, "the call within the attempt, from 0 (`vs_multi` and `multi_turn` make several)"),
    Column("reasked", _B, "this is the longer re-ask of a truncated answer (repair `truncated_reasked`)"),
    Column("finish_reason", _S, "why the endpoint stopped (`stop`, `length`, ...)", "",
           "when the endpoint gave none"),
    Column("text", _S, "the answer exactly as the endpoint returned it, before any parsing or repair"),
    Column("parse_error", _S, "why this attempt's answers were not used (the `parse_retry` reason)", "",
           "when the attempt's answers were used"),
)  # fmt: skip

DIALOGUES_SCHEMA = _schema(DIALOGUES_COLUMNS)
TURNS_SCHEMA = _schema(TURNS_COLUMNS)
CANDIDATES_SCHEMA = _schema(CANDIDATES_COLUMNS)
RAW_ANSWERS_SCHEMA = _schema(RAW_ANSWERS_COLUMNS)

# The analysis tables every reader knows; raw_answers.parquet is the audit trail beside them.
SCHEMAS = {DIALOGUES_FILE: DIALOGUES_SCHEMA, TURNS_FILE: TURNS_SCHEMA, CANDIDATES_FILE: CANDIDATES_SCHEMA}


@dataclass(frozen=True)
class OutputFile:
    """One file of a run directory: what a row is, and its columns (none for JSON files)."""

    name: str
    row: str
    about: str
    columns: tuple[Column, ...] = ()


FILES = (
    OutputFile(RUN_MANIFEST, "run", "the manifest: scenario (`scenario.config`, with `task.currency`), "
               "conditions with the knobs each role uses, settings, seeds, model and endpoints (never a key), "
               "package versions, start/end, `usage` (calls, cache hits, tokens, retries) and `counts` "
               "(statuses, choices, repairs by code, invented distributions)"),
    OutputFile(DIALOGUES_FILE, "dialogue", "what happened in it: conditions, personas, the three donation "
               "constructs, stances, how it ended and what it cost", DIALOGUES_COLUMNS),
    OutputFile(TURNS_FILE, "sampled choice", "each utterance, plus the final donation decision "
               "(`kind = donation`)", TURNS_COLUMNS),
    OutputFile(CANDIDATES_FILE, "verbalized candidate", "every candidate of every choice, what was offered and "
               "not only what was drawn", CANDIDATES_COLUMNS),
    OutputFile(RAW_ANSWERS_FILE, "endpoint answer", "every answer the endpoint gave, unparsed, so a choice can "
               "be audited without the cache", RAW_ANSWERS_COLUMNS),
    OutputFile(FINGERPRINT_FILE, "run", "the settings the dialogues depend on; a run into the same `--out` "
               "resumes only when they match"),
    OutputFile("llama-server.log", "line", "the embedded llama.cpp server's log (only when it served the run)"),
)  # fmt: skip
