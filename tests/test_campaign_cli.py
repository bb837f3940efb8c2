"""``simsocial campaign`` and ``simsocial compare`` on a campaign, as a user runs them, against a real HTTP
endpoint on 127.0.0.1 (tests/fault_server.py answering valid JSON for each request's schema)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import REPO, simsocial, snapshot
from fault_server import FaultServer

SMALL_WORLD = REPO / "scenarios" / "campaign_small_world.yaml"
SCALE_FREE = REPO / "scenarios" / "campaign_scale_free.yaml"


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True, record=False) as srv:
        yield srv


def campaign_args(server: FaultServer, out: Path, *extra: str | Path, scenario: Path = SMALL_WORLD) -> list:
    return ["campaign", scenario, "--rounds", "2", "--turns", "1", "--method", "direct", "--method", "vs_standard",
            "--seed", "1", "--seed", "2", "--base-url", server.base_url, "--model", "fake", "--out", out, "--no-cache",
            "-q", *extra]  # fmt: skip


@pytest.fixture(scope="module")
def finished(server: FaultServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("campaign") / "small-world"
    done = simsocial(*campaign_args(server, out), cwd=REPO)
    return out, done


def test_campaign_writes_the_network_rounds_and_dialogue_tables(finished) -> None:
    out, done = finished
    assert done.code == 0, done.output
    assert {p.name for p in out.iterdir()} >= {
        "run.json",
        "fingerprint.json",
        "network.parquet",
        "rounds.parquet",
        "dialogues.parquet",
        "turns.parquet",
        "candidates.parquet",
    }
    assert not (out / "shards").exists()
    network = pd.read_parquet(out / "network.parquet")
    assert len(network) == 2 * 2 * 100  # methods × seeds × people
    rounds = pd.read_parquet(out / "rounds.parquet")
    dialogues = pd.read_parquet(out / "dialogues.parquet")
    turns = pd.read_parquet(out / "turns.parquet")
    assert {"round", "advocate", "target"} <= set(turns.columns) and turns["round"].notna().all()
    assert len(dialogues) == rounds["dialogues"].sum() and dialogues["dialogue_id"].is_unique
    for (method, seed), group in dialogues.groupby(["method", "seed"]):
        nodes = network[(network["method"] == method) & (network["seed"] == seed)].set_index("node")
        for row in group.itertuples():
            # an advocate had adopted before the round; its target is a friend and had not adopted yet
            assert nodes.loc[row.advocate, "adopted_round"] < row.round
            assert row.target in set(nodes.loc[row.advocate, "neighbors"])
            target_round = nodes.loc[row.target, "adopted_round"]
            assert pd.isna(target_round) or target_round >= row.round
        adopters = nodes[nodes["parent"].notna()]
        assert (adopters["depth"] == nodes.loc[adopters["parent"].astype(int), "depth"].to_numpy() + 1).all()
    # rounds.parquet agrees with the dialogues and the network
    per_round = dialogues.groupby(["method", "seed", "round"]).size()
    assert per_round.to_dict() == rounds.set_index(["method", "seed", "round"])["dialogues"].to_dict()
    final = rounds.sort_values("round").groupby(["method", "seed"])["adopted_total"].last()
    reached = network.groupby(["method", "seed"])["adopted_round"].count()
    assert final.to_dict() == reached.to_dict()
    assert "reach" in done.stdout and "direct" in done.stdout and "vs_standard" in done.stdout


def test_the_same_command_again_changes_nothing(finished, server: FaultServer) -> None:
    out, _ = finished
    before = snapshot(out)
    again = simsocial(*campaign_args(server, out), cwd=REPO)
    assert again.code == 0, again.output
    assert "already holds all 2 round(s); nothing to do" in again.stderr
    assert snapshot(out) == before


def test_more_rounds_extend_a_finished_campaign_replaying_its_rounds(finished, server, tmp_path: Path) -> None:
    out, _ = finished
    extended = tmp_path / "extended"
    shutil.copytree(out, extended)
    more = simsocial(*campaign_args(server, extended), "--rounds", "3", cwd=REPO)  # the last --rounds wins
    assert more.code == 0, more.output
    assert "4 finished round(s) on disk were replayed without a call" in more.stderr  # 2 seeds × 2 rounds
    old, new = (pd.read_parquet(d / "dialogues.parquet").set_index("dialogue_id") for d in (out, extended))
    assert set(new["round"]) == {1, 2, 3}
    pd.testing.assert_frame_equal(new.loc[old.index], old)  # rounds 1-2 kept as they were
    rounds = pd.read_parquet(extended / "rounds.parquet")
    assert sorted(rounds["round"].unique()) == [1, 2, 3] and not (extended / "shards").exists()


def test_compare_draws_the_curves_and_the_network(finished, tmp_path: Path) -> None:
    out, _ = finished
    done = simsocial("compare", out, "--out", tmp_path / "cmp", "--resamples", "200", cwd=REPO)
    assert done.code == 0, done.output
    written = {p.name for p in (tmp_path / "cmp").iterdir()}
    assert {
        "adoption_curves.png",
        "network-direct.png",
        "network-vs_standard.png",
        "campaign_summary.csv",
        "adoption_curves.csv",
        "campaign_comparison.json",
    } <= written
    curves = pd.read_csv(tmp_path / "cmp" / "adoption_curves.csv")
    assert set(curves["round"]) == {0, 1, 2} and (curves["n_seeds"] == 2).all()
    assert (curves["low"] <= curves["share"]).all() and (curves["share"] <= curves["high"]).all()
    summary = pd.read_csv(tmp_path / "cmp" / "campaign_summary.csv")
    network = pd.read_parquet(out / "network.parquet")
    reach = network.groupby("method")["adopted_round"].count() / (2 * 100)  # mean over the 2 seeds
    assert summary.set_index("method")["reach_share"].to_dict() == pytest.approx(reach.to_dict())
    assert "reach" in done.stdout and "cascade depth" in done.stdout


def test_compare_puts_the_dyadic_conversion_of_a_run_beside_the_campaign(finished, server, tmp_path: Path) -> None:
    out, _ = finished
    dyadic = tmp_path / "dyadic"
    made = simsocial("run", REPO / "scenarios" / "persuasion_for_good.yaml", "-n", "6", "--turns", "1", "--method",
                     "direct", "--method", "vs_standard", "--base-url", server.base_url, "--model", "fake", "--out",
                     dyadic, "--no-cache", "-q", "--no-transcript", cwd=REPO)  # fmt: skip
    assert made.code == 0, made.output
    done = simsocial("compare", out, dyadic, "--out", tmp_path / "cmp", "--resamples", "200", cwd=REPO)
    assert done.code == 0, done.output
    summary = pd.read_csv(tmp_path / "cmp" / "campaign_summary.csv").set_index("method")
    dialogues = pd.read_parquet(dyadic / "dialogues.parquet")
    expected = (dialogues["final_donation"] >= 0.5).groupby(dialogues["method"]).mean()  # the scenario's adopt_at
    assert summary["dyadic_conversion"].to_dict() == pytest.approx(expected.to_dict())
    assert "dyadic converts" in done.stdout


def test_dry_run_bounds_the_dialogues_and_writes_nothing(finished, server, tmp_path: Path) -> None:
    out, _ = finished
    dry = simsocial(*campaign_args(server, tmp_path / "dry", "--dry-run"), cwd=REPO)
    assert dry.code == 0, dry.output
    assert not (tmp_path / "dry").exists()
    played = pd.read_parquet(out / "dialogues.parquet").groupby("method").size()
    for method in ("direct", "vs_standard"):
        line = next(x for x in dry.stdout.splitlines() if f" {method} " in x)
        bound, calls = (int(cell.strip().replace(",", "")) for cell in line.split("│")[2:4])
        assert played[method] <= bound and calls == 3 * bound  # 1 turn: persuader, persuadee, donation


def test_scale_free_scenario_starts_from_the_hubs(server: FaultServer, tmp_path: Path) -> None:
    out = tmp_path / "sf"
    done = simsocial(*campaign_args(server, out, scenario=SCALE_FREE), cwd=REPO)
    assert done.code == 0, done.output
    network = pd.read_parquet(out / "network.parquet")
    one = network[(network["method"] == "direct") & (network["seed"] == 1)]
    hubs = one.sort_values(["degree", "node"], ascending=[False, True]).head(4)["node"]
    assert set(one[one["is_seed"]]["node"]) == set(hubs)


@pytest.mark.parametrize(("change", "field"), [
    ("generator: watts_strogatz", "campaign.network.generator"),
    ("adopt_at: 0.50", "campaign.adopt_at"),
])  # fmt: skip
def test_a_bad_campaign_section_is_refused_naming_the_field(server, tmp_path: Path, change: str, field: str) -> None:
    bad = tmp_path / "bad.yaml"
    replacement = {"generator: watts_strogatz": "generator: small_world", "adopt_at: 0.50": "adopt_at: -1"}[change]
    bad.write_text(SMALL_WORLD.read_text().replace(change, replacement))
    out = tmp_path / "out"
    done = simsocial(*campaign_args(server, out, scenario=bad), cwd=REPO)
    assert done.code == 2, done.output
    assert field in done.stderr and "Traceback" not in done.output
    assert not out.exists()


def test_seed_nodes_outside_the_network_are_refused(server, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL_WORLD.read_text().replace("seeds: {count: 4, choose: random, donation: 1.00}",
                                                   "seeds: {nodes: [3, 500]}"))  # fmt: skip
    (tmp_path / "out").mkdir()
    before = snapshot(tmp_path / "out")
    done = simsocial(*campaign_args(server, tmp_path / "out", scenario=bad), cwd=REPO)
    assert done.code == 2 and "campaign.seeds.nodes" in done.stderr and "[500]" in done.stderr
    assert snapshot(tmp_path / "out") == before


def test_an_unusable_endpoint_fails_fast_and_leaves_nothing(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on: bound by us, then closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    done = simsocial("campaign", SMALL_WORLD, "--turns", "1", "--base-url", f"http://127.0.0.1:{port}/v1", "--model",
                     "fake", "--out", out, "--no-cache", "-q", cwd=REPO)  # fmt: skip
    assert done.code == 1, done.output
    assert "pre-flight" in done.stderr and "no round was played" in done.stderr
    assert not out.exists()
