"""The --dry-run estimate against a real run on the embedded model (SmolLM2-135M via llama.cpp): calls
exactly, prompt and completion tokens within 25%."""

from __future__ import annotations

from pathlib import Path

import pytest

from simsocial.batch.budget_run import run_with_budget
from simsocial.batch.estimate import run_estimate
from simsocial.llm.factory import LLMSettings
from simsocial.sim import load_scenario, parse_condition

pytestmark = [pytest.mark.llm, pytest.mark.slow, pytest.mark.timeout(1500)]
STUDY = Path(__file__).resolve().parents[1] / "scenarios" / "persuasion_for_good.yaml"


def test_estimate_is_within_25_percent_of_a_real_run(embedded_settings: LLMSettings, tmp_path: Path) -> None:
    spec = load_scenario(STUDY)
    spec = spec.model_copy(update={"turns": spec.turns.model_copy(update={"max_turns": 1})})
    conditions = [parse_condition(m, spec) for m in ("direct", "vs_standard")]
    settings = embedded_settings.model_copy(update={"max_in_flight": 2})
    run = run_with_budget(spec, conditions, 2, 3, tmp_path / "run", settings, show_progress=False, max_active=2)
    usage, estimate = run.result.manifest["usage"], run_estimate(spec, conditions, 2)
    counts = run.result.manifest["counts"]
    # A failed parse is asked again, and so is an answer cut off at max_tokens (repair code truncated_reasked):
    # each costs one call the estimate cannot foresee.
    reasks = counts["parse_failures"] + counts["repair_codes"].get("truncated_reasked", 0)
    assert estimate.calls <= usage["endpoint_calls"] <= estimate.calls + reasks
    for name in ("prompt_tokens", "completion_tokens"):
        assert abs(getattr(estimate, name) - usage[name]) <= 0.25 * usage[name], (name, estimate, usage)
