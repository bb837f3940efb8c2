"""Run a scenario end to end: model + LLM runtime + writer + progress bar + manifest.

:func:`run_simulation` is what ``simsocial run`` calls and what a batch cell calls; it writes the
output contract into ``out_dir`` and returns the per-condition summary table.  *Where* the dialogues run
is a :class:`DialogueExecutor`: :class:`LocalExecutor` (one :class:`PersuasionModel` in this process) by
default, or another executor (e.g. ``simsocial.batch.ray_executor``) that runs them elsewhere and hands
each finished dialogue's rows back to this process, which alone writes the run directory.
"""

from __future__ import annotations

import importlib.metadata
import platform
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow.parquet as pq

from simsocial import __version__
from simsocial.contract import DIALOGUES_FILE, TURNS_FILE
from simsocial.llm.factory import LLMSettings
from simsocial.llm.stats import CallStats
from simsocial.sim.dialogue import Condition, DialogueRows, DialogueSpec
from simsocial.sim.model import PersuasionModel, dialogue_specs
from simsocial.sim.progress import RunProgress
from simsocial.sim.runtime import LLMRuntime
from simsocial.sim.scenario import Scenario
from simsocial.sim.summary import summarize_run
from simsocial.sim.writer import RunWriter

_VERSIONED = ("mesa", "numpy", "pandas", "pyarrow", "openai", "llama_cpp_python", "pydantic", "tenacity")


@dataclass
class RunResult:
    out_dir: Path
    summary: pd.DataFrame
    manifest: dict[str, Any]


@dataclass(frozen=True)
class ExecutionJob:
    """What an executor runs: the dialogues still to do, and where to send each finished one.

    ``emit`` receives every finished dialogue's rows (in any order, each exactly once); ``progress`` is
    told how many finished since its last call.  LLM usage is added to ``runtime.stack.stats`` (so the
    progress bar and the manifest see it), whether the calls were made here or in remote workers.
    """

    scenario: Scenario
    conditions: Sequence[Condition]
    specs: list[DialogueSpec]
    seed: int
    run_id: str
    runtime: LLMRuntime
    max_active: int
    emit: Callable[[DialogueRows], None]
    progress: Callable[[int], None]


class DialogueExecutor(Protocol):
    """Runs the dialogues of an :class:`ExecutionJob`; the caller alone writes them."""

    def __call__(self, job: ExecutionJob) -> None: ...


