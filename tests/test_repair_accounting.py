"""Honest repair accounting: the model's rounding apart from substantive repairs, invented distributions
flagged and counted, every code documented, and the raw answers kept in the run directory.

Real parts: the real parser, elicitation, agents, recorder and run writer on an in-process scripted chat
model (simsocial.llm.scripted), real Parquet files and run.json.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simsocial import contract
from simsocial.elicit import elicit
from simsocial.llm.runtime import InlineRuntime
from simsocial.llm.scripted import ScriptedChatModel, schema_answers
from simsocial.llm.types import ChatRequest
from simsocial.sim import load_scenario, parse_condition
from simsocial.sim.runner import run_simulation
from simsocial.vs import Candidate, MethodConfig, Query, VerbalizedDistribution, parse_distribution

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "persuasion_for_good.yaml"


def _answer(*probabilities: float) -> str:
    return json.dumps({"responses": [{"text": f"option {i}", "probability": p} for i, p in enumerate(probabilities)]})


def _elicit(answer: str, method: str = "vs_standard", k: int | None = 3):
    query = Query("system", "context")
    config = MethodConfig(method=method, k=k)
    model = ScriptedChatModel(lambda request: answer)
    return InlineRuntime(model).run(elicit(model, config, query, np.random.default_rng(0), "c"))


# --- the split ------------------------------------------------------------------------------------
def test_rounding_within_one_percent_is_trivial_not_a_repair() -> None:
    d = VerbalizedDistribution.normalised([Candidate("a", 0.5), Candidate("b", 0.497)])
    assert d.repairs == ("rounding_normalised",)
    assert sum(d.probabilities) == pytest.approx(1.0)
    result = _elicit(_answer(0.33, 0.33, 0.33))
    assert result.repairs == ["rounding_normalised"]
    assert result.parse_status == "ok" and result.substantive_repairs == []
    assert result.distribution_invented is False


@pytest.mark.parametrize(
    ("probabilities", "code"),
    [((1.0, 1.0, 1.0), "renormalised"), ((0.0, 0.0, 0.0), "all_zero_uniform"), ((0.6, 0.2, 0.1), "renormalised")],
)
def test_a_distribution_the_model_did_not_state_is_invented(probabilities: tuple[float, ...], code: str) -> None:
    result = _elicit(_answer(*probabilities))
    assert code in result.repairs
    assert result.parse_status == "repaired"
    assert result.distribution_invented is True


def test_k_mismatch_and_missing_probabilities_are_invented() -> None:
    assert _elicit(_answer(0.5, 0.5), k=3).distribution_invented is True  # two candidates for k = 3
    items = [{"text": "a", "probability": 0.5}, {"text": "b"}, {"text": "c", "probability": 0.5}]
    missing = json.dumps({"responses": items})
    assert _elicit(missing).distribution_invented is True


def test_a_format_repair_is_substantive_but_not_invented() -> None:
    result = _elicit("```json\n" + _answer(0.5, 0.3, 0.2) + "\n```")
    assert result.repairs == ["code_fence"]
    assert result.parse_status == "repaired" and result.distribution_invented is False


def test_uniform_by_design_is_not_invented() -> None:
    # sequence states no probabilities: its uniform draw is the method, not an invention.
    result = _elicit(json.dumps({"responses": [{"text": "a"}, {"text": "b"}]}), method="sequence", k=3)
    assert "k_mismatch" in result.repairs and result.distribution_invented is False


def test_tail_filtering_is_not_recorded_as_renormalised() -> None:
    d = VerbalizedDistribution.normalised([Candidate("a", 0.6), Candidate("b", 0.3), Candidate("c", 0.1)])
    assert d.tail(0.5).repairs == ("tail_filtered",)


# --- every code documented -------------------------------------------------------------------------
def _literal_codes() -> set[str]:
    """String literals the package appends to a repairs list (or passes as a repair), found in its source."""
    codes: set[str] = set()
    for path in (REPO / "simsocial").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "append":
                target = node.func.value
                if isinstance(target, ast.Name) and target.id == "repairs" and node.args:
                    for sub in ast.walk(node.args[0]):
                        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.strip("_"):
                            codes.add(sub.value)
    return codes


def test_every_repair_code_in_the_source_is_documented() -> None:
    codes = _literal_codes()
    assert {"renormalised", "rounding_normalised", "code_fence", "k_mismatch"} <= codes  # the scan finds them
    field_suffixes = {c for c in codes if c.startswith("_")}  # f"{self.name}_clipped" leaves "_clipped"
    undocumented = [c for c in codes - field_suffixes if contract.describe_repair(c) is None]
    undocumented += [s for s in field_suffixes if contract.describe_repair(f"amount{s}") is None]
    assert undocumented == []


@pytest.mark.parametrize(
    "answer",
    [
        '```json\n{"responses": [{"text": "a", "probability": "60%"}, {"text": "a", "probability": 40}]}```',
        '<response><text>x</text><probability>0.3</probability></response> and more',
        '[{"text": "", "probability": 0.2}, {"text": "b", "probability": -1}, {"text": "c"}]',
    ],
)
def test_codes_a_parse_produces_are_documented(answer: str) -> None:
    from simsocial.vs import AmountField, LabelField

    fields = (LabelField("stance", contract.STANCES), AmountField("amount", (0.0, 1.0, 2.0), nullable=True))
    dist = parse_distribution(answer, fields)
    assert dist.repairs and all(contract.describe_repair(code) is not None for code in dist.repairs)


# --- a run: the flag in each row, the count in the summary, the raw answers on disk -----------------
def _all_ones(seed: int = 0) -> Callable[[ChatRequest], str]:
    """Valid answers to every schema, but every probability 1.0 (what small models write)."""
    valid = schema_answers(seed)

    def answer(request: ChatRequest) -> str:
        data = json.loads(valid(request))
        for item in data.get("responses", []) if isinstance(data, dict) else []:
            item["probability"] = 1.0
        return json.dumps(data)

    return answer


def _run(tmp_path: Path, script: Callable[[ChatRequest], str], method: str = "vs_standard"):
    scenario = load_scenario(SCENARIO, max_turns=2)
    model = ScriptedChatModel(script)
    with InlineRuntime(model) as runtime:
        result = run_simulation(scenario, [parse_condition(method, scenario)], 2, 3, tmp_path / "run",
                                runtime=runtime, show_progress=False)  # fmt: skip
    return result, model


def test_a_run_flags_invented_choices_and_counts_them_apart(tmp_path: Path) -> None:
    result, _ = _run(tmp_path, _all_ones())
    turns = pd.read_parquet(tmp_path / "run" / contract.TURNS_FILE)
    assert turns["distribution_invented"].all()
    assert all("renormalised" in list(r) for r in turns["repairs"])
    counts = json.loads((tmp_path / "run" / contract.RUN_MANIFEST).read_text())["counts"]
    assert counts["choices_invented"] == len(turns) == counts["choices"]
    row = result.summary.iloc[0]
    assert row["invented_share"] == 1.0 and row["repaired_share"] == 1.0


def test_a_run_whose_model_only_rounds_is_not_repaired(tmp_path: Path) -> None:
    result, _ = _run(tmp_path, schema_answers(4))  # probabilities rounded to 3 decimals: sums like 0.999
    turns = pd.read_parquet(tmp_path / "run" / contract.TURNS_FILE)
    rounded = turns["repairs"].apply(lambda r: list(r) == ["rounding_normalised"])
    assert rounded.any()  # the scripted model does round, so this run tests the split
    assert (turns.loc[rounded, "parse_status"] == "ok").all()
    assert not turns["distribution_invented"].any()
    row = result.summary.iloc[0]
    assert row["invented_share"] == 0.0
    assert row["repaired_share"] == (turns["parse_status"] != "ok").mean() < 1.0
    dialogues = pd.read_parquet(tmp_path / "run" / contract.DIALOGUES_FILE)
    substantive = turns["repairs"].apply(lambda r: len([c for c in r if c not in contract.TRIVIAL_REPAIRS])).sum()
    assert dialogues["n_parse_repairs"].sum() == substantive


def test_raw_answers_are_kept_in_the_run_directory(tmp_path: Path) -> None:
    _, model = _run(tmp_path, _all_ones(1))
    raw = pd.read_parquet(tmp_path / "run" / contract.RAW_ANSWERS_FILE)
    assert list(raw.columns) == contract.RAW_ANSWERS_SCHEMA.names
    assert len(raw) == len(model.requests)  # every answer the endpoint gave, none lost
    answered = {json.loads(t)["responses"][0]["text"] for t in raw["text"]}
    turns = pd.read_parquet(tmp_path / "run" / contract.TURNS_FILE)
    # Each choice is auditable: its raw answer is found by dialogue, turn, role and kind.
    keys = ["dialogue_id", "turn", "role", "kind"]
    joined = turns.merge(raw, on=keys, suffixes=("", "_raw"))
    assert len(joined) == len(turns)
    assert all(text in raw_text for text, raw_text in zip(joined["text"], joined["text_raw"], strict=True))
    assert answered and (raw["attempt"] == 1).all() and (raw["finish_reason"] == "stop").all()


def test_raw_answers_survive_extending_a_completed_run(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO, max_turns=1)
    condition = [parse_condition("vs_standard", scenario)]
    calls = 0
    for n in (1, 2):  # the second run extends the completed first one (its files become a shard again)
        model = ScriptedChatModel(_all_ones(2))
        with InlineRuntime(model) as runtime:
            run_simulation(scenario, condition, n, 3, tmp_path / "run", runtime=runtime, show_progress=False)
        calls += len(model.requests)
    raw = pd.read_parquet(tmp_path / "run" / contract.RAW_ANSWERS_FILE)
    assert len(raw) == calls and raw["dialogue_id"].nunique() == 2
