"""docs/outputs.md is generated from the output contract and says what every file, column and code means."""

from __future__ import annotations

from pathlib import Path

from simsocial import contract
from simsocial.contract_doc import REGENERATE, render

DOC = Path(__file__).resolve().parents[1] / "docs" / "outputs.md"


def test_outputs_doc_is_the_contract_rendered() -> None:
    assert DOC.read_text() == render(), f"docs/outputs.md differs from simsocial/contract.py; run `{REGENERATE}`"


def test_every_column_of_every_file_has_a_meaning_and_is_in_the_doc() -> None:
    text = DOC.read_text()
    for spec in contract.FILES:
        assert f"`{spec.name}`" in text
        for column in spec.columns:
            assert column.meaning.strip() and column.null.strip(), (spec.name, column.name)
            assert f"| `{column.name}` |" in text, (spec.name, column.name)
    documented = {c.name for c in contract.TURNS_COLUMNS}
    assert documented == set(contract.TURNS_SCHEMA.names)  # the schema is built from the documented columns


def test_code_lists_cover_every_code() -> None:
    text = DOC.read_text()
    codes = [*contract.STATUSES, *contract.PARSE_STATUSES, *contract.STANCES, *contract.REPAIR_CODES]
    assert [c for c in codes if f"| `{c}` |" not in text] == []
    assert {contract.STATUS_OK, contract.STATUS_DEGRADED, contract.STATUS_FAILED} == set(contract.STATUSES)


def test_contradictory_looking_pairs_are_explained() -> None:
    text = DOC.read_text()
    assert "`in_dialogue_donation` 0.0 beside `last_stated_amount` 1.5" in text
    assert "`attempts` 1 beside the repair `truncated_reasked`" in text
