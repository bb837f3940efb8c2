"""The persuasion simulation: scenarios, personas, the Mesa model and agents, its two drivers, the runner."""

from simsocial.sim.conditions import parse_condition, scenario_condition
from simsocial.sim.dialogue import Condition, Dialogue, DialogueSpec
from simsocial.sim.model import PersuasionModel, dialogue_specs
from simsocial.sim.recorder import DialogueRecorder, DialogueRows
from simsocial.sim.runner import RunResult, run_simulation
from simsocial.sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "Condition",
    "Dialogue",
    "DialogueRecorder",
    "DialogueRows",
    "DialogueSpec",
    "PersuasionModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "dialogue_specs",
    "load_scenario",
    "parse_condition",
    "run_simulation",
    "scenario_condition",
]
