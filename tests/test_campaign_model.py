"""The campaign model's rules on a scripted chat model: the prompts (peer persuader, one line of memory),
outcomes applied at once (order of completion never matters), replay of stored rounds, mesa.batch_run."""

from __future__ import annotations

import mesa
import pandas as pd
import pytest
from campaign_script import SMALL_WORLD, adoption_model, tiny_campaign

import simsocial
from simsocial.llm.types import ChatRequest

LINE3 = {"generator": "line", "n": 3}


def _system(request: ChatRequest) -> str:
    return next(m["content"] for m in request.messages if m["role"] == "system")


def test_a_person_asked_again_remembers_the_earlier_outcome_and_advocates_speak_as_peers() -> None:
    # 0 - 1 - 2 with both ends as seeds: one asks 1 in round 1, the other in round 2, and 1 refuses both.
    campaign = tiny_campaign(network=LINE3, seeds={"nodes": (0, 2), "donation": 1.5}, contacts_per_round=None)
    llm = adoption_model(0.0)
    model = simsocial.CampaignModel(campaign, rng=1, methods=["direct"], llm=llm)
    model.run_model()
    assert model.round == 2
    persuadee = {r: [_system(q) for q in llm.requests if f"-r00{r}-" in q.call_key and "/persuadee/" in q.call_key]
                 for r in (1, 2)}  # fmt: skip
    memory = "You were asked to give to Save the Children before, by another friend in round 1, and you gave nothing."
    assert persuadee[1] and not any(memory in s for s in persuadee[1])
    assert persuadee[2] and all(memory in s for s in persuadee[2])
    persuader = [_system(q) for q in llm.requests if "/persuader/" in q.call_key]
    assert persuader and all("You are the Advocate" in s and "You gave $1.50 of your payment to Save the Children"
                             in s for s in persuader)  # fmt: skip
    assert not any("You are the Persuader" in s for s in persuader)  # the charity worker is not used


def _run(max_active: int) -> simsocial.CampaignModel:
    campaign = tiny_campaign(network={"generator": "watts_strogatz", "n": 30, "k": 4, "p": 0.3}, seeds={"count": 2},
                             contacts_per_round=2, rounds=3)  # fmt: skip
    model = simsocial.CampaignModel(campaign, rng=9, methods=["direct", "vs_standard"], llm=adoption_model(0.5),
                                    max_active=max_active)  # fmt: skip
    model.run_model()
    return model


def test_outcomes_do_not_depend_on_the_order_dialogues_finish_in() -> None:
    one, many = _run(1), _run(64)
    pd.testing.assert_frame_equal(one.network_frame(), many.network_frame())
    pd.testing.assert_frame_equal(one.rounds_frame(), many.rounds_frame())
    key = ["dialogue_id"]
    pd.testing.assert_frame_equal(one.dialogues_frame().sort_values(key).reset_index(drop=True),
                                  many.dialogues_frame().sort_values(key).reset_index(drop=True))  # fmt: skip
    assert one.rounds_frame()["new_adopters"].sum() > 0  # something did spread
    collected = one.datacollector.get_model_vars_dataframe().set_index("round")
    rounds = one.rounds_frame()
    for label in ("direct", "vs_standard"):
        mine = rounds[rounds["method"] == label].set_index("round")
        assert collected.loc[1:, f"adopters {label}"].tolist() == mine["adopted_total"].tolist()
        assert collected.loc[1:, f"donated {label}"].tolist() == pytest.approx(mine["total_donated"].cumsum().tolist())


def test_replaying_stored_rounds_restores_the_campaign_and_it_continues_identically() -> None:
    full = _run(16)
    rows = full.dialogues_frame()
    campaign = tiny_campaign(network={"generator": "watts_strogatz", "n": 30, "k": 4, "p": 0.3}, seeds={"count": 2},
                             contacts_per_round=2, rounds=3)  # fmt: skip
    llm = adoption_model(0.5)
    resumed = simsocial.CampaignModel(campaign, rng=9, methods=["direct", "vs_standard"], llm=llm)
    for round_ in (1, 2):
        stored = rows[rows["round"] == round_]
        resumed.replay_round({r["dialogue_id"]: r for r in stored.to_dict("records")})
    assert not llm.requests  # replaying made no call
    resumed.run_model()  # round 3, played
    assert {q.call_key.split("-r")[1][:3] for q in llm.requests} == {"003"}
    pd.testing.assert_frame_equal(resumed.network_frame(), full.network_frame())
    pd.testing.assert_frame_equal(resumed.rounds_frame(), full.rounds_frame())
    pd.testing.assert_frame_equal(resumed.datacollector.get_model_vars_dataframe(),
                                  full.datacollector.get_model_vars_dataframe())  # fmt: skip


def test_mesa_batch_run_sweeps_campaign_parameters() -> None:
    campaign = tiny_campaign(network={"generator": "watts_strogatz", "n": 20, "k": 4, "p": 0.2}, seeds={"count": 1},
                             contacts_per_round=1, rounds=3)  # fmt: skip
    results = pd.DataFrame(mesa.batch_run(
        simsocial.CampaignModel,
        # a pydantic model iterates over its fields: batch_run needs it in a list (a path works as is)
        parameters={"scenario": [campaign], "methods": [["direct"]], "llm": adoption_model(1.0),
                    "contacts_per_round": [1, 3], "rng": [0, 1]},
        iterations=1, max_steps=3, number_processes=1, display_progress=False,
    ))  # fmt: skip
    last = results.sort_values("Step").groupby(["contacts_per_round", "rng"]).last()["adopters direct"]
    assert len(last) == 4
    # Everyone adopts: one contact a round at most doubles the advocates; three can do more.
    assert (last.loc[1] <= 8).all() and (last.loc[3] > last.loc[1]).all()


def test_an_edge_list_file_is_the_network_with_its_labels(tmp_path) -> None:
    (tmp_path / "friends.txt").write_text("carol dave\nalice bob\nbob carol\nalice carol\n")
    scenario = tmp_path / "campaign.yaml"
    text = SMALL_WORLD.read_text()
    text = text.replace(
        "network: {generator: watts_strogatz, n: 100, k: 4, p: 0.1}",
        "network: {generator: edge_list, path: friends.txt}",
    )  # relative to the scenario file
    scenario.write_text(text.replace("seeds: {count: 4, choose: random, donation: 1.00}", "seeds: {nodes: [0]}"))
    model = simsocial.CampaignModel(scenario, rng=1, methods=["direct"], llm=adoption_model(1.0))
    assert [model.graph.nodes[n]["label"] for n in sorted(model.graph)] == ["alice", "bob", "carol", "dave"]
    model.run_model()
    network = model.network_frame().set_index("label")
    assert network["adopted_round"].to_dict() == {"alice": 0, "bob": 1, "carol": 1, "dave": 2}
    assert network.loc["dave", "parent"] == network.loc["carol", "node"]
