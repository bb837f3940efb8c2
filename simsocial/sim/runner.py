"""Run a scenario end to end: plan → execute → finish → summarise.

:func:`run_simulation` is what ``simsocial run`` calls and what a batch cell calls; it writes the output
contract into ``out_dir`` and returns the per-condition summary table.  *Where* the dialogues run is a
:class:`~simsocial.sim.executors.DialogueExecutor`: :class:`~simsocial.sim.executors.LocalExecutor` (one
:class:`~simsocial.sim.model.PersuasionModel` in this process, free-running) by default, or another one
(e.g. the Ray executor) that hands each finished dialogue's rows back to this process, which alone writes
the run directory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from simsocial.llm.errors import FatalLLMError
from simsocial.llm.factory import LLMSettings
from simsocial.llm.roles import api_key_for
from simsocial.llm.runtime import LLMRuntime, Runtime
from simsocial.run_writer import RunWriter
from simsocial.sim.dialogue import Condition, DialogueSpec
from simsocial.sim.executors import DialogueExecutor, ExecutionJob, LocalExecutor
from simsocial.sim.fingerprint import check_run_dir, settings_fingerprint
from simsocial.sim.invariant import DialoguesLostError, check_written
from simsocial.sim.manifest import package_versions, run_manifest
from simsocial.sim.model import default_run_id, dialogue_specs
from simsocial.sim.progress import RunProgress, expected_calls
from simsocial.sim.resume import (
    completed_result,
    earlier_invocations,
    failed_on_disk,
    reopen_completed,
    tidy_completed,
    with_invocation,
)
from simsocial.sim.scenario import Scenario
from simsocial.sim.summary import summarize_run

__all__ = ["DialogueExecutor", "ExecutionJob", "LocalExecutor", "RunPlan", "RunResult", "package_versions", "plan_run",
           "run_simulation"]  # fmt: skip


@dataclass
class RunResult:
    out_dir: Path
    summary: pd.DataFrame
    manifest: dict[str, Any]


@dataclass(frozen=True)
class RunPlan:
    """Every dialogue of a run, and which of them are still to do (a resumed run skips those on disk)."""

    all_specs: list[DialogueSpec]
    todo: list[DialogueSpec]
    on_disk: frozenset[str] = frozenset()  # dialogue ids already written before this invocation

    @property
    def n_done(self) -> int:
        return len(self.all_specs) - len(self.todo)


def plan_run(conditions: Sequence[Condition], n_dialogues: int, seed: int, writer: RunWriter) -> RunPlan:
    """The run's dialogues in their fixed order, minus those ``writer`` already has on disk."""
    done = writer.completed_ids()
    all_specs = dialogue_specs(conditions, n_dialogues, seed)
    return RunPlan(all_specs, [s for s in all_specs if s.dialogue_id not in done], frozenset(done))


