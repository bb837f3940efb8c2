"""The persuasion simulation end to end on the real embedded model (SmolLM2-135M via llama.cpp)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from simsocial.contract import SCHEMAS
from simsocial.llm.factory import LLMSettings
from simsocial.llm.runtime import LLMRuntime
from simsocial.sim import PersuasionModel, load_scenario, parse_condition, run_simulation

pytestmark = pytest.mark.llm
ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "scenarios" / "persuasion_for_good.yaml"
TURNS = 2


@pytest.fixture(scope="module")
def scenario():
    spec = load_scenario(STUDY)
    return spec.model_copy(update={"turns": spec.turns.model_copy(update={"max_turns": TURNS})})


@pytest.fixture(scope="module")
def first_run(embedded_server, scenario, tmp_path_factory):
    """2 dialogues × 2 turns × {direct, vs_standard}, recorded into a cache."""
    base = tmp_path_factory.mktemp("sim")
    settings = LLMSettings(base_url=embedded_server.base_url, model=embedded_server.model,
                           model_id="embedded:e2e", cache_path=base / "cache.sqlite")  # fmt: skip
    conditions = [parse_condition(m, scenario) for m in ("direct", "vs_standard")]
    result = run_simulation(scenario, conditions, 2, 7, base / "run1", settings, show_progress=False)
    return settings, conditions, result


def _contents(run_dir: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(run_dir / name) for name in SCHEMAS}


def test_run_writes_the_output_contract(first_run, scenario) -> None:
    _, _, result = first_run
    for name, schema in SCHEMAS.items():
        assert pq.read_schema(result.out_dir / name).names == schema.names
    data = _contents(result.out_dir)
    dialogues, turns, cands = data["dialogues.parquet"], data["turns.parquet"], data["candidates.parquet"]
    assert sorted(dialogues["method"].value_counts().items()) == [("direct", 2), ("vs_standard", 2)]
    assert sorted(dialogues["dialogue_id"]) == sorted(f"{m}-{i:05d}" for m in ("direct", "vs_standard") for i in (0, 1))
    # Every dialogue is ok, or says why not: a status the contract knows and its cause in `error`.
    assert set(dialogues["status"]) <= {"ok", "degraded", "failed"}
    ok = dialogues[dialogues["status"] == "ok"]
    assert ok["error"].isna().all(), ok[["dialogue_id", "error"]]
    for _, row in dialogues[dialogues["status"] != "ok"].iterrows():  # the cause: an error, or counted failures
        cause = (isinstance(row["error"], str) and row["error"].strip()) or row["n_parse_failures"] > 0
        assert cause, row[["dialogue_id", "status", "error", "n_parse_failures"]]
    assert (dialogues["final_donation"].isna() == (dialogues["status"] == "failed")).all()
    status_counts = json.loads((result.out_dir / "run.json").read_text())["counts"]["status"]
    assert status_counts == dialogues["status"].value_counts().to_dict()  # the manifest hides none
    assert len(ok) >= 3, dialogues[["dialogue_id", "status", "error"]]
    for _, row in ok.iterrows():
        assert row["n_turns"] == TURNS
        assert len(row["stances"]) == TURNS
        assert row["final_donation"] in scenario.donation.grid
        mine = turns[turns["dialogue_id"] == row["dialogue_id"]]
        assert list(mine["kind"]).count("donation") == 1
        assert len(mine) == 2 * TURNS + 1
        # The donation is the amount of the candidate the sampler chose from the model's distribution.
        donation_cands = cands[(cands["dialogue_id"] == row["dialogue_id"]) & (cands["kind"] == "donation")]
        assert donation_cands.loc[donation_cands["chosen"], "stated_amount"].item() == row["final_donation"]
    vs = turns[turns["method"] == "vs_standard"]
    assert (vs["k"] > 1).any()  # VS turns verbalize several candidates
    assert (turns.loc[turns["method"] == "direct", "k"] == 1).all()
    manifest = json.loads((result.out_dir / "run.json").read_text())
    assert manifest["settings"]["seed"] == 7
    assert manifest["usage"]["endpoint_calls"] > 0
    assert manifest["counts"]["dialogues"] == 4
    assert manifest["versions"]["mesa"].startswith("3.")
    assert set(result.summary["method"]) == {"direct", "vs_standard"}


def test_same_seed_with_cache_replays_identically(first_run, scenario, tmp_path) -> None:
    settings, conditions, result = first_run
    again = run_simulation(scenario, conditions, 2, 7, tmp_path / "run2", settings, show_progress=False)
    assert again.manifest["usage"]["endpoint_calls"] == 0
    assert again.manifest["usage"]["cache_hits"] > 0
    for name, frame in _contents(result.out_dir).items():
        pd.testing.assert_frame_equal(frame, _contents(again.out_dir)[name], obj=name)


def test_different_seed_gives_different_dialogues(first_run, scenario, tmp_path) -> None:
    settings, _, result = first_run
    direct = [parse_condition("direct", scenario)]
    other = run_simulation(scenario, direct, 2, 8, tmp_path / "run3", settings, show_progress=False)
    assert other.manifest["usage"]["endpoint_calls"] > 0  # new seed, new cache entries
    texts = lambda d: list(pd.read_parquet(d / "turns.parquet").query("method == 'direct'")["text"])  # noqa: E731
    assert texts(other.out_dir) != texts(result.out_dir)


def test_mesa_model_steps_and_collects(embedded_settings, scenario) -> None:
    one_turn = scenario.model_copy(update={"turns": scenario.turns.model_copy(update={"max_turns": 1})})
    with LLMRuntime(embedded_settings) as runtime:
        model = PersuasionModel(one_turn, [parse_condition("direct", one_turn)], 2, rng=3, runtime=runtime)
        steps = 0
        while model.running:
            model.step()
            steps += 1
    assert steps == 1
    assert model.n_finished == 2 and len(model.finished_dialogues) == 2
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == ["active_dialogues", "share_agreeing", "mean_stated_amount", "finished_dialogues"]
    assert (frame["active_dialogues"].iloc[0], frame["finished_dialogues"].iloc[0]) == (0, 2)  # both ended in step 1
    agents = model.datacollector.get_agent_vars_dataframe()
    assert set(agents["dialogue_id"]) == {d.dialogue_id for d in model.finished_dialogues}
    assert agents["stance"].notna().sum() == 2  # one persuadee reply per dialogue


def test_cli_run_prints_table_and_rejects_bad_input(embedded_server, tmp_path) -> None:
    cmd = [sys.executable, "-m", "simsocial.cli.main", "run", str(STUDY), "-n", "1", "-t", "1", "--method", "direct",
           "--seed", "1", "--out", str(tmp_path / "cli"), "--base-url", embedded_server.base_url,
           "--model", embedded_server.model, "--cache", str(tmp_path / "c.sqlite"), "-q"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "per method" in done.stdout and "direct" in done.stdout
    assert (tmp_path / "cli" / "dialogues.parquet").is_file()
    bad = subprocess.run([*cmd[:4], str(STUDY), "--method", "vs_magic"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert "unknown method 'vs_magic'" in bad.stderr


@pytest.mark.slow
def test_analysis_runs_on_the_real_run(first_run, tmp_path, monkeypatch) -> None:
    """The notebook and `simsocial compare` work on a real simulated run, not only on synthetic data."""
    import nbformat
    from nbclient import NotebookClient

    _, _, result = first_run
    notebook_path = ROOT / "analysis" / "persuasion_vs_human.ipynb"
    monkeypatch.setenv("SIMSOCIAL_RUN_DIR", str(result.out_dir))
    monkeypatch.setenv("SIMSOCIAL_N_RESAMPLES", "200")
    notebook = nbformat.read(notebook_path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook_path.parent)}}).execute()  # fmt: skip
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 6  # four comparison figures, two forest plots

    report_dir = tmp_path / "compare"
    cmd = [sys.executable, "-m", "simsocial.cli.main", "compare", str(result.out_dir), "--out", str(report_dir),
           "--format", "json"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (report_dir / "report.html").is_file()
    assert "vs_standard" in done.stdout and "direct" in done.stdout
