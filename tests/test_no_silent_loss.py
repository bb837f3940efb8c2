"""The end-of-run invariant, executor by executor: a dialogue played but not written fails the run loudly
(its id named, non-zero exit, run marked incomplete), and running again (``--resume``) plays it.

The loss is planted through the documented test hook ``SIMSOCIAL_TEST_LOSE_DIALOGUE``
(:mod:`simsocial.sim.executors.test_hook`): the local executor does not hand that dialogue to the writer;
process workers play it and never send it.  The real CLI in a subprocess, against a real HTTP server on
127.0.0.1 (tests/fault_server.py).  The Ray executor's test is in test_batch_ray_cluster.py (its cluster).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_helpers import REPO, SCENARIO
from fault_server import FaultServer
from test_batch_run import write_sweep

from simsocial.batch import read_index
from simsocial.sim.executors.test_hook import LOSE_ENV


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True, record=False) as running:
        yield running


def cli(*args: str | Path, lose: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The real CLI; ``lose`` sets the test hook for this one command only."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop(LOSE_ENV, None)
    if lose is not None:
        env[LOSE_ENV] = lose
    cmd = [sys.executable, "-m", "simsocial.cli.main", *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO)


def ids(path: Path) -> list[str]:
    return sorted(pq.read_table(path, columns=["dialogue_id"]).column(0).to_pylist())


def test_run_fails_loudly_on_a_lost_dialogue_and_the_same_command_plays_it(tmp_path, server) -> None:
    out = tmp_path / "run"
    args = ["run", SCENARIO, "-n", "3", "--turns", "2", "-m", "direct", "--base-url", server.base_url, "--model",
            "fake", "--out", out, "--no-cache", "-q", "--no-transcript"]  # fmt: skip
    lost = cli(*args, lose="direct-00001")
    assert lost.returncode == 1, lost.stderr
    assert "1 dialogue(s) were played but not written: direct-00001" in lost.stderr
    assert "Run the same command again to resume" in lost.stderr
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["lost"]["missing"] == ["direct-00001"]
    assert (out / "shards").is_dir()  # kept: the resume plays only what is missing
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert ids(out / "dialogues.parquet") == ["direct-00000", "direct-00001", "direct-00002"]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["counts"]["dialogues"] == 3 and "lost" not in manifest
    # Two invocations, the second one playing the lost dialogue alone; usage is their total.
    first, second = manifest["invocations"]
    assert second["dialogues_written"] == 1
    assert manifest["usage"]["calls"] == first["usage"]["calls"] + second["usage"]["calls"]
    assert second["usage"]["calls"] == first["usage"]["calls"] // 3  # one dialogue's calls of three


@pytest.mark.parametrize("executor", ["local", "processes"])
def test_batch_cell_fails_loudly_on_a_lost_dialogue_and_resume_plays_it(tmp_path, server, executor) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct"], dialogues=4)
    out = tmp_path / "sweep"
    args = ["batch", sweep, "--out", out, "--base-url", server.base_url, "--model", "fake", "--no-cache", "-q",
            "--executor", executor, *(["--workers", "2"] if executor == "processes" else [])]  # fmt: skip
    lost = cli(*args, lose="direct-00002")
    assert lost.returncode != 0, lost.stderr
    assert "played but not written: direct-00002" in lost.stderr
    [row] = read_index(out)
    assert row["status"] == "incomplete" and "direct-00002" in row["error"]
    cell = out / row["cell_dir"]
    assert json.loads((cell / "run.json").read_text())["lost"]["missing"] == ["direct-00002"]
    resumed = cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    [row] = read_index(out)
    assert row["status"] == "done" and row["dialogues_done"] == 4
    assert ids(cell / "dialogues.parquet") == [f"direct-{r:05d}" for r in range(4)]


def test_resume_replays_nothing_and_retry_failed_replays_the_failed_with_the_same_seeds(tmp_path, server) -> None:
    from test_batch_run import contents

    def args(url: str, out: Path) -> list[str | Path]:
        return ["run", SCENARIO, "-n", "2", "--turns", "1", "-m", "direct", "--base-url", url, "--model", "fake",
                "--out", out, "--no-cache", "-q", "--no-transcript", "-c", "1", "--structured-output",
                "json_schema"]  # fmt: skip

    out = tmp_path / "run"
    with FaultServer(["ok", "400"], schema_answers=True) as flaky:  # pre-flight, then one refused call, then ok
        failed = cli(*args(flaky.base_url, out))
        assert failed.returncode == 3, failed.stderr
        assert "1 failed dialogue(s) are kept in" in failed.stderr and "--retry-failed" in failed.stderr
        before = contents(out)
        resumed = cli(*args(flaky.base_url, out))  # a plain resume: the run is complete, nothing is played again
        assert resumed.returncode == 3 and "already holds all 2 dialogue(s)" in resumed.stderr
        for name, frame in contents(out).items():
            assert frame.equals(before[name]), name
        retried = cli(*args(flaky.base_url, out), "--retry-failed")
        assert retried.returncode == 0, retried.stderr
        fresh = cli(*args(flaky.base_url, tmp_path / "fresh"))  # never failed: the retried dialogue equals its twin
        assert fresh.returncode == 0, fresh.stderr
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["counts"]["status"] == {"ok": 2}
    assert manifest["invocations"][-1]["retried_failed"] == 1 and manifest["invocations"][-1]["dialogues_written"] == 1
    for name, frame in contents(tmp_path / "fresh").items():
        assert frame.equals(contents(out)[name]), name
