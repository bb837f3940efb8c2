"""A turn budget given outside the scenario file is validated as the file's own is.

``turns.unit: utterances`` (the VS paper's scenario) needs an even number: each exchange is a persuader
and a persuadee message.  ``--turns``, ``load_scenario(max_turns=)`` and a sweep's ``turns:`` used to
bypass that check (``model_copy`` does not validate), and an odd number silently lost its last message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import REPO, SCENARIO, simsocial
from net_helpers import dead_base_url

from simsocial.sim.scenario import ScenarioError, TurnsError, load_scenario

PAPER_SCENARIO = REPO / "scenarios" / "vs_paper_persuasion.yaml"
DEAD = ["--base-url", dead_base_url(), "--model", "m"]  # never reached: refused before any call
ODD = "this scenario counts turns in utterances (turns.unit: utterances), so --turns must be even"


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*"))


def test_load_scenario_refuses_an_odd_number_of_utterances() -> None:
    with pytest.raises(TurnsError, match=r"max_turns 5: .*turns\.unit: utterances.*must be even") as raised:
        load_scenario(PAPER_SCENARIO, max_turns=5)
    assert str(PAPER_SCENARIO) in str(raised.value)
    assert isinstance(raised.value, ScenarioError)  # callers catching ScenarioError still do

    assert load_scenario(PAPER_SCENARIO, max_turns=4).turns.max_exchanges == 2
    assert load_scenario(SCENARIO, max_turns=5).turns.max_exchanges == 5  # exchanges: any number
    with pytest.raises(TurnsError, match="max_turns 101: .*100"):
        load_scenario(SCENARIO, max_turns=101)


@pytest.mark.parametrize(("extra", "message"), [([], f"--turns 5: {ODD}"), (["--dry-run"], f"--turns 5: {ODD}")])
def test_run_refuses_odd_turns_in_utterances(tmp_path: Path, extra: list[str], message: str) -> None:
    result = simsocial("run", PAPER_SCENARIO, "--turns", "5", "--out", "out", *DEAD, *extra, cwd=tmp_path, timeout=60)

    assert result.code == 2
    assert result.stderr.strip() == f"error: {message}"  # one line, naming the flag and the reason
    assert "Traceback" not in result.output
    assert _files(tmp_path) == []  # nothing written


def test_run_refuses_turns_past_the_scenario_limit(tmp_path: Path) -> None:
    result = simsocial("run", SCENARIO, "--turns", "101", "--out", "out", *DEAD, cwd=tmp_path, timeout=60)
    assert result.code == 2
    assert "--turns" in result.stderr and "100" in result.stderr  # the bound, checked with the option (issue 16)
    assert _files(tmp_path) == []


def test_batch_refuses_odd_turns_from_the_flag_and_from_the_sweep_file(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"name: s\nscenario: {PAPER_SCENARIO}\nmethods: [direct]\ndialogues: 1\n")
    flag = simsocial("batch", sweep, "--out", "out", "--turns", "5", *DEAD, cwd=tmp_path, timeout=60)
    assert flag.code == 2, flag.output
    assert f"--turns 5: {ODD}" in flag.stderr
    assert "Traceback" not in flag.output
    assert _files(tmp_path) == [Path("sweep.yaml")]

    sweep.write_text(sweep.read_text() + "turns: 5\n")
    from_file = simsocial("batch", sweep, "--out", "out", *DEAD, cwd=tmp_path, timeout=60)
    assert from_file.code == 2, from_file.output
    assert f"{sweep}: turns 5: this scenario counts turns in utterances" in from_file.stderr
    assert "so turns must be even" in from_file.stderr
    assert "Traceback" not in from_file.output
    assert _files(tmp_path) == [Path("sweep.yaml")]

    dry = simsocial("batch", sweep, "--out", "out", "--dry-run", cwd=tmp_path, timeout=60)
    assert dry.code == 2
    assert "turns 5:" in dry.stderr
