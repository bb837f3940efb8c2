"""The output contract: the files every run writes and their columns.

Column names are a public interface (the analysis side, notebooks and users' own scripts read them);
add columns freely, never rename or remove one.  Layer: bottom — imports nothing from simsocial.

Files in a run directory ``OUT/``:

- ``run.json``            manifest (scenario, settings, seeds, model, endpoint, versions, usage, counts)
- ``dialogues.parquet``   one row per dialogue  (:data:`DIALOGUES_SCHEMA`)
- ``turns.parquet``       one row per sampled choice: each utterance, plus the final donation decision
  (``kind == "donation"``)  (:data:`TURNS_SCHEMA`)
- ``candidates.parquet``  every verbalized candidate of every choice  (:data:`CANDIDATES_SCHEMA`)
"""

from __future__ import annotations

import pyarrow as pa

RUN_MANIFEST = "run.json"
DIALOGUES_FILE = "dialogues.parquet"
TURNS_FILE = "turns.parquet"
CANDIDATES_FILE = "candidates.parquet"

# Stance labels a persuadee's utterance carries; shared with the human data mapping.
STANCES = ("refuse", "undecided", "agree")

# Dialogue status values.
STATUS_OK = "ok"  # every turn and the donation sampled from a parsed distribution
STATUS_DEGRADED = "degraded"  # some choice failed to parse even after retries; see turns.parse_status
STATUS_FAILED = "failed"  # the endpoint gave up; the dialogue is incomplete and marked, never faked

DIALOGUES_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("dialogue_id", pa.string()),
        ("method", pa.string()),  # condition label, e.g. "vs_standard" or "direct"
        ("persuader_method", pa.string()),
        ("persuadee_method", pa.string()),
        ("replicate", pa.int64()),
        ("seed", pa.int64()),
        ("persona_id", pa.string()),
        ("persuader_persona_id", pa.string()),
        ("model", pa.string()),
        ("n_turns", pa.int64()),
        ("final_donation", pa.float64()),  # null only when status == "failed"
        # The VS paper's construct: the last amount the persuadee states in the chat under the paper's regexes,
        # $0 when none, capped at the maximum (simsocial.metrics.paper_donation); never null.
        ("in_dialogue_donation", pa.float64()),
        ("last_stated_amount", pa.float64()),  # last amount the persuadee stated in the dialogue, or null
        ("stances", pa.list_(pa.string())),  # persuadee stance per persuadee turn
        ("mind_changes", pa.int64()),
        ("ever_refused", pa.bool_()),
        ("status", pa.string()),
        ("n_parse_repairs", pa.int64()),
        ("n_parse_failures", pa.int64()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("error", pa.string()),  # why a failed/degraded dialogue ended early (never a key); null when ok
    ]
)

TURNS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("dialogue_id", pa.string()),
        ("method", pa.string()),
        ("turn", pa.int64()),
        ("role", pa.string()),  # "persuader" | "persuadee"
        ("kind", pa.string()),  # "utterance" | "donation"
        ("text", pa.string()),
        ("label", pa.string()),  # strategy (persuader) or stance (persuadee)
        ("stated_amount", pa.float64()),
        ("k", pa.int64()),
        ("chosen_index", pa.int64()),
        ("chosen_probability", pa.float64()),
        ("entropy", pa.float64()),  # Shannon entropy (nats) of the repaired distribution
        ("parse_status", pa.string()),  # "ok" | "repaired" | "failed"
        ("repairs", pa.list_(pa.string())),
        ("attempts", pa.int64()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
    ]
)

CANDIDATES_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("dialogue_id", pa.string()),
        ("method", pa.string()),
        ("turn", pa.int64()),
        ("role", pa.string()),
        ("kind", pa.string()),
        ("index", pa.int64()),
        ("text", pa.string()),
        ("probability", pa.float64()),
        ("label", pa.string()),
        ("stated_amount", pa.float64()),
        ("chosen", pa.bool_()),
    ]
)

SCHEMAS = {DIALOGUES_FILE: DIALOGUES_SCHEMA, TURNS_FILE: TURNS_SCHEMA, CANDIDATES_FILE: CANDIDATES_SCHEMA}
