"""Run a campaign end to end into a run directory: check, resume, play the rounds, finish.

:func:`run_campaign` is what ``simsocial campaign`` calls.  Each seed is one
:class:`~simsocial.campaign.model.CampaignModel` (every method side by side); its rounds already on disk
are replayed without a call (:meth:`~simsocial.campaign.model.CampaignModel.replay_round`), the rest are
played and written round by round (:class:`~simsocial.campaign.writer.CampaignWriter`).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from simsocial.campaign.budget import RUN_COMPLETE, RUN_INCOMPLETE, RoundBudget, spent_of
from simsocial.campaign.config import CampaignScenario
from simsocial.campaign.model import CampaignMismatchError, CampaignModel
from simsocial.campaign.tables import ROUNDS_FILE
from simsocial.campaign.writer import CampaignWriter
from simsocial.contract import RUN_MANIFEST
from simsocial.llm.budget import Budget, BudgetGate
from simsocial.llm.factory import LLMSettings
from simsocial.llm.runtime import LLMRuntime, Runtime
from simsocial.llm.stats import CallStats
from simsocial.rundir.fingerprint import check_run_dir, settings_fingerprint
from simsocial.rundir.manifest import package_versions
from simsocial.rundir.writer import SHARD_DIR
from simsocial.sim.dialogue import Condition
from simsocial.sim.executors import DialogueExecutor
from simsocial.sim.knobs import condition_record
from simsocial.sim.progress import RunProgress, expected_calls

RoundReport = Callable[[int, CampaignModel], None]


@dataclass
class CampaignResult:
    out_dir: Path
    rounds: pd.DataFrame
    manifest: dict[str, Any]
    replayed_rounds: int
    budget_stopped: bool = False  # a budget refused a round: the campaign is incomplete (run.json "status")


def campaign_fingerprint(
    campaign: CampaignScenario, conditions: Sequence[Condition], seeds: Sequence[int], settings: LLMSettings
) -> dict[str, Any]:
    """What a campaign directory's dialogues depend on: the run's own fingerprint, the seeds, the campaign."""
    fingerprint = settings_fingerprint(campaign.peer_scenario, conditions, 0, settings)
    fingerprint["seed"] = list(seeds)
    section = campaign.campaign.model_dump(mode="json")
    section.pop("rounds", None)  # a campaign may grow by rounds, as a run grows by dialogues
    if campaign.campaign.network.path is not None:  # an edge list counts by its content, not where it lies
        section["network"]["path"] = "sha256:" + hashlib.sha256(campaign.campaign.network.path.read_bytes()).hexdigest()
    fingerprint |= {f"campaign {key}": value for key, value in _flat(section).items()}
    return fingerprint


def run_campaign(
    campaign: CampaignScenario,
    conditions: Sequence[Condition],
    seeds: Sequence[int],
    rounds: int,
    out_dir: str | Path,
    llm_settings: LLMSettings | None = None,
    *,
    runtime: Runtime | None = None,
    max_active: int = 16,
    scenario_path: str | None = None,
    executor: DialogueExecutor | None = None,
    on_round: RoundReport | None = None,
    show_progress: bool = False,
    budget: Budget | None = None,
    gate: BudgetGate | None = None,
    account: str = "campaign",
    on_progress: Callable[[int], None] | None = None,
) -> CampaignResult:
    """Run (or resume, or extend by rounds) a campaign for every seed; write the run directory.

    ``budget`` (calls/tokens this invocation may spend) admits each round before it is played
    (:mod:`simsocial.campaign.budget`); once it refuses one, no further round of any seed starts, the
    finished rounds are written and ``run.json`` says ``"status": "incomplete"``.  A sweep passes its
    shared ``gate`` instead, each cell its own ``account``.  ``on_progress(n)`` is told as
    dialogues finish.
    """
    out_dir = Path(out_dir)
    settings = llm_settings or LLMSettings()
    check_run_dir(out_dir, campaign_fingerprint(campaign, conditions, seeds, settings), rounds)
    if (done := _completed(out_dir, rounds)) is not None:  # the same command again: report, rewrite nothing
        return done
    writer = CampaignWriter(out_dir)
    stored = writer.stored_rounds()
    started, clock = datetime.now(UTC), time.perf_counter()
    owns_runtime = runtime is None
    runtime = runtime or LLMRuntime(settings)
    replayed = 0
    networks, round_frames = [], []
    try:
        before = runtime.stack.stats.copy()
        rounds_budget = _round_budget(campaign, conditions, budget, gate, account, lambda: runtime.stack.stats - before)
        for seed in seeds:
            model = CampaignModel(campaign, rng=seed, conditions=conditions, runtime=runtime, rounds=rounds,
                                  max_active=max_active, run_id=f"{campaign.name}-campaign",
                                  executor=executor)  # fmt: skip
            model.on_round_done = lambda r, rows, seed=seed: writer.write_round(seed, r, rows)
            replayed += _replay(model, stored.get(seed, {}))
            with frozen_heap():
                while model.running and _admitted(rounds_budget, model):
                    try:
                        _step(model, runtime, show_progress, on_progress)
                    finally:  # a round that failed releases its reservation too (a sweep's other cells go on)
                        if rounds_budget is not None:
                            rounds_budget.finished()
                    if on_round is not None:
                        on_round(seed, model)
            networks.append(model.network_frame())
            round_frames.append(model.rounds_frame())
            if rounds_budget is not None and rounds_budget.stopped:
                break  # the seeds after it would start a round the budget refused: left for the resume
        usage = (runtime.stack.stats - before).to_dict()
        model_info = runtime.stack.describe()
    finally:
        if owns_runtime:
            runtime.close()
    stopped = rounds_budget is not None and rounds_budget.stopped
    rounds_frame = pd.concat(round_frames, ignore_index=True) if round_frames else pd.DataFrame()
    manifest = {
        "run_id": f"{campaign.name}-campaign", "kind": "campaign",
        "scenario": {"name": campaign.name, "path": scenario_path,
                     "config": campaign.scenario.model_dump(mode="json"),
                     "campaign": campaign.campaign.model_dump(mode="json")},
        "conditions": [condition_record(c) for c in conditions],
        "settings": {"seeds": list(seeds), "rounds": rounds, "max_turns": campaign.scenario.turns.max_turns,
                     "max_active": max_active, "llm": settings.model_dump(mode="json"),
                     "executor": type(executor).__name__ if executor is not None else "LocalExecutor"},
        "model": model_info, "versions": package_versions(),
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(), "wall_time_s": round(time.perf_counter() - clock, 3),
        "replayed_rounds": replayed, "usage": usage,
        "status": RUN_INCOMPLETE if stopped else RUN_COMPLETE,
    }  # fmt: skip
    if rounds_budget is not None:
        manifest["budget"] = rounds_budget.record()
    writer.finish(pd.concat(networks, ignore_index=True), rounds_frame, manifest)
    return CampaignResult(out_dir, rounds_frame, manifest, replayed, stopped)


def _completed(out_dir: Path, rounds: int) -> CampaignResult | None:
    """The result of a finished campaign that already ran ``rounds`` rounds, else None."""
    if (
        (out_dir / SHARD_DIR).exists()
        or not (out_dir / RUN_MANIFEST).is_file()
        or not (out_dir / ROUNDS_FILE).is_file()
    ):
        return None
    manifest = json.loads((out_dir / RUN_MANIFEST).read_text())
    if manifest.get("settings", {}).get("rounds") != rounds or manifest.get("status") == RUN_INCOMPLETE:
        return None  # more rounds asked for, or a budget stopped it: the rest is still to play
    manifest["already_complete"] = True
    return CampaignResult(out_dir, pd.read_parquet(out_dir / ROUNDS_FILE), manifest, replayed_rounds=0)


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave the objects that exist now (the network, its people, the persona table) out of the garbage
    collector's full passes while the rounds run.

    A full pass over them took 0.2-0.4 s at a thousand people (benchmarks/campaign_scale.py, gc callbacks),
    and it runs on the event loop's thread in the middle of a round, holding up every dialogue's next
    call.  Frozen objects are still freed by reference counting; what becomes cyclic garbage meanwhile is
    collected after :func:`gc.unfreeze`, at the end.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _round_budget(
    campaign: CampaignScenario, conditions: Sequence[Condition], budget: Budget | None, gate: BudgetGate | None,
    account: str, spent: Callable[[], CallStats],
) -> RoundBudget | None:  # fmt: skip
    """The rounds' admission: through ``gate`` (a sweep's), or a gate of its own on ``budget``; None: no limit."""
    if gate is None and (budget is None or not budget.limited):
        return None
    gate = gate or BudgetGate(budget, spent_of(spent))  # type: ignore[arg-type]  # limited, so not None
    return RoundBudget(gate, campaign.peer_scenario, conditions, account)


def _admitted(budget: RoundBudget | None, model: CampaignModel) -> bool:
    """May the model's next round start (always, without a budget)?"""
    return budget is None or budget.admit(model.seed, model.round + 1, model.plan_round())


