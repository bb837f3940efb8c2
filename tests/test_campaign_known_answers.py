"""Campaign known answers on a scripted chat model (the real engine: elicitation, parsing, seeded draws).

Always adopts → after r rounds exactly the nodes within graph distance r of the seeds (contacts
unlimited); never adopts → only the seeds; adopts with probability p on a line graph → the mean reach over
200 campaign seeds within its confidence interval, and the share of converting dialogues within its
binomial interval.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from campaign_script import adoption_model, tiny_campaign
from scipy.stats import binomtest

import simsocial

SMALL_WORLD = {"generator": "watts_strogatz", "n": 40, "k": 4, "p": 0.2}


def _adopted(model: simsocial.CampaignModel, label: str) -> set[int]:
    return set(model.diffusions[label].advocates())


@pytest.mark.parametrize("method", ["direct", "vs_standard"])
def test_always_adopts_reaches_exactly_the_nodes_within_r_hops(method: str) -> None:
    campaign = tiny_campaign(network=SMALL_WORLD, seeds={"count": 2}, contacts_per_round=None, rounds=4)
    model = simsocial.CampaignModel(campaign, rng=3, methods=[method], llm=adoption_model(1.0))
    label = model.conditions[0].label
    distance = nx.multi_source_dijkstra_path_length(model.graph, model.seeds)
    assert _adopted(model, label) == set(model.seeds)
    for r in range(1, 5):
        model.step()
        assert model.round == r
        assert _adopted(model, label) == {n for n, d in distance.items() if d <= r}, f"round {r}"
    network = model.network_frame()
    adopted = network[network["adopted_round"].notna()]
    assert adopted["adopted_round"].astype(int).tolist() == [distance[n] for n in adopted["node"]]
    # parents are neighbours one hop closer; the cascade depth is the longest parent chain
    adopters = network[network["parent"].notna()]
    assert all(model.graph.has_edge(int(a), int(b)) for a, b in zip(adopters["parent"], adopters["node"], strict=True))
    assert model.diffusions[label].cascade_depth() == min(4, max(distance.values()))


def test_never_adopts_stays_with_the_seeds_and_stops() -> None:
    campaign = tiny_campaign(network=SMALL_WORLD, seeds={"count": 3}, contacts_per_round=None, rounds=5)
    model = simsocial.CampaignModel(campaign, rng=5, methods=["vs_standard"], llm=adoption_model(0.0))
    model.run_model()
    label = model.conditions[0].label
    assert _adopted(model, label) == set(model.seeds)
    # Each seed asks each of its friends exactly once; a friend of k seeds is claimed by one seed a round,
    # so the campaign stops after as many rounds as the most seeds any one person knows.
    pairs = {(a, t) for a in model.seeds for t in model.graph.neighbors(a) if t not in model.seeds}
    dialogues = model.dialogues_frame()
    assert sorted(zip(dialogues["advocate"], dialogues["target"], strict=True)) == sorted(pairs)
    most = max(sum(1 for a in model.seeds if model.graph.has_edge(a, t)) for _, t in pairs)
    assert model.round == most and not model.running
    assert (dialogues["final_donation"] == 0).all()
    assert model.rounds_frame()["adopted_total"].tolist() == [3] * most


def _line_reach_moments(p: float, hops: int) -> tuple[float, float]:
    """Reach = 1 + K, K the successes before the first failure capped at ``hops``: P(K >= k) = p^k."""
    mean_k = sum(p**k for k in range(1, hops + 1))
    second = sum((2 * k - 1) * p**k for k in range(1, hops + 1))
    return 1 + mean_k, second - mean_k**2


def test_adopts_with_probability_p_on_a_line_graph() -> None:
    p, n_nodes, rounds, n_seeds = 0.6, 8, 5, 200
    campaign = tiny_campaign(network={"generator": "line", "n": n_nodes}, seeds={"nodes": (0,)},
                             contacts_per_round=None, rounds=rounds)  # fmt: skip
    reach, dialogues, converted = [], 0, 0
    for seed in range(n_seeds):
        model = simsocial.CampaignModel(campaign, rng=seed, methods=["vs_standard"], llm=adoption_model(p))
        model.run_model()
        label = model.conditions[0].label
        reach.append(len(_adopted(model, label)))
        frame = model.dialogues_frame()
        dialogues += len(frame)
        converted += int((frame["final_donation"] >= campaign.campaign.adopt_at).sum())
    mean, var = _line_reach_moments(p, min(rounds, n_nodes - 1))
    half = 3.29 * math.sqrt(var / n_seeds)  # 99.9%: a seeded run either passes or fails, every time
    assert abs(np.mean(reach) - mean) <= half, (np.mean(reach), mean, half)
    interval = binomtest(converted, dialogues).proportion_ci(confidence_level=0.999)
    assert interval.low <= p <= interval.high, (converted, dialogues)
    # sanity: not everyone, not only the seed
    assert 1 < np.mean(reach) < 1 + min(rounds, n_nodes - 1)
