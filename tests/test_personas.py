"""Personas: drawn from the human survey table (or a CSV) with the caller's seeded generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simsocial.sim.personas import PersonaPool, persona_pool, render_survey_persona
from simsocial.sim.scenario import Personas


def test_human_pool_excludes_bad_ids_and_renders_survey_answers() -> None:
    pool = persona_pool(Personas(source="human"), "persuadee")
    assert pool is not None
    assert len(pool) == 1017 - 27
    assert all(not p.persona_id.startswith("BAD_") for p in pool.personas)
    texts = [p.text for p in pool.personas[:50]]
    assert all("years old" in t for t in texts if t)
    assert not any("donat" in t.lower() for t in texts)  # the outcome never leaks into a persona


def test_persuader_gets_a_persona_only_when_asked() -> None:
    assert persona_pool(Personas(source="human"), "persuader") is None
    assert persona_pool(Personas(source="human", persuader=True), "persuader") is not None
    assert persona_pool(Personas(source="none"), "persuadee") is None


def test_draws_follow_the_seed_not_global_state(global_random_restored: None) -> None:
    pool = persona_pool(Personas(source="human"), "persuadee")
    first = [pool.draw(np.random.default_rng(11)).persona_id for _ in range(3)]
    np.random.random(100)  # global state must not matter (moved on, never reseeded; restored afterwards)
    again = [pool.draw(np.random.default_rng(11)).persona_id for _ in range(3)]
    assert first == again
    rng = np.random.default_rng(5)
    many = {pool.draw(rng).persona_id for _ in range(200)}
    assert len(many) > 150  # draws spread over the table


def test_render_from_survey_columns() -> None:
    row = pd.Series({"age": 30.0, "sex": "Female", "race": "Asian", "extrovert": 4.6, "agreeable": 1.5,
                     "neurotic": 3.0, "benevolence": 6.0, "power": 1.0, "security": 5.5, "care": 5.0,
                     "fairness": 4.0, "rational": 3.0, "intuitive": 4.0, "ideology": "Moderate"})  # fmt: skip
    text = render_survey_persona(row)
    assert text.startswith("You are 30 years old, female, asian.")
    assert "outgoing" in text and "sceptical" in text and "stress" not in text
    assert "benevolence, security" in text
    assert "caring for others and fairness" in text
    assert "gut feeling" in text


def test_csv_text_and_survey_columns(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text('persona_id,persona\na,"You love cats."\nb,"You hate rain."\nc,\n')
    pool = persona_pool(Personas(source="csv", path=csv, text_column="persona"), "persuadee")
    assert [p.text for p in pool.personas] == ["You love cats.", "You hate rain."]
    with pytest.raises(ValueError, match="no column 'bio'"):
        persona_pool(Personas(source="csv", path=csv, text_column="bio"), "persuadee")
    survey = tmp_path / "s.csv"
    survey.write_text("persona_id,age.x,sex.x,open.x\nz,41,Male,4.5\n")
    pool = persona_pool(Personas(source="csv", path=survey), "persuadee")
    assert pool.personas[0].text.startswith("You are 41 years old, male.")
    with pytest.raises(ValueError, match="empty"):
        PersonaPool([])