def run_simulation(
    scenario: Scenario,
    conditions: Sequence[Condition],
    n_dialogues: int,
    seed: int,
    out_dir: str | Path,
    llm_settings: LLMSettings | None = None,
    *,
    runtime: Runtime | None = None,
    max_active: int = 16,
    scenario_path: str | None = None,
    run_id: str | None = None,
    show_progress: bool = True,
    shard_size: int = 64,
    extra_manifest: dict[str, Any] | None = None,
    executor: DialogueExecutor | None = None,
    on_progress: Callable[[int], None] | None = None,
    admit: Callable[[DialogueSpec], bool] | None = None,
    persuader_settings: LLMSettings | None = None,
    retry_failed: bool = False,
) -> RunResult:
    """Simulate ``n_dialogues`` per condition and write the run directory; resumes a partial one.

    Dialogues already on disk in ``out_dir`` (from an interrupted run) are skipped, so calling this
    again after a crash finishes the run without losing or duplicating a dialogue.  ``executor`` decides
    where dialogues run (default :class:`~simsocial.sim.executors.LocalExecutor`); ``on_progress`` replaces
    the run's own progress bar (a batch shows one bar over all its cells); ``extra_manifest`` is merged
    into ``run.json``.  ``runtime`` shares an open LLM runtime (its earlier usage is not counted here).
    ``admit`` (a budget) is asked before each dialogue starts; once it says no, the dialogues not yet
    started are left for a later resume.
    ``persuader_settings`` puts the persuader on its own endpoint (:mod:`simsocial.llm.roles`).
    ``retry_failed`` plays the dialogues on disk whose status is ``failed`` again (same specs, so the same
    seeds); without it a resume replays nothing already written, failed or not.  At its end the run checks
    that every dialogue it started was written (:mod:`simsocial.sim.invariant`).
    """
    out_dir = Path(out_dir)
    settings = llm_settings or LLMSettings()
    run_id = run_id or default_run_id(scenario, seed)
    # Before any call: refuse to mix runs made with other settings (raises RunMismatchError, files untouched).
    # The persuader's own endpoint comes as settings (``run``) or with a shared runtime (a sweep's cells).
    persuader = persuader_settings or getattr(runtime, "persuader_settings", None)
    if runtime is None:  # opened below: a key variable that is not set is refused before out_dir is made
        for role in (settings, persuader_settings):
            if role is not None:
                api_key_for(role)
    check_run_dir(out_dir, settings_fingerprint(scenario, conditions, seed, settings, persuader), n_dialogues)
    completed = completed_result(out_dir, n_dialogues * len(conditions))
    if completed is not None and not (retry_failed and failed_on_disk(out_dir)):
        return RunResult(out_dir, *completed)
    earlier = earlier_invocations(out_dir)  # an extended or resumed run's usage covers every invocation
    reopen_completed(out_dir)  # a completed run asked for more dialogues is extended
    writer = RunWriter(out_dir, shard_size=shard_size)
    retried = writer.discard(writer.failed_ids()) if retry_failed else 0  # played again below, same seeds
    plan = plan_run(conditions, n_dialogues, seed, writer)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    owns_runtime = runtime is None
    runtime = runtime or LLMRuntime(settings, persuader=persuader_settings)
    try:
        stats = runtime.stack.stats
        before = stats.copy()  # a shared runtime's earlier totals are not ours
        job_progress = on_progress
        per_dialogue, turns_each = expected_calls(conditions, scenario.turns.max_turns)  # live turns and ETA
        with RunProgress(len(plan.all_specs), plan.n_done, stats, enabled=show_progress and on_progress is None,
                         calls_per_dialogue=per_dialogue, turns_per_dialogue=turns_each,
                         max_active=max_active) as bar:  # fmt: skip
            job = ExecutionJob(scenario, conditions, plan.todo, seed, run_id, runtime, max_active,
                               emit=writer.add_rows, progress=job_progress or bar.advance, admit=admit)  # fmt: skip
            try:
                (executor or LocalExecutor())(job)
            except (KeyboardInterrupt, FatalLLMError):
                writer.flush()  # finished dialogues still in the buffer are complete: keep them
                raise
        tally = writer.finish()
        manifest = run_manifest(
            run_id=run_id, scenario=scenario, scenario_path=scenario_path, conditions=conditions,
            n_dialogues=n_dialogues, seed=seed, max_active=max_active, settings=settings,
            model=runtime.stack.describe(), started=started.isoformat(), resumed_with_done=plan.n_done,
        )  # fmt: skip
        persuader_stack = getattr(runtime, "persuader_stack", runtime.stack)
        persuader_llm = getattr(runtime, "persuader_settings", None) or settings
        manifest["settings"]["llm_persuader"] = persuader_llm.model_dump(mode="json")
        # Both roles' endpoints (the same one unless the persuader has its own); never a key.
        manifest["endpoints"] = {"persuadee": runtime.stack.describe(), "persuader": persuader_stack.describe()}
        finished = datetime.now(UTC).isoformat()
        this = {"started": started.isoformat(), "finished": finished, "usage": (stats - before).to_dict(),
                "dialogues_written": len(tally.dialogue_ids) - len(plan.on_disk),
                "retried_failed": retried}  # fmt: skip
        manifest |= {**with_invocation(earlier, this), **(extra_manifest or {}), "finished": finished,
                     "wall_time_s": round(time.perf_counter() - clock, 3), "counts": tally.counts()}  # fmt: skip
        check = check_written(plan.on_disk, job.admitted, tally.dialogue_ids)
        if not check.ok:  # keep the shards: running again plays exactly the missing dialogues
            manifest |= {"status": "incomplete", "lost": check.record()}
            writer.write_manifest(manifest)
            raise DialoguesLostError(out_dir, check)
        writer.write_manifest(manifest)
        tidy_completed(out_dir)
        return RunResult(out_dir, summarize_run(*tally.summary_frames()), manifest)
    finally:
        if owns_runtime:
            runtime.close()
