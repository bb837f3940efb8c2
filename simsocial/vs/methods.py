"""The elicitation methods the VS paper compares, and their knobs.

:data:`KNOBS` is the one table of the knobs' defaults and bounds, with the allowed values beside it
(:data:`SELECTIONS`, :data:`ROLES`, :class:`Method`).  :class:`MethodConfig`, the command-line options and
their help (:mod:`simsocial.cli.options`), the sweep file's validator (:mod:`simsocial.batch.sweep`), the
cost estimate, the prompts and the conditions all read it: changing a default here changes it everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simsocial.bounds import MAX_K

ROLES = ("persuader", "persuadee", "donation")  # the choices of a dialogue, each elicited with its own config

Selection = Literal["probability", "uniform"]  # how a candidate is drawn from a verbalized distribution
SELECTIONS: tuple[Selection, ...] = get_args(Selection)
PROBABILITY, UNIFORM = SELECTIONS  # by the stated probabilities; ignoring them (the paper's uniform pick)
VS_SELECTION: Selection = PROBABILITY  # the default of the VS methods
BASELINE_SELECTION: Selection = UNIFORM  # the default of the baselines, which state no probabilities

# k = None (the model decides): the most candidates the prompt and the schema allow, and so what a call's
# token budget is sized for.
MODEL_DECIDED_MAX_K = 10


@dataclass(frozen=True)
class Knob:
    """A knob's default and bounds: ``ge``/``gt`` below, ``le`` above (None: unbounded on that side)."""

    default: Any
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    integer: bool = False
    none_means: str | None = None  # what a null says in a sweep file, when it says more than "the default"

    def field(self, **extra: Any) -> Any:
        """The pydantic field of :class:`MethodConfig` for this knob."""
        return Field(default=self.default, ge=self.ge, gt=self.gt, le=self.le, **extra)

    def range_text(self) -> str:
        """``1..20`` for a whole number, ``(0, 1]`` or ``[0, 2]`` for a real one."""
        if self.integer:
            return f"{self.ge:g}..{self.le:g}"
        low = f"({self.gt:g}" if self.gt is not None else f"[{self.ge:g}"
        return f"{low}, {self.le:g}]"

    def refusal(self, name: str, value: float) -> str | None:
        """Why ``value`` is refused for knob ``name`` (None: it is within the bounds)."""
        inside = ((self.ge is None or value >= self.ge) and (self.gt is None or value > self.gt)
                  and (self.le is None or value <= self.le))  # fmt: skip
        if inside:
            return None
        note = f" (null = {self.none_means})" if self.none_means else ""
        return f"{name}={value} is outside {self.range_text()}{note}"


KNOBS: dict[str, Knob] = {
    "k": Knob(5, ge=1, le=MAX_K, integer=True, none_means="the model decides"),
    "tail_threshold": Knob(None, gt=0, le=1),
    "temperature": Knob(0.7, ge=0, le=2),
    "top_p": Knob(None, gt=0, le=1),
    "calls": Knob(2, ge=1, le=10, integer=True),
    "max_tokens": Knob(None, ge=16, integer=True),
}
DEFAULT_K: int = KNOBS["k"].default


class Method(StrEnum):
    """How a choice is elicited from the model.

    ``direct`` one answer; ``sequence`` k answers, no probabilities, uniform pick; ``multi_turn`` k answers
    over k calls in one conversation, uniform pick; ``vs_standard`` k answers with probabilities;
    ``vs_cot`` the same after a reasoning field; ``vs_multi`` a distribution built over several calls.
    """

    DIRECT = "direct"
    SEQUENCE = "sequence"
    MULTI_TURN = "multi_turn"
    VS_STANDARD = "vs_standard"
    VS_COT = "vs_cot"
    VS_MULTI = "vs_multi"

    @property
    def verbalizes_probabilities(self) -> bool:
        return self in (Method.VS_STANDARD, Method.VS_COT, Method.VS_MULTI)

    @property
    def returns_list(self) -> bool:
        return self not in (Method.DIRECT, Method.MULTI_TURN)


# The docstring below is the scenario schema's description of a method (`simsocial scenario-schema`):
# defaults and bounds are in KNOBS, the default selections in VS_SELECTION and BASELINE_SELECTION.
class MethodConfig(BaseModel):
    """A method plus its knobs.

    ``k=None`` lets the model decide how many candidates to give (VS paper's model-decided k).
    ``tail_threshold`` adds "each probability below p" to the prompt (lower p, more diverse answers).
    ``selection`` defaults to ``probability`` for VS methods and ``uniform`` for the baselines.
    ``calls`` is the number of calls ``vs_multi`` spreads its k candidates over.
    ``top_p`` is sent with every call when set (the VS paper uses T = 0.7, top_p = 0.9).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Method = Method.VS_STANDARD
    k: int | None = KNOBS["k"].field()
    tail_threshold: float | None = KNOBS["tail_threshold"].field()
    selection: Selection | None = None
    temperature: float = KNOBS["temperature"].field()
    top_p: float | None = KNOBS["top_p"].field(description="nucleus sampling; None: server default")
    calls: int = KNOBS["calls"].field()
    max_tokens: int | None = KNOBS["max_tokens"].field()

    @model_validator(mode="after")
    def _check_combinations(self) -> MethodConfig:
        if self.k is None and self.method in (Method.MULTI_TURN, Method.VS_MULTI):
            raise ValueError(f"method {self.method.value} needs a fixed k (it spreads k over several calls)")
        if self.tail_threshold is not None and not self.method.verbalizes_probabilities:
            raise ValueError(f"tail_threshold only applies to VS methods, not {self.method.value}")
        return self

    @property
    def effective_selection(self) -> Selection:
        """The selection applied: the one set, else the method's default."""
        return self.selection if self.selection is not None else self.effective_default_selection()

    @property
    def n_calls(self) -> int:
        """How many model calls one choice costs."""
        if self.method == Method.MULTI_TURN:
            return self.k or 1
        if self.method == Method.VS_MULTI:
            return min(self.calls, self.k or self.calls)
        return 1

    def label(self) -> str:
        """A short, stable name for tables: e.g. ``vs_standard`` or ``vs_standard[k=5,p<0.1,uniform]``."""
        knobs = []
        if (self.method.returns_list or self.method == Method.MULTI_TURN) and self.k != DEFAULT_K:
            knobs.append("k=model" if self.k is None else f"k={self.k}")
        if self.tail_threshold is not None:
            knobs.append(f"p<{self.tail_threshold:g}")
        if self.selection is not None and self.selection != self.effective_default_selection():
            knobs.append(self.selection)
        return f"{self.method.value}[{','.join(knobs)}]" if knobs else self.method.value

    def effective_default_selection(self) -> Selection:
        """The method's own default selection (what a label leaves out)."""
        return VS_SELECTION if self.method.verbalizes_probabilities else BASELINE_SELECTION
