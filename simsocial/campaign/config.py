"""A campaign scenario: a persuasion scenario plus a ``campaign:`` section (network, seeds, adoption, peer role).

The persuasion part is validated as any :class:`~simsocial.sim.scenario.Scenario` (the same file can describe
the charity worker of ``simsocial run``); the ``campaign:`` section says who is connected to whom, who starts
as an advocate, when a persuadee adopts, and how an advocate speaks: as a peer who has given
(``peer_persuader``), with ``peer_persona`` rendered per dialogue from the advocate's own gift, and
``memory`` the one line a person asked before is told about the earlier outcome.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simsocial.sim.scenario import RoleSpec, Scenario, ScenarioError
from simsocial.yaml_config import read_yaml

GENERATORS = ("watts_strogatz", "barabasi_albert", "erdos_renyi", "line", "edge_list")
PEER_FIELDS = ("amount", "currency", "cause", "persona")
MEMORY_FIELDS = ("round", "outcome", "currency", "cause")

DEFAULT_PEER_PERSONA = (
    "You are writing to a friend. You gave {currency}{amount} of your own payment to {cause} and hope your "
    "friend will give too. {persona}"
)
DEFAULT_MEMORY = "You were asked to give to {cause} before, by another friend in round {round}, and you {outcome}."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NetworkSpec(_Strict):
    """Who knows whom: a networkx generator with its parameters, or an edge-list file; seeded by the run seed."""

    generator: Literal["watts_strogatz", "barabasi_albert", "erdos_renyi", "line", "edge_list"]
    n: int | None = Field(default=None, ge=2, le=1_000_000, description="people (not for edge_list)")
    k: int | None = Field(default=None, ge=2, description="watts_strogatz: neighbours in the ring (even)")
    p: float | None = Field(default=None, ge=0, le=1, description="watts_strogatz rewiring / erdos_renyi edge prob.")
    m: int | None = Field(default=None, ge=1, description="barabasi_albert: edges each new node brings")
    path: Path | None = Field(default=None, description="edge_list: whitespace-separated 'a b' lines")

    @model_validator(mode="after")
    def _parameters(self) -> NetworkSpec:
        needs = {"watts_strogatz": ("n", "k", "p"), "barabasi_albert": ("n", "m"), "erdos_renyi": ("n", "p"),
                 "line": ("n",), "edge_list": ("path",)}[self.generator]  # fmt: skip
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"generator {self.generator} needs {', '.join(missing)}")
        if self.generator == "watts_strogatz" and (self.k % 2 or self.k >= self.n):  # type: ignore[operator]
            raise ValueError(f"watts_strogatz k must be even and below n (got k={self.k}, n={self.n})")
        if self.generator == "barabasi_albert" and self.m >= self.n:  # type: ignore[operator]
            raise ValueError(f"barabasi_albert m must be below n (got m={self.m}, n={self.n})")
        return self


class SeedsSpec(_Strict):
    """Who starts as an advocate: ``count`` people chosen at random or by degree, or the listed ``nodes``."""

    count: int | None = Field(default=None, ge=1)
    choose: Literal["random", "highest_degree", "lowest_degree"] = "random"
    nodes: tuple[int, ...] | None = Field(default=None, min_length=1)
    donation: float = Field(default=1.0, ge=0, description="what a seed advocate says they gave")

    @model_validator(mode="after")
    def _one_way(self) -> SeedsSpec:
        if (self.count is None) == (self.nodes is None):
            raise ValueError("give either count or nodes")
        return self


class CampaignSpec(_Strict):
    """The ``campaign:`` section of a scenario."""

    network: NetworkSpec
    seeds: SeedsSpec
    contacts_per_round: int | None = Field(default=None, ge=1, description="per advocate; null: every neighbour")
    adopt_at: float = Field(ge=0, description="a final donation at least this adopts (adopt_on: donation)")
    adopt_on: Literal["donation", "commitment"] = Field(
        default="donation",
        description="donation: final donation >= adopt_at; commitment: the last reply agrees and states at least "
        "adopt_at",
    )
    rounds: int = Field(default=5, ge=1, le=1000, description="default for --rounds")
    peer_persuader: RoleSpec = Field(description="how an advocate speaks: a peer who has given")
    peer_persona: str = Field(default=DEFAULT_PEER_PERSONA, description=f"fields: {', '.join(PEER_FIELDS)}")
    memory: str = Field(default=DEFAULT_MEMORY, description=f"fields: {', '.join(MEMORY_FIELDS)}")

    @field_validator("peer_persona")
    @classmethod
    def _peer_fields(cls, value: str) -> str:
        return _check_template(value, PEER_FIELDS)

    @field_validator("memory")
    @classmethod
    def _memory_fields(cls, value: str) -> str:
        return _check_template(value, MEMORY_FIELDS)


def _check_template(template: str, allowed: tuple[str, ...]) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"not a valid template: {exc}") from None
    unknown = sorted(names - set(allowed))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join('{' + n + '}' for n in unknown)} (use {', '.join(allowed)})")
    return template


class CampaignScenario(BaseModel):
    """A scenario and its campaign section; :attr:`peer_scenario` is what each campaign dialogue runs."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    scenario: Scenario
    campaign: CampaignSpec
    path: Path | None = None

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def peer_scenario(self) -> Scenario:
        """The scenario with the advocate (a peer who has given) in the persuader's place."""
        return self.scenario.model_copy(update={"persuader": self.campaign.peer_persuader})

    def with_campaign(self, **changes: object) -> CampaignScenario:
        """A copy with campaign fields replaced (``network`` may be a dict of generator parameters), validated."""
        data = self.campaign.model_dump() | {k: v for k, v in changes.items() if v is not None}
        if isinstance(changes.get("network"), dict):
            data["network"] = self.campaign.network.model_dump() | changes["network"]  # type: ignore[operator]
        try:
            campaign = CampaignSpec.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(_problems(self.path, exc)) from None
        return self.model_copy(update={"campaign": campaign})


