"""``simsocial batch --executor ray --address`` against a real Ray cluster started with ``ray start`` on
127.0.0.1 (a head and a worker node, token authentication on), the way a lab uses it: the dialogues equal
the local executor's, the in-flight budget holds across the nodes, traffic stays on loopback, a missing
token is one clear error, and the cluster is stopped afterwards."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_server import FaultServer
from guards import skip_or_fail
from net_helpers import dead_base_url
from ray_cluster import RayCluster
from sweep_helpers import assert_same_runs, write_sweep

from simsocial.batch import plan_sweep, read_index, run_sweep
from simsocial.llm.factory import LLMSettings

pytestmark = [pytest.mark.ray, pytest.mark.slow]
RAY_BIN = Path(sys.executable).parent / "ray"


@pytest.fixture(scope="module")
def cluster() -> Iterator[RayCluster]:
    if not RAY_BIN.exists():
        skip_or_fail("ray is not installed")
    with RayCluster(RAY_BIN, workers=1) as running:
        yield running
    assert all(p.poll() is not None for p in running.procs)  # stopped


def batch(cluster: RayCluster, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "simsocial.cli.main", "batch", *args, "--executor", "ray", "--address",
           cluster.address, "-q"]  # fmt: skip
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def test_cluster_dialogues_equal_local_and_share_one_budget(tmp_path: Path, cluster: RayCluster) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct", "vs_standard"], dialogues=6)
    with FaultServer(schema_answers=True, ok_delay_s=0.05, record=False) as server:
        common = ["--base-url", server.base_url, "--model", "fake", "--no-cache", "--concurrency", "3"]
        done = batch(cluster, cluster.env, str(sweep), "--out", str(tmp_path / "ray"), *common)
        assert done.returncode == 0, done.stderr[-3000:]
        assert server.max_in_flight <= 3  # one budget of three calls for all tasks on both nodes
        local = run_sweep(sweep, tmp_path / "local", base_url=server.base_url, model="fake", show_progress=False,
                          llm=LLMSettings(cache_path=None, cache_mode="off"), concurrency=3)  # fmt: skip
        cells = plan_sweep(sweep, base_url=server.base_url, model="fake").cells
    assert local.ok and [r["status"] for r in read_index(tmp_path / "ray")] == ["done", "done"]
    assert_same_runs(tmp_path / "ray", tmp_path / "local", cells)


def test_cluster_is_on_loopback_across_both_nodes(cluster: RayCluster) -> None:
    probe = (
        f"import ray, json; ray.init(address='{cluster.address}', include_dashboard=False, log_to_driver=False);"
        "nodes = [n for n in ray.nodes() if n['Alive']];"
        "print(json.dumps({'nodes': [n['NodeManagerAddress'] for n in nodes],"
        " 'driver': ray.util.get_node_ip_address(), 'cpus': ray.cluster_resources().get('CPU')}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=cluster.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(seen["nodes"]) == ["127.0.0.2", "127.0.0.3"]
    assert ipaddress.ip_address(seen["driver"]).is_loopback  # the driver joins the head's node
    assert seen["cpus"] == 2


def test_a_client_without_the_token_gets_one_clear_error(tmp_path: Path, cluster: RayCluster) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct"], dialogues=1)
    env = {k: v for k, v in cluster.env.items() if k not in ("RAY_AUTH_TOKEN", "RAY_AUTH_MODE")}
    env["HOME"] = str(tmp_path)  # no ~/.ray/auth_token to fall back on
    done = batch(cluster, env, str(sweep), "--out", str(tmp_path / "out"), "--base-url", dead_base_url(),
                 "--model", "fake")  # fmt: skip
    assert done.returncode == 2, done.stderr[-3000:]
    assert "could not join the Ray cluster" in done.stderr and "RAY_AUTH_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "cells").exists()  # no cell was marked failed: none was started


def test_a_dialogue_a_worker_never_sends_fails_the_cell_then_resumes(tmp_path: Path, cluster: RayCluster) -> None:
    """The end-of-run invariant on Ray: the driver checks against the specs it sent, not what tasks yield.
    The loss is planted with the documented test hook (simsocial.sim.executors.test_hook), which the driver
    passes to its tasks: the worker plays direct-00001 and never sends it."""
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct"], dialogues=3)
    out = tmp_path / "out"
    with FaultServer(schema_answers=True, record=False) as server:
        common = [str(sweep), "--out", str(out), "--base-url", server.base_url, "--model", "fake", "--no-cache"]
        lost = batch(cluster, {**cluster.env, "SIMSOCIAL_TEST_LOSE_DIALOGUE": "direct-00001"}, *common)
        assert lost.returncode != 0, lost.stderr[-3000:]
        assert "played but not written: direct-00001" in lost.stderr
        [row] = read_index(out)
        assert row["status"] == "incomplete" and "direct-00001" in row["error"]
        env = {k: v for k, v in cluster.env.items() if k != "SIMSOCIAL_TEST_LOSE_DIALOGUE"}
        resumed = batch(cluster, env, *common, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    [row] = read_index(out)
    assert row["status"] == "done" and row["dialogues_done"] == 3
