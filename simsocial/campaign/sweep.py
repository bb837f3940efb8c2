"""Campaign sweeps: ``simsocial batch`` on a sweep file whose ``scenario`` is a campaign scenario.

The grid is methods (with their VS knob lists, as in a run sweep) × network parameters × the campaign
knobs × endpoints × seeds; each cell is one method's campaign on one network setting with one seed,
written as a normal campaign directory (:func:`simsocial.campaign.runner.run_campaign`)::

    scenario: ../campaign_small_world.yaml
    methods: [direct, vs_standard]       # as in a run sweep, knob lists included (k, temperature, ...)
    network: {n: [100, 200], p: [0.05, 0.2]}   # generator parameters: each combination is a network
    contacts_per_round: [1, 2]           # optional lists over the campaign section's knobs
    adopt_at: [0.5]
    seeds: [1, 2, 3]
    rounds: 5                            # default: the scenario's campaign.rounds
    turns: 2                             # optional: the scenario's max_turns

A cell's id is readable plus a short hash of everything that changes its dialogues (method configs,
network, campaign knobs, endpoint, seed, turns); ``rounds`` is not in it, so a larger ``rounds`` with
``--resume`` extends the cells, as ``--dialogues`` extends a run sweep's.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator

from simsocial.batch.cells import CELLS_DIR, build_condition
from simsocial.batch.sweep import Endpoint, MethodEntry, SweepError, SweepFile
from simsocial.bounds import MAX_CELLS
from simsocial.campaign.config import CampaignScenario, CampaignSpec, is_campaign_file, load_campaign
from simsocial.sim.dialogue import Condition
from simsocial.sim.scenario import ScenarioError
from simsocial.vs import ROLES
from simsocial.yaml_config import load_yaml_model

NETWORK_KEYS = ("n", "k", "p", "m")
_SHORT = {"contacts_per_round": "c", "adopt_at": "adopt"}  # in cell labels and ids


class CampaignSweep(SweepFile):
    """A campaign sweep file (see module doc); knob lists as in :class:`simsocial.batch.sweep.Sweep`."""

    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    rounds: int | None = Field(None, ge=1, le=1000, description="default: the scenario's campaign.rounds")
    turns: int | None = Field(None, ge=1, le=100, description="overrides the scenario's max_turns")
    network: dict[str, list[int | float]] = Field(default_factory=dict, description="generator parameter lists")
    contacts_per_round: list[int | None] | None = None
    adopt_at: list[float] | None = None

    @field_validator("seeds", "contacts_per_round", "adopt_at", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return value if isinstance(value, list) else [value]

    @field_validator("network", mode="before")
    @classmethod
    def _network_lists(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        unknown = sorted(set(value) - set(NETWORK_KEYS))
        if unknown:
            raise ValueError(f"unknown generator parameter(s) {', '.join(unknown)} (use {', '.join(NETWORK_KEYS)})")
        return {key: v if isinstance(v, list) else [v] for key, v in value.items()}

    def knobs_for(self, entry: MethodEntry) -> dict[str, list[Any] | None]:
        """The knob lists an entry uses: its own where given, else the sweep's."""
        return {name: getattr(entry, name) if getattr(entry, name) is not None else getattr(self, name)
                for name in ("k", "tail_threshold", "selection", "temperature")}  # fmt: skip


@dataclass(frozen=True)
class CampaignCell:
    """One campaign of the sweep: a condition on a network setting, on an endpoint, with a seed."""

    cell_id: str
    label: str
    method_spec: str
    condition: Condition
    endpoint: Endpoint
    seed: int
    rounds: int
    campaign: CampaignScenario  # the scenario with this cell's network and campaign knobs applied
    overrides: dict[str, Any]  # what the sweep changed in the campaign section

    @property
    def cell_dir(self) -> str:
        return f"{CELLS_DIR}/{self.cell_id}"

    def settings(self) -> dict[str, Any]:
        """The cell's settings as sweep.parquet columns."""
        spec, cfg = self.campaign.campaign, self.condition.persuadee
        return {
            "cell_id": self.cell_id, "cell_dir": self.cell_dir, "label": self.label, "method_spec": self.method_spec,
            "condition": self.condition.label, "persuadee_method": cfg.label(), "temperature": cfg.temperature,
            "endpoint": self.endpoint.name, "model": self.endpoint.model or "embedded", "seed": self.seed,
            "rounds": self.rounds, "max_turns": self.campaign.scenario.turns.max_turns,
            "generator": spec.network.generator, "network": json.dumps(spec.network.model_dump(mode="json")),
            "contacts_per_round": spec.contacts_per_round, "adopt_at": spec.adopt_at,
        }  # fmt: skip


