"""A run directory's fingerprint (simsocial.rundir.fingerprint): what a resume checks before any call.  A persona
file edited at the same path, an edited prompt, run data whose fingerprint is missing or corrupt — each is
refused with the difference named and nothing written; the same settings resume; a run may grow."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_helpers import SCENARIO

from simsocial.rundir.fingerprint import (
    FINGERPRINT_FILE,
    RunMismatchError,
    check_run_dir,
    existing_run,
    run_fingerprint,
)
from simsocial.sim import load_scenario, scenario_condition
from simsocial.sim.scenario import Scenario

PERSONAS = "persona_id,persona\np1,A retired teacher who gives to local causes.\np2,A student on a tight budget.\n"


def csv_scenario(tmp_path: Path, personas: str = PERSONAS) -> Scenario:
    (tmp_path / "personas.csv").write_text(personas)
    base = load_scenario(SCENARIO)
    spec = base.model_copy(update={"personas": base.personas.model_copy(
        update={"source": "csv", "path": tmp_path / "personas.csv", "text_column": "persona"})})  # fmt: skip
    return spec


def fingerprint(spec: Scenario, seed: int = 0) -> dict:
    return run_fingerprint(spec, [scenario_condition(spec)], seed, endpoint="http://127.0.0.1:1/v1", model="m")


def begin(out: Path, settings: dict, n: int) -> bool:
    """``check_run_dir`` as a run starts, then one finished dialogue on disk: from then on it is a run (a
    directory with a fingerprint but no dialogue blocks nothing, issue 16)."""
    fresh = check_run_dir(out, settings, n)
    pq.write_table(pa.table({"dialogue_id": ["direct-00000"]}), out / "dialogues.parquet")
    return fresh


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_a_new_directory_gets_the_fingerprint_and_the_same_settings_resume(tmp_path: Path) -> None:
    spec = csv_scenario(tmp_path)
    out = tmp_path / "run"
    assert begin(out, fingerprint(spec), 2) is False
    record = json.loads((out / FINGERPRINT_FILE).read_text())
    assert record == {"version": 1, "dialogues_per_condition": 2, "settings": fingerprint(spec)}
    assert check_run_dir(out, fingerprint(spec), 2) is True
    assert existing_run(out, fingerprint(spec)) == 2


def test_a_run_may_grow_but_not_shrink(tmp_path: Path) -> None:
    spec = csv_scenario(tmp_path)
    out = tmp_path / "run"
    begin(out, fingerprint(spec), 2)
    assert check_run_dir(out, fingerprint(spec), 5) is True
    assert json.loads((out / FINGERPRINT_FILE).read_text())["dialogues_per_condition"] == 5
    before = files(out)
    with pytest.raises(RunMismatchError, match=r"dialogues per method: 5 → 3 \(a run can grow, not shrink\)"):
        check_run_dir(out, fingerprint(spec), 3)
    assert files(out) == before


def test_a_persona_file_changed_at_the_same_path_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    begin(out, fingerprint(csv_scenario(tmp_path)), 2)
    before = files(out)
    edited = csv_scenario(tmp_path, PERSONAS.replace("tight budget", "generous allowance"))  # same path
    assert edited.personas.path == tmp_path / "personas.csv"
    with pytest.raises(RunMismatchError) as info:
        check_run_dir(out, fingerprint(edited), 2)
    assert info.value.differences and info.value.differences[0].startswith("scenario personas.path: sha256:")
    assert len(info.value.differences) == 1
    assert "Nothing was changed" in str(info.value)
    assert files(out) == before
    # Put back byte for byte, it matches again: the content is what counts, not the file's time or path.
    assert check_run_dir(out, fingerprint(csv_scenario(tmp_path)), 2) is True


def test_the_same_persona_content_at_another_path_matches(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    out = tmp_path / "run"
    begin(out, fingerprint(csv_scenario(tmp_path / "a")), 2)
    assert check_run_dir(out, fingerprint(csv_scenario(tmp_path / "b")), 2) is True


def test_an_edited_prompt_text_is_refused_and_named(tmp_path: Path) -> None:
    spec = load_scenario(SCENARIO)
    out = tmp_path / "run"
    begin(out, fingerprint(spec), 1)
    before = files(out)
    persuadee = spec.persuadee.model_copy(update={"instructions": spec.persuadee.instructions + " Be brief."})
    edited = spec.model_copy(update={"persuadee": persuadee})
    with pytest.raises(RunMismatchError) as info:
        check_run_dir(out, fingerprint(edited), 1)
    assert [d.split(":", 1)[0] for d in info.value.differences] == ["scenario persuadee.instructions"]
    assert "…" in info.value.differences[0]  # long prompts are shortened in the message, not dumped
    assert files(out) == before


def test_a_different_seed_is_named_first(tmp_path: Path) -> None:
    spec = load_scenario(SCENARIO)
    out = tmp_path / "run"
    begin(out, fingerprint(spec, seed=1), 1)
    with pytest.raises(RunMismatchError) as info:
        check_run_dir(out, fingerprint(spec, seed=2), 1)
    assert info.value.differences == ["seed: 1 → 2"]


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (None, "missing"),
        ("{not json", "corrupt"),
        ('{"version": 1, "dialogues_per_condition": 2}', "without settings"),
        ("[1, 2]", "not an object"),
        ("", "empty"),
    ],
)
def test_run_data_without_a_readable_fingerprint_is_refused(tmp_path: Path, content: str | None, what: str) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "dialogues.parquet").write_bytes(b"PAR1")  # run output of some kind
    if content is not None:
        (out / FINGERPRINT_FILE).write_text(content)
    before = files(out)
    with pytest.raises(RunMismatchError, match=f"no readable {FINGERPRINT_FILE}.*Choose a new --out"):
        check_run_dir(out, fingerprint(load_scenario(SCENARIO)), 1)
    assert files(out) == before, what


def test_shards_alone_count_as_run_data(tmp_path: Path) -> None:
    out = tmp_path / "run"
    (out / "shards").mkdir(parents=True)
    assert check_run_dir(out, fingerprint(load_scenario(SCENARIO)), 1) is False  # an empty shard dir is no run
    (out / FINGERPRINT_FILE).unlink()
    (out / "shards" / "part-00000.dialogues.parquet").write_bytes(b"PAR1")
    with pytest.raises(RunMismatchError):
        existing_run(out, fingerprint(load_scenario(SCENARIO)))


def test_the_fingerprint_names_the_persona_file_by_its_content(tmp_path: Path) -> None:
    spec = csv_scenario(tmp_path)
    text = json.dumps(fingerprint(spec))
    assert str(tmp_path) not in text  # the persona file is named by its content's digest
