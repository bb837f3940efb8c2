"""Running sweeps against a real OpenAI-compatible HTTP server on 127.0.0.1 (tests/fault_server.py answering
valid VS JSON for each request's schema after a small delay): kill -9 and resume, Ctrl-C, the in-flight
bound and its back-off on 429, free-running vs lock-step dialogues, and the Ray executor."""

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
from cli_helpers import default_sigint
from fault_server import FaultServer
from guards import require_module
from sweep_helpers import SCENARIO, SORT_KEYS, assert_same_runs, contents, write_sweep

from simsocial.batch import plan_sweep, read_index, run_sweep
from simsocial.contract import CANDIDATES_FILE, DIALOGUES_FILE, TURNS_FILE
from simsocial.llm.factory import LLMSettings
from simsocial.llm.runtime import LLMRuntime
from simsocial.llm.types import ChatRequest
from simsocial.sim import PersuasionModel, load_scenario, parse_condition, run_simulation


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True, ok_delay_s=0.03, record=False) as srv:
        yield srv


def shards_done(out: Path) -> int:
    return len(list(out.glob("cells/*/shards/part-*.dialogues.parquet")))


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; any still running at its end (a failed test) are killed."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


def start_batch(
    procs: list[subprocess.Popen[str]], sweep: Path, out: Path, server: FaultServer, cache: Path, *extra: str
) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "simsocial.cli.main", "batch", str(sweep), "--out", str(out),
           "--base-url", server.base_url, "--model", "fake", "--cache", str(cache), "--concurrency", "2", "-q",
           *extra]  # fmt: skip
    procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  preexec_fn=default_sigint))  # fmt: skip
    return procs[-1]


def wait_for_new_shard(proc: subprocess.Popen[str], out: Path, before: int, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while shards_done(out) <= before:
        assert proc.poll() is None, f"batch ended before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "no shard was written"
        time.sleep(0.01)


def test_kill_9_twice_then_resume_equals_an_uninterrupted_run(tmp_path: Path, server: FaultServer, started) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml")
    out, cache = tmp_path / "killed", tmp_path / "killed-cache.sqlite"
    for attempt in range(2):  # kill -9 as soon as a new shard lands, twice, the second time while resuming
        proc = start_batch(started, sweep, out, server, cache, *(["--resume"] if attempt else []))
        wait_for_new_shard(proc, out, shards_done(out))
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        assert {row["status"] for row in read_index(out)} != {"done"}  # really stopped before the end
    proc = start_batch(started, sweep, out, server, cache, "--resume")
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "cells" in stdout and "simsocial compare" in stdout

    whole = run_sweep(sweep, tmp_path / "whole", base_url=server.base_url, model="fake", concurrency=2,
                      llm=LLMSettings(cache_path=tmp_path / "whole-cache.sqlite"), show_progress=False)  # fmt: skip
    assert whole.ok
    cells = plan_sweep(sweep, base_url=server.base_url, model="fake").cells
    assert_same_runs(out, tmp_path / "whole", cells)
    index = read_index(out)
    assert [(r["status"], r["dialogues_done"]) for r in index] == [("done", 8)] * len(cells)
    manifests = [pd.read_json(out / c.cell_dir / "run.json", typ="series") for c in cells]
    assert sum(m["resumed_with_done"] for m in manifests) > 0  # the resumed process skipped finished dialogues


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path: Path, server: FaultServer, started) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", dialogues=30)
    out = tmp_path / "out"
    proc = start_batch(started, sweep, out, server, tmp_path / "cache.sqlite")
    wait_for_new_shard(proc, out, 0)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Resume with" in stderr and "--resume" in stderr and "Traceback" not in stderr
    statuses = [row["status"] for row in read_index(out)]
    assert statuses[0] == "interrupted" and statuses[1] == "pending"


def test_resume_refuses_a_different_sweep(tmp_path: Path, server: FaultServer) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct"], dialogues=2)
    out = tmp_path / "out"
    run = lambda **kw: run_sweep(sweep, out, base_url=server.base_url, model="fake", show_progress=False,  # noqa: E731
                                 llm=LLMSettings(cache_path=tmp_path / "c.sqlite"), **kw)  # fmt: skip
    assert run().ok
    write_sweep(sweep, methods=["direct", "sequence"], dialogues=2)
    with pytest.raises(ValueError, match="expands to different cells"):
        run(resume=True)
    # More dialogues per cell is allowed: the finished ones are kept, the cell is extended.
    write_sweep(sweep, methods=["direct"], dialogues=3)
    extended = run(resume=True)
    assert extended.ok and extended.stats.endpoint_calls == 5  # only the third dialogue (2 turns + donation)
    assert len(pd.read_parquet(out / extended.cells[0].cell_dir / DIALOGUES_FILE)) == 3


