"""Run a scenario end to end: plan → execute → finish → summarise.  The one entrance for a run.

:func:`run_simulation` is what ``simsocial run``, a sweep's cells, the validity search and the notebook
call; it checks the run directory once, writes the output contract into it through its
:class:`~simsocial.rundir.RunDir` (``run.json`` once, with its status), and returns a :class:`RunResult`
saying how the run ended.  *Where* the dialogues run is a
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
from typing import TYPE_CHECKING, Any

from simsocial.llm.budget import Budget, BudgetGate
from simsocial.llm.errors import FatalLLMError
from simsocial.llm.factory import LLMSettings
from simsocial.llm.roles import api_key_for
from simsocial.llm.runtime import LLMRuntime, Runtime
from simsocial.rundir import RUN_COMPLETE, RunDir
from simsocial.rundir.fingerprint import settings_fingerprint
from simsocial.rundir.manifest import run_manifest
from simsocial.rundir.summary import summarize_run
from simsocial.rundir.writer import RunWriter
from simsocial.sim.dialogue import Condition, DialogueSpec
from simsocial.sim.progress import RunProgress, expected_calls
from simsocial.sim.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

    from simsocial.sim.executors import DialogueExecutor

__all__ = ["RunPlan", "RunResult", "plan_run", "run_simulation"]


@dataclass
class RunResult:
    """How a run ended: its directory, the per-method summary, ``run.json`` as written, and why it is short.

    ``status`` is ``run.json``'s (``complete`` | ``incomplete``); ``budget_stopped`` says a budget refused a
    dialogue (so a short run is a budget stop, and only then); :attr:`outcome` adds ``failed`` when every
    dialogue written failed (the endpoint gave up on each).
    """

    out_dir: Path
    summary: pd.DataFrame
    manifest: dict[str, Any]
    budget_stopped: bool = False

    @property
    def status(self) -> str:
        return str(self.manifest.get("status", RUN_COMPLETE))

    @property
    def outcome(self) -> str:
        """``complete``, ``incomplete`` (see :attr:`budget_stopped` for why) or ``failed``."""
        counts = self.manifest.get("counts", {})
        written = int(counts.get("dialogues", 0))
        if written and int(counts.get("status", {}).get("failed", 0)) == written:
            return "failed"
        return self.status


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
    from simsocial.sim.model import dialogue_specs  # Mesa: loaded once the endpoint has answered its pre-flight

    done = writer.completed_ids()
    all_specs = dialogue_specs(conditions, n_dialogues, seed)
    return RunPlan(all_specs, [s for s in all_specs if s.dialogue_id not in done], frozenset(done))


@dataclass
class _Admission:
    """A budget's say over a run: which dialogues may start, and what it recorded when the run ends."""

    budget: Budget | None
    gate: BudgetGate | None
    account: str
    admit: Callable[[DialogueSpec], bool] | None

    def progress(self, advance: Callable[[int], None]) -> Callable[[int], None]:
        """``advance``, releasing the finished dialogues' reservations first."""
        if self.gate is None:
            return advance
        gate = self.gate

        def release(n: int) -> None:
            gate.finished(self.account, n)
            advance(n)

        return release

    def record(self) -> dict[str, Any] | None:
        """``run.json``'s ``budget`` block (None: no limit)."""
        if self.budget is None or not self.budget.limited:
            return None
        return {"max_calls": self.budget.max_calls, "max_tokens": self.budget.max_tokens,
                "stopped": bool(self.gate and self.gate.stopped)}  # fmt: skip


