"""Scenario files: a persuasion setting described in YAML and validated with pydantic.

A scenario holds the task framing (participants, payment, cause), each role's instructions and method,
the donation range and grid, the turn budget and end condition, and where personas come from.  Loading
a malformed file raises :class:`ScenarioError` naming the file, the field and what is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simsocial.vs import MethodConfig
from simsocial.yaml_config import load_yaml_model


class ScenarioError(ValueError):
    """A scenario file could not be read or is invalid; the message names file, field and problem."""


class TurnsError(ScenarioError):
    """A turn budget this scenario cannot run (an odd number of utterances, or out of range)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Task(_Strict):
    """What the participants are told about the setting."""

    cause: str = Field(min_length=1, description="the organisation or cause asked for")
    cause_description: str = Field(min_length=1, description="what the cause does, as the persuader may tell it")
    setting: str = Field(min_length=1, description="who the participants are and what the task is")
    payment: float = Field(gt=0, description="what the persuadee was paid for the task")
    currency: str = Field(default="$", description="symbol prefixed to every amount in prompts and outputs")


class RoleSpec(_Strict):
    """One role: its display name, instructions and how it elicits each utterance."""

    name: str = Field(min_length=1, description="the role's display name in the transcript")
    instructions: str = Field(default="", description="the role's system instructions: required under protocol "
                              "simsocial; not allowed under paper")
    method: MethodConfig = Field(default=MethodConfig(), description="how each utterance is elicited")
    labels: tuple[str, ...] = Field(default=(), description="labels each candidate carries (persuader)")
    max_chars: int = Field(default=240, ge=20, le=2000, description="longest utterance, in characters")
    vs_instructions: str = Field(
        default="",
        description="appended to the instructions when the role's method verbalizes probabilities (the VS "
        "paper adds one sentence for VS persuadees)",
    )
    wording: Literal["simsocial", "paper_sentences"] = Field(
        default="simsocial",
        description="instruction wording: simsocial's, or the VS paper's method sentences inside simsocial's "
        "prompt layout (paper_sentences; called 'paper' before, still read). For the paper's prompts word for "
        "word use the scenario's protocol: paper",
    )
    annotate: bool = Field(
        default=True,
        description="ask for the label/stance/stated-amount fields with each utterance; false: text only, "
        "as the VS paper's prompts (stances and stated amounts are then not recorded)",
    )

    @field_validator("wording", mode="before")
    @classmethod
    def _old_wording_name(cls, value: object) -> object:
        # "paper" was this value's name, but the prompts it gives are not the paper's (its sentences in
        # simsocial's layout); the paper's own prompts are ``protocol: paper``.
        return "paper_sentences" if value == "paper" else value


class Donation(_Strict):
    """The persuadee's private decision after the conversation."""

    minimum: float = Field(default=0.0, description="smallest amount")
    maximum: float = Field(description="largest amount (the payment, in the human study)")
    grid: tuple[float, ...] = Field(description="amounts offered to the model (enforced as an enum)")
    question: str = Field(min_length=1, description="the private decision's question, asked after the chat")
    method: MethodConfig | None = Field(default=None, description="default: the persuadee's method")
    continuous: bool = Field(
        default=False,
        description="ask for any amount in [minimum, maximum] (stated and decided) instead of a grid value; "
        "answers outside the range are clipped and the repair counted",
    )

    @model_validator(mode="after")
    def _grid_in_range(self) -> Donation:
        if self.maximum <= self.minimum:
            raise ValueError(f"maximum ({self.maximum}) must be above minimum ({self.minimum})")
        if len(self.grid) < 2:
            raise ValueError("grid needs at least two amounts")
        outside = [g for g in self.grid if not self.minimum <= g <= self.maximum]
        if outside:
            raise ValueError(f"grid values {outside} lie outside [{self.minimum}, {self.maximum}]")
        if list(self.grid) != sorted(set(self.grid)):
            raise ValueError("grid must be strictly increasing")
        return self


class Turns(_Strict):
    """How long a dialogue runs.

    ``unit: exchanges`` (simsocial's default) counts a persuader message plus the persuadee's reply as one
    turn, as the human study's 10 turns.  ``unit: utterances`` counts each message, as the VS paper's
    ``max_turns=10`` does (verbalized_sampling 0.1.3 tasks/dialogue/base.py:67-81,170: ``current_turn``
    advances per utterance, persuader on even turns, so 10 = 5 persuader + 5 persuadee messages).
    """

    max_turns: int = Field(default=10, ge=1, le=100, description="turn budget, counted in `unit`")
    unit: Literal["exchanges", "utterances"] = Field(
        default="exchanges", description="'exchanges': a message and its reply is one turn; 'utterances': each message"
    )
    end_condition: Literal["max_turns", "commitment"] = Field(
        default="max_turns",
        description="'commitment' also ends once the persuadee agrees and states an amount",
    )

    @model_validator(mode="after")
    def _whole_exchanges(self) -> Turns:
        if self.unit == "utterances" and self.max_turns % 2:
            raise ValueError(f"max_turns counted in utterances must be even (got {self.max_turns})")
        return self

    @property
    def max_exchanges(self) -> int:
        """Persuader–persuadee exchanges a dialogue runs (the loop's unit)."""
        return self.max_turns if self.unit == "exchanges" else self.max_turns // 2


