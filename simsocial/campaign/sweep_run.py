"""Run a campaign sweep: every cell through :func:`~simsocial.campaign.runner.run_campaign`, resumable.

The sweep directory is laid out as a run sweep's (``sweep.json``, ``sweep.parquet``, ``cells/<cell_id>/``),
each cell a normal campaign directory.  The machinery is the run sweep's: cells side by side sharing each
endpoint's runtime and in-flight limit (:mod:`simsocial.batch.side_by_side`, :mod:`simsocial.batch.endpoints`),
``--resume`` checked against ``sweep.json`` and every cell's fingerprint before anything is written, the
executor (local, worker processes, a Ray cluster) playing each round's dialogues, and one budget gate for
all cells (whole rounds are admitted: :mod:`simsocial.campaign.budget`).  A cell resumes at its last
finished round; a cell done before is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simsocial.batch.endpoints import EndpointPool
from simsocial.batch.executor_choice import ExecutorName, join_cluster, make_executor
from simsocial.batch.index import DONE, FAILED, INCOMPLETE, INTERRUPTED, RUNNING, now
from simsocial.batch.side_by_side import SideBySide
from simsocial.batch.sweep import Endpoint, SweepError
from simsocial.batch.sweep_dir import SWEEP_MANIFEST, prepare_out_dir
from simsocial.campaign.budget import spent_of
from simsocial.campaign.runner import CampaignResult, campaign_fingerprint, run_campaign
from simsocial.campaign.sweep import CampaignCell, CampaignSweep, expand_campaign_cells, load_campaign_sweep
from simsocial.campaign.sweep_index import CampaignSweepIndex
from simsocial.llm.budget import Budget, BudgetGate
from simsocial.llm.errors import FatalLLMError, LLMError
from simsocial.llm.runtime import CellRuntime
from simsocial.llm.settings import LLMSettings
from simsocial.llm.stats import CallStats, StatsTotal
from simsocial.rundir.fingerprint import RunMismatchError, existing_run
from simsocial.rundir.writer import atomic_write_text


@dataclass(frozen=True)
class CampaignSweepPlan:
    sweep: CampaignSweep
    scenario_path: Path
    cells: list[CampaignCell]
    record: dict[str, Any]  # sweep.json


@dataclass
class CampaignSweepResult:
    out_dir: Path
    cells: list[CampaignCell]
    status: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    stats: CallStats = field(default_factory=CallStats)
    budget_stopped: bool = False

    @property
    def ok(self) -> bool:
        return all(s == DONE for s in self.status.values())


def plan_campaign_sweep(
    path: str | Path, *, base_url: str | None = None, model: str | None = None, turns: int | None = None
) -> CampaignSweepPlan:
    """Load a campaign sweep, apply the command-line overrides, expand it into cells (SweepError if invalid)."""
    sweep, campaign = load_campaign_sweep(path, turns)
    if base_url or model:
        try:
            sweep = sweep.model_copy(update={"endpoints": [Endpoint(base_url=base_url, model=model)]})
        except ValueError as exc:
            raise SweepError(f"--base-url/--model: {exc}") from None
    cells = expand_campaign_cells(sweep, campaign)
    fingerprint = json.dumps(
        {"scenario": campaign.scenario.model_dump(mode="json"), "campaign": campaign.campaign.model_dump(mode="json")},
        sort_keys=True,
        default=str,
    )
    record = {"kind": "campaign", "sweep_file": str(Path(path).resolve()), "sweep": sweep.model_dump(mode="json"),
              "overrides": {"base_url": base_url, "model": model, "turns": turns},
              "scenario_fingerprint": _digest(fingerprint), "cells": [c.cell_id for c in cells]}  # fmt: skip
    return CampaignSweepPlan(sweep, campaign.path or Path(path), cells, record)


def run_campaign_sweep(
    path: str | Path,
    out_dir: str | Path,
    *,
    resume: bool = False,
    executor: ExecutorName = "local",
    address: str | None = None,
    workers: int | None = None,
    base_url: str | None = None,
    model: str | None = None,
    llm: LLMSettings | None = None,
    concurrency: int = 16,
    gguf: Path | None = None,
    turns: int | None = None,
    budget: Budget | None = None,
    on_cell_end: Callable[[CampaignCell, str], None] | None = None,
) -> CampaignSweepResult:
    """Run (or resume) every cell of a campaign sweep into ``out_dir`` (see module doc)."""
    out_dir = Path(out_dir)
    plan = plan_campaign_sweep(path, base_url=base_url, model=model, turns=turns)
    run_rounds = make_executor(executor, address, workers)
    if budget is not None and budget.limited and run_rounds is not None:
        raise SweepError("--max-calls/--max-tokens need the local executor (workers elsewhere run what they are given)")
    previous = prepare_out_dir(out_dir, plan.record, plan.cells, resume)  # type: ignore[arg-type]  # cell ids only
    settings = (llm or LLMSettings()).model_copy(update={"max_in_flight": concurrency})
    if settings.cache_path is not None:
        settings = settings.model_copy(update={"cache_path": Path(settings.cache_path).resolve()})  # for workers
    pool = EndpointPool(settings, CallStats(), gguf)
    _check_cells_unchanged(out_dir, plan.cells, pool)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write_text(out_dir / SWEEP_MANIFEST, json.dumps(plan.record, indent=2))
    index = CampaignSweepIndex(out_dir, plan.cells, previous)
    result = CampaignSweepResult(out_dir, plan.cells, {c.cell_id: DONE for c in plan.cells
                                                       if index.status(c.cell_id) == DONE})  # fmt: skip
    total = StatsTotal()
    gate = BudgetGate(budget, spent_of(total.total)) if budget is not None and budget.limited else None
    cells = _CellRunner(plan, out_dir, pool, index, result, total, gate, run_rounds, concurrency, on_cell_end)
    try:
        if hasattr(run_rounds, "_ensure_ray"):
            join_cluster(run_rounds, address)  # once, before any cell: a cluster we cannot join fails no cell
        todo = [c for c in plan.cells if index.status(c.cell_id) != DONE]
        scheduler = SideBySide(cells.run, lambda _cell: 1, concurrency, max_cells=None if run_rounds is None else 1,
                               may_start=lambda: gate is None or not gate.stopped)  # fmt: skip
        scheduler.run(todo, cells.start, lambda _cell, _n: None, cells.end)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        for cell_id in [c for c, row in index.rows.items() if row["status"] == RUNNING]:
            index.update(cell_id, status=INTERRUPTED)
            result.status[cell_id] = INTERRUPTED
        raise
    finally:
        result.stats.merge(total.total())
        result.budget_stopped = gate is not None and gate.stopped
        if hasattr(run_rounds, "close"):
            run_rounds.close()  # type: ignore[union-attr]  # worker processes this call started
        pool.close()
    return result


@dataclass
class _CellRunner:
    """Starts, runs and ends one cell at a time for :class:`~simsocial.batch.side_by_side.SideBySide`."""

    plan: CampaignSweepPlan
    out_dir: Path
    pool: EndpointPool
    index: CampaignSweepIndex
    result: CampaignSweepResult
    total: StatsTotal
    gate: BudgetGate | None
    executor: Any
    concurrency: int
    on_cell_end: Callable[[CampaignCell, str], None] | None
    runtimes: dict[str, CellRuntime] = field(default_factory=dict)
    dead: dict[str, FatalLLMError] = field(default_factory=dict)  # endpoint key -> what ended it

    def start(self, cell: CampaignCell) -> None:
        """In the calling thread: open the endpoint (once per endpoint) and mark the cell running."""
        stats = CallStats()
        self.total.parts.append(stats)
        if cell.endpoint.key() not in self.dead:
            try:
                self.runtimes[cell.cell_id] = CellRuntime(self.pool.runtime_for(cell.endpoint), stats)
            except FatalLLMError as exc:  # its pre-flight refused it: only this endpoint's cells end
                self.dead[cell.endpoint.key()] = exc
        self.index.update(cell.cell_id, status=RUNNING, started=self.index.rows[cell.cell_id]["started"] or now())

    def run(self, cell: CampaignCell, progress: Callable[[int], None]) -> CampaignResult:
        """In the cell's thread: the campaign, into its own directory."""
        if (fatal := self.dead.get(cell.endpoint.key())) is not None:
            raise fatal
        return run_campaign(
            cell.campaign, [cell.condition], [cell.seed], cell.rounds, self.out_dir / cell.cell_dir,
            self.pool.settings_for(cell.endpoint), runtime=self.runtimes[cell.cell_id], max_active=self.concurrency,
            scenario_path=str(self.plan.scenario_path), executor=self.executor, gate=self.gate, account=cell.cell_id,
            on_progress=lambda _n: progress(0),  # only to stop on Ctrl-C: a running cell keeps its one slot
        )  # fmt: skip

    def end(self, cell: CampaignCell, run: CampaignResult | None, exc: BaseException | None) -> None:
        """In the calling thread: record how the cell ended (a bug is raised, never recorded)."""
        if isinstance(exc, KeyboardInterrupt):
            status, error = INTERRUPTED, None
        elif isinstance(exc, FatalLLMError):
            self.dead.setdefault(cell.endpoint.key(), exc)
            status, error = FAILED, f"endpoint {cell.endpoint.name} failed: {exc}"
        elif isinstance(exc, LLMError | OSError | ValueError):
            status, error = FAILED, str(exc)
        elif exc is not None:
            raise exc
        else:
            assert run is not None
            status, error = (INCOMPLETE if run.budget_stopped else DONE), None
            self.index.update(cell.cell_id, rounds_done=len(run.rounds["round"].unique()) if len(run.rounds) else 0,
                              dialogues_done=int(run.manifest.get("counts", {}).get("dialogues", 0)))  # fmt: skip
        self.index.update(cell.cell_id, status=status, error=error[:2000] if error else None, finished=now())
        self.result.status[cell.cell_id] = status
        if error:
            self.result.errors[cell.cell_id] = error
        if self.on_cell_end is not None:
            self.on_cell_end(cell, status)


def _check_cells_unchanged(out_dir: Path, cells: list[CampaignCell], pool: EndpointPool) -> None:
    """Every cell already on disk was made with these settings (SweepError naming the first that was not)."""
    for cell in cells:
        fingerprint = campaign_fingerprint(cell.campaign, [cell.condition], [cell.seed],
                                           pool.planned_settings(cell.endpoint))  # fmt: skip
        try:
            existing_run(out_dir / cell.cell_dir, fingerprint, None)
        except RunMismatchError as exc:
            shown = "\n".join(f"  - {d}" for d in exc.differences) or f"  - {exc}"
            raise SweepError(f"{out_dir} was run with other settings (cell {cell.cell_id}); resuming would mix two "
                             f"runs in one sweep.\n{shown}\nNothing was changed. Resume with the first run's "
                             "options, or choose a new --out directory.") from None  # fmt: skip


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]