def _step(model: CampaignModel, runtime: Runtime, show: bool, on_progress: Callable[[int], None] | None) -> None:
    """One round, with a live line of its dialogues (calls/s, tokens, ETA) when ``show``."""
    total = len(model.plan_round())
    calls, turns = expected_calls(model.conditions, model.scenario.turns.max_exchanges)
    label = f"seed {model.seed} round {model.round + 1}"
    bar = RunProgress(total, 0, runtime.stack.stats, enabled=show, description=label, calls_per_dialogue=calls,
                      turns_per_dialogue=turns, max_active=model.max_active)  # fmt: skip
    with bar:
        model.progress = bar.advance if on_progress is None else lambda n: (bar.advance(n), on_progress(n))
        try:
            model.step()
        finally:
            model.progress = None


def _replay(model: CampaignModel, stored: dict[int, dict[str, dict[str, Any]]]) -> int:
    """Apply the rounds on disk, in order; they must be 1..k with no gap."""
    for expected, round_ in enumerate(sorted(stored), start=1):
        if round_ != expected:
            raise CampaignMismatchError(f"seed {model.seed}: rounds on disk skip round {expected} (damaged directory)")
        model.replay_round(stored[round_])
    return len(stored)


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out |= _flat(item, f"{prefix}{key}.")
        return out
    return {prefix.rstrip("."): value}