def _admission(scenario: Scenario, conditions: Sequence[Condition], runtime: Runtime, account: str,
               budget: Budget | None, gate: BudgetGate | None,
               admit: Callable[[DialogueSpec], bool] | None) -> _Admission:  # fmt: skip
    """A gate of the run's own over ``budget`` (what its endpoint spent), or the sweep's shared ``gate``."""
    if budget is None or not budget.limited:
        return _Admission(None, None, account, admit)
    from simsocial.batch.budget_run import cost_of, spent_of
    from simsocial.batch.estimate import dialogue_estimate

    gate = gate or BudgetGate(budget, spent_of(lambda: runtime.stack.stats))  # both roles count here
    costs = {c.label: cost_of(dialogue_estimate(scenario, c)) for c in conditions}
    return _Admission(budget, gate, account, lambda spec: gate.admit(account, costs[spec.condition.label]))


def run_simulation(
    scenario: Scenario,
    conditions: Sequence[Condition],
    n_dialogues: int,
    seed: int,
    out_dir: str | Path | RunDir,
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
    budget: Budget | None = None,
    gate: BudgetGate | None = None,
) -> RunResult:
    """Simulate ``n_dialogues`` per condition and write the run directory; resumes a partial one.

    Dialogues already on disk in ``out_dir`` (from an interrupted run) are skipped, so calling this
    again after a crash finishes the run without losing or duplicating a dialogue.  ``out_dir`` may be a
    :class:`~simsocial.rundir.RunDir` its caller has already checked (the CLI, to print whether it
    resumes): it is not checked twice.  ``executor`` decides where dialogues run (default
    :class:`~simsocial.sim.executors.LocalExecutor`); ``on_progress`` replaces the run's own progress bar (a
    sweep shows one bar over all its cells); ``extra_manifest`` is merged into ``run.json``.  ``runtime``
    shares an open LLM runtime (its earlier usage is not counted here).
    ``budget`` stops admitting dialogues once the endpoint has spent it (``gate``: a sweep's gate shared by
    its cells); the dialogues not started are left for a resume and ``run.json`` says ``incomplete``.
    ``admit`` is asked before each dialogue starts, when there is no budget.
    ``persuader_settings`` puts the persuader on its own endpoint (:mod:`simsocial.llm.roles`).
    ``retry_failed`` plays the dialogues on disk whose status is ``failed`` again (same specs, so the same
    seeds); without it a resume replays nothing already written, failed or not.  At its end the run checks
    that every dialogue it started was written (:mod:`simsocial.sim.invariant`).
    """
    run_dir = out_dir if isinstance(out_dir, RunDir) else RunDir(out_dir)
    settings = llm_settings or LLMSettings()
    if runtime is None:  # opened below: a key variable that is not set is refused before out_dir is made
        for role in (settings, persuader_settings):
            if role is not None:
                api_key_for(role)
    # Before any call: refuse to mix runs made with other settings (raises RunMismatchError, files untouched).
    # The persuader's own endpoint comes as settings (``run``) or with a shared runtime (a sweep's cells).
    persuader = persuader_settings or getattr(runtime, "persuader_settings", None)
    run_dir.check(settings_fingerprint(scenario, conditions, seed, settings, persuader), n_dialogues)
    completed = run_dir.completed(n_dialogues * len(conditions), retry_failed)
    if completed is not None:  # nothing to do: open no endpoint, make no call
        return RunResult(run_dir.path, *completed)
    owns_runtime = runtime is None
    runtime = runtime or LLMRuntime(settings, persuader=persuader_settings)
    try:
        return _play(scenario, conditions, n_dialogues, seed, run_dir, settings, runtime, _Run(
            run_id or _default_run_id(scenario, seed), max_active, scenario_path, show_progress, shard_size,
            extra_manifest or {}, executor, on_progress, retry_failed,
        ), _admission(scenario, conditions, runtime, run_id or "run", budget, gate, admit))  # fmt: skip
    finally:
        if owns_runtime:
            runtime.close()


def _default_run_id(scenario: Scenario, seed: int) -> str:
    from simsocial.sim.model import default_run_id

    return default_run_id(scenario, seed)


@dataclass(frozen=True)
class _Run:
    """How a run plays (what :func:`run_simulation` was asked besides what and where)."""

    run_id: str
    max_active: int
    scenario_path: str | None
    show_progress: bool
    shard_size: int
    extra_manifest: dict[str, Any]
    executor: DialogueExecutor | None
    on_progress: Callable[[int], None] | None
    retry_failed: bool


