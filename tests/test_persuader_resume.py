"""The persuader's own endpoint is part of what a run directory (and a sweep directory) is made with.

Through the real CLI against a real OpenAI-compatible server on 127.0.0.1: a run made with persuader
model A and resumed with persuader model B is refused (old → new), files untouched, no call made; a run
without a persuader endpoint keeps the fingerprint it always had; a key's value never reaches a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import SCENARIO, run_args, simsocial, snapshot
from fault_server import FaultServer

from simsocial.llm.factory import LLMSettings
from simsocial.llm.roles import RoleEndpoint, role_settings
from simsocial.rundir.fingerprint import FINGERPRINT_FILE, RunMismatchError, settings_fingerprint
from simsocial.sim import load_scenario, scenario_condition
from simsocial.sim.runner import run_simulation

PERSUADER_KEY = "sk-persuader-secret-0003"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True) as fake:
        yield fake


def _persuader(base_url: str, model: str) -> list[str]:
    return ["--persuader-base-url", base_url, "--persuader-model", model]


def test_a_run_resumed_with_another_persuader_model_is_refused(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSUADER_RESUME_KEY", PERSUADER_KEY)  # inherited by the CLI subprocess
    key = ["--persuader-api-key-env", "PERSUADER_RESUME_KEY"]
    first = simsocial(*run_args(server.base_url, "run", *_persuader(server.base_url, "model-a"), *key), cwd=tmp_path)
    assert first.code == 0, first.output
    before = snapshot(tmp_path / "run")
    assert all(PERSUADER_KEY.encode() not in content for content in before.values())
    calls = len(server.requests)

    again = simsocial(*run_args(server.base_url, "run", *_persuader(server.base_url, "model-b"), *key), cwd=tmp_path)

    assert again.code == 2
    assert "persuader_model: model-a → model-b" in again.stderr
    assert "Traceback" not in again.output
    assert PERSUADER_KEY not in again.output
    assert snapshot(tmp_path / "run") == before
    assert len(server.requests) == calls  # refused before any call

    with FaultServer(schema_answers=True) as other:  # another persuader endpoint, same model name
        moved = simsocial(*run_args(server.base_url, "run", *_persuader(other.base_url, "model-a"), *key),
                          cwd=tmp_path)  # fmt: skip
        assert moved.code == 2
        assert f"persuader_endpoint: {server.base_url.rstrip('/')} → {other.base_url.rstrip('/')}" in moved.stderr
        assert not other.requests
    assert snapshot(tmp_path / "run") == before

    same = simsocial(*run_args(server.base_url, "run", *_persuader(server.base_url, "model-a"), *key), cwd=tmp_path)
    assert same.code == 0, same.output
    assert "nothing to do" in same.stderr


def test_a_run_without_a_persuader_endpoint_keeps_its_fingerprint(server: FaultServer, tmp_path: Path) -> None:
    assert simsocial(*run_args(server.base_url, "run"), cwd=tmp_path).code == 0
    written = (tmp_path / "run" / FINGERPRINT_FILE).read_text()
    assert "persuader_endpoint" not in written and "persuader_model" not in written

    moved = simsocial(*run_args(server.base_url, "run", *_persuader(server.base_url, "model-b")), cwd=tmp_path)
    assert moved.code == 2
    assert "persuader_model: (unset) → model-b" in moved.stderr


def test_the_fingerprint_names_the_persuader_only_when_it_has_its_own_endpoint() -> None:
    scenario = load_scenario(SCENARIO)
    conditions = [scenario_condition(scenario)]
    settings = LLMSettings(base_url="http://127.0.0.1:9/v1", model="m", cache_path=None)
    plain = settings_fingerprint(scenario, conditions, 0, settings)
    assert plain == settings_fingerprint(scenario, conditions, 0, settings, None)
    assert not any(name.startswith("persuader_") for name in plain)  # old run directories still match

    endpoint = RoleEndpoint(base_url="http://127.0.0.1:9/v1/", model="p", api_key_env="PERSUADER_RESUME_KEY")
    with_persuader = settings_fingerprint(scenario, conditions, 0, settings, role_settings(settings, endpoint))
    assert with_persuader == plain | {"persuader_endpoint": "http://127.0.0.1:9/v1", "persuader_model": "p"}
    own_dialect = endpoint.model_copy(update={"structured_output": "none"})
    own = settings_fingerprint(scenario, conditions, 0, settings, role_settings(settings, own_dialect))
    assert own["persuader_structured_output"] == "none"


def test_run_simulation_refuses_another_persuader_before_any_call(server: FaultServer, tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO)
    scenario = scenario.model_copy(update={"turns": scenario.turns.model_copy(update={"max_turns": 1})})
    settings = LLMSettings(base_url=server.base_url, model="fake", cache_path=None, cache_mode="off", max_attempts=1)
    out = tmp_path / "run"

    def persuader(model: str) -> LLMSettings:
        return role_settings(settings, RoleEndpoint(base_url=server.base_url, model=model))

    run_simulation(scenario, [scenario_condition(scenario)], 1, 0, out, settings, show_progress=False,
                   persuader_settings=persuader("model-a"))  # fmt: skip
    before, calls = snapshot(out), len(server.requests)
    with pytest.raises(RunMismatchError, match="persuader_model: model-a → model-b"):
        run_simulation(scenario, [scenario_condition(scenario)], 2, 0, out, settings, show_progress=False,
                       persuader_settings=persuader("model-b"))  # fmt: skip
    assert snapshot(out) == before
    assert len(server.requests) == calls


def test_a_sweep_resumed_with_another_persuader_is_refused(server: FaultServer, tmp_path: Path) -> None:
    (tmp_path / "sweep.yaml").write_text(
        f"name: persuader\nscenario: {SCENARIO}\nmethods: [direct, vs_standard]\n"
        f"endpoints:\n  - {{base_url: '{server.base_url}', model: fake}}\n"
        f"persuader_endpoint: {{base_url: '{server.base_url}', model: model-a}}\n"
        "seeds: [0]\ndialogues: 1\nturns: 1\n"
    )
    first = simsocial("batch", "sweep.yaml", "--out", "out", "--no-cache", "-q", cwd=tmp_path)
    assert first.code == 0, first.output
    before, calls = snapshot(tmp_path / "out"), len(server.requests)

    again = simsocial("batch", "sweep.yaml", "--out", "out", "--no-cache", "-q", "--resume", "-n", "2",
                      *_persuader(server.base_url, "model-b"), cwd=tmp_path)  # fmt: skip

    assert again.code == 2
    assert f"{server.base_url.rstrip('/')} model-a → {server.base_url.rstrip('/')} model-b" in again.stderr
    assert "Traceback" not in again.output
    assert snapshot(tmp_path / "out") == before
    assert len(server.requests) == calls
