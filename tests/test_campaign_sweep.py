"""``simsocial batch`` on a campaign sweep: methods × network parameters × seeds as cells, each a normal campaign
directory; every executor; ``--dry-run`` bounded by the edges; a budget stop and ``--resume`` per cell.  Against a
real HTTP endpoint on 127.0.0.1 (tests/fault_server.py); the Ray test on a real local cluster (tests/ray_cluster.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from campaign_script import TABLES, campaign_tables
from cli_helpers import REPO, simsocial
from fault_server import FaultServer
from guards import skip_or_fail
from ray_cluster import RayCluster

from simsocial.campaign import load_campaign
from simsocial.campaign.runner import run_campaign
from simsocial.campaign.sweep_run import plan_campaign_sweep, run_campaign_sweep
from simsocial.llm.budget import Budget
from simsocial.llm.factory import LLMSettings
from simsocial.sim.conditions import parse_condition

SCENARIO = REPO / "scenarios" / "campaign_small_world.yaml"
NO_CACHE = LLMSettings(cache_path=None, cache_mode="off")


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True, record=False) as srv:
        yield srv


def write_sweep(path: Path, **fields) -> Path:
    data = {"scenario": str(SCENARIO), "methods": ["direct", "vs_standard"], "network": {"n": [20, 30]},
            "seeds": [1, 2], "rounds": 2, "turns": 1, **fields}  # fmt: skip
    path.write_text(yaml.safe_dump(data))
    return path


def assert_same_cells(a: Path, b: Path, cells) -> None:
    for cell in cells:
        left, right = campaign_tables(a / cell.cell_dir), campaign_tables(b / cell.cell_dir)
        for name in TABLES:
            pd.testing.assert_frame_equal(left[name], right[name], obj=f"{cell.cell_id}/{name}")


def sweep_run(sweep: Path, out: Path, server: FaultServer, **kwargs):
    return run_campaign_sweep(sweep, out, base_url=server.base_url, model="fake", llm=NO_CACHE, concurrency=4, **kwargs)


def test_each_cell_is_the_campaign_of_its_method_network_and_seed(server, tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml")
    result = sweep_run(sweep, tmp_path / "out", server)
    cells = plan_campaign_sweep(sweep, base_url=server.base_url, model="fake").cells
    assert result.ok and len(cells) == 2 * 2 * 2  # methods × networks × seeds
    index = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert (index["status"] == "done").all() and (index["rounds_done"] == 2).all()
    assert {json.loads(n)["n"] for n in index["network"]} == {20, 30}
    # One cell, played again alone by `simsocial campaign`'s own runner: the same campaign, table by table.
    cell = next(c for c in cells if c.condition.label == "vs_standard" and c.overrides == {"network.n": 30})
    alone = tmp_path / "alone"
    spec = load_campaign(SCENARIO, max_turns=1).with_campaign(network={"n": 30})
    run_campaign(spec, [parse_condition("vs_standard", spec.peer_scenario)], [cell.seed], 2, alone,
                 NO_CACHE.model_copy(update={"base_url": server.base_url, "model": "fake"}), max_active=4)  # fmt: skip
    expected, got = campaign_tables(alone), campaign_tables(tmp_path / "out" / cell.cell_dir)
    for name in TABLES:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)
    assert len(got["network.parquet"]) == 30 and set(got["dialogues.parquet"]["method"]) == {"vs_standard"}


def test_a_budget_stop_marks_cells_and_resume_finishes_each_cell(server, tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct"])
    stopped = sweep_run(sweep, tmp_path / "out", server, budget=Budget(max_calls=60))
    assert stopped.budget_stopped and not stopped.ok and stopped.stats.endpoint_calls <= 60
    index = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert set(index["status"]) <= {"incomplete", "pending", "done"} and (index["status"] != "done").any()
    for row in index.itertuples():
        manifest = tmp_path / "out" / row.cell_dir / "run.json"
        if row.status == "incomplete":
            assert json.loads(manifest.read_text())["status"] == "incomplete"
    resumed = sweep_run(sweep, tmp_path / "out", server, resume=True)
    assert resumed.ok
    whole = sweep_run(sweep, tmp_path / "whole", server)
    assert resumed.stats.endpoint_calls + stopped.stats.endpoint_calls == whole.stats.endpoint_calls  # nothing twice
    cells = plan_campaign_sweep(sweep, base_url=server.base_url, model="fake").cells
    assert_same_cells(tmp_path / "out", tmp_path / "whole", cells)
    again = sweep_run(sweep, tmp_path / "out", server, resume=True)  # every cell done: no call at all
    assert again.ok and again.stats.calls == 0


def test_worker_processes_play_the_same_cells(server, tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct"], network={"n": [20]})
    local = sweep_run(sweep, tmp_path / "local", server)
    spread = sweep_run(sweep, tmp_path / "processes", server, executor="processes", workers=2)
    assert local.ok and spread.ok
    assert_same_cells(tmp_path / "local", tmp_path / "processes", local.cells)
    for cell in spread.cells:  # and the workers played them
        manifest = json.loads((tmp_path / "processes" / cell.cell_dir / "run.json").read_text())
        assert manifest["settings"]["executor"] == "ProcessExecutor"


def test_dry_run_bounds_the_calls_by_the_edges_and_writes_nothing(server, tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct"], network={"n": [20]}, seeds=[1])
    dry = simsocial("batch", sweep, "--out", tmp_path / "dry", "--dry-run", "--base-url", server.base_url, "--model",
                    "fake", cwd=REPO)  # fmt: skip
    assert dry.code == 0, dry.output
    assert not (tmp_path / "dry").exists()
    line = next(x for x in dry.stdout.splitlines() if "direct-n20" in x)
    bound, calls = (int(cell.strip().replace(",", "")) for cell in line.split("│")[3:5])
    result = sweep_run(sweep, tmp_path / "out", server)
    played = pd.read_parquet(tmp_path / "out" / result.cells[0].cell_dir / "dialogues.parquet")
    assert 0 < len(played) <= bound and calls == 3 * bound  # 1 turn: persuader, persuadee, donation
    assert bound < 20 * 19  # the edges bound it, not the people: a small world of 20 where each knows 4


def test_run_sweep_options_are_refused_for_a_campaign_sweep(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml")
    done = simsocial("batch", sweep, "--out", tmp_path / "out", "--dialogues", "5", cwd=REPO)
    assert done.code == 2 and "--dialogues" in done.stderr and "campaign sweep" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.ray
@pytest.mark.slow
def test_a_ray_cluster_plays_the_same_cells(server, tmp_path: Path) -> None:
    ray_bin = Path(sys.executable).parent / "ray"
    if not ray_bin.exists():
        skip_or_fail("ray is not installed")
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct"], network={"n": [20]})
    with RayCluster(ray_bin, workers=1) as cluster:
        cmd = [sys.executable, "-m", "simsocial.cli.main", "batch", str(sweep), "--out", str(tmp_path / "ray"),
               "--executor", "ray", "--address", cluster.address, "--base-url", server.base_url, "--model", "fake",
               "--no-cache", "--concurrency", "4", "-q"]  # fmt: skip
        done = subprocess.run(cmd, env=cluster.env | {"PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                              timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    local = sweep_run(sweep, tmp_path / "local", server)
    assert [r["status"] for r in pd.read_parquet(tmp_path / "ray" / "sweep.parquet").to_dict("records")] == ["done"] * 2
    assert_same_cells(tmp_path / "ray", tmp_path / "local", local.cells)
    for cell in local.cells:
        manifest = json.loads((tmp_path / "ray" / cell.cell_dir / "run.json").read_text())
        assert manifest["settings"]["executor"] == "RayExecutor"