def load_campaign(path: str | Path, *, max_turns: int | None = None) -> CampaignScenario:
    """Read a campaign scenario; errors name the file, the field and the problem (:class:`ScenarioError`)."""
    path = Path(path)
    raw = read_yaml(path, ScenarioError)
    if not isinstance(raw, dict) or "campaign" not in raw:
        raise ScenarioError(f"{path}: not a campaign scenario (no campaign: section)")
    try:
        campaign = CampaignSpec.model_validate(raw.pop("campaign"))
    except ValidationError as exc:
        raise ScenarioError(_problems(path, exc, prefix="campaign.")) from None
    if campaign.network.path is not None and not campaign.network.path.is_absolute():
        network = campaign.network.model_copy(update={"path": (path.parent / campaign.network.path).resolve()})
        campaign = campaign.model_copy(update={"network": network})
    return CampaignScenario(scenario=_persuasion_part(path, raw, max_turns), campaign=campaign, path=path)


def _persuasion_part(path: Path, raw: dict, max_turns: int | None) -> Scenario:
    """The file without its campaign section, read as :func:`~simsocial.sim.scenario.load_scenario` reads one."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_problems(path, exc, prefix="", kind="scenario")) from None
    if max_turns is not None:
        scenario = scenario.with_max_turns(max_turns, option="--turns")
    personas = scenario.personas
    if personas.path is not None and not personas.path.is_absolute():
        resolved = (path.parent / personas.path).resolve()
        scenario = scenario.model_copy(update={"personas": personas.model_copy(update={"path": resolved})})
    return scenario


def _problems(path: Path | None, exc: ValidationError, prefix: str = "campaign.", kind: str = "campaign") -> str:
    lines = "\n".join(f"  - {prefix}{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return f"{path or 'campaign'}: invalid {kind}\n{lines}"


def is_campaign_file(path: str | Path) -> bool:
    """True when ``path`` is a YAML mapping with a ``campaign:`` section (for ``viz`` and ``batch``)."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(raw, dict) and "campaign" in raw