def test_in_flight_calls_are_bounded_and_back_off_on_429(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO)
    scenario = scenario.model_copy(update={"turns": scenario.turns.model_copy(update={"max_turns": 2})})
    condition = parse_condition("vs_standard", scenario)
    limit = 6
    with FaultServer(["429"] * limit, schema_answers=True, ok_delay_s=0.05) as server:
        settings = LLMSettings(base_url=server.base_url, model="fake", cache_path=None, cache_mode="off",
                               structured_output="json_schema", max_in_flight=limit, max_wait_s=0.05,
                               preflight=False)  # fmt: skip  # the scripted 429s are for the dialogues' calls
        with LLMRuntime(settings) as runtime:
            limiter = runtime.stack.limiter
            seen: list[tuple[int, float]] = []  # (calls in flight, limit) as each call reaches the backend
            backend_chat = limiter.inner.chat

            async def watched(request: ChatRequest):
                seen.append((limiter.in_flight, limiter.limit))
                return await backend_chat(request)

            limiter.inner.chat = watched  # type: ignore[method-assign]
            result = run_simulation(scenario, [condition], 4 * limit, 0, tmp_path / "run", settings,
                                    runtime=runtime, max_active=limit, show_progress=False)  # fmt: skip
        assert server.max_in_flight <= limit
    assert result.manifest["counts"]["status"] == {"ok": 4 * limit}  # every 429 was retried
    assert result.manifest["usage"]["retries"] == limit
    assert limiter.backoffs == limit
    assert all(in_flight <= int(lim) <= limit for in_flight, lim in seen)
    first_ok = limit  # the first `limit` calls got 429s; the limit had halved down to one slot by then
    assert min(lim for _, lim in seen) == 1.0
    assert max(in_flight for in_flight, _ in seen[:first_ok]) == limit  # all dialogues' first calls overlapped
    assert limiter.limit == limit  # ... and recovered additively to the full bound
    assert max(in_flight for in_flight, _ in seen[first_ok + limit :]) == limit  # used again after recovery


def test_free_running_dialogues_equal_lock_step_turns(tmp_path: Path, server: FaultServer) -> None:
    scenario = load_scenario(SCENARIO)
    scenario = scenario.model_copy(update={"turns": scenario.turns.model_copy(update={"max_turns": 3})})
    conditions = [parse_condition(m, scenario) for m in ("direct", "vs_standard")]
    settings = LLMSettings(base_url=server.base_url, model="fake", cache_path=None, cache_mode="off")
    free = run_simulation(scenario, conditions, 5, 4, tmp_path / "free", settings, max_active=3,
                          run_id="r", show_progress=False)  # fmt: skip
    rows = []
    with LLMRuntime(settings) as runtime:
        model = PersuasionModel(scenario, conditions, 5, rng=4, runtime=runtime, max_active=3, run_id="r",
                                on_dialogue_done=lambda d: rows.append(d.rows()))  # fmt: skip
        model.run_to_end()
    assert model.steps > 3  # dialogues were admitted over several turns
    lock = {
        DIALOGUES_FILE: pd.DataFrame([r.dialogue for r in rows]),
        TURNS_FILE: pd.DataFrame([t for r in rows for t in r.turns]),
        CANDIDATES_FILE: pd.DataFrame([c for r in rows for c in r.candidates]),
    }
    mine = contents(free.out_dir)
    for name, frame in lock.items():
        frame = frame.sort_values(SORT_KEYS[name]).reset_index(drop=True)
        expected = mine[name]
        assert len(frame) == len(expected) > 0
        for column in ("dialogue_id", "text", "label", "chosen_index", "final_donation", "stated_amount"):
            if column in expected:
                pd.testing.assert_series_equal(frame[column], expected[column], check_dtype=False, obj=name)


@pytest.mark.ray
def test_ray_executor_gives_the_same_results_as_local(tmp_path: Path, server: FaultServer) -> None:
    ray = require_module("ray")
    sweep = write_sweep(tmp_path / "sweep.yaml", dialogues=6)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        from simsocial.sim.executors.ray_executor import RayExecutor

        remote = run_sweep(sweep, tmp_path / "ray", base_url=server.base_url, model="fake", show_progress=False,
                           executor=RayExecutor(chunk_size=2), concurrency=2,
                           llm=LLMSettings(cache_path=tmp_path / "ray-cache.sqlite"))  # fmt: skip
    finally:
        ray.shutdown()
    local = run_sweep(sweep, tmp_path / "local", base_url=server.base_url, model="fake", show_progress=False,
                      llm=LLMSettings(cache_path=tmp_path / "local-cache.sqlite"))  # fmt: skip
    assert remote.ok and local.ok
    assert_same_runs(tmp_path / "ray", tmp_path / "local", remote.cells)
    # Usage counted in the workers reaches the driver's manifest.
    manifest = pd.read_json(tmp_path / "ray" / remote.cells[1].cell_dir / "run.json", typ="series")
    assert manifest["usage"]["endpoint_calls"] == 6 * 5
    assert remote.stats.endpoint_calls == local.stats.endpoint_calls == 2 * 6 * 5
