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
from simsocial.sim.conditions import parse_condition
from simsocial.sim.mesa_batch import BatchRunModel
from simsocial.sim.model import PersuasionModel
from simsocial.sim.scenario import load_scenario

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
    """The row is its seed's model run to its end, its reporters those of the dialogues the seed plays."""
    cache = tmp_path / "cache.sqlite"
    rows = mesa.batch_run(
        BatchRunModel,
        parameters={
            "scenario": str(SCENARIO),
            "method": "direct",
            "n_dialogues": 2,
            "max_turns": 1,
            "rng": [5],
            "base_url": embedded_server.base_url,
            "model": embedded_server.model,
            "cache_path": str(cache),
        },  # fmt: skip
        iterations=1,
        max_steps=10,
        display_progress=False,
    )
    assert [row["rng"] for row in rows] == [5]  # one row per run, taken at its last step
    for row in rows:
        assert row["method"] == "direct" and row["seed"] == row["rng"]
        assert row["Step"] == 0  # one turn is one step: the model stopped itself, far before max_steps
        assert (row["dialogues_finished"], row["active_dialogues"]) == (2, 0)
        # The same seed played again by the model itself, every answer replayed from the batch's cache (a
        # call the batch did not make fails the dialogue): the reporters, recomputed here from its rows.
        dialogues = _replayed(row["seed"], embedded_server, cache)
        assert dialogues["status"].eq("ok").sum() == 2 - row["dialogues_failed"]
        donations = dialogues["final_donation"].dropna()
        assert row["mean_final_donation"] == (donations.mean() if len(donations) else None)
        assert row["share_gave_zero"] == (donations.eq(0).mean() if len(donations) else None)
        assert row["mind_change_rate"] == dialogues["mind_changes"].gt(0).mean()


def _replayed(seed: int, server, cache: Path) -> pd.DataFrame:
    settings = LLMSettings(base_url=server.base_url, model=server.model, cache_path=cache, cache_mode="replay")
    scenario = load_scenario(SCENARIO, max_turns=1)
    model = PersuasionModel(scenario, [parse_condition("direct", scenario)], 2, rng=seed, llm=settings)
    model.run_to_end()
    stats = model.runtime.stack.stats
    assert (stats.endpoint_calls, stats.failures) == (0, 0) and stats.cache_hits == stats.calls > 0
    frame = model.dialogues_frame()
    assert len(frame) == 2
    return frame