def _play(scenario: Scenario, conditions: Sequence[Condition], n_dialogues: int, seed: int, run_dir: RunDir,
          settings: LLMSettings, runtime: Runtime, run: _Run, admission: _Admission) -> RunResult:  # fmt: skip
    """Play the dialogues still to do, stream them into ``run_dir``, and finish it."""
    from simsocial.sim.executors import ExecutionJob, LocalExecutor  # Mesa: after the endpoint's pre-flight

    writer, retried = run_dir.open_writer(run.shard_size, run.retry_failed)
    plan = plan_run(conditions, n_dialogues, seed, writer)
    started, clock = datetime.now(UTC), time.perf_counter()
    stats = runtime.stack.stats
    before = stats.copy()  # a shared runtime's earlier totals are not ours
    per_dialogue, turns_each = expected_calls(conditions, scenario.turns.max_turns)  # live turns and ETA
    with RunProgress(len(plan.all_specs), plan.n_done, stats, enabled=run.show_progress and run.on_progress is None,
                     calls_per_dialogue=per_dialogue, turns_per_dialogue=turns_each,
                     max_active=run.max_active) as bar:  # fmt: skip
        job = ExecutionJob(scenario, conditions, plan.todo, seed, run.run_id, runtime, run.max_active,
                           emit=writer.add_rows, progress=admission.progress(run.on_progress or bar.advance),
                           admit=admission.admit)  # fmt: skip
        try:
            (run.executor or LocalExecutor())(job)
        except (KeyboardInterrupt, FatalLLMError):
            writer.flush()  # finished dialogues still in the buffer are complete: keep them
            raise

    def manifest(tally: Any) -> dict[str, Any]:
        finished = datetime.now(UTC).isoformat()
        this = {"started": started.isoformat(), "finished": finished, "usage": (stats - before).to_dict(),
                "dialogues_written": len(tally.dialogue_ids) - len(plan.on_disk),
                "retried_failed": retried}  # fmt: skip
        fixed = _manifest(scenario, conditions, n_dialogues, seed, settings, runtime, run, started, plan.n_done)
        return fixed | {**run_dir.invocations(this), **run.extra_manifest, "finished": finished,
                        "wall_time_s": round(time.perf_counter() - clock, 3), "counts": tally.counts()}  # fmt: skip

    tally, written = run_dir.finish(writer, manifest, on_disk=plan.on_disk, admitted=job.admitted,
                                    wanted=len(plan.all_specs), budget=admission.record())  # fmt: skip
    stopped = bool(admission.gate and admission.gate.stopped)
    return RunResult(run_dir.path, summarize_run(*tally.summary_frames()), written, stopped)


def _manifest(scenario: Scenario, conditions: Sequence[Condition], n_dialogues: int, seed: int, settings: LLMSettings,
              runtime: Runtime, run: _Run, started: datetime, done: int) -> dict[str, Any]:  # fmt: skip
    """``run.json``'s fixed part, with both roles' endpoints (the same one unless the persuader has its own)."""
    manifest = run_manifest(
        run_id=run.run_id, scenario=scenario, scenario_path=run.scenario_path, conditions=conditions,
        n_dialogues=n_dialogues, seed=seed, max_active=run.max_active, settings=settings,
        model=runtime.stack.describe(), started=started.isoformat(), resumed_with_done=done,
    )  # fmt: skip
    persuader_stack = getattr(runtime, "persuader_stack", runtime.stack)
    persuader_llm = getattr(runtime, "persuader_settings", None) or settings
    manifest["settings"]["llm_persuader"] = persuader_llm.model_dump(mode="json")
    # Both roles' endpoints (the same one unless the persuader has its own); never a key.
    manifest["endpoints"] = {"persuadee": runtime.stack.describe(), "persuader": persuader_stack.describe()}
    return manifest
