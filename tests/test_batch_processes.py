"""The local multi-process executor: the same dialogues as one process, and one in-flight budget for all
workers together (against a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

from fault_server import FaultServer
from sweep_helpers import assert_same_runs, write_sweep

from simsocial.batch import plan_sweep, run_sweep
from simsocial.llm.factory import LLMSettings
from simsocial.sim.executors.processes import split_budget


def test_budget_is_split_without_exceeding_it() -> None:
    assert split_budget(16, 2) == [8, 8]
    assert split_budget(5, 2) == [3, 2]
    assert split_budget(1, 4) == [1]  # fewer slots than workers: fewer workers
    assert all(sum(split_budget(b, w)) == b for b in range(1, 40) for w in range(1, 6))


def test_worker_processes_give_the_local_results_within_one_budget(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct", "vs_standard"], dialogues=6)
    llm = LLMSettings(cache_path=None, cache_mode="off")
    with FaultServer(schema_answers=True, ok_delay_s=0.05, record=False) as server:
        run = lambda out, **kw: run_sweep(sweep, out, base_url=server.base_url, model="fake",  # noqa: E731
                                          show_progress=False, llm=llm, concurrency=3, **kw)  # fmt: skip
        spread = run(tmp_path / "processes", executor="processes", workers=2)
        assert server.max_in_flight <= 3  # two workers share the budget of three calls in flight
        local = run(tmp_path / "local")
        cells = plan_sweep(sweep, base_url=server.base_url, model="fake").cells
    assert spread.ok and local.ok
    assert_same_runs(tmp_path / "processes", tmp_path / "local", cells)
    assert spread.stats.endpoint_calls == local.stats.endpoint_calls == 2 * 6 * 5  # workers' usage reached us
