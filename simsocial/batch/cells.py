"""Expanding a sweep into cells: one run directory per (condition, knobs, endpoint, seed).

A cell's id is a readable label plus a short hash of everything that changes its dialogues — the
effective per-role method configs, the endpoint, the seed, the turn budget and the persona source — so
ids are stable across invocations and identical settings reached two ways (say ``k`` for ``direct``,
which ignores it) collapse into one cell.  The number of dialogues is deliberately *not* part of the id:
re-running a finished sweep with more ``--dialogues`` and ``--resume`` extends its cells.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from simsocial.batch.sweep import Endpoint, Sweep, check_grid
from simsocial.sim.conditions import make_condition, parse_condition
from simsocial.sim.dialogue import Condition
from simsocial.sim.scenario import Scenario
from simsocial.vs import Method, MethodConfig

CELLS_DIR = "cells"
_KEEP = object()  # a knob the sweep does not set: the scenario's value stays


@dataclass(frozen=True)
class Cell:
    """One run of the sweep: a condition on an endpoint with a seed and a number of dialogues."""

    cell_id: str
    label: str
    method_spec: str  # the entry as written in the sweep file
    condition: Condition
    endpoint: Endpoint
    seed: int
    dialogues: int
    max_turns: int

    @property
    def cell_dir(self) -> str:
        """Path of the cell's run directory, relative to the sweep directory."""
        return f"{CELLS_DIR}/{self.cell_id}"

    def settings(self) -> dict[str, Any]:
        """The cell's settings as sweep.parquet columns (knobs read from the persuadee's effective config)."""
        cfg = self.condition.persuadee
        return {
            "cell_id": self.cell_id,
            "cell_dir": self.cell_dir,
            "label": self.label,
            "method_spec": self.method_spec,
            "condition": self.condition.label,
            "persuader_method": self.condition.persuader.label(),
            "persuadee_method": cfg.label(),
            "donation_method": self.condition.donation.label(),
            "k": cfg.k if cfg.method != Method.DIRECT else 1,  # null: the model decides how many
            "tail_threshold": cfg.tail_threshold,
            "selection": cfg.effective_selection,
            "temperature": cfg.temperature,
            "endpoint": self.endpoint.name,
            "model": self.endpoint.model or "embedded",
            "seed": self.seed,
            "dialogues": self.dialogues,
            "max_turns": self.max_turns,
        }


def build_condition(method_spec: str, scenario: Scenario, knobs: dict[str, Any]) -> Condition:
    """A condition from a method entry and one value per knob (``_KEEP`` = scenario value).

    ``k=None`` means model-decided k for the methods that allow it; ``parse_condition`` treats ``None`` as
    "not given", so that case is applied here, after parsing.
    """
    given = {name: value for name, value in knobs.items() if value is not _KEEP and value is not None}
    condition = parse_condition(method_spec, scenario, **given)
    if knobs.get("k", _KEEP) is None:
        configs = [_model_decided_k(getattr(condition, role)) for role in ("persuader", "persuadee", "donation")]
        condition = make_condition(*configs)
    return condition


def _model_decided_k(config: MethodConfig) -> MethodConfig:
    """``config`` with k left to the model (direct ignores k; multi_turn and vs_multi refuse it)."""
    if config.method == Method.DIRECT:
        return config
    return MethodConfig.model_validate(config.model_dump() | {"k": None})


def expand_cells(sweep: Sweep, scenario: Scenario, dialogues: int | None = None) -> list[Cell]:
    """All cells of ``sweep`` (``scenario`` with the sweep's overrides applied), in a stable order.

    Order: method entries × knob values × endpoints × seeds, as written.  Duplicates (the same effective
    settings reached twice) are kept once.  Raises ValueError naming the entry whose condition is invalid.
    """
    n = dialogues or sweep.dialogues
    check_grid(sweep, n)  # a --dialogues override is bounded like the file's own value
    cells: dict[str, Cell] = {}
    for index, entry in enumerate(sweep.methods):
        lists = {name: values if values is not None else [_KEEP] for name, values in sweep.knobs_for(entry).items()}
        for values in itertools.product(*lists.values()):
            knobs = dict(zip(lists, values, strict=True))
            try:
                condition = build_condition(entry.method, scenario, knobs)
            except ValueError as exc:
                shown = {k: ("model" if v is None and k == "k" else v) for k, v in knobs.items() if v is not _KEEP}
                reason = "; ".join(e["msg"] for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)
                raise ValueError(f"methods[{index}] {entry.method!r} with {shown}: {reason}") from None
            for endpoint, seed in itertools.product(sweep.endpoints, sweep.seeds):
                cell = _cell(entry.method, condition, endpoint, seed, n, scenario)
                cells.setdefault(cell.cell_id, cell)
    return _distinct_labels(list(cells.values()))


def _distinct_labels(cells: list[Cell]) -> list[Cell]:
    """Cells whose labels coincide (settings a label does not show) get their id's hash appended."""
    counts: dict[str, int] = {}
    for cell in cells:
        counts[cell.label] = counts.get(cell.label, 0) + 1
    return [dataclasses.replace(c, label=f"{c.label}-{c.cell_id.rsplit('-', 1)[1]}") if counts[c.label] > 1 else c
            for c in cells]  # fmt: skip


def _cell(
    method_spec: str, condition: Condition, endpoint: Endpoint, seed: int, dialogues: int, scenario: Scenario
) -> Cell:
    identity = {
        "scenario": scenario.name,
        "roles": {role: _config_identity(getattr(condition, role)) for role in ("persuader", "persuadee", "donation")},
        "endpoint": endpoint.key(),
        "seed": seed,
        "max_turns": scenario.turns.max_turns,
        "end_condition": scenario.turns.end_condition,
        "personas": scenario.personas.model_dump(mode="json"),
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]
    temperature = condition.persuadee.temperature
    where = f"t{temperature:g}-{endpoint.model or 'embedded'}-s{seed}"
    cell_id = f"{_slug(f'{condition.label}-{where}')}-{digest}"  # unchanged, so existing sweeps still resume
    return Cell(cell_id, f"{condition.label}{_knob_tags(condition)}-{where}", method_spec, condition,
                endpoint, seed, dialogues, scenario.turns.max_turns)  # fmt: skip


def _knob_tags(condition: Condition) -> str:
    """``-k5`` when the condition's label leaves k out: a method label omits k at 5 whatever the scenario's
    k is, so a cell at k=5 would otherwise look like the scenario's own setting (``-kmodel``: model-decided)."""
    config = condition.persuadee
    if "k=" in condition.label or not (config.method.returns_list or config.method == Method.MULTI_TURN):
        return ""
    return f"-k{config.k}" if config.k is not None else "-kmodel"


def _config_identity(config: MethodConfig) -> dict[str, Any]:
    """The parts of a config that change what a dialogue does (knobs a method ignores are dropped)."""
    data = config.model_dump(mode="json")
    data["selection"] = config.effective_selection
    if config.method == Method.DIRECT:
        data.pop("k")
    if config.method != Method.VS_MULTI:
        data.pop("calls")
    return data


def _slug(text: str) -> str:
    text = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9.=\-]", "_", text))
    return re.sub(r"_*-_*", "-", text).strip("_-")
