"""Batch on the real embedded model (SmolLM2-135M via llama.cpp): kill -9 of a running `simsocial batch`
and --resume, and `mesa.batch_run` with BatchRunModel."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mesa
import pandas as pd
import psutil
import pytest
import yaml

from simsocial.batch import plan_sweep, read_index, run_sweep
from simsocial.contract import SCHEMAS
from simsocial.llm.factory import LLMSettings
from simsocial.sim.mesa_batch import BatchRunModel

pytestmark = pytest.mark.llm
ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"
SORT_KEYS = {"dialogues.parquet": ["dialogue_id"], "turns.parquet": ["dialogue_id", "turn", "role", "kind"],
             "candidates.parquet": ["dialogue_id", "turn", "role", "kind", "index"]}  # fmt: skip


def test_kill_9_and_resume_on_the_embedded_model(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({"scenario": str(SCENARIO), "methods": ["direct"], "endpoints": ["embedded"],
                                     "dialogues": 3, "turns": 1, "shard_size": 1}))  # fmt: skip
    out, cache = tmp_path / "out", tmp_path / "cache.sqlite"
    cmd = [sys.executable, "-m", "simsocial.cli.main", "batch", str(sweep), "--out", str(out), "--cache", str(cache),
           "--concurrency", "1", "-q"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 240
        while not list(out.glob("cells/*/shards/part-*.dialogues.parquet")):
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "no dialogue finished"
            children = psutil.Process(proc.pid).children(recursive=True) or children
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the test's kill -9, and the cleanup if it failed before
        proc.communicate(timeout=30)
    assert read_index(out)[0]["status"] == "running"  # killed mid-cell
    assert children, "the embedded llama.cpp server should have been a child of the batch"
    _, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, "kill -9 of the batch left the embedded server running"

    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    (cell,) = plan_sweep(sweep).cells
    manifest = pd.read_json(out / cell.cell_dir / "run.json", typ="series")
    assert manifest["resumed_with_done"] >= 1

    # An uninterrupted run replaying the recorded answers gives the same dialogues, none lost or repeated.
    whole = run_sweep(sweep, tmp_path / "whole", llm=LLMSettings(cache_path=cache, cache_mode="replay"),
                      show_progress=False)  # fmt: skip
    assert whole.ok and whole.stats.endpoint_calls == 0
    for name, keys in SORT_KEYS.items():
        a = pd.read_parquet(out / cell.cell_dir / name).sort_values(keys).reset_index(drop=True)
        b = pd.read_parquet(tmp_path / "whole" / cell.cell_dir / name).sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, obj=name)
    dialogues = pd.read_parquet(out / cell.cell_dir / "dialogues.parquet")
    assert sorted(dialogues["dialogue_id"]) == ["direct-00000", "direct-00001", "direct-00002"]
    assert set(SCHEMAS) <= {p.name for p in (out / cell.cell_dir).iterdir()}


def test_mesa_batch_run_with_batch_run_model(embedded_server, tmp_path: Path) -> None:
    rows = mesa.batch_run(
        BatchRunModel,
        parameters={
            "scenario": str(SCENARIO),
            "method": "direct",
            "n_dialogues": 1,
            "max_turns": 1,
            "rng": [5],
            "base_url": embedded_server.base_url,
            "model": embedded_server.model,
            "cache_path": str(tmp_path / "cache.sqlite"),
        },  # fmt: skip
        iterations=1,
        max_steps=10,
        display_progress=False,
    )
    assert len(rows) == 1
    (row,) = rows
    assert row["method"] == "direct" and row["rng"] == 5 and row["seed"] == 5
    assert row["dialogues_finished"] == 1 and row["Step"] == 0
    scenario_grid = yaml.safe_load(SCENARIO.read_text())["donation"]["grid"]
    if row["dialogues_failed"] == 0:
        assert row["mean_final_donation"] in scenario_grid
        assert row["share_gave_zero"] in (0.0, 1.0)
    assert {"mind_change_rate", "active_dialogues", "share_agreeing", "mean_stated_amount"} <= set(row)
