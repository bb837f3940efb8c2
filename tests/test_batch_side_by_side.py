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
                     llm=LLMSettings(cache_path=None, cache_mode="off", preflight=False), **kwargs)  # fmt: skip


def test_cells_side_by_side_share_the_budget_and_equal_one_after_another(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct", "vs_standard"], seeds=[0, 1], dialogues=2)
    with FaultServer(schema_answers=True, ok_delay_s=0.05, record=False, together_n=3) as server:
        cells = plan_sweep(sweep, base_url=server.base_url, model="fake").cells
        # The first call settles the structured-output dialect alone; the next three are answered once three
        # calls (more than one cell of two dialogues can have) are in flight together.
        server.push("ok", "together", "together", "together")
        side = _run(sweep, tmp_path / "side", server, concurrency=8)
        overlapped = server.max_in_flight
        server.state.max_in_flight = 0
        one = _run(sweep, tmp_path / "one", server, concurrency=8, cells_at_once=1)
        alone = server.max_in_flight
    assert len(cells) == 4
    assert side.ok and one.ok
    assert alone <= 2  # one cell of two dialogues at a time: at most two calls in flight
    assert server.together_missed == 0 and 2 < overlapped <= 8  # cells overlapped, within the shared bound
    assert_same_runs(tmp_path / "side", tmp_path / "one", cells)
    assert side.stats.endpoint_calls == one.stats.endpoint_calls == 4 * 2 * 5
    for cell in cells:  # each cell's run.json counts its own calls only, not its neighbours'
        manifest = (tmp_path / "side" / cell.cell_dir / "run.json").read_text()
        assert '"endpoint_calls": 10' in manifest
    assert [r["status"] for r in read_index(tmp_path / "side")] == ["done"] * 4


def _schema_text(request) -> str:
    return json.dumps((request.body or {}).get("response_format") or {})


def _asks_for_the_donation(request) -> bool:
    # The donation question shows the whole conversation ("Conversation: ..."); utterances show it so far.
    return request.body["messages"][-1]["content"].startswith("Conversation:")


def test_a_small_budget_is_not_spread_over_cells(tmp_path: Path) -> None:
    # Two cells of six dialogues and three calls in flight: the first cell fills the budget, so the second may
    # start only once the first has fewer than three dialogues left, i.e. after four of them ended — not at
    # once, sharing the three calls thin.  (A dialogue ends with its donation question.)
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["direct", "vs_standard"], seeds=[0], dialogues=6)
    with FaultServer(schema_answers=True, ok_delay_s=0.05) as server:
        result = _run(sweep, tmp_path / "out", server, concurrency=3)
        assert server.max_in_flight <= 3
    assert result.ok
    calls = sorted((r for r in server.requests if r.body.get("response_format")), key=lambda r: r.arrived)
    by_cell = {"direct": [r for r in calls if '"responses"' not in _schema_text(r)],
               "vs_standard": [r for r in calls if '"responses"' in _schema_text(r)]}  # fmt: skip
    assert [len(v) for v in by_cell.values()] == [6 * 5, 6 * 5]  # every call (but the pre-flight) has its cell
    assert [sum(map(_asks_for_the_donation, v)) for v in by_cell.values()] == [6, 6]
    first, second = by_cell["direct"], by_cell["vs_standard"]
    assert first[0].arrived < second[0].arrived  # cells start in the sweep's order
    ended = sorted(r.finished for r in first if _asks_for_the_donation(r))
    assert second[0].arrived >= ended[3]
