"""Scenario files: the shipped ones load; malformed ones fail naming the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simsocial.sim.conditions import parse_condition, scenario_condition
from simsocial.sim.scenario import ScenarioError, load_scenario
from simsocial.vs import Method

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
STUDY = SCENARIOS / "persuasion_for_good.yaml"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_load(path: Path) -> None:
    if "campaign:" in path.read_text():  # a campaign scenario: its persuasion part is an ordinary scenario
        from simsocial.campaign.config import load_campaign

        scenario = load_campaign(path).scenario
    else:
        scenario = load_scenario(path)
    assert scenario.donation.minimum <= min(scenario.donation.grid)
    # The paper's persuader writes text only (no strategy labels, no annotations).
    assert scenario.persuader.labels or (scenario.paper_protocol and not scenario.persuader.annotate)


def test_study_scenario_follows_the_study() -> None:
    scenario = load_scenario(STUDY)
    assert scenario.task.payment == 2.0
    assert scenario.donation.maximum == 2.0
    assert scenario.turns.max_turns == 10
    assert "Save the Children" in scenario.task.cause
    assert scenario.personas.source == "human"


def test_csv_persona_path_is_resolved_relative_to_the_scenario() -> None:
    scenario = load_scenario(SCENARIOS / "local_food_bank.yaml")
    assert scenario.personas.path is not None and scenario.personas.path.is_file()


def _write(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(STUDY.read_text())
    mutate(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("mutate", "field", "problem"),
    [
        (lambda d: d["task"].pop("payment"), "task.payment", "Field required"),
        (lambda d: d["task"].update(payment=-1), "task.payment", "greater than 0"),
        (lambda d: d["donation"].update(grid=[0, 1, 3]), "donation", "outside"),
        (lambda d: d["donation"].update(grid=[1, 0.5]), "donation", "increasing"),
        (lambda d: d["persuader"]["method"].update(method="vs_magic"), "persuader.method.method", "Input should be"),
        (lambda d: d["persuadee"]["method"].update(k=0), "persuadee.method.k", "greater than or equal to 1"),
        (lambda d: d["turns"].update(max_turn=3), "turns.max_turn", "Extra inputs are not permitted"),
        (lambda d: d["persuader"].update(labels=[]), "persuader", "strategy label"),
        (lambda d: d["personas"].update(source="csv"), "personas", "needs a path"),
        (lambda d: d["persuadee"]["method"].update(method="direct", tail_threshold=0.1), "persuadee.method", "tail"),
    ],
)
def test_malformed_scenario_names_file_field_and_problem(tmp_path: Path, mutate, field: str, problem: str) -> None:
    path = _write(tmp_path, mutate)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert str(path) in message
    assert field in message
    assert problem in message


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(listing)


def test_method_conditions() -> None:
    scenario = load_scenario(STUDY)
    assert scenario_condition(scenario).label == "vs_standard"
    direct = parse_condition("direct", scenario)
    assert direct.label == "direct"
    assert {direct.persuader.method, direct.persuadee.method, direct.donation.method} == {Method.DIRECT}
    mixed = parse_condition("persuader=direct,persuadee=vs_cot", scenario)
    assert mixed.persuader.method == Method.DIRECT
    assert mixed.persuadee.method == Method.VS_COT
    assert mixed.donation.method == Method.VS_COT  # donation follows the persuadee
    assert mixed.label == "persuader=direct,persuadee=vs_cot"
    tail = parse_condition("vs_standard", scenario, tail_threshold=0.2, k=3)
    assert tail.persuadee.tail_threshold == 0.2 and tail.persuadee.k == 3
    assert tail.label == "vs_standard[k=3,p<0.2]"
    with pytest.raises(ValueError, match="unknown method 'vs_magic'"):
        parse_condition("vs_magic", scenario)
    with pytest.raises(ValueError, match="unknown role 'judge'"):
        parse_condition("judge=direct", scenario)
