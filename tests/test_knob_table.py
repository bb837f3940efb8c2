"""One table of knobs (issue 18): the default k is one line of ``simsocial/vs/methods.py``.

The proof changes that line and nothing else: the package is copied, k's default in ``KNOBS`` becomes 7
in the copy, and a fresh interpreter on the copy asks every consumer — :class:`MethodConfig`'s default, a
scenario that names no k, the ``--k`` help of ``run`` and ``campaign``, a multi-call method given
model-decided k, a method's label (which leaves the default k out), the cost estimate's answers under
model-decided k (sized as the default k), and a sweep cell over that scenario.  Any of them that still held its own 5
would answer 5 (or, for the label and the estimate, differ).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_K_LINE = '    "k": Knob(5, '

ASK_EVERY_CONSUMER = r"""
import json, sys
from typer.testing import CliRunner
from simsocial.batch.cells import expand_cells
from simsocial.batch.estimate import dialogue_estimate
from simsocial.batch.sweep import load_sweep
from simsocial.cli.main import app
from simsocial.sim.conditions import make_condition, parse_condition, with_method
from simsocial.sim.scenario import load_scenario
from simsocial.vs import ROLES, MethodConfig

scenario_path, sweep_path = sys.argv[1:]
scenario = load_scenario(scenario_path)
fixed = parse_condition("vs_standard", scenario, k=7)
decided = make_condition(*[MethodConfig.model_validate(getattr(fixed, role).model_dump() | {"k": None})
                           for role in ROLES])
lead = "Candidates per call of the methods that give several [default: the scenario's, else "
helps = [" ".join(CliRunner().invoke(app, [command, "--help"]).output.split()) for command in ("run", "campaign")]
sweep, sweep_scenario = load_sweep(sweep_path)
print(json.dumps({
    "MethodConfig": MethodConfig().k,
    "scenario": scenario.persuadee.method.k,
    "help": [text.split(lead)[1].split("]")[0] for text in helps],
    "multi_turn": with_method(MethodConfig(k=None), "multi_turn").k,
    "label": MethodConfig(k=7).label(),
    # The answers' size: the prompts differ ("choose how many yourself"), the answers should not.
    "estimate_as_k": dialogue_estimate(scenario, decided).completion_tokens
                     == dialogue_estimate(scenario, fixed).completion_tokens,
    "sweep_cell": expand_cells(sweep, load_scenario(sweep_scenario))[0].condition.persuadee.k,
}))
"""


def _package_with_default_k_7(root: Path) -> Path:
    shutil.copytree(REPO / "simsocial", root / "simsocial", ignore=shutil.ignore_patterns("__pycache__"))
    methods = root / "simsocial" / "vs" / "methods.py"
    text = methods.read_text()
    assert text.count(DEFAULT_K_LINE) == 1, "the default k is no longer one line of the table"
    methods.write_text(text.replace(DEFAULT_K_LINE, '    "k": Knob(7, '))
    return root


def _scenario_without_k(root: Path) -> tuple[Path, Path]:
    scenario = root / "scenario.yaml"
    original = (REPO / "scenarios" / "persuasion_for_good.yaml").read_text()
    assert original.count("{method: vs_standard, k: 5}") == 2  # the persuader's and the persuadee's
    scenario.write_text(original.replace("{method: vs_standard, k: 5}", "{method: vs_standard}"))
    sweep = root / "sweep.yaml"
    sweep.write_text("scenario: scenario.yaml\nmethods: [vs_standard]\nendpoints: [embedded]\nseeds: [0]\n"
                     "dialogues: 1\n")  # fmt: skip
    return scenario, sweep


def test_changing_the_default_k_is_one_line(tmp_path: Path) -> None:
    root = _package_with_default_k_7(tmp_path)
    scenario, sweep = _scenario_without_k(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-c", ASK_EVERY_CONSUMER, str(scenario), str(sweep)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    answers = json.loads(proc.stdout.strip().splitlines()[-1])
    assert answers == {"MethodConfig": 7, "scenario": 7, "help": ["7", "7"], "multi_turn": 7,
                       "label": "vs_standard", "estimate_as_k": True, "sweep_cell": 7}  # fmt: skip
