"""Issue 16 (part A): a researcher's first hour — one writer per run directory, compare never drops data in
silence, ``--max-calls`` counts only endpoint calls, a quick ``--help``.

Every case runs the real CLI in a subprocess, against a real HTTP server on 127.0.0.1 (tests/fault_server.py)
where a run needs an endpoint.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import REPO, SCENARIO, run_args, simsocial
from fault_server import FaultServer
from net_helpers import dead_base_url
from synthetic_run import FOOD_BANK_SCENARIO, write_food_bank_run, write_synthetic_run

from simsocial.run_lock import LOCK_FILE


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(schema_answers=True) as srv:
        yield srv


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("SIMSOCIAL_BASE_URL", None)
    env.pop("SIMSOCIAL_MODEL", None)
    return env


def _wait_for(condition, what: str, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _hold_lock(directory: Path) -> subprocess.Popen[str]:
    """A real second process that holds ``directory``'s run lock until killed (prints ``locked`` once it does)."""
    code = ("import sys, time; from pathlib import Path; from simsocial.run_lock import hold_out_lock\n"
            "with hold_out_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(600)")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", code, str(directory)], stdout=subprocess.PIPE, text=True,
                            env=_env())  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


# --- one writer per --out -------------------------------------------------------------------------------
def test_a_second_run_into_a_directory_being_written_is_refused_at_once(tmp_path: Path) -> None:
    out = tmp_path / "run"
    # The pre-flight is answered at once, the first run's first two dialogue calls after 45 s (however long
    # the second command takes to start on a loaded machine), the rest at once.
    with FaultServer(["ok", "hang", "hang"], hang_s=45.0, schema_answers=True) as slow:
        argv = [sys.executable, "-m", "simsocial.cli.main", *map(str, run_args(slow.base_url, out))]
        first = subprocess.Popen(
            argv, env=_env(), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            _wait_for(
                lambda: len(slow.requests) >= 2, "the first run's dialogue calls", timeout=120
            )  # pre-flight first
            assert (out / LOCK_FILE).is_file()
            calls_before = len(slow.requests)
            second = simsocial(*run_args(slow.base_url, out), cwd=tmp_path, timeout=60)
            assert first.poll() is None  # the first run was still writing when the second was refused
            preflights = [r for r in slow.requests[calls_before:] if len(r.body.get("messages", ())) == 1]
        finally:
            stdout, stderr = first.communicate(timeout=120)
    assert second.code == 2, second.output
    assert f"being written by process {first.pid}" in second.output
    assert len(second.output.strip().splitlines()) == 1
    assert preflights == []  # refused before it opened the endpoint
    assert first.returncode == 0, stderr
    assert not (out / LOCK_FILE).exists()  # a finished run holds only its results
    assert len(pd.read_parquet(out / "dialogues.parquet")) == 2


def test_the_lock_of_a_dead_process_is_taken_over(server: FaultServer, tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    holder = _hold_lock(out)
    refused = simsocial(*run_args(server.base_url, out), cwd=tmp_path)
    assert refused.code == 2 and f"process {holder.pid}" in refused.output
    holder.send_signal(signal.SIGKILL)  # dies holding it: the file and its pid stay behind
    holder.wait(timeout=10)
    assert (out / LOCK_FILE).read_text().strip() == str(holder.pid)
    result = simsocial(*run_args(server.base_url, out), cwd=tmp_path)
    assert result.code == 0, result.output
    assert len(pd.read_parquet(out / "dialogues.parquet")) == 2


def test_compare_of_a_run_being_written_says_so(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "run")
    holder = _hold_lock(run)
    try:
        result = simsocial("compare", run, "--out", tmp_path / "cmp", cwd=tmp_path)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert result.code == 2
    assert f"still being written (process {holder.pid}" in result.output
    assert not (tmp_path / "cmp").exists()


def test_compare_of_an_interrupted_run_says_how_to_finish_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with FaultServer(schema_answers=True, ok_delay_s=0.2) as slow:
        proc = subprocess.Popen([sys.executable, "-m", "simsocial.cli.main",
                                 *map(str, run_args(slow.base_url, out, "--concurrency", "1", n=6, turns=1))],
                                env=_env(), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)  # fmt: skip
        _wait_for(lambda: len(slow.requests) >= 2, "the first dialogue call")  # fingerprint written, run under way
        proc.kill()  # kill -9: no chance to tidy up
        proc.communicate(timeout=30)
    result = simsocial("compare", out, "--out", tmp_path / "cmp", cwd=tmp_path)
    assert result.code == 2
    assert "holds an interrupted run" in result.output
    assert "same simsocial run command again" in result.output


# --- a run that wrote nothing blocks nothing --------------------------------------------------------------
def test_a_run_that_wrote_no_dialogue_does_not_block_the_corrected_command(server: FaultServer, tmp_path: Path) -> None:
    out = tmp_path / "run"
    stopped = simsocial(*run_args(server.base_url, out, "--max-calls", "1", n=1, turns=2), cwd=tmp_path)
    assert stopped.code == 5, stopped.output  # the budget admitted no dialogue
    corrected = simsocial(*run_args(server.base_url, out, n=1, turns=1), cwd=tmp_path)
    assert corrected.code == 0, corrected.output
    assert len(pd.read_parquet(out / "dialogues.parquet")) == 1


# --- --max-calls counts calls that reach the endpoint --------------------------------------------------------
def test_cached_answers_do_not_count_against_max_calls(server: FaultServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    base = ["run", SCENARIO, "-n", "4", "--turns", "1", "-m", "direct", "--base-url", server.base_url, "--model",
            "fake", "--cache", cache, "-q", "--no-transcript"]  # fmt: skip
    first = simsocial(*base, "--out", tmp_path / "a", cwd=tmp_path)
    assert first.code == 0, first.output
    calls_before = len(server.requests)
    again = simsocial(*base, "--out", tmp_path / "b", "--max-calls", "3", cwd=tmp_path)
    assert again.code == 0, again.output  # every answer cached: a budget of 3 calls covers all 4 dialogues
    assert len(pd.read_parquet(tmp_path / "b" / "dialogues.parquet")) == 4
    usage = json.loads((tmp_path / "b" / "run.json").read_text())["usage"]
    assert usage["endpoint_calls"] == 0 and usage["cache_hits"] == 12
    assert "(12 from cache)" in again.stdout
    assert len(server.requests) - calls_before == 1  # the pre-flight only


def test_max_calls_still_stops_calls_that_reach_the_endpoint(server: FaultServer, tmp_path: Path) -> None:
    result = simsocial("run", SCENARIO, "-n", "4", "--turns", "1", "-m", "direct", "--base-url", server.base_url,
                       "--model", "fake", "--no-cache", "-q", "--out", tmp_path / "r", "--max-calls", "7",
                       cwd=tmp_path)  # fmt: skip
    assert result.code == 5, result.output
    usage = json.loads((tmp_path / "r" / "run.json").read_text())["usage"]
    assert usage["endpoint_calls"] <= 7
    assert "2 of 4 dialogues are done" in result.output and "0 answer(s) from the cache" in result.output


def test_run_help_names_only_options_run_has(tmp_path: Path) -> None:
    result = simsocial("run", "--help", cwd=tmp_path)
    assert result.code == 0
    assert "--resume" not in result.stdout  # run resumes by running the same command; batch has --resume
    assert "cached answers are free" in " ".join(result.stdout.replace("│", " ").split())


# --- compare never drops data in silence ---------------------------------------------------------------------
def test_compare_refuses_another_payment_on_the_amount_scale(tmp_path: Path) -> None:
    run = write_food_bank_run(tmp_path / "food")
    result = simsocial("compare", run, "--out", tmp_path / "cmp", cwd=tmp_path)
    assert result.code == 2
    assert "$0–$5 of a $5 payment" in result.output and "--scale share" in result.output
    assert not (tmp_path / "cmp").exists()


def test_compare_on_the_share_scale_keeps_every_donation_in_range(tmp_path: Path) -> None:
    run = write_food_bank_run(tmp_path / "food")
    result = simsocial("compare", run, "--out", tmp_path / "cmp", "--scale", "share", "--format", "json",
                       "--resamples", "200", cwd=tmp_path, timeout=300)  # fmt: skip
    assert result.code == 0, result.output
    rows = {r["method"]: r for r in json.loads(result.stdout)}
    # direct: $1.25 ×4 and $2.50 of $5 (one failed); vs_standard: 0, 0, .25, .625, 1.25, 2.5, 5 of $5 (7.50 dropped)
    assert rows["direct"]["mean_donation"] == pytest.approx((4 * 0.25 + 0.5) / 5)
    assert rows["vs_standard"]["mean_donation"] == pytest.approx((0 + 0 + 0.05 + 0.125 + 0.25 + 0.5 + 1.0) / 7)
    assert rows["vs_standard"]["n_donations"] == 7
    assert rows["direct"]["human_mean_donation"] == pytest.approx(rows["direct"]["human_mean_donation"])
    assert 0.1 < rows["direct"]["human_mean_donation"] < 0.3  # the study's $0.35 mean of $2, as a share
    settings = json.loads((tmp_path / "cmp" / "comparison.json").read_text())["settings"]
    assert settings["scale"] == "share"


def test_compare_counts_every_dropped_dialogue_in_the_terminal(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "run")
    result = simsocial("compare", run, "--out", tmp_path / "cmp", "--resamples", "200", cwd=tmp_path, timeout=300)
    assert result.code == 0, result.output
    lines = result.stderr.splitlines()
    direct = next(line for line in lines if "· direct: cleaning" in line)
    assert "left out 1 of 6 dialogue(s): 1 failed, cut short or without a donation" in direct
    vs = next(line for line in lines if "· vs_standard: cleaning" in line)
    # its $3 dialogue is degraded (cut short): one policy for every construct drops it before the range rule
    assert "left out 1 of 8 dialogue(s): 1 failed, cut short or without a donation" in vs


def test_compare_headers_are_short_cell_labels(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    rows = []
    for i, label in enumerate(["vs_standard-k5-t0.7-embedded-s0", "vs_standard-k3-t0.7-embedded-s0"]):
        cell_dir = f"cells/{label}-{i}abc1234"
        write_synthetic_run(sweep / cell_dir)
        rows.append({"cell_id": cell_dir.split("/")[1], "cell_dir": cell_dir, "label": label})
    pd.DataFrame(rows).to_parquet(sweep / "sweep.parquet")
    result = simsocial("compare", sweep, "--out", tmp_path / "cmp", "--resamples", "200", cwd=tmp_path, timeout=300)
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    header = "\n".join(
        lines[next(i for i, x in enumerate(lines) if "┏" in x) : next(i for i, x in enumerate(lines) if "┡" in x)]
    )
    assert "vs_standard-k5-t0.7-embedded-s0" in header and "vs_standard-k3-t0.7-embedded-s0" in header
    assert "abc1234" not in result.stdout and "cells/" not in result.stdout  # no directory names, no hashes


# --- answer at once ----------------------------------------------------------------------------------------
HEAVY = ("pandas", "numpy", "scipy", "mesa", "pyarrow", "openai", "matplotlib", "rich.table", "rich.markdown")


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []])
def test_help_and_version_import_no_heavy_library(tmp_path: Path, argv: list[str]) -> None:
    code = ("import sys\nfrom simsocial.cli.main import cli\nsys.argv = ['simsocial', *sys.argv[1:]]\n"
            "try:\n    cli()\nexcept SystemExit:\n    pass\n"
            f"print('LOADED', sorted(m for m in sys.modules if m in {HEAVY!r}))")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=_env(),
                            cwd=tmp_path, timeout=60)  # fmt: skip
    loaded = next(line for line in result.stdout.splitlines() if line.startswith("LOADED"))
    assert loaded == "LOADED []"
    if argv == ["--help"]:
        for name in ("run", "batch", "compare", "human", "serve-local", "viz"):
            assert re.search(rf"^  {re.escape(name)}  +\S", result.stdout, re.MULTILINE), name


def test_the_command_list_shows_each_commands_own_help() -> None:
    from simsocial.cli.main import COMMANDS, load_command

    for name, (_, short) in COMMANDS.items():
        command = load_command(name)
        assert " ".join((command.help or "").split()).startswith(" ".join(short.split())), name


def test_full_option_names_fit_80_columns(tmp_path: Path) -> None:
    env = {**_env(), "COLUMNS": "80"}
    for command in ("run", "batch", "compare"):
        result = subprocess.run([sys.executable, "-m", "simsocial.cli.main", command, "--help"], capture_output=True,
                                text=True, env=env, cwd=tmp_path, timeout=60)  # fmt: skip
        assert result.returncode == 0
        assert max(len(line) for line in result.stdout.splitlines()) <= 80
        assert "…" not in result.stdout, command
        for name in ("--persuader-api-key-env", "--structured-output", "--concurrency"):
            if command != "compare":
                assert name in result.stdout, (command, name)


def test_a_dead_url_says_connection_refused(tmp_path: Path) -> None:
    result = simsocial(*run_args(dead_base_url(), tmp_path / "run"), cwd=tmp_path)  # a port this test holds closed
    assert result.code == 1
    assert "connection refused" in result.output and "timed out" not in result.output
    assert not (tmp_path / "run").exists()


def test_sweep_cell_labels_are_short_and_distinct(tmp_path: Path) -> None:
    from simsocial.batch import plan_sweep

    food_bank = tmp_path / "food_bank.yaml"  # its methods use k=4: a cell at k=5 must not look like the plain one
    students = FOOD_BANK_SCENARIO.parent / "personas" / "students.csv"
    food_bank.write_text(FOOD_BANK_SCENARIO.read_text().replace("path: personas/students.csv", f"path: {students}"))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"scenario: {food_bank}\nmethods: [direct, vs_standard, {{method: vs_standard, k: [5, null]}}]\n"
                     "dialogues: 1\n")  # fmt: skip
    labels = [cell.label for cell in plan_sweep(sweep).cells]
    assert labels == ["direct-t0.7-embedded-s0", "vs_standard[k=4]-t0.7-embedded-s0", "vs_standard-k5-t0.7-embedded-s0",
                      "vs_standard[k=model]-t0.7-embedded-s0"]  # fmt: skip
    assert len(set(labels)) == len(labels)


def test_a_persona_csv_id_column_names_the_personas(tmp_path: Path) -> None:
    from simsocial.sim.personas import persona_pool
    from simsocial.sim.scenario import Personas

    by_id = tmp_path / "by-id.csv"
    by_id.write_text('id,persona\n007,"You are careful with money."\nx9,"You give often."\n')
    pool = persona_pool(Personas(source="csv", path=by_id, text_column="persona"), "persuadee")
    assert [p.persona_id for p in pool.personas] == ["007", "x9"]  # as written: not 7, not the row number
    both = tmp_path / "both.csv"
    both.write_text("persona_id,id,age,sex\np1,i1,30,Female\n")
    survey = persona_pool(Personas(source="csv", path=both), "persuadee")
    assert [p.persona_id for p in survey.personas] == ["p1"]  # persona_id wins over id
