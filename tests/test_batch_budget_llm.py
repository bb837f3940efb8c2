"""The --dry-run estimate against a real run on the embedded model (SmolLM2-135M via llama.cpp): calls
exactly, apart from re-asks, and prompt and completion tokens within 25%."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simsocial.batch.estimate import run_estimate
from simsocial.llm.factory import LLMSettings
from simsocial.sim import load_scenario, parse_condition
from simsocial.sim.runner import run_simulation

pytestmark = [pytest.mark.llm, pytest.mark.slow, pytest.mark.timeout(1500)]
STUDY = Path(__file__).resolve().parents[1] / "scenarios" / "persuasion_for_good.yaml"
REASKED = "truncated_reasked"


def test_estimate_is_within_25_percent_of_a_real_run(embedded_settings: LLMSettings, tmp_path: Path) -> None:
    spec = load_scenario(STUDY)
    spec = spec.model_copy(update={"turns": spec.turns.model_copy(update={"max_turns": 1})})
    conditions = [parse_condition(m, spec) for m in ("direct", "vs_standard")]
    settings = embedded_settings.model_copy(update={"max_in_flight": 2})
    run = run_simulation(spec, conditions, 2, 3, tmp_path / "run", settings, show_progress=False, max_active=2)
    usage, estimate = run.manifest["usage"], run_estimate(spec, conditions, 2)
    choices = pd.read_parquet(tmp_path / "run" / "turns.parquet")
    reasked = choices["repairs"].apply(lambda repairs: REASKED in list(repairs))
    # What the estimate cannot foresee: an answer that failed to parse is asked again (at most two calls an
    # attempt, when the failed attempt was itself a truncation re-ask), and an answer cut off at max_tokens is
    # asked again once with twice the budget.
    extra = 2 * int((choices["attempts"] - 1).sum()) + int(reasked.sum())
    assert estimate.calls <= usage["endpoint_calls"] <= estimate.calls + extra
    # Tokens: compared on the choices answered in one call, against the same share of the estimate (with
    # parallel slots, llama.cpp's answers vary with what else is batched, so re-asks vary from run to run).
    single = choices[(choices["attempts"] == 1) & ~reasked]
    assert len(single) >= len(choices) // 2, "most choices should take one call"
    share = len(single) / len(choices)
    for name in ("prompt_tokens", "completion_tokens"):
        expected, got = getattr(estimate, name) * share, int(single[name].sum())
        assert abs(expected - got) <= 0.25 * got, (name, expected, got, estimate, usage)
