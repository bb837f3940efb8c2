"""compare --effects strategies: what works, in the 300 annotated human dialogues and in simulated ones; the
known answer: a scripted persuadee who gives more after an emotion appeal, and no more after a logical one."""

from __future__ import annotations

import pytest
from validity_scripts import donation_model, expected_amount, gaussian_on_grid, simulate

from simsocial.report.rundir import read_run
from simsocial.validity.samples import simulated_cells
from simsocial.validity.strategies import human_strategy_frame, strategy_effects

GRID = (0.0, 0.10, 0.25, 0.50, 0.75, 1.00, 1.50, 2.00)
MOVED, UNMOVED = gaussian_on_grid(GRID, 1.2, 0.3), gaussian_on_grid(GRID, 0.3, 0.3)
OFFERED = ("emotion-appeal", "logical-appeal", "greeting")


@pytest.fixture(scope="module")
def strategy_run(tmp_path_factory):
    def choose(request):
        transcript = " ".join(m["content"] for m in request.messages)
        return MOVED if "A emotion-appeal message." in transcript else UNMOVED

    out = tmp_path_factory.mktemp("strategies") / "run"
    simulate(out, None, dialogues=240, k=3, seed=5, model=donation_model(choose, persuader=OFFERED))
    return read_run(out)


def test_human_presence_comes_from_the_annotated_persuader_sentences() -> None:
    frame, dropped = human_strategy_frame()
    assert len(frame) + dropped == 300 and dropped > 0  # the cleaning policy's drops are counted, not lost
    assert frame["donation"].notna().all()
    shares = frame.drop(columns=["dialogue_id", "donation"]).mean()
    assert shares["credibility-appeal"] > shares["self-modeling"] > 0  # the study's most and less used ones


def test_the_known_strategy_effect_is_recovered(strategy_run) -> None:
    cells = simulated_cells([strategy_run])
    result = strategy_effects(cells, {strategy_run.label: strategy_run.turns}, seed=2, n_resamples=30)
    sim = result.effects[(result.effects["source"] == cells[0].label)
                         & result.effects["model"].str.startswith("amount")].set_index("term")  # fmt: skip
    effect = expected_amount(MOVED, 3) - expected_amount(UNMOVED, 3)
    emotion, logical = sim.loc["emotion-appeal"], sim.loc["logical-appeal"]
    assert emotion["low"] <= effect <= emotion["high"] and emotion["p"] < 0.001
    assert logical["low"] <= 0 <= logical["high"]
    assert sim.loc["personal-story"].isna()["coef"] and "no variance" in sim.loc["personal-story", "note"]
    human = result.effects[result.effects["source"] == "human"]
    assert human["coef"].notna().sum() >= 16  # both models, most of the 10 strategies estimable on 300 dialogues
    assert len(result.fidelity) == 2 and set(result.fidelity["source"]) == {cells[0].label}
