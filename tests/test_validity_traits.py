"""compare --effects traits: who gives, humans and each method side by side (statsmodels), with fidelity
scores and power; the known answer: a scripted persuadee who gives more the more agreeable it is."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from cli_helpers import simsocial
from validity_scripts import simulate, two_point

from simsocial.data.human import BIG_FIVE, persona_table
from simsocial.report.rundir import read_run
from simsocial.sim.personas import render_survey_persona
from simsocial.validity.fidelity import correlation, sign_agreement
from simsocial.validity.samples import simulated_cells
from simsocial.validity.traits import trait_effects, trait_scale

GRID = (0.0, 0.10, 0.25, 0.50, 0.75, 1.00, 1.50, 2.00)
BASE, SLOPE = 0.8, 0.25  # the known answer: expected donation = 0.80 + 0.25 × (agreeableness in SD)


def _agreeable_by_text() -> dict[str, float]:
    """Persona text → the persona's standardized agreeableness (texts shared by several personas: mean)."""
    pool = persona_table("persuadee")
    scale = trait_scale(BIG_FIVE)
    z = (pool["agreeable"] - scale.loc["mean", "agreeable"]) / scale.loc["sd", "agreeable"]
    texts = pd.Series([render_survey_persona(row) for _, row in pool.iterrows()])
    return pd.DataFrame({"text": texts, "z": z}).groupby("text")["z"].mean().to_dict()


@pytest.fixture(scope="module")
def agreeable_run(tmp_path_factory):
    lookup = _agreeable_by_text()

    def choose(request):
        persona = request.messages[0]["content"].rsplit("\n", 1)[-1]
        z = lookup.get(persona, 0.0)
        return two_point(GRID, BASE + SLOPE * (0.0 if np.isnan(z) else z))

    out = tmp_path_factory.mktemp("agreeable") / "run"
    simulate(out, choose, dialogues=300, k=2, seed=11)
    return out


def test_the_known_agreeableness_effect_is_recovered_and_nothing_else(agreeable_run) -> None:
    cells = simulated_cells([read_run(agreeable_run)])
    result = trait_effects(cells, seed=1, n_resamples=50)
    sim = result.effects[(result.effects["source"] == cells[0].label)
                         & (result.effects["model"].str.startswith("amount"))].set_index("term")  # fmt: skip
    agree = sim.loc["agreeable"]
    assert agree["low"] <= SLOPE <= agree["high"] and agree["p"] < 0.001 and agree["coef"] > 0
    others = sim.drop(index="agreeable")
    assert (others["p"] < 0.05).sum() <= 1  # 4 null effects at α = 0.05: more than one is not chance
    unanswered = result.dropped.get(f"{cells[0].label}: dialogues whose persona left a trait unanswered", 0)
    assert agree["n"] + unanswered == 300  # a persona with a trait unanswered is left out, and counted
    human = result.effects[result.effects["source"] == "human"]
    assert set(human["term"]) == set(BIG_FIVE) and (human["n"] > 900).all()
    assert any("not detectable" in p and f"n={agree['n']} dialogues" in p for p in result.power)


def test_fidelity_scores_count_signs_on_human_significant_effects_only() -> None:
    human = pd.Series({"a": 0.3, "b": -0.2, "c": 0.01})
    sim = pd.Series({"a": 0.1, "b": 0.4, "c": -0.5})
    assert sign_agreement(human, sim, ["a", "b"]) == 0.5
    assert sign_agreement(human, sim, []) != sign_agreement(human, sim, [])  # NaN: nothing to agree with
    assert correlation(human, human * 2 + 1) == pytest.approx(1.0)
    assert np.isnan(correlation(human[:2], sim[:2]))  # two points make no correlation


def test_compare_effects_writes_tables_figures_and_report_sections(agreeable_run, tmp_path) -> None:
    done = simsocial("compare", agreeable_run, "--effects", "traits", "--effects", "strategies",
                     "--out", tmp_path / "cmp", "--resamples", "100", cwd=tmp_path, timeout=300)  # fmt: skip
    assert done.code == 0, done.output
    out = tmp_path / "cmp"
    for stem in ("effects_traits", "effects_strategies"):
        assert (out / f"{stem}.png").stat().st_size > 10_000
        effects = pd.read_csv(out / f"{stem}.csv")
        assert {"human"} < set(effects["source"]) and effects["n"].notna().all()
        fidelity = pd.read_csv(out / f"{stem}_fidelity.csv")
        assert {"sign_agreement", "correlation", "correlation_low", "correlation_high"} <= set(fidelity.columns)
    payload = json.loads((out / "effects_traits.json").read_text())
    assert any("n=299 dialogues" in p for p in payload["power"])  # one persona left a trait unanswered
    report = (out / "report.html").read_text()
    assert "id='effects-traits'" in report and "id='effects-strategies'" in report
    assert "Who gives: trait effects" in done.stdout and "not detectable" in done.stdout


def test_compare_effects_keep_json_on_stdout_parseable(agreeable_run, tmp_path) -> None:
    """With --format json the effects tables go to stderr: stdout is the comparison's JSON and nothing else."""
    done = simsocial("compare", agreeable_run, "--effects", "traits", "--format", "json",
                     "--out", tmp_path / "cmp", "--resamples", "100", cwd=tmp_path, timeout=300)  # fmt: skip
    assert done.code == 0, done.output
    rows = json.loads(done.stdout)
    assert isinstance(rows, list) and rows[0]["method"] == "vs_standard[k=2]"
    assert "Who gives: trait effects" in done.stderr
