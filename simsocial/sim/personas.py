"""Personas: who each simulated participant is, rendered as text for the prompt.

Sources: the human study's survey table (Big Five, moral foundations, Schwartz values, decision style,
demographics — :func:`simsocial.data.human.persona_table`), a user CSV with the same columns, or a CSV
with a free-text column.  A persona is drawn with the caller's seeded generator, never global state.
Donations are never part of a persona: it must not carry the outcome being simulated.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simsocial.sim.scenario import Personas

# (low, high) descriptors; Big Five scored 1–5 in the study.
_BIG_FIVE_WORDS = {
    "extrovert": ("reserved and quiet", "outgoing and talkative"),
    "agreeable": ("critical and sceptical of others", "warm, trusting and cooperative"),
    "conscientious": ("easy-going and spontaneous", "organised and careful"),
    "neurotic": ("calm and emotionally stable", "prone to worry and stress"),
    "open": ("conventional and practical", "curious and open to new ideas"),
}
_VALUE_NAMES = {
    "conform": "conformity", "tradition": "tradition", "benevolence": "benevolence",
    "universalism": "universalism", "self_direction": "independence", "stimulation": "excitement",
    "hedonism": "pleasure", "achievement": "achievement", "power": "power and wealth", "security": "security",
}  # fmt: skip
_FOUNDATION_NAMES = {
    "care": "caring for others", "fairness": "fairness", "loyalty": "loyalty",
    "authority": "respect for authority", "purity": "purity", "freedom": "personal freedom",
}  # fmt: skip


@dataclass(frozen=True)
class Persona:
    """One participant: a stable id and the text that describes them to the model."""

    persona_id: str
    text: str


NO_PERSONA = Persona("none", "")


def render_survey_persona(row: pd.Series) -> str:
    """Second-person persona text from the study's survey columns (missing answers are left out)."""
    parts: list[str] = []
    demo = []
    if _present(row.get("age")):
        demo.append(f"{int(row['age'])} years old")
    for col in ("sex", "race"):
        if _present(row.get(col)):
            demo.append(str(row[col]).lower())
    if demo:
        parts.append("You are " + ", ".join(demo) + ".")
    facts = []
    for col, fmt in (("edu", "education: {}"), ("marital", "{}"), ("employment", "employment: {}"),
                     ("religion", "religion: {}"), ("ideology", "politically {}")):  # fmt: skip
        if _present(row.get(col)):
            facts.append(fmt.format(str(row[col]).lower()))
    if _present(row.get("income")):
        facts.append(f"household income bracket {int(row['income'])} (of 1-12)")
    if facts:
        parts.append("About you: " + "; ".join(facts) + ".")
    traits = [
        words[1] if row.get(col) >= 4 else words[0]
        for col, words in _BIG_FIVE_WORDS.items()
        if _present(row.get(col)) and (row.get(col) >= 4 or row.get(col) <= 2)
    ]
    if traits:
        parts.append("Personality: " + ", ".join(traits) + ".")
    values = _top(row, _VALUE_NAMES, 3)
    if values:
        parts.append("You value most: " + ", ".join(values) + ".")
    morals = _top(row, _FOUNDATION_NAMES, 2)
    if morals:
        parts.append("Morally you care most about " + " and ".join(morals) + ".")
    if _present(row.get("rational")) and _present(row.get("intuitive")):
        style = "carefully and rationally" if row["rational"] >= row["intuitive"] else "by gut feeling"
        parts.append(f"You make decisions {style}.")
    return " ".join(parts)


class PersonaPool:
    """A table of personas to draw from."""

    def __init__(self, personas: list[Persona]) -> None:
        if not personas:
            raise ValueError("persona pool is empty")
        self.personas = personas

    def __len__(self) -> int:
        return len(self.personas)

    def draw(self, rng: np.random.Generator) -> Persona:
        return self.personas[int(rng.integers(len(self.personas)))]

    @classmethod
    def from_survey_table(cls, table: pd.DataFrame) -> PersonaPool:
        ids = table["persona_id"] if "persona_id" in table else table.index.astype(str)
        return cls(
            [Persona(str(pid), render_survey_persona(row)) for pid, (_, row) in zip(ids, table.iterrows(), strict=True)]
        )

    @classmethod
    def from_text_column(cls, table: pd.DataFrame, column: str) -> PersonaPool:
        if column not in table:
            # The header is not echoed: a persona path may point at any file, and its first line is its content.
            raise ValueError(f"persona CSV has no column {column!r} (it has {len(table.columns)} column(s))")
        ids = table["persona_id"] if "persona_id" in table else pd.Series(range(len(table))).astype(str)
        rows = zip(ids, table[column], strict=True)
        return cls([Persona(str(pid), str(text)) for pid, text in rows if isinstance(text, str) and text.strip()])


@functools.lru_cache(maxsize=16)  # a batch builds a model per cell; rendering ~1,000 personas takes ~0.5 s
def persona_pool(spec: Personas, role: str) -> PersonaPool | None:
    """The pool for ``role`` ("persuadee" or "persuader") described by a scenario, or None for no personas.

    Cached per (spec, role): pools are read-only once built.
    """
    if spec.source == "none" or (role == "persuader" and not spec.persuader):
        return None
    if spec.source == "human":
        from simsocial.data.human import persona_table  # data layer: loaded only when asked for

        return PersonaPool.from_survey_table(persona_table(role))
    assert spec.path is not None  # validated by the scenario
    table = _read_csv(spec.path)
    if "role" in table:
        table = table[table["role"] == role]
    if spec.text_column:
        return PersonaPool.from_text_column(table, spec.text_column)
    return PersonaPool.from_survey_table(table.rename(columns=lambda c: c.removesuffix(".x")))


def _read_csv(path: Path) -> pd.DataFrame:
    if not Path(path).is_file():
        raise FileNotFoundError(f"persona CSV not found: {path}")
    try:
        return pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' parser errors quote the offending line: not shown
        raise ValueError(f"persona CSV {path} is not a readable CSV ({type(exc).__name__})") from None


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value != ""


def _top(row: pd.Series, names: dict[str, str], n: int) -> list[str]:
    scored = [(float(row[c]), label) for c, label in names.items() if c in row and _present(row.get(c))]
    scored.sort(key=lambda item: -item[0])
    return [label for _, label in scored[:n]]