def is_campaign_sweep(path: str | Path) -> bool:
    """True when the sweep file's ``scenario`` is a campaign scenario (a ``campaign:`` section)."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError):
        return False
    if not isinstance(raw, dict) or not isinstance(raw.get("scenario"), str):
        return False
    scenario = Path(raw["scenario"])
    return is_campaign_file(scenario if scenario.is_absolute() else Path(path).parent / scenario)


def load_campaign_sweep(path: str | Path, turns: int | None = None) -> tuple[CampaignSweep, CampaignScenario]:
    """Read and validate a campaign sweep and its scenario (``turns``: the ``--turns`` override)."""
    path = Path(path)
    sweep = load_yaml_model(path, CampaignSweep, SweepError, "campaign sweep")
    scenario = sweep.scenario if sweep.scenario.is_absolute() else (path.parent / sweep.scenario).resolve()
    if sweep.name is None:
        sweep = sweep.model_copy(update={"name": path.stem})
    try:
        return sweep, load_campaign(scenario, max_turns=turns or sweep.turns)
    except ScenarioError as exc:
        raise SweepError(str(exc)) from None


def expand_campaign_cells(
    sweep: CampaignSweep, base: CampaignScenario, rounds: int | None = None
) -> list[CampaignCell]:
    """Every cell, in a stable order: methods × knobs × networks × campaign knobs × endpoints × seeds."""
    size = _grid_size(sweep)
    if size > MAX_CELLS:
        raise SweepError(f"the grid has {size:,} cells (at most {MAX_CELLS:,}); split the sweep")
    n_rounds = rounds or sweep.rounds or base.campaign.rounds
    scenario = base.peer_scenario
    cells: dict[str, CampaignCell] = {}
    for index, entry in enumerate(sweep.methods):
        lists = {name: values if values is not None else [None] for name, values in sweep.knobs_for(entry).items()}
        for values in itertools.product(*lists.values()):
            knobs = {name: value for name, value in zip(lists, values, strict=True) if value is not None}
            try:
                condition = build_condition(entry.method, scenario, knobs)
            except ValueError as exc:
                raise SweepError(f"methods[{index}] {entry.method!r} with {knobs}: {exc}") from None
            for overrides, endpoint, seed in itertools.product(_campaign_grid(sweep), sweep.endpoints, sweep.seeds):
                cell = _cell(entry.method, condition, _applied(base, overrides), overrides, endpoint, seed, n_rounds)
                cells.setdefault(cell.cell_id, cell)
    return list(cells.values())


def _grid_size(sweep: CampaignSweep) -> int:
    per_entry = len(sweep.endpoints) * len(sweep.seeds) * len(_campaign_grid(sweep))
    total = 0
    for entry in sweep.methods:
        total += per_entry * math.prod(len(v) if v is not None else 1 for v in sweep.knobs_for(entry).values())
    return total


def _campaign_grid(sweep: CampaignSweep) -> list[dict[str, Any]]:
    """Every combination of the network parameters and campaign knobs the sweep lists."""
    axes: dict[str, list[Any]] = {f"network.{key}": values for key, values in sweep.network.items()}
    if sweep.contacts_per_round is not None:
        axes["contacts_per_round"] = sweep.contacts_per_round
    if sweep.adopt_at is not None:
        axes["adopt_at"] = sweep.adopt_at
    return [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]


def _applied(base: CampaignScenario, overrides: dict[str, Any]) -> CampaignScenario:
    """``base`` with one grid point's network parameters and campaign knobs (validated as the section is)."""
    data = base.campaign.model_dump()
    for key, value in overrides.items():
        if key.startswith("network."):
            data["network"] = data["network"] | {key.removeprefix("network."): value}
        else:
            data[key] = value  # contacts_per_round: null (every friend) is a value here
    try:
        return base.model_copy(update={"campaign": CampaignSpec.model_validate(data)})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SweepError(f"the grid point {overrides} is not a valid campaign: {problems}") from None


def _cell(
    method_spec: str, condition: Condition, campaign: CampaignScenario, overrides: dict[str, Any],
    endpoint: Endpoint, seed: int, rounds: int,
) -> CampaignCell:  # fmt: skip
    section = campaign.campaign.model_dump(mode="json")
    section.pop("rounds")
    identity = {"scenario": campaign.name, "condition": condition.label, "campaign": section,
                "roles": {r: getattr(condition, r).model_dump(mode="json") for r in ROLES},
                "endpoint": endpoint.key(), "seed": seed, "turns": campaign.scenario.turns.max_turns}  # fmt: skip
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:8]
    shown = "-".join(f"{_SHORT.get(key, key.removeprefix('network.'))}{value}" for key, value in overrides.items())
    label = "-".join(p for p in (condition.label, shown, endpoint.model or "embedded", f"s{seed}") if p)
    cell_id = "".join(c if c.isalnum() or c in ".=-" else "_" for c in label) + f"-{digest}"
    return CampaignCell(cell_id, label, method_spec, condition, endpoint, seed, rounds, campaign, overrides)
