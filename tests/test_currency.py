"""The scenario's currency in every output a run prints: the table's headers and the sampled transcript.

A real ``simsocial run`` in a subprocess against the test endpoint (tests/fault_server.py, schema-valid answers).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from cli_helpers import SCENARIO, simsocial
from fault_server import FaultServer

from simsocial.report.currency import run_currency


def _pound_scenario(tmp_path: Path) -> Path:
    spec = yaml.safe_load(SCENARIO.read_text())
    spec["task"]["currency"] = "£"
    path = tmp_path / "pounds.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    return path


def test_a_run_in_pounds_says_pounds(tmp_path: Path) -> None:
    with FaultServer(schema_answers=True) as server:
        done = simsocial("run", _pound_scenario(tmp_path), "-n", "2", "--turns", "1", "--base-url", server.base_url,
                         "--model", "fake", "--out", tmp_path / "run", "--no-cache", "-q", cwd=tmp_path)  # fmt: skip
    assert done.code == 0, done.output
    table, transcript = done.stdout.split("one sampled dialogue", 1)
    assert "mean £" in table and "gave £0" in table
    assert "$" not in table
    assert "private donation: £" in transcript and "$" not in transcript
    assert run_currency(tmp_path / "run") == "£"


def test_a_run_in_dollars_still_says_dollars(tmp_path: Path) -> None:
    with FaultServer(schema_answers=True) as server:
        done = simsocial("run", SCENARIO, "-n", "1", "--turns", "1", "--base-url", server.base_url, "--model", "fake",
                         "--out", tmp_path / "run", "--no-cache", "-q", "--no-transcript", cwd=tmp_path)  # fmt: skip
    assert done.code == 0, done.output
    assert "mean $" in done.stdout and "invented" in done.stdout
