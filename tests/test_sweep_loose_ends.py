"""Two sweep behaviours of issue 15: one endpoint's fatal error ends only its own cells, and resuming an
unfinished cell with fewer dialogues is refused before anything is written.  The real CLI in a
subprocess against real HTTP servers on 127.0.0.1 (tests/fault_server.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from cli_helpers import REPO, SCENARIO, snapshot
from fault_server import FaultServer

from simsocial.batch import read_index


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "simsocial.cli.main", *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=REPO)


def test_a_fatal_endpoint_ends_only_its_cells_and_the_sweep_names_it(tmp_path: Path) -> None:
    with FaultServer(schema_answers=True, record=False) as good, FaultServer(["401"] * 50) as refused:
        sweep = tmp_path / "sweep.yaml"
        sweep.write_text(yaml.safe_dump({
            "scenario": str(SCENARIO), "methods": ["direct"], "dialogues": 2, "turns": 1,
            "endpoints": [{"base_url": good.base_url, "model": "fake"},
                          {"base_url": refused.base_url, "model": "fake"}],
        }))  # fmt: skip
        done = cli("batch", sweep, "--out", tmp_path / "out", "--no-cache", "-q")
    assert done.returncode == 3, done.stderr  # some cells failed: not the whole sweep
    rows = {row["endpoint"]: row for row in read_index(tmp_path / "out")}
    assert rows[good.base_url]["status"] == "done" and rows[good.base_url]["dialogues_done"] == 2
    assert rows[refused.base_url]["status"] == "failed"
    assert f"endpoint {refused.base_url} failed" in rows[refused.base_url]["error"]
    assert f"endpoint {refused.base_url} failed" in done.stderr
    assert "other endpoints' cells ran to their end" in done.stderr


def test_resuming_an_unfinished_cell_with_fewer_dialogues_is_refused_up_front(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({"scenario": str(SCENARIO), "methods": ["direct"], "dialogues": 4, "turns": 1}))
    out = tmp_path / "out"
    with FaultServer(schema_answers=True, record=False) as server:
        common = [sweep, "--out", out, "--base-url", server.base_url, "--model", "fake", "--no-cache", "-q",
                  "--concurrency", "1"]  # fmt: skip
        stopped = cli("batch", *common, "--max-calls", "7")  # the budget stops the cell short
        assert stopped.returncode == 5, stopped.stderr
        [row] = read_index(out)
        assert row["status"] == "incomplete" and 0 < row["dialogues_done"] < 4
        before = snapshot(out)
        refused = cli("batch", *common, "--resume", "--dialogues", "3")
    assert refused.returncode == 2, refused.stderr
    assert "dialogues per method: 4 → 3" in refused.stderr
    assert snapshot(out) == before  # refused before anything was written
