"""Sweep files, their expansion into cells, sweep.parquet, and the `simsocial batch` command's guard rails.

No LLM here: cells are expanded and checked; running them is in test_batch_run.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from net_helpers import dead_base_url
from typer.testing import CliRunner

from simsocial.batch import SWEEP_SCHEMA, SweepError, SweepIndex, load_sweep, plan_sweep, read_index
from simsocial.batch.index import DONE
from simsocial.cli.main import app
from simsocial.vs import Method

ROOT = Path(__file__).resolve().parents[1]
PAPER_SWEEP = ROOT / "scenarios" / "sweeps" / "vs_methods_all_roles.yaml"
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"


def write_sweep(tmp_path: Path, name: str = "sweep.yaml", **fields) -> Path:
    data = {"scenario": str(SCENARIO), "methods": ["direct"], **fields}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_paper_sweep_has_the_four_conditions_of_the_paper() -> None:
    plan = plan_sweep(PAPER_SWEEP)
    by_condition = {c.condition.label: c for c in plan.cells}
    assert list(by_condition) == ["direct", "sequence", "vs_standard[k=model,uniform]", "vs_standard"]
    model_k = by_condition["vs_standard[k=model,uniform]"].condition
    for role in ("persuader", "persuadee", "donation"):
        config = getattr(model_k, role)
        assert config.method == Method.VS_STANDARD and config.k is None and config.effective_selection == "uniform"
        fixed = getattr(by_condition["vs_standard"].condition, role)
        assert fixed.k == 5 and fixed.effective_selection == "probability"
    assert all(c.endpoint.is_embedded and c.seed == 0 for c in plan.cells)
    assert plan.scenario.turns.max_turns == 10 and plan.scenario.name == "persuasion_for_good"


def test_grid_is_the_cross_product_with_stable_distinct_ids(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path,
        methods=["direct", {"method": "vs_standard", "tail_threshold": [0.1, 0.3]}],
        k=[3, 5],
        temperature=[0.5, 1.0],
        seeds=[0, 1],
        endpoints=["embedded", {"base_url": "http://h:1/v1", "model": "m"}],
        dialogues=7,
        turns=2,
    )
    cells = plan_sweep(path).cells
    # direct ignores k, so k=3 and k=5 collapse: (1 + 2 p × 2 k) × 2 temperatures × 2 endpoints × 2 seeds
    assert len(cells) == (1 + 2 * 2) * 2 * 2 * 2
    assert len({c.cell_id for c in cells}) == len(cells)
    assert [c.cell_id for c in plan_sweep(path).cells] == [c.cell_id for c in cells]  # stable across invocations
    assert all(c.dialogues == 7 and c.max_turns == 2 for c in cells)
    vs = [c for c in cells if c.condition.persuadee.method == Method.VS_STANDARD]
    assert {(c.condition.persuadee.k, c.condition.persuadee.tail_threshold) for c in vs} == {
        (3, 0.1), (3, 0.3), (5, 0.1), (5, 0.3)
    }  # fmt: skip
    assert {c.condition.persuadee.temperature for c in cells} == {0.5, 1.0}
    # The number of dialogues is not part of a cell's identity: more dialogues extend the same cells.
    assert [c.cell_id for c in plan_sweep(path, dialogues=50).cells] == [c.cell_id for c in cells]
    # One endpoint from the command line replaces the sweep's list.
    one = plan_sweep(path, base_url="http://other:2/v1", model="x").cells
    assert len(one) == len(cells) // 2 and {c.endpoint.model for c in one} == {"x"}


def test_method_entry_knobs_override_the_sweep_lists(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, methods=["sequence", {"method": "vs_standard", "k": None}], k=[4])
    cells = plan_sweep(path).cells
    assert [(c.condition.persuadee.method.value, c.condition.persuadee.k) for c in cells] == [
        ("sequence", 4), ("vs_standard", None)
    ]  # fmt: skip
    assert cells[1].settings()["k"] is None  # null in sweep.parquet = model-decided


def test_per_role_condition_strings_are_accepted(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, methods=["persuader=direct,persuadee=vs_standard"])
    (cell,) = plan_sweep(path).cells
    assert cell.condition.persuader.method == Method.DIRECT
    assert cell.condition.persuadee.method == Method.VS_STANDARD


def test_personas_override_is_resolved_relative_to_the_sweep(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("persona_id,text\np1,You are a nurse.\n")
    path = write_sweep(tmp_path, personas={"source": "csv", "path": "people.csv", "text_column": "text"})
    plan = plan_sweep(path)
    assert plan.scenario.personas.path == (tmp_path / "people.csv").resolve()
    base = plan_sweep(write_sweep(tmp_path, "plain.yaml", methods=["direct"])).cells[0]
    assert plan.cells[0].cell_id != base.cell_id  # another persona source, another cell


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"methods": ["vs_magic"]}, "methods.0.method"),
        ({"methods": []}, "methods"),
        ({"k": [0]}, "k: Value error, k=0 is outside 1..20"),
        ({"temperature": 3}, "temperature"),
        ({"endpoints": [{"base_url": "http://x/v1"}]}, "endpoints.0: Value error, model is required"),
        ({"endpoints": ["localhost"]}, "endpoints"),
        ({"seeds": []}, "seeds"),
        ({"dialogues": 0}, "dialogues"),
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
        ({"scenario": "missing.yaml"}, "scenario: file not found"),
    ],
)
def test_invalid_sweeps_name_the_file_and_field(tmp_path: Path, fields: dict, message: str) -> None:
    path = write_sweep(tmp_path, **fields)
    with pytest.raises(SweepError) as info:
        plan_sweep(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_invalid_condition_combination_names_the_entry(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, methods=["direct", {"method": "vs_multi", "k": None}])
    with pytest.raises(SweepError, match=r"methods\[1\] 'vs_multi'.*needs a fixed k"):
        plan_sweep(path)


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match="file not found"):
        load_sweep(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("methods: [direct\n")
    with pytest.raises(SweepError, match="not valid YAML"):
        load_sweep(bad)


def test_index_is_written_atomically_with_fixed_schema_and_keeps_done_cells(tmp_path: Path) -> None:
    cells = plan_sweep(write_sweep(tmp_path, methods=["direct", "sequence"], dialogues=3)).cells
    index = SweepIndex(tmp_path, cells)
    assert pq.read_schema(tmp_path / "sweep.parquet").names == SWEEP_SCHEMA.names
    index.update(cells[0].cell_id, status=DONE, dialogues_done=3)
    rows = read_index(tmp_path)
    assert [r["status"] for r in rows] == ["done", "pending"]
    assert rows[0]["cell_dir"] == f"cells/{cells[0].cell_id}"
    assert not list(tmp_path.glob(".*tmp"))
    # Reopened (resume): a done cell stays done, unless it is now asked for more dialogues.
    assert SweepIndex(tmp_path, cells, rows).status(cells[0].cell_id) == DONE
    more = plan_sweep(write_sweep(tmp_path, "more.yaml", methods=["direct", "sequence"], dialogues=5)).cells
    assert SweepIndex(tmp_path, more, rows).status(cells[0].cell_id) == "pending"
    with pytest.raises(KeyError):
        index.update(cells[0].cell_id, colour="red")


def _batch(*args: str):
    """`simsocial batch ARGS` in this process (the error paths return before any model is touched)."""
    return CliRunner().invoke(app, ["batch", *args])


def test_cli_refuses_non_empty_out_and_bad_sweeps(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, methods=["direct"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "something.txt").write_text("x")
    done = _batch(str(sweep), "--out", str(out), "--base-url", dead_base_url(), "--model", "m")
    assert done.exit_code == 2
    assert "is not empty" in done.output and "--resume" in done.output
    resumed = _batch(str(sweep), "--out", str(out), "--resume", "--base-url", dead_base_url(), "--model", "m")
    assert resumed.exit_code == 2 and "not a sweep directory" in resumed.output
    assert sorted(p.name for p in out.iterdir()) == ["something.txt"]  # nothing written into it
    bad = write_sweep(tmp_path, "bad.yaml", methods=["vs_magic"])
    invalid = _batch(str(bad), "--out", str(tmp_path / "new"))
    assert invalid.exit_code == 2 and "unknown method 'vs_magic'" in invalid.output
    assert not (tmp_path / "new").exists()  # nothing written for an invalid sweep
    alone = _batch(str(sweep), "--out", str(tmp_path / "new"), "--base-url", dead_base_url())
    assert alone.exit_code == 2 and "--model" in alone.output
    wrong = _batch(str(sweep), "--out", str(tmp_path / "new"), "--executor", "dask")
    assert wrong.exit_code == 2 and "local or ray" in wrong.output


def test_cli_help_explains_resume_and_executors() -> None:
    done = subprocess.run([sys.executable, "-m", "simsocial.cli.main", "batch", "--help"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0
    for word in ("--resume", "--executor", "--address", "--dialogues", "--concurrency", "sweep.parquet"):
        assert word in done.stdout
