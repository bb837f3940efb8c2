"""Budgets: --dry-run estimates without calling, --max-calls/--max-tokens stop admitting dialogues before
the limit, mark the run incomplete, and a rerun with a larger budget resumes to the same outputs as an
unbudgeted run (against a real HTTP server on 127.0.0.1 that reports token usage)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fault_server import FaultServer
from sweep_helpers import assert_same_runs, contents, write_sweep

from simsocial.batch import plan_sweep, read_index, run_sweep
from simsocial.batch.budget_run import EXIT_BUDGET
from simsocial.batch.estimate import dialogue_estimate, run_estimate
from simsocial.contract import SCHEMAS
from simsocial.llm.budget import Budget
from simsocial.llm.factory import LLMSettings
from simsocial.sim import load_scenario, parse_condition
from simsocial.sim.runner import run_simulation

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "persuasion_for_good.yaml"


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True, ok_delay_s=0.01, record=False, count_tokens=True) as srv:
        yield srv


def scenario(turns: int = 2):
    spec = load_scenario(SCENARIO)
    return spec.model_copy(update={"turns": spec.turns.model_copy(update={"max_turns": turns})})


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simsocial.cli.main", *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)  # fmt: skip


def settings(server: FaultServer) -> LLMSettings:
    return LLMSettings(base_url=server.base_url, model="fake", cache_path=None, cache_mode="off",
                       structured_output="json_schema", max_in_flight=4)  # fmt: skip


def test_estimate_counts_calls_per_method_and_grows_with_turns() -> None:
    spec = scenario(3)
    per = {m: dialogue_estimate(spec, parse_condition(m, spec)) for m in ("direct", "vs_standard", "multi_turn")}
    assert per["direct"].calls == per["vs_standard"].calls == 2 * 3 + 1
    assert per["multi_turn"].calls == 5 * (2 * 3 + 1)  # k=5 calls per choice
    assert per["vs_standard"].completion_tokens > 3 * per["direct"].completion_tokens  # five candidates, not one
    longer = dialogue_estimate(scenario(6), parse_condition("direct", spec))
    assert longer.prompt_tokens > 2 * per["direct"].prompt_tokens  # the transcript grows in every prompt


def test_dry_run_prints_the_estimate_and_calls_nothing(tmp_path: Path) -> None:
    with FaultServer(schema_answers=True) as srv:
        done = cli("run", str(SCENARIO), "-n", "3", "-t", "2", "--method", "direct", "--method", "vs_standard",
                   "--base-url", srv.base_url, "--model", "fake", "--dry-run",
                   "--out", str(tmp_path / "out"))  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert srv.requests == []
    assert not (tmp_path / "out").exists()
    expected = run_estimate(scenario(2), [parse_condition(m, scenario(2)) for m in ("direct", "vs_standard")], 3)
    assert expected.calls == 2 * 3 * 5
    assert f"{expected.calls:,}" in done.stdout and f"{expected.prompt_tokens:,}" in done.stdout
    sweep = write_sweep(tmp_path / "sweep.yaml", dialogues=4)
    done = cli("batch", str(sweep), "--out", str(tmp_path / "sweep"), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "embedded" in done.stdout and f"{2 * 4 * 5:,}" in done.stdout
    assert not (tmp_path / "sweep").exists()


def test_estimate_matches_the_calls_of_a_run_and_the_order_of_its_tokens(tmp_path: Path, server: FaultServer) -> None:
    # The fake server writes shorter texts than a model (24-90 characters) and counts 4 characters a token,
    # where the estimate assumes 3 in a JSON answer: calls must match exactly, tokens only within a factor of
    # 3.  The 25% check runs on a real model (tests/test_batch_budget_llm.py).
    spec = scenario(3)
    conditions = [parse_condition(m, spec) for m in ("direct", "vs_standard")]
    run = run_simulation(spec, conditions, 4, 0, tmp_path / "run", settings(server), show_progress=False)
    usage, estimate = run.manifest["usage"], run_estimate(spec, conditions, 4)
    assert usage["endpoint_calls"] == estimate.calls
    for name in ("prompt_tokens", "completion_tokens"):
        assert usage[name] / 3 <= getattr(estimate, name) <= 3 * usage[name], (name, estimate, usage)


def test_max_calls_stops_admitting_lets_dialogues_finish_and_resumes(tmp_path: Path, server: FaultServer) -> None:
    spec = scenario(2)
    conditions = [parse_condition("vs_standard", spec)]
    out = tmp_path / "run"
    budget = Budget(max_calls=23)  # 5 calls a dialogue: four dialogues fit, a fifth would not
    first = run_simulation(spec, conditions, 10, 0, out, settings(server), budget=budget, show_progress=False,
                           max_active=4)  # fmt: skip
    manifest = json.loads((out / "run.json").read_text())
    assert (
        first.status == "incomplete"
        and first.budget_stopped
        and manifest["status"] == "incomplete"
        and manifest["budget"]["stopped"]
    )
    assert manifest["usage"]["endpoint_calls"] <= 23
    assert manifest["counts"]["dialogues"] == 4  # whole dialogues only: every admitted one finished
    assert set(pd.read_parquet(out / "dialogues.parquet")["status"]) == {"ok"}

    second = run_simulation(spec, conditions, 10, 0, out, settings(server), budget=Budget(max_calls=1000),
                            show_progress=False, max_active=4)  # fmt: skip
    assert second.status == "complete" and json.loads((out / "run.json").read_text())["status"] == "complete"
    # run.json's usage covers both invocations; the second one's own made only the six dialogues left.
    first_usage, second_usage = (i["usage"] for i in second.manifest["invocations"])
    assert second_usage["endpoint_calls"] == 6 * 5
    assert second.manifest["usage"]["endpoint_calls"] == first_usage["endpoint_calls"] + 6 * 5
    run_simulation(spec, conditions, 10, 0, tmp_path / "whole", settings(server), show_progress=False)
    a, b = contents(out), contents(tmp_path / "whole")
    for name in SCHEMAS:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_cli_budget_stop_says_how_to_continue(tmp_path: Path, server: FaultServer) -> None:
    # With -c 6 all six dialogues ask for admission at once, before any call: the gate admits exactly as
    # many whole estimates as fit in the limit (three here), and no more once it has refused one.
    per_dialogue = dialogue_estimate(scenario(2), parse_condition("direct", scenario(2))).tokens
    limit = 3 * per_dialogue + per_dialogue // 2
    out = tmp_path / "out"
    args = ["run", str(SCENARIO), "-n", "6", "-t", "2", "--method", "direct", "--base-url", server.base_url,
            "--model", "fake", "--no-cache", "-q", "--out", str(out), "-c", "6"]  # fmt: skip
    done = cli(*args, "--max-tokens", str(limit))
    assert done.returncode == EXIT_BUDGET, done.stderr
    assert "budget reached" in done.stderr and "--max-tokens" in done.stderr and "Traceback" not in done.stderr
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["budget"] == {"max_calls": None, "max_tokens": limit,
                                                                         "stopped": True}  # fmt: skip
    assert manifest["usage"]["prompt_tokens"] + manifest["usage"]["completion_tokens"] <= limit
    assert manifest["counts"]["dialogues"] == 3
    assert manifest["usage"]["endpoint_calls"] == 3 * 5  # only the admitted dialogues called
    assert "3 of 6 dialogues are done" in done.stderr
    done = cli(*args, "--max-tokens", "1000000")
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "run.json").read_text())["counts"]["dialogues"] == 6


def test_sweep_budget_marks_cells_incomplete_and_resume_finishes(tmp_path: Path, server: FaultServer) -> None:
    sweep = write_sweep(tmp_path / "sweep.yaml", methods=["multi_turn", "direct"], dialogues=3)
    llm = LLMSettings(cache_path=None, cache_mode="off")
    run = lambda out, **kw: run_sweep(sweep, out, base_url=server.base_url, model="fake", show_progress=False,  # noqa: E731
                                      llm=llm, concurrency=3, **kw)  # fmt: skip
    # multi_turn makes 25 calls a dialogue (five per choice), direct 5.  The first cell asks for its three
    # dialogues at once: two fit in 60 calls, the third is refused and the gate stops.  The direct cell
    # would still fit two dialogues in what is left (50 + 5 ≤ 60), but no cell admits after the stop: it
    # stays pending.
    spec = scenario(2)
    assert [dialogue_estimate(spec, parse_condition(m, spec)).calls for m in ("multi_turn", "direct")] == [25, 5]
    stopped = run(tmp_path / "out", budget=Budget(max_calls=60))
    assert stopped.budget_stopped and not stopped.ok
    rows = read_index(tmp_path / "out")
    assert [(r["status"], r["dialogues_done"]) for r in rows] == [("incomplete", 2), ("pending", 0)]
    assert stopped.stats.endpoint_calls == 2 * 25
    assert not (tmp_path / "out" / rows[1]["cell_dir"] / "dialogues.parquet").exists()
    first = rows[0]
    assert json.loads((tmp_path / "out" / first["cell_dir"] / "run.json").read_text())["status"] == "incomplete"
    resumed = run(tmp_path / "out", resume=True, budget=Budget(max_calls=10_000))
    assert resumed.ok and not resumed.budget_stopped
    assert resumed.stats.endpoint_calls == 25 + 3 * 5  # only what was left
    whole = run(tmp_path / "whole")
    cells = plan_sweep(sweep, base_url=server.base_url, model="fake").cells
    assert_same_runs(tmp_path / "out", tmp_path / "whole", cells)
    assert resumed.stats.endpoint_calls + stopped.stats.endpoint_calls == whole.stats.endpoint_calls