class LocalExecutor:
    """All dialogues in one :class:`PersuasionModel` in this process, free-running (LLM calls on the
    runtime's loop; see :meth:`PersuasionModel.run_concurrently`)."""

    def __call__(self, job: ExecutionJob) -> None:
        model = PersuasionModel(
            job.scenario, job.conditions, rng=job.seed, runtime=job.runtime, max_active=job.max_active,
            run_id=job.run_id, specs=job.specs, on_dialogue_done=lambda d: job.emit(d.rows()), collect_agents=False,
        )  # fmt: skip
        model.run_concurrently(job.progress)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "simsocial": __version__}
    for name in _VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def run_simulation(
    scenario: Scenario,
    conditions: Sequence[Condition],
    n_dialogues: int,
    seed: int,
    out_dir: str | Path,
    llm_settings: LLMSettings | None = None,
    *,
    runtime: LLMRuntime | None = None,
    max_active: int = 16,
    scenario_path: str | None = None,
    run_id: str | None = None,
    show_progress: bool = True,
    shard_size: int = 64,
    extra_manifest: dict[str, Any] | None = None,
    executor: DialogueExecutor | None = None,
    on_progress: Callable[[int], None] | None = None,
    persuader_settings: LLMSettings | None = None,
) -> RunResult:
    """Simulate ``n_dialogues`` per condition and write the run directory; resumes a partial one.

    Dialogues already on disk in ``out_dir`` (from an interrupted run) are skipped, so calling this
    again after a crash finishes the run without losing or duplicating a dialogue.  ``executor`` decides
    where dialogues run (default :class:`LocalExecutor`); ``on_progress`` replaces the run's own progress
    bar (a batch shows one bar over all its cells); ``extra_manifest`` is merged into ``run.json``.
    ``persuader_settings`` puts the persuader on its own endpoint (:mod:`simsocial.llm.roles`).
    """
    out_dir = Path(out_dir)
    settings = llm_settings or LLMSettings()
    writer = RunWriter(out_dir, shard_size=shard_size)
    done = writer.completed_ids()
    all_specs = dialogue_specs(conditions, n_dialogues, seed)
    todo: list[DialogueSpec] = [s for s in all_specs if s.dialogue_id not in done]
    run_id = run_id or f"{scenario.name}-s{seed}"
    started = datetime.now(UTC)
    clock = time.perf_counter()
    owns_runtime = runtime is None
    stats = CallStats()
    runtime = runtime or LLMRuntime(settings, stats, persuader_settings)
    stats = runtime.stack.stats
    before = CallStats.from_dict(stats.to_dict())  # a shared runtime's earlier totals are not ours
    execute = executor or LocalExecutor()
    try:
        try:
            with RunProgress(len(all_specs), len(done), stats, enabled=show_progress and on_progress is None) as bar:
                execute(ExecutionJob(scenario, conditions, todo, seed, run_id, runtime, max_active,
                                     emit=writer.add_rows, progress=on_progress or bar.advance))  # fmt: skip
        except KeyboardInterrupt:
            writer.flush()  # finished dialogues still in the buffer are complete: keep them
            raise
        usage = _usage_since(before, stats)
        manifest = {
            "run_id": run_id,
            "scenario": {"name": scenario.name, "path": scenario_path, "config": scenario.model_dump(mode="json")},
            "conditions": [
                {"label": c.label, **{r: getattr(c, r).model_dump(mode="json") for r in ("persuader", "persuadee",
                                                                                          "donation")}}
                for c in conditions
            ],
            "settings": {"dialogues_per_condition": n_dialogues, "seed": seed, "max_turns": scenario.turns.max_turns,
                         "max_active": max_active, "llm": settings.model_dump(mode="json"),
                         "llm_persuader": (runtime.persuader_settings or settings).model_dump(mode="json")},
            "model": runtime.stack.describe(),
            # Both roles' endpoints (the same one unless the persuader has its own); never a key.
            "endpoints": {"persuadee": runtime.stack.describe(), "persuader": runtime.persuader_stack.describe()},
            "versions": package_versions(),
            "started": started.isoformat(),
            "resumed_with_done": len(done),
            "usage": usage,
            **(extra_manifest or {}),
        }  # fmt: skip
        writer.finish(manifest)
        manifest["finished"] = datetime.now(UTC).isoformat()
        manifest["wall_time_s"] = round(time.perf_counter() - clock, 3)
        # Only the columns the counts and the summary need, strings dictionary-encoded, repair codes counted
        # shard by shard: memory stays flat however many dialogues the run has.
        dialogues = pd.read_parquet(out_dir / DIALOGUES_FILE, columns=_SUMMARY_COLUMNS)
        turns = pq.read_table(out_dir / TURNS_FILE, columns=["method", "parse_status"],
                              read_dictionary=["method", "parse_status"]).to_pandas()  # fmt: skip
        manifest["counts"] = _counts(dialogues, turns, _repair_codes(out_dir / TURNS_FILE))
        writer.finish(manifest)  # again, now with end time and counts (cheap: shards are streamed)
        return RunResult(out_dir, summarize_run(dialogues, turns), manifest)
    finally:
        if owns_runtime:
            runtime.close()


def _usage_since(before: CallStats, now: CallStats) -> dict[str, Any]:
    delta = CallStats.from_dict(now.to_dict())
    for name in ("calls", "cache_hits", "endpoint_calls", "retries", "failures", "prompt_tokens",
                 "completion_tokens", "latency_s"):  # fmt: skip
        setattr(delta, name, getattr(now, name) - getattr(before, name))
    delta.retry_reasons = now.retry_reasons - before.retry_reasons
    return delta.to_dict()


_SUMMARY_COLUMNS = ["method", "status", "final_donation", "mind_changes", "n_parse_repairs", "n_parse_failures"]


def _repair_codes(turns_file: Path) -> Counter[str]:
    codes: Counter[str] = Counter()
    for batch in pq.ParquetFile(turns_file).iter_batches(columns=["repairs"]):
        codes.update(code for codes_of_turn in batch.column(0).to_pylist() for code in codes_of_turn or ())
    return codes


def _counts(dialogues: pd.DataFrame, turns: pd.DataFrame, repair_codes: Counter[str]) -> dict[str, Any]:
    return {
        "dialogues": int(len(dialogues)),
        "status": {str(k): int(v) for k, v in dialogues["status"].value_counts().items()},
        "choices": int(len(turns)),
        "choices_repaired": int((turns["parse_status"] == "repaired").sum()),
        "choices_failed": int((turns["parse_status"] == "failed").sum()),
        "parse_repairs": int(dialogues["n_parse_repairs"].sum()),
        "parse_failures": int(dialogues["n_parse_failures"].sum()),
        "repair_codes": {str(k): int(v) for k, v in repair_codes.most_common()},
    }
