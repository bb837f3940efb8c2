"""Run a sweep: every cell through :func:`simsocial.sim.runner.run_simulation`, checkpointed, resumable.

Layout of a sweep directory ``DIR``::

    DIR/sweep.json            what was asked: sweep file, its settings, overrides, scenario fingerprint
    DIR/sweep.parquet         one row per cell, status kept current (:mod:`simsocial.batch.index`)
    DIR/cells/<cell_id>/      each cell's run directory (the output contract), written in shards

Nothing is lost on a crash or ``kill -9``: each cell's finished dialogues are on disk in shards, and
``--resume`` re-expands the sweep, checks it describes the same cells, skips finished cells and lets
``run_simulation`` skip finished dialogues.  With the response cache, a resumed sweep's results equal an
uninterrupted run's (each dialogue's randomness depends only on its seed, replicate and condition).
Cells run one after another; within a cell up to ``concurrency`` dialogues run at once (locally, or
spread over Ray workers by :mod:`simsocial.batch.ray_executor`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from simsocial.batch.cells import Cell, expand_cells
from simsocial.batch.endpoints import EndpointPool
from simsocial.batch.index import DONE, FAILED, INTERRUPTED, RUNNING, SWEEP_FILE, SweepIndex, now, read_index
from simsocial.batch.sweep import Endpoint, Sweep, SweepError, load_sweep, sweep_scenario
from simsocial.llm.errors import LLMError
from simsocial.llm.factory import LLMSettings
from simsocial.llm.roles import RoleEndpoint
from simsocial.llm.stats import CallStats
from simsocial.sim.progress import RunProgress
from simsocial.sim.runner import DialogueExecutor, run_simulation
from simsocial.sim.scenario import Scenario
from simsocial.sim.writer import PROGRESS_FILE, atomic_write_text

SWEEP_MANIFEST = "sweep.json"
ExecutorName = Literal["local", "ray"]


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

    @property
    def ok(self) -> bool:
        return all(s == DONE for s in self.status.values())


def plan_sweep(
    sweep_path: str | Path,
    *,
    dialogues: int | None = None,
    base_url: str | None = None,
    model: str | None = None,
    persuader: RoleEndpoint | None = None,
) -> SweepPlan:
    """Load a sweep, apply the command-line overrides and expand it into cells.

    ``base_url``/``model`` point every cell at one endpoint; ``dialogues`` overrides the dialogues per cell.
    """
    sweep, scenario_path = load_sweep(sweep_path)
    if base_url or model:
        try:
            endpoint = Endpoint(base_url=base_url, model=model)
        except ValueError as exc:
            raise SweepError(f"--base-url/--model: {exc}") from None
        sweep = sweep.model_copy(update={"endpoints": [endpoint]})
    if persuader is not None:  # --persuader-base-url/--persuader-model override the file's persuader_endpoint
        sweep = sweep.model_copy(update={"persuader_endpoint": persuader})
    scenario = sweep_scenario(sweep, scenario_path)
    try:
        cells = expand_cells(sweep, scenario, dialogues)
    except ValueError as exc:
        raise SweepError(f"{sweep_path}: {exc}") from None
    fingerprint = hashlib.sha256(json.dumps(scenario.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    record = {
        "sweep_file": str(Path(sweep_path).resolve()),
        "sweep": sweep.model_dump(mode="json"),
        "overrides": {"dialogues": dialogues, "base_url": base_url, "model": model},
        "scenario_fingerprint": fingerprint[:16],
        "cells": [c.cell_id for c in cells],
    }
    return SweepPlan(sweep, scenario, scenario_path, cells, record)


def prepare_out_dir(out_dir: Path, record: dict[str, Any], cells: list[Cell], resume: bool) -> list[dict[str, Any]]:
    """Check ``out_dir`` may be written (fresh, or the same sweep when resuming); returns previous index rows."""
    exists = out_dir.exists() and any(out_dir.iterdir())
    if exists and not resume:
        raise SweepError(
            f"{out_dir} is not empty. Pass --resume to continue the sweep that is there, "
            "or choose a new --out directory."
        )
    if not exists:
        return []
    manifest = out_dir / SWEEP_MANIFEST
    if not manifest.is_file() or not (out_dir / SWEEP_FILE).is_file():
        raise SweepError(f"{out_dir} is not a sweep directory (no {SWEEP_MANIFEST} / {SWEEP_FILE}); cannot resume it")
    before = json.loads(manifest.read_text())
    if before.get("scenario_fingerprint") != record["scenario_fingerprint"]:
        raise SweepError(f"the scenario changed since {out_dir} was started; resume with the same scenario file")
    old, new = set(before.get("cells", ())), {c.cell_id for c in cells}
    if old != new:
        overrides = {k: v for k, v in before.get("overrides", {}).items() if v is not None and k != "dialogues"}
        hint = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in overrides.items())
        raise SweepError(
            f"the sweep now expands to different cells than {out_dir} holds ({len(new - old)} new, "
            f"{len(old - new)} missing). Resume with the same sweep file and options as the first run"
            + (f" ({hint})" if hint else "")
            + "; only --dialogues may change."
        )
    return read_index(out_dir)


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
    persuader: RoleEndpoint | None = None,
) -> SweepResult:
    """Run (or resume) every cell of a sweep into ``out_dir``; see the module doc.

    ``llm`` holds the call settings every endpoint shares (cache, retries, timeouts, dialect);
    its ``max_in_flight`` is set to ``concurrency``.  ``executor`` is ``"local"``, ``"ray"`` (with
    ``address`` of a running cluster, or a local one) or any :class:`DialogueExecutor`.  Cells that fail
    as a whole (their endpoint cannot be reached at all) are marked ``failed`` and the sweep goes on.
    KeyboardInterrupt marks the running cell ``interrupted`` and propagates.
    """
    out_dir = Path(out_dir)
    run_cells = _executor(executor, address)
    plan = plan_sweep(sweep_path, dialogues=dialogues, base_url=base_url, model=model, persuader=persuader)
    cells = plan.cells
    previous = prepare_out_dir(out_dir, plan.record, cells, resume)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / SWEEP_MANIFEST, json.dumps(plan.record, indent=2))
    index = SweepIndex(out_dir, cells, previous)
    settings = (llm or LLMSettings()).model_copy(update={"max_in_flight": concurrency})
    if settings.cache_path is not None:
        settings = settings.model_copy(update={"cache_path": Path(settings.cache_path).resolve()})  # for workers
    stats = CallStats()
    pool = EndpointPool(settings, stats, gguf)
    result = SweepResult(out_dir, cells, {}, stats=stats)
    total = sum(c.dialogues for c in cells)
    done_before = sum(_dialogues_on_disk(out_dir / c.cell_dir, c.dialogues) for c in cells)
    try:
        with RunProgress(total, done_before, stats, enabled=show_progress, description="sweep") as bar:
            for number, cell in enumerate(cells, 1):
                if index.status(cell.cell_id) == DONE:
                    result.status[cell.cell_id] = DONE
                    continue
                bar.set_description(f"cell {number}/{len(cells)} {cell.label}")
                index.update(cell.cell_id, status=RUNNING, started=index.rows[cell.cell_id]["started"] or now())
                try:
                    run = run_simulation(
                        plan.scenario, [cell.condition], cell.dialogues, cell.seed, out_dir / cell.cell_dir,
                        pool.settings_for(cell.endpoint),
                        runtime=pool.runtime_for(cell.endpoint, plan.sweep.persuader_endpoint),
                        max_active=concurrency, scenario_path=str(plan.scenario_path), run_id=cell.cell_id,
                        show_progress=False, shard_size=shard_size or plan.sweep.shard_size,
                        extra_manifest={"sweep": {"dir": str(out_dir), **cell.settings()}},
                        executor=run_cells, on_progress=bar.advance,
                    )  # fmt: skip
                except KeyboardInterrupt:
                    index.update(cell.cell_id, status=INTERRUPTED)
                    result.status[cell.cell_id] = INTERRUPTED
                    raise
                except (LLMError, OSError, ValueError) as exc:
                    index.update(cell.cell_id, status=FAILED, error=str(exc)[:2000], finished=now())
                    result.status[cell.cell_id] = FAILED
                    result.errors[cell.cell_id] = str(exc)
                else:
                    written = int(run.manifest["counts"]["dialogues"])
                    index.update(cell.cell_id, status=DONE, dialogues_done=written, error=None, finished=now())
                    result.status[cell.cell_id] = DONE
    finally:
        pool.close()
    return result


def _executor(executor: ExecutorName | DialogueExecutor, address: str | None) -> DialogueExecutor | None:
    if executor == "local":
        return None  # run_simulation's LocalExecutor
    if executor == "ray":
        try:
            from simsocial.batch.ray_executor import RayExecutor  # ray is an optional dependency
        except ImportError as exc:
            raise SweepError(f"--executor ray needs Ray: pip install 'simsocial[ray]' ({exc})") from None
        return RayExecutor(address=address)
    if isinstance(executor, str):
        raise SweepError(f"unknown executor {executor!r} (use local or ray)")
    return executor


def _dialogues_on_disk(cell_dir: Path, wanted: int) -> int:
    """Dialogues a cell already has (from its progress file; cheap, for the progress bar only)."""
    try:
        written = int(json.loads((cell_dir / PROGRESS_FILE).read_text())["dialogues_written"])
    except (OSError, ValueError, KeyError):
        return 0
    return min(written, wanted)
