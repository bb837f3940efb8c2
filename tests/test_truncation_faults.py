"""Under 20% truncated answers from a real HTTP server, no cut-off text ever becomes an utterance.

The server (tests/fault_server.py) answers about one request in five with the first half of its answer
and ``finish_reason: "length"``; its answers are a deterministic function of the request, so the complete
candidate texts it could have sent are known.  An utterance counts as truncated when it was sampled from
a cut-off answer: one of its choice's candidates is not a complete text, or the choice carries the old
``truncated`` repair code (simsocial before issue 10 kept such answers and only noted the cut).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
from fault_server import FaultServer, schema_answer

from simsocial.llm.factory import LLMSettings
from simsocial.sim import load_scenario, scenario_condition
from simsocial.sim.runner import run_simulation

ROOT = Path(__file__).resolve().parents[1]


KEYS = ["dialogue_id", "turn", "role", "kind"]


def truncated_utterances(turns: pd.DataFrame, candidates: pd.DataFrame, complete_texts: set[str]) -> int:
    """Utterances sampled from a cut-off answer (see the module doc)."""
    said = turns[(turns["kind"] == "utterance") & turns["text"].notna()]
    marked = said["repairs"].apply(lambda r: "truncated" in list(r))
    cut = candidates[~candidates["text"].str.strip().isin(complete_texts)][KEYS].drop_duplicates()
    from_cut = said[KEYS].merge(cut.assign(cut=True), on=KEYS, how="left")["cut"].fillna(False).to_numpy(bool)
    return int((marked.to_numpy(bool) | from_cut).sum())


def run_under_truncation(out: Path, n_dialogues: int = 10, share: float = 0.2, seed: int = 0) -> dict:
    """Simulate against a server cutting ``share`` of answers; the figures the closing note reports."""
    rng = random.Random(seed)
    script = ["truncated" if rng.random() < share else "ok" for _ in range(2000)]
    scenario = load_scenario(ROOT / "scenarios" / "persuasion_for_good.yaml")
    scenario = scenario.model_copy(update={"turns": scenario.turns.model_copy(update={"max_turns": 2})})
    with FaultServer(script, schema_answers=True) as server:
        settings = LLMSettings(base_url=server.base_url, model="fault", cache_path=None, cache_mode="off")
        run_simulation(scenario, [scenario_condition(scenario)], n_dialogues, 0, out, settings, show_progress=False)
        complete = set()
        for request in server.requests:
            for item in json.loads(schema_answer(request.body)).get("responses", []):
                complete.add(item["text"].strip())
        n_truncated_sent = server.behaviours().count("truncated")
        n_requests = len(server.requests)
    turns = pd.read_parquet(out / "turns.parquet")
    candidates = pd.read_parquet(out / "candidates.parquet")
    codes = [c for repairs in turns["repairs"] for c in repairs]
    return {
        "requests": n_requests,
        "truncated_answers_sent": n_truncated_sent,
        "reasked": codes.count("truncated_reasked"),
        "failed_attempts": codes.count("parse_retry:truncated_answer"),
        "utterances": int((turns["kind"] == "utterance").sum()),
        "truncated_utterances": truncated_utterances(turns, candidates, complete),
    }


def test_no_truncated_utterance_under_20_percent_truncation(tmp_path):
    figures = run_under_truncation(tmp_path / "run")
    assert figures["truncated_answers_sent"] >= 3  # the fault really happened
    assert figures["reasked"] + figures["failed_attempts"] >= 1
    assert figures["truncated_utterances"] == 0, figures


if __name__ == "__main__":  # the closing note's figure: python tests/test_truncation_faults.py OUT
    import sys

    print(
        json.dumps(run_under_truncation(Path(sys.argv[1]), n_dialogues=int(sys.argv[2]) if len(sys.argv) > 2 else 40))
    )
