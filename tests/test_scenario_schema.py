"""``simsocial scenario-schema`` exports a JSON Schema that validates the bundled scenarios and catches bad ones;
docs/scenarios.md describes every field it has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from cli_helpers import REPO, simsocial

SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
DOC = REPO / "docs" / "scenarios.md"
# How docs/scenarios.md names the fields of each model ($defs) of the schema.
PREFIX = {"Task": "task.", "RoleSpec": "<role>.", "MethodConfig": "<method>.", "Donation": "donation.",
          "Turns": "turns.", "Personas": "personas."}  # fmt: skip


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict:
    cwd = tmp_path_factory.mktemp("schema")
    printed = simsocial("scenario-schema", cwd=cwd)
    assert printed.code == 0, printed.output
    written = simsocial("scenario-schema", "--out", "scenario.schema.json", cwd=cwd)
    assert written.code == 0 and "wrote scenario.schema.json" in written.stderr
    assert json.loads((cwd / "scenario.schema.json").read_text()) == json.loads(printed.stdout)
    return json.loads(printed.stdout)


def test_the_schema_is_a_valid_json_schema(schema: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_bundled_scenario_validates(schema: dict, path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    raw.pop("campaign", None)  # a campaign scenario's own section (docs/campaigns.md); the rest is a scenario
    jsonschema.validate(raw, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda s: s["task"].update(curency="£"), "curency"),  # a misspelt key is an error, not ignored
        (lambda s: s["turns"].update(end_condition="agreement"), "agreement"),
        (lambda s: s["persuadee"]["method"].update(k=0), "0"),
        (lambda s: s.pop("donation"), "donation"),
    ],
)
def test_a_bad_scenario_is_refused_by_the_schema(schema: dict, change, where: str) -> None:
    scenario = yaml.safe_load(SCENARIOS[0].read_text())
    change(scenario)
    with pytest.raises(jsonschema.ValidationError, match=re.escape(where)):
        jsonschema.validate(scenario, schema, cls=jsonschema.Draft202012Validator)


def test_docs_describe_every_field(schema: dict) -> None:
    text = DOC.read_text()
    fields = [f"`{name}`" for name in schema["properties"] if name not in {n.lower() for n in PREFIX} | {"persuader",
              "persuadee"}]  # fmt: skip
    for model, spec in schema["$defs"].items():
        if "properties" not in spec:  # an enum (Method): its values are listed with the field that uses it
            continue
        assert model in PREFIX, f"docs/scenarios.md does not know how to name {model}'s fields"
        fields += [f"`{PREFIX[model]}{name}`" for name in spec.get("properties", {})]
    assert [f for f in fields if f"| {f} |" not in text] == []
    assert "How commitment is detected" in text and "strategy_jsd" in text
