"""The say–do gap under the paper preset: the amount the persuadee states in its text vs its private decision.

A scripted persuadee states amounts in plain words ("I will donate $1.50", "I can give 50 cents"); the
paper reads them with its regex (persuasion.py:274-302), and the gap compares the last one with the private
decision, here always $0.50.  The gap must fill for runs written now and for preset runs written before the
stated amount was recorded (``last_stated_amount`` all null).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import simsocial
from simsocial.llm.runtime import InlineRuntime
from simsocial.llm.scripted import ScriptedChatModel
from simsocial.llm.types import ChatRequest
from simsocial.metrics.paper_donation import extract_amount_paper, in_dialogue_donation
from simsocial.report.compare import compare_runs
from simsocial.report.rundir import read_runs
from simsocial.sim import scenario_condition
from simsocial.sim.runner import run_simulation

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "scenarios" / "vs_paper_persuasion.yaml"
REPLIES = {"I will donate $1.50 today.": 1.5, "Fine, I can give 50 cents.": 0.5, "Not sure yet.": None}
DECIDED = 0.5


def _answer(request: ChatRequest) -> str:
    if "/donation/" in request.call_key:
        return json.dumps({"amount": DECIDED, "text": "A small gift is what I can afford."})
    if request.response_schema is None:  # the persuader, in plain text
        return "Would you give a little to Save the Children?"
    return json.dumps({"responses": [{"text": t, "probability": p} for t, p in zip(REPLIES, (0.4, 0.4, 0.2),
                                                                                     strict=True)]})  # fmt: skip


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    scenario = simsocial.load_scenario(PRESET, max_turns=4)
    out = tmp_path_factory.mktemp("paper_say_do") / "run"
    with InlineRuntime(ScriptedChatModel(_answer)) as runtime:
        run_simulation(scenario, [scenario_condition(scenario)], 8, 5, out, runtime=runtime,
                       show_progress=False)  # fmt: skip
    return out


def _expected_stated(out: Path) -> pd.Series:
    turns = pd.read_parquet(out / "turns.parquet")
    said = turns[(turns["role"] == "persuadee") & (turns["kind"] == "utterance")].sort_values("turn")
    last = said.groupby("dialogue_id")["text"].apply(lambda t: [REPLIES[x] for x in t if REPLIES[x] is not None])
    return last.map(lambda amounts: amounts[-1] if amounts else None)


def _gap_row(out: Path) -> pd.Series:
    comparison = compare_runs(read_runs([out]), donation="in-dialogue", n_resamples=200)
    return comparison.table.iloc[0]


def test_stated_amounts_are_read_from_the_text_and_the_gap_fills(run_dir: Path) -> None:
    dialogues = pd.read_parquet(run_dir / "dialogues.parquet").set_index("dialogue_id")
    expected = _expected_stated(run_dir)
    assert dialogues["final_donation"].eq(DECIDED).all()
    pd.testing.assert_series_equal(dialogues["last_stated_amount"].loc[expected.index], expected.astype(float),
                                   check_names=False)  # fmt: skip
    stated = expected.dropna()
    assert 0 < len(stated) <= len(dialogues)
    row = _gap_row(run_dir)
    assert row["say_do_n"] == len(stated)
    assert row["say_do_gave_different"] == pytest.approx((stated != DECIDED).mean())
    assert row["say_do_gave_less"] == pytest.approx((stated > DECIDED).mean())


def test_a_preset_run_written_without_stated_amounts_gets_them_at_compare(run_dir: Path, tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "old_run"
    shutil.copytree(run_dir, old)
    table = pq.read_table(old / "dialogues.parquet")
    column = table.schema.get_field_index("last_stated_amount")
    table = table.set_column(column, "last_stated_amount", pa.nulls(table.num_rows, pa.float64()))
    pq.write_table(table, old / "dialogues.parquet")
    assert pd.read_parquet(old / "dialogues.parquet")["last_stated_amount"].isna().all()
    assert _gap_row(old)["say_do_n"] == _gap_row(run_dir)["say_do_n"] > 0


def test_the_papers_cents_branch_is_uncapped_under_the_preset() -> None:
    # persuasion.py:284-289 divides by 100 and returns without the $2 cap (the dollar branch caps, :300).
    assert extract_amount_paper("ok, I'll donate 300 cents", cents_capped=False) == 3.0
    assert extract_amount_paper("ok, I'll donate 300 cents") == 2.0
    assert extract_amount_paper("I could give 5 dollars", cents_capped=False) == 2.0
    assert in_dialogue_donation(["no", "I'll donate 300 cents"], cents_capped=False) == 3.0


def test_a_dialogue_cut_short_leaves_both_constructs(tmp_path: Path) -> None:
    from simsocial.llm.errors import LLMEndpointError

    def cut_first_dialogue(request: ChatRequest) -> str:
        if "00000/t1/persuadee" in request.call_key:  # its first reply stated an amount; then the endpoint gives up
            raise LLMEndpointError("scripted", 3, ConnectionError("connection refused"))
        return _answer(request)

    scenario = simsocial.load_scenario(PRESET, max_turns=4)
    out = tmp_path / "run"
    with InlineRuntime(ScriptedChatModel(cut_first_dialogue)) as runtime:
        run_simulation(scenario, [scenario_condition(scenario)], 4, 5, out, runtime=runtime,
                       show_progress=False)  # fmt: skip
    dialogues = pd.read_parquet(out / "dialogues.parquet")
    assert (dialogues["status"] == "failed").sum() == 1
    # The partial transcript still gives an in_dialogue_donation on disk (the column is the paper's reading)...
    assert dialogues["in_dialogue_donation"].notna().all()
    for construct in ("in-dialogue", "final"):  # ...but one policy drops the dialogue from both constructs
        row = compare_runs(read_runs([out]), donation=construct, n_resamples=200).table.iloc[0]
        assert (row["n_donations"], row["n_dropped_cleaning"]) == (3, 1), construct


def test_vs_paper_table_reads_the_papers_construct_and_warns_off_protocol(run_dir: Path, tmp_path: Path) -> None:
    import shutil

    from cli_helpers import simsocial as cli

    paper = cli("compare", run_dir, "--table", "vs-paper", "--resamples", "200", "--out", tmp_path / "a", cwd=tmp_path)
    assert paper.code == 0, paper.output
    assert "Donation construct: in-dialogue" in paper.stdout
    assert "left out of both donation constructs" in paper.stdout
    assert "paper's protocol" not in paper.stderr
    # The same run, as if made under simsocial's protocol (run.json is what compare reads it from).
    other = tmp_path / "other"
    shutil.copytree(run_dir, other)
    manifest = json.loads((other / "run.json").read_text())
    manifest["scenario"]["config"]["protocol"] = "simsocial"
    (other / "run.json").write_text(json.dumps(manifest))
    warned = cli("compare", other, "--table", "vs-paper", "--resamples", "200", "--out", tmp_path / "b", cwd=tmp_path)
    assert warned.code == 0, warned.output
    lines = [line for line in warned.stderr.splitlines() if "paper's protocol" in line]
    assert len(lines) == 1 and lines[0].startswith("warning: 1 of 1 run(s) were not made under the paper's protocol")
    final = cli("compare", run_dir, "--table", "vs-paper", "--donation", "final", "--resamples", "200",
                "--out", tmp_path / "c", cwd=tmp_path)  # fmt: skip
    assert "Donation construct: final" in final.stdout
