"""A campaign killed with SIGKILL mid-run resumes at its last finished round, and ends exactly as an
uninterrupted campaign (real CLI processes, a real HTTP endpoint with latency on 127.0.0.1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from campaign_script import TABLES, campaign_tables
from cli_helpers import REPO, simsocial
from fault_server import FaultServer

SCENARIO = REPO / "scenarios" / "campaign_small_world.yaml"


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True, ok_delay_s=0.02, record=False) as srv:
        yield srv


def args(server: FaultServer, out: Path, cache: Path) -> list:
    return ["campaign", SCENARIO, "--rounds", "4", "--turns", "1", "--method", "direct", "--seed", "3",
            "--base-url", server.base_url, "--model", "fake", "--out", out, "--cache", cache, "-q",
            "--concurrency", "4"]  # fmt: skip


def rounds_on_disk(out: Path) -> int:
    return len(list((out / "shards").glob("s*-r*.dialogues.parquet"))) if (out / "shards").is_dir() else 0


def test_kill_9_mid_campaign_then_resume_equals_an_uninterrupted_campaign(server: FaultServer, tmp_path: Path) -> None:
    killed, cache = tmp_path / "killed", tmp_path / "cache.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "simsocial.cli.main", *map(str, args(server, killed, cache))],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while rounds_on_disk(killed) < 2:  # two rounds safely on disk, the third in flight
            assert proc.poll() is None, f"the campaign ended before it could be killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "no round was written"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not (killed / "network.parquet").exists()  # it really was killed mid-campaign
    kept = rounds_on_disk(killed)
    resumed = simsocial(*args(server, killed, cache), cwd=REPO)
    assert resumed.code == 0, resumed.output
    assert f"{kept} finished round(s) on disk were replayed without a call" in resumed.stderr

    fresh = simsocial(*args(server, tmp_path / "fresh", tmp_path / "fresh-cache.sqlite"), cwd=REPO)
    assert fresh.code == 0, fresh.output
    a, b = campaign_tables(killed), campaign_tables(tmp_path / "fresh")
    assert a["rounds.parquet"]["round"].max() == 4
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
