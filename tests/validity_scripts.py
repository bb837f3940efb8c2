"""Scripted chat models with a known answer, for the validity tests (simsocial.llm.scripted underneath).

Every request gets a valid schema instance (:func:`simsocial.llm.scripted.schema_answers`); the private
donation question of a VS method gets a verbalized distribution over the scenario's amount grid that the
test chooses — from the request's temperature, or from the persona text in its system prompt.  The engine
then draws the donation from that distribution with its own seeded generator, as for any model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence

import numpy as np

from simsocial.llm.scripted import ScriptedChatModel, schema_answers
from simsocial.llm.types import ChatRequest

Distribution = dict[float, float]  # amount → probability


def _donation_item_schema(request: ChatRequest) -> dict | None:
    """The candidate schema of a VS donation question (its items carry only amount, text, probability)."""
    schema = request.response_schema or {}
    items = schema.get("properties", {}).get("responses", {}).get("items", {})
    if set(items.get("properties", {})) == {"amount", "text", "probability"}:
        return items
    return None


def _candidates(distribution: Distribution, k: int) -> list[dict]:
    top = sorted(distribution.items(), key=lambda kv: -kv[1])[:k]
    total = sum(p for _, p in top)
    return [{"amount": _grid_text(a), "text": f"I give {_grid_text(a)} (option {i}).", "probability": p / total}
            for i, (a, p) in enumerate(sorted(top))]  # fmt: skip


def _grid_text(amount: float) -> str:
    from simsocial.vs.fields import format_amount

    return format_amount(amount)


def donation_model(choose: Callable[[ChatRequest], Distribution], seed: int = 0,
                   persuader: Sequence[str] | None = None) -> ScriptedChatModel:  # fmt: skip
    """A scripted model whose VS donation answers are ``choose(request)``; every other answer is schema-valid.

    ``persuader``: strategy labels the persuader offers, equally likely, each text naming its label.
    """
    other = schema_answers(seed)

    def answer(request: ChatRequest) -> str:
        items = _donation_item_schema(request)
        props = (request.response_schema or {}).get("properties", {}).get("responses", {}).get("items", {})
        if persuader and "strategy" in props.get("properties", {}):
            share = 1 / len(persuader)
            return json.dumps({"responses": [{"strategy": s, "text": f"A {s} message.", "probability": share}
                                             for s in persuader]})  # fmt: skip
        if items is None:
            return other(request)
        k = request.response_schema["properties"]["responses"].get("maxItems", 5)
        return json.dumps({"responses": _candidates(choose(request), k)})

    return ScriptedChatModel(answer)


def expected_amount(distribution: Distribution, k: int) -> float:
    """The mean of what a k-candidate answer states (the top k, renormalised)."""
    cands = _candidates(distribution, k)
    return sum(float(c["amount"]) * c["probability"] for c in cands)


def gaussian_on_grid(grid: Sequence[float], centre: float, sd: float) -> Distribution:
    """A discretised normal over the grid (top-k of it is what a k-candidate answer states)."""
    weights = {a: math.exp(-0.5 * ((a - centre) / sd) ** 2) + 1e-6 for a in grid}
    total = sum(weights.values())
    return {a: w / total for a, w in weights.items()}


def two_point(grid: Sequence[float], target: float) -> Distribution:
    """The two grid points around ``target`` weighted so the expected amount is ``target`` (clipped to the grid)."""
    grid = sorted(grid)
    target = min(max(target, grid[0]), grid[-1])
    upper = next((i for i, a in enumerate(grid) if a >= target), len(grid) - 1)
    upper = max(upper, 1)
    lo, hi = grid[upper - 1], grid[upper]
    share = min(max((target - lo) / (hi - lo), 1e-3), 1 - 1e-3)
    return {lo: 1 - share, hi: share}


def temperature_centre(temperature: float) -> float:
    """The known law of the temperature test: the stated amounts centre on 1 + 2.2 (T − 0.9) dollars."""
    return 1.0 + 2.2 * (temperature - 0.9)


def sample_distribution(distribution: Distribution, k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws from what a k-candidate answer states (the top k, renormalised)."""
    cands = _candidates(distribution, k)
    amounts = np.array([float(c["amount"]) for c in cands])
    probs = np.array([c["probability"] for c in cands])
    return rng.choice(amounts, size=n, p=probs / probs.sum())


def simulate(out, choose: Callable[[ChatRequest], Distribution], *, dialogues: int, seed: int = 3,
             method: str = "vs_standard", k: int | None = None, turns: int = 1, model=None,
             temperature: float | None = None):  # fmt: skip
    """A real run directory (engine, writer, Parquet) of the PersuasionForGood scenario on a scripted model."""
    from cli_helpers import SCENARIO

    from simsocial.llm.runtime import InlineRuntime
    from simsocial.sim import load_scenario, parse_condition
    from simsocial.sim.runner import run_simulation

    scenario = load_scenario(SCENARIO).with_max_turns(turns)
    condition = parse_condition(method, scenario, k=k, temperature=temperature)
    with InlineRuntime(model or donation_model(choose)) as runtime:
        return run_simulation(scenario, [condition], dialogues, seed, out, runtime=runtime, show_progress=False)


def write_sweep_index(sweep_dir, cells: Sequence[str]) -> None:
    """``sweep.parquet`` as :mod:`simsocial.report.rundir` reads it: one ``cell_dir`` per cell directory."""
    import pandas as pd

    pd.DataFrame({"cell_dir": list(cells), "cell": list(cells)}).to_parquet(sweep_dir / "sweep.parquet")


#: The donation grid of the scripted validity sweeps.
GRID = (0.0, 0.10, 0.25, 0.50, 0.75, 1.00, 1.50, 2.00)


def human_like(_request: ChatRequest) -> Distribution:
    """The human donations rounded onto :data:`GRID`: the cell a calibration should choose."""
    from simsocial.validity.samples import human_outcomes

    donations = human_outcomes()["donation"].to_numpy(float)
    nearest = np.array(GRID)[np.abs(donations[:, None] - np.array(GRID)[None, :]).argmin(axis=1)]
    return {a: float((nearest == a).mean()) + 1e-4 for a in GRID}
