"""Run a sweep: every cell through :func:`simsocial.sim.runner.run_simulation`, checkpointed, resumable.

Layout of a sweep directory ``DIR``::

    DIR/sweep.json            what was asked: sweep file, its settings, overrides, scenario fingerprint
    DIR/sweep.parquet         one row per cell, status kept current (:mod:`simsocial.batch.index`)
    DIR/cells/<cell_id>/      each cell's run directory (the output contract), written in shards

Nothing is lost on a crash or ``kill -9``: each cell's finished dialogues are on disk in shards, and
``--resume`` re-expands the sweep, checks it describes the same cells made with the same settings
(:mod:`simsocial.batch.cell_check`), skips finished cells and lets ``run_simulation`` skip finished
dialogues.  With the response cache, a resumed sweep's results equal an
uninterrupted run's (each dialogue's randomness depends only on its seed, replicate and condition).
Cells run side by side (:mod:`simsocial.batch.side_by_side`), all cells on an endpoint sharing its
``concurrency`` calls in flight; within a cell up to ``concurrency`` dialogues run at once (locally, or
spread over Ray workers by :mod:`simsocial.sim.executors.ray_executor`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simsocial.batch.budget_run import spent_of
from simsocial.batch.cell_check import check_cells_unchanged
from simsocial.batch.cells import Cell, expand_cells
from simsocial.batch.endpoints import EndpointPool
from simsocial.batch.executor_choice import ExecutorName, join_cluster, make_executor
from simsocial.batch.index import (
    DONE,
    FAILED,
    INCOMPLETE,
    INTERRUPTED,
    RUNNING,
    SweepIndex,
    now,
)
from simsocial.batch.side_by_side import SideBySide
from simsocial.batch.sweep import Endpoint, Sweep, SweepError, load_sweep, sweep_scenario
from simsocial.batch.sweep_dir import SWEEP_MANIFEST, prepare_out_dir
from simsocial.batch.sweep_progress import cell_dialogues_on_disk, running_label
from simsocial.llm.budget import Budget, BudgetGate
from simsocial.llm.errors import FatalLLMError, LLMError
from simsocial.llm.roles import RoleEndpoint, check_role_key
from simsocial.llm.runtime import CellRuntime
from simsocial.llm.settings import LLMSettings
from simsocial.llm.stats import CallStats, StatsTotal
from simsocial.rundir.state import dialogues_on_disk, failed_on_disk
from simsocial.rundir.writer import atomic_write_text
from simsocial.sim.executors import DialogueExecutor
from simsocial.sim.invariant import DialoguesLostError
from simsocial.sim.progress import RunProgress, expected_calls
from simsocial.sim.runner import RunResult, run_simulation
from simsocial.sim.scenario import Scenario, TurnsError


@dataclass(frozen=True)
class SweepPlan:
    """A loaded sweep with command-line overrides applied, expanded into cells."""

    sweep: Sweep
    scenario: Scenario
    scenario_path: Path
    cells: list[Cell]
    record: dict[str, Any]  # what sweep.json says about this invocation


@dataclass
class SweepResult:
    out_dir: Path
    cells: list[Cell]
    status: dict[str, str]  # cell_id -> final status
    errors: dict[str, str] = field(default_factory=dict)
    stats: CallStats = field(default_factory=CallStats)
    budget_stopped: bool = False  # the budget stopped admitting dialogues (cells incomplete or pending)
    dead_endpoints: dict[str, str] = field(default_factory=dict)  # endpoint -> the fatal error that ended its cells

    @property
    def ok(self) -> bool:
        return all(s == DONE for s in self.status.values())


def plan_sweep(
    sweep_path: str | Path,
    *,
    dialogues: int | None = None,
    base_url: str | None = None,
    model: str | None = None,
    turns: int | None = None,
    persuader: RoleEndpoint | None = None,
) -> SweepPlan:
    """Load a sweep, apply the command-line overrides and expand it into cells.

    ``base_url``/``model`` point every cell at one endpoint; ``dialogues`` overrides the dialogues per cell,
    ``turns`` the turns per dialogue.
    """
    sweep, scenario_path = load_sweep(sweep_path)
    if turns is not None:
        sweep = sweep.model_copy(update={"turns": turns})
    if base_url or model:
        try:
            endpoint = Endpoint(base_url=base_url, model=model)
        except ValueError as exc:
            raise SweepError(f"--base-url/--model: {exc}") from None
        sweep = sweep.model_copy(update={"endpoints": [endpoint]})
    if persuader is not None:  # --persuader-base-url/--persuader-model override the file's persuader_endpoint
        sweep = sweep.model_copy(update={"persuader_endpoint": persuader})
    try:
        scenario = sweep_scenario(sweep, scenario_path, turns_option="--turns" if turns is not None else "turns")
    except TurnsError as exc:
        raise SweepError(str(exc) if turns is not None else f"{sweep_path}: {exc}") from None
    try:
        cells = expand_cells(sweep, scenario, dialogues)
    except ValueError as exc:
        raise SweepError(f"{sweep_path}: {exc}") from None
    fingerprint = hashlib.sha256(json.dumps(scenario.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    record = {
        "sweep_file": str(Path(sweep_path).resolve()),
        "sweep": sweep.model_dump(mode="json"),
        "overrides": {"dialogues": dialogues, "base_url": base_url, "model": model, "turns": turns},
        "scenario_fingerprint": fingerprint[:16],
        "cells": [c.cell_id for c in cells],
    }
    return SweepPlan(sweep, scenario, scenario_path, cells, record)


def run_sweep(
    sweep_path: str | Path,
    out_dir: str | Path,
    *,
    resume: bool = False,
    executor: ExecutorName | DialogueExecutor = "local",
    address: str | None = None,
    dialogues: int | None = None,
    base_url: str | None = None,
    model: str | None = None,
    llm: LLMSettings | None = None,
    concurrency: int = 16,
    shard_size: int | None = None,
    gguf: Path | None = None,
    show_progress: bool = True,
    turns: int | None = None,
    cells_at_once: int | None = None,
    budget: Budget | None = None,
    workers: int | None = None,
    persuader: RoleEndpoint | None = None,
    retry_failed: bool = False,
) -> SweepResult:
    """Run (or resume) every cell of a sweep into ``out_dir``; see the module doc.

    ``llm`` holds the call settings every endpoint shares (cache, retries, timeouts, dialect);
    its ``max_in_flight`` is set to ``concurrency``.  ``executor`` is ``"local"``, ``"ray"`` (with
    ``address`` of a running cluster, or a local one) or any :class:`DialogueExecutor`.  Cells that fail
    as a whole (their endpoint cannot be reached at all) are marked ``failed`` and the sweep goes on; a
    resume whose settings differ from a cell's on disk raises :class:`SweepError` before anything is written.
    KeyboardInterrupt marks the running cells ``interrupted`` and propagates.  Cells run side by side
    (:mod:`simsocial.batch.side_by_side`), at most ``cells_at_once`` at a time (default: as many as the
    in-flight budget can keep busy); every cell on an endpoint shares its ``concurrency`` calls in flight.
    ``executor="processes"`` spreads each cell's dialogues over ``workers`` local processes
    (:mod:`simsocial.sim.executors.processes`), the ``concurrency`` budget divided among them.
    ``budget`` (calls/tokens for this invocation) stops admitting dialogues before it would be exceeded:
    cells cut short are marked ``incomplete`` (sweep.parquet and their run.json), cells not started stay
    ``pending``, and ``result.budget_stopped`` is set; ``--resume`` continues.  ``retry_failed`` plays
    the failed dialogues of every cell again (same seeds), finished cells included.  A fatal error of one
    endpoint ends only its cells (``failed``, ``result.dead_endpoints``); it is raised only when every
    endpoint with cells to run is gone.
    """
    out_dir = Path(out_dir)
    # The sweep and its key variables are checked before any worker starts or any file is written.
    plan = plan_sweep(sweep_path, dialogues=dialogues, base_url=base_url, model=model, turns=turns,
                      persuader=persuader)  # fmt: skip
    if plan.sweep.persuader_endpoint is not None:
        try:
            check_role_key(plan.sweep.persuader_endpoint, "persuader_endpoint.api_key_env" if persuader is None
                           else "--persuader-api-key-env")  # fmt: skip
        except ValueError as exc:
            raise SweepError(str(exc) if persuader is not None else f"{sweep_path}: {exc}") from None
    run_cells = make_executor(executor, address, workers)
    if budget is not None and budget.limited and run_cells is not None:
        raise SweepError("--max-calls/--max-tokens need the local executor (workers elsewhere run what they are given)")
    cells = plan.cells
    previous = prepare_out_dir(out_dir, plan.record, cells, resume)
    settings = (llm or LLMSettings()).model_copy(update={"max_in_flight": concurrency})
    if settings.cache_path is not None:
        settings = settings.model_copy(update={"cache_path": Path(settings.cache_path).resolve()})  # for workers
    endpoint_stats = CallStats()  # what the endpoint runtimes count themselves (nothing: cells count)
    pool = EndpointPool(settings, endpoint_stats, gguf)  # opens nothing until a cell starts
    finished = frozenset(r["cell_id"] for r in previous or [] if r.get("status") == DONE)
    check_cells_unchanged(out_dir, plan.scenario, cells, pool, plan.sweep.persuader_endpoint, finished)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # prompts and answers: this user's only
    atomic_write_text(out_dir / SWEEP_MANIFEST, json.dumps(plan.record, indent=2))
    index = SweepIndex(out_dir, cells, previous)
    cell_stats: dict[str, CallStats] = {}
    total_stats = StatsTotal()
    result = SweepResult(out_dir, cells, {}, stats=CallStats())
    total = sum(c.dialogues for c in cells)
    retry = {c.cell_id for c in cells if retry_failed and failed_on_disk(out_dir / c.cell_dir)}
    done_before = {c.cell_id: cell_dialogues_on_disk(out_dir / c.cell_dir, c.dialogues)
                   - (failed_on_disk(out_dir / c.cell_dir) if c.cell_id in retry else 0) for c in cells}  # fmt: skip
    todo = [c for c in cells if index.status(c.cell_id) != DONE or c.cell_id in retry]
    for cell in cells:
        if index.status(cell.cell_id) == DONE and cell.cell_id not in retry:
            result.status[cell.cell_id] = DONE
    gate = BudgetGate(budget, spent_of(lambda: total_stats)) if budget is not None and budget.limited else None
    if run_cells is not None:
        # Workers elsewhere take the endpoint's whole budget for the cell they run: one cell at a time.
        cells_at_once = 1
    if hasattr(run_cells, "_ensure_ray"):
        join_cluster(run_cells, address)  # once, before any cell: a cluster we cannot join fails no cell

    def run_cell(cell: Cell, progress: Callable[[int], None]) -> RunResult:
        if (fatal := dead.get(cell.endpoint.key())) is not None:
            raise fatal  # its endpoint failed fatally (here or in an earlier cell): nothing of it runs
        return run_simulation(
            plan.scenario, [cell.condition], cell.dialogues, cell.seed, out_dir / cell.cell_dir,
            pool.settings_for(cell.endpoint), runtime=CellRuntime(runtimes[cell.cell_id], cell_stats[cell.cell_id]),
            max_active=concurrency, scenario_path=str(plan.scenario_path), run_id=cell.cell_id,
            show_progress=False, shard_size=shard_size or plan.sweep.shard_size,
            extra_manifest={"sweep": {"dir": str(out_dir), **cell.settings()}},
            executor=run_cells, on_progress=progress, retry_failed=retry_failed, budget=budget, gate=gate,
        )  # fmt: skip

    runtimes: dict[str, Any] = {}
    dead: dict[str, FatalLLMError] = {}  # endpoint key -> the fatal error that ended its cells

    def on_start(cell: Cell) -> None:
        # Opened here, in the calling thread; the persuader on its own endpoint when the sweep names one.
        if cell.endpoint.key() not in dead:
            try:
                runtimes[cell.cell_id] = pool.runtime_for(cell.endpoint, plan.sweep.persuader_endpoint)
            except FatalLLMError as exc:  # its pre-flight refused it: only this endpoint's cells end
                dead[cell.endpoint.key()] = exc
        cell_stats[cell.cell_id] = stats = CallStats()
        total_stats.parts.append(stats)
        index.update(cell.cell_id, status=RUNNING, started=index.rows[cell.cell_id]["started"] or now())
        running.add(cell.label)
        bar.set_description(running_label(running, len(cells)))
        bar.expect(*expected_calls([cell.condition], cell.max_turns), concurrency)

    def on_end(cell: Cell, run: RunResult | None, exc: BaseException | None) -> None:
        running.discard(cell.label)
        bar.set_description(running_label(running, len(cells)))
        if isinstance(exc, KeyboardInterrupt):
            index.update(cell.cell_id, status=INTERRUPTED)
            result.status[cell.cell_id] = INTERRUPTED
        elif isinstance(exc, DialoguesLostError):  # loud, and resumable: --resume plays the missing ones
            _short_cell(index, result, cell, str(exc))
        elif isinstance(exc, FatalLLMError):  # the endpoint is gone: its cells end, the other endpoints' go on
            why = _endpoint_error(cell, dead.setdefault(cell.endpoint.key(), exc))
            index.update(cell.cell_id, status=FAILED, error=why[:2000], finished=now())
            result.status[cell.cell_id] = FAILED
            result.errors[cell.cell_id] = why
        elif isinstance(exc, LLMError | OSError | ValueError):
            index.update(cell.cell_id, status=FAILED, error=str(exc)[:2000], finished=now())
            result.status[cell.cell_id] = FAILED
            result.errors[cell.cell_id] = str(exc)
        elif exc is not None:
            raise exc  # a bug: surface it
        else:
            assert run is not None
            written = int(run.manifest["counts"]["dialogues"])
            status = DONE if written >= cell.dialogues else INCOMPLETE
            if status == INCOMPLETE and not (gate is not None and gate.stopped):  # short, and no budget stopped it
                _short_cell(index, result, cell, f"{written} of {cell.dialogues} dialogue(s) written and no budget "
                            "stopped the cell (a bug); it is marked incomplete: --resume plays the rest")  # fmt: skip
                return
            index.update(cell.cell_id, status=status, dialogues_done=written, error=None, finished=now())
            result.status[cell.cell_id] = status

    running: set[str] = set()
    scheduler = SideBySide(run_cell, lambda c: c.dialogues - done_before[c.cell_id], concurrency,
                           max_cells=cells_at_once, may_start=lambda: gate is None or not gate.stopped)  # fmt: skip
    try:
        with RunProgress(total, sum(done_before.values()), total_stats, enabled=show_progress,  # type: ignore[arg-type]
                         description="sweep") as bar:  # fmt: skip
            try:
                scheduler.run(todo, on_start, lambda _cell, n: bar.advance(n), on_end)
            except KeyboardInterrupt:
                for cell in todo:
                    if index.status(cell.cell_id) == RUNNING:
                        index.update(cell.cell_id, status=INTERRUPTED)
                        result.status[cell.cell_id] = INTERRUPTED
                raise
        if dead and {c.endpoint.key() for c in todo} <= dead.keys():
            raise next(iter(dead.values()))  # every endpoint is gone: the sweep stops, as a run does
        result.dead_endpoints = {key: _endpoint_error(next(c for c in todo if c.endpoint.key() == key), exc)
                                 for key, exc in dead.items()}  # fmt: skip
    finally:
        result.stats.merge(total_stats.total())
        result.budget_stopped = gate is not None and gate.stopped
        if isinstance(executor, str) and hasattr(run_cells, "close"):
            run_cells.close()  # worker processes this call started
        pool.close()
    return result


def _endpoint_error(cell: Cell, exc: FatalLLMError) -> str:
    """The fatal error, naming the endpoint whose cells it ends."""
    return str(exc) if str(exc).startswith("endpoint ") else f"endpoint {cell.endpoint.name} failed: {exc}"


def _short_cell(index: SweepIndex, result: SweepResult, cell: Cell, why: str) -> None:
    """A cell that ended without all its dialogues, not by a budget: incomplete (resumable), and said."""
    index.update(cell.cell_id, status=INCOMPLETE, dialogues_done=dialogues_on_disk(result.out_dir / cell.cell_dir),
                 error=why[:2000], finished=now())  # fmt: skip
    result.status[cell.cell_id] = INCOMPLETE
    result.errors[cell.cell_id] = why
