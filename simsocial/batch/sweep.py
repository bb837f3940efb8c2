"""Sweep files: a Monte Carlo experiment grid described in YAML and validated with pydantic.

A sweep names one scenario (a path relative to the sweep file) and a grid::

    scenario: ../persuasion_for_good.yaml
    methods:                       # condition strings, as `simsocial run --method` takes them ...
      - direct
      - {method: vs_standard, k: [null, 5], selection: uniform}   # ... or one with its own knob lists
    k: [5]                         # knob lists (each optional) apply to every method entry that does not
    tail_threshold: [null, 0.1]    #   set its own; null means "the scenario's value", except for k,
    selection: [probability]       #   where null means "the model decides how many" (VS paper)
    temperature: [0.7, 1.0]
    endpoints: [embedded, {base_url: http://localhost:8000/v1, model: llama-3.1-8b}]
    seeds: [0, 1]
    dialogues: 50                  # per cell
    turns: 10                      # optional: overrides the scenario's max_turns
    personas: {source: csv, path: people.csv}   # optional: overrides the scenario's persona source

Cells are the cross product methods × knobs × endpoints × seeds (see :mod:`simsocial.batch.cells`).
:func:`load_sweep` raises :class:`SweepError` naming the file, each bad field and the problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_serializer, field_validator, model_validator

from simsocial.bounds import MAX_CELLS, MAX_DIALOGUES, MAX_SEED, MAX_SHARD_SIZE, MAX_SWEEP_DIALOGUES
from simsocial.llm.errors import public_url
from simsocial.llm.roles import RoleEndpoint
from simsocial.sim.scenario import Personas, Scenario, load_scenario
from simsocial.vs import KNOBS, Method, Selection
from simsocial.yaml_config import load_yaml_model

EMBEDDED = "embedded"


class SweepError(ValueError):
    """A sweep file could not be read or is invalid; the message names file, field and problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    """A scalar knob means a one-value list; ``k: null`` means ``[null]`` (model-decided k)."""
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


class Endpoint(_Strict):
    """Where a cell's model runs: the embedded llama.cpp server, or an OpenAI-compatible endpoint."""

    base_url: str | None = Field(None, description="OpenAI-compatible endpoint; None = the embedded model")
    model: str | None = Field(None, description="model name at base_url")
    structured_output: Literal["auto", "json_schema", "json_object_schema", "none"] | None = Field(
        None, description="structured-output dialect (default: the command's --structured-output, auto)"
    )

    @model_validator(mode="after")
    def _model_with_url(self) -> Endpoint:
        if self.base_url and not self.model:
            raise ValueError("model is required with base_url")
        if self.model and not self.base_url:
            raise ValueError("base_url is required with model (or write 'embedded')")
        return self

    @property
    def is_embedded(self) -> bool:
        return self.base_url is None

    @field_serializer("base_url", when_used="json")
    def _recorded_url(self, url: str | None) -> str | None:
        return public_url(url) if url else url  # sweep.json records no credentials a URL may carry

    @property
    def name(self) -> str:
        """What sweep.parquet's ``endpoint`` column shows."""
        return EMBEDDED if self.is_embedded else public_url(str(self.base_url))

    def key(self) -> str:
        """Identity for cell ids (a dialect change does not change answers' meaning, so it is left out)."""
        return EMBEDDED if self.is_embedded else f"{public_url(str(self.base_url)).rstrip('/')}|{self.model}"


