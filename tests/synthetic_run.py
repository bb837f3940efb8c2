"""Write a small run directory with known contents, following simsocial.contract's schemas.

Used by the compare / notebook tests (and runnable by hand: ``python tests/synthetic_run.py OUT``).
Two methods; every number below is chosen so tests can check results by hand.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from simsocial import contract

RUN_ID = "synthetic-run"

# method -> list of (final_donation, status, stances)
DIALOGUES = {
    "direct": [
        (0.5, "ok", ["agree", "agree"]),
        (0.5, "ok", ["undecided", "agree"]),
        (0.5, "ok", ["agree", "agree"]),
        (0.5, "ok", ["agree", "undecided"]),
        (1.0, "ok", ["agree", "agree"]),
        (None, "failed", ["agree"]),  # dropped by drop_missing
    ],
    "vs_standard": [
        (0.0, "ok", ["refuse", "refuse"]),
        (0.0, "ok", ["refuse", "agree"]),  # refuse -> agree
        (0.1, "ok", ["undecided", "agree"]),
        (0.25, "ok", ["agree", "refuse"]),  # agree -> refuse
        (0.5, "ok", ["refuse", "undecided"]),
        (1.0, "ok", ["agree", "agree"]),
        (2.0, "ok", ["refuse", "agree"]),  # refuse -> agree
        (3.0, "degraded", ["agree", "agree"]),  # cut short (and out of range): dropped by drop_missing
    ],
}

PERSUADER_LABELS = ["logical-appeal", "emotion_appeal", "greeting", "credibility-appeal"]
PERSUADER_TEXTS = [
    "Save the Children helps kids in need around the world.",
    "Imagine a child without food tonight.",
    "Hello there, how are you today?",
    "The charity is highly rated and transparent.",
]
PERSUADEE_TEXTS = [
    "I am not sure I can give anything.",
    "Okay, I will donate some of my payment.",
    "Tell me more about the organization.",
    "No thanks, I need the money.",
]
UTTERANCE_ENTROPY = 0.5  # every utterance turn stores this entropy...
MISSING_ENTROPY_TURN = 3  # ...except turn 3 of each dialogue, left null: recomputed from candidates [0.5, 0.5]
DONATION_ENTROPY = 1.0


def _expected_kept(method: str) -> list[float]:
    return [d for d, _, _ in DIALOGUES[method] if d is not None and 0 <= d <= 2]


EXPECTED = {
    "direct": {"n_dialogues": 6, "n_failed": 1, "donations": _expected_kept("direct"), "mind_change_rate": 0.0},
    "vs_standard": {
        "n_dialogues": 8,
        "n_failed": 0,
        "donations": _expected_kept("vs_standard"),
        "mind_change_rate": 3 / 7,  # of the 7 dialogues cleaning keeps
        "ever_refused": 5 / 7,
    },
}


def write_synthetic_run(out: str | Path) -> Path:
    """Write run.json + dialogues/turns/candidates parquet into ``out`` and return the path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dialogues, turns, candidates = [], [], []
    for method, rows in DIALOGUES.items():
        for i, (donation, status, stances) in enumerate(rows):
            dialogue_id = f"{method}-{i:03d}"
            dialogues.append(
                {
                    "run_id": RUN_ID,
                    "dialogue_id": dialogue_id,
                    "method": method,
                    "persuader_method": method,
                    "persuadee_method": method,
                    "replicate": i,
                    "seed": 1000 + i,
                    "persona_id": f"persona-{i}",
                    "persuader_persona_id": "persuader-0",
                    "model": "synthetic",
                    "n_turns": 4,
                    "final_donation": donation,
                    "last_stated_amount": donation,
                    "stances": stances,
                    "mind_changes": 0,  # deliberately wrong: compare must recount from stances
                    "ever_refused": False,
                    "status": status,
                    "n_parse_repairs": 1 if method == "vs_standard" else 0,
                    "n_parse_failures": 1 if status == "degraded" else 0,
                    "prompt_tokens": 100,
                    "completion_tokens": 50,
                }
            )
            for turn in range(4):
                role = "persuader" if turn % 2 == 0 else "persuadee"
                k = (turn + i) % 4
                if role == "persuader":
                    text, label = PERSUADER_TEXTS[k], PERSUADER_LABELS[k]
                else:
                    text, label = PERSUADEE_TEXTS[k], stances[min(turn // 2, len(stances) - 1)]
                entropy = None if turn == MISSING_ENTROPY_TURN else UTTERANCE_ENTROPY
                turns.append(_turn(dialogue_id, method, turn, role, "utterance", text, label, None, entropy))
                for index, p in enumerate((0.5, 0.5)):
                    candidates.append(
                        _candidate(dialogue_id, method, turn, role, "utterance", index, text, p, label, None)
                    )
            if donation is not None:
                turns.append(_turn(dialogue_id, method, 4, "persuadee", "donation", "", "donation", donation, 1.0))
                for index, p in enumerate((0.5, 0.25, 0.25)):
                    candidates.append(
                        _candidate(dialogue_id, method, 4, "persuadee", "donation", index, "", p, None, donation)
                    )
    for name, rows in (
        (contract.DIALOGUES_FILE, dialogues),
        (contract.TURNS_FILE, turns),
        (contract.CANDIDATES_FILE, candidates),
    ):
        pq.write_table(pa.Table.from_pylist(rows, schema=contract.SCHEMAS[name]), out / name)
    manifest = {"run_id": RUN_ID, "scenario": "synthetic", "methods": list(DIALOGUES), "seed": 7}
    (out / contract.RUN_MANIFEST).write_text(json.dumps(manifest, indent=2))
    return out


def _turn(dialogue_id, method, turn, role, kind, text, label, amount, entropy) -> dict:
    return {
        "run_id": RUN_ID,
        "dialogue_id": dialogue_id,
        "method": method,
        "turn": turn,
        "role": role,
        "kind": kind,
        "text": text,
        "label": label,
        "stated_amount": amount,
        "k": 2 if kind == "utterance" else 3,
        "chosen_index": 0,
        "chosen_probability": 0.5,
        "entropy": entropy,
        "parse_status": "ok",
        "repairs": [],
        "attempts": 1,
        "prompt_tokens": 10,
        "completion_tokens": 5,
    }


def _candidate(dialogue_id, method, turn, role, kind, index, text, p, label, amount) -> dict:
    return {
        "run_id": RUN_ID,
        "dialogue_id": dialogue_id,
        "method": method,
        "turn": turn,
        "role": role,
        "kind": kind,
        "index": index,
        "text": text,
        "probability": p,
        "label": label,
        "stated_amount": amount,
        "chosen": index == 0,
    }


# Entropy of the [0.5, 0.5] utterance candidates, used where the turns' entropy column is null.
CANDIDATE_ENTROPY = math.log(2)

if __name__ == "__main__":
    print(write_synthetic_run(sys.argv[1] if len(sys.argv) > 1 else "outputs/synthetic"))


FOOD_BANK_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "local_food_bank.yaml"
FOOD_BANK_FACTOR = 2.5  # the food bank pays $5, the study $2: the synthetic amounts, as shares, on a $5 payment


def write_food_bank_run(out: str | Path) -> Path:
    """The synthetic run as if made on scenarios/local_food_bank.yaml ($0–5 of a $5 voucher).

    Every amount is the synthetic one × 2.5, so as a share of the payment it equals the synthetic amount's
    share of $2; run.json carries the scenario's config (payment, donation range, currency) as a real run's does.
    """
    import pyarrow.compute as pc
    import yaml

    out = write_synthetic_run(out)
    amounts = {contract.DIALOGUES_FILE: ("final_donation", "last_stated_amount"),
               contract.TURNS_FILE: ("stated_amount",), contract.CANDIDATES_FILE: ("stated_amount",)}  # fmt: skip
    for name, columns in amounts.items():
        table = pq.read_table(out / name)
        for column in columns:
            index = table.schema.get_field_index(column)
            table = table.set_column(index, column, pc.multiply(table[column], FOOD_BANK_FACTOR))
        pq.write_table(table, out / name)
    manifest = json.loads((out / contract.RUN_MANIFEST).read_text())
    config = yaml.safe_load(FOOD_BANK_SCENARIO.read_text())
    manifest["scenario"] = {"name": config["name"], "path": str(FOOD_BANK_SCENARIO), "config": config}
    (out / contract.RUN_MANIFEST).write_text(json.dumps(manifest, indent=2))
    return out
