"""The persuasion simulation: scenarios, personas, the Mesa model and agents, its two drivers, the runner.

Names are imported on first use (PEP 562): ``import simsocial.sim.scenario`` does not load Mesa, pandas
or the LLM layer, so a command answers at once and its first LLM call is not kept waiting.
"""

from __future__ import annotations

from simsocial.lazy_names import lazy_getattr

_HOME = {
    "parse_condition": "simsocial.sim.conditions",
    "scenario_condition": "simsocial.sim.conditions",
    "Condition": "simsocial.sim.dialogue",
    "Dialogue": "simsocial.sim.dialogue",
    "DialogueSpec": "simsocial.sim.dialogue",
    "PersuasionModel": "simsocial.sim.model",
    "dialogue_specs": "simsocial.sim.model",
    "DialogueRecorder": "simsocial.sim.recorder",
    "DialogueRows": "simsocial.sim.recorder",
    "RunResult": "simsocial.sim.runner",
    "run_simulation": "simsocial.sim.runner",
    "Scenario": "simsocial.sim.scenario",
    "ScenarioError": "simsocial.sim.scenario",
    "load_scenario": "simsocial.sim.scenario",
}

__all__ = sorted(_HOME)


__getattr__ = lazy_getattr(__name__, _HOME)
