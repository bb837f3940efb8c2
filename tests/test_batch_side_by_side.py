"""Sweep cells side by side: one in-flight budget per endpoint shared by every cell, and the same outputs
as running the cells one after another (against a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import json
from pathlib import Path

from fault_server import FaultServer
from sweep_helpers import assert_same_runs, write_sweep

from simsocial.batch import plan_sweep, read_index, run_sweep
from simsocial.llm.factory import LLMSettings


def _run(sweep: Path, out: Path, server: FaultServer, **kwargs):
    return run_sweep(sweep, out, base_url=server.base_url, model="fake", show_progress=False,
                     llm=LLMSettings(cache_path=None, cache_mode="off"), **kwargs)  # fmt: skip


def test_cells_side_by_side_share_the_budget_and_equal_one_after_another(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct", "vs_standard"], seeds=[0, 1], dialogues=2)
    with FaultServer(schema_answers=True, ok_delay_s=0.05, record=False) as server:
        cells = plan_sweep(sweep, base_url=server.base_url, model="fake").cells
        side = _run(sweep, tmp_path / "side", server, concurrency=8)
        overlapped = server.max_in_flight
        server.state.max_in_flight = 0
        one = _run(sweep, tmp_path / "one", server, concurrency=8, cells_at_once=1)
        alone = server.max_in_flight
    assert len(cells) == 4
    assert side.ok and one.ok
    assert alone <= 2  # one cell of two dialogues at a time: at most two calls in flight
    assert 2 < overlapped <= 8  # cells overlapped, within the shared bound
    assert_same_runs(tmp_path / "side", tmp_path / "one", cells)
    assert side.stats.endpoint_calls == one.stats.endpoint_calls == 4 * 2 * 5
    for cell in cells:  # each cell's run.json counts its own calls only, not its neighbours'
        manifest = (tmp_path / "side" / cell.cell_dir / "run.json").read_text()
        assert '"endpoint_calls": 10' in manifest
    assert [r["status"] for r in read_index(tmp_path / "side")] == ["done"] * 4


def _schema_text(request) -> str:
    return json.dumps((request.body or {}).get("response_format") or {})


def test_a_small_budget_is_not_spread_over_cells(tmp_path: Path) -> None:
    # Two cells of three dialogues and three calls in flight: the first cell fills the budget, so the second
    # may start only when a dialogue of the first has ended (a slot freed) — not at once, sharing it thin.
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct", "vs_standard"], seeds=[0], dialogues=3)
    with FaultServer(schema_answers=True, ok_delay_s=0.02) as server:
        result = _run(sweep, tmp_path / "out", server, concurrency=3)
        assert server.max_in_flight <= 3
    assert result.ok
    requests = sorted(server.requests, key=lambda r: r.arrived)
    by_cell = {"direct": [r for r in requests if '"responses"' not in _schema_text(r)],
               "vs_standard": [r for r in requests if '"responses"' in _schema_text(r)]}  # fmt: skip
    assert [len(v) for v in by_cell.values()] == [3 * 5, 3 * 5]  # every call attributed to its cell
    first, second = sorted(by_cell, key=lambda m: by_cell[m][0].arrived)
    assert first == "direct"  # cells start in the sweep's order
    # A dialogue ends with its donation question: the second cell's first call comes after one of those
    # of the first cell was answered.
    first_ended = min(r.finished for r in by_cell[first] if '"amount"' in _schema_text(r))
    assert by_cell[second][0].arrived >= first_ended
    # And it never had the budget to itself while the first cell still had three dialogues talking.
    assert sum(r.arrived < by_cell[second][0].arrived for r in by_cell[first]) >= 3
