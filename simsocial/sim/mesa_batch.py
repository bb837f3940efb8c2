"""``mesa.batch_run`` support: :class:`BatchRunModel`, a :class:`PersuasionModel` built from plain keywords.

    import mesa
    from simsocial.sim.mesa_batch import BatchRunModel

    rows = mesa.batch_run(
        BatchRunModel,
        parameters={"scenario": "scenarios/persuasion_for_good.yaml", "method": ["direct", "vs_standard"],
                    "n_dialogues": 4, "max_turns": 3, "rng": range(3),
                    "base_url": "http://127.0.0.1:8080/v1", "model": "smollm2-135m-instruct"},
        iterations=1, max_steps=100, display_progress=False,
    )

Each run is one model: ``n_dialogues`` dialogues of one condition, stepped in lock-step turns by
``batch_run``.  The rows ``batch_run`` returns hold the parameters plus the model reporters below, taken
at the last step (``data_collection_period=-1``) or every ``data_collection_period`` steps:

``dialogues_finished``, ``dialogues_failed`` (status ``failed``/``degraded``), ``mean_final_donation``,
``share_gave_zero``, ``mind_change_rate`` (share of finished dialogues with a refuse↔agree switch),
``active_dialogues`` (still talking: 0 once every dialogue has ended), ``share_agreeing``,
``mean_stated_amount`` (over the dialogues that played this step, those that ended in it included), ``seed``.

What it does NOT give you (use ``simsocial run`` / ``simsocial batch`` for those): no run directory —
no parquet files, no ``run.json`` manifest; no per-turn texts, verbalized candidates, probabilities,
parse repairs or token usage; no per-agent rows; no checkpoint/resume (an interrupted ``batch_run`` loses
its models); no progress bar per dialogue.  Without ``base_url`` every model starts its own embedded
llama.cpp server (a few seconds each); start one with ``simsocial serve-local`` and pass its URL.
Without ``rng`` each run draws a fresh seed (reported in the ``seed`` column), as Mesa's ``rng=None``
does; pass ``rng`` values to make runs replayable (with the response cache, a re-run spends no tokens).
``max_steps`` counts turns (a step is one turn of every active dialogue); a run cut off by it reports the
dialogues finished so far.
"""

from __future__ import annotations

import secrets
import weakref
from pathlib import Path
from typing import Any

from simsocial.llm.settings import DEFAULT_CACHE_PATH, LLMSettings
from simsocial.sim.conditions import parse_condition
from simsocial.sim.model import PersuasionModel
from simsocial.sim.recorder import DialogueRecorder
from simsocial.sim.scenario import load_scenario

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "persuasion_for_good.yaml"


class BatchRunModel(PersuasionModel):
    """A :class:`PersuasionModel` with simple keyword arguments and outcome reporters, for ``mesa.batch_run``."""

    def __init__(
        self,
        scenario: str | Path = DEFAULT_SCENARIO,
        method: str = "vs_standard",
        n_dialogues: int = 1,
        rng: int | None = None,
        max_turns: int | None = None,
        base_url: str | None = None,
        model: str | None = None,
        max_active: int = 16,
        cache_path: str | Path | None = DEFAULT_CACHE_PATH,
        k: int | None = None,
        tail_threshold: float | None = None,
        selection: str | None = None,
        temperature: float | None = None,
    ) -> None:
        spec = load_scenario(scenario, max_turns=max_turns)
        knobs = {"k": k, "tail_threshold": tail_threshold, "selection": selection, "temperature": temperature}
        condition = parse_condition(method, spec, **knobs)
        settings = LLMSettings(base_url=base_url, model=model, cache_path=cache_path,
                               cache_mode="readwrite" if cache_path else "off", max_in_flight=max_active)  # fmt: skip
        self._outcomes: list[dict] = []  # one small dict per finished dialogue, for the reporters
        seed = secrets.randbelow(2**31) if rng is None else int(rng)
        super().__init__(
            spec, [condition], n_dialogues, rng=seed, llm_settings=settings, max_active=max_active,
            on_dialogue_done=self._keep_outcome, collect_agents=False,
        )  # fmt: skip
        # batch_run may stop at max_steps before the last dialogue ends: close the LLM stack (and any embedded
        # server) when the model is collected, not only when it runs to its end.
        weakref.finalize(self, self.runtime.close)

    def model_reporters(self) -> dict[str, Any]:
        """The shared per-step columns plus the finished dialogues' outcomes and the seed (batch_run's table)."""
        return {
            **super().model_reporters(),
            "dialogues_finished": lambda m: len(m.outcomes()),
            "dialogues_failed": lambda m: sum(o["status"] != "ok" for o in m.outcomes()),
            "mean_final_donation": lambda m: _mean([o["final_donation"] for o in m.outcomes()]),
            "share_gave_zero": lambda m: _mean(
                [float(o["final_donation"] == 0) for o in m.outcomes() if o["final_donation"] is not None]
            ),
            "mind_change_rate": lambda m: _mean([float(o["mind_changes"] > 0) for o in m.outcomes()]),
            "seed": "seed",
        }

    def _keep_outcome(self, recorder: DialogueRecorder) -> None:
        self._outcomes.append(_outcome(recorder))

    def outcomes(self) -> list[dict]:
        """Finished dialogues: retired ones plus those that finished this step (collected before retiring)."""
        pending = [_outcome(p.recorder) for _, p in self.pairs.values() if p.dialogue.finished]
        return self._outcomes + pending


def _outcome(recorder: DialogueRecorder) -> dict:
    row = recorder.dialogue_row()
    return {k: row[k] for k in ("dialogue_id", "final_donation", "mind_changes", "status")}


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None
