"""The elicitation methods the VS paper compares, and their knobs."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


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
    k: int | None = Field(default=5, ge=1, le=20)
    tail_threshold: float | None = Field(default=None, gt=0, le=1)
    selection: Literal["probability", "uniform"] | None = None
    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1, description="nucleus sampling; None: server default")
    calls: int = Field(default=2, ge=1, le=10)
    max_tokens: int | None = Field(default=None, ge=16)

    @model_validator(mode="after")
    def _check_combinations(self) -> MethodConfig:
        if self.k is None and self.method in (Method.MULTI_TURN, Method.VS_MULTI):
            raise ValueError(f"method {self.method.value} needs a fixed k (it spreads k over several calls)")
        if self.tail_threshold is not None and not self.method.verbalizes_probabilities:
            raise ValueError(f"tail_threshold only applies to VS methods, not {self.method.value}")
        return self

    @property
    def effective_selection(self) -> Literal["probability", "uniform"]:
        if self.selection is not None:
            return self.selection
        return "probability" if self.method.verbalizes_probabilities else "uniform"

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
        if self.method.returns_list or self.method == Method.MULTI_TURN:
            default_k = 5
            if self.k != default_k:
                knobs.append("k=model" if self.k is None else f"k={self.k}")
        if self.tail_threshold is not None:
            knobs.append(f"p<{self.tail_threshold:g}")
        if self.selection is not None and self.selection != self.effective_default_selection():
            knobs.append(self.selection)
        return f"{self.method.value}[{','.join(knobs)}]" if knobs else self.method.value

    def effective_default_selection(self) -> str:
        return "probability" if self.method.verbalizes_probabilities else "uniform"
