"""A role's API-key variable that is not set is one clear error (exit 2) before any call or file.

Through the real CLI in a subprocess, against a real server on 127.0.0.1 that must see no request:
``run --persuader-api-key-env``, ``batch --persuader-api-key-env`` and a sweep file's
``persuader_endpoint.api_key_env``.  The message names the variable and where it was named; a key
given in place of a variable's name is never echoed.  A key the endpoint rejects (HTTP 401/403 at the
pre-flight call) is reported naming the variable it was read from.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import SCENARIO, run_args, simsocial
from fault_server import FaultServer

from simsocial.llm.factory import LLMSettings
from simsocial.llm.roles import RoleEndpoint, role_settings
from simsocial.sim import load_scenario, scenario_condition
from simsocial.sim.runner import run_simulation

UNSET = "SIMSOCIAL_TEST_UNSET_KEY"
KEY_LIKE = "sk-live-secret-0004"  # what a user might pass by mistake instead of a variable's name
ROLE_KEY = "SIMSOCIAL_TEST_ROLE_KEY"  # a role's own key variable, set for the test
ROLE_KEY_VALUE = "role-key-value-0005"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    monkeypatch.delenv(UNSET, raising=False)  # the CLI subprocesses inherit this environment
    with FaultServer(schema_answers=True) as fake:
        yield fake


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*"))


def _assert_one_clear_error(result, *names: str) -> None:
    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) <= 2, result.stderr
    for name in names:
        assert name in result.stderr


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_run_with_an_unset_persuader_key_variable(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is not None:
        monkeypatch.setenv(UNSET, value)
    persuader = ["--persuader-base-url", server.base_url, "--persuader-model", "m", "--persuader-api-key-env", UNSET]
    result = simsocial(*run_args(server.base_url, "out", *persuader), cwd=tmp_path)

    _assert_one_clear_error(result, f"--persuader-api-key-env {UNSET}", f"environment variable {UNSET} is not set")
    assert _files(tmp_path) == []  # no run directory, not even an empty one
    assert not server.requests


def test_run_never_echoes_a_key_given_as_the_variable_name(server: FaultServer, tmp_path: Path) -> None:
    persuader = ["--persuader-base-url", server.base_url, "--persuader-model", "m",
                 "--persuader-api-key-env", KEY_LIKE]  # fmt: skip
    result = simsocial(*run_args(server.base_url, "out", *persuader), cwd=tmp_path)

    _assert_one_clear_error(result, "--persuader-api-key-env", "not a variable name")
    assert KEY_LIKE not in result.output
    assert _files(tmp_path) == []
    assert not server.requests


def _sweep(tmp_path: Path, server: FaultServer, persuader: str = "") -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"name: keys\nscenario: {SCENARIO}\nmethods: [direct]\n"
        f"endpoints:\n  - {{base_url: '{server.base_url}', model: fake}}\n{persuader}"
        "dialogues: 1\nturns: 1\n"
    )
    return path


def test_batch_with_an_unset_persuader_key_variable_on_the_command_line(server: FaultServer, tmp_path: Path) -> None:
    _sweep(tmp_path, server)
    result = simsocial("batch", "sweep.yaml", "--out", "out", "--no-cache", "-q", "--persuader-base-url",
                       server.base_url, "--persuader-model", "m", "--persuader-api-key-env", UNSET,
                       cwd=tmp_path)  # fmt: skip

    _assert_one_clear_error(result, f"--persuader-api-key-env {UNSET}", f"environment variable {UNSET} is not set")
    assert _files(tmp_path) == [Path("sweep.yaml")]
    assert not server.requests


def test_batch_with_an_unset_key_variable_named_in_the_sweep_file(server: FaultServer, tmp_path: Path) -> None:
    sweep = _sweep(tmp_path, server, f"persuader_endpoint: {{base_url: '{server.base_url}', model: m, "
                                     f"api_key_env: {UNSET}}}\n")  # fmt: skip
    result = simsocial("batch", "sweep.yaml", "--out", "out", "--no-cache", "-q", cwd=tmp_path)

    _assert_one_clear_error(result, f"sweep.yaml: persuader_endpoint.api_key_env {UNSET}", f"{UNSET} is not set")
    assert _files(tmp_path) == [Path("sweep.yaml")]
    assert not server.requests

    sweep.write_text(sweep.read_text().replace(UNSET, KEY_LIKE))
    shown = simsocial("batch", "sweep.yaml", "--out", "out", "--no-cache", "-q", cwd=tmp_path)
    _assert_one_clear_error(shown, "persuader_endpoint.api_key_env", "not a variable name")
    assert KEY_LIKE not in shown.output
    assert _files(tmp_path) == [Path("sweep.yaml")]


def test_run_simulation_refuses_an_unset_key_before_making_the_directory(server: FaultServer, tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO, max_turns=1)
    settings = LLMSettings(base_url=server.base_url, model="fake", cache_path=None, cache_mode="off")
    persuader = role_settings(settings, RoleEndpoint(base_url=server.base_url, model="m", api_key_env=UNSET))
    with pytest.raises(ValueError, match=f"environment variable {UNSET}"):
        run_simulation(scenario, [scenario_condition(scenario)], 1, 0, tmp_path / "run", settings,
                       show_progress=False, persuader_settings=persuader)  # fmt: skip
    assert not (tmp_path / "run").exists()
    assert not server.requests


@pytest.mark.parametrize("status", ["401", "403"])
def test_a_rejected_persuader_key_names_the_variable_it_came_from(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    """The pre-flight's advice names --persuader-api-key-env's variable, not OPENAI_API_KEY; never the key."""
    monkeypatch.setenv(ROLE_KEY, ROLE_KEY_VALUE)
    with FaultServer([status]) as persuader_server:
        persuader = ["--persuader-base-url", persuader_server.base_url, "--persuader-model", "m",
                     "--persuader-api-key-env", ROLE_KEY]  # fmt: skip
        result = simsocial(*run_args(server.base_url, "out", *persuader), cwd=tmp_path)
        sent = [r.headers.get("authorization") for r in persuader_server.requests]

    assert result.code == 1, result.output
    assert f"rejected the API key (HTTP {status}); check {ROLE_KEY}" in result.stderr
    assert "Unclosed" not in result.stderr  # the run's own stack, already open, was closed too
    assert "OPENAI_API_KEY" not in result.output
    assert ROLE_KEY_VALUE not in result.output
    assert sent == [f"Bearer {ROLE_KEY_VALUE}"]  # the one pre-flight call, with the role's own key


def test_a_rejected_key_without_a_role_variable_still_names_openai_api_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ROLE_KEY_VALUE)
    with FaultServer(["401"]) as rejecting:
        result = simsocial(*run_args(rejecting.base_url, "out"), cwd=tmp_path)

    assert result.code == 1, result.output
    assert "rejected the API key (HTTP 401); check OPENAI_API_KEY" in result.stderr
    assert ROLE_KEY_VALUE not in result.output
