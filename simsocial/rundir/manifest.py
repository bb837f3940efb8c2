"""The run manifest (``run.json``): what was run, with what, and what it cost."""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Sequence
from typing import Any

from simsocial import __version__
from simsocial.llm.factory import LLMSettings
from simsocial.sim.dialogue import Condition
from simsocial.sim.knobs import condition_record
from simsocial.sim.scenario import Scenario

_VERSIONED = ("mesa", "numpy", "pandas", "pyarrow", "openai", "llama_cpp_python", "pydantic", "tenacity")


def package_versions() -> dict[str, str]:
    """Python's and the main packages' versions (those installed)."""
    versions = {"python": platform.python_version(), "simsocial": __version__}
    for name in _VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def run_manifest(
    *,
    run_id: str,
    scenario: Scenario,
    scenario_path: str | None,
    conditions: Sequence[Condition],
    n_dialogues: int,
    seed: int,
    max_active: int,
    settings: LLMSettings,
    model: dict[str, Any],
    started: str,
    resumed_with_done: int,
) -> dict[str, Any]:
    """The manifest's fixed part (usage, counts and times are added when the run ends); never a key."""
    return {
        "run_id": run_id,
        "scenario": {"name": scenario.name, "path": scenario_path, "config": scenario.model_dump(mode="json")},
        "conditions": [condition_record(c) for c in conditions],  # only the knobs each method uses
        "settings": {"dialogues_per_condition": n_dialogues, "seed": seed, "max_turns": scenario.turns.max_turns,
                     "max_active": max_active, "llm": settings.model_dump(mode="json")},
        "model": model,
        "versions": package_versions(),
        "started": started,
        "resumed_with_done": resumed_with_done,
    }  # fmt: skip