class Personas(_Strict):
    """Where persuadee (and persuader) personas come from."""

    source: Literal["human", "csv", "none"] = Field(
        default="human", description="'human': the study's survey table; 'csv': a file; 'none': no persona"
    )
    path: Path | None = Field(default=None, description="CSV file for source 'csv' (relative to the scenario)")
    text_column: str | None = Field(default=None, description="free-text persona column in the CSV")
    persuader: bool = Field(default=False, description="also give the persuader a persona")

    @model_validator(mode="after")
    def _csv_needs_path(self) -> Personas:
        if self.source == "csv" and self.path is None:
            raise ValueError("source 'csv' needs a path")
        return self


# Role settings the paper's prompts fix (simsocial.vs.paper_prompts): set under protocol paper, they would be
# ignored, so they are refused instead.
PAPER_FIXED_ROLE_FIELDS = ("instructions", "vs_instructions", "wording", "max_chars", "labels")  # + annotate


class Scenario(_Strict):
    """A complete persuasion setting."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$", description="names the run (letters, digits, _ -)")
    description: str = Field(default="", description="free text for people; not sent to the model")
    protocol: Literal["simsocial", "paper"] = Field(
        default="simsocial",
        description="simsocial: prompts built from this file's task and role instructions. paper: the VS "
        "paper's dialogue prompts word for word (verbalized-sampling 0.1.3; simsocial.vs.paper_prompts); the "
        "task block is then shown to no model, and the role fields those prompts fix may not be set",
    )
    task: Task
    persuader: RoleSpec
    persuadee: RoleSpec
    donation: Donation
    turns: Turns = Turns()
    personas: Personas = Personas()

    @model_validator(mode="before")
    @classmethod
    def _paper_roles_are_text_only(cls, data: object) -> object:
        # The paper's prompts ask for text only: record that (run.json shows annotate: false), refuse a setting.
        if not isinstance(data, dict) or data.get("protocol") != "paper":
            return data
        data = dict(data)
        for role_name in ("persuader", "persuadee"):
            role = data.get(role_name)
            if isinstance(role, dict):
                if "annotate" in role:
                    raise ValueError(f"{role_name}.annotate: not allowed under protocol: paper (the paper's "
                                     "prompts fix it; see simsocial/vs/paper_prompts.py)")  # fmt: skip
                data[role_name] = {**role, "annotate": False}
        return data

    @model_validator(mode="after")
    def _fits_protocol(self) -> Scenario:
        roles = {"persuader": self.persuader, "persuadee": self.persuadee}
        if self.protocol == "paper":
            for role_name, role in roles.items():
                fixed = [f for f in PAPER_FIXED_ROLE_FIELDS if f in role.model_fields_set]
                if fixed:
                    raise ValueError(f"{role_name}.{fixed[0]}: not allowed under protocol: paper (the paper's "
                                     "prompts fix it; see simsocial/vs/paper_prompts.py)")  # fmt: skip
            return self
        if not self.persuader.labels:
            raise ValueError("persuader.labels: the persuader needs at least one strategy label")
        for role_name, role in roles.items():
            if not role.instructions.strip():
                raise ValueError(f"{role_name}.instructions: required (unless protocol: paper)")
        return self

    @property
    def paper_protocol(self) -> bool:
        """Are the prompts the VS paper's, word for word (``protocol: paper``)?"""
        return self.protocol == "paper"

    @property
    def donation_method(self) -> MethodConfig:
        return self.donation.method or self.persuadee.method

    def with_max_turns(self, max_turns: int, option: str = "max_turns") -> Scenario:
        """This scenario with another turn budget, validated as the file's own ``turns.max_turns`` is.

        Every override (``--turns``, ``load_scenario(max_turns=)``, a sweep's ``turns:``) goes through here:
        ``model_copy(update=...)`` skips validation, and an odd number of utterances would silently lose
        its last message.  ``option`` names the override in the :class:`TurnsError` it raises.
        """
        try:
            turns = Turns.model_validate(self.turns.model_dump() | {"max_turns": max_turns})
        except ValidationError as exc:
            if self.turns.unit == "utterances" and max_turns % 2:
                reason = (f"this scenario counts turns in utterances (turns.unit: utterances), so {option} "
                          "must be even")  # fmt: skip
            else:
                reason = "; ".join(e["msg"] for e in exc.errors())
            raise TurnsError(f"{option} {max_turns}: {reason}") from None
        return self.model_copy(update={"turns": turns})


def load_scenario(path: str | Path, *, max_turns: int | None = None) -> Scenario:
    """Read and validate a scenario YAML file; errors name the file, each bad field and the problem.

    ``max_turns`` overrides the file's ``turns.max_turns`` (as ``simsocial run --turns`` does); one the
    scenario cannot run raises :class:`TurnsError` (an odd number where turns count utterances).
    """
    path = Path(path)
    scenario = load_yaml_model(path, Scenario, ScenarioError, "scenario")
    if max_turns is not None:
        try:
            scenario = scenario.with_max_turns(max_turns)
        except TurnsError as exc:
            raise TurnsError(f"{path}: {exc}") from None
    personas = scenario.personas
    if personas.path is not None and not personas.path.is_absolute():
        resolved = (path.parent / personas.path).resolve()
        scenario = scenario.model_copy(update={"personas": personas.model_copy(update={"path": resolved})})
    return scenario