class Knobs(_Strict):
    """Lists of VS knob values; ``None`` (the field absent) keeps the scenario's own value."""

    k: list[int | None] | None = None
    tail_threshold: list[float | None] | None = None
    selection: list[Selection | None] | None = None
    temperature: list[float | None] | None = None

    @field_validator("k", "tail_threshold", "selection", "temperature", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("k", "tail_threshold", "selection", "temperature")
    @classmethod
    def _non_empty(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None and not value:
            raise ValueError("give at least one value (or leave the field out)")
        return value

    @field_validator("k", "tail_threshold", "temperature")
    @classmethod
    def _in_bounds(cls, value: list[float | None] | None, info: ValidationInfo) -> list[float | None] | None:
        knob = KNOBS[info.field_name]  # the bounds MethodConfig and the command-line options take too
        for number in value or ():
            refusal = None if number is None else knob.refusal(info.field_name, number)
            if refusal:
                raise ValueError(refusal)
        return value


class MethodEntry(Knobs):
    """One entry of ``methods``: a condition string plus, optionally, its own knob lists."""

    method: str = Field(min_length=1, description="as `simsocial run --method` takes it")

    @field_validator("method")
    @classmethod
    def _known_methods(cls, value: str) -> str:
        known = {m.value for m in Method}
        for part in value.split(","):
            name = part.partition("=")[2] if "=" in part else part
            if name.strip() not in known:
                raise ValueError(f"unknown method {name.strip()!r} in {value!r} (use {', '.join(sorted(known))})")
        return value


class SweepFile(Knobs):
    """What every sweep file has (a run sweep's :class:`Sweep`, a campaign sweep's ``CampaignSweep``): its name,
    scenario, the methods and the endpoints, each knob a value or a list."""

    name: str | None = Field(None, pattern=r"^[A-Za-z0-9_\-.]+$")
    description: str = ""
    scenario: Path = Field(description="scenario YAML, relative to the sweep file")
    methods: list[MethodEntry] = Field(min_length=1)
    endpoints: list[Endpoint] = Field(default_factory=lambda: [Endpoint()])

    @field_validator("methods", mode="before")
    @classmethod
    def _method_strings(cls, value: Any) -> Any:
        if not isinstance(value, list):
            value = [value]
        return [{"method": v} if isinstance(v, str) else v for v in value]

    @field_validator("endpoints", mode="before")
    @classmethod
    def _embedded_strings(cls, value: Any) -> Any:
        if not isinstance(value, list):
            value = [value]
        out = []
        for v in value:
            if v == EMBEDDED:
                out.append({})
            elif isinstance(v, str):
                raise ValueError(f"{v!r}: write 'embedded' or a mapping {{base_url: ..., model: ...}}")
            else:
                out.append(v)
        return out

    # Each subclass declares its own ``seeds`` (where it stands among its fields); the range is checked here once.
    @field_validator("seeds", check_fields=False)
    @classmethod
    def _seed_range(cls, value: list[int]) -> list[int]:
        for seed in value:
            if not 0 <= seed <= MAX_SEED:
                raise ValueError(f"seed {seed} is outside 0..2**63-1")
        return value


class Sweep(SweepFile):
    """A complete sweep (the file's top level)."""

    persuader_endpoint: RoleEndpoint | None = Field(
        None, description="the persuader's own endpoint in every cell (simsocial.llm.roles); default: the cell's"
    )
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    dialogues: int = Field(10, ge=1, le=MAX_DIALOGUES, description="dialogues per cell")
    turns: int | None = Field(None, ge=1, le=100, description="overrides the scenario's max_turns")
    personas: Personas | None = Field(None, description="overrides the scenario's persona source")
    shard_size: int = Field(64, ge=1, le=MAX_SHARD_SIZE, description="dialogues per checkpoint shard")

    @field_validator("seeds", mode="before")
    @classmethod
    def _seed_list(cls, value: Any) -> Any:
        return _as_list(value)

    @model_validator(mode="after")
    def _bounded_grid(self) -> Sweep:
        check_grid(self, self.dialogues)
        return self

    def grid_size(self) -> int:
        """Cells before duplicates are merged: the product of every list, per method entry."""
        size = 0
        for entry in self.methods:
            per_entry = len(self.endpoints) * len(self.seeds)
            for values in self.knobs_for(entry).values():
                per_entry *= len(values) if values is not None else 1
            size += per_entry
        return size

    def knobs_for(self, entry: MethodEntry) -> dict[str, list[Any] | None]:
        """The knob lists an entry uses: its own where given, else the sweep's."""
        return {name: getattr(entry, name) if getattr(entry, name) is not None else getattr(self, name)
                for name in ("k", "tail_threshold", "selection", "temperature")}  # fmt: skip


def check_grid(sweep: Sweep, dialogues: int) -> None:
    """Refuse a grid of more than MAX_CELLS cells or MAX_SWEEP_DIALOGUES dialogues (ValueError), before expanding it."""
    cells = sweep.grid_size()
    if cells > MAX_CELLS:
        raise ValueError(f"the grid has {cells:,} cells (at most {MAX_CELLS:,}); split the sweep")
    if cells * dialogues > MAX_SWEEP_DIALOGUES:
        raise ValueError(f"{cells:,} cells × {dialogues:,} dialogues = {cells * dialogues:,} dialogues "
                         f"(at most {MAX_SWEEP_DIALOGUES:,} in one sweep); split the sweep")  # fmt: skip


def load_sweep(path: str | Path) -> tuple[Sweep, Path]:
    """Read and validate a sweep file; returns it and its scenario's resolved path."""
    path = Path(path)
    sweep = load_yaml_model(path, Sweep, SweepError, "sweep")
    scenario = sweep.scenario if sweep.scenario.is_absolute() else (path.parent / sweep.scenario).resolve()
    if not scenario.is_file():
        raise SweepError(f"{path}: scenario: file not found: {scenario}")
    personas = sweep.personas
    if personas is not None and personas.path is not None and not personas.path.is_absolute():
        personas = personas.model_copy(update={"path": (path.parent / personas.path).resolve()})
    updates: dict[str, Any] = {"scenario": scenario, "personas": personas}
    if sweep.name is None:
        updates["name"] = path.stem
    return sweep.model_copy(update=updates), scenario


def sweep_scenario(sweep: Sweep, scenario_path: Path, turns_option: str = "turns") -> Scenario:
    """The scenario with the sweep's overrides (turn budget, persona source) applied.

    A turn budget the scenario cannot run raises :class:`~simsocial.sim.scenario.TurnsError` naming
    ``turns_option`` (the sweep file's ``turns``, or ``--turns`` when the command line set it).
    """
    scenario = load_scenario(scenario_path)
    if sweep.turns is not None:
        scenario = scenario.with_max_turns(sweep.turns, option=turns_option)
    if sweep.personas is not None:
        scenario = scenario.model_copy(update={"personas": sweep.personas})
    return scenario
