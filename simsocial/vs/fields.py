"""Extra typed fields a candidate may carry (a label from a set, an amount in a range).

Each field knows its JSON schema (so a backend can enforce it with a grammar) and how to coerce whatever
the model wrote into a valid value, reporting every repair.  Amounts are offered as an enum of strings
because llama.cpp grammars enforce ``enum`` but not numeric ``minimum``/``maximum``; a *continuous*
amount field (no grid, as the VS paper's persuadee states any amount) is a JSON number that is validated
and clipped after parsing, each clip counted as a repair.

A field's :meth:`example` is a *placeholder* naming the allowed values (``"<one of: refuse | undecided |
agree>"``), never one of them: a concrete value in the prompt's example answer anchors small models on
it (on SmolLM2-135M every dialogue "refused" and nearly every message was ``logical-appeal`` when the
example showed the first label).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?|-?[.,]\d+")
_NONE_WORDS = {"", "none", "null", "n/a", "na", "nothing", "no amount", "not stated"}


class CandidateField(Protocol):
    """What the parser and prompt builders need from a field."""

    name: str
    description: str

    def json_schema(self) -> dict[str, Any]: ...

    def coerce(self, value: Any) -> tuple[Any, list[str]]: ...

    def example(self) -> Any:
        """A placeholder for the prompt's example answer, describing the value without choosing one."""
        ...


@dataclass(frozen=True)
class LabelField:
    """A string label from a fixed set (e.g. a persuasion strategy or a stance)."""

    name: str
    choices: tuple[str, ...]
    description: str = ""

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.choices)}

    def example(self) -> str:
        return f"<one of: {' | '.join(self.choices)}>"

    def coerce(self, value: Any) -> tuple[str | None, list[str]]:
        """Exact match, else case/spacing-insensitive match, else closest choice; None when hopeless."""
        if value is None:
            return None, [f"{self.name}_missing"]
        text = str(value).strip()
        if text in self.choices:
            return text, []
        canon = {_canon(c): c for c in self.choices}
        if _canon(text) in canon:
            return canon[_canon(text)], [f"{self.name}_case"]
        close = difflib.get_close_matches(_canon(text), list(canon), n=1, cutoff=0.6)
        if close:
            return canon[close[0]], [f"{self.name}_mapped"]
        return None, [f"{self.name}_invalid"]


@dataclass(frozen=True)
class AmountField:
    """A dollar amount offered as a grid of choices; ``nullable`` allows "none" (no amount stated).

    ``continuous=True`` asks for any number in ``[min(grid), max(grid)]`` instead of a grid value (the
    schema is a JSON number, or null when nullable); out-of-range answers are clipped and counted.
    """

    name: str
    grid: tuple[float, ...]
    description: str = ""
    nullable: bool = False
    continuous: bool = False

    # Cached: coerce() asks for these on every candidate (the field object lives as long as the scenario).
    @cached_property
    def minimum(self) -> float:
        return min(self.grid)

    @cached_property
    def maximum(self) -> float:
        return max(self.grid)

    def choices(self) -> list[str]:
        return list(self._choices)

    @cached_property
    def _choices(self) -> tuple[str, ...]:
        values = tuple(format_amount(v) for v in self.grid)
        return (*values, "none") if self.nullable else values

    def json_schema(self) -> dict[str, Any]:
        if self.continuous:
            # minimum/maximum are sent for servers that enforce them; llama.cpp does not, so coerce() clips.
            number = {"type": "number", "minimum": self.minimum, "maximum": self.maximum}
            return {"anyOf": [number, {"type": "null"}]} if self.nullable else number
        return {"type": "string", "enum": self.choices()}

    def example(self) -> str:
        if self.continuous:
            bounds = f"<an amount from {format_amount(self.minimum)} to {format_amount(self.maximum)}"
            return f"{bounds}, or null if you state none>" if self.nullable else f"{bounds}>"
        return f"<one of: {' | '.join(self.choices())}>"

    def coerce(self, value: Any) -> tuple[float | None, list[str]]:
        """Parse "$1.50", "1,5" or 1.5; out-of-range amounts are clipped and the repair counted."""
        if value is None or (isinstance(value, str) and value.strip().lower() in _NONE_WORDS):
            if self.nullable:
                return None, []
            return None, [f"{self.name}_missing"]
        if isinstance(value, bool):
            return None, [f"{self.name}_invalid"]
        if isinstance(value, int | float):
            amount = float(value)
            repairs: list[str] = []
        else:
            match = _NUMBER.search(str(value))
            if not match:
                return None, [f"{self.name}_invalid"]
            amount = float(match.group().replace(",", "."))
            repairs = [] if not self.continuous and str(value).strip() in self._choices else [f"{self.name}_from_text"]
        if amount < self.minimum or amount > self.maximum:
            amount = float(min(max(amount, self.minimum), self.maximum))
            repairs.append(f"{self.name}_clipped")
        return amount, repairs


def format_amount(value: float) -> str:
    """Grid value as the model sees it: "0", "0.10", "1.50"."""
    return "0" if value == 0 else f"{value:.2f}"


def _canon(text: str) -> str:
    return re.sub(r"[\s_\-]+", "-", text.strip().lower())
