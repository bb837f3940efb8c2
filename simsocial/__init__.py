"""simsocial — social dialogue simulation with Mesa agents that sample from LLM-verbalized distributions.

    import simsocial
    scenario = simsocial.load_scenario("scenarios/persuasion_for_good.yaml", max_turns=3)
    model = simsocial.PersuasionModel(scenario, n_dialogues=4, methods=["direct", "vs_standard"], rng=7,
                                      llm=simsocial.LLMSettings(base_url=URL, model=NAME))
    model.step(); model.step()
    model.datacollector.get_model_vars_dataframe()   # one row per step
    model.run_model()
    model.dialogues_frame()                           # the dialogues.parquet columns, as a DataFrame

The names below are imported on first use, so ``import simsocial`` (and the CLI) stays quick.
"""

from __future__ import annotations

from simsocial.lazy_names import lazy_getattr

__version__ = "0.1.0"

_EXPORTS = {
    "load_scenario": "simsocial.sim.scenario",
    "Scenario": "simsocial.sim.scenario",
    "PersuasionModel": "simsocial.sim.model",
    "CampaignModel": "simsocial.campaign.model",
    "load_campaign": "simsocial.campaign.config",
    "run_simulation": "simsocial.sim.runner",
    "parse_condition": "simsocial.sim.conditions",
    "LLMSettings": "simsocial.llm.settings",
    "ChatModel": "simsocial.llm.base",
    "ScriptedChatModel": "simsocial.llm.scripted",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__ = lazy_getattr(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return sorted(__all__)
