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
from typing import TYPE_CHECKING

import numpy as np

from simsocial.sim.scenario import Personas

if TYPE_CHECKING:
    import pandas as pd  # read where a persona table is read: a run reaches its first LLM call without it

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
        ids = _ids(table)
        return cls(
            [Persona(str(pid), render_survey_persona(row)) for pid, (_, row) in zip(ids, table.iterrows(), strict=True)]
        )

    @classmethod
    def from_text_column(cls, table: pd.DataFrame, column: str) -> PersonaPool:
        if column not in table:
            # The header is not echoed: a persona path may point at any file, and its first line is its content.
            raise PersonaError(f"persona CSV has no column {column!r} (it has {len(table.columns)} column(s))")
        rows = zip(_ids(table), table[column], strict=True)
        return cls([Persona(str(pid), str(text)) for pid, text in rows if isinstance(text, str) and text.strip()])


class PersonaError(ValueError):
    """A persona CSV that cannot be used; the message names the file and what is wrong with it."""


ID_COLUMNS = ("persona_id", "id")  # a persona's id in the run's persona_id column: the first present, else the row


def _ids(table: pd.DataFrame) -> pd.Series:
    """Each row's persona id: the ``persona_id`` column, else ``id``, else the row number (0, 1, ...)."""
    import pandas as pd

    for column in ID_COLUMNS:
        if column in table:
            return table[column].astype(str)
    return pd.Series(range(len(table))).astype(str)


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
    check_columns(table, spec.path, spec.text_column)
    if "role" in table:
        table = table[table["role"] == role]
    try:
        if spec.text_column:
            return PersonaPool.from_text_column(table, spec.text_column)
        return PersonaPool.from_survey_table(table.rename(columns=lambda c: c.removesuffix(".x")))
    except PersonaError:
        raise
    except ValueError as exc:  # an empty pool: every row blank, or none for this role
        raise PersonaError(f"persona CSV {spec.path}: no usable {role} persona ({exc})") from None


def check_persona_sources(spec: Personas) -> None:
    """Build both roles' pools from a persona CSV now (cached for the run), so a bad CSV is refused before any
    call.  The bundled human study's pools are built when the dialogues start: that data cannot be refused,
    and reading it (pandas) would keep the run's first call waiting."""
    if spec.path is None:
        return
    for role in ("persuadee", "persuader"):
        persona_pool(spec, role)


def _read_csv(path: Path) -> pd.DataFrame:
    """The CSV as a table, or :class:`PersonaError` saying why not (missing, empty, binary, bad quoting)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise PersonaError(f"persona CSV not found: {path}")
    head = path.read_bytes()[:65536]
    if b"\0" in head:
        raise PersonaError(f"persona CSV {path} is binary, not text")
    try:
        table = pd.read_csv(path, dtype={c: str for c in ID_COLUMNS})
    except pd.errors.EmptyDataError:
        raise PersonaError(f"persona CSV {path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        # pandas' parser errors quote the offending line: only their kind is shown, never file content
        kind = type(exc).__name__
        raise PersonaError(f"persona CSV {path} cannot be read as CSV (check its quoting): {kind}") from None
    if table.empty:
        raise PersonaError(f"persona CSV {path} has a header but no rows")
    return table


def check_columns(table: pd.DataFrame, path: Path, text_column: str | None) -> None:
    """Refuse columns the persona pool would silently ignore (a typo in a survey column, say), naming them."""
    from simsocial.data.human import SURVEY_COLUMNS  # the survey's column names (data layer)

    if text_column and text_column not in table:
        raise PersonaError(f"persona CSV {path} has no column {text_column!r} (it has {len(table.columns)} column(s))")
    known = {*ID_COLUMNS, "role"}
    known |= {text_column} if text_column else {*SURVEY_COLUMNS, "dialogue_id", "user_id"}
    unknown = [c for c in table.columns if str(c).removesuffix(".x") not in known]
    if unknown:
        hint = f"only {text_column!r}, persona_id/id and role are read" if text_column else "see the survey columns"
        raise PersonaError(f"persona CSV {path}: unknown column(s) {', '.join(map(str, unknown))} ({hint})")


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value != ""


def _top(row: pd.Series, names: dict[str, str], n: int) -> list[str]:
    scored = [(float(row[c]), label) for c, label in names.items() if c in row and _present(row.get(c))]
    scored.sort(key=lambda item: -item[0])
    return [label for _, label in scored[:n]]
